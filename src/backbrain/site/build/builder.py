"""Building the site: every page once, then only the pages a change touches.

Each page's context (plain data, see model.py) is hashed into a fingerprint. A page whose fingerprint
matches the previous build's is neither rendered nor written; a page that renders to the same bytes
as before is not written either. The manifest of fingerprints and output hashes is the build cache.
While serving, `update()` re-parses only the changed files, re-indexes the vault in memory and looks
only at the pages that can show those notes: their own, their neighbours' (relation and backlink
panels, the neighbourhood), the listings they appear in, their tags, and the data files.

A full build of many pages is split between two processes with core/parallel's split_map (a fork
after the vault is loaded: the worker inherits it, nothing parsed is sent): the worker renders its
share of the pages into the same fresh folder and reports what it wrote.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from backbrain.core.note import Note
from backbrain.core.parallel import split_map
from backbrain.core.vault import Vault, gc_paused, is_attachment, load_vault
from backbrain.site import searchdata
from backbrain.site.build.output import (
    CACHE_FORMAT,
    MARKER,
    FreshDir,
    LiveDir,
    check_output_dir,
    digest,
    load_manifest,
    refuse_symlinked_output,
    remove_leftovers,
    save_manifest,
    write_root,
)
from backbrain.site.build.state import BuildState, note_mtimes, parser_digest, stamp_mtime
from backbrain.site.build.vaultcache import refresh_vault
from backbrain.site.graph import GraphCache
from backbrain.site.labs import LabPanel
from backbrain.site.markdown import highlight_css
from backbrain.site.model import SiteModel
from backbrain.site.policy import publishable
from backbrain.site.render import STATIC, PageRenderer, code_digest
from backbrain.site.urls import file_for

PARALLEL_MIN_PAGES = 400
# The forked child's shared work (search entries, graph.json, the saved state) per note, in pages'
# worth of CPU: measured on the 10,000-note corpus (entries and state 0.37 ms a note, a page 0.8 ms; see
# docs/benchmarks.md). It decides how many pages the child renders so that both finish together.
EXTRAS_PER_NOTE = 0.45
REBASE_CHANGES = 100  # files changed since the saved base state before it is saved again
Entry = list[Any]  # [fingerprint, output hash, assets]
_FINGERPRINT = msgspec.msgpack.Encoder(enc_hook=repr)  # a page context is plain data (model.py)


@dataclass
class BuildReport:
    out: Path
    pages: int = 0
    rendered: int = 0
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    full: bool = False
    seconds: float = 0.0
    notes: int = 0  # Markdown files the scan accepted
    note_pages: int = 0  # note pages the site has after the build: always equal to `notes`


@dataclass
class _Job:
    kind: str
    key: str
    url: str
    file: str


_Result = tuple[str, Entry, bool, bool]  # file, manifest entry, rendered, written


class SiteBuilder:
    """Owns one output folder and its manifest; `build()` from disk, `update()` after edits."""

    def __init__(
        self, vault_root: Path, out: Path, cache_file: Path, *, read_only: bool = False, live: bool = False,
        workers: int = 2,
    ) -> None:  # fmt: skip
        self.root = Path(vault_root).resolve()
        refuse_symlinked_output(Path(out), self.root)  # before resolve(), which would follow them
        self.out = Path(out).resolve()
        self.cache_file = cache_file
        self.read_only = read_only
        self.live = live
        self.workers = workers
        self.code = code_digest() + parser_digest()  # a page's fingerprint holds its note's file hash
        self.vault: Vault | None = None
        self.model: SiteModel | None = None
        self.manifest: dict[str, Any] | None = load_manifest(cache_file, self.code)
        self.mtimes: dict[str, float] = {}
        self.version = "0"
        self._search: dict[str, tuple[Note, str, str]] = {}
        self._graph = GraphCache()
        self.state = BuildState(cache_file, self.code)
        self._carried: set[str] | None = None  # output files earlier builds since the saved base looked at
        self._since_base: set[str] = set()  # files changed since the saved base state
        self._last_candidates: set[str] | None = None
        self._nav: list[tuple[str, str]] | None = None  # the last build's navigation and lab results
        self._labs: dict[str, LabPanel | None] = {}
        self._state_pending = ""  # token of a state the forked child wrote for this build
        self._state_saved = False
        self._graph_text: str | None = None  # graph.json as the forked child computed it
        check_output_dir(self.out, self.root)

    # -- entry points -----------------------------------------------------------------------------------
    def build(self, clean: bool = False) -> BuildReport:
        """Bring the whole site up to date from disk (everything, with clean).

        Without clean, the state a previous build left (the parsed vault and the search and graph
        caches, see state.py) is reloaded and only the files changed since are parsed: a new process
        then does what serve's update() does. Without usable state the vault is loaded from disk.
        """
        started = time.perf_counter()
        with gc_paused():
            report = None if clean else self._build_from_state()
            if report is None:
                vault = load_vault(self.root, read_only=self.read_only)
                self.mtimes = note_mtimes(vault)
                report = self._publish(vault, None, clean)
                if not self._state_saved:
                    self._save_state(None)
        report.seconds = time.perf_counter() - started
        return report

    def _build_from_state(self) -> BuildReport | None:
        restored = self.state.load(self.root, self.live)
        if restored is None:
            return None
        vault = restored.vault
        changed = vault.changes_on_disk()
        if "backbrain.toml" in changed:
            return None
        if self.out.is_relative_to(self.root):  # e.g. --out VAULT/_site: its own pages are not changes
            prefix = self.out.relative_to(self.root).as_posix() + "/"
            changed = {rel for rel in changed if not rel.startswith(prefix)}
        self.vault, self._search, self._graph = vault, restored.search, restored.graph
        self.mtimes = note_mtimes(vault)
        self._nav, self._labs = restored.nav, restored.labs  # what _update needs of the previous model
        self._carried = restored.carried
        report = self._update(changed)
        if not self._state_saved:  # (a full render forked a child that already saved it)
            self._save_state(self._last_candidates, since_base=changed)
        return report

    def update(self, changed: Iterable[Path]) -> BuildReport:
        """Rebuild after these files changed (notes, attachments, lab results, backbrain.toml)."""
        started = time.perf_counter()
        rels = self._vault_rels(changed)
        if self.vault is None or "backbrain.toml" in rels:
            return self.build()
        with gc_paused():
            report = self._update(rels)
            self._save_state(self._last_candidates, since_base=self._since_base | rels)
        report.seconds = time.perf_counter() - started
        return report

    def _update(self, rels: set[str]) -> BuildReport:
        assert self.vault is not None
        old = self.vault
        refreshed = refresh_vault(old, rels)
        stamps = refreshed.vault.stamps
        for rel in refreshed.changed_notes:
            self.mtimes[rel] = stamp_mtime(stamps[rel]) if rel in stamps else 0.0
        model = SiteModel(refreshed.vault, live=self.live, mtimes=self.mtimes)
        # lab results are read once per build; keep those that did not change
        model.labs = {k: v for k, v in self._labs.items() if k not in refreshed.changed_labs}
        candidates = self._affected(old, model, refreshed.changed_notes, refreshed.changed_files)
        if candidates is not None and self._carried is not None:  # see state.py: pages an earlier build touched
            candidates |= self._carried
        return self._publish(refreshed.vault, candidates, False, model)

    def _save_state(self, candidates: set[str] | None, since_base: set[str] | None = None) -> None:
        """Keep what the next build in a new process needs: a small delta after a small change, else
        the whole base state again (the parsed vault, lab results, search and graph caches)."""
        if self.vault is None or self._nav is None:
            return
        since = since_base or set()
        if candidates is None or self._carried is None or len(since) > REBASE_CHANGES:
            self.state.save_base(self.root, self.live, self.vault, self._nav, self._labs, self._search, self._graph)
            self._carried, self._since_base = set(), set()
        else:
            self._carried |= candidates
            self._since_base = since
            self.state.save_delta(self._carried)

    # -- what a change touches ----------------------------------------------------------------------------
    def _vault_rels(self, changed: Iterable[Path]) -> set[str]:
        rels = set()
        for path in changed:
            path = Path(path)
            absolute = path if path.is_absolute() else self.root / path
            try:
                rel = absolute.resolve(strict=False).relative_to(self.root)
            except ValueError:
                continue
            if absolute.resolve(strict=False).is_relative_to(self.out):
                continue
            if any(part.startswith(".") or part in {"node_modules", "__pycache__"} for part in rel.parts):
                continue
            rels.add(rel.as_posix())
        return rels

    def _affected(self, old: Vault, new_model: SiteModel, notes: set[str], files: set[str]) -> set[str] | None:
        """Output files that may show the changed notes; None means every page (the navigation changed)."""
        new = new_model.vault
        if self._nav is None:
            return None
        old_by_rel = {n.rel: n for n in old.files}
        new_by_rel = {n.rel: n for n in new.files}
        changed = [n for rel in notes for n in (old_by_rel.get(rel), new_by_rel.get(rel)) if n is not None]
        ids = {n.id for n in changed}
        touched = set(ids)
        for note_id in ids:
            if note_id in old.notes:
                touched |= old.neighbours(note_id)
            if note_id in new.notes:
                touched |= new.neighbours(note_id)
            before, after = old.notes.get(note_id), new.notes.get(note_id)
            if before is None or after is None or before.title != after.title:
                # backlink sentences show linked notes by title: every page that quotes a line linking
                # here, i.e. the other link targets of the notes that link here
                for source, _ in old.incoming(note_id) + new.incoming(note_id):
                    touched.add(source.id)
                    touched |= {t for v in (old, new) for t in v.link_targets(source) if t}
        if new.edges is not old.edges:  # re-indexed: any link may resolve differently now
            for note_id in set(old.notes) | set(new.notes):
                was = [(s.rel, link.line) for s, link in old.incoming(note_id)]
                if was != [(s.rel, link.line) for s, link in new.incoming(note_id)]:
                    touched.add(note_id)
        if files:  # attachments or lab results changed: the notes that embed or show them
            names = {Path(f).name.lower() for f in files}
            for note in new.notes.values():
                if any(is_attachment(link.target) and Path(link.target).name.lower() in names for link in note.links):
                    touched.add(note.id)
                lab = note.meta.get("lab")
                if isinstance(lab, str) and any(f.startswith(f"labs/{lab}/") for f in files):
                    touched.add(note.id)
        if new_model.nav != self._nav:
            return None
        result = {file_for(new_model.urls.note(i)) for i in touched if i in new.notes}
        result |= {file_for(new_model.urls.note(k)) for k in new_model.note_pages_of(touched, notes)}
        result |= {"index.html", "tags/index.html", "timeline/index.html", "graph/index.html", "search/index.html"}
        result.add("404.html")
        result.add("folders/index.html")  # the folder explorer lists every note by title
        for note in changed:
            result.add(file_for(new_model.urls.type_index(note.type)))
            result |= {file_for(new_model.urls.tag(tag)) for tag in note.tags}
        return result

    # -- publishing ---------------------------------------------------------------------------------------
    def _publish(
        self, vault: Vault, candidates: set[str] | None, clean: bool, model: SiteModel | None = None
    ) -> BuildReport:
        old = self.manifest if self.manifest and self.manifest.get("live") == self.live else None
        self._state_saved, self._graph_text = False, None
        cold = clean or old is None or not (self.out / MARKER).is_file()
        old_pages: dict[str, Entry] = {} if cold or old is None else old["pages"]
        model = model or SiteModel(vault, live=self.live, mtimes=self.mtimes)
        if cold:
            remove_leftovers(self.out)
        target: FreshDir | LiveDir = FreshDir(self.out) if cold else LiveDir(self.out)
        report = BuildReport(self.out, full=cold)
        try:
            pages, jobs = self._plan(model, old_pages, None if cold else candidates)
            self._last_candidates = None if cold else {job.file for job in jobs}
            results, search = self._render_jobs(model, jobs, target, old_pages)
            for file, entry, rendered, wrote in results:
                pages[file] = entry
                report.rendered += rendered
                if wrote:
                    report.written.append(file)
            self._data_files(model, target, pages, old_pages, report, search)
            assets = self._copy_assets(vault, pages, target, {} if cold else old.get("assets", {}) if old else {})
            if isinstance(target, FreshDir):
                self._copy_static(target)
                target.swap_in()
            else:
                for file in sorted(set(old_pages) - set(pages)):
                    target.remove(file)
                    report.removed.append(file)
        except BaseException:
            self._finish_pending_state(False)
            if isinstance(target, FreshDir):
                target.discard()
            raise
        report.pages = sum(1 for file in pages if file.endswith(".html"))
        report.notes = len(vault.files)
        report.note_pages = sum(1 for file in pages if file.startswith("note/") and file.endswith("/index.html"))
        self.vault, self.model = vault, model
        self._nav, self._labs = model.nav, model.labs
        self.manifest = {"format": CACHE_FORMAT, "code": self.code, "live": self.live, "pages": pages, "assets": assets}
        save_manifest(self.cache_file, self.manifest, write_root(self.cache_file, self.root))
        self._state_saved = self._finish_pending_state(True)
        if report.written or report.removed:
            self.version = f"{time.time_ns():x}"
        return report

    def _plan(
        self, model: SiteModel, old_pages: dict[str, Entry], candidates: set[str] | None
    ) -> tuple[dict[str, Entry], list[_Job]]:
        """Pages kept as they are (not candidates) and the jobs for the rest (context, then maybe render)."""
        pages: dict[str, Entry] = {}
        jobs = []
        for kind, key, url in model.pages():
            file = file_for(url)
            previous = old_pages.get(file)
            if candidates is not None and file not in candidates and previous is not None:
                pages[file] = previous
            else:
                jobs.append(_Job(kind, key, url, file))
        return pages, jobs

    def _render_jobs(
        self, model: SiteModel, jobs: list[_Job], target: FreshDir | LiveDir, old_pages: dict[str, Entry]
    ) -> tuple[list[_Result], list[str]]:
        """Run the jobs, split over two processes (core/parallel) when there are many; also returns the
        search entries."""
        renderer = PageRenderer(model, self.code[:10])
        if self.workers < 2 or len(jobs) < PARALLEL_MIN_PAGES:
            return _run_share(renderer, jobs, target, old_pages), self._search_entries(model)
        # A CLI build also leaves the state for the next process (state.py): the second share saves it
        # and computes the search entries and the graph besides its pages, while this process renders, so
        # it takes fewer pages. serve keeps its caches here (its updates reuse them) and splits evenly.
        token = uuid.uuid4().hex if not self.live else ""
        own, theirs = _split(jobs, EXTRAS_PER_NOTE * len(model.vault.notes) if token else 0.0)
        _SHARED["build"] = _Shares(self, renderer, target, old_pages, token, os.getpid())
        try:
            mine, second = split_map(_work, [("graph" if not token else "", own), ("extras", theirs)], min_items=2)
        finally:
            _SHARED.clear()
        if second.failed:  # the other process failed: do its share here rather than lose pages
            if token:
                self.state.discard(token)
            return mine.results + _run_share(renderer, theirs, target, old_pages), self._search_entries(model)
        if second.saved:
            self._state_pending = token  # adopted once the manifest is saved
        self._graph_text = second.graph
        entries = second.entries or []
        self._adopt_search_entries(model, entries)
        return mine.results + second.results, entries

    def _finish_pending_state(self, success: bool) -> bool:
        """Adopt the state the child wrote if the build it describes succeeded, else delete it."""
        token, self._state_pending = self._state_pending, ""
        if not token:
            return False
        if success:
            self.state.adopt(token)
            self._carried, self._since_base = set(), set()
            return True
        self.state.discard(token)
        return False

    def _search_entries(self, model: SiteModel) -> list[str]:
        """Search index entries; those of notes whose Note object and relation names are unchanged are reused."""
        entries, self._search = searchdata.entries(model.vault, model.urls, self._search)
        return entries

    def _adopt_search_entries(self, model: SiteModel, entries: list[str]) -> None:
        """Entries computed by the forked child, kept here so that the next update reuses them."""
        self._search = searchdata.adopt(model.vault, model.urls, entries)

    def _data_files(
        self, model: SiteModel, target: FreshDir | LiveDir, pages: dict[str, Entry], old: dict[str, Entry],
        report: BuildReport, search: list[str],
    ) -> None:  # fmt: skip
        """search-index.json and graph.json, written only when their bytes change."""
        files = {
            "search-index.json": searchdata.index_json(search, model.vault).encode("utf-8"),
            "graph.json": (self._graph_text or self._graph.json(model.vault, model.urls)).encode("utf-8"),
        }
        for file, data in files.items():
            out_hash = digest(data)
            previous = old.get(file)
            if previous is None or previous[1] != out_hash:
                target.write(file, data)
                report.written.append(file)
            pages[file] = ["", out_hash, []]

    def _copy_assets(
        self, vault: Vault, pages: dict[str, Entry], target: FreshDir | LiveDir, old: dict[str, list[int]]
    ) -> dict[str, list[int]]:
        """Copy the attachments that pages use (never the whole vault: journals stay private)."""
        wanted = sorted({asset for entry in pages.values() for asset in entry[2]})
        copied: dict[str, list[int]] = {}
        for rel in wanted:
            source = vault.root / rel
            try:
                stat = source.stat()
            except OSError:
                continue
            if not source.is_file() or not source.resolve().is_relative_to(vault.root) or not publishable(rel):
                continue
            stamp = [stat.st_size, stat.st_mtime_ns]
            if old.get(rel) != stamp:
                target.copy(source, "assets/" + rel)
            copied[rel] = stamp
        if isinstance(target, LiveDir):
            for rel in set(old) - set(copied):
                target.remove("assets/" + rel)
        return copied

    def _copy_static(self, target: FreshDir) -> None:
        for path in sorted(STATIC.rglob("*")):
            if path.is_file():
                target.copy(path, "static/" + path.relative_to(STATIC).as_posix())
        target.write("static/highlight.css", highlight_css().encode("utf-8"))


@dataclass
class _ShareReport:
    """What a share of a parallel build hands back: its pages' manifest entries and, for the share that
    also did the shared work, the search entries, graph.json and whether it saved the state."""

    results: list[_Result]
    entries: list[str] | None = None
    graph: str | None = None
    saved: bool = False
    failed: bool = False


@dataclass
class _Shares:
    """A parallel build in progress, as the forked worker inherits it (nothing of it is sent)."""

    builder: SiteBuilder
    renderer: PageRenderer
    target: FreshDir | LiveDir
    old_pages: dict[str, Entry]
    token: str
    parent: int

    def run(self, kind: str, jobs: list[_Job]) -> _ShareReport:
        builder, model = self.builder, self.renderer.model
        try:
            report = _ShareReport(_run_share(self.renderer, jobs, self.target, self.old_pages))
            if kind == "graph":
                builder._graph.json(model.vault, model.urls)
            elif kind == "extras":
                report.entries = builder._search_entries(model)
                if self.token:
                    report.graph = builder._graph.json(model.vault, model.urls)
                    report.saved = builder.state.write_base(
                        builder.state.pending(self.token), self.token, builder.root, builder.live, model.vault,
                        model.nav, model.labs, builder._search, builder._graph,
                    )  # fmt: skip
            if os.getpid() != self.parent:
                self.target.flush()  # its pages are on disk before the parent swaps the folder in
        except Exception:
            if os.getpid() == self.parent:
                raise
            return _ShareReport([], failed=True)
        return report


def _split(jobs: list[_Job], extra: float) -> tuple[list[_Job], list[_Job]]:
    """Two interleaved shares (each with every kind of page) whose costs match once the second share
    also does `extra` pages' worth of shared work."""
    share = min(max((len(jobs) - extra) / 2, 0.0), len(jobs) / 2) / max(len(jobs), 1)
    own: list[_Job] = []
    theirs: list[_Job] = []
    for i, job in enumerate(jobs):
        (theirs if int((i + 1) * share) > int(i * share) else own).append(job)
    return own, theirs


_SHARED: dict[str, _Shares] = {}  # the build in progress, inherited by the forked worker


def _work(shares: Sequence[tuple[str, list[_Job]]]) -> list[_ShareReport]:
    """core/parallel's unit of work: shares of a build, by kind ("graph", "extras" or plain pages)."""
    build = _SHARED["build"]
    return [build.run(kind, jobs) for kind, jobs in shares]


def _run_share(
    renderer: PageRenderer, jobs: list[_Job], target: FreshDir | LiveDir, old_pages: dict[str, Entry]
) -> list[_Result]:
    """Context, fingerprint, and (when the fingerprint changed) render and write, for each job."""
    model = renderer.model
    results: list[_Result] = []
    for job in jobs:
        ctx = model.context(job.kind, job.key)
        fp = digest(_FINGERPRINT.encode(ctx))
        previous = old_pages.get(job.file)
        if previous is not None and previous[0] == fp:
            results.append((job.file, previous, False, False))
            continue
        page = renderer.render(job.kind, job.key, job.url, ctx)
        out_hash = digest(page.data)
        wrote = previous is None or previous[1] != out_hash
        if wrote:
            target.write(job.file, page.data)
        results.append((job.file, [fp, out_hash, page.assets], True, wrote))
    return results
