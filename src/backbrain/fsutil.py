"""Atomic, durable file writes.

Every write in backbrain goes through here so that a crash or SIGKILL mid-write leaves either the
old file or the new one, never a torn mix: write a temporary file in the same directory, fsync it,
rename it over the target, then fsync the directory so the rename itself survives power loss.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def atomic_write_bytes(path: Path, data: bytes, *, exclusive: bool = False) -> None:
    """Replace `path` with `data` atomically; with `exclusive`, refuse if it already exists."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, _mode_for(path))
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if exclusive:
            # link() fails if the target exists, so two writers can never both "create" a note.
            os.link(tmp, path)
            os.unlink(tmp)
        else:
            os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def _mode_for(path: Path) -> int:
    """Keep an existing file's permissions; a new file gets what the umask allows (mkstemp uses 0600)."""
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write_text(path: Path, text: str, *, exclusive: bool = False) -> None:
    """Text variant of atomic_write_bytes; UTF-8 and no newline translation (CRLF survives)."""
    atomic_write_bytes(path, text.encode("utf-8"), exclusive=exclusive)


def append_line_durably(path: Path, line: str) -> None:
    """Append one line to an append-only log and fsync it before returning.

    A single write() of a line opened with O_APPEND is what keeps concurrent appenders from
    interleaving; readers skip a torn last line, so a crash loses at most the event in flight.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (line.rstrip("\n") + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        if os.fstat(fd).st_size and not _ends_with_newline(path):
            data = b"\n" + data  # a previous crash left a torn line; keep it isolated
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"


def fsync_dir(directory: Path) -> None:
    """fsync a directory so a rename into it is durable (no-op where unsupported)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
