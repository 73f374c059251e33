"""The search index: one SQLite FTS5 row per note file, kept in step with the vault incrementally.

The index is only a cache of the Markdown files (deleting `.backbrain/` loses nothing), so every
way it can go wrong ends in a rebuild rather than an error: a corrupt or foreign file is deleted
and recreated, a different schema version is dropped and rebuilt, and each says so in one line.

Freshness is decided by `stat()` (mtime and size) first and a content hash second, so a search on
an unchanged vault never opens, let alone parses, a note: one stat pass over the vault is hashed and
compared with the signature the last sync stored, and only when they differ are the files compared
row by row. Writes are short WAL transactions with a busy timeout, so a second process searching or
indexing at the same time waits milliseconds, never the length of a full build, and readers never
wait at all.

What every query needs about every note's names (typo words, name stems, whole names) is computed
when the note is indexed and kept in tables of its own, so a new process reads only the rows a query
asks for. Link resolution keeps its lookup table too: a note whose links or relations changed, while
no note's names did, is re-linked on its own instead of re-resolving the whole vault.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backbrain import __version__
from backbrain.core.location import CONFIG_FILE, NoteFile, locate_vault, scan_notes
from backbrain.fsutil import atomic_write_text, check_file_target, ensure_folder
from backbrain.search.query import TOKENIZER

if TYPE_CHECKING:
    from backbrain.core.resolver import Candidate, Resolver
    from backbrain.search.documents import Doc

SCHEMA_VERSION = 5  # 5: the vault's synonyms kept in meta
INDEX_DIR = ".backbrain"
INDEX_FILE = "index.sqlite"
FTS_COLUMNS = ("title", "aliases", "headings", "tags", "summary", "symptoms", "relations", "body")
BUSY_TIMEOUT_MS = 10_000
BATCH_SIZE = 200  # notes per write transaction: long enough to be fast, short enough not to block
_CORRUPT_CODES = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB (primary codes)

_SCHEMA = f"""
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE notes (
    rowid INTEGER PRIMARY KEY,
    rel TEXT NOT NULL UNIQUE,
    id TEXT NOT NULL,
    type TEXT NOT NULL,
    title TEXT NOT NULL,
    aliases TEXT NOT NULL,
    tags TEXT NOT NULL,
    progress TEXT NOT NULL,
    mtime_ns INTEGER NOT NULL,
    size INTEGER NOT NULL,
    hash TEXT NOT NULL,
    targets TEXT NOT NULL,
    relations TEXT NOT NULL,
    declared INTEGER NOT NULL
);
CREATE INDEX notes_id ON notes(id);
CREATE TABLE edges (source TEXT NOT NULL, kind TEXT NOT NULL, target TEXT NOT NULL, via TEXT NOT NULL);
CREATE INDEX edges_source ON edges(source);
CREATE INDEX edges_target ON edges(target);
CREATE INDEX edges_via ON edges(via);
CREATE TABLE lookup (key TEXT PRIMARY KEY, candidates TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE names (
    note INTEGER NOT NULL,
    pos INTEGER NOT NULL,
    name TEXT NOT NULL,
    len INTEGER NOT NULL,
    gram TEXT,
    PRIMARY KEY (note, pos)
) WITHOUT ROWID;
CREATE INDEX names_gram ON names(gram);
CREATE INDEX names_len ON names(len, name);
CREATE TABLE name_terms (note INTEGER NOT NULL, term TEXT NOT NULL, word TEXT);
CREATE INDEX name_terms_note ON name_terms(note);
CREATE INDEX name_terms_term ON name_terms(term, note);
CREATE INDEX name_terms_word ON name_terms(word);
CREATE VIRTUAL TABLE fts USING fts5({", ".join(FTS_COLUMNS)}, tokenize='{TOKENIZER}');
CREATE VIRTUAL TABLE vocab USING fts5vocab(fts, 'row');
"""
_TABLES = ("vocab", "fts", "name_terms", "names", "lookup", "edges", "notes", "meta")
_INSERT_EDGE = "INSERT INTO edges(source, kind, target, via) VALUES (?, ?, ?, ?)"
GRAPH_ATTEMPTS = 3  # full graph refreshes to try while other processes keep changing notes


@dataclass
class SyncReport:
    """What a sync did; `notice` is a one-line message for the user when the index was rebuilt."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    rehashed: int = 0  # stat changed but content did not
    files: int = 0
    seconds: float = 0.0
    notices: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


# -- where things are ---------------------------------------------------------------------------
def index_path(root: Path, read_only: bool) -> Path:
    """VAULT/.backbrain/index.sqlite, or a per-vault file in the user's cache for read-only vaults."""
    if not read_only:
        folder = root / INDEX_DIR
        try:
            ensure_folder(folder, root=root)  # refuses `.backbrain -> elsewhere` (UnsafePathError)
            _ignore_folder(root, folder)
            if os.access(folder, os.W_OK):
                # SQLite cannot be told O_NOFOLLOW: the database and its side files must not be symlinks
                for suffix in ("", "-wal", "-shm", "-journal"):
                    check_file_target(folder / f"{INDEX_FILE}{suffix}", root=root)
                return folder / INDEX_FILE
        except OSError:
            pass  # a vault we cannot write to keeps its index in the cache like the starter
    import hashlib

    from platformdirs import user_cache_dir

    key = hashlib.sha256(f"{root.resolve()}\0{__version__}".encode()).hexdigest()[:16]
    cache = Path(user_cache_dir("backbrain")) / "index"
    cache.mkdir(parents=True, exist_ok=True)
    return cache / f"{root.name or 'vault'}-{key}.sqlite"


def _ignore_folder(root: Path, folder: Path) -> None:
    """A .gitignore inside .backbrain/ so the cache is never committed with the notes."""
    marker = folder / ".gitignore"
    if not os.path.lexists(marker):
        with contextlib.suppress(OSError):
            atomic_write_text(marker, "# backbrain's caches; safe to delete\n*\n", root=root)


# -- the index ----------------------------------------------------------------------------------
class SearchIndex:
    """An open index for one vault. Use `open_index()`; call `sync()` before querying."""

    def __init__(self, root: Path, path: Path) -> None:
        self.root = root
        self.path = path
        self.notices: list[str] = []
        self.conn = self._open()

    # opening, and recovering from what a cache file can suffer
    def _open(self) -> sqlite3.Connection:
        try:
            conn = _connect(self.path)
            notice = _prepare(conn)
        except sqlite3.DatabaseError as exc:
            if not is_corruption(exc):
                raise
            return self._recreate(exc)
        if notice:
            self.notices.append(notice)
        return conn

    def _recreate(self, exc: sqlite3.DatabaseError) -> sqlite3.Connection:
        self.notices.append(f"Search index {self.path} was unreadable ({exc}); rebuilding it.")
        remove_index_files(self.path)
        conn = _connect(self.path)
        _prepare(conn)
        return conn

    def recover(self, exc: sqlite3.DatabaseError) -> None:
        """Replace a database found corrupt mid-operation with an empty one (the caller re-syncs)."""
        with contextlib.suppress(sqlite3.Error):
            self.conn.close()
        self.conn = self._recreate(exc)

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.conn.close()

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction; BEGIN IMMEDIATE takes the write lock up front (no deadlock)."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM notes").fetchone()[0])

    # syncing
    def sync(self) -> SyncReport:
        """Bring the index in step with the files: re-index changed content, drop deleted files.

        A database found corrupt on the way is replaced and rebuilt, with a notice in the report.
        """
        try:
            return self._sync()
        except sqlite3.DatabaseError as exc:
            if not is_corruption(exc):
                raise
            self.recover(exc)
            return self._sync()

    def _sync(self) -> SyncReport:
        started = time.perf_counter()
        report = SyncReport(notices=list(self.notices))
        self.notices.clear()
        files = scan_notes(self.root)
        report.files = len(files)
        meta = dict(self.conn.execute("SELECT key, value FROM meta").fetchall())
        config_sig, force = self._config_state(meta)
        signature = scan_signature(files)
        if (
            not force
            and meta.get("scan_sig") == signature
            and config_sig == meta.get("config_sig")
            and meta.get("graph_dirty") != "1"
        ):
            report.seconds = time.perf_counter() - started
            return report  # the common case: every file has the stat the index holds
        stored = {rel: (mtime, size) for rel, mtime, size in self.conn.execute("SELECT rel, mtime_ns, size FROM notes")}
        present = {f.rel for f in files}
        removed = [rel for rel in stored if rel not in present]
        stale = [f for f in files if force or stored.get(f.rel) != (f.mtime_ns, f.size)]
        self._write_changed(stale, stored, force, report)
        if removed:
            with self.write() as conn:
                for start in range(0, len(removed), 500):
                    _delete(conn, removed[start : start + 500])
                _changed_rows(conn, graph=True)
            report.removed = len(removed)
        if self.meta("graph_dirty") == "1":
            self._refresh_graph(files)
        if config_sig != meta.get("config_sig"):
            synonyms = _vault_synonyms(self.root)
            with self.write() as conn:
                _set_meta(conn, "synonyms", synonyms)
                _set_meta(conn, "config_sig", config_sig)
                _set_meta(conn, "config_hash", _config_hash(self.root))
                _set_meta(conn, "built_by", _builder())
        self._seal(files, signature)
        report.seconds = time.perf_counter() - started
        return report

    def _config_state(self, meta: dict[str, str]) -> tuple[str, bool]:
        """(stat signature of backbrain.toml, whether every note must be re-read)."""
        try:
            st = (self.root / CONFIG_FILE).stat()
            sig = f"{st.st_mtime_ns}:{st.st_size}"
        except OSError:
            sig = "-"
        if meta.get("built_by") not in (None, _builder()):
            return sig, True  # another backbrain version parsed these notes
        if sig == meta.get("config_sig"):
            return sig, False
        stored_hash = meta.get("config_hash")
        return sig, stored_hash is not None and stored_hash != _config_hash(self.root)

    def _seal(self, files: list[NoteFile], signature: str) -> None:
        """Store the scan's signature when every file's row holds exactly the stat just scanned.

        Checked inside a write transaction, and every transaction that changes a row clears the
        signature, so a stored signature always describes the rows as they are: the next sync that
        scans the same stats can stop there. A racy file (stored with mtime 0) keeps it unsealed.
        """
        with self.write() as conn:
            stats = {rel: (mtime, size) for rel, mtime, size in conn.execute("SELECT rel, mtime_ns, size FROM notes")}
            clean = len(stats) == len(files) and all(stats.get(f.rel) == (f.mtime_ns, f.size) for f in files)
            _set_meta(conn, "scan_sig", signature if clean else "")

    def _write_changed(
        self, stale: list[NoteFile], stored: dict[str, tuple[Any, ...]], force: bool, report: SyncReport
    ) -> None:
        """Parse and write the files whose content changed, in short batches as they are parsed."""
        if not stale:
            return
        from backbrain.search.reader import Touched, now_ns, read_changed, reset_config

        reset_config(self.root)
        now = now_ns()
        hashes = {} if force else dict(_select_rels(self.conn, "SELECT rel, hash FROM notes", [f.rel for f in stale]))
        jobs = [(f, hashes.get(f.rel), now) for f in stale]
        docs: list[Doc] = []
        touched: list[Touched] = []
        for item in read_changed(self.root, jobs):
            if isinstance(item, Touched):
                touched.append(item)
                continue
            docs.append(item)
            if len(docs) >= BATCH_SIZE:
                self._write_docs(docs, stored, report)
                docs = []
        self._write_docs(docs, stored, report)
        if touched:
            with self.write() as conn:
                conn.executemany(
                    "UPDATE notes SET mtime_ns = ?, size = ? WHERE rel = ?",
                    [(t.mtime_ns, t.size, t.rel) for t in touched],
                )
                _changed_rows(conn, graph=False)
            report.rehashed = len(touched)

    def _write_docs(self, docs: list[Doc], stored: dict[str, tuple[Any, ...]], report: SyncReport) -> None:
        """One transaction for a batch, graph included when no note's names changed.

        A note keeps its relation text until the graph says otherwise. When a note is new or its
        id, title or aliases changed, any link in the vault may now resolve differently: the graph
        is marked dirty (in the same transaction) and refreshed in full. Otherwise only the changed
        notes' own edges are re-resolved, against the stored lookup table.
        """
        if not docs:
            return
        with self.write() as conn:
            old = _graph_keys(conn, [d.rel for d in docs if d.rel in stored])
            current = dict(_select_rels(conn, "SELECT rel, relations FROM notes", list(old)))
            renamed = any(old.get(d.rel, (None,))[:3] != d.graph_key()[:3] for d in docs)
            relinked = [d for d in docs if d.rel in old and old[d.rel][3] != d.graph_key()[3]]
            for doc in docs:
                doc.relations = current.get(doc.rel, "")
                _upsert(conn, doc)
            dirty = renamed or _meta(conn, "graph_dirty") == "1"
            if not dirty and relinked:
                dirty = not _relink(conn, relinked)
            _changed_rows(conn, graph=dirty)
        added = sum(1 for d in docs if d.rel not in stored)
        report.added += added
        report.updated += len(docs) - added

    def _refresh_graph(self, files: list[NoteFile]) -> None:
        """Resolve every note's relations and links from the index rows (no file is read).

        Reads one snapshot of the rows; if another process changes notes before the result is
        written, the work is done again (the graph stays marked dirty meanwhile).
        """
        from backbrain.search.documents import GraphNote, build_graph

        order = {f.rel: i for i, f in enumerate(files)}
        for _ in range(GRAPH_ATTEMPTS):
            self.conn.execute("BEGIN")
            try:
                generation = _meta(self.conn, "generation")
                rows = self.conn.execute(
                    "SELECT rowid, rel, id, title, aliases, targets, relations, declared FROM notes"
                ).fetchall()
                old_edges = set(self.conn.execute("SELECT source, kind, target, via FROM edges"))
                old_lookup = dict(self.conn.execute("SELECT key, candidates FROM lookup"))
            finally:
                self.conn.execute("COMMIT")
            rows.sort(key=lambda r: order.get(r[1], len(order)))
            notes = [
                GraphNote(r[1], r[2], r[3], json.loads(r[4]), [tuple(t) for t in json.loads(r[5])], bool(r[7]))
                for r in rows
            ]
            graph = build_graph(notes)
            texts, ids = graph.relation_text, graph.ids
            changed = [(texts.get(ids[r[1]], ""), r[0]) for r in rows if texts.get(ids[r[1]], "") != r[6]]
            renamed = [(ids[r[1]], r[0]) for r in rows if ids[r[1]] != r[2]]
            for start in range(0, len(changed), BATCH_SIZE):
                with self.write() as conn:
                    for text, rowid in changed[start : start + BATCH_SIZE]:
                        conn.execute("UPDATE notes SET relations = ? WHERE rowid = ?", (text, rowid))
                        conn.execute("UPDATE fts SET relations = ? WHERE rowid = ?", (text, rowid))
            new_edges = set(graph.edges)
            with self.write() as conn:
                if _meta(conn, "generation") != generation:
                    continue  # notes changed under us: read them again
                conn.executemany(
                    "DELETE FROM edges WHERE source = ? AND kind = ? AND target = ? AND via = ?", old_edges - new_edges
                )
                conn.executemany(
                    "INSERT INTO edges(source, kind, target, via) VALUES (?, ?, ?, ?)", new_edges - old_edges
                )
                conn.executemany(
                    "DELETE FROM lookup WHERE key = ?",
                    [(k,) for k, v in old_lookup.items() if graph.lookup.get(k) != v],
                )
                conn.executemany(
                    "INSERT OR REPLACE INTO lookup(key, candidates) VALUES (?, ?)",
                    [(k, v) for k, v in graph.lookup.items() if old_lookup.get(k) != v],
                )
                conn.executemany("UPDATE notes SET id = ? WHERE rowid = ?", renamed)
                _set_meta(conn, "graph_dirty", "0")
            if len(changed) > 1000:
                with self.write() as conn:  # merge the many small segments a big build leaves behind
                    conn.execute("INSERT INTO fts(fts) VALUES ('optimize')")
            return


def scan_signature(files: list[NoteFile]) -> str:
    """Every note file's path, mtime and size, in scan order: the text a sync compares as a whole.

    Kept verbatim rather than hashed: comparing the text is as fast as hashing it, never has a
    collision, and spares a search on an unchanged vault the import of hashlib. Paths are length
    prefixed (a file name may hold a tab or a newline), and the text starts with the file count, so
    even an empty vault's signature differs from a cleared one ("")."""
    return f"{len(files)} files\n" + "\n".join([f"{len(f.rel)}:{f.rel}\t{f.mtime_ns}\t{f.size}" for f in files])


def _meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def _changed_rows(conn: sqlite3.Connection, *, graph: bool) -> None:
    """Inside a transaction that changed note rows: the scan signature no longer describes them,
    and (graph=True) the graph must be refreshed in full. `generation` counts such transactions,
    so a full refresh can tell whether the notes it read are still the notes."""
    _set_meta(conn, "scan_sig", "")
    if graph:
        _set_meta(conn, "graph_dirty", "1")
        _set_meta(conn, "generation", str(int(_meta(conn, "generation") or 0) + 1))


def _graph_keys(conn: sqlite3.Connection, rels: list[str]) -> dict[str, tuple[Any, ...]]:
    keys = {}
    for rel, note_id, title, aliases, targets in _select_rels(
        conn, "SELECT rel, id, title, aliases, targets FROM notes", rels
    ):
        keys[rel] = (note_id, title, tuple(json.loads(aliases)), tuple(map(tuple, json.loads(targets))))
    return keys


def _select_rels(conn: sqlite3.Connection, sql: str, rels: list[str]) -> Iterator[tuple[Any, ...]]:
    for start in range(0, len(rels), 500):
        chunk = rels[start : start + 500]
        marks = ",".join("?" * len(chunk))
        yield from conn.execute(f"{sql} WHERE rel IN ({marks})", chunk)


def _relink(conn: sqlite3.Connection, docs: list[Doc]) -> bool:
    """Re-resolve the links and relations of notes whose names did not change, inside the
    transaction that wrote them: their own edge rows are replaced, and the relation text of every
    note whose typed partners changed is rewritten. False when only a full refresh can tell (a
    duplicate id: the vault uses the first file with an id, and only the full refresh knows files'
    order)."""

    from backbrain.search.documents import RELATION_TEXT_KINDS, note_edges

    if _duplicated(conn, {d.id for d in docs}):
        return False
    resolver = stored_resolver(conn)
    affected: set[str] = set()
    for doc in docs:
        old = set(conn.execute("SELECT source, kind, target FROM edges WHERE via = ?", (doc.rel,)))
        new = note_edges(doc.id, doc.rel, doc.targets, resolver)
        if old == set(new):
            continue
        conn.execute("DELETE FROM edges WHERE via = ?", (doc.rel,))
        conn.executemany(
            "INSERT INTO edges(source, kind, target, via) VALUES (?, ?, ?, ?)", [(*e, doc.rel) for e in new]
        )
        for source, kind, target in old.symmetric_difference(new):
            if kind in RELATION_TEXT_KINDS:
                affected.update((source, target))
    return _rewrite_relation_text(conn, affected)


def stored_resolver(conn: sqlite3.Connection) -> Resolver:
    """core/resolver over the name table the last graph refresh stored (no note file is read)."""
    from backbrain.core.resolver import Resolver
    from backbrain.search.documents import decode_candidates

    def candidates(key: str) -> list[Candidate] | None:
        row = conn.execute("SELECT candidates FROM lookup WHERE key = ?", (key,)).fetchone()
        return decode_candidates(row[0]) if row else None

    return Resolver(candidates)


def _rewrite_relation_text(conn: sqlite3.Connection, note_ids: set[str]) -> bool:
    """Recompute the relation text of these notes from the edge rows (as build_graph does)."""
    from backbrain.search.documents import RELATION_TEXT_KINDS, relation_text

    kinds = sorted(RELATION_TEXT_KINDS)
    marks = ",".join("?" * len(kinds))
    partners: dict[str, set[str]] = {}
    for note_id in note_ids:
        rows = conn.execute(
            f"SELECT source, target FROM edges WHERE (source = ? OR target = ?) AND kind IN ({marks})",
            (note_id, note_id, *kinds),
        )
        partners[note_id] = {target if source == note_id else source for source, target in rows}
    wanted = set(note_ids).union(*partners.values())
    if _duplicated(conn, wanted):
        return False
    names = {}
    for start in range(0, len(wanted), 500):
        chunk = sorted(wanted)[start : start + 500]
        query = f"SELECT id, title, aliases, rowid, relations FROM notes WHERE id IN ({','.join('?' * len(chunk))})"
        for note_id, title, aliases, rowid, text in conn.execute(query, chunk):
            names[note_id] = (title, json.loads(aliases), rowid, text)
    for note_id, ids in partners.items():
        if note_id not in names:
            continue
        text = relation_text([names[o][:2] for o in sorted(ids) if o in names])
        rowid, stored = names[note_id][2:]
        if text != stored:
            conn.execute("UPDATE notes SET relations = ? WHERE rowid = ?", (text, rowid))
            conn.execute("UPDATE fts SET relations = ? WHERE rowid = ?", (text, rowid))
    return True


def _duplicated(conn: sqlite3.Connection, note_ids: set[str]) -> bool:
    """Whether more than one file has any of these ids."""
    listed = sorted(note_ids)
    for start in range(0, len(listed), 500):
        chunk = listed[start : start + 500]
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT 1 FROM notes WHERE id IN ({marks}) GROUP BY id HAVING count(*) > 1 LIMIT 1"
        if conn.execute(sql, chunk).fetchone():
            return True
    return False


def _upsert(conn: sqlite3.Connection, doc: Doc) -> None:
    values = (
        doc.rel,
        doc.id,
        doc.type,
        doc.title,
        json.dumps(doc.aliases),
        json.dumps(doc.tags),
        doc.progress,
        doc.mtime_ns,
        doc.size,
        doc.hash,
        json.dumps(doc.targets),
        doc.relations,
        int(doc.declared),
    )
    rowid = conn.execute(
        "INSERT INTO notes(rel, id, type, title, aliases, tags, progress, mtime_ns, size, hash, targets, relations,"
        " declared) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(rel) DO UPDATE SET id = excluded.id,"
        " type = excluded.type, title = excluded.title, aliases = excluded.aliases, tags = excluded.tags,"
        " progress = excluded.progress, mtime_ns = excluded.mtime_ns, size = excluded.size, hash = excluded.hash,"
        " targets = excluded.targets, relations = excluded.relations, declared = excluded.declared RETURNING rowid",
        values,
    ).fetchone()[0]
    conn.execute("DELETE FROM fts WHERE rowid = ?", (rowid,))  # also when another process just added it
    conn.execute(
        f"INSERT INTO fts(rowid, {', '.join(FTS_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (rowid, *fts_values(doc)),
    )
    conn.execute("DELETE FROM names WHERE note = ?", (rowid,))
    conn.execute("DELETE FROM name_terms WHERE note = ?", (rowid,))
    from backbrain.search.documents import name_rows

    names = name_rows(doc.title, doc.aliases)
    conn.executemany(
        "INSERT INTO names(note, pos, name, len, gram) VALUES (?, ?, ?, ?, ?)", [(rowid, *n) for n in names.names]
    )
    conn.executemany("INSERT INTO name_terms(note, term, word) VALUES (?, ?, ?)", [(rowid, *t) for t in names.terms])


def fts_values(doc: Doc) -> tuple[str, ...]:
    """The FTS columns of a note, in FTS_COLUMNS order; the id is searchable as an alias."""
    aliases = "; ".join([*doc.aliases, doc.id.replace("-", " ")])
    return (doc.title, aliases, doc.headings, " ".join(doc.tags), doc.summary, doc.symptoms, doc.relations, doc.body)


def _delete(conn: sqlite3.Connection, rels: list[str]) -> None:
    marks = ",".join("?" * len(rels))
    rowids = [r[0] for r in conn.execute(f"SELECT rowid FROM notes WHERE rel IN ({marks})", rels)]
    for table in ("fts", "names", "name_terms"):
        column = "rowid" if table == "fts" else "note"
        conn.executemany(f"DELETE FROM {table} WHERE {column} = ?", [(r,) for r in rowids])
    conn.execute(f"DELETE FROM notes WHERE rel IN ({marks})", rels)


def _set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute(
        "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value)
    )


def _vault_synonyms(root: Path) -> str:
    """The vault's [search] synonyms as JSON, stored with the index so a query need not parse the
    configuration (an invalid backbrain.toml is reported here, naming the key)."""
    from backbrain.core.schema import load_config

    return json.dumps(load_config(root).search.synonyms)


def synonyms(index: SearchIndex) -> tuple[tuple[str, ...], ...]:
    """The vault's own synonym groups, as the last sync stored them."""
    return tuple(tuple(group) for group in json.loads(index.meta("synonyms") or "[]"))


def _builder() -> str:
    return f"{__version__}/{SCHEMA_VERSION}"


def _config_hash(root: Path) -> str:
    try:
        from backbrain.search.documents import content_hash

        return content_hash((root / CONFIG_FILE).read_bytes())
    except OSError:
        return "-"


# -- connection and schema ----------------------------------------------------------------------
def _connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    for attempt in range(50):  # switching a new file to WAL needs a moment alone with it
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            break
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == 49:
                raise
            time.sleep(0.05)
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def _prepare(conn: sqlite3.Connection) -> str | None:
    """Create the schema, or drop and recreate it when it is another version; returns a notice."""
    if _version(conn) == SCHEMA_VERSION:
        conn.execute("SELECT count(*) FROM meta").fetchone()  # reads a page: finds a corrupt file now
        return None
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = _version(conn)
        notice = None
        if version != SCHEMA_VERSION:
            existing = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
            if existing:
                notice = f"Search index format changed (version {version}, now {SCHEMA_VERSION}); rebuilding it."
            for table in _TABLES:
                conn.execute(f"DROP TABLE IF EXISTS {table}")
            _create(conn)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return notice


def _create(conn: sqlite3.Connection) -> None:
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)


def _version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def is_corruption(exc: sqlite3.DatabaseError) -> bool:
    """A file that is not (or no longer) a database, as opposed to a busy or locked one."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return (code & 0xFF) in _CORRUPT_CODES
    text = str(exc).lower()
    return "not a database" in text or "malformed" in text


def remove_index_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{path}{suffix}")


def open_index(vault: Path | str | None = None, *, path: Path | None = None) -> SearchIndex:
    """Open (creating or rebuilding as needed) the index of the vault found from `vault`."""
    location = locate_vault(vault)
    return SearchIndex(location.root, path or index_path(location.root, location.read_only))
