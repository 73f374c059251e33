"""What the server knows: the vault loaded once, with the editor's open buffers laid over its files.

Every buffer edit is recorded at once (cheap) and applied to the vault on `sync()`, which the
debounced diagnostics and every request that reads the graph call first. Applying goes through the
core's `Vault.with_text`, so an edit that keeps a note's id, title, aliases and relations costs one
note's parse and link resolution, not a reload.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pygls.uris import from_fs_path, to_fs_path
from pygls.workspace.position_codec import PositionCodec
from rapidfuzz import utils

from backbrain.core.location import is_note_name
from backbrain.core.note import Note
from backbrain.core.vault import Vault, load_vault
from backbrain.lsp.text import Text


@dataclass(frozen=True)
class Entry:
    """One note as completion and workspace symbols list it."""

    id: str
    title: str
    type: str
    rel: str
    aliases: tuple[str, ...]
    summary: str

    @property
    def search_text(self) -> str:
        return " ".join((self.id, self.title, *self.aliases))


@dataclass
class Catalog:
    """The vault's names, built once per change of what names exist (not per keystroke)."""

    entries: list[Entry]
    tags: list[str]
    search_texts: list[str] = field(init=False)  # each entry's names, lowercased for fuzzy matching

    def __post_init__(self) -> None:
        self.search_texts = [utils.default_process(entry.search_text) for entry in self.entries]

    @classmethod
    def of(cls, vault: Vault) -> Catalog:
        entries = [
            Entry(n.id, n.title, n.type, n.rel, tuple(n.aliases), n.summary)
            for n in sorted(vault.notes.values(), key=lambda n: n.title.lower())
        ]
        tags = sorted({tag for note in vault.notes.values() for tag in note.tags})
        return cls(entries, tags)


class Session:
    """The vault and the open buffers of one editor connection."""

    def __init__(self, vault: Vault, codec: PositionCodec | None = None) -> None:
        self.vault = vault
        self.codec = codec or PositionCodec()  # the position encoding agreed with the editor
        # The file operations the editor applies inside a workspace edit (LSP resourceOperations);
        # the server sets them from the client's capabilities (Emacs 28's eglot has none).
        self.file_operations: frozenset[str] = frozenset({"create", "rename", "delete"})
        self.root = vault.root
        self.buffers: dict[str, str] = {}  # rel -> text of every open note
        self._dirty: set[str] = set()
        self._catalog: Catalog | None = None
        self._by_rel: tuple[int, dict[str, Note]] | None = None

    @classmethod
    def load(cls, root: Path) -> Session:
        return cls(load_vault(root))

    # -- paths -----------------------------------------------------------------------------------
    def rel_of(self, uri: str) -> str | None:
        """The vault-relative path of a note's URI; None for anything that is not a note of this vault."""
        path = to_fs_path(uri)
        if path is None:
            return None
        try:
            rel = Path(path).resolve().relative_to(self.root).as_posix()
        except (ValueError, OSError):
            return None
        return rel if is_note_name(Path(rel).name) and not rel.startswith("../") else None

    def uri_of(self, rel: str) -> str:
        return from_fs_path(str(self.root / rel)) or (self.root / rel).as_uri()

    # -- buffers -----------------------------------------------------------------------------------
    def edit(self, rel: str, text: str) -> None:
        """An open buffer's new text; applied to the vault by the next `sync()`."""
        if self.buffers.get(rel) != text:
            self.buffers[rel] = text
            self._dirty.add(rel)

    def close(self, rel: str) -> None:
        """A closed buffer: the vault reads the file on disk again (or drops a note never saved)."""
        self.buffers.pop(rel, None)
        self._dirty.discard(rel)
        self._replace(self.vault.reindex([rel]))

    def files_changed(self, rels: list[str]) -> None:
        """Files changed on disk (saved, created, deleted, renamed): re-read all but the open buffers."""
        closed = [rel for rel in rels if rel not in self.buffers]
        if closed:
            self._replace(self.vault.reindex(closed))
            self._dirty |= {rel for rel in self.buffers if self.note(rel) is None}

    def sync(self) -> set[str]:
        """Apply every pending buffer edit to the vault; returns the paths that changed."""
        applied = set(self._dirty)
        for rel in sorted(self._dirty):
            before = self.note(rel)
            self.vault = self.vault.with_text(rel, self.buffers[rel])
            self._by_rel = None
            after = self.note(rel)
            if before is None or after is None or _names(before) != _names(after):
                self._catalog = None
        self._dirty.clear()
        return applied

    def _replace(self, vault: Vault) -> None:
        self.vault, self._catalog, self._by_rel = vault, None, None

    # -- reading -----------------------------------------------------------------------------------
    def note(self, rel: str) -> Note | None:
        """The note at a vault-relative path as the vault has it (after the last `sync()`)."""
        if self._by_rel is None or self._by_rel[0] != id(self.vault):
            self._by_rel = (id(self.vault), {note.rel: note for note in self.vault.files})
        return self._by_rel[1].get(rel)

    def text(self, rel: str) -> str:
        """A note's current text: the open buffer, else the file (undecodable bytes replaced)."""
        if rel in self.buffers:
            return self.buffers[rel]
        try:
            return (self.root / rel).read_bytes().decode("utf-8", "replace")
        except OSError:
            return ""

    def text_of(self, rel: str) -> Text:
        """A note's current text with positions in the editor's units: every range the server sends
        for any note (not only the one the request came from) must use them, or an editor that
        counts UTF-8 bytes (Neovim) puts them in the wrong column after a non-ASCII character."""
        return Text(self.text(rel), self.codec)

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            self._catalog = Catalog.of(self.vault)
        return self._catalog


def _names(note: Note) -> tuple[object, ...]:
    return (note.id, note.title, note.type, tuple(note.aliases), note.summary, tuple(note.tags))
