"""What the search index stores for a note: its files (by stat), its weighted fields, its graph.

Scanning is stdlib-only on purpose: `backbrain search` on a fresh index must decide "nothing
changed" from `stat()` alone, without importing the Markdown parser, YAML or pydantic (together
they cost more than the whole search). The parser is imported only for files that changed.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from backbrain.note import Note
    from backbrain.schema import Config

# Mirrors backbrain.vault (tests/search/test_index.py asserts they stay equal): importing the vault
# module would pull in the parser and pydantic just to walk a folder.
IGNORED_DIRS = {".obsidian", ".git", "node_modules", ".backbrain", ".venv", "__pycache__", ".trash"}
NOTE_SUFFIXES = {".md", ".markdown"}

# Sections that describe what a person sees or suffers; they rank above the rest of the body.
SYMPTOM_SECTIONS: dict[str, tuple[str, ...]] = {
    "failure-mode": ("what it is", "detection signals"),
    "pattern": ("problem",),
    "playbook": ("when to use",),
    "topic": ("what problem it solves", "what happens without it"),
    "decision": ("context",),
    "system": ("bottlenecks",),
    "principle": ("statement",),
}
# Typed relations whose partners' names are indexed with a note (a failure mode is found by the
# names of the patterns that mitigate it). `related` lists are broad and measured to add noise.
RELATION_TEXT_KINDS = frozenset({"mitigates", "uses", "risks", "affects", "supersedes"})
# Racy-stat guard (as in git): a file modified this recently may change again within the same
# mtime tick, so its stat is not trusted and the next sync re-hashes it.
RACY_NS = 2_000_000_000

_WIKILINK = re.compile(r"\[\[([^\]|#]*)(?:#[^\]|]*)?(?:\|([^\]]*))?\]\]")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_LINE_MARKUP = re.compile(r"\n[ \t]*(?:#{1,6}[ \t]+|(?:[-*+]|\d+\.)[ \t]+(?:\[[ xX]\][ \t]+)?|>[ \t]?)")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


@dataclass(frozen=True)
class FileStat:
    """One note file as found on disk: what a sync compares with the index."""

    rel: str
    path: str
    mtime_ns: int
    size: int


@dataclass
class Doc:
    """One note as indexed: the weighted text fields plus the metadata filters and graph need."""

    rel: str
    id: str
    type: str
    title: str
    aliases: list[str]
    tags: list[str]
    progress: str
    summary: str
    headings: str
    symptoms: str
    body: str
    targets: list[tuple[str, str]]  # (relation key or "link", target as written)
    mtime_ns: int
    size: int
    hash: str
    relations: str = ""  # names of typed-relation partners, filled in by the graph step

    def graph_key(self) -> tuple[Any, ...]:
        """What other notes' index rows depend on: names and outgoing targets."""
        return (self.id, self.title, tuple(self.aliases), tuple(map(tuple, self.targets)))


# -- scanning -----------------------------------------------------------------------------------
def scan_notes(root: Path) -> list[FileStat]:
    """Note files in the vault's order, with the same skipping rules as backbrain.vault.scan_files."""
    spec = _gitignore(root)
    found: list[FileStat] = []
    _walk(root, root, "", spec, found)
    return found


def _walk(root: Path, folder: str | Path, rel_folder: str, spec: Any, found: list[FileStat]) -> None:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return
    dirs = []
    for entry in entries:
        name = entry.name
        rel = rel_folder + name
        try:
            is_dir = entry.is_dir()
        except OSError:
            continue
        if is_dir:
            if name in IGNORED_DIRS or name.startswith(".") or entry.is_symlink():
                continue
            if spec is None or not spec.match_file(rel + "/"):
                dirs.append(entry)
            continue
        if name.startswith(".") or (spec is not None and spec.match_file(rel)):
            continue
        if name[name.rfind(".") :].lower() not in NOTE_SUFFIXES or "." not in name:
            continue
        if entry.is_symlink() and not _inside(Path(entry.path), root):
            continue
        try:
            st = entry.stat()
        except OSError:
            continue
        found.append(FileStat(rel, entry.path, st.st_mtime_ns, st.st_size))
    for entry in dirs:
        _walk(root, entry.path, rel_folder + entry.name + "/", spec, found)


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except (ValueError, OSError):
        return False
    return True


def _gitignore(root: Path) -> Any:
    path = root / ".gitignore"
    if not path.is_file():
        return None
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    import pathspec  # only vaults with a .gitignore pay for it

    return pathspec.PathSpec.from_lines("gitwildmatch", lines)


def content_hash(raw: bytes) -> str:
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


def trusted_mtime(mtime_ns: int, now_ns: int) -> int:
    """The mtime to store: 0 (never equal to a real one) when the file changed too recently to trust."""
    return mtime_ns if now_ns - mtime_ns > RACY_NS else 0


# -- extraction ---------------------------------------------------------------------------------
def doc_from_note(note: Note, config: Config, mtime_ns: int, size: int, digest: str) -> Doc:
    symptoms_wanted = SYMPTOM_SECTIONS.get(note.type, ())
    spec = config.types.get(note.type)
    boilerplate = {h.lower() for h in (spec.required_sections if spec else [])}
    if spec:
        boilerplate |= {h.lower() for subs in spec.subsections.values() for h in subs}
    symptoms: list[str] = []
    rest = [_intro(note)]
    for section in note.sections:
        target = symptoms if section.title.strip().lower() in symptoms_wanted else rest
        target.append(section.text)
    headings = [h.title for h in note.headings if h.level >= 2 and h.title.strip().lower() not in boilerplate]
    summary = note.summary
    takeaway = note.meta.get("takeaway")
    if isinstance(takeaway, str):
        summary = f"{summary} {takeaway.strip()}".strip()
    return Doc(
        rel=note.rel,
        id=note.id,
        type=note.type,
        title=note.title,
        aliases=note.aliases,
        tags=note.tags,
        progress=note.progress,
        summary=clean_markdown(summary),
        headings="; ".join(headings),
        symptoms=clean_markdown("\n\n".join(symptoms)),
        body=clean_markdown("\n\n".join(rest)),
        targets=_targets(note),
        mtime_ns=mtime_ns,
        size=size,
        hash=digest,
    )


def _intro(note: Note) -> str:
    """The body before the first H2, without the H1 line (the title is indexed on its own)."""
    lines = note.body.splitlines()
    stop = note.sections[0].line - note.body_line if note.sections else len(lines)
    kept = [line for line in lines[: max(stop, 0)] if not line.lstrip().startswith("# ")]
    return "\n".join(kept)


def _targets(note: Note) -> list[tuple[str, str]]:
    from backbrain.schema import RELATION_KEYS
    from backbrain.vault import is_attachment, relation_values

    targets = [(key, value) for key in RELATION_KEYS if key in note.meta for value in relation_values(note.meta[key])]
    targets += [("link", link.target) for link in note.links if not (link.embed and is_attachment(link.target))]
    return targets


def clean_markdown(text: str) -> str:
    """Markdown as readable text for snippets: link labels kept, markup and comments dropped."""
    if "<!--" in text:
        text = _COMMENT.sub(" ", text)
    if "[[" in text:
        text = text.replace("![[", "[[")
        text = _WIKILINK.sub(lambda m: (m.group(2) or m.group(1) or "").strip(), text)
    if "](" in text:
        text = _MD_LINK.sub(r"\1", text)
    text = text.replace("**", "").replace("`", "")
    return _LINE_MARKUP.sub("\n", "\n" + text)[1:]


# -- graph --------------------------------------------------------------------------------------
@dataclass
class GraphNote:
    """The part of a note that other notes' index rows depend on."""

    rel: str
    id: str
    title: str
    aliases: list[str]
    targets: list[tuple[str, str]]


@dataclass
class Graph:
    """Resolved edges (source id, kind, target id, declaring rel) and relation text per note id."""

    edges: list[tuple[str, str, str, str]] = field(default_factory=list)
    relation_text: dict[str, str] = field(default_factory=dict)


def build_graph(notes: list[GraphNote]) -> Graph:
    """Resolve every relation and link the way backbrain.vault does, without loading the vault."""
    from backbrain.schema import RELATION_KEYS

    by_id: dict[str, GraphNote] = {}
    for note in notes:
        by_id.setdefault(note.id, note)
    lookup = _lookup(by_id.values())
    resolved: dict[str, str | None] = {}  # the same target is written by many notes
    graph = Graph()
    seen: set[tuple[str, str, str]] = set()
    for note in by_id.values():
        for key, value in note.targets:
            target = resolved.get(value, "")
            if target == "":
                target = resolved[value] = _resolve(lookup, value)
            if target is None:
                continue
            if key == "link":
                edge = (note.id, "link", target)
            else:
                spec, inverse = RELATION_KEYS[key]
                edge = (target, spec.name, note.id) if inverse else (note.id, spec.name, target)
            if edge[0] != edge[2] and edge not in seen:
                seen.add(edge)
                graph.edges.append((*edge, note.rel))
    graph.relation_text = _relation_text(by_id, graph.edges)
    return graph


def _relation_text(by_id: dict[str, GraphNote], edges: Iterable[tuple[str, str, str, str]]) -> dict[str, str]:
    partners: dict[str, list[str]] = {}
    for source, kind, target, _ in edges:
        if kind in RELATION_TEXT_KINDS:
            partners.setdefault(source, []).append(target)
            partners.setdefault(target, []).append(source)
    text = {}
    for note_id, ids in partners.items():
        names = []
        for other in dict.fromkeys(ids):
            partner = by_id[other]
            names.append("; ".join([partner.title, *partner.aliases]))
        text[note_id] = " | ".join(names)
    return text


def _lookup(notes: Iterable[GraphNote]) -> dict[str, str]:
    """Same tiers as Vault._build_lookup: id, path, path stem, file stem, aliases, then titles."""
    from backbrain.note import slugify

    listed = list(notes)
    tiers: list[Iterator[tuple[str, str]]] = [
        ((n.id.lower(), n.id) for n in listed),
        ((n.rel.lower(), n.id) for n in listed),
        ((n.rel.rsplit(".", 1)[0].lower(), n.id) for n in listed),
        ((Path(n.rel).stem.lower(), n.id) for n in listed),
        ((alias.lower(), n.id) for n in listed for alias in n.aliases),
        ((slugify(alias), n.id) for n in listed for alias in n.aliases),
        ((n.title.lower(), n.id) for n in listed),
        ((slugify(n.title), n.id) for n in listed),
    ]
    lookup: dict[str, str] = {}
    for tier in tiers:
        for key, note_id in tier:
            if key:
                lookup.setdefault(key, note_id)
    return lookup


def _resolve(lookup: dict[str, str], target: str) -> str | None:
    from backbrain.note import slugify
    from backbrain.vault import normalize_target

    key = normalize_target(target)
    if key is None:
        return None
    return lookup.get(key) or lookup.get(slugify(key))
