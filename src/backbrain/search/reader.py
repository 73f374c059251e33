"""Reading changed note files into index documents, in a process pool when there are many.

Parsing is the cost of a cold index (the Python side of pyromark's event walk, then YAML). Unlike
loading a whole vault, where pickling parsed notes back measured slower than parsing them (see
docs/design.md), a worker here returns only the flat strings the index stores, so two processes
cut a 10,000-note build by about a third (docs/benchmarks.md, "Search"). Small changes stay
in-process: starting workers costs more than parsing a few files.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from backbrain.core.location import NoteFile
from backbrain.core.parallel import ordered_map
from backbrain.search.documents import Doc, content_hash, doc_from_note, trusted_mtime

if TYPE_CHECKING:
    from backbrain.core.schema import Config

POOL_THRESHOLD = 400  # files to parse before a worker pool pays for itself
CHUNK = 50


@dataclass(frozen=True)
class Touched:
    """A file whose stat changed but whose content hash did not: only its stat is updated."""

    rel: str
    mtime_ns: int
    size: int


Job = tuple[NoteFile, "str | None", int]  # the file, the hash the index has for it, "now" in ns
_config_cache: dict[str, Config] = {}


def read_changed(root: Path, jobs: list[Job]) -> Iterator[Doc | Touched]:
    """Docs for files whose content changed, Touched for the rest; unreadable files are skipped."""
    tasks = [(str(root), job) for job in jobs]
    for result in ordered_map(_read, tasks, min_items=POOL_THRESHOLD, chunksize=CHUNK):
        if result is not None:
            yield result


def _read(task: tuple[str, Job]) -> Doc | Touched | None:
    root, (stat, stored_hash, now_ns) = task
    try:
        raw = Path(stat.path).read_bytes()
    except OSError:
        return None  # vanished between scan and read; the next sync removes it
    mtime = trusted_mtime(stat.mtime_ns, now_ns)
    digest = content_hash(raw)
    if stored_hash == digest:
        return Touched(stat.rel, mtime, stat.size)
    from backbrain.core.note import parse_note
    from backbrain.core.schema import PLAIN_NOTE

    config = _config(root)
    note = parse_note(Path(stat.path), stat.rel, raw, config.type_for_folder(stat.rel) or PLAIN_NOTE)
    return doc_from_note(note, config, mtime, stat.size, digest)


def _config(root: str) -> Config:
    config = _config_cache.get(root)
    if config is None:
        from backbrain.core.schema import load_config

        config = _config_cache[root] = load_config(Path(root))
    return config


def reset_config(root: Path) -> None:
    """Forget a cached configuration (backbrain.toml changed, or a new sync starts)."""
    _config_cache.pop(str(root), None)


def now_ns() -> int:
    return time.time_ns()
