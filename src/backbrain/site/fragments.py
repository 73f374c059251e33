"""The repeated lists of a note page (outline, relation panels, backlinks) as HTML built in Python.

A note page is rendered 10,000 times in a big build, and these loops were most of the template's
time (every `{{ }}` in a loop is an escape call and a generator step). The page layout stays in
note.html; only these lists, whose markup is fixed, are joined here with markupsafe.escape. Every value
is escaped: these fragments are as safe as the autoescaped template.
"""

from __future__ import annotations

from functools import lru_cache

from markupsafe import Markup, escape

LinkRef = tuple[str, str, str]  # (url from the site root, title, type)


@lru_cache(maxsize=65536)
def note_link(root: str, ref: LinkRef) -> str:
    """A link to a note, coloured by type; cached because a note is linked from all its neighbours."""
    url, title, type_name = ref
    return f'<a class="note-link" data-type="{escape(type_name)}" href="{escape(root + url)}">{escape(title)}</a>'


def toc(entries: list[tuple[int, str, str]]) -> Markup:
    if not entries:
        return Markup("")
    items = "".join(
        f'<li class="toc-l{level}"><a href="#{escape(anchor)}">{escape(text)}</a></li>'
        for level, text, anchor in entries
    )
    return Markup(  # a <details>: on a phone the outline is a collapsed block above the note (site.js)
        f'<nav class="toc" aria-labelledby="toc-title"><details open><summary><h2 id="toc-title">On this page</h2>'
        f"</summary><ol>{items}</ol></details></nav>"
    )


def panels(root: str, groups: list[tuple[str, str, list[LinkRef]]]) -> Markup:
    """Relation panels: (label such as 'mitigated-by', title such as 'Mitigated by', linked notes)."""
    parts = []
    for label, title, refs in groups:
        items = "".join(f"<li>{note_link(root, ref)}</li>" for ref in refs)
        label = escape(label)
        parts.append(
            f'<section class="relation-panel" data-relation="{label}" aria-labelledby="rel-{label}">'
            f'<h2 id="rel-{label}">{escape(title)}</h2><ul>{items}</ul></section>'
        )
    return Markup("\n".join(parts))


def backlinks(root: str, sources: list[tuple[LinkRef, list[str]]]) -> Markup:
    """Notes that link here, each with up to three of the sentences that contain the link."""
    items = []
    for ref, contexts in sources:
        quotes = "".join(f'<blockquote class="backlink-context">{escape(text)}</blockquote>' for text in contexts)
        items.append(f"<li>{note_link(root, ref)}{quotes}</li>")
    return Markup("<ul>" + "\n".join(items) + "</ul>") if items else Markup("")
