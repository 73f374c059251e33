"""Completion: note names in links, headings after '#', attachments in embeds, and front matter values
from the schema (a relation offers only notes of the types it allows; `type:` the vault's types; an
enum field its values; `tags:` the tags in use), and `## ` the type's missing required sections.

Names are ranked on the server (rapidfuzz over id, title and aliases) and capped, so a 10,000-note
vault answers with 50 good items, marked incomplete so the editor asks again as the user types.
"""

from __future__ import annotations

from lsprotocol import types
from rapidfuzz import fuzz, process, utils

from backbrain.core.schema import RELATION_KEYS, missing_sections
from backbrain.lsp import cursor
from backbrain.lsp.session import Entry, Session
from backbrain.lsp.text import Text

LIMIT = 50
_EMPTY = types.CompletionList(is_incomplete=False, items=[])


def complete(session: Session, rel: str, text: Text, position: types.Position) -> types.CompletionList:
    column = text.column(position)
    typing = cursor.typing_at(text, position.line, column)
    if typing is None:
        return _EMPTY
    edit_range = text.range(position.line, typing.start, column)
    closing = "" if text.line(position.line)[column:].startswith("]]") else "]]"
    if typing.kind in ("link", "embed"):
        catalog = session.catalog
        found = ranked(catalog.entries, typing.prefix, catalog.search_texts)
        items = [_note_item(entry, edit_range, closing) for entry in found]
        if typing.kind == "embed":
            items = _attachment_items(session, typing.prefix, edit_range, closing) + items
        return types.CompletionList(is_incomplete=True, items=_ordered(items))
    if typing.kind == "anchor":
        return _anchor_items(session, rel, typing, edit_range, closing)
    if typing.kind == "field":
        lead = " " if text.line(position.line)[: typing.start].endswith(":") else ""  # `type:|` needs `: `
        return _field_items(session, rel, typing, edit_range, lead)
    return _section_items(session, rel, edit_range)


def ranked(entries: list[Entry], prefix: str, texts: list[str] | None = None, limit: int = LIMIT) -> list[Entry]:
    """The entries that best match what was typed (the first by title when nothing was); `texts` are
    the entries' names already lowercased (Catalog.search_texts), else they are made here."""
    if not prefix.strip():
        return entries[:limit]
    texts = texts if texts is not None else [utils.default_process(entry.search_text) for entry in entries]
    found = process.extract(utils.default_process(prefix), texts, scorer=fuzz.WRatio, processor=None, limit=limit)
    return [entries[index] for _, score, index in found if score > 0]


def _ordered(items: list[types.CompletionItem]) -> list[types.CompletionItem]:
    """Keep the server's ranking: editors sort by sortText."""
    for rank, item in enumerate(items):
        item.sort_text = f"{rank:04d}"
    return items


def _note_item(entry: Entry, edit_range: types.Range, closing: str, lead: str = "") -> types.CompletionItem:
    return types.CompletionItem(
        label=entry.title,
        kind=types.CompletionItemKind.File,
        detail=f"{entry.type} · {entry.id}",
        documentation=entry.summary or None,
        filter_text=entry.search_text,
        text_edit=types.TextEdit(range=edit_range, new_text=lead + entry.id + closing),
    )


def _attachment_items(
    session: Session, prefix: str, edit_range: types.Range, closing: str
) -> list[types.CompletionItem]:
    files = sorted(set(session.vault.attachments.values()))
    if prefix.strip():
        found = process.extract(prefix, files, scorer=fuzz.WRatio, processor=utils.default_process, limit=LIMIT)
        files = [files[index] for _, score, index in found if score > 0]
    return [
        types.CompletionItem(
            label=path,
            kind=types.CompletionItemKind.File,
            detail="attachment",
            text_edit=types.TextEdit(range=edit_range, new_text=path + closing),
        )
        for path in files[:LIMIT]
    ]


def _anchor_items(
    session: Session, rel: str, typing: cursor.Typing, edit_range: types.Range, closing: str
) -> types.CompletionList:
    if typing.target:
        note = session.vault.resolve(typing.target, session.note(rel))
    else:  # [[#Heading]] inside the same note: read the buffer as it is now
        session.sync()
        note = session.note(rel)
    if note is None:
        return _EMPTY
    items = [
        types.CompletionItem(
            label=heading.title,
            kind=types.CompletionItemKind.Reference,
            detail=f"{'#' * heading.level} in {note.title}",
            text_edit=types.TextEdit(range=edit_range, new_text=heading.title + closing),
        )
        for heading in note.headings
        if heading.level > 1
    ]
    return types.CompletionList(is_incomplete=False, items=_ordered(items))


def _field_items(
    session: Session, rel: str, typing: cursor.Typing, edit_range: types.Range, lead: str
) -> types.CompletionList:
    config = session.vault.config
    current = session.note(rel)
    key = typing.target
    if key in RELATION_KEYS:
        spec, inverse = RELATION_KEYS[key]
        allowed = spec.source_types if inverse else spec.target_types
        own = current.id if current is not None else None
        entries = [e for e in session.catalog.entries if (allowed is None or e.type in allowed) and e.id != own]
        items = [_note_item(entry, edit_range, "", lead) for entry in ranked(entries, typing.prefix)]
        return types.CompletionList(is_incomplete=True, items=_ordered(items))
    if key == "type":
        values = sorted(config.types)
    elif key == "tags":
        values = session.catalog.tags
    else:
        note_type = current.type if current is not None else (config.type_for_folder(rel) or "note")
        spec_field = config.field_spec(note_type, key)
        values = list(spec_field.values) if spec_field is not None and spec_field.kind == "enum" else []
    items = [
        types.CompletionItem(
            label=value,
            kind=types.CompletionItemKind.EnumMember,
            detail=key,
            text_edit=types.TextEdit(range=edit_range, new_text=lead + value),
        )
        for value in values
    ]
    return types.CompletionList(is_incomplete=False, items=_ordered(items))


def _section_items(session: Session, rel: str, edit_range: types.Range) -> types.CompletionList:
    session.sync()
    note = session.note(rel)
    spec = session.vault.config.types.get(note.type) if note is not None else None
    if note is None or spec is None:
        return _EMPTY
    missing = missing_sections(spec, note)
    items = [
        types.CompletionItem(
            label=title,
            kind=types.CompletionItemKind.Snippet,
            detail=f"required section of a {note.type}",
            text_edit=types.TextEdit(range=edit_range, new_text=title),
        )
        for title in missing
    ]
    return types.CompletionList(is_incomplete=False, items=_ordered(items))
