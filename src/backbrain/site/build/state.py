"""What a build leaves for the next one in a new process: the parsed vault and the site's caches.

Without it a `backbrain build` after one edit would parse 10,000 notes again (2 s) and compute every
page's context (2 s) to find the three pages that changed. With it, the next build decodes the
vault, asks it which files changed since (`Vault.changes_on_disk`: a stat per file, a content hash
where the stat cannot tell), re-parses those, and does what serve's `update()` does.

Two files next to the manifest, both disposable (a missing, corrupt, old or foreign one is ignored
and the next build loads the vault from disk):

- the *base* (`NAME.state.msgpack`): a key (state format, backbrain, pyromark and Python versions,
  site and parser code digests, vault root) and the notes with their parsed structure, the vault's
  indexes, lab results, search entries and graph cache; written after a build that loaded the vault
  from disk, and again once many files changed since it was written;
- the *delta* (`NAME.delta.json`, a few KB): the base's token and the output files that builds
  since the base looked at (rendered or fingerprinted).

Why the delta: a page rendered by an intermediate build (say a backlink that came and went again)
can differ from what the base and the current vault both imply, so the pages earlier builds touched
are looked at again; their fingerprints decide whether anything is rendered.

Both are data, never code: msgpack and JSON decoded by msgspec into declared types (a file that does
not match them, or whose key differs, is ignored). They live in the user's cache folder, not in the
vault (see `backbrain.site.site_paths`), so a cloned vault cannot ship a state for its builder to trust.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import os
import struct
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import msgspec

from backbrain.core.note import Note
from backbrain.core.resolver import Candidate
from backbrain.core.schema import load_config
from backbrain.core.vault import AmbiguousLink, Edge, Stamp, UnresolvedRelation, Vault
from backbrain.site.graph import GraphCache
from backbrain.site.labs import LabPanel

SCHEMA = 2  # version of the layout below; bump it whenever a saved type changes shape
_MAGIC = b"BBSTATE\x00"
_PARSER_MODULES = ("core/frontmatter", "core/note", "core/schema", "core/vault", "core/location")
_NOTE_SKIPPED = frozenset({"sections", "_section_map"})  # derived on load


@dataclass
class Restored:
    vault: Vault
    nav: list[tuple[str, str]]
    labs: dict[str, LabPanel | None]
    search: dict[str, Any]
    graph: GraphCache
    carried: set[str]


def stamp_mtime(stamp: Stamp) -> float:
    return stamp.mtime_ns / 1e9 if stamp.mtime_ns > 0 else 0.0


def note_mtimes(vault: Vault) -> dict[str, float]:
    """Each note's modification time, from the stamps the vault took when it read the files."""
    stamps = vault.stamps
    return {note.rel: stamp_mtime(stamps[note.rel]) if note.rel in stamps else 0.0 for note in vault.files}


def parser_digest() -> str:
    """Hash of the modules that turn files into a Vault: a change there makes the saved vault stale."""
    import backbrain

    base = Path(backbrain.__file__).resolve().parent
    digest = hashlib.blake2b(digest_size=12)
    for name in _PARSER_MODULES:
        digest.update((base / f"{name}.py").read_bytes())
    return digest.hexdigest()


def _versions() -> list[str]:
    from importlib.metadata import version

    import backbrain

    python = f"{sys.version_info[0]}.{sys.version_info[1]}"
    return [backbrain.__version__, version("pyromark"), version("msgspec"), python]


# -- the saved shapes ---------------------------------------------------------------------------------
class _Header(msgspec.Struct, forbid_unknown_fields=True):
    key: list[Any]
    token: str


class _Payload(msgspec.Struct, forbid_unknown_fields=True):
    read_only: bool
    notes: list[Note]  # decoded by msgspec into the dataclasses themselves
    stamps: dict[str, Stamp]
    attachments: dict[str, str]
    table: dict[str, list[Candidate]]  # the resolver's names
    targets: dict[str, list[str | None]]  # note rel -> the id each of its links resolved to
    edges: list[Edge]
    unresolved: list[tuple[int, str, str, int]]  # (index in notes, key, value, line)
    ambiguous: list[tuple[int, str, int, tuple[str, ...]]]  # (index in notes, target, line, candidates)
    nav: list[tuple[str, str]]
    labs: dict[str, LabPanel | None]
    search: dict[str, tuple[str, str]]  # note id -> (slug, search entry JSON)
    graph_nodes: dict[str, tuple[str, str, str, tuple[str | None, ...]]]
    graph_json: str


class _Delta(msgspec.Struct, forbid_unknown_fields=True):
    token: str
    carried: list[str]


# Front matter values PyYAML's safe loader makes that msgpack has no type for. Decoding rebuilds only
# these plain values; an unknown extension code makes the whole file invalid.
_EXT_DATE, _EXT_DATETIME, _EXT_SET, _EXT_TUPLE = 1, 2, 3, 4


def _enc_hook(obj: Any) -> Any:
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, dt.datetime):
        return msgspec.msgpack.Ext(_EXT_DATETIME, obj.isoformat().encode())
    if isinstance(obj, dt.date):
        return msgspec.msgpack.Ext(_EXT_DATE, obj.isoformat().encode())
    raise NotImplementedError(f"cannot save a {type(obj).__name__}")


def _ext_hook(code: int, data: memoryview) -> Any:
    if code == _EXT_DATETIME:
        return dt.datetime.fromisoformat(bytes(data).decode())
    if code == _EXT_DATE:
        return dt.date.fromisoformat(bytes(data).decode())
    if code == _EXT_SET:
        return set(msgspec.msgpack.decode(data, ext_hook=_ext_hook))
    if code == _EXT_TUPLE:
        return tuple(msgspec.msgpack.decode(data, ext_hook=_ext_hook))
    raise ValueError(f"unknown extension {code}")


def _dec_hook(kind: type, obj: Any) -> Any:
    if kind is Path and isinstance(obj, str):
        return Path(obj)
    raise NotImplementedError(f"unexpected {kind}")


def _plain(value: Any) -> Any:
    """Front matter as msgpack can keep it: tuples (!!omap, !!pairs) and sets (!!set) kept apart from lists."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, tuple):
        return msgspec.msgpack.Ext(_EXT_TUPLE, _ENCODER.encode([_plain(v) for v in value]))
    if isinstance(value, (set, frozenset)):
        return msgspec.msgpack.Ext(_EXT_SET, _ENCODER.encode(sorted((_plain(v) for v in value), key=repr)))
    return value


_ENCODER = msgspec.msgpack.Encoder(enc_hook=_enc_hook)
_HEADER = msgspec.msgpack.Decoder(_Header)
_PAYLOAD = msgspec.msgpack.Decoder(_Payload, dec_hook=_dec_hook, ext_hook=_ext_hook)
_DELTA = msgspec.json.Decoder(_Delta)


# -- vault <-> payload ----------------------------------------------------------------------------------
def _note_fields() -> list[str]:
    return [f.name for f in dataclasses.fields(Note) if f.name not in _NOTE_SKIPPED]


def _note_record(note: Note, names: list[str]) -> dict[str, Any]:
    """A note's fields without second copies: the front matter's data and body are the note's meta and
    body, and the sections' source is the body (all three put back by `_restore`)."""
    fields = {name: getattr(note, name) for name in names}
    fields["meta"] = _plain(note.meta)
    fields["front"] = dataclasses.replace(note.front, data={}, body="", _key_lines=None)
    fields["headings"] = [
        {"title": h.title, "level": h.level, "line": h.line, "start": h.start, "end": h.end, "source": ""}
        for h in note.headings
    ]
    return fields


def _payload(
    vault: Vault, nav: list[tuple[str, str]], labs: dict[str, LabPanel | None], search: dict[str, Any],
    graph: GraphCache,
) -> dict[str, Any]:  # fmt: skip
    """Every field of `_Payload` but the notes (which `_write_payload` streams)."""
    position = {id(note): i for i, note in enumerate(vault.files)}
    return {
        "read_only": vault.read_only,
        "stamps": vault.stamps,
        "attachments": vault.attachments,
        "table": vault._table,
        "targets": vault._targets,
        "edges": vault.edges,
        "unresolved": [(position[id(u.note)], u.key, u.value, u.line) for u in vault.unresolved_relations],
        "ambiguous": [(position[id(a.note)], a.target, a.line, a.candidates) for a in vault.ambiguous],
        "nav": nav,
        "labs": labs,
        "search": {note_id: (slug, text) for note_id, (_, slug, text) in search.items()},
        "graph_nodes": {note_id: signature for note_id, (_, signature) in graph._nodes.items()},
        "graph_json": graph._json,
    }


def _write_payload(handle: BinaryIO, vault: Vault, fields: dict[str, Any]) -> None:
    """The payload as one msgpack map, its notes encoded a batch at a time (a second copy of a
    100 MB vault in memory would raise the build's peak by as much)."""
    assert len(fields) + 1 < 16  # a fixmap header
    handle.write(bytes([0x80 | (len(fields) + 1)]))
    handle.write(_ENCODER.encode("notes") + b"\xdd" + struct.pack(">I", len(vault.files)))
    names, buffer = _note_fields(), bytearray()
    for note in vault.files:
        _ENCODER.encode_into(_note_record(note, names), buffer, -1)
        if len(buffer) > 1 << 20:
            handle.write(buffer)
            buffer.clear()
    handle.write(buffer)
    for key, value in fields.items():
        handle.write(_ENCODER.encode(key) + _ENCODER.encode(value))


def _restore(root: Path, payload: _Payload, carried: set[str]) -> Restored:
    """Objects equal to what the saving build had (the indexes derived here as `_index` derives them)."""
    files: list[Note] = payload.notes
    for note in files:
        body = note.body
        note.front.data, note.front.body = note.meta, body
        for heading in note.headings:
            heading.source = body
        note.sections = [h for h in note.headings if h.level == 2]
    vault = Vault(root=root, config=load_config(root), read_only=payload.read_only, files=files)
    vault.stamps, vault.attachments, vault._table = payload.stamps, payload.attachments, payload.table
    vault._targets = targets = payload.targets
    for note in files:
        vault.notes.setdefault(note.id, note)
    incoming = vault._incoming
    for note in files:
        for link, target in zip(note.links, targets[note.rel], strict=True):
            if target is not None:
                incoming.setdefault(target, []).append((note, link))
    vault.edges = payload.edges
    for edge in vault.edges:
        vault._edges_of.setdefault(edge.source, []).append(edge)
        if edge.target != edge.source:
            vault._edges_of.setdefault(edge.target, []).append(edge)
    unresolved = payload.unresolved
    vault.unresolved_relations = [UnresolvedRelation(files[i], k, v, line) for i, k, v, line in unresolved]
    vault.ambiguous = [AmbiguousLink(files[i], target, line, names) for i, target, line, names in payload.ambiguous]
    search = {i: (vault.notes[i], slug, text) for i, (slug, text) in payload.search.items() if i in vault.notes}
    graph = GraphCache()
    graph._nodes = {i: (vault.notes[i], sig) for i, sig in payload.graph_nodes.items() if i in vault.notes}
    graph._edges, graph._json = vault.edges, payload.graph_json
    return Restored(vault, payload.nav, payload.labs, search, graph, carried)


class BuildState:
    def __init__(self, cache_file: Path, code: str) -> None:
        self.base = cache_file.with_name(cache_file.stem + ".state.msgpack")
        self.delta = cache_file.with_name(cache_file.stem + ".delta.json")
        self.code = code
        self.token = ""

    def key(self, root: Path, live: bool) -> list[Any]:
        return [SCHEMA, *_versions(), self.code, parser_digest(), str(root), live]

    def load(self, root: Path, live: bool) -> Restored | None:
        """The saved state, or None when there is none usable (missing, damaged, old, another vault)."""
        try:
            data = self.base.read_bytes()
            if not data.startswith(_MAGIC):
                return None
            (size,) = struct.unpack_from("<I", data, len(_MAGIC))
            start = len(_MAGIC) + 4
            header = _HEADER.decode(data[start : start + size])
            if header.key != self.key(root, live):
                return None
            delta = _DELTA.decode(self.delta.read_bytes())
            if delta.token != header.token:
                return None  # a delta of another base: the pages it touched are unknown
            payload = _PAYLOAD.decode(memoryview(data)[start + size :])
            restored = _restore(root, payload, set(delta.carried))
        except Exception:  # any file we did not write as expected is just not used
            return None
        self.token = header.token
        return restored

    def save_base(
        self, root: Path, live: bool, vault: Vault, nav: list[tuple[str, str]], labs: dict[str, LabPanel | None],
        search: dict[str, Any], graph: GraphCache,
    ) -> None:  # fmt: skip
        token = uuid.uuid4().hex
        if self.write_base(self.pending(token), token, root, live, vault, nav, labs, search, graph):
            self.adopt(token)

    def pending(self, token: str) -> Path:
        """Where a base is written before it is adopted (after the build it describes has succeeded)."""
        return self.base.with_name(f".{self.base.name}.{token[:12]}")

    def write_base(
        self, path: Path, token: str, root: Path, live: bool, vault: Vault, nav: list[tuple[str, str]],
        labs: dict[str, LabPanel | None], search: dict[str, Any], graph: GraphCache,
    ) -> bool:  # fmt: skip
        """Encode a base state to `path`; False (and no file) when it cannot be saved."""
        try:
            header = _ENCODER.encode({"key": self.key(root, live), "token": token})
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "wb") as handle:
                handle.write(_MAGIC + struct.pack("<I", len(header)) + header)
                _write_payload(handle, vault, _payload(vault, nav, labs, search, graph))
        except Exception:  # a value msgpack cannot hold (or a full disk): the next build starts from disk
            with contextlib.suppress(OSError):
                path.unlink()
            return False
        return True

    def adopt(self, token: str) -> None:
        """Make a written base current: the delta first (a crash in between leaves a token mismatch)."""
        pending = self.pending(token)
        self.token = token
        self._write(self.delta, msgspec.json.encode(_Delta(token, [])))
        try:
            os.replace(pending, self.base)
        except OSError:
            self._remove()

    def discard(self, token: str) -> None:
        with contextlib.suppress(OSError):
            self.pending(token).unlink()

    def save_delta(self, carried: set[str]) -> None:
        if self.token:
            self._write(self.delta, msgspec.json.encode(_Delta(self.token, sorted(carried))))

    def _write(self, path: Path, data: bytes) -> None:
        """Replace a cache file by rename (no fsync: a cache that a crash damages is ignored next time)."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
            with open(temp, "wb") as handle:
                handle.write(data)
            os.replace(temp, path)
        except OSError:
            pass

    def _remove(self) -> None:
        for path in (self.base, self.delta):
            with contextlib.suppress(OSError):
                path.unlink()
