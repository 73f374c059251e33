"""Where every page of the site lives, and relative links between pages.

Links are relative (`../../note/caching/`) rather than rooted at `/` so the same output works on any
static host, under any sub-path, and straight from the file system. Note ids become folder names only
after they are made safe: an explicit `id:` may contain anything, and a folder name must never
contain `/` or `..`.
"""

from __future__ import annotations

import hashlib
from urllib.parse import quote

from backbrain.core.note import Note, is_valid_id
from backbrain.core.resolver import path_to_write
from backbrain.core.text import slugify
from backbrain.core.vault import Vault

RESERVED = {"note", "tags", "graph", "timeline", "static", "assets", "search", "index", "folders", "review"}


def safe_slug(text: str) -> str:
    """A folder-safe slug; falls back to a short hash for text with no ASCII letters or digits."""
    if is_valid_id(text):
        return text
    return slugify(text) or "x-" + hashlib.blake2b(text.encode("utf-8"), digest_size=5).hexdigest()


def duplicate_key(note: Note) -> str:
    """The page key of a note file whose id another file already has (two files declaring the same `id:`):
    it still gets its own page, found by its path."""
    return f"{note.id}\0{note.rel}"


def duplicates(vault: Vault) -> dict[str, Note]:
    """Page key -> note, for every file that is not the note its id resolves to (nothing is dropped)."""
    return {duplicate_key(n): n for n in vault.files if vault.notes.get(n.id) is not n}


class SiteUrls:
    """Output paths (relative to the site root, POSIX) for notes, type indexes, tags and assets."""

    def __init__(self, vault: Vault) -> None:
        self.note_slug: dict[str, str] = {}
        taken: set[str] = set()
        for note_id in sorted(vault.notes):
            slug = safe_slug(note_id)
            if slug in taken:
                slug = f"{slug}-{hashlib.blake2b(note_id.encode(), digest_size=4).hexdigest()}"
            taken.add(slug)
            self.note_slug[note_id] = slug
        for key, note in sorted(duplicates(vault).items()):  # after every id: their URLs never move
            slug = safe_slug(path_to_write(note.rel))
            if slug in taken:
                slug = f"{slug}-{hashlib.blake2b(note.rel.encode(), digest_size=4).hexdigest()}"
            taken.add(slug)
            self.note_slug[key] = slug
        self.type_slug: dict[str, str] = {}
        for type_name, spec in vault.config.types.items():
            slug = safe_slug(spec.label or type_name)
            self.type_slug[type_name] = f"type-{slug}" if slug in RESERVED else slug

    def note(self, note_id: str) -> str:
        return f"note/{self.note_slug.get(note_id) or safe_slug(note_id)}/"

    def type_index(self, type_name: str) -> str:
        return f"{self.type_slug.get(type_name) or 'type-' + safe_slug(type_name)}/"

    @staticmethod
    def tag(tag: str) -> str:
        return f"tags/{safe_slug(tag)}/"

    @staticmethod
    def asset(rel: str) -> str:
        return "assets/" + "/".join(quote(part) for part in rel.split("/"))


def file_for(url: str) -> str:
    """The file that serves a page URL: folders get index.html."""
    return url + "index.html" if url.endswith("/") or not url else url


def root_prefix(page_url: str) -> str:
    """'../' repeated to reach the site root from a page (empty at the root)."""
    depth = file_for(page_url).count("/")
    return "../" * depth
