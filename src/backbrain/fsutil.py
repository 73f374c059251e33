"""Atomic, durable, symlink-safe file writes: the only way backbrain writes a file.

A crash or SIGKILL mid-write must leave either the old file or the new one, never a torn mix: a
temporary file is written in the same folder, fsynced, renamed over the target, and the folder is
fsynced so the rename itself survives power loss.

A vault is untrusted input: someone else may have written it, and it can carry symlinks
(`journal -> ~/.ssh`, `.backbrain/index.sqlite -> ~/other.db`, a note linked to a file elsewhere).
So every write names the folder it must stay inside (`root`: the vault, or an output folder the
user chose) and the path is walked one folder at a time from there with `O_NOFOLLOW`, creating
missing folders on the way: a symlinked folder or a symlinked final file is refused (UnsafePathError)
instead of followed. The temporary file is created with `O_EXCL | O_NOFOLLOW` relative to the open
folder, and the rename happens relative to it too, so nothing is resolved twice.

Temporary files carry the writer's process id (`.NAME.PID-RANDOM.tmp`), so `remove_stale_temp_files`
can delete what a killed writer left without touching a live writer's file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path

from backbrain.errors import RefusedError

_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _CLOEXEC
_TEMP_NAME = re.compile(r"^\..+\.(?P<pid>\d+)-[0-9a-f]{12}\.tmp$")


class UnsafePathError(RefusedError):
    """A write that would go through a symlink or leave the folder it must stay in (exit 3)."""


def _unsafe(path: Path, why: str) -> UnsafePathError:
    return UnsafePathError(
        f"Refusing to write {path}: {why}.",
        hint="A knowledge base must not contain symlinks where backbrain writes (journal/, labs/, "
        ".backbrain/, note files); replace the symlink with a real folder or file.",
    )


def relative_parts(path: Path | str, root: Path | str) -> tuple[Path, tuple[str, ...]]:
    """(root as spelled, path's parts below it); refuses a path that is not strictly inside root."""
    root_abs = Path(os.path.abspath(root))
    target = Path(os.path.abspath(path))
    for base in (root_abs, root_abs.resolve()):
        with contextlib.suppress(ValueError):
            parts = target.relative_to(base).parts
            if parts:
                return base, parts
    raise _unsafe(Path(path), f"it is not inside {root}")


@contextlib.contextmanager
def open_folder(folder: Path | str, root: Path | str, *, create: bool = True) -> Iterator[int]:
    """An O_DIRECTORY descriptor of `folder`, reached from `root` without following any symlink.

    Missing folders are created on the way (with `create`). `folder` may be `root` itself.
    """
    base = Path(os.path.abspath(root))
    target = Path(os.path.abspath(folder))
    parts: tuple[str, ...] = ()
    if target not in (base, base.resolve()):
        base, parts = relative_parts(target, root)
    if create:
        os.makedirs(base, exist_ok=True)  # the root itself is trusted: the user named it (or it is ours)
    fd = os.open(base, _DIR_FLAGS)
    try:
        walked = base
        for part in parts:
            walked = walked / part
            child = _step(fd, part, walked, create)
            os.close(fd)
            fd = child
        yield fd
    finally:
        os.close(fd)


def _step(fd: int, part: str, walked: Path, create: bool) -> int:
    """Open the child folder `part` of the folder `fd`, refusing a symlink."""
    try:
        try:
            child = os.open(part, _DIR_FLAGS | _NOFOLLOW, dir_fd=fd)
        except FileNotFoundError:
            if not create:
                raise
            with contextlib.suppress(FileExistsError):
                os.mkdir(part, 0o777, dir_fd=fd)
            child = os.open(part, _DIR_FLAGS | _NOFOLLOW, dir_fd=fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR) and _is_symlink(fd, part):
            raise _unsafe(walked, "it is a symlink") from None
        raise OSError(exc.errno, exc.strerror, str(walked)) from None  # name the whole path, not the part
    return child


def _is_symlink(dir_fd: int, name: str) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def _existing(dir_fd: int, name: str, path: Path) -> os.stat_result | None:
    """The final component's lstat, or None when missing; refuses a symlink, a folder, a FIFO..."""
    try:
        info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(info.st_mode):
        raise _unsafe(path, "it is a symlink")
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(errno.EISDIR, "Is a directory (a file was expected)", str(path))
    if not stat.S_ISREG(info.st_mode):
        raise OSError(errno.EINVAL, "Not a regular file", str(path))
    return info


def ensure_folder(folder: Path | str, *, root: Path | str) -> Path:
    """mkdir -p `folder` inside `root`, refusing symlinked folders; returns `folder`."""
    with open_folder(folder, root):
        pass
    return Path(folder)


def check_file_target(path: Path | str, *, root: Path | str) -> Path:
    """Make sure `path`'s folder exists inside `root` and `path` is a regular file or missing.

    For files opened by other libraries (SQLite) that cannot be given O_NOFOLLOW.
    """
    path = Path(path)
    _, parts = relative_parts(path, root)
    with open_folder(path.parent, root) as fd:
        _existing(fd, parts[-1], path)
    return path


def atomic_write_bytes(path: Path | str, data: bytes, *, root: Path | str, exclusive: bool = False) -> None:
    """Replace `path` (inside `root`) with `data` atomically; with `exclusive`, refuse if it exists."""
    path = Path(path)
    _, parts = relative_parts(path, root)
    name = parts[-1]
    with open_folder(path.parent, root) as fd:
        existing = _existing(fd, name, path)
        if exclusive and existing is not None:
            raise FileExistsError(errno.EEXIST, "File exists", str(path))
        mode = stat.S_IMODE(existing.st_mode) if existing else _default_mode()
        temp = _write_temp(fd, name, data, mode)
        try:
            if exclusive:
                # link() fails if the target exists, so two writers can never both "create" a note.
                os.link(temp, name, src_dir_fd=fd, dst_dir_fd=fd, follow_symlinks=False)
                os.unlink(temp, dir_fd=fd)
            else:
                os.replace(temp, name, src_dir_fd=fd, dst_dir_fd=fd)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp, dir_fd=fd)
            raise
        _fsync_fd(fd)


def _write_temp(dir_fd: int, name: str, data: bytes, mode: int) -> str:
    """Write data to a fresh temporary file next to `name` (fsynced); returns its name."""
    temp = f".{name[:100]}.{os.getpid()}-{secrets.token_hex(6)}.tmp"
    handle = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, 0o600, dir_fd=dir_fd)
    try:
        os.fchmod(handle, mode)
        view = memoryview(data)
        while view:
            view = view[os.write(handle, view) :]
        os.fsync(handle)
    except BaseException:
        os.close(handle)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp, dir_fd=dir_fd)
        raise
    os.close(handle)
    return temp


def _default_mode() -> int:
    """What a new file gets: 0666 less the umask (as open() would give it)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write_text(path: Path | str, text: str, *, root: Path | str, exclusive: bool = False) -> None:
    """Text variant of atomic_write_bytes; UTF-8 and no newline translation (CRLF survives)."""
    atomic_write_bytes(path, text.encode("utf-8"), root=root, exclusive=exclusive)


def append_line_durably(path: Path | str, line: str, *, root: Path | str) -> None:
    """Append one line to an append-only log (inside `root`) and fsync it before returning.

    A single write() of a line opened with O_APPEND is what keeps concurrent appenders from
    interleaving; readers skip a torn last line, so a crash loses at most the event in flight.
    """
    path = Path(path)
    _, parts = relative_parts(path, root)
    data = (line.rstrip("\n") + "\n").encode("utf-8")
    with open_folder(path.parent, root) as dir_fd:
        _existing(dir_fd, parts[-1], path)
        flags = os.O_RDWR | os.O_CREAT | os.O_APPEND | _NOFOLLOW | _CLOEXEC
        try:
            fd = os.open(parts[-1], flags, 0o644, dir_fd=dir_fd)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise _unsafe(path, "it is a symlink") from None
            raise
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            data = b"\n" + data  # a previous crash left a torn line; keep it isolated
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale_temp_files(folder: Path | str) -> list[Path]:
    """Delete temporary files in `folder` left by writers that are no longer running."""
    removed: list[Path] = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        match = _TEMP_NAME.match(name)
        if match is None or _alive(int(match["pid"])):
            continue
        path = Path(folder, name)
        with contextlib.suppress(OSError):
            if stat.S_ISREG(os.lstat(path).st_mode):
                path.unlink()
                removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def _fsync_fd(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.fsync(fd)


def fsync_dir(directory: Path | str) -> None:
    """fsync a directory so a rename into it is durable (no-op where unsupported)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        _fsync_fd(fd)
    finally:
        os.close(fd)


def remove_file(path: Path | str, *, root: Path | str) -> bool:
    """Delete `path` (inside `root`) if it exists, without following a symlinked folder; True if removed.

    A symlink as the final component is removed itself (unlink never follows it).
    """
    path = Path(path)
    _, parts = relative_parts(path, root)
    try:
        with open_folder(path.parent, root, create=False) as fd:
            os.unlink(parts[-1], dir_fd=fd)
    except FileNotFoundError:
        return False
    return True
