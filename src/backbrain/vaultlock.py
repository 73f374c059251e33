"""One writer at a time per vault, and multi-file updates that finish even after a SIGKILL.

Two `progress set` runs on one note used to read the same old text and both write, so one change
(and the journal's `from` chain) was silently lost. Every read-modify-write of notes and journals
now runs under `vault_lock(root)`: an exclusive `fcntl.flock` on `.backbrain/lock` (opened with
O_NOFOLLOW inside the vault, like every write, see backbrain.fsutil).

An update that touches more than one file (a progress change is the note plus its journal event; a
supersede is two notes; `mv` moves a note and rewrites the links to it) is an `Update`, applied with
one intent log: the whole plan (each file's old hash, or none for a file it creates, and its new
text, or none for a file it removes; each journal line) is written atomically to
`.backbrain/intent.json` first, then applied, then the intent is deleted. Before the intent is
written every file is compared with the text the plan was made from, so a file edited in between
refuses the whole update. A process killed in between leaves the intent behind, and the next command
that opens the vault finishes it (`recover`) before doing anything else: a file still as planned
(its old text, or absent for a creation) gets its new text or is removed, and a journal line not yet
written is appended (each line carries the update's `op` id, so it is never appended twice).
Temporary files of killed writers are removed at the same moment.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from backbrain.errors import RefusedError
from backbrain.fsutil import (
    UnsafePathError,
    append_line_durably,
    atomic_write_bytes,
    check_file_target,
    fsync_dir,
    open_folder,
    relative_parts,
    remove_file,
    remove_stale_temp_files,
)

STATE_DIR = ".backbrain"
LOCK_FILE = "lock"
INTENT_FILE = "intent.json"
INTENT_FORMAT = 1
JOURNAL_TAIL_BYTES = 1 << 20  # how far back a replay looks for an already-written journal line
_held: dict[Path, int] = {}  # vault root -> nesting depth of the lock in this process


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Update:
    """A set of file changes and journal appends that must all happen (or none, before the intent)."""

    root: Path
    op: str = field(default_factory=lambda: secrets.token_hex(8))
    # (path, old bytes or None for a file that must not exist yet, new bytes or None to remove it)
    files: list[tuple[Path, bytes | None, bytes | None]] = field(default_factory=list)
    lines: list[tuple[Path, str]] = field(default_factory=list)  # (journal file, JSON line with "op")

    def rewrite(self, path: Path, old: bytes, new: bytes) -> None:
        if old != new:
            self.files.append((Path(path), old, new))

    def create(self, path: Path, new: bytes) -> None:
        self.files.append((Path(path), None, new))

    def remove(self, path: Path, old: bytes) -> None:
        self.files.append((Path(path), old, None))

    def append(self, journal_file: Path, record: dict[str, object]) -> None:
        line = json.dumps({**record, "op": self.op}, ensure_ascii=False, separators=(",", ":"))
        self.lines.append((Path(journal_file), line))

    def to_json(self) -> dict[str, object]:
        return {
            "format": INTENT_FORMAT,
            "op": self.op,
            "files": [
                {
                    "rel": _rel(path, self.root),
                    "old": None if old is None else _sha(old),
                    "new": None if new is None else new.decode("utf-8"),
                }
                for path, old, new in self.files
            ],
            "lines": [{"rel": _rel(path, self.root), "line": line} for path, line in self.lines],
        }


def _rel(path: Path, root: Path) -> str:
    return "/".join(relative_parts(path, root)[1])


@contextlib.contextmanager
def vault_lock(root: Path) -> Iterator[None]:
    """Hold the vault's exclusive write lock (re-entrant within a process); finishes a pending update."""
    root = Path(root)
    key = Path(os.path.abspath(root))
    if _held.get(key):
        _held[key] += 1
        try:
            yield
        finally:
            _held[key] -= 1
        return
    with open_folder(root / STATE_DIR, root) as dir_fd:
        try:
            fd = os.open(LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644, dir_fd=dir_fd)
        except OSError as exc:
            if exc.errno != errno.ELOOP:
                raise
            raise RefusedError(
                f"{root / STATE_DIR / LOCK_FILE} is a symlink; refusing to use it as the vault's lock.",
                hint="Delete it; backbrain creates the lock file itself.",
            ) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        _held[key] = 1
        try:
            _recover_locked(root)
            yield
        finally:
            _held.pop(key, None)
    finally:
        os.close(fd)  # releases the flock


def apply(update: Update) -> None:
    """Check every file is as planned, write the intent, apply every change (creations and rewrites
    first, removals last: a link never points at nothing), delete the intent (call under vault_lock)."""
    if not update.files and not update.lines:
        return
    for path in [path for path, _old, _new in update.files] + [path for path, _line in update.lines]:
        check_file_target(path, root=update.root)  # refuse a symlink before anything is written
    for path, old, _new in update.files:
        if _read(path) != old:
            raise RefusedError(
                f"{_rel(path, update.root)} changed since this change was planned; nothing was changed.",
                hint="Run the command again.",
            )
    intent = Path(update.root) / STATE_DIR / INTENT_FILE
    atomic_write_bytes(intent, json.dumps(update.to_json()).encode("utf-8"), root=update.root)
    for path, _old, new in update.files:
        if new is not None:
            atomic_write_bytes(path, new, root=update.root)
    for path, _old, new in update.files:
        if new is None and remove_file(path, root=update.root):
            fsync_dir(path.parent)
    for path, line in update.lines:
        append_line_durably(path, line, root=update.root)
    remove_file(intent, root=update.root)


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def recover(root: Path) -> int | None:
    """Finish an update a killed process left half-done, if any (cheap when there is none); returns how
    many of its files it changed, or None when there was nothing to finish."""
    root = Path(root)
    if not os.path.lexists(root / STATE_DIR / INTENT_FILE):
        return None
    with vault_lock(root):  # vault_lock recovers on entry
        return _recovered.pop(Path(os.path.abspath(root)), 0)


_recovered: dict[Path, int] = {}  # vault root -> files the last recovery changed (for recover's caller)


def _recover_locked(root: Path) -> None:
    intent = root / STATE_DIR / INTENT_FILE
    try:
        data = json.loads(intent.read_bytes()) if not intent.is_symlink() else None
    except FileNotFoundError:
        data = None
    except (OSError, ValueError):
        data = None
    if isinstance(data, dict) and data.get("format") == INTENT_FORMAT:
        _recovered[Path(os.path.abspath(root))] = _replay(root, data)
    if os.path.lexists(intent):
        remove_file(intent, root=root)
    _sweep_temp_files(root, data)


def _replay(root: Path, data: dict[str, object]) -> int:
    """Roll an interrupted update forward: files still as they were get their new text (or are
    removed), journal lines not yet written are appended; returns how many files changed."""
    changed = 0
    files = _items(data, "files")
    for item in sorted(files, key=lambda item: item.get("new") is None):  # removals last, as apply does
        path = root / str(item.get("rel"))
        old, new = item.get("old"), item.get("new")
        try:
            relative_parts(path, root)  # an intent is vault data: it never names a file outside
            current = _read(path)
        except (UnsafePathError, OSError):  # outside, a folder, unreadable: not a file it planned on
            continue
        as_planned = current is None if old is None else current is not None and _sha(current) == old
        if not as_planned:
            continue  # already done, or changed since: never overwrite what we did not plan on
        if new is None:
            changed += remove_file(path, root=root)
        elif current != str(new).encode("utf-8"):
            atomic_write_bytes(path, str(new).encode("utf-8"), root=root)
            changed += 1
    op = str(data.get("op", ""))
    for item in _items(data, "lines"):
        if op:
            path = root / str(item.get("rel"))
            if not _has_op(path, op):
                append_line_durably(path, str(item.get("line", "")), root=root)
    return changed


def _items(data: dict[str, object], key: str) -> list[dict[str, object]]:
    value = data.get(key)
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _has_op(path: Path, op: str) -> bool:
    """True when the journal file already holds a line of update `op` (looks at its recent tail)."""
    needle = f'"op":"{op}"'.encode()
    try:
        with open(path, "rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - JOURNAL_TAIL_BYTES))
            return needle in handle.read()
    except OSError:
        return False


def _sweep_temp_files(root: Path, data: object) -> None:
    """Temporary files of killed writers: in .backbrain/ and in the folders the last update touched."""
    folders = {root / STATE_DIR, root / "journal"}
    if isinstance(data, dict):
        for key in ("files", "lines"):
            for item in _items(data, key):
                if isinstance(item.get("rel"), str):
                    folders.add((root / str(item["rel"])).parent)
    for folder in folders:
        remove_stale_temp_files(folder)
