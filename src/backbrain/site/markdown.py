"""A note's Markdown as safe HTML for its page: links resolved, headings anchored, code highlighted.

pyromark (pulldown-cmark) renders the HTML; its output has a small, fixed shape, so the rewrites here
(wikilinks to note pages, embeds to copied attachments, callouts, mermaid, heading ids, code
highlighting) are regular expressions over that shape rather than a second parse. Whatever the note
contained, nh3 sanitizes the result last, so a rewrite can never let a script through: raw HTML in a
note reaches nh3 as written and leaves without scripts, event handlers or `javascript:` URLs.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import unquote

import nh3
import pyromark

from backbrain.core.note import MARKDOWN_OPTIONS, Note
from backbrain.core.text import slugify
from backbrain.core.vault import Vault, is_attachment
from backbrain.site.urls import SiteUrls

_MD = pyromark.Markdown(options=MARKDOWN_OPTIONS)
_LINK = re.compile(r'<a href="([^"]*)"((?: title="[^"]*")?)>(.*?)</a>', re.DOTALL)
_IMG = re.compile(r'<img src="([^"]*)" alt="([^"]*)"((?: title="[^"]*")?) />')
_HEADING = re.compile(r"<h([1-6])>(.*?)</h\1>", re.DOTALL)
_CODE = re.compile(r'<pre><code class="language-([^"]+)">(.*?)</code></pre>', re.DOTALL)
_CALLOUT = re.compile(r"<blockquote>\n<p>\[!([A-Za-z][\w-]*)\]([+-]?)[ \t]*([^\n]*?)(?:\n|(?=</p>))")
_ALIGN = re.compile(r' style="text-align: (left|right|center)"')
_TAG = re.compile(r"<[^>]+>")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
_SAFE_SCHEMES = {"http", "https", "mailto"}
_LEADING_H1 = re.compile(r"\A\s*<h1>.*?</h1>\n?", re.DOTALL)
# Obsidian block ids: `text ^id` ends a paragraph or list item; `^id` alone on a line follows a table.
_BLOCK_ID = re.compile(r"[ \t\n]\^([A-Za-z0-9-]+)(?=</p>|</li>|</td>|\n<(?:ul|ol)>)")
_BLOCK_ID_ALONE = re.compile(r"<p>\^([A-Za-z0-9-]+)</p>")
_IMAGE_SIZE = re.compile(r"^(\d{1,4})(?:x(\d{1,4}))?$")
MAX_EMBED_DEPTH = 3  # `![[a]]` inside `![[b]]` inside ...: deeper embeds (and any cycle) stay links

CALLOUT_KINDS = {
    "note": "note", "info": "note", "todo": "note", "abstract": "note", "summary": "note", "tldr": "note",
    "tip": "tip", "hint": "tip", "important": "tip", "success": "success", "check": "success", "done": "success",
    "question": "question", "help": "question", "faq": "question", "warning": "warning", "caution": "warning",
    "attention": "warning", "failure": "danger", "fail": "danger", "missing": "danger", "danger": "danger",
    "error": "danger", "bug": "danger", "example": "example", "quote": "quote", "cite": "quote",
}  # fmt: skip

_SANITIZER = nh3.Cleaner(
    tags=set(nh3.ALLOWED_TAGS) | {"input"},
    clean_content_tags={"script", "style"},
    attributes={
        **{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()},
        "*": {"class", "title", "lang", "dir"},
        "a": {"href", "hreflang"},
        "img": {"src", "alt", "width", "height", "loading"},
        "input": {"type", "checked", "disabled"},
        **{f"h{level}": {"id"} for level in range(1, 7)},
        "div": {"id"},
        "span": {"id"},
        "li": {"id"},
        "sup": {"id"},
    },
    url_schemes=_SAFE_SCHEMES,
    link_rel="noopener noreferrer",
    strip_comments=True,
)


@dataclass
class RenderedNote:
    html: str
    toc: list[tuple[int, str, str]] = field(default_factory=list)  # (level, text, anchor) of H2/H3
    broken: list[str] = field(default_factory=list)  # link targets that resolved to nothing
    assets: list[str] = field(default_factory=list)  # vault attachments (rel paths) the page uses


def sanitize(fragment: str) -> str:
    """The one gate every piece of note-derived HTML passes before it reaches a page."""
    return _SANITIZER.clean(fragment)


def heading_anchor(text: str) -> str:
    """The id a heading gets, and what `[[note#Heading]]` links to: the same slug on both sides."""
    return slugify(text) or "section"


def fragment_id(anchor: str) -> str:
    """The id a `#anchor` after a link points at: a heading's slug, or `^id` for an Obsidian block."""
    return anchor if anchor.startswith("^") else heading_anchor(anchor)


def embedded_markdown(note: Note, anchor: str | None) -> str | None:
    """What `![[note#anchor]]` shows: the section under that heading, the block with that id, or the
    whole body without its title; None when the anchor names nothing there."""
    if not anchor:
        return note.body
    if anchor.startswith("^"):
        block = re.compile(rf"(?:^|\n\n)((?:(?!\n\n).)*?\s\^{re.escape(anchor[1:])})[ \t]*(?:\n|$)", re.DOTALL)
        found = block.search(note.body)
        return found.group(1) if found else None
    wanted = heading_anchor(anchor)
    for section in note.headings:
        if heading_anchor(section.title) == wanted:
            return section.text
    return None


_CLOZE_OUTSIDE_CODE = re.compile(
    r"(?P<code><pre[\s\S]*?</pre>|<code>[\s\S]*?</code>)|\{\{c\d+::(?P<text>[\s\S]*?)(?:::[^{}]*?)?\}\}"
)


_BARE_URL = re.compile(
    r"(?P<skip><a\b[\s\S]*?</a>|<pre[\s\S]*?</pre>|<code>[\s\S]*?</code>|<[^>]*>)"
    r"|(?P<url>https?://[^\s<>\"']+?)(?=[.,;:!?)\]]*(?:[\s<]|$))"
)


def _linkify(match: re.Match[str]) -> str:
    url = match.group("url")
    return f'<a href="{url}">{url}</a>' if url else match.group(0)


class NoteRenderer:
    """Renders note bodies for pages at a known depth (links are relative to the site root)."""

    def __init__(self, vault: Vault, urls: SiteUrls) -> None:
        self.vault = vault
        self.urls = urls
        self._embedding: list[Note] = []  # notes being rendered, outermost first; links resolve from the last

    def render(self, note: Note, root: str) -> RenderedNote:
        out = RenderedNote("")
        self._embedding = [note]
        out.html = sanitize(self._html(note.body, root, out, _Anchors(out.toc))).replace("<p></p>", "")
        return out

    def render_fragment(self, note: Note, markdown: str, root: str) -> str:
        """Markdown that belongs to `note` (a review card's answer) as sanitized HTML: links resolve from
        the note, exactly as on its page."""
        out = RenderedNote("")
        self._embedding = [note]
        return sanitize(self._html(markdown, root, out, _Anchors(out.toc, prefix="answer-"))).replace("<p></p>", "")

    def _html(self, markdown: str, root: str, out: RenderedNote, anchors: _Anchors) -> str:
        text = _LEADING_H1.sub("", _MD.html(markdown), count=1)
        if "{{c" in text:  # a review cloze (backbrain.learn.cards) reads as its text on the page
            text = _CLOZE_OUTSIDE_CODE.sub(lambda m: m.group(0) if m.group("code") else m.group("text"), text)
        if "://" in text:  # a reference's bare URL is a link, as on GitHub (CommonMark only links <url>)
            text = _BARE_URL.sub(_linkify, text)
        text = _CODE.sub(_code_block, text)
        text = _CALLOUT.sub(_callout, text).replace("<p></p>", "")
        text = _ALIGN.sub(r' class="align-\1"', text)
        if "^" in text:
            text = _BLOCK_ID.sub(r'<span class="block-id" id="^\1"></span>', text)
            text = _BLOCK_ID_ALONE.sub(r'<span class="block-id" id="^\1"></span>', text)
        text = _LINK.sub(lambda m: self._link(m, root, out), text)
        text = _IMG.sub(lambda m: self._image(m, root, out), text)
        return _HEADING.sub(anchors, text)

    # -- links and embeds ---------------------------------------------------------------------------
    def _link(self, match: re.Match[str], root: str, out: RenderedNote) -> str:
        href, title_attr, label = html.unescape(match.group(1)), match.group(2), match.group(3)
        scheme = _SCHEME.match(href.strip())
        if scheme:
            if scheme.group(1).lower() in _SAFE_SCHEMES:
                return match.group(0)
            # `[[ADR-1: Title]]` reads as a URL scheme but names a note
            if self.vault.resolve(unquote(href).partition("#")[0], self._embedding[-1]) is None:
                return f'<span class="unsafe-link">{label}</span>'
        if href.startswith(("#", "/")) or not href:
            return match.group(0) if href.startswith("#") else f'<a href="{html.escape(href)}">{label}</a>'
        target, _, anchor = unquote(href).rstrip("\\").partition("#")  # `\|` in a table keeps its `\`
        auto_label = html.unescape(_TAG.sub("", label)) == unquote(href)
        note = self.vault.resolve(target, self._embedding[-1]) if target else None
        if note is not None:
            url = root + self.urls.note(note.id) + (f"#{fragment_id(anchor)}" if anchor else "")
            text = html.escape(note.title + (f" › {anchor}" if anchor else "")) if auto_label else label
            return f'<a class="wikilink" href="{html.escape(url)}"{title_attr}>{text}</a>'
        asset = self.vault.resolve_attachment(target) if target and is_attachment(target) else None
        if asset is not None:
            out.assets.append(asset)
            return f'<a href="{html.escape(root + self.urls.asset(asset))}"{title_attr}>{label}</a>'
        out.broken.append(target or href)
        return _broken(label, target or href)

    def _image(self, match: re.Match[str], root: str, out: RenderedNote) -> str:
        src, alt = html.unescape(match.group(1)), match.group(2)
        if _SCHEME.match(src.strip()):
            return match.group(0)
        target, _, anchor = unquote(src).rstrip("\\").partition("#")
        asset = self.vault.resolve_attachment(target) if is_attachment(target) else None
        if asset is not None:
            out.assets.append(asset)
            url = html.escape(root + self.urls.asset(asset))
            size = _IMAGE_SIZE.match(alt)  # `![[chart.png|100]]` and `|100x80` set the size, as in Obsidian
            if size:
                dims = f' width="{size.group(1)}"' + (f' height="{size.group(2)}"' if size.group(2) else "")
                return f'<img src="{url}" alt="{html.escape(target)}"{dims} loading="lazy" />'
            return f'<img src="{url}" alt="{alt or html.escape(target)}" loading="lazy" />'
        note = None if is_attachment(target) else self.vault.resolve(target, self._embedding[-1])
        if note is not None:
            return self._embed(note, anchor, root, out)
        out.broken.append(target)
        return _broken(html.escape(f"![[{target}]]"), target)

    def _embed(self, note: Note, anchor: str, root: str, out: RenderedNote) -> str:
        """`![[note#Heading]]` transcluded: that part of the note rendered in place, under a link to it.

        A note already being rendered (a cycle: a embeds b embeds a, or a note embedding itself) and
        embeds nested deeper than MAX_EMBED_DEPTH stay plain links, so a page always finishes."""
        url = html.escape(root + self.urls.note(note.id) + (f"#{fragment_id(anchor)}" if anchor else ""))
        title = html.escape(note.title + (f" › {anchor}" if anchor else ""))
        markdown = embedded_markdown(note, anchor or None)
        cycle = any(n.rel == note.rel for n in self._embedding)
        if markdown is None or cycle or len(self._embedding) > MAX_EMBED_DEPTH:
            return f'<a class="embed" href="{url}">↳ {title}</a>'
        self._embedding.append(note)
        try:
            inner = self._html(markdown, root, out, _Anchors([], prefix=f"embed-{len(self._embedding) - 1}-"))
        finally:
            self._embedding.pop()
        return f'<div class="embed-note"><p class="embed-title"><a href="{url}">↳ {title}</a></p>{inner}</div>'


def _broken(label: str, target: str) -> str:
    return f'<span class="broken-link" title="{html.escape("No note or file named " + repr(target))}">{label}</span>'


class _Anchors:
    """Gives headings unique ids (a repeated heading gets -2, -3) and records the outline."""

    def __init__(self, toc: list[tuple[int, str, str]], prefix: str = "") -> None:
        self.toc = toc
        self.seen: dict[str, int] = {}
        self.prefix = prefix  # embedded notes' headings: ids that cannot clash with the page's own

    def __call__(self, match: re.Match[str]) -> str:
        level, inner = int(match.group(1)), match.group(2)
        text = html.unescape(_TAG.sub("", inner)).strip()
        anchor = self.prefix + heading_anchor(text)
        count = self.seen.get(anchor, 0) + 1
        self.seen[anchor] = count
        if count > 1:
            anchor = f"{anchor}-{count}"
        if level in (2, 3):
            self.toc.append((level, text, anchor))
        return f'<h{level} id="{anchor}">{inner}</h{level}>'


def _callout(match: re.Match[str]) -> str:
    kind = match.group(1).lower()
    family = CALLOUT_KINDS.get(kind, "note")
    title = match.group(3).strip() or html.escape(kind.capitalize())
    return f'<blockquote class="callout callout-{family}"><p class="callout-title">{title}</p>\n<p>'


def _code_block(match: re.Match[str]) -> str:
    lang, escaped = match.group(1).split()[0].lower(), match.group(2)
    if lang == "mermaid":
        return f'<pre class="mermaid">{escaped}</pre>'
    formatter = _formatter_for(lang)
    if formatter is None:
        return match.group(0)
    from pygments import highlight

    lexer, html_formatter = formatter
    highlighted = highlight(html.unescape(escaped), lexer, html_formatter)
    return f'<pre class="highlight"><code class="language-{html.escape(lang)}">{highlighted}</code></pre>'


@lru_cache(maxsize=64)
def _formatter_for(lang: str) -> tuple[object, object] | None:
    """Pygments lexer and formatter for a fence language, or None when Pygments has no lexer for it."""
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        lexer = get_lexer_by_name(lang)
    except ClassNotFound:
        return None
    return lexer, HtmlFormatter(nowrap=True)


def highlight_css() -> str:
    """Light and dark Pygments styles, scoped so the theme toggle switches them without a reload."""
    from pygments.formatters import HtmlFormatter

    light = HtmlFormatter(style="default").get_style_defs(".highlight")
    dark = HtmlFormatter(style="monokai").get_style_defs('[data-theme="dark"] .highlight')
    return light + "\n" + dark + "\n"
