"""Listing and filtering notes: the rows behind `backbrain list`, the site's indexes and exports."""

from __future__ import annotations

from typing import Any

from backbrain.core.note import Note
from backbrain.core.vault import Vault


def note_row(note: Note) -> dict[str, Any]:
    return {
        "id": note.id,
        "type": note.type,
        "title": note.title,
        "path": note.rel,
        "tags": note.tags,
        "progress": note.progress,
    }


def matches(note: Note, field: str, wanted: str) -> bool:
    """FIELD=VALUE: equal to a scalar, or one of a list's items; case-insensitive."""
    builtin = {"id": note.id, "type": note.type, "title": note.title, "progress": note.progress, "tags": note.tags}
    value = builtin[field] if field in builtin else note.meta.get(field)
    wanted = wanted.lower()
    if isinstance(value, list):
        return any(str(item).lower() == wanted for item in value)
    if isinstance(value, bool):
        return str(value).lower() == wanted
    return value is not None and str(value).lower() == wanted


def list_notes(
    vault: Vault, *, type_name: str | None = None, tag: str | None = None, where: list[tuple[str, str]] | None = None
) -> list[dict[str, Any]]:
    selected = []
    for note in sorted(vault.notes.values(), key=lambda n: (n.type, n.rel)):
        if type_name and note.type != type_name:
            continue
        if tag and tag.lower().lstrip("#") not in note.tags:
            continue
        if where and not all(matches(note, key, value) for key, value in where):
            continue
        selected.append(note_row(note))
    return selected
