"""Text helpers every layer shares, kept once so that the index, the site and review agree.

One wikilink pattern (for places that see Markdown as text, e.g. a backlink's line or a snippet;
parsing a note uses pyromark's events instead), one way to turn a name into a slug, and one way to
turn Markdown into readable plain text.
"""

from __future__ import annotations

import re
import unicodedata

# `[[target#anchor|label]]` and the embed form `![[...]]`: group 1 the target, 2 the `#anchor`, 3 the label.
WIKILINK = re.compile(r"!?\[\[([^\]|#]*)(#[^\]|]*)?(?:\|([^\]]*))?\]\]")
HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
BLOCK_ID = re.compile(r"(?:^|[ \t])\^[A-Za-z0-9-]+[ \t]*$", re.MULTILINE)  # Obsidian's `text ^block-id` (hidden)
_LINE_MARKUP = re.compile(r"\n[ \t]*(?:#{1,6}[ \t]+|(?:[-*+]|\d+\.)[ \t]+(?:\[[ xX]\][ \t]+)?|>[ \t]?)")


def slugify(text: str) -> str:
    """Lowercase-kebab-case: how titles become ids and how links are matched loosely."""
    normalized = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", normalized.lower()).strip("-")


def wikilink_label(match: re.Match[str]) -> str:
    """What a reader sees for a wikilink: its label, else its target."""
    return (match.group(3) or match.group(1) or "").strip()


def strip_comments(markdown: str) -> str:
    return HTML_COMMENT.sub("", markdown) if "<!--" in markdown else markdown


def clean_markdown(text: str) -> str:
    """Markdown as readable text for snippets and indexes: link labels kept, markup and comments dropped."""
    if "<!--" in text:
        text = HTML_COMMENT.sub(" ", text)
    if "[[" in text:
        text = WIKILINK.sub(wikilink_label, text)
    if "](" in text:
        text = _MD_LINK.sub(r"\1", text)
    if "^" in text:
        text = BLOCK_ID.sub("", text)
    text = text.replace("**", "").replace("`", "")
    return _LINE_MARKUP.sub("\n", "\n" + text)[1:]
