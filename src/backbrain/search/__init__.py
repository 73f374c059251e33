"""Search over a vault: the query builder, ranking and more-like-this on top of backbrain.search.store.

Attributes are imported lazily so that backbrain.search.store can import backbrain.search.documents
without a cycle, and `backbrain search` imports only what a query needs.
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "search": "backbrain.search.engine",
    "SearchHit": "backbrain.search.engine",
    "SearchResult": "backbrain.search.engine",
    "RankConfig": "backbrain.search.engine",
    "related": "backbrain.search.related",
    "RelatedHit": "backbrain.search.related",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'backbrain.search' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
