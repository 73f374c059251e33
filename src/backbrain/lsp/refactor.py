"""Rename: a note (from a link or relation naming it, its H1 or its id/title line, or the file explorer)
or a heading, each as one workspace edit over every note in the vault.

A note is renamed by `backbrain mv`'s engine (rename.plan_move: every wikilink, embed, Markdown link
and relation that would stop finding the note, rewritten to the shortest text that finds it again);
its file edits become the workspace edit. The engine reads the files, so open notes with unsaved
changes are refused with a message rather than edited from a stale copy. A heading rename rewrites
the heading and every `[[note#Heading]]` (and `[[#Heading]]` inside the note), read from the buffers.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass

from lsprotocol import types

from backbrain.core.note import Note, normalize_heading
from backbrain.core.schema import RELATION_KEYS
from backbrain.core.vault import Vault
from backbrain.errors import RefusedError, UsageError
from backbrain.lsp import cursor
from backbrain.lsp.edits import replace_edit, workspace_edit
from backbrain.lsp.session import Session
from backbrain.lsp.text import Text
from backbrain.rename import FileEdit, plan_move


@dataclass(frozen=True)
class Renamable:
    """What F2 at the cursor renames: a note, or one of its headings (`heading` set)."""

    note: Note
    range: types.Range
    placeholder: str
    heading: str | None = None


def renamable_at(session: Session, rel: str, text: Text, position: types.Position) -> Renamable | None:
    column, line = text.column(position), position.line
    link = cursor.link_at(text, line, column)
    if link is not None:
        note = session.vault.resolve(link.target, session.note(rel)) if link.target else session.note(rel)
        if note is None:
            return None
        start, end = link.anchor_start, link.anchor_end
        if link.anchor and start is not None and end is not None and (column >= start or not link.target):
            return Renamable(note, text.range(line, start, end), link.anchor, link.anchor)
        return Renamable(note, text.range(line, link.target_start, link.target_end), _stem(note))
    value = cursor.value_at(text, line, column)
    own = session.note(rel)
    if value is not None and value.key in RELATION_KEYS:
        note = session.vault.resolve(value.value, session.note(rel))
        return Renamable(note, text.range(line, value.start, value.end), _stem(note)) if note is not None else None
    if own is None:
        return None
    if value is not None and value.key in ("id", "title"):
        return Renamable(own, text.range(line, value.start, value.end), _stem(own))
    heading = cursor.heading_on(text, line)
    if heading is not None and not cursor.in_front_matter(text, line):
        level, title, start = heading
        span = text.range(line, start, start + len(title))
        return Renamable(own, span, _stem(own)) if level == 1 else Renamable(own, span, title, title)
    return None


def _stem(note: Note) -> str:
    """What the rename box offers for a note: its file name without the suffix (a path moves it)."""
    return posixpath.splitext(posixpath.basename(note.rel))[0]


def prepare_rename(
    session: Session, rel: str, text: Text, position: types.Position
) -> types.PrepareRenamePlaceholder | None:
    found = renamable_at(session, rel, text, position)
    if found is None:
        return None
    return types.PrepareRenamePlaceholder(range=found.range, placeholder=found.placeholder)


def rename(session: Session, rel: str, text: Text, position: types.Position, new_name: str) -> types.WorkspaceEdit:
    found = renamable_at(session, rel, text, position)
    if found is None:
        raise UsageError("Nothing to rename here.", hint="Rename from a link, a relation value, a heading or the H1.")
    if found.heading is not None:
        replacements = plan_heading_rename(session.vault, found.note, found.heading, new_name, session.text)
        return workspace_edit(_text_edits(session, replacements))
    if "rename" not in session.file_operations:
        raise RefusedError(
            "This editor cannot rename a file from a language server's edit, so the note was not renamed.",
            hint=f"Rename it with `backbrain mv {found.note.rel} NEW-NAME`, then reopen the notes.",
        )
    return note_rename_edit(session, found.note, new_name, move_file=True)


def note_rename_edit(session: Session, note: Note, new_name: str, move_file: bool) -> types.WorkspaceEdit:
    """`backbrain mv`'s plan as one workspace edit: text edits (the note's own at its old address),
    then the file renamed (unless the editor renames it itself: `move_file` False)."""
    edits = _planned_move(session, note, new_name)
    by_uri: dict[str, list[types.TextEdit]] = {}
    after: list[types.CreateFile | types.RenameFile] = []
    created = {edit.path: edit.new_text for edit in edits if edit.old_text is None and edit.new_text is not None}
    for edit in edits:
        if edit.old_text is None:
            continue
        new_text = edit.new_text
        if new_text is None:  # the moved note: its new text goes in before the file moves
            new_path, new_text = next(iter(created.items()))
            if move_file:
                after.append(_rename_file(session, edit.path, new_path))
        if new_text != edit.old_text:
            by_uri[session.uri_of(edit.path)] = [replace_edit(Text(edit.old_text, session.codec), new_text or "")]
    return workspace_edit(by_uri, after=after)


def _planned_move(session: Session, note: Note, new_name: str) -> list[FileEdit]:
    dirty = sorted(rel for rel, text in session.buffers.items() if text != _disk_text(session, rel))
    if dirty:
        raise RefusedError(
            f"Save the open notes first ({', '.join(dirty)}): a rename rewrites the files, as `backbrain mv` does.",
            hint="Save all, then rename again.",
        )
    name = new_name.strip()
    target = name if "/" in name else posixpath.join(posixpath.dirname(note.rel), name)
    return plan_move(session.vault, note.rel, target)


def _disk_text(session: Session, rel: str) -> str | None:
    try:
        return (session.root / rel).read_bytes().decode("utf-8", "replace")
    except OSError:
        return None


def _rename_file(session: Session, old_rel: str, new_rel: str) -> types.RenameFile:
    return types.RenameFile(
        old_uri=session.uri_of(old_rel),
        new_uri=session.uri_of(new_rel),
        options=types.RenameFileOptions(overwrite=False, ignore_if_exists=False),
    )


def will_rename_files(session: Session, renames: list[tuple[str, str]]) -> types.WorkspaceEdit | None:
    """The editor is renaming note files (old rel, new rel): rewrite the links that would break."""
    changes: list[types.TextDocumentEdit | types.CreateFile | types.RenameFile | types.DeleteFile] = []
    for old_rel, new_rel in renames:
        note = session.note(old_rel)
        if note is not None:
            edit = note_rename_edit(session, note, new_rel, move_file=False)
            changes.extend(edit.document_changes or [])
    return types.WorkspaceEdit(document_changes=changes) if changes else None


# -- headings ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Replacement:
    """Replace columns start..end of a note's line (0-based) with `text`."""

    rel: str
    line: int
    start: int
    end: int
    text: str


Reader = Callable[[str], str]  # vault-relative path -> the note's current text (a buffer, or the file)


def plan_heading_rename(vault: Vault, note: Note, old: str, new: str, read: Reader) -> list[Replacement]:
    """Rename a heading of `note`: the heading line and every `[[note#Old]]` (and `[[#Old]]` in the note)."""
    title = new.strip()
    if not title or "\n" in title or any(c in title for c in "[]|#"):
        raise UsageError(f"{new!r} cannot be a heading.", hint="Use text without [, ], | or #.")
    wanted = normalize_heading(old)
    heading = next((h for h in note.headings if normalize_heading(h.title) == wanted), None)
    if heading is None:
        raise UsageError(f"No heading '{old}' in {note.rel}.")
    lines_of = _line_cache(read)
    own = lines_of(note.rel)
    row = heading.line - 1
    found = []
    if row < len(own):
        start = own[row].find(heading.title)
        if start != -1:
            found.append(Replacement(note.rel, row, start, start + len(heading.title), title))
    places = [(source, link.line - 1) for source, link in vault.incoming(note.id)]
    places += [(note, link.line - 1) for link in note.links if not link.target and link.anchor]
    seen: set[tuple[str, int]] = set()
    for source, index in places:
        source_rel = source.rel
        if (source_rel, index) in seen:
            continue
        seen.add((source_rel, index))
        lines = lines_of(source_rel)
        for span in cursor.link_spans(lines[index]) if index < len(lines) else []:
            same = vault.resolve(span.target, source) is note if span.target else source is note
            if same and span.anchor is not None and normalize_heading(span.anchor) == wanted:
                assert span.anchor_start is not None and span.anchor_end is not None
                found.append(Replacement(source_rel, index, span.anchor_start, span.anchor_end, title))
    return found


def _line_cache(read: Reader) -> Callable[[str], list[str]]:
    cache: dict[str, list[str]] = {}

    def lines_of(rel: str) -> list[str]:
        if rel not in cache:
            cache[rel] = [line.removesuffix("\r") for line in read(rel).split("\n")]
        return cache[rel]

    return lines_of


def _text_edits(session: Session, replacements: list[Replacement]) -> dict[str, list[types.TextEdit]]:
    texts: dict[str, Text] = {}
    by_uri: dict[str, list[types.TextEdit]] = {}
    for item in replacements:
        text = texts.setdefault(item.rel, session.text_of(item.rel))
        edit = types.TextEdit(range=text.range(item.line, item.start, item.end), new_text=item.text)
        by_uri.setdefault(session.uri_of(item.rel), []).append(edit)
    return by_uri
