"""The search index: one SQLite FTS5 row per note file, kept in step with the vault incrementally.

The index is only a cache of the Markdown files (deleting `.backbrain/` loses nothing), so every
way it can go wrong ends in a rebuild rather than an error: a corrupt or foreign file is deleted
and recreated, a different schema version is dropped and rebuilt, and each says so in one line.

Freshness is decided by `stat()` (mtime and size) first and a content hash second, so a search on
an unchanged vault never opens, let alone parses, a note. Writes are short WAL transactions with a
busy timeout, so a second process searching or indexing at the same time waits milliseconds, never
the length of a full build, and readers never wait at all.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backbrain import __version__
from backbrain.errors import NotFoundError
from backbrain.search.documents import (
    Doc,
    FileStat,
    GraphNote,
    build_graph,
    content_hash,
    scan_notes,
)

SCHEMA_VERSION = 1
INDEX_DIR = ".backbrain"
INDEX_FILE = "index.sqlite"
CONFIG_FILE = "backbrain.toml"  # mirrors backbrain.schema.CONFIG_FILE without importing pydantic
VAULT_ENV = "BACKBRAIN_VAULT"
FTS_COLUMNS = ("title", "aliases", "headings", "tags", "summary", "symptoms", "relations", "body")
TOKENIZER = "porter unicode61 remove_diacritics 2"
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
    relations TEXT NOT NULL
);
CREATE INDEX notes_id ON notes(id);
CREATE TABLE edges (source TEXT NOT NULL, kind TEXT NOT NULL, target TEXT NOT NULL, via TEXT NOT NULL);
CREATE INDEX edges_source ON edges(source);
CREATE INDEX edges_target ON edges(target);
CREATE VIRTUAL TABLE fts USING fts5({", ".join(FTS_COLUMNS)}, tokenize='{TOKENIZER}');
CREATE VIRTUAL TABLE vocab USING fts5vocab(fts, 'row');
"""
_TABLES = ("vocab", "fts", "edges", "notes", "meta")


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
def starter_root() -> Path:
    return Path(__file__).resolve().parent / "starter"


def locate_root(explicit: Path | str | None = None, cwd: Path | None = None) -> tuple[Path, bool]:
    """(vault root, read-only) found as backbrain.vault.locate_vault does, without importing it."""
    if explicit:
        return _existing_dir(Path(explicit), "--vault"), _is_starter(Path(explicit))
    env = os.environ.get(VAULT_ENV)
    if env:
        return _existing_dir(Path(env), VAULT_ENV), _is_starter(Path(env))
    start = (cwd or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder, _is_starter(folder)
    return starter_root(), True


def _existing_dir(path: Path, origin: str) -> Path:
    if not path.is_dir():
        raise NotFoundError(
            f"{origin}: {path} is not a folder.",
            hint="Create a knowledge base with `backbrain init DIR`, or point to an existing one.",
        )
    return path.resolve()


def _is_starter(path: Path) -> bool:
    return path.resolve() == starter_root()


def index_path(root: Path, read_only: bool) -> Path:
    """VAULT/.backbrain/index.sqlite, or a per-vault file in the user's cache for read-only vaults."""
    if not read_only:
        folder = root / INDEX_DIR
        try:
            folder.mkdir(exist_ok=True)
            _ignore_folder(folder)
            if os.access(folder, os.W_OK):
                return folder / INDEX_FILE
        except OSError:
            pass  # a vault we cannot write to keeps its index in the cache like the starter
    from platformdirs import user_cache_dir

    key = hashlib.sha256(f"{root.resolve()}\0{__version__}".encode()).hexdigest()[:16]
    cache = Path(user_cache_dir("backbrain")) / "index"
    cache.mkdir(parents=True, exist_ok=True)
    return cache / f"{root.name or 'vault'}-{key}.sqlite"


def _ignore_folder(folder: Path) -> None:
    """A .gitignore inside .backbrain/ so the cache is never committed with the notes."""
    marker = folder / ".gitignore"
    if not marker.exists():
        with contextlib.suppress(OSError):
            marker.write_text("# backbrain's caches; safe to delete\n*\n", encoding="utf-8")


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
        stored = {row[0]: row[1:] for row in self.conn.execute("SELECT rel, mtime_ns, size, hash FROM notes")}
        config_sig, force = self._config_state()
        present = {f.rel for f in files}
        removed = [rel for rel in stored if rel not in present]
        stale = [f for f in files if force or f.rel not in stored or stored[f.rel][:2] != (f.mtime_ns, f.size)]
        graph_dirty = self.meta("graph_dirty") == "1"
        if stale or removed or graph_dirty:
            full = self._write_changed(stale, stored, force, report) or graph_dirty or bool(removed)
            if removed:
                with self.write() as conn:
                    for start in range(0, len(removed), 500):
                        _delete(conn, removed[start : start + 500])
                report.removed = len(removed)
            if full:
                self._refresh_graph(files)
        if config_sig != self.meta("config_sig"):
            with self.write() as conn:
                _set_meta(conn, "config_sig", config_sig)
                _set_meta(conn, "config_hash", _config_hash(self.root))
                _set_meta(conn, "built_by", _builder())
        report.seconds = time.perf_counter() - started
        return report

    def _config_state(self) -> tuple[str, bool]:
        """(stat signature of backbrain.toml, whether every note must be re-read)."""
        try:
            st = (self.root / CONFIG_FILE).stat()
            sig = f"{st.st_mtime_ns}:{st.st_size}"
        except OSError:
            sig = "-"
        if self.meta("built_by") not in (None, _builder()):
            return sig, True  # another backbrain version parsed these notes
        if sig == self.meta("config_sig"):
            return sig, False
        stored_hash = self.meta("config_hash")
        return sig, stored_hash is not None and stored_hash != _config_hash(self.root)

    def _write_changed(
        self, stale: list[FileStat], stored: dict[str, tuple[Any, ...]], force: bool, report: SyncReport
    ) -> bool:
        """Parse and write the files whose content changed, in short batches as they are parsed.

        Returns whether the graph must be refreshed (a note's names or outgoing targets changed).
        """
        if not stale:
            return False
        from backbrain.search.reader import Touched, now_ns, read_changed, reset_config

        reset_config(self.root)
        now = now_ns()
        jobs = [(f, None if force else (stored.get(f.rel) or (None, None, None))[2], now) for f in stale]
        docs: list[Doc] = []
        touched: list[Touched] = []
        full = False
        for item in read_changed(self.root, jobs):
            if isinstance(item, Touched):
                touched.append(item)
                continue
            docs.append(item)
            if len(docs) >= BATCH_SIZE:
                full = self._write_docs(docs, stored, report) or full
                docs = []
        full = self._write_docs(docs, stored, report) or full
        if touched:
            with self.write() as conn:
                conn.executemany(
                    "UPDATE notes SET mtime_ns = ?, size = ? WHERE rel = ?",
                    [(t.mtime_ns, t.size, t.rel) for t in touched],
                )
            report.rehashed = len(touched)
        return full

    def _write_docs(self, docs: list[Doc], stored: dict[str, tuple[Any, ...]], report: SyncReport) -> bool:
        """One transaction for a batch; a note keeps its relation text until the graph says otherwise."""
        if not docs:
            return False
        old = self._graph_keys([d.rel for d in docs if d.rel in stored])
        current = self._stored_relations(list(old))
        full = any(old.get(d.rel) != d.graph_key() for d in docs)
        with self.write() as conn:
            if full:
                _set_meta(conn, "graph_dirty", "1")
            for doc in docs:
                doc.relations = current.get(doc.rel, "")
                _upsert(conn, doc)
        added = sum(1 for d in docs if d.rel not in stored)
        report.added += added
        report.updated += len(docs) - added
        return full

    def _graph_keys(self, rels: list[str]) -> dict[str, tuple[Any, ...]]:
        keys = {}
        for rel, note_id, title, aliases, targets in self._select_rels(
            "SELECT rel, id, title, aliases, targets FROM notes", rels
        ):
            keys[rel] = (note_id, title, tuple(json.loads(aliases)), tuple(map(tuple, json.loads(targets))))
        return keys

    def _stored_relations(self, rels: list[str]) -> dict[str, str]:
        return dict(self._select_rels("SELECT rel, relations FROM notes", rels))

    def _select_rels(self, sql: str, rels: list[str]) -> Iterator[tuple[Any, ...]]:
        for start in range(0, len(rels), 500):
            chunk = rels[start : start + 500]
            marks = ",".join("?" * len(chunk))
            yield from self.conn.execute(f"{sql} WHERE rel IN ({marks})", chunk)

    def _refresh_graph(self, files: list[FileStat]) -> None:
        """Resolve every note's relations and links from the index rows (no file is read)."""
        order = {f.rel: i for i, f in enumerate(files)}
        rows = self.conn.execute("SELECT rowid, rel, id, title, aliases, targets, relations FROM notes").fetchall()
        rows.sort(key=lambda r: order.get(r[1], len(order)))
        notes = [GraphNote(r[1], r[2], r[3], json.loads(r[4]), [tuple(t) for t in json.loads(r[5])]) for r in rows]
        graph = build_graph(notes)
        changed = [(graph.relation_text.get(r[2], ""), r[0]) for r in rows if graph.relation_text.get(r[2], "") != r[6]]
        for start in range(0, len(changed), BATCH_SIZE):
            with self.write() as conn:
                for text, rowid in changed[start : start + BATCH_SIZE]:
                    conn.execute("UPDATE notes SET relations = ? WHERE rowid = ?", (text, rowid))
                    conn.execute("UPDATE fts SET relations = ? WHERE rowid = ?", (text, rowid))
        old_edges = set(self.conn.execute("SELECT source, kind, target, via FROM edges"))
        new_edges = set(graph.edges)
        with self.write() as conn:
            conn.executemany(
                "DELETE FROM edges WHERE source = ? AND kind = ? AND target = ? AND via = ?", old_edges - new_edges
            )
            conn.executemany("INSERT INTO edges(source, kind, target, via) VALUES (?, ?, ?, ?)", new_edges - old_edges)
            _set_meta(conn, "graph_dirty", "0")
        if len(changed) > 1000:
            with self.write() as conn:  # merge the many small segments a big build leaves behind
                conn.execute("INSERT INTO fts(fts) VALUES ('optimize')")


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
    )
    rowid = conn.execute(
        "INSERT INTO notes(rel, id, type, title, aliases, tags, progress, mtime_ns, size, hash, targets, relations)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(rel) DO UPDATE SET id = excluded.id,"
        " type = excluded.type, title = excluded.title, aliases = excluded.aliases, tags = excluded.tags,"
        " progress = excluded.progress, mtime_ns = excluded.mtime_ns, size = excluded.size, hash = excluded.hash,"
        " targets = excluded.targets, relations = excluded.relations RETURNING rowid",
        values,
    ).fetchone()[0]
    conn.execute("DELETE FROM fts WHERE rowid = ?", (rowid,))  # also when another process just added it
    conn.execute(
        f"INSERT INTO fts(rowid, {', '.join(FTS_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (rowid, *fts_values(doc)),
    )


def fts_values(doc: Doc) -> tuple[str, ...]:
    """The FTS columns of a note, in FTS_COLUMNS order; the id is searchable as an alias."""
    aliases = "; ".join([*doc.aliases, doc.id.replace("-", " ")])
    return (doc.title, aliases, doc.headings, " ".join(doc.tags), doc.summary, doc.symptoms, doc.relations, doc.body)


def _delete(conn: sqlite3.Connection, rels: list[str]) -> None:
    marks = ",".join("?" * len(rels))
    rowids = [r[0] for r in conn.execute(f"SELECT rowid FROM notes WHERE rel IN ({marks})", rels)]
    conn.executemany("DELETE FROM fts WHERE rowid = ?", [(r,) for r in rowids])
    conn.execute(f"DELETE FROM notes WHERE rel IN ({marks})", rels)


def _set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute(
        "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value)
    )


def _builder() -> str:
    return f"{__version__}/{SCHEMA_VERSION}"


def _config_hash(root: Path) -> str:
    try:
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
    root, read_only = locate_root(vault)
    return SearchIndex(root, path or index_path(root, read_only))
