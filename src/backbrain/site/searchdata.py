"""The browser's search index: one compact JSON array per note, loaded on the first focus of the search box.

Sized for 10,000 notes: each entry keeps what ranking needs (title, aliases, summary, tags, headings)
and, instead of the full text, a capped bag of the note's distinctive words, taken first from the
sections where symptoms and triggers are written (Detection signals, Impact, Problem, What it is)
so that searching for a symptom finds the failure mode. Full text would be ~76 MB at 10k notes; this
is a few MB (measured in docs/benchmarks.md).
"""

from __future__ import annotations

import json
import re

from backbrain.core.note import Note, normalize_heading
from backbrain.core.text import BLOCK_ID, WIKILINK, wikilink_label
from backbrain.site.urls import SiteUrls

MAX_KEYWORDS = 40
SNIPPET_CHARS = 140
SCAN_CHARS = 1500  # keywords come from the start of long notes: bounded work per note
PRIORITY_SECTIONS = ("detection signals", "impact", "what it is", "problem", "statement", "when to use")
_WORD = re.compile(r"[a-z][a-z0-9]{3,}(?:[-'][a-z0-9]+)*")
_MARKUP = re.compile(r"[`*_>#|\[\]()~=-]+")
_STOPWORD_TEXT = """about above after again against also because been before being below between both cannot could does
    doing down during each even every from further have having here into itself just more most much must
    need never only other over same should some such than that their them then there these they this those
    through under until very what when where which while whom will with within without would your yours
    note notes section used uses using like make makes many well"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def plain_text(markdown: str) -> str:
    """Markdown reduced to words: wikilinks become their label or target, markup characters go."""
    text = WIKILINK.sub(wikilink_label, BLOCK_ID.sub("", markdown) if "^" in markdown else markdown)
    return " ".join(_MARKUP.sub(" ", text).split())


def keywords(note: Note) -> list[str]:
    """Distinct words worth searching for, symptom-bearing sections first, at most MAX_KEYWORDS."""
    seen: dict[str, None] = {}
    title_words = set(_WORD.findall(note.title.lower()))
    ordered = [s.text for s in note.sections if normalize_heading(s.title) in PRIORITY_SECTIONS]
    for chunk in (*ordered, note.body[:SCAN_CHARS]):
        for word in dict.fromkeys(_WORD.findall(chunk.lower())):
            if word not in STOPWORDS and word not in title_words and word not in seen:
                seen[word] = None
                if len(seen) >= MAX_KEYWORDS:
                    return list(seen)
    return list(seen)


def entry(note: Note, urls: SiteUrls) -> list[str]:
    """[slug, title, type, summary or snippet, aliases, tags, headings, keywords]; strings keep it small."""
    summary = note.summary or plain_text(note.body[:400])[:SNIPPET_CHARS]
    headings = " · ".join(h.title for h in note.headings if h.level in (2, 3))
    return [
        urls.note_slug[note.id],
        note.title,
        note.type,
        summary,
        " · ".join(note.aliases),
        " ".join(note.tags),
        headings,
        " ".join(keywords(note)),
    ]


def entry_json(note: Note, urls: SiteUrls) -> str:
    return json.dumps(entry(note, urls), ensure_ascii=False, separators=(",", ":"))


def index_json(entries: list[str]) -> str:
    """Joins pre-serialized entries, so an incremental build re-serializes only the notes that changed."""
    return '{"v":1,"fields":["slug","title","type","summary","aliases","tags","headings","keywords"],"notes":[' + (
        ",".join(entries) + "]}"
    )
