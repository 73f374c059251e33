"""The browser's search index for a built site: backbrain.search.browser's entries, one per note,
reused across builds for the notes (and relation partners' names) that did not change.

The entries are what `backbrain search` indexes (fields, symptom sections, relation text, names),
so the browser ranks as the CLI does; see backbrain/search/browser.py and site/static/search.js.
"""

from __future__ import annotations

from backbrain.core.note import Note
from backbrain.core.vault import Vault
from backbrain.search import browser
from backbrain.site.urls import SiteUrls

# note id -> (the Note, the key its entry was computed for, the entry's JSON)
EntryCache = dict[str, tuple[Note, str, str]]


def entry_keys(vault: Vault, urls: SiteUrls) -> dict[str, str]:
    """What an entry depends on besides its Note: the page slug and its relation partners' names."""
    relations = browser.relation_texts(vault)
    version = browser.FORMAT_VERSION
    return {note_id: f"{version}\n{urls.note_slug[note_id]}\n{relations.get(note_id, '')}" for note_id in vault.notes}


def ordered_ids(vault: Vault) -> list[str]:
    """Notes in path order, the order a fresh search index gives them (ties rank alike)."""
    return [note.id for note in sorted(vault.notes.values(), key=lambda n: n.rel)]


def entries(vault: Vault, urls: SiteUrls, cache: EntryCache) -> tuple[list[str], EntryCache]:
    """Every note's entry, in ordered_ids order, and the cache for the next build."""
    keys = entry_keys(vault, urls)
    tokens = browser.Tokens()
    out: list[str] = []
    fresh: EntryCache = {}
    for note_id in ordered_ids(vault):
        note, key = vault.notes[note_id], keys[note_id]
        hit = cache.get(note_id)
        if hit and hit[0] is note and hit[1] == key:
            text = hit[2]
        else:
            _, slug, relations = key.split("\n", 2)
            text = browser.entry_json(note, vault.config, relations, slug, tokens)
        fresh[note_id] = (note, key, text)
        out.append(text)
    return out, fresh


def adopt(vault: Vault, urls: SiteUrls, texts: list[str]) -> EntryCache:
    """The cache for entries computed elsewhere (the build's forked child), in ordered_ids order."""
    keys = entry_keys(vault, urls)
    return {i: (vault.notes[i], keys[i], text) for i, text in zip(ordered_ids(vault), texts, strict=True)}


def index_json(texts: list[str], vault: Vault) -> str:
    return browser.index_json(texts, vault.config.search.synonyms, browser.graph(vault, ordered_ids(vault)))
