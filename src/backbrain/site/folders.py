"""The vault's folders as the site shows them: a tree for the folder explorer, and top-level folders as
the home page's sections (an Obsidian help vault's `en/`, `fr/`; a docs tree's `guides/`, `adr/`).

A folder note (`folder/index.md`, `README.md`, `_index.md`) is its folder's overview, listed first in it.
Everything here is plain data, so it enters the page fingerprints like any other context.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from backbrain.core.note import Note
from backbrain.core.resolver import FOLDER_NOTE_STEMS
from backbrain.core.text import slugify

Folder = dict[str, Any]


def has_folders(notes: Iterable[Note]) -> bool:
    return any("/" in note.rel for note in notes)


def folder_anchor(path: str) -> str:
    """The id of a folder on the folders page (and the fragment that opens it there)."""
    return "folder-" + (slugify(path) or "x")


def folder_trail(rel: str) -> list[tuple[str, str]]:
    """(name, anchor) of each folder above a note, outermost first: its breadcrumb into the explorer."""
    parts = rel.split("/")[:-1]
    return [(name, folder_anchor("/".join(parts[: depth + 1]))) for depth, name in enumerate(parts)]


def folder_tree(pages: Iterable[tuple[str, Note]], note_url: Any) -> Folder:
    """The root folder: {name, path, anchor, overview, notes, folders, count}, each level sorted by name.

    `pages` is (page key, note) for every note page; `note_url(key)` is the page's URL."""
    root: Folder = _folder("", "")
    for key, note in pages:
        folder = root
        parts = note.rel.split("/")
        for depth, name in enumerate(parts[:-1]):
            path = "/".join(parts[: depth + 1])
            folder = folder["_children"].setdefault(name, _folder(name, path))
        entry = (note_url(key), note.title)
        stem = parts[-1].rsplit(".", 1)[0].lower()
        if stem in FOLDER_NOTE_STEMS and folder is not root and folder["overview"] is None:
            folder["overview"] = entry
        else:
            folder["notes"].append(entry)
    return _finish(root)


def _folder(name: str, path: str) -> Folder:
    return {"name": name, "path": path, "anchor": folder_anchor(path), "overview": None, "notes": [],
            "folders": [], "count": 0, "_children": {}}  # fmt: skip


def _finish(folder: Folder) -> Folder:
    children = folder.pop("_children")
    folder["folders"] = [_finish(children[name]) for name in sorted(children, key=str.lower)]
    folder["notes"].sort(key=lambda entry: entry[1].lower())
    folder["count"] = (
        len(folder["notes"]) + (1 if folder["overview"] else 0) + sum(sub["count"] for sub in folder["folders"])
    )
    return folder


def top_sections(tree: Folder) -> list[tuple[str, str, int]]:
    """(name, anchor, note count) of each top-level folder: the home page's folder sections."""
    return [(sub["name"], sub["anchor"], sub["count"]) for sub in tree["folders"]]
