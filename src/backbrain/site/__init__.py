"""The static site: `backbrain build` publishes a vault as HTML, `backbrain serve` keeps it live.

The core lives here and knows nothing of HTTP (backbrain.web serves what this package writes).
See docs/site.md for the pages, the build cache and the search index.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from backbrain.site.build.builder import BuildReport, SiteBuilder

__all__ = ["BuildReport", "SiteBuilder", "build_site", "site_cache_dir", "site_paths"]


def site_paths(vault_root: Path, read_only: bool, out: Path | None = None, purpose: str = "site") -> tuple[Path, Path]:
    """(output folder, build-cache file) for a vault.

    The output of a writable vault defaults to VAULT/.backbrain/PURPOSE; the bundled starter is
    read-only, so its default output goes to the user's cache folder. The build cache (manifest and
    saved state) is always in the user's cache folder, keyed by the vault's resolved path: a vault
    is data someone else may have written, and a cache it shipped would be trusted by the builder.
    """
    root = Path(vault_root).resolve()
    cache = site_cache_dir(root)
    output = Path(out).resolve() if out else (cache if read_only else root / ".backbrain") / purpose
    key = hashlib.blake2b(str(output).encode(), digest_size=6).hexdigest()
    return output, cache / "site-cache" / f"{output.name}-{key}.json"


def site_cache_dir(vault_root: Path) -> Path:
    """This vault's folder in the user's cache (platformdirs), named after the vault and a hash of its path."""
    import platformdirs

    root = Path(vault_root).resolve()
    tag = hashlib.blake2b(str(root).encode(), digest_size=6).hexdigest()
    return Path(platformdirs.user_cache_dir("backbrain")) / "vaults" / f"{root.name or 'vault'}-{tag}"


def build_site(
    vault_root: Path, out: Path | None = None, *, read_only: bool = False, clean: bool = False
) -> BuildReport:
    """Build (or bring up to date) the static site of a vault; returns what was rendered and written."""
    output, cache = site_paths(vault_root, read_only, out)
    return SiteBuilder(vault_root, output, cache, read_only=read_only).build(clean=clean)
