"""The static site: `backbrain build` publishes a vault as HTML, `backbrain serve` keeps it live.

The core lives here and knows nothing of HTTP (backbrain.web serves what this package writes).
See docs/site.md for the pages, the build cache and the search index.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from backbrain.site.build.builder import BuildReport, SiteBuilder

__all__ = ["BuildReport", "SiteBuilder", "build_site", "site_paths"]


def site_paths(vault_root: Path, read_only: bool, out: Path | None = None, purpose: str = "site") -> tuple[Path, Path]:
    """(output folder, build-cache file) for a vault.

    Writable vaults keep both under VAULT/.backbrain/ (disposable caches, per the format). The bundled
    starter is read-only, so its default output and every cache go to the user's cache folder.
    """
    root = Path(vault_root).resolve()
    if read_only:
        import platformdirs

        tag = hashlib.blake2b(str(root).encode(), digest_size=6).hexdigest()
        base = Path(platformdirs.user_cache_dir("backbrain")) / f"starter-{tag}"
    else:
        base = root / ".backbrain"
    output = Path(out).resolve() if out else base / purpose
    key = hashlib.blake2b(str(output).encode(), digest_size=6).hexdigest()
    return output, base / "site-cache" / f"{output.name}-{key}.json"


def build_site(
    vault_root: Path, out: Path | None = None, *, read_only: bool = False, clean: bool = False
) -> BuildReport:
    """Build (or bring up to date) the static site of a vault; returns what was rendered and written."""
    output, cache = site_paths(vault_root, read_only, out)
    return SiteBuilder(vault_root, output, cache, read_only=read_only).build(clean=clean)
