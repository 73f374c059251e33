"""A vault: a folder of notes loaded into a typed graph of ids, aliases, relations and backlinks.

Link resolution never touches the file system: a `[[../../etc/passwd]]` is just a string that
matches no note, so a hostile link can at worst be reported as broken.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import posixpath
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backbrain.errors import NotFoundError

# Discovery and scanning live in backbrain.location (light to import); re-exported for existing callers.
from backbrain.location import IGNORED_DIRS as IGNORED_DIRS
from backbrain.location import NOTE_SUFFIXES as NOTE_SUFFIXES
from backbrain.location import VAULT_ENV as VAULT_ENV
from backbrain.location import VaultLocation as VaultLocation
from backbrain.location import is_starter
from backbrain.location import locate_vault as locate_vault
from backbrain.location import scan_files as scan_files
from backbrain.location import starter_root as starter_root
from backbrain.note import Link, Note, parse_note, slugify
from backbrain.schema import PLAIN_NOTE, RELATION_KEYS, RELATIONS, Config, load_config


@dataclass
class Edge:
    source: str
    kind: str  # canonical relation name (mitigates, uses, risks, affects, supersedes, related)
    target: str
    declared_by: str  # the note whose front matter holds it
    line: int


@dataclass
class UnresolvedRelation:
    note: Note
    key: str
    value: str
    line: int


@dataclass
class Backlink:
    source: str
    line: int
    context: str


@dataclass
class Vault:
    root: Path
    config: Config
    read_only: bool = False
    files: list[Note] = field(default_factory=list)  # every note file, duplicates included
    notes: dict[str, Note] = field(default_factory=dict)  # id -> first note with that id
    attachments: dict[str, str] = field(default_factory=dict)  # lowercased name/rel -> rel
    edges: list[Edge] = field(default_factory=list)
    unresolved_relations: list[UnresolvedRelation] = field(default_factory=list)
    _lookup: dict[str, str] = field(default_factory=dict)
    _edges_of: dict[str, list[Edge]] = field(default_factory=dict)
    _incoming: dict[str, list[tuple[Note, Link]]] = field(default_factory=dict)

    # -- resolution ---------------------------------------------------------------------------
    def resolve(self, target: str) -> Note | None:
        """A note by id, path, file name, alias or title (the ways Obsidian users link)."""
        key = normalize_target(target)
        if key is None:
            return None
        note_id = self._lookup.get(key) or self._lookup.get(slugify(key))
        return self.notes.get(note_id) if note_id else None

    def resolve_attachment(self, target: str) -> str | None:
        key = normalize_target(target, keep_suffix=True)
        if key is None:
            return None
        return self.attachments.get(key) or self.attachments.get(posixpath.basename(key))

    def get(self, note_id: str) -> Note:
        note = self.resolve(note_id)
        if note is None:
            raise NotFoundError(f"No note '{note_id}' in {self.root}.", hint=self._suggest(note_id))
        return note

    def _suggest(self, text: str) -> str:
        from rapidfuzz import process

        choices = {note.id: f"{note.id} {note.title}" for note in self.notes.values()}
        best = process.extract(text, choices, limit=3, score_cutoff=50)
        if best:
            return "Did you mean: " + ", ".join(match[2] for match in best) + "?"
        return "List the notes with `backbrain list`."

    # -- graph ----------------------------------------------------------------------------------
    def relations(self, note_id: str) -> dict[str, list[str]]:
        """Relation label -> ids, both declared and derived, e.g. {'mitigated-by': ['caching']}."""
        found: dict[str, list[str]] = {}
        for edge in self._edges_of.get(note_id, []):
            spec = RELATIONS[edge.kind]
            if edge.source == note_id:
                found.setdefault(spec.name, []).append(edge.target)
            if edge.target == note_id:
                found.setdefault(spec.inverse, []).append(edge.source)
        return {label: list(dict.fromkeys(ids)) for label, ids in found.items()}

    def backlinks(self, note_id: str) -> list[Backlink]:
        result = []
        for source, link in self._incoming.get(note_id, []):
            if source.id != note_id:
                result.append(Backlink(source.id, link.line, context_line(source, link.line)))
        return result

    def outgoing(self, note: Note) -> list[tuple[Link, Note | None]]:
        """Each wikilink with the note it resolved to at load time (None: broken, or an attachment)."""
        return [(link, self.notes.get(link.target_id) if link.target_id else None) for link in note.links]

    def neighbours(self, note_id: str) -> set[str]:
        """Every note connected to this one by a relation or a wikilink, either way."""
        edges = self._edges_of.get(note_id, [])
        linked = {edge.target for edge in edges} | {edge.source for edge in edges}
        linked |= {source.id for source, _ in self._incoming.get(note_id, [])}
        note = self.notes.get(note_id)
        if note:
            linked |= {target.id for _, target in self.outgoing(note) if target}
        linked.discard(note_id)
        return linked

    def by_type(self, type_name: str) -> list[Note]:
        return sorted((n for n in self.notes.values() if n.type == type_name), key=lambda n: n.title.lower())


def normalize_target(target: str, keep_suffix: bool = False) -> str | None:
    """A link target as a lookup key; None when it points outside the vault."""
    text = target.strip().replace("\\", "/")
    if not text:
        return None
    if not keep_suffix and text.lower().endswith(".md"):
        text = text[:-3]
    if "/" in text:
        text = posixpath.normpath(text.lstrip("/"))
        if text.startswith("..") or text == ".":
            return None
    return text.lower()


def is_attachment(target: str) -> bool:
    suffix = posixpath.splitext(target)[1].lower()
    return bool(suffix) and suffix not in NOTE_SUFFIXES and len(suffix) <= 6 and " " not in suffix


def context_line(note: Note, line: int) -> str:
    """The text of a body line, for backlink snippets."""
    lines = note.body.splitlines()
    index = line - note.body_line
    if 0 <= index < len(lines):
        return " ".join(lines[index].strip().lstrip("-*>#0123456789. ").split())[:300]
    return ""


# -- loading ------------------------------------------------------------------------------------
def load_vault(root: Path | str, *, read_only: bool | None = None, config: Config | None = None) -> Vault:
    root = Path(root).resolve()
    config = config or load_config(root)
    files, attachments = scan_files(root)
    vault = Vault(root=root, config=config, read_only=is_starter(root) if read_only is None else read_only)
    vault.files = parse_files(files, config)
    for rel in attachments:
        vault.attachments.setdefault(rel.lower(), rel)
        vault.attachments.setdefault(posixpath.basename(rel).lower(), rel)
    _index(vault)
    return vault


def open_vault(explicit: Path | str | None = None) -> Vault:
    location = locate_vault(explicit)
    return load_vault(location.root, read_only=location.read_only)


PARALLEL_MIN_FILES = 2000  # below this, starting a second process costs more than it saves


def parse_files(files: list[tuple[Path, str]], config: Config) -> list[Note]:
    """Parse every file; on big vaults one forked worker parses the second half meanwhile.

    Measured on 10,000 notes: parsing is CPU-bound Python (~2 s), sending parsed notes back is
    cheap once a note carries its text only once, so two cores nearly halve the wall time.
    """
    if len(files) < PARALLEL_MIN_FILES or (os.cpu_count() or 1) < 2 or "fork" not in mp.get_all_start_methods():
        return [_parse_file(path, rel, config) for path, rel in files]
    half = len(files) // 2
    with mp.get_context("fork").Pool(1) as pool:
        second = pool.apply_async(_parse_chunk, (files[half:], config))
        first = [_parse_file(path, rel, config) for path, rel in files[:half]]
        return first + second.get()


def _parse_chunk(files: list[tuple[Path, str]], config: Config) -> list[Note]:
    return [_parse_file(path, rel, config) for path, rel in files]


def _parse_file(path: Path, rel: str, config: Config) -> Note:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raw = f"\x00unreadable: {exc.strerror}".encode()
    return parse_note(path, rel, raw, config.type_for_folder(rel) or PLAIN_NOTE)


def _index(vault: Vault) -> None:
    for note in vault.files:
        vault.notes.setdefault(note.id, note)
    _build_lookup(vault)
    for note in vault.notes.values():
        _collect_edges(vault, note)
    for note in vault.files:  # duplicates too, so their links are checked like any other
        for link in note.links:
            target = None if link.embed and is_attachment(link.target) else vault.resolve(link.target)
            if target is not None:
                link.target_id = target.id
                vault._incoming.setdefault(target.id, []).append((note, link))
    _dedupe_edges(vault)


def _build_lookup(vault: Vault) -> None:
    tiers: list[Iterable[tuple[str, str]]] = [
        ((n.id.lower(), n.id) for n in vault.notes.values()),
        ((n.rel.lower(), n.id) for n in vault.notes.values()),
        ((n.rel.rsplit(".", 1)[0].lower(), n.id) for n in vault.notes.values()),
        ((Path(n.rel).stem.lower(), n.id) for n in vault.notes.values()),
        ((alias.lower(), n.id) for n in vault.notes.values() for alias in n.aliases),
        ((slugify(alias), n.id) for n in vault.notes.values() for alias in n.aliases),
        ((n.title.lower(), n.id) for n in vault.notes.values()),
        ((slugify(n.title), n.id) for n in vault.notes.values()),
    ]
    for tier in tiers:
        for key, note_id in tier:
            if key:
                vault._lookup.setdefault(key, note_id)


def relation_values(value: Any) -> list[str]:
    """Front matter relation values as strings; `[[id]]` brackets are tolerated."""
    items = value if isinstance(value, list) else [value] if isinstance(value, str) else []
    cleaned = []
    for item in items:
        if isinstance(item, (str, int)) and str(item).strip():
            cleaned.append(str(item).strip().removeprefix("[[").removesuffix("]]").split("|")[0])
    return cleaned


def _collect_edges(vault: Vault, note: Note) -> None:
    for key, (spec, inverse) in RELATION_KEYS.items():
        if key not in note.meta:
            continue
        line = note.front.line_of(key)
        for value in relation_values(note.meta[key]):
            target = vault.resolve(value)
            if target is None:
                vault.unresolved_relations.append(UnresolvedRelation(note, key, value, line))
                continue
            source, dest = (target.id, note.id) if inverse else (note.id, target.id)
            vault.edges.append(Edge(source, spec.name, dest, note.id, line))


def _dedupe_edges(vault: Vault) -> None:
    seen: set[tuple[str, str, str]] = set()
    unique = []
    for edge in vault.edges:
        key = (edge.source, edge.kind, edge.target)
        if edge.kind == "related":
            key = (min(edge.source, edge.target), edge.kind, max(edge.source, edge.target))
        if key not in seen:
            seen.add(key)
            unique.append(edge)
    vault.edges = unique
    for edge in unique:
        vault._edges_of.setdefault(edge.source, []).append(edge)
        if edge.target != edge.source:
            vault._edges_of.setdefault(edge.target, []).append(edge)
