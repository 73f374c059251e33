"""Serving the built site's files: only files inside the output folder, with ETags and a 404 page.

Every request path is checked after decoding and after resolving symlinks, so `/../etc/passwd`,
percent-encoded dots, `..%2f`, backslashes, NUL bytes and a symlink that points out of the folder all
end in the same 404 page. Dot files (the build marker, temporary files) are never served.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from backbrain.site.policy import attachment_type

TEXT_TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
              ".js": "text/javascript; charset=utf-8", ".json": "application/json",
              ".svg": "image/svg+xml", ".txt": "text/plain; charset=utf-8"}  # fmt: skip
MAX_CACHED_FILES = 4096
MIN_GZIP_BYTES = 16 * 1024  # smaller pages go out as they are: compressing costs more than it saves locally
THREAD_GZIP_BYTES = 256 * 1024
COMPRESSIBLE = {"text/html; charset=utf-8", "text/css; charset=utf-8", "text/javascript; charset=utf-8",
                "application/json", "image/svg+xml"}  # fmt: skip
FALLBACK_404 = b"<!doctype html><title>Not found</title><h1>Page not found</h1><p><a href='/'>Home</a></p>"


@dataclass
class _Cached:
    stamp: tuple[int, int, int]  # inode, size, mtime_ns: a rewritten file gets a new stamp
    etag: str
    data: bytes
    gzipped: bytes | None = None  # compressed once, on the first request that accepts gzip

    def compressed(self) -> bytes:
        if self.gzipped is None:
            self.gzipped = gzip.compress(self.data, compresslevel=6, mtime=0)
        return self.gzipped


def resolve_inside(base: Path, url_path: str) -> Path | None:
    """The file under base that url_path names, or None for anything unsafe or missing."""
    if "\x00" in url_path or "\\" in url_path:
        return None
    parts = [part for part in url_path.split("/") if part]
    if any(part in {".", ".."} or part.startswith(".") for part in parts):
        return None
    base = base.resolve()
    candidate = base.joinpath(*parts)
    try:
        resolved = candidate.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not resolved.is_relative_to(base):
        return None  # a symlink that leads out of the site
    if resolved.is_dir():
        index = resolved / "index.html"
        return index if index.is_file() else None
    return resolved if resolved.is_file() else None


class SiteFiles:
    """GET/HEAD handler for the output folder; small files are kept in memory keyed by their stat."""

    def __init__(self, site_dir: Path) -> None:
        self.site_dir = site_dir
        self._cache: dict[Path, _Cached] = {}

    def _load(self, path: Path) -> _Cached:
        stat = path.stat()
        stamp = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        cached = self._cache.get(path)
        if cached is None or cached.stamp != stamp:
            data = path.read_bytes()
            cached = _Cached(stamp, '"' + hashlib.blake2b(data, digest_size=12).hexdigest() + '"', data)
            if len(self._cache) >= MAX_CACHED_FILES:
                self._cache.pop(next(iter(self._cache)))  # oldest first: bounded memory at 10k pages
            self._cache[path] = cached
        return cached

    async def handle(self, request: Request) -> Response:
        url_path = request.path_params.get("path", "")
        path = resolve_inside(self.site_dir, url_path)
        if path is None:
            return self.not_found()
        if path.name == "index.html" and url_path and not url_path.endswith(("/", "index.html")):
            query = f"?{request.url.query}" if request.url.query else ""
            return RedirectResponse("/" + url_path.lstrip("/") + "/" + query, status_code=308)
        try:
            cached = self._load(path)
        except OSError:
            return self.not_found()
        media = TEXT_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        download = url_path.startswith("assets/")  # a vault's attachment: never a page of this origin
        if download:
            media = attachment_type(url_path)
        compress = media in COMPRESSIBLE and len(cached.data) >= MIN_GZIP_BYTES and _accepts_gzip(request)
        etag = cached.etag[:-1] + '-gz"' if compress else cached.etag  # each encoding is its own variant
        headers = {"etag": etag, "cache-control": _cache_control(url_path), "vary": "Accept-Encoding"}
        if download:
            headers["content-disposition"] = "attachment"  # <img> still shows images; a visit downloads
        if _etag_matches(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers=headers)
        if compress and cached.gzipped is None and len(cached.data) > THREAD_GZIP_BYTES:
            await run_in_threadpool(cached.compressed)  # a 6 MB search index must not stall other requests
        data = cached.compressed() if compress else cached.data
        if compress:
            headers["content-encoding"] = "gzip"
        headers["content-length"] = str(len(data))
        return Response(b"" if request.method == "HEAD" else data, media_type=media, headers=headers)

    def not_found(self) -> Response:
        page = self.site_dir / "404.html"
        try:
            data = page.read_bytes()
        except OSError:
            data = FALLBACK_404
        return Response(data, status_code=404, media_type="text/html; charset=utf-8",
                        headers={"cache-control": "no-store"})  # fmt: skip


def _accepts_gzip(request: Request) -> bool:
    return any(part.split(";")[0].strip() == "gzip" for part in request.headers.get("accept-encoding", "").split(","))


def _cache_control(url_path: str) -> str:
    """Vendored libraries never change under a running server; everything else revalidates by ETag."""
    if url_path.startswith("static/vendor/"):
        return "public, max-age=86400"
    return "no-cache"


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    if header.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in header.split(","))
