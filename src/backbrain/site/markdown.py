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


class NoteRenderer:
    """Renders note bodies for pages at a known depth (links are relative to the site root)."""

    def __init__(self, vault: Vault, urls: SiteUrls) -> None:
        self.vault = vault
        self.urls = urls

    def render(self, note: Note, root: str) -> RenderedNote:
        out = RenderedNote("")
        text = _LEADING_H1.sub("", _MD.html(note.body), count=1)
        text = _CODE.sub(_code_block, text)
        text = _CALLOUT.sub(_callout, text).replace("<p></p>", "")
        text = _ALIGN.sub(r' class="align-\1"', text)
        text = _LINK.sub(lambda m: self._link(m, root, out), text)
        text = _IMG.sub(lambda m: self._image(m, root, out), text)
        text = _HEADING.sub(_Anchors(out.toc), text)
        out.html = sanitize(text)
        return out

    # -- links and embeds ---------------------------------------------------------------------------
    def _link(self, match: re.Match[str], root: str, out: RenderedNote) -> str:
        href, title_attr, label = html.unescape(match.group(1)), match.group(2), match.group(3)
        scheme = _SCHEME.match(href.strip())
        if scheme:
            if scheme.group(1).lower() in _SAFE_SCHEMES:
                return match.group(0)
            return f'<span class="unsafe-link">{label}</span>'
        if href.startswith(("#", "/")) or not href:
            return match.group(0) if href.startswith("#") else f'<a href="{html.escape(href)}">{label}</a>'
        target, _, anchor = unquote(href).partition("#")
        auto_label = html.unescape(_TAG.sub("", label)) == unquote(href)
        note = self.vault.resolve(target) if target else None
        if note is not None:
            url = root + self.urls.note(note.id) + (f"#{heading_anchor(anchor)}" if anchor else "")
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
        target = unquote(src).partition("#")[0]
        asset = self.vault.resolve_attachment(target) if is_attachment(target) else None
        if asset is not None:
            out.assets.append(asset)
            url = html.escape(root + self.urls.asset(asset))
            return f'<img src="{url}" alt="{alt or html.escape(target)}" loading="lazy" />'
        note = None if is_attachment(target) else self.vault.resolve(target)
        if note is not None:
            anchor = unquote(src).partition("#")[2]
            url = root + self.urls.note(note.id) + (f"#{heading_anchor(anchor)}" if anchor else "")
            title = html.escape(note.title + (f" › {anchor}" if anchor else ""))
            return f'<a class="embed" href="{html.escape(url)}">↳ {title}</a>'
        out.broken.append(target)
        return _broken(html.escape(f"![[{target}]]"), target)


def _broken(label: str, target: str) -> str:
    return f'<span class="broken-link" title="{html.escape("No note or file named " + repr(target))}">{label}</span>'


class _Anchors:
    """Gives headings unique ids (a repeated heading gets -2, -3) and records the outline."""

    def __init__(self, toc: list[tuple[int, str, str]]) -> None:
        self.toc = toc
        self.seen: dict[str, int] = {}

    def __call__(self, match: re.Match[str]) -> str:
        level, inner = int(match.group(1)), match.group(2)
        text = html.unescape(_TAG.sub("", inner)).strip()
        anchor = heading_anchor(text)
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
