"""Parsing: front matter and the body's structure, as a CommonMark renderer sees it."""

from __future__ import annotations

from pathlib import Path

from backbrain.core.frontmatter import parse_front_matter
from backbrain.core.note import parse_note, slugify

DOC = """---
title: Demo
tags: [a, b]
created: 2026-11-21
---
# Demo heading

Intro with [[cap-theorem]], [[caching|a cache]], [[systems/x#Data model]] and ![[diagram.png]].
Code spans are not links: `[[not-a-link]]`, and C# is not a tag but #incident is.

## Steps

- [ ] Check the dashboard (5 min)
- [x] Roll back `v2` (10 min)
- plain item

## Deep

### Inner

```mermaid
flowchart LR
## not a heading [[nor-a-link]]
```
"""


def parse(text: str, rel: str = "01_patterns/demo.md"):
    return parse_note(Path("/v") / rel, rel, text.encode(), "pattern")


def test_front_matter_values_and_lines():
    fm = parse_front_matter(DOC)
    assert fm.data == {"title": "Demo", "tags": ["a", "b"], "created": "2026-11-21"}
    assert fm.line_of("tags") == 3 and fm.body_line == 6


def test_structure_with_line_numbers():
    note = parse(DOC)
    assert note.id == "demo" and note.type == "pattern" and note.h1 == "Demo heading"
    assert [(s.title, s.level, s.line) for s in note.headings] == [
        ("Demo heading", 1, 6),
        ("Steps", 2, 11),
        ("Deep", 2, 17),
        ("Inner", 3, 19),
    ]
    assert [s.title for s in note.sections] == ["Steps", "Deep"]
    assert "```mermaid" in note.section("deep").text  # case-insensitive lookup; H3 inside


def test_links_embeds_and_anchors():
    note = parse(DOC)
    links = [(x.target, x.anchor, x.label, x.line, x.embed) for x in note.links]
    assert links == [
        ("cap-theorem", None, None, 8, False),
        ("caching", None, "a cache", 8, False),
        ("systems/x", "Data model", None, 8, False),
        ("diagram.png", None, None, 8, True),
    ]


def test_tasks_timeboxes_code_and_tags():
    note = parse(DOC)
    assert [(t.text, t.done, t.line, t.section, t.timebox_minutes) for t in note.tasks] == [
        ("Check the dashboard (5 min)", False, 13, "Steps", 5.0),
        ("Roll back `v2` (10 min)", True, 14, "Steps", 10.0),
    ]
    assert [(c.lang, c.line) for c in note.code_blocks] == [("mermaid", 21)]
    assert note.inline_tags == ["incident"]
    assert note.tags == ["a", "b", "incident"]


def test_crlf_bom_and_no_front_matter():
    note = parse("\ufeff---\r\ntitle: Win\r\n---\r\n# Win\r\n\r\n## Problem\r\n\r\nText [[x]]\r\n")
    assert note.title == "Win" and note.section("Problem") is not None and note.links[0].line == 8
    plain = parse("# Just text\n\n[[a]]\n", rel="inbox/My Idea.md")
    assert plain.id == "my-idea" and plain.title == "Just text" and not plain.front.present


def test_slugify():
    assert slugify("Cache Aside!") == "cache-aside"
    assert slugify("Café  déjà vu") == "cafe-deja-vu"
    assert slugify("***") == ""


def test_large_note_is_parsed(tmp_path):
    body = ("## Section\n\n" + "word [[x]] " * 50 + "\n\n" + "plain prose " * 380 + "\n\n") * 1000
    note = parse("---\ntitle: Big\n---\n# Big\n\n" + body)
    assert note.size > 5_000_000 and len(note.sections) == 1000 and len(note.links) == 50_000
