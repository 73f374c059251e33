"""Building workspace edits: text replacements in many notes, and files created or renamed."""

from __future__ import annotations

from lsprotocol import types

from backbrain.lsp.text import Text


def replace_edit(text: Text, new_source: str) -> types.TextEdit:
    """One edit turning `text` into `new_source`, spanning only the lines that differ (so the editor
    keeps the cursor and folds elsewhere)."""
    new_lines = new_source.split("\n")
    old_lines = text.source.split("\n")
    head = 0
    while head < min(len(old_lines), len(new_lines)) - 1 and old_lines[head] == new_lines[head]:
        head += 1
    tail = 0
    limit = min(len(old_lines), len(new_lines)) - head - 1
    while tail < limit and old_lines[-1 - tail] == new_lines[-1 - tail]:
        tail += 1
    old_end = len(old_lines) - 1 - tail
    replaced = "\n".join(new_lines[head : len(new_lines) - tail])
    span = types.Range(start=text.position(head, 0), end=text.position(old_end, len(text.line(old_end))))
    return types.TextEdit(range=span, new_text=replaced)


def document_edit(uri: str, edits: list[types.TextEdit]) -> types.TextDocumentEdit:
    return types.TextDocumentEdit(
        text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=None), edits=list(edits)
    )


def workspace_edit(
    by_uri: dict[str, list[types.TextEdit]],
    before: list[types.CreateFile | types.RenameFile] | None = None,
    after: list[types.CreateFile | types.RenameFile] | None = None,
) -> types.WorkspaceEdit:
    """One edit: file operations `before` (a created note), each document's text edits (sorted, never
    overlapping), then operations `after` (a renamed note, whose old file the text edits address)."""
    changes: list[types.TextDocumentEdit | types.CreateFile | types.RenameFile | types.DeleteFile] = []
    changes.extend(before or [])
    for uri, edits in by_uri.items():
        if edits:
            ordered = sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character))
            changes.append(document_edit(uri, ordered))
    changes.extend(after or [])
    return types.WorkspaceEdit(document_changes=changes)
