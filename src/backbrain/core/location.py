"""Where a vault is and which of its files count: discovery and scanning, with nothing heavy imported.

`backbrain.core.vault` (which parses notes) and the search index (which must decide "nothing changed"
from `stat()` alone, in a fresh process, in a few tens of milliseconds) both need the same two
rules, so they live here once: how a vault is found (`--vault`, `$BACKBRAIN_VAULT`, a
`backbrain.toml` above the cwd, then the bundled read-only starter) and which files under it are
notes or attachments (tool, dot and symlinked folders are skipped, and what `.gitignore` excludes).

Only the standard library and backbrain.errors are imported at module level; pathspec is imported
by the function that reads a `.gitignore`, so a vault without one never pays for it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from backbrain.errors import NotFoundError, RefusedError

if TYPE_CHECKING:
    import pathspec

VAULT_ENV = "BACKBRAIN_VAULT"
CONFIG_FILE = "backbrain.toml"
IGNORED_DIRS = frozenset({".obsidian", ".git", "node_modules", ".backbrain", ".venv", "__pycache__", ".trash"})
# Top-level folders that hold backbrain's records, not notes: the journal is the user's append-only
# data (JSONL, drill answers), so a Markdown file there must never be loaded, checked or published.
DATA_DIRS = frozenset({"journal"})
NOTE_SUFFIXES = frozenset({".md", ".markdown"})


def starter_root() -> Path:
    """The bundled starter knowledge base (read-only: it lives inside the installed package)."""
    return Path(__file__).resolve().parents[1] / "starter"


@dataclass(frozen=True)
class VaultLocation:
    root: Path
    read_only: bool
    source: str  # "option", "env", "walk-up" or "starter": how it was found, for messages

    def require_writable(self, action: str) -> None:
        if self.read_only:
            raise RefusedError(
                f"Cannot {action}: the bundled starter knowledge base is read-only.",
                hint="Make your own with `backbrain init DIR --starter` and pass `--vault DIR` "
                f"(or set {VAULT_ENV}=DIR, or run from inside DIR).",
            )


def locate_vault(explicit: Path | str | None = None, cwd: Path | None = None) -> VaultLocation:
    """--vault DIR, then $BACKBRAIN_VAULT, then a backbrain.toml above the cwd, then the starter."""
    if explicit:
        return VaultLocation(_existing_dir(Path(explicit), "--vault"), is_starter(Path(explicit)), "option")
    env = os.environ.get(VAULT_ENV)
    if env:
        return VaultLocation(_existing_dir(Path(env), VAULT_ENV), is_starter(Path(env)), "env")
    start = (cwd or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_FILE).is_file():
            return VaultLocation(folder, is_starter(folder), "walk-up")
    return VaultLocation(starter_root(), True, "starter")


def _existing_dir(path: Path, origin: str) -> Path:
    if not path.is_dir():
        raise NotFoundError(
            f"{origin}: {path} is not a folder.",
            hint="Create a knowledge base with `backbrain init DIR`, or point to an existing one.",
        )
    return path.resolve()


def is_starter(path: Path) -> bool:
    return path.resolve() == starter_root()


# -- scanning -------------------------------------------------------------------------------------
class NoteFile(NamedTuple):
    """A note file as found on disk, with the stat the search index compares (a tuple: cheap to make)."""

    rel: str
    path: str
    mtime_ns: int
    size: int


def is_note_name(name: str) -> bool:
    dot = name.rfind(".")
    return dot > 0 and name[dot:].lower() in NOTE_SUFFIXES


def scan_files(root: Path) -> tuple[list[tuple[Path, str]], list[str]]:
    """Note files and attachments under root, skipping tool folders and what .gitignore excludes."""
    notes: list[tuple[Path, str]] = []
    attachments: list[str] = []
    for folder, rel_folder, files in walk_folders(root):
        for entry in files:
            name = entry.name
            if is_note_name(name):
                notes.append((Path(folder, name), rel_folder + name))
            else:
                attachments.append(rel_folder + name)
    return notes, attachments


def scan_notes(root: Path) -> list[NoteFile]:
    """The note files of scan_files, in the same order, with their mtime and size (files that vanish
    or cannot be stat'ed are left out).

    This is the whole freshness check of a search on an unchanged vault, so it is written for
    speed: one stat per note file relative to its open folder, no Path objects, the suffix test
    inlined (is_note_name). Every file is stat'ed because a folder's mtime does not change when a
    file in it is edited in place.
    """
    found: list[NoteFile] = []
    append = found.append
    for folder, rel_folder, files in walk_folders(root):
        prefix = folder + os.sep
        for entry in files:
            name = entry.name
            dot = name.rfind(".")
            if dot > 0 and name[dot:].lower() in NOTE_SUFFIXES:
                try:
                    st = entry.stat()
                except OSError:
                    continue
                append(NoteFile(rel_folder + name, prefix + name, st.st_mtime_ns, st.st_size))
    return found


def walk_folders(root: Path) -> Iterator[tuple[str, str, list[os.DirEntry[str]]]]:
    """(folder path, its path relative to root ending in '/' or '', the files in it that count) for
    every folder that counts, depth first in name order (a folder's files before its subfolders).

    Skipped: dot files and folders, IGNORED_DIRS, symlinked folders (never followed out of, or in
    loops inside, the vault), symlinked files that point outside the vault, the top-level DATA_DIRS,
    and .gitignore matches.
    Where the platform allows, a folder is listed through an open descriptor, so that a file's
    stat() (while the folder's files are being handled) does not walk the whole path again.
    """
    spec = _gitignore(root)
    pending: list[tuple[str, str]] = [(os.fspath(root), "")]
    while pending:
        folder, rel_folder = pending.pop()
        try:
            handle: int | str = os.open(folder, _DIR_FLAGS) if _LIST_BY_FD else folder
        except OSError:
            continue
        try:
            try:
                with os.scandir(handle) as listing:
                    entries = sorted(listing, key=_name)
            except OSError:
                continue
            subfolders: list[tuple[str, str]] = []
            files: list[os.DirEntry[str]] = []
            for entry in entries:
                name = entry.name
                if name[0] == ".":
                    continue
                rel = rel_folder + name
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
                if is_dir:
                    if name in IGNORED_DIRS or entry.is_symlink() or (not rel_folder and name in DATA_DIRS):
                        continue
                    if spec is None or not spec.match_file(rel + "/"):
                        subfolders.append((os.path.join(folder, name), rel + "/"))
                    continue
                if spec is not None and spec.match_file(rel):
                    continue
                if entry.is_symlink() and not _inside(Path(folder, name), root):
                    continue
                files.append(entry)
            yield folder, rel_folder, files
        finally:
            if isinstance(handle, int):
                os.close(handle)
        pending.extend(reversed(subfolders))  # depth first, in name order


_LIST_BY_FD = os.scandir in os.supports_fd
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)


def _name(entry: os.DirEntry[str]) -> str:
    return entry.name


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except (ValueError, OSError):
        return False
    return True


def _gitignore(root: Path) -> pathspec.PathSpec | None:
    path = root / ".gitignore"
    if not path.is_file():
        return None
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    import pathspec  # only vaults with a .gitignore pay for it

    return pathspec.PathSpec.from_lines("gitignore", lines)
