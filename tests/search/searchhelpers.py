"""Shared by the search tests: a small typed vault, and keeping the starter's index out of the real cache."""

from __future__ import annotations

from pathlib import Path

from conftest import failure, pattern, write_vault

from backbrain.search.store import SearchIndex, index_path

NOTES = {
    "04_failure-modes/cache-stampede.md": failure(
        "Cache stampede",
        aliases=["dogpile effect"],
        tags=["caching"],
        summary="A hot key expires and every request recomputes it at once.",
        progress="in-progress",
    ),
    "04_failure-modes/db-connection-exhaustion.md": failure(
        "Database connection exhaustion", aliases=["too many connections"], tags=["databases"]
    ),
    "01_patterns/request-coalescing.md": pattern(
        "Request coalescing", aliases=["singleflight"], tags=["caching"], mitigates=["cache-stampede"]
    ),
    "01_patterns/bulkhead.md": pattern("Bulkhead", tags=["isolation"], mitigates=["db-connection-exhaustion"]),
    "notes/scratch.md": "# Scratch\n\nSee [[cache-stampede]] and [[bulkhead]]. Zebra crossing.\n",
}


def make_search_vault(tmp_path: Path) -> Path:
    return write_vault(tmp_path / "vault", dict(NOTES))


def open_synced(root: Path) -> SearchIndex:
    index = SearchIndex(root, index_path(root, read_only=False))
    index.sync()
    return index
