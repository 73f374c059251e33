"""Navigation: go to definition, find references, the outline, workspace symbols and hover.

A link or a relation value is resolved by the vault (the one lookup the CLI, search and the site
use); references are the vault's backlink index and its typed edges, so what the editor shows is
what `backbrain show` and the site show.
"""

from __future__ import annotations

from dataclasses import dataclass

from lsprotocol import types
from rapidfuzz import fuzz, process, utils

from backbrain.core.note import Note, Section, normalize_heading, slugify
from backbrain.core.schema import RELATION_KEYS
from backbrain.core.vault import is_attachment
from backbrain.lsp import cursor
from backbrain.lsp.cursor import block_values
from backbrain.lsp.session import Session
from backbrain.lsp.text import Text

SYMBOL_LIMIT = 200


@dataclass(frozen=True)
class Target:
    """What the cursor points at: a note (maybe one of its headings), or an attachment's path."""

    note: Note | None
    anchor: str | None = None
    attachment: str | None = None


def target_at(session: Session, rel: str, text: Text, position: types.Position) -> Target | None:
    """The note (or attachment) named by the link or relation value under the cursor."""
    column = text.column(position)
    link = cursor.link_at(text, position.line, column)
    if link is not None:
        if link.embed and is_attachment(link.target):
            found = session.vault.resolve_attachment(link.target)
            return Target(None, attachment=found) if found else None
        note = session.vault.resolve(link.target, session.note(rel)) if link.target else session.note(rel)
        return Target(note, link.anchor) if note is not None else None
    value = cursor.value_at(text, position.line, column)
    if value is not None and value.key in RELATION_KEYS:
        note = session.vault.resolve(value.value, session.note(rel))
        return Target(note) if note is not None else None
    return None


def heading_of(note: Note, anchor: str | None) -> Section | None:
    """The heading a `#anchor` names (matched as the core matches anchors: case and spacing aside)."""
    if not anchor or anchor.startswith("^"):
        return None
    wanted, slug = normalize_heading(anchor), slugify(anchor)
    return next((h for h in note.headings if normalize_heading(h.title) == wanted or slugify(h.title) == slug), None)


def definition(session: Session, rel: str, text: Text, position: types.Position) -> types.Location | None:
    target = target_at(session, rel, text, position)
    if target is None:
        return None
    if target.attachment is not None:
        return types.Location(uri=session.uri_of(target.attachment), range=_top())
    assert target.note is not None
    heading = heading_of(target.note, target.anchor)
    return types.Location(uri=session.uri_of(target.note.rel), range=_top(heading.line - 1 if heading else 0))


def _top(line: int = 0) -> types.Range:
    """The start of a line: where a jump to a note or a heading lands."""
    return types.Range(start=types.Position(line=line, character=0), end=types.Position(line=line, character=0))


def references(session: Session, rel: str, text: Text, position: types.Position) -> list[types.Location]:
    """Every link and relation that points at the note under the cursor (or at this note)."""
    target = target_at(session, rel, text, position)
    note = target.note if target is not None else session.note(rel)
    if note is None:
        return []
    texts: dict[str, Text] = {}

    def text_of(path: str) -> Text:
        if path not in texts:
            texts[path] = session.text_of(path)
        return texts[path]

    found: list[types.Location] = []
    seen: dict[tuple[str, int, str], int] = {}  # links to the same target on one line: the n-th link, n-th span
    for source, link in session.vault.incoming(note.id):
        line = link.line - 1
        source_text = text_of(source.rel)
        spans = [ref for ref in cursor.links_on(source_text.line(line)) if ref.target == link.target]
        nth = seen[source.rel, line, link.target] = seen.get((source.rel, line, link.target), -1) + 1
        if spans:
            chosen = spans[min(nth, len(spans) - 1)]
            span = source_text.range(line, chosen.start, chosen.end)
        else:
            span = source_text.range(line, 0)
        found.append(types.Location(uri=session.uri_of(source.rel), range=span))
    for declared, line in relation_sources(session, note):
        declared_text, row = text_of(declared.rel), line - 1
        resolve = session.vault.resolve
        values = [(r, v) for r, v in block_values(declared_text.lines, row) if resolve(v.value, declared) is note]
        if values:
            row, value = values[0]
            span = declared_text.range(row, value.start, value.end)
        else:
            span = declared_text.range(row, 0)
        found.append(types.Location(uri=session.uri_of(declared.rel), range=span))
    return _unique(found)


def relation_sources(session: Session, note: Note) -> list[tuple[Note, int]]:
    """(note, line) of each typed relation to this note that another note's front matter declares."""
    seen: dict[tuple[str, int], tuple[Note, int]] = {}
    for edge in session.vault.edges:
        if note.id in (edge.source, edge.target) and edge.declared_by != note.id:
            declared = session.vault.notes.get(edge.declared_by)
            if declared is not None:
                seen.setdefault((declared.rel, edge.line), (declared, edge.line))
    return list(seen.values())


def _unique(locations: list[types.Location]) -> list[types.Location]:
    keys = set()
    kept = []
    for location in locations:
        key = (location.uri, location.range.start.line, location.range.start.character)
        if key not in keys:
            keys.add(key)
            kept.append(location)
    return kept


def document_symbols(session: Session, rel: str, text: Text) -> list[types.DocumentSymbol]:
    """The outline: headings nested by level, each spanning its section."""
    note = session.note(rel)
    if note is None:
        return []
    last = max(len(text.lines) - 1, 0)
    roots: list[types.DocumentSymbol] = []
    stack: list[tuple[int, types.DocumentSymbol]] = []
    headings = note.headings
    for index, heading in enumerate(headings):
        stop = next((h.line - 2 for h in headings[index + 1 :] if h.level <= heading.level), last)
        line = heading.line - 1
        symbol = types.DocumentSymbol(
            name=heading.title or "(untitled)",
            kind=types.SymbolKind.File if heading.level == 1 else types.SymbolKind.String,
            range=text.span(line, max(stop, line)),
            selection_range=text.range(line, 0),
            detail="#" * heading.level,
            children=[],
        )
        while stack and stack[-1][0] >= heading.level:
            stack.pop()
        if stack:
            parent = stack[-1][1]
            parent.children = [*(parent.children or []), symbol]
        else:
            roots.append(symbol)
        stack.append((heading.level, symbol))
    return roots


def workspace_symbols(session: Session, query: str) -> list[types.WorkspaceSymbol]:
    """Every note (by title, id and aliases) and, for a non-empty query, every heading."""
    catalog = session.catalog
    symbols: list[tuple[str, types.WorkspaceSymbol]] = [
        (
            entry.search_text,
            types.WorkspaceSymbol(
                name=entry.title,
                kind=types.SymbolKind.File,
                location=types.Location(uri=session.uri_of(entry.rel), range=_top()),
                container_name=entry.type,
            ),
        )
        for entry in catalog.entries
    ]
    if not query.strip():
        return [symbol for _, symbol in symbols[:SYMBOL_LIMIT]]
    for note in session.vault.notes.values():
        uri = session.uri_of(note.rel)
        for heading in note.headings:
            if heading.level > 1:
                symbols.append(
                    (
                        heading.title,
                        types.WorkspaceSymbol(
                            name=heading.title,
                            kind=types.SymbolKind.String,
                            location=types.Location(uri=uri, range=_top(heading.line - 1)),
                            container_name=note.title,
                        ),
                    )
                )
    names = [name for name, _ in symbols]
    best = process.extract(query, names, scorer=fuzz.WRatio, processor=utils.default_process, limit=SYMBOL_LIMIT)
    return [symbols[index][1] for _, score, index in best if score >= 50]


def hover(session: Session, rel: str, text: Text, position: types.Position) -> types.Hover | None:
    """A linked note's title, type, id, summary and typed relations."""
    target = target_at(session, rel, text, position)
    if target is None:
        return None
    if target.note is None:
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=f"`{target.attachment}`"))
    note = target.note
    lines = [f"**{note.title}**  ", f"{note.type} · `{note.id}` · {note.rel}"]
    heading = heading_of(note, target.anchor)
    if heading is not None:
        lines.append(f"\n§ {heading.title}")
    if note.summary:
        lines.append(f"\n{note.summary}")
    relations = session.vault.relations(note.id)
    if relations:
        lines.append("")
        for label, ids in sorted(relations.items()):
            titles = [session.vault.notes[i].title if i in session.vault.notes else i for i in ids]
            lines.append(f"- {label}: {', '.join(titles)}")
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n".join(lines)))
