"""serve's HTTP layer in-process (httpx.ASGITransport): files, traversal, 404, headers, CSRF, live reload."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from sitehelpers import HTMLParser, builder, make_site_vault
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from webtest import call

from backbrain.web.app import SiteState, create_app
from backbrain.web.security import CsrfGuard, protected, same_origin

HOSTS = ["testserver", "127.0.0.1", "localhost"]




def raw_get(app: Any, raw_path: str) -> tuple[int, dict[str, str], bytes]:
    """A GET with the path exactly as a hostile client sends it (httpx would normalize `..`)."""
    messages: list[dict[str, Any]] = []
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": unquote(raw_path), "raw_path": raw_path.encode(), "root_path": "", "query_string": b"",
        "headers": [(b"host", b"testserver")], "client": ("127.0.0.1", 1), "server": ("testserver", 80),
    }  # fmt: skip

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    asyncio.run(app(scope, receive, send))
    start = next(m for m in messages if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, body


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, SiteState, Path]:
    base = tmp_path_factory.mktemp("serve")
    root = make_site_vault(base / "vault")
    out = base / "out"
    site_builder = builder(root, out, live=True)
    site_builder.build()
    (base / "secret.txt").write_text("top secret")
    os.symlink(base / "secret.txt", out / "leak.txt")
    os.symlink(base, out / "escape")
    state = SiteState(site_dir=out, vault_root=root, builder=site_builder)
    return create_app(state, hosts=HOSTS), state, root


def test_pages_are_served_with_csp_etag_and_cache_control(served: tuple[Any, SiteState, Path]) -> None:
    app = served[0]
    response = call(app, "GET", "/")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "object-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-cache"
    etag = response.headers["etag"]
    again = call(app, "GET", "/", headers={"if-none-match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert call(app, "GET", "/", headers={"if-none-match": '"other"'}).status_code == 200
    assert call(app, "GET", "/static/vendor/mermaid.min.js").headers["cache-control"].startswith("public")
    assert call(app, "HEAD", "/note/caching/").content == b""


def test_note_urls_without_slash_redirect(served: tuple[Any, SiteState, Path]) -> None:
    response = call(served[0], "GET", "/note/caching")
    assert response.status_code == 308 and response.headers["location"] == "/note/caching/"
    assert call(served[0], "GET", "/note/caching/").status_code == 200


@pytest.mark.parametrize(
    "raw",
    ["/../etc/passwd", "/%2e%2e/etc/passwd", "/%2E%2E/%2E%2E/etc/passwd", "/static/..%2f..%2f..%2fetc/passwd",
     "/note/..%2f..%2f..%2f..%2fetc%2fpasswd", "/..\\..\\etc\\passwd", "/leak.txt", "/escape/secret.txt",
     "/.backbrain-site", "/%00index.html", "/note/%2e%2e/%2e%2e/../secret.txt"],
)  # fmt: skip
def test_traversal_and_symlinks_out_get_the_404_page(served: tuple[Any, SiteState, Path], raw: str) -> None:
    status, headers, body = raw_get(served[0], raw)
    assert status == 404, raw
    assert b"top secret" not in body and b"root:" not in body
    assert b"Page not found" in body and "content-security-policy" in headers


def test_unknown_paths_get_the_404_page(served: tuple[Any, SiteState, Path]) -> None:
    response = call(served[0], "GET", "/no/such/page/")
    assert response.status_code == 404
    assert HTMLParser(response.text).css_first("h1").text() == "Page not found"
    assert call(served[0], "POST", "/note/caching/").status_code == 405


def test_unknown_host_header_is_refused(served: tuple[Any, SiteState, Path]) -> None:
    response = call(served[0], "GET", "/", headers={"host": "evil.example"})
    assert response.status_code == 400


def test_live_version_changes_after_a_rebuild_and_reports_problems(served: tuple[Any, SiteState, Path]) -> None:
    app, state, root = served
    first = call(app, "GET", "/_live/version").json()
    assert first["error"] is None and call(app, "GET", "/_live/version").headers["cache-control"] == "no-store"
    path = root / "roadmap/http.md"
    path.write_text(path.read_text().replace("Read RFC 9110.", "Read RFC 9110 and RFC 9112."))
    report = state.rebuild([path])
    assert report is not None and "note/http/index.html" in report.written
    assert call(app, "GET", "/_live/version").json()["version"] != first["version"]
    assert "RFC 9112" in call(app, "GET", "/note/http/").text
    (root / "backbrain.toml").write_text("[site]\ntitle = 1 2\n")
    try:
        assert state.rebuild([root / "backbrain.toml"]) is None
        status = call(app, "GET", "/_live/version").json()
        assert "backbrain.toml" in status["error"]
        assert call(app, "GET", "/note/http/").status_code == 200  # still serving the last good build
    finally:
        (root / "backbrain.toml").unlink()
        state.rebuild([root / "backbrain.toml"])
    assert call(app, "GET", "/_live/version").json()["error"] is None


def _request(headers: dict[str, str], method: str = "POST") -> Request:
    raw = [(k.encode(), v.encode()) for k, v in headers.items()]
    scope = {"type": "http", "method": method, "scheme": "http", "path": "/x", "query_string": b"",
             "headers": raw, "server": ("127.0.0.1", 8000)}  # fmt: skip
    return Request(scope)


def test_same_origin_check() -> None:
    host = {"host": "127.0.0.1:8000"}
    assert same_origin(_request({**host, "origin": "http://127.0.0.1:8000"}))
    assert not same_origin(_request({**host, "origin": "http://evil.example"}))
    assert not same_origin(_request({**host, "origin": "null"}))
    assert not same_origin(_request({**host, "origin": "http://127.0.0.1:9000"}))
    assert same_origin(_request({**host, "referer": "http://127.0.0.1:8000/note/x/"}))
    assert not same_origin(_request({**host, "referer": "http://127.0.0.1:8000.evil.example/"}))
    assert not same_origin(_request(host))  # neither header: refused


def test_csrf_guard() -> None:
    guard = CsrfGuard()
    forged = ("y" if guard.token[0] == "x" else "x") + guard.token[1:]  # differs in exactly one character
    assert guard.valid(guard.token) and not guard.valid(forged) and not guard.valid(None)
    assert CsrfGuard().token != guard.token  # one token per server


def test_added_route_providers_get_csrf_and_same_origin_protection(tmp_path: Path) -> None:
    out = tmp_path / "site"
    out.mkdir()
    (out / "index.html").write_text("home")
    state = SiteState(site_dir=out, vault_root=tmp_path)
    calls: list[str] = []

    def progress_routes(site: SiteState) -> list[BaseRoute]:
        @protected(site.csrf)
        async def set_progress(request: Request) -> Response:
            calls.append((await request.json())["id"])
            return JSONResponse({"ok": True})

        return [Route("/_api/progress", set_progress, methods=["POST"])]

    app = create_app(state, [progress_routes], hosts=HOSTS)
    token = call(app, "GET", "/_csrf").json()["token"]
    origin = {"origin": "http://testserver"}
    assert call(app, "POST", "/_api/progress", json={"id": "a"}, headers=origin).status_code == 403
    assert call(app, "POST", "/_api/progress", json={"id": "b"},
                headers={"origin": "http://evil.example", "x-csrf-token": token}).status_code == 403  # fmt: skip
    ok = call(app, "POST", "/_api/progress", json={"id": "c"}, headers={**origin, "x-csrf-token": token})
    assert ok.status_code == 200 and calls == ["c"]
    assert ok.headers["content-security-policy"]  # added routes get the security headers too
    form = call(app, "POST", "/_api/progress", data={"csrf_token": "wrong"}, headers=origin)
    assert form.status_code == 403

    @protected(state.csrf)
    async def form_endpoint(request: Request) -> Response:
        return JSONResponse({"body": (await request.body()).decode()})

    form_app = create_app(state, [lambda site: [Route("/_api/form", form_endpoint, methods=["POST"])]], hosts=HOSTS)
    accepted = call(form_app, "POST", "/_api/form", data={"csrf_token": state.csrf.token, "id": "d"}, headers=origin)
    assert accepted.status_code == 200 and "id=d" in accepted.json()["body"]  # the body is still readable


def test_text_is_gzipped_for_clients_that_accept_it(served: tuple[Any, SiteState, Path]) -> None:
    app = served[0]
    url = "/static/vendor/force-graph.min.js"
    plain = call(app, "GET", url, headers={"accept-encoding": "identity"})
    zipped = call(app, "GET", url, headers={"accept-encoding": "gzip, br"})
    assert "content-encoding" not in plain.headers and zipped.headers["content-encoding"] == "gzip"
    assert zipped.content == plain.content  # httpx decompresses
    assert zipped.headers["etag"] != plain.headers["etag"] and zipped.headers["vary"] == "Accept-Encoding"
    again = call(app, "GET", url, headers={"accept-encoding": "gzip", "if-none-match": zipped.headers["etag"]})
    assert again.status_code == 304
