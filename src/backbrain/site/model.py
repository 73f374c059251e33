"""What each page shows, as plain data: the contexts the templates render.

Contexts hold only strings, numbers, lists and dicts (no Note objects, no rendered body), so a page's
context doubles as its build fingerprint: hash it, and if the hash matches the cache the page does not
need rendering at all. The note body enters a context as the hash of its source plus how each of its
links resolves, which is everything its rendered HTML depends on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import defaultdict
from typing import Any

from backbrain.core.note import Note
from backbrain.core.schema import (
    DEFAULT_DESCRIPTION,
    MAX_PAGES_PER_BUILD,
    MAX_TAGS_PER_NOTE,
    PLAIN_NOTE,
    relation_order,
    relation_title,
)
from backbrain.core.text import WIKILINK
from backbrain.core.vault import Vault
from backbrain.errors import UsageError
from backbrain.learn.progress import Rollup
from backbrain.site.folders import folder_trail, folder_tree, has_folders, top_sections
from backbrain.site.graph import MAX_RING, neighbourhood_svg, type_colour
from backbrain.site.labs import LabPanel, lab_name, load_lab
from backbrain.site.urls import SiteUrls, duplicates

Context = dict[str, Any]
_DATE_FIELDS = ("date", "created", "updated", "reviewed")


def note_digest(note: Note) -> str:
    """Content hash of a note's source: what its rendered body depends on, besides link targets."""
    data = f"{note.rel}\0{note.type}\0{note.front.raw}\0{note.body}".encode("utf-8", "replace")
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def date_of(note: Note, key: str) -> str:
    value = note.meta.get(key)
    return str(value)[:10] if isinstance(value, (str, dt.date)) else ""


class SiteModel:
    """The vault seen as a website: page list, page contexts and the data behind the listings."""

    def __init__(self, vault: Vault, *, live: bool = False, mtimes: dict[str, float] | None = None) -> None:
        self.vault = vault
        self.urls = SiteUrls(vault)
        self.live = live
        self.mtimes = mtimes or {}
        self.labs: dict[str, LabPanel | None] = {}
        self._refs: dict[str, dict[str, Any]] = {}
        self._links: dict[str, tuple[Note, tuple[str, str, str]]] = {}
        self.duplicates = duplicates(vault)  # files sharing a declared id: pages of their own
        self.has_folders = has_folders(vault.files)
        self._tree: Context | None = None
        self.by_type: dict[str, list[Note]] = defaultdict(list)
        self.by_tag: dict[str, list[Note]] = defaultdict(list)
        for note in sorted(vault.notes.values(), key=lambda n: n.title.lower()):
            self.by_type[note.type].append(note)
            for tag in note.tags[:MAX_TAGS_PER_NOTE]:  # more is a check problem (BB010), not more pages
                self.by_tag[tag].append(note)
        self.nav = self._nav()

    # -- the page list --------------------------------------------------------------------------------
    def pages(self) -> list[tuple[str, str, str]]:
        """(kind, key, url) for every HTML page; data files (search index, graph) are added by the builder."""
        pages = [("home", "", ""), ("tags", "", "tags/"), ("timeline", "", "timeline/"), ("graph", "", "graph/")]
        if self.has_folders:
            pages.append(("folders", "", "folders/"))
        pages += [("search", "", "search/"), ("404", "", "404.html")]
        if self.live:  # reviewing writes to the journal, so only the local server has the page
            pages.append(("review", "", "review/"))
        pages.extend(("type", name, self.urls.type_index(name)) for name in self.listed_types())
        pages.extend(("tag", tag, self.urls.tag(tag)) for tag in sorted(self.by_tag))
        pages.extend(("note", note_id, self.urls.note(note_id)) for note_id in sorted(self.vault.notes))
        pages.extend(("note", key, self.urls.note(key)) for key in sorted(self.duplicates))
        if len(pages) > MAX_PAGES_PER_BUILD:
            raise UsageError(
                f"The site would have {len(pages):,} pages, more than the limit of {MAX_PAGES_PER_BUILD:,}.",
                hint="Split the knowledge base, or run `backbrain check` for notes with too many tags (BB010).",
            )
        return pages

    def note_for(self, key: str) -> Note:
        """The note a note page shows: by id, or a duplicate file by its page key."""
        return self.vault.notes.get(key) or self.duplicates[key]

    def note_pages_of(self, ids: set[str], rels: set[str]) -> set[str]:
        """Page keys of the duplicate files among these ids or paths (incremental builds)."""
        return {key for key, note in self.duplicates.items() if note.id in ids or note.rel in rels}

    def listed_types(self) -> list[str]:
        """Types with notes, in config order: a type no note has gets no section, page or nav entry."""
        return [name for name in self.vault.config.types if self.by_type.get(name)]

    def folder_tree(self) -> Context:
        """Every note page by folder (folders.py), for the explorer page and the home page's sections."""
        if self._tree is None:
            pages = [*self.vault.notes.items(), *self.duplicates.items()]
            self._tree = folder_tree(pages, self.urls.note)
        return self._tree

    def context(self, kind: str, key: str) -> Context:
        builder = getattr(self, f"_ctx_{kind.replace('404', 'not_found')}")
        ctx: Context = builder(key)
        ctx["nav"] = self.nav
        site = self.vault.config.site
        ctx["site"] = {"title": site.title, "description": site.description,
                       "tagline": self._tagline(), "footer": site.footer}  # fmt: skip
        ctx["live"] = self.live
        return ctx

    def _tagline(self) -> str:
        """`tagline`, else `description`; a vault of plain notes does not inherit the starter's description."""
        site = self.vault.config.site
        if site.tagline:
            return site.tagline
        untyped = all(name == PLAIN_NOTE for name in self.by_type)
        return "" if untyped and site.description == DEFAULT_DESCRIPTION else site.description

    def _nav(self) -> list[tuple[str, str]]:
        items = [(self.type_label(name), self.urls.type_index(name)) for name in self.listed_types()]
        if self.by_type.get("decision"):
            items.append(("Timeline", "timeline/"))
        if self.has_folders:
            items.append(("Folders", "folders/"))
        items += [("Tags", "tags/"), ("Graph", "graph/")]
        if self.live:
            items.append(("Review", "review/"))
        return items

    def type_label(self, type_name: str) -> str:
        spec = self.vault.config.types.get(type_name)
        return (spec.label if spec and spec.label else type_name.replace("-", " ").capitalize()) or type_name

    # -- shared pieces --------------------------------------------------------------------------------
    def ref(self, note: Note) -> Context:
        """A note as listings show it (cached: a busy note is listed on many pages)."""
        cached = self._refs.get(note.id)
        if cached is None or cached["note"] is not note:
            url = self.urls.note(note.id)
            ref = {"url": url, "title": note.title, "type": note.type, "summary": note.summary}
            cached = self._refs[note.id] = {"note": note, "ref": ref}
        found: Context = cached["ref"]
        return found

    def link(self, note_id: str) -> tuple[str, str, str] | None:
        """A note as a link shows it: (url, title, type); no summary, so panels ignore summary edits.

        Cached per note (checked by identity): a page links to ~10 notes, so a 10,000-note build asks
        for these tuples ~140,000 times."""
        note = self.vault.notes.get(note_id)
        if note is None:
            return None
        hit = self._links.get(note_id)
        if hit is not None and hit[0] is note:
            return hit[1]
        made = (self.urls.note(note_id), note.title, note.type)
        self._links[note_id] = (note, made)
        return made

    def ref_id(self, note_id: str) -> Context | None:
        note = self.vault.notes.get(note_id)
        return self.ref(note) if note else None

    def changed_on(self, note: Note) -> str:
        """The date shown in 'recent changes': updated, else created, else the file's modification day."""
        stamp = date_of(note, "updated") or date_of(note, "created")
        if stamp:
            return stamp
        mtime = self.mtimes.get(note.rel)
        return dt.date.fromtimestamp(mtime).isoformat() if mtime else ""

    def lab(self, note: Note) -> LabPanel | None:
        name = lab_name(note.meta)
        if name is None:
            return None
        if name not in self.labs:
            self.labs[name] = load_lab(self.vault.root, name)
        return self.labs[name]

    # -- contexts -------------------------------------------------------------------------------------
    def _ctx_home(self, key: str) -> Context:
        notes = list(self.vault.notes.values())
        articles = self.by_type.get("article", [])
        focus: dict[str, list[Context]] = defaultdict(list)
        for note in articles:
            area = note.meta.get("focus-area")
            if isinstance(area, str) and area.strip():
                focus[area.strip()].append(self.ref(note))
        recent = sorted(notes, key=lambda n: (self.changed_on(n), self.mtimes.get(n.rel, 0.0), n.id), reverse=True)
        start_here = [n for n in notes if n.meta.get("start-here") is True]
        shown = {n.id for n in start_here}  # flagship articles already shown there are not listed twice
        return {
            "page_title": self.vault.config.site.title,
            "focus_areas": sorted(focus.items()),
            "start_here": [self._card(n) for n in start_here],
            "flagship": [self._card(n) for n in articles if n.meta.get("flagship") is True and n.id not in shown],
            "recent": [self.ref(n) | {"date": self.changed_on(n)} for n in recent[:12]],
            "sections": [
                {"label": self.type_label(t), "url": self.urls.type_index(t), "count": len(self.by_type.get(t, [])),
                 "colour": type_colour(t)}
                for t in self.listed_types()
            ],
            "roadmap": self._roadmap_areas(summary_only=True),
            "folders": top_sections(self.folder_tree()) if self.has_folders else [],
            "total": len(notes),
        }  # fmt: skip

    def _card(self, note: Note) -> Context:
        """A home page card: the listing ref, plus the takeaway of a flagship article."""
        takeaway = _text(note.meta.get("takeaway")) if note.meta.get("flagship") is True else ""
        return self.ref(note) | {"takeaway": takeaway}

    def _ctx_type(self, type_name: str) -> Context:
        notes = self.by_type.get(type_name, [])
        rows = []
        for note in notes:
            row = self.ref(note) | {"tags": note.tags[:6], "progress": note.progress, "draft": self.draft(note)}
            if type_name == "decision":
                row |= {"status": _text(note.meta.get("status")), "date": date_of(note, "date")}
            rows.append(row)
        ctx: Context = {"page_title": self.type_label(type_name), "type": type_name, "notes": rows}
        if type_name == "topic":
            ctx["areas"] = self._roadmap_areas(summary_only=False)
        return ctx

    def _roadmap_areas(self, summary_only: bool) -> list[Context]:
        topics = self.by_type.get("topic", [])
        if not topics:
            return []
        areas = [(area.id, area.title) for area in self.vault.config.roadmap.areas]
        known = {area_id for area_id, _ in areas}
        grouped: dict[str, list[Note]] = defaultdict(list)
        for note in topics:
            area = _text(note.meta.get("area"))
            grouped[area if area in known else "other"].append(note)
        if grouped.get("other"):
            areas.append(("other", "Other topics"))
        result = []
        for area_id, title in areas:
            members = sorted(grouped.get(area_id, []), key=lambda n: (_order(n), n.title.lower()))
            rollup = Rollup(area_id, title)  # the roll-up `backbrain progress` counts with
            for member in members:
                rollup.add(member)
            counts = {"total": rollup.total, "done": rollup.completed, "doing": rollup.in_progress}
            item: Context = {"id": area_id, "title": title, **counts}
            if not summary_only:
                item["topics"] = [self.ref(n) | {"progress": n.progress, "phase": n.phase or ""} for n in members]
            result.append(item)
        return result

    def _ctx_tags(self, key: str) -> Context:
        tags = [(tag, self.urls.tag(tag), len(notes)) for tag, notes in sorted(self.by_tag.items())]
        return {"page_title": "Tags", "tags": tags}

    def _ctx_tag(self, tag: str) -> Context:
        return {"page_title": f"#{tag}", "tag": tag, "notes": [self.ref(n) for n in self.by_tag.get(tag, [])]}

    def _ctx_timeline(self, key: str) -> Context:
        decisions = sorted(self.by_type.get("decision", []), key=lambda n: (date_of(n, "date"), n.id), reverse=True)
        items = []
        for note in decisions:
            rel = self.vault.relations(note.id)
            items.append(
                self.ref(note)
                | {
                    "date": date_of(note, "date") or "undated",
                    "status": _text(note.meta.get("status")) or "unknown",
                    "supersedes": [r for r in map(self.ref_id, rel.get("supersedes", [])) if r],
                    "superseded_by": [r for r in map(self.ref_id, rel.get("superseded-by", [])) if r],
                }
            )
        return {"page_title": "Decision timeline", "decisions": items, "chains": self._chains(decisions)}

    def _chains(self, decisions: list[Note]) -> list[list[Context]]:
        """Supersede chains, oldest first, each starting at a decision that supersedes nothing."""
        chains = self.vault.supersessions.chains(note.id for note in decisions)
        return [[ref for ref in map(self.ref_id, chain) if ref] for chain in chains]

    def _ctx_graph(self, key: str) -> Context:
        types = sorted(self.by_type)
        legend = [(self.type_label(t), t, len(self.by_type[t])) for t in types]
        return {"page_title": "Knowledge graph", "legend": legend, "count": len(self.vault.notes)}

    def _ctx_folders(self, key: str) -> Context:
        tree = self.folder_tree()
        return {"page_title": "Folders", "tree": tree, "total": tree["count"]}

    def _ctx_search(self, key: str) -> Context:
        return {"page_title": "Search"}

    def _ctx_review(self, key: str) -> Context:
        return {"page_title": "Review"}

    def _ctx_not_found(self, key: str) -> Context:
        return {"page_title": "Page not found"}

    def _ctx_note(self, note_id: str) -> Context:
        note = self.note_for(note_id)
        relations = self.vault.relations(note_id)
        panels = []
        for label in sorted(relations, key=relation_order):
            refs = [r for r in map(self.link, relations[label]) if r]
            if refs:
                panels.append((label, relation_title(label), refs))
        neighbours = sorted(self.vault.neighbours(note_id))
        ring = [ref for ref in map(self.link, neighbours) if ref]
        links = []
        for link, target in self.vault.outgoing(note):
            asset = self.vault.resolve_attachment(link.target) if target is None else None
            links.append((link.target, target.id if target else None, target.title if target else None, asset))
        lab = self.lab(note)
        ctx: Context = {
            "page_title": note.title,
            "note": {
                "id": note.id, "title": note.title, "type": note.type, "type_label": self.type_label(note.type),
                "url": self.urls.note(note_id),
                "type_url": self.urls.type_index(note.type), "colour": type_colour(note.type), "rel": note.rel,
                "summary": note.summary, "aliases": note.aliases, "progress": note.progress, "phase": note.phase,
                "tags": [(tag, self.urls.tag(tag)) for tag in note.tags[:MAX_TAGS_PER_NOTE]],
                "fields": self._fields(note),
                "tasks": (sum(t.done for t in note.tasks), len(note.tasks)), "resources": _resources(note),
                "draft": self.draft(note), "learnable": self.learnable(note),
                "folders": folder_trail(note.rel) if self.has_folders else [],
            },
            "body_digest": self.body_digest(note),
            "embeds": self._embedded_digests(note),
            "links": links,
            "panels": panels,
            "backlinks": self._backlinks(note_id),
            "ring": ring,
            "ring_hidden": max(0, len(ring) - MAX_RING),
            "lab": _lab_context(lab),
        }  # fmt: skip
        if self.live:
            ctx["problems"] = self.problems(note)
        return ctx

    def learnable(self, note: Note) -> bool:
        """Whether the page shows learning progress: not on decisions, which are records to consult
        (an accepted ADR is "accepted", never "in progress")."""
        return note.type != "decision"

    def draft(self, note: Note) -> str:
        """The note's draft status ("draft", "proposed" for a decision), or "" when it is not a draft."""
        status = note.meta.get("status")
        return str(status).strip().lower() if self.vault.config.is_draft(note.type, status) else ""

    def _embedded_digests(self, note: Note, depth: int = 0) -> list[str]:
        """The source hashes of the notes this one transcludes (`![[note]]`), nested ones included:
        the page shows their text, so an edit there must change this page's fingerprint."""
        found: list[str] = []
        for link, target in self.vault.outgoing(note):
            if link.embed and target is not None and target.id != note.id and depth < 3:
                found.append(self.body_digest(target))
                found.extend(self._embedded_digests(target, depth + 1))
        return found

    def body_digest(self, note: Note) -> str:
        """What a note's rendered body depends on besides link targets: the hash of the file's bytes the
        vault took when it read them (hashing the parsed text again cost ~0.2 s a 10,000-note build)."""
        stamp = self.vault.stamps.get(note.rel)
        if stamp is not None and stamp.digest:
            return stamp.digest.hex()
        return note_digest(note)

    def problems(self, note: Note) -> list[tuple[int, str, str, str]]:
        """`backbrain check`'s findings for one note, shown on its page while serving."""
        from backbrain.check import check_note

        found = check_note(self.vault, note, dt.date.today())
        return [(p.line, p.code, p.severity, p.message) for p in found]

    def neighbourhood(self, ctx: Context, root: str) -> str:
        note = ctx["note"]
        return neighbourhood_svg((note["url"], note["title"], note["type"]), ctx["ring"], root)

    def _fields(self, note: Note) -> list[tuple[str, str]]:
        fields = [(key.capitalize(), date_of(note, key)) for key in _DATE_FIELDS if date_of(note, key)]
        for key in ("status", "deciders", "takeaway", "focus-area", "area", "order"):
            value = note.meta.get(key)
            if isinstance(value, list):
                value = ", ".join(str(v) for v in value)
            if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
                fields.append((relation_title(key), str(value)))
        return fields

    def backlink_contexts(self, note_id: str) -> list[tuple[str, str]]:
        """(source id, linking sentence) of Vault.backlinks (which splits each source's lines once)."""
        return [(b.source, b.context) for b in self.vault.backlinks(note_id)]

    def _backlinks(self, note_id: str) -> list[tuple[tuple[str, str, str], list[str]]]:
        grouped: dict[str, list[str]] = {}
        for source, line in self.backlink_contexts(note_id):
            grouped.setdefault(source, [])
            context = self._readable(line, self.vault.notes.get(source))
            if context and context not in grouped[source] and len(grouped[source]) < 3:
                grouped[source].append(context)
        result = []
        for source, contexts in grouped.items():
            ref = self.link(source)
            if ref:
                result.append((ref, contexts))
        return sorted(result, key=lambda r: r[0][1].lower())

    def _readable(self, line: str, source: Note | None) -> str:
        """A backlink's sentence with [[links]] shown as their labels or the linked notes' titles."""
        if "[[" not in line:
            return line

        def label(match: re.Match[str]) -> str:
            if match.group(3):
                return match.group(3)
            target = self.vault.resolve(match.group(1), source)
            return target.title if target else match.group(1)

        return WIKILINK.sub(label, line)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _order(note: Note) -> int:
    value = note.meta.get("order")
    return value if isinstance(value, int) and not isinstance(value, bool) else 10**6


def _resources(note: Note) -> list[tuple[str, str]]:
    """Topic resources as (title, url); only http(s) URLs become links."""
    items = note.meta.get("resources")
    result = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict):
            title, url = str(item.get("title") or item.get("url") or ""), str(item.get("url") or "")
        else:
            title, url = str(item), str(item)
        if title:
            result.append((title, url if url.startswith(("https://", "http://")) else ""))
    return result


def _lab_context(lab: LabPanel | None) -> Context | None:
    if lab is None:
        return None
    return {
        "name": lab.name, "metrics": lab.metrics, "rows": lab.rows, "params": lab.params, "seed": lab.seed,
        "plot": f"assets/labs/{lab.name}/plot.svg" if lab.plot else None, "digest": lab.digest,
    }  # fmt: skip
