"""A vault: a folder of notes loaded into a typed graph of ids, aliases, relations and backlinks.

Link resolution never touches the file system: a `[[../../etc/passwd]]` is just a string that
matches no note, so a hostile link can at worst be reported as broken.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import os
import posixpath
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

# Discovery and scanning live in backbrain.core.location (light to import); re-exported for existing callers.
from backbrain.core.adr import numbered
from backbrain.core.location import IGNORED_DIRS as IGNORED_DIRS
from backbrain.core.location import NOTE_SUFFIXES as NOTE_SUFFIXES
from backbrain.core.location import VAULT_ENV as VAULT_ENV
from backbrain.core.location import VaultLocation as VaultLocation
from backbrain.core.location import is_note_name, is_starter, walk_folders
from backbrain.core.location import locate_vault as locate_vault
from backbrain.core.location import scan_files as scan_files
from backbrain.core.location import starter_root as starter_root
from backbrain.core.note import Link, Note, parse_note
from backbrain.core.parallel import split_map
from backbrain.core.resolver import Candidate, Names, Resolver, assign_ids, build_table
from backbrain.core.resolver import normalize_target as normalize_target
from backbrain.core.schema import PLAIN_NOTE, RELATION_KEYS, RELATIONS, Config, load_config
from backbrain.core.supersede import Supersessions
from backbrain.errors import NotFoundError


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


@dataclass(frozen=True)
class AmbiguousLink:
    """A link (or relation value) that several notes match equally well: it resolved to the first."""

    note: Note
    target: str
    line: int
    candidates: tuple[str, ...]  # vault-relative paths


@dataclass
class Backlink:
    source: str
    line: int
    context: str


class Stamp(NamedTuple):
    """What a file looked like when it was read: its stat, and for notes a hash of the bytes parsed."""

    mtime_ns: int
    size: int
    digest: bytes = b""  # blake2b-128 of the content (notes only; attachments are compared by stat)
    racy: bool = False  # modified just before it was read: the stat alone cannot prove it unchanged


# A file modified this shortly before it was read may be modified again within the same timestamp
# tick, leaving its stat as it was; such a stamp is checked by content (notes) or treated as changed.
RACY_NS = 2_000_000_000


def _stamp(mtime_ns: int, size: int, digest: bytes = b"") -> Stamp:
    return Stamp(mtime_ns, size, digest, mtime_ns >= time.time_ns() - RACY_NS)


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
    stamps: dict[str, Stamp] = field(default_factory=dict)  # rel -> stat (and hash) of every file read
    ambiguous: list[AmbiguousLink] = field(default_factory=list)
    _table: dict[str, list[Candidate]] = field(default_factory=dict)  # the resolver's names (core/resolver)
    _targets: dict[str, list[str | None]] = field(default_factory=dict)  # rel -> each link's target id
    _edges_of: dict[str, list[Edge]] = field(default_factory=dict)
    _incoming: dict[str, list[tuple[Note, Link]]] = field(default_factory=dict)
    _lines: dict[str, tuple[Note, list[str]]] = field(default_factory=dict, repr=False, compare=False)

    _resolver: Resolver | None = field(default=None, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_lines"] = {}  # a cache of split bodies: cheap to rebuild, too big to pickle
        state["_resolver"] = None
        return state

    # -- resolution ---------------------------------------------------------------------------
    @property
    def resolver(self) -> Resolver:
        if self._resolver is None:
            self._resolver = Resolver(self._table.get)
        return self._resolver

    def resolve(self, target: str, source: Note | None = None) -> Note | None:
        """A note by id, path, file name, alias or title, as written in `source` (None: typed by a person)."""
        note_id = self.resolver.find(target, source.rel if source is not None else None)
        return self.notes.get(note_id) if note_id else None

    def link_targets(self, note: Note) -> list[str | None]:
        """The id each of the note's links resolved to (None: broken, or an attachment), in link order."""
        targets = self._targets.get(note.rel)
        return targets if targets is not None else [None] * len(note.links)

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
        """Links to this note from other notes, each with the text of its line (in file order)."""
        result = []
        for source, link in self._incoming.get(note_id, []):
            if source.id != note_id:
                result.append(Backlink(source.id, link.line, self.line_text(source, link.line)))
        return result

    def incoming(self, note_id: str) -> list[tuple[Note, Link]]:
        """(source note, link) for every resolved link to this note, self-links and duplicates included."""
        return list(self._incoming.get(note_id, []))

    def line_text(self, note: Note, line: int) -> str:
        """A body line of a note as a backlink snippet; each note's body is split once and cached."""
        cached = self._lines.get(note.rel)
        if cached is None or cached[0] is not note:
            cached = self._lines[note.rel] = (note, note.body.splitlines())
        lines = cached[1]
        index = line - note.body_line
        if 0 <= index < len(lines):
            return _snippet(lines[index])
        return ""

    def outgoing(self, note: Note) -> list[tuple[Link, Note | None]]:
        """Each wikilink with the note it resolved to at load time (None: broken, or an attachment)."""
        targets = self.link_targets(note)
        return [(link, self.notes.get(t) if t else None) for link, t in zip(note.links, targets, strict=True)]

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

    @property
    def supersessions(self) -> Supersessions:
        """The supersede relation between decisions, for walking (core/supersede)."""
        return Supersessions.of((e.source, e.target) for e in self.edges if e.kind == "supersedes")

    def by_type(self, type_name: str) -> list[Note]:
        return sorted((n for n in self.notes.values() if n.type == type_name), key=lambda n: n.title.lower())

    # -- keeping up with the files ------------------------------------------------------------------
    def reindex(self, changed: Iterable[str | Path]) -> Vault:
        """A new Vault after these files changed (paths relative to the root, or absolute inside it).

        Only changed and added notes are parsed; removed ones are dropped; notes that did not change
        are shared with this vault (not copied). The folder is scanned again only when a file
        appeared or disappeared, so the ignore rules stay those of `load_vault`. An edit that keeps a
        note's id, title, aliases and relations (the usual edit) cannot change how anything else
        resolves, so only that note's links are resolved again; any other change re-indexes the whole
        graph from the kept notes (no file is parsed again). The result equals a fresh `load_vault`.

        This vault stays usable for comparisons: its notes, edges, link targets and backlink index
        are left as they were (parsed notes are immutable and shared; resolution lives on the vault).
        """
        rels = {rel for rel in map(self._rel, changed) if rel is not None}
        return _reindex(self, {r for r in rels if not any(p[:1] == "." or p in IGNORED_DIRS for p in r.split("/"))})

    def with_text(self, rel: str, text: str) -> Vault:
        """A new Vault in which the note at `rel` (vault-relative) reads `text` instead of its file.

        This is how an editor's unsaved buffer is checked: the text is parsed as that file would be,
        and the vault is re-indexed as `reindex` does (only the note's own links when its id, title,
        aliases and relations are unchanged; the whole graph from the kept notes otherwise). No file
        is read or written; a `rel` that is no note yet is added. Stamps stay those of the files.
        """
        note = parse_note(self.root / rel, rel, text.encode("utf-8", "surrogatepass"), self._default_type(rel))
        known = any(f.rel == rel for f in self.files)
        if known:
            quick = _reindex_edited(self, {rel: note})
            if quick is not None:
                quick.stamps = self.stamps
                return quick
        vault = Vault(root=self.root, config=self.config, read_only=self.read_only, stamps=self.stamps)
        vault.attachments, vault._lines = self.attachments, dict(self._lines)
        vault.files = [note if f.rel == rel else f for f in self.files]
        if not known:
            vault.files.append(note)
        _index(vault)
        return vault

    def _default_type(self, rel: str) -> str:
        return self.config.type_for_folder(rel) or PLAIN_NOTE

    def changes_on_disk(self) -> set[str]:
        """Files (notes and attachments, vault-relative) that changed, appeared or disappeared since they
        were read: a stat per file, and a content comparison for notes whose stat changed or was too
        recent to trust. A note touched without a content change is not reported (its stamp is updated).
        """
        changed: set[str] = set()
        seen: set[str] = set()
        for f in scan_stamped(self.root):
            seen.add(f.rel)
            stamp = self.stamps.get(f.rel)
            if stamp is None:
                changed.add(f.rel)
                continue
            if stamp.mtime_ns == f.mtime_ns and stamp.size == f.size and not stamp.racy:
                continue
            if not f.note or stamp.digest == b"":
                changed.add(f.rel)
                continue
            try:
                digest = _content_digest(Path(f.path).read_bytes())
            except OSError:
                changed.add(f.rel)
                continue
            if digest != stamp.digest:
                changed.add(f.rel)
            else:  # same content: remember the new stat (no longer racy once old enough)
                self.stamps[f.rel] = _stamp(f.mtime_ns, f.size, digest)
        changed |= set(self.stamps) - seen
        return changed

    def _rel(self, path: str | Path) -> str | None:
        candidate = Path(path)
        if candidate.is_absolute():
            try:
                return candidate.relative_to(self.root).as_posix()
            except ValueError:
                return None
        text = candidate.as_posix()
        return None if text.startswith("../") or text in (".", "..") else text


def is_attachment(target: str) -> bool:
    suffix = posixpath.splitext(target)[1].lower()
    return bool(suffix) and suffix not in NOTE_SUFFIXES and len(suffix) <= 6 and " " not in suffix


def _snippet(text: str) -> str:
    return " ".join(text.strip().lstrip("-*>#0123456789. ").split())[:300]


# -- loading ------------------------------------------------------------------------------------
class ScannedFile(NamedTuple):
    rel: str
    path: str
    mtime_ns: int
    size: int
    note: bool


def scan_stamped(root: Path) -> list[ScannedFile]:
    """Every file that counts (location.walk_folders' rules), notes and attachments, with its stat."""
    found: list[ScannedFile] = []
    for folder, rel_folder, entries in walk_folders(root):
        prefix = folder + os.sep
        for entry in entries:
            try:
                st = entry.stat()
            except OSError:
                continue
            name = entry.name
            found.append(ScannedFile(rel_folder + name, prefix + name, st.st_mtime_ns, st.st_size, is_note_name(name)))
    return found


def load_vault(root: Path | str, *, read_only: bool | None = None, config: Config | None = None) -> Vault:
    root = Path(root).resolve()
    read_only = is_starter(root) if read_only is None else read_only
    if not read_only:
        from backbrain.vaultlock import recover

        recover(root)  # an update a killed process left half-done is finished before anything is read
    config = config or load_config(root)
    with gc_paused():
        return _load(root, config, read_only)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building a vault's (or a site's) objects.

    Loading and building allocate hundreds of thousands of objects that all stay alive, so every
    collection they trigger scans a growing heap and frees nothing: pausing saves 15% of a load
    (0.35 s at 10,000 notes) and more of a serve re-index (2 s -> 0.7 s).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            # What was allocated meanwhile sits in the youngest generation, so the first collection
            # after enable() would scan it all (0.2 s at 10,000 notes): move it to the oldest instead,
            # unless a long-running process froze its heap (unfreezing would hand that back to the
            # collector). Asked of our own flag: gc.get_freeze_count() walks every frozen object.
            if not _heap_frozen:
                gc.freeze()
                gc.unfreeze()
            gc.enable()


_heap_frozen = False


def freeze_heap() -> None:
    """Move everything alive now out of the garbage collector's sight, for good (gc.freeze).

    For long-running processes (serve, the language server) after they load a vault: it is millions
    of long-lived objects, and without this every full collection that ordinary work triggers scans
    them all (serve's p99 was 365 ms at 10,000 notes; an editor's keystroke paid a whole scan).
    """
    global _heap_frozen
    gc.collect()
    gc.freeze()
    _heap_frozen = True


def _load(root: Path, config: Config, read_only: bool) -> Vault:
    vault = Vault(root=root, config=config, read_only=read_only)
    scanned = scan_stamped(root)
    notes = [(Path(f.path), f.rel) for f in scanned if f.note]
    parsed = parse_files_stamped(notes, config)
    vault.files = [note for note, _ in parsed]
    vault.stamps = {note.rel: stamp for note, stamp in parsed}
    for f in scanned:
        if not f.note:
            vault.stamps[f.rel] = _stamp(f.mtime_ns, f.size)
    _add_attachments(vault, [f.rel for f in scanned if not f.note])
    _index(vault)
    return vault


def _add_attachments(vault: Vault, rels: Iterable[str]) -> None:
    for rel in rels:
        vault.attachments.setdefault(rel.lower(), rel)
        vault.attachments.setdefault(posixpath.basename(rel).lower(), rel)


def open_vault(explicit: Path | str | None = None) -> Vault:
    location = locate_vault(explicit)
    return load_vault(location.root, read_only=location.read_only)


PARALLEL_MIN_FILES = 2000  # below this, starting a second process costs more than it saves


def parse_files_stamped(files: list[tuple[Path, str]], config: Config) -> list[tuple[Note, Stamp]]:
    """Parse every file (with the stamp of what was read), over both cores on big vaults.

    Measured on 10,000 notes: parsing is CPU-bound Python (~2 s), sending parsed notes back is
    cheap once a note carries its text only once, so two cores nearly halve the wall time.
    """
    return split_map(functools.partial(_parse_chunk, config=config), files, min_items=PARALLEL_MIN_FILES)


def _parse_chunk(files: Sequence[tuple[Path, str]], config: Config) -> list[tuple[Note, Stamp]]:
    return [_read_note(path, rel, config) for path, rel in files]


def _parse_file(path: Path, rel: str, config: Config) -> Note:
    return _read_note(path, rel, config)[0]


def _read_note(path: Path, rel: str, config: Config) -> tuple[Note, Stamp]:
    """One note file parsed, with the stat taken before reading (a later edit shows as a new stat)."""
    try:
        st = os.stat(path)
        raw = path.read_bytes()
        stamp = _stamp(st.st_mtime_ns, st.st_size, _content_digest(raw))
    except OSError as exc:
        raw = f"\x00unreadable: {exc.strerror}".encode()
        stamp = Stamp(-1, -1)
    return parse_note(path, rel, raw, config.type_for_folder(rel) or PLAIN_NOTE), stamp


def _content_digest(raw: bytes) -> bytes:
    return hashlib.blake2b(raw, digest_size=16).digest()


def _index(vault: Vault) -> None:
    """Ids, the name table, typed edges and backlinks from vault.files (every link re-resolved)."""
    vault.files = with_assigned_ids(vault.files)
    vault.notes, vault._edges_of, vault._incoming, vault._targets = {}, {}, {}, {}
    vault.edges, vault.unresolved_relations, vault.ambiguous = [], [], []
    for note in vault.files:
        vault.notes.setdefault(note.id, note)
    vault._table = build_table(names_of(note) for note in vault.notes.values())
    vault._resolver = None
    for note in vault.notes.values():
        _collect_edges(vault, note)
    for note in vault.files:  # duplicates too, so their links are checked like any other
        _resolve_links(vault, note)
    _dedupe_edges(vault)


def names_of(note: Note) -> Names:
    return Names(note.rel, note.id, note.title, tuple(note.aliases))


def declared_id(note: Note) -> str | None:
    value = note.meta.get("id")
    return value.strip() if isinstance(value, str) and value.strip() else None


def with_assigned_ids(files: list[Note]) -> list[Note]:
    """The notes with their vault-wide ids (core/resolver.assign_ids): a note whose file name collides
    with another's is replaced by a copy carrying its path-suffix id; parsed notes are never changed."""
    ids = assign_ids([(note.rel, declared_id(note)) for note in files])
    return [note if note.id == ids[note.rel] else replace(note, id=ids[note.rel]) for note in files]


def _resolve_links(vault: Vault, note: Note) -> None:
    resolver, incoming = vault.resolver, vault._incoming
    targets: list[str | None] = []
    for link in note.links:
        if link.embed and is_attachment(link.target):
            targets.append(None)
            continue
        found = resolver.resolve(link.target, note.rel)
        if found.ambiguous:
            vault.ambiguous.append(AmbiguousLink(note, link.target, link.line, found.ambiguous))
        targets.append(found.id)
        if found.id is not None:
            if found.id in incoming:
                incoming[found.id].append((note, link))
            else:
                incoming[found.id] = [(note, link)]
    vault._targets[note.rel] = targets


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
            found = vault.resolver.resolve(value, note.rel)
            if found.id is None and note.type == "decision":  # `superseded by ADR-0003`: a record number
                numbered_rel = numbered(value, note.rel, (n.rel for n in vault.files))
                found = vault.resolver.resolve(numbered_rel, note.rel) if numbered_rel else found
            if found.id is None:
                vault.unresolved_relations.append(UnresolvedRelation(note, key, value, line))
                continue
            if found.ambiguous:
                vault.ambiguous.append(AmbiguousLink(note, value, line, found.ambiguous))
            source, dest = (found.id, note.id) if inverse else (note.id, found.id)
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


# -- re-indexing ------------------------------------------------------------------------------------
def _reindex(old: Vault, rels: set[str]) -> Vault:
    known = {note.rel: note for note in old.files}
    note_rels = {rel for rel in rels if is_note_name(posixpath.basename(rel))}
    present = {rel: (old.root / rel).is_file() for rel in rels}
    notes_moved = any((rel in old.stamps) != present[rel] for rel in note_rels)
    files_moved = any((rel in old.stamps) != present[rel] for rel in rels - note_rels)
    fresh = {rel: _read_note(old.root / rel, rel, old.config) for rel in note_rels if present[rel]}
    quick = None if notes_moved else _reindex_edited(old, {rel: note for rel, (note, _) in fresh.items()})
    if quick is not None:  # attachments do not take part in resolving links: only their map changes
        quick.stamps = dict(old.stamps)
        quick.stamps.update((rel, stamp) for rel, (_, stamp) in fresh.items())
        if files_moved:
            _rescan_attachments(quick, scan_stamped(old.root))
        else:
            _restamp_attachments(quick.stamps, old.root, rels - note_rels)
        return quick
    vault = Vault(root=old.root, config=old.config, read_only=old.read_only)
    vault._lines = dict(old._lines)
    if notes_moved or files_moved:
        scanned = scan_stamped(old.root)
        order = [f.rel for f in scanned if f.note]
        _rescan_attachments(vault, scanned)
    else:
        order = [note.rel for note in old.files]
        vault.attachments = dict(old.attachments)
        vault.stamps = {rel: stamp for rel, stamp in old.stamps.items() if rel not in known}
        _restamp_attachments(vault.stamps, old.root, rels - note_rels)
    for rel in order:
        if rel in fresh:
            note, stamp = fresh[rel]
        elif rel in known and rel not in note_rels:
            note, stamp = known[rel], old.stamps[rel]
        else:  # appeared without being named, or named but only now visible
            note, stamp = _read_note(old.root / rel, rel, old.config)
        vault.files.append(note)
        vault.stamps[rel] = stamp
    _index(vault)
    return vault


def _rescan_attachments(vault: Vault, scanned: list[ScannedFile]) -> None:
    """The attachment map and stamps from a fresh scan (the notes' stamps are kept)."""
    vault.stamps = {rel: stamp for rel, stamp in vault.stamps.items() if is_note_name(posixpath.basename(rel))}
    vault.stamps.update((f.rel, _stamp(f.mtime_ns, f.size)) for f in scanned if not f.note)
    vault.attachments = {}
    _add_attachments(vault, [f.rel for f in scanned if not f.note])


def _restamp_attachments(stamps: dict[str, Stamp], root: Path, rels: Iterable[str]) -> None:
    for rel in rels:
        if rel in stamps:
            try:
                st = os.stat(root / rel)
            except OSError:
                continue
            stamps[rel] = _stamp(st.st_mtime_ns, st.st_size)


def _relation_fields(note: Note) -> list[tuple[str, object, int]]:
    return [(key, note.meta[key], note.front.line_of(key)) for key in RELATION_KEYS if key in note.meta]


def _reindex_edited(old: Vault, fresh: dict[str, Note]) -> Vault | None:
    """The common edit (a note's text or relations, not its id, title or aliases) without a full re-index.

    Such an edit cannot change how any link or relation in the vault resolves, so the lookup table is
    reused as it is; only the edited notes' own links are resolved again and their entries in the
    backlink index replaced, and the typed edges touching a note whose relations changed are collected
    again (`_recollect_relations`). Returns None when the edit could change resolution (then the caller
    re-indexes everything). Measured at 10,000 notes: 0.7 s for a full re-index.
    """
    known = {note.rel: note for note in old.files}
    swaps: dict[int, Note] = {}
    for rel, new in fresh.items():
        before = known[rel]
        same = old.notes.get(before.id) is before and new.id == before.id and new.title == before.title
        if not (same and new.aliases == before.aliases):
            return None
        swaps[id(before)] = new
    relinked = {new.id for rel, new in fresh.items() if _relation_fields(new) != _relation_fields(known[rel])}
    vault = Vault(
        root=old.root, config=old.config, read_only=old.read_only,
        files=[swaps.get(id(note), note) for note in old.files], notes=dict(old.notes),
        attachments=old.attachments, edges=old.edges, _table=old._table, _edges_of=old._edges_of,
        unresolved_relations=[replace(u, note=swaps.get(id(u.note), u.note)) for u in old.unresolved_relations],
        ambiguous=[a for a in old.ambiguous if id(a.note) not in swaps], _incoming=dict(old._incoming),
        _targets=dict(old._targets), _lines=dict(old._lines), _resolver=old._resolver,
    )  # fmt: skip
    touched: set[str] = set()
    for rel, new in fresh.items():
        before = known[rel]
        vault.notes[new.id] = new
        for target_id in old.link_targets(before):
            if target_id and target_id in vault._incoming:
                vault._incoming[target_id] = [e for e in vault._incoming[target_id] if e[0] is not before]
                touched.add(target_id)
        _resolve_links(vault, new)
        touched.update(t for t in vault._targets[new.rel] if t)
    position = {note.rel: index for index, note in enumerate(vault.files)}
    for target_id in touched:  # the order a full index gives: by file, then by link within the file
        vault._incoming[target_id].sort(key=lambda entry: position[entry[0].rel])
        if not vault._incoming[target_id]:
            del vault._incoming[target_id]
    _recollect_relations(vault, list(fresh.values()), relinked)
    return vault


def _recollect_relations(vault: Vault, edited: list[Note], relinked: set[str]) -> None:
    """The edited notes' unresolved and ambiguous relation values again, and, for those whose relation
    fields changed (ids in `relinked`), the typed edges that touch them.

    Names did not change (the caller checked), so only edges touching a relinked note can differ, and
    only the note and the notes at their other ends (before or after the edit) can declare them: those
    notes' declarations are collected again, the rest kept, all in the order a full index collects
    them (by declaring note), so de-duplication keeps the same declaration a fresh load keeps. Measured at 10,000 notes:
    a relation edit costs this instead of a full re-index (0.7 s).
    """
    scratch = _scratch(vault)
    for note in edited:
        _collect_edges(scratch, note)
    mine = {id(note) for note in edited}
    vault.unresolved_relations = [u for u in vault.unresolved_relations if id(u.note) not in mine]
    vault.unresolved_relations += scratch.unresolved_relations
    vault.ambiguous = vault.ambiguous + scratch.ambiguous  # the links' own were added by _resolve_links
    if not relinked:
        return
    ends = set(relinked) | {e.target for e in scratch.edges} | {e.source for e in scratch.edges}
    for note_id in relinked:
        ends |= {end for edge in vault._edges_of.get(note_id, []) for end in (edge.source, edge.target)}
    declarers = _scratch(vault)
    for note in vault.notes.values():
        if note.id in ends:
            _collect_edges(declarers, note)
    order = {note_id: index for index, note_id in enumerate(vault.notes)}
    kept = [e for e in vault.edges if e.declared_by not in ends]  # the others' declarations are unchanged
    vault.edges = sorted(kept + declarers.edges, key=lambda edge: order[edge.declared_by])
    vault._edges_of = {}
    _dedupe_edges(vault)


def _scratch(vault: Vault) -> Vault:
    """A vault sharing this one's notes and names, whose edge lists start empty (to collect into)."""
    return Vault(
        root=vault.root, config=vault.config, files=vault.files, notes=vault.notes, _table=vault._table,
        _resolver=vault._resolver,
    )  # fmt: skip
