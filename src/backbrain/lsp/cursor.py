"""Where things are written on a line: wikilinks and front matter values, with their columns; and
what is under (or just before) the cursor, for navigation, rename and completion.

The core knows which line a link is on, not where on the line; an editor needs the columns. This
module reads one line at a time, so a 5 MB buffer costs no more than a short one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from backbrain.core.text import WIKILINK
from backbrain.lsp.text import Text

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
_KEY = re.compile(r"^([A-Za-z0-9_][\w-]*)[ \t]*:[ \t]?(.*)$")
_FENCE = re.compile(r"^(---|\.\.\.)[ \t]*$")


@dataclass(frozen=True)
class LinkSpan:
    """A wikilink on a line; columns are characters, ends exclusive."""

    target: str
    anchor: str | None
    embed: bool
    start: int  # the first '[' (or '!')
    end: int  # after ']]'
    target_start: int
    target_end: int
    anchor_start: int | None
    anchor_end: int | None


@dataclass(frozen=True)
class ValueSpan:
    """One value of a front matter field (`key: v`, `key: [a, b]`, or a `- v` item under the key)."""

    key: str
    value: str
    start: int
    end: int


def link_spans(line: str) -> list[LinkSpan]:
    """Every wikilink on a line (core.text.WIKILINK: group 1 the target, 2 the '#anchor'), with columns."""
    found = []
    for match in WIKILINK.finditer(line):
        raw, hashed = match.group(1), match.group(2)
        target = raw.strip()
        start = match.start(1) + len(raw) - len(raw.lstrip())
        anchor = hashed[1:] if hashed is not None else None
        found.append(
            LinkSpan(
                target=target,
                anchor=anchor.strip() if anchor is not None else None,
                embed=match.group(0).startswith("!"),
                start=match.start(),
                end=match.end(),
                target_start=start,
                target_end=start + len(target),
                anchor_start=match.start(2) + 1 + len(anchor) - len(anchor.lstrip()) if anchor is not None else None,
                anchor_end=match.start(2) + 1 + len(anchor.rstrip()) if anchor is not None else None,
            )
        )
    return found


def front_matter_end(lines: Sequence[str]) -> int | None:
    """The 0-based index of the front matter's closing '---', or None when there is none."""
    if not lines or lines[0].lstrip("\ufeff").rstrip() != "---":
        return None
    return next((index for index in range(1, len(lines)) if _FENCE.match(lines[index])), None)


def field_key(lines: Sequence[str], index: int) -> str | None:
    """The top-level front matter key that line `index` sets (itself, or as an item of a list above)."""
    end = front_matter_end(lines)
    if end is None or not 0 < index < end:
        return None
    for current in (lines[i] for i in range(index, 0, -1)):
        match = _KEY.match(current)
        if match:
            return match.group(1)
        if current and not current[0].isspace() and not current.startswith("-"):
            return None
    return None


def field_block(lines: Sequence[str], index: int) -> list[int]:
    """The lines of the front matter field set on line `index`: it and its block-list items below."""
    key = field_key(lines, index)
    if key is None:
        return []
    block = [index]
    following = index + 1
    while following < len(lines) and not _KEY.match(lines[following]) and field_key(lines, following) == key:
        block.append(following)
        following += 1
    return block


def block_values(lines: Sequence[str], index: int) -> list[tuple[int, ValueSpan]]:
    """(line, value) for every value of the field set on line `index`, block-list items included."""
    return [(row, span) for row in field_block(lines, index) for span in value_spans(lines, row)]


def value_spans(lines: Sequence[str], index: int) -> list[ValueSpan]:
    """Every value of a front matter field written on line `index`, with its columns."""
    key = field_key(lines, index)
    if key is None:
        return []
    line = lines[index]
    match = _KEY.match(line)
    begin = match.start(2) if match else len(line) - len(line.lstrip().removeprefix("-").lstrip())
    found = []
    for start, end in _segments(line, begin):
        raw = line[start:end]
        value = raw.strip().strip("'\"").removeprefix("[[").removesuffix("]]").split("|")[0].strip()
        if value:
            offset = start + raw.index(value) if value in raw else start
            found.append(ValueSpan(key, value, offset, offset + len(value)))
    return found


def _segments(line: str, begin: int) -> list[tuple[int, int]]:
    """The comma-separated pieces of a YAML value, not counting flow brackets (but keeping [[links]])."""
    pieces, start, index = [], begin, begin
    while index < len(line):
        if line.startswith("[[", index) or line.startswith("]]", index):
            index += 2
            continue
        if line[index] in ",[]":
            pieces.append((start, index))
            start = index + 1
        index += 1
    pieces.append((start, len(line)))
    return [(s, e) for s, e in pieces if line[s:e].strip()]


def links_on(line_text: str) -> list[LinkSpan]:
    return link_spans(line_text)


def values_on(text: Text, line: int) -> list[ValueSpan]:
    return value_spans(text.lines, line) if 0 <= line < len(text.lines) else []


def in_front_matter(text: Text, line: int) -> bool:
    end = front_matter_end(text.lines)
    return end is not None and 0 < line < end


def link_at(text: Text, line: int, column: int) -> LinkSpan | None:
    """The wikilink the cursor is in (its brackets included)."""
    return next((span for span in link_spans(text.line(line)) if span.start <= column <= span.end), None)


def value_at(text: Text, line: int, column: int) -> ValueSpan | None:
    """The front matter value under the cursor."""
    return next((span for span in values_on(text, line) if span.start <= column <= span.end), None)


@dataclass(frozen=True)
class Typing:
    """What is being typed where completion was asked for."""

    kind: str  # "link", "anchor", "embed", "field", "section"
    prefix: str  # what was typed so far
    start: int  # column where the completed text begins
    target: str = ""  # the note named before '#' ("anchor"), or the key ("field")


def typing_at(text: Text, line: int, column: int) -> Typing | None:
    """The completion context at the cursor, or None when nothing backbrain knows is being typed."""
    before = text.line(line)[:column]
    opened = before.rfind("[[")
    if opened != -1 and "]]" not in before[opened:]:
        inner = before[opened + 2 :]
        embed = opened > 0 and before[opened - 1] == "!"
        if "|" in inner or "]" in inner:
            return None
        if "#" in inner:
            target, _, prefix = inner.partition("#")
            return Typing("anchor", prefix, column - len(prefix), target.strip())
        return Typing("embed" if embed else "link", inner, opened + 2)
    key = field_key(text.lines, line) if line < len(text.lines) else None
    if key is not None:
        match = _KEY.match(before)
        if match and match.group(1) != key:
            return None
        value_start = match.start(2) if match else len(before) - len(before.lstrip().removeprefix("-").lstrip())
        if column < value_start:
            return None
        cut = max(before.rfind(","), before.rfind("["), value_start - 1)
        prefix = before[cut + 1 :].lstrip().lstrip("'\"")
        return Typing("field", prefix, column - len(prefix), key)
    if before.startswith("## ") and not in_front_matter(text, line):
        return Typing("section", before[3:], 3)
    return None


def heading_on(text: Text, line: int) -> tuple[int, str, int] | None:
    """(level, title, column where the title starts) when the line is an ATX heading."""
    match = _HEADING.match(text.line(line))
    if not match or not match.group(2):
        return None
    return len(match.group(1)), match.group(2), match.start(2)
