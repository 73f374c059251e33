"""What the search index stores for a note: its weighted fields, its names, its graph.

Scanning is backbrain.core.location's (stdlib only): `backbrain search` on a fresh index must decide
"nothing changed" from `stat()` alone, without importing the Markdown parser, YAML or pydantic
(together they cost more than the whole search). The parser is imported only for files that changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from backbrain.core.resolver import Candidate, Names, Resolver, assign_ids, build_table
from backbrain.core.text import clean_markdown

if TYPE_CHECKING:
    from backbrain.core.note import Note
    from backbrain.core.schema import Config

# Typed relations whose partners' names are indexed with a note (a failure mode is found by the
# names of the patterns that mitigate it). `related` lists are broad and measured to add noise.
RELATION_TEXT_KINDS = frozenset({"mitigates", "uses", "risks", "affects", "supersedes"})
# Racy-stat guard (as in git): a file modified this recently may change again within the same
# mtime tick, so its stat is not trusted and the next sync re-hashes it.
RACY_NS = 2_000_000_000


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
    declared: bool = False  # the id was written as `id:` (else it comes from the file name)

    def graph_key(self) -> tuple[Any, ...]:
        """What other notes' index rows depend on: names and outgoing targets."""
        return (self.id, self.title, tuple(self.aliases), tuple(map(tuple, self.targets)))


# -- files ---------------------------------------------------------------------------------------
def content_hash(raw: bytes) -> str:
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


def trusted_mtime(mtime_ns: int, now_ns: int) -> int:
    """The mtime to store: 0 (never equal to a real one) when the file changed too recently to trust."""
    return mtime_ns if now_ns - mtime_ns > RACY_NS else 0


# -- extraction ---------------------------------------------------------------------------------
def doc_from_note(note: Note, config: Config, mtime_ns: int, size: int, digest: str) -> Doc:
    spec = config.types.get(note.type)
    symptoms_wanted = {s.lower() for s in spec.symptom_sections} if spec else set()
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
        declared=isinstance(note.meta.get("id"), str) and bool(note.meta["id"].strip()),
    )


def _intro(note: Note) -> str:
    """The body before the first H2, without the H1 line (the title is indexed on its own)."""
    lines = note.body.splitlines()
    stop = note.sections[0].line - note.body_line if note.sections else len(lines)
    kept = [line for line in lines[: max(stop, 0)] if not line.lstrip().startswith("# ")]
    return "\n".join(kept)


def _targets(note: Note) -> list[tuple[str, str]]:
    from backbrain.core.schema import RELATION_KEYS
    from backbrain.core.vault import is_attachment, relation_values

    targets = [(key, value) for key in RELATION_KEYS if key in note.meta for value in relation_values(note.meta[key])]
    targets += [("link", link.target) for link in note.links if not (link.embed and is_attachment(link.target))]
    return targets


# -- names ---------------------------------------------------------------------------------------
@dataclass
class NameRows:
    """A note's names as the ranking compares them, computed once when the note is indexed.

    `names`: (position, the name lowercased, its length, its words' stems joined by spaces, or None
    past MAX_GRAM words). `terms`: distinct (stem, word) of the names' words, the word None unless it
    is a typo-correction word (three or more letters, not a number).
    """

    names: list[tuple[int, str, int, str | None]]
    terms: list[tuple[str, str | None]]


def name_rows(title: str, aliases: list[str]) -> NameRows:
    from backbrain.search.query import MAX_GRAM, stemmer, words_of

    strings = [name.lower().replace("\n", " ") for name in [title, *aliases]]  # one line each
    name_words = [words_of(name) for name in strings]
    vocabulary = sorted({w for words in name_words for w in words if _is_vocabulary(w)})
    stems = dict(zip(vocabulary, stemmer().stems(vocabulary), strict=True))
    rows = NameRows([], [])
    terms: dict[tuple[str, str | None], None] = {}
    for position, (name, words) in enumerate(zip(strings, name_words, strict=True)):
        gram = [stems.get(w) or w for w in words]
        rows.names.append((position, name, len(name), " ".join(gram) if 0 < len(gram) <= MAX_GRAM else None))
        for word, stem in zip(words, gram, strict=True):
            terms[(stem, word if word in stems else None)] = None
    rows.terms = list(terms)
    return rows


def _is_vocabulary(word: str) -> bool:
    return len(word) >= 3 and not word.isdigit()


# -- graph --------------------------------------------------------------------------------------
Edge = tuple[str, str, str]  # (source id, kind, target id); "link" for wikilinks


@dataclass
class GraphNote:
    """The part of a note that other notes' index rows depend on."""

    rel: str
    id: str
    title: str
    aliases: list[str]
    targets: list[tuple[str, str]]
    declared: bool = True


@dataclass
class Graph:
    """Resolved edges (source id, kind, target id, declaring rel), the resolver's name table (each
    key's candidates as JSON, as the index stores them), each note's vault-wide id, and the relation
    text of each note id that has typed partners."""

    edges: list[tuple[str, str, str, str]] = field(default_factory=list)
    relation_text: dict[str, str] = field(default_factory=dict)
    lookup: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)


def build_graph(notes: list[GraphNote]) -> Graph:
    """Resolve every relation and link with core/resolver, as the vault does, without loading the vault.

    Edges are kept per declaring note (a relation declared on both ends is two rows, one per
    note), so that re-indexing one note replaces exactly its own rows.
    """
    ids = assign_ids([(n.rel, n.id if n.declared else None) for n in notes])
    by_id: dict[str, GraphNote] = {}
    for note in notes:
        note.id = ids[note.rel]
        by_id.setdefault(note.id, note)
    table = build_table(Names(n.rel, n.id, n.title, tuple(n.aliases)) for n in by_id.values())
    graph = Graph(lookup={key: encode_candidates(found) for key, found in table.items()}, ids=ids)
    resolver = Resolver(table.get)
    for note in by_id.values():
        graph.edges.extend((*edge, note.rel) for edge in note_edges(note.id, note.rel, note.targets, resolver))
    partners: dict[str, set[str]] = {}
    for source, kind, target, _ in graph.edges:
        if kind in RELATION_TEXT_KINDS:
            partners.setdefault(source, set()).add(target)
            partners.setdefault(target, set()).add(source)
    graph.relation_text = {
        note_id: relation_text([(by_id[o].title, by_id[o].aliases) for o in sorted(others)])
        for note_id, others in partners.items()
    }
    return graph


def encode_candidates(found: list[Candidate]) -> str:
    return json.dumps([list(c) for c in found], separators=(",", ":"))


def decode_candidates(text: str) -> list[Candidate]:
    return [Candidate(*c) for c in json.loads(text)]


def note_edges(note_id: str, rel: str, targets: Iterable[tuple[str, str]], resolver: Resolver) -> list[Edge]:
    """The distinct edges one note declares, in the order written; links to itself are dropped."""
    from backbrain.core.schema import RELATION_KEYS

    edges: dict[Edge, None] = {}
    for key, value in targets:
        target = resolver.find(value, rel)
        if target is None:
            continue
        if key == "link":
            edge = (note_id, "link", target)
        else:
            spec, inverse = RELATION_KEYS[key]
            edge = (target, spec.name, note_id) if inverse else (note_id, spec.name, target)
        if edge[0] != edge[2]:
            edges[edge] = None
    return list(edges)


def relation_text(partners: list[tuple[str, list[str]]]) -> str:
    """The names (title; aliases) of a note's typed-relation partners, in partner id order."""
    return " | ".join("; ".join([title, *aliases]) for title, aliases in partners)
