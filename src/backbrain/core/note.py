"""One note: its front matter, and the structure of its body (headings, sections, links, tasks, code).

The body is read with pyromark (pulldown-cmark) rather than regular expressions so that a `[[link]]`
inside a code span, a `## heading` inside a fenced block, or a task inside a quote are understood
exactly as a CommonMark renderer (and so Obsidian, GitHub and the site) will show them.
See docs/design.md for the measurements behind the choice.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pyromark

from backbrain.core.adr import read_record
from backbrain.core.frontmatter import FrontMatter, parse_front_matter
from backbrain.core.resolver import note_stem
from backbrain.core.text import HTML_COMMENT, slugify

MARKDOWN_OPTIONS = (
    pyromark.Options.ENABLE_TABLES
    | pyromark.Options.ENABLE_TASKLISTS
    | pyromark.Options.ENABLE_WIKILINKS
    | pyromark.Options.ENABLE_STRIKETHROUGH
    | pyromark.Options.ENABLE_FOOTNOTES
)
_TIMEBOX = re.compile(r"\((\d+(?:\.\d+)?)\s*(?:min|mins|minutes|m)\)\s*$", re.IGNORECASE)
_INLINE_TAG = re.compile(r"(?<![\w#/&])#([A-Za-z][\w/-]*)")
_ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_URL_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.\-]*:")
_NOTE_LINK_SUFFIXES = (".md", ".markdown")
_INDENTED = re.compile(r"^(?: {4}|\t)", re.MULTILINE)  # a line that may be an indented code block


@dataclass
class Section:
    """A heading and the Markdown under it, up to the next heading of the same or higher level.

    The text is a slice of the note's body taken on demand, so a note carries its text once
    (that keeps loading a 10,000-note vault in a worker process cheap to send back).
    """

    title: str
    level: int
    line: int
    start: int  # character offsets into `source`
    end: int
    source: str = field(repr=False)

    @property
    def text(self) -> str:
        return self.source[self.start : self.end]

    @property
    def is_empty(self) -> bool:
        return not HTML_COMMENT.sub("", self.text).strip()


@dataclass(frozen=True)
class Link:
    target: str  # what was written before '#' or '|', e.g. "cap-theorem" or "../x"
    anchor: str | None  # heading text or '^block' after '#'
    label: str | None
    line: int
    embed: bool = False
    markdown: bool = False  # written `[label](Other%20note.md#heading)` rather than `[[...]]`


@dataclass
class Task:
    text: str
    done: bool
    line: int
    section: str | None

    @property
    def timebox_minutes(self) -> float | None:
        match = _TIMEBOX.search(self.text)
        return float(match.group(1)) if match else None


@dataclass
class CodeBlock:
    lang: str
    line: int
    text: str


@dataclass
class Note:
    """A parsed note. Paths are absolute; `rel` is the POSIX path relative to the vault root."""

    path: Path
    rel: str
    id: str
    type: str
    meta: dict[str, Any]
    body: str
    body_line: int
    front: FrontMatter
    h1: str | None = None
    headings: list[Section] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)  # H2 sections, each with its H3 text inside
    links: list[Link] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    code_blocks: list[CodeBlock] = field(default_factory=list)
    inline_tags: list[str] = field(default_factory=list)
    decode_error: str | None = None
    size: int = 0
    _section_map: dict[str, Section] | None = field(default=None, repr=False, compare=False)

    @property
    def title(self) -> str:
        value = self.meta.get("title")
        if isinstance(value, str) and value.strip():
            return value.strip()
        return self.h1 or note_stem(self.rel)

    @property
    def summary(self) -> str:
        value = self.meta.get("summary")
        return value.strip() if isinstance(value, str) else ""

    @property
    def aliases(self) -> list[str]:
        return _string_list(self.meta.get("aliases"))

    @property
    def tags(self) -> list[str]:
        tags = _string_list(self.meta.get("tags")) + self.inline_tags
        return list(dict.fromkeys(tag.lstrip("#").lower() for tag in tags if tag.strip()))

    @property
    def progress(self) -> str:
        value = self.meta.get("progress")
        return value if isinstance(value, str) else "not-started"

    @property
    def phase(self) -> str | None:
        value = self.meta.get("phase")
        return value if isinstance(value, str) else None

    def section(self, title: str) -> Section | None:
        """The H2 section with this title (case-insensitive), or None."""
        if self._section_map is None:
            self._section_map = {}
            for section in self.sections:
                self._section_map.setdefault(normalize_heading(section.title), section)
        return self._section_map.get(normalize_heading(title))

    def subsection(self, parent: str, title: str) -> Section | None:
        wanted_parent, wanted = normalize_heading(parent), normalize_heading(title)
        current: str | None = None
        for heading in self.headings:
            if heading.level <= 2:
                current = normalize_heading(heading.title)
            elif heading.level == 3 and current == wanted_parent and normalize_heading(heading.title) == wanted:
                return heading
        return None

    def has_anchor(self, anchor: str) -> bool:
        if anchor.startswith("^"):
            return re.search(rf"\s\^{re.escape(anchor[1:])}\s*$", self.body, re.MULTILINE) is not None
        wanted = normalize_heading(anchor)
        return any(normalize_heading(h.title) == wanted or slugify(h.title) == slugify(anchor) for h in self.headings)


def is_note_path(dest: str) -> bool:
    """A Markdown link destination that names a note file (`Other%20note.md#x`, `../a/b.md`), not a
    web address, a page anchor or an attachment: such links count as links, as they do in Obsidian."""
    path = dest.partition("#")[0].partition("?")[0]
    return bool(path) and not _URL_SCHEME.match(path) and unquote(path).lower().endswith(_NOTE_LINK_SUFFIXES)


def strip_obsidian_comments(body: str) -> str:
    """The body without Obsidian `%%comments%%` (never published, never indexed), outside code only.

    A comment's newlines are kept so every line number after it stays the file's; an unclosed `%%`
    hides the rest of the note, as it does in Obsidian (a private remark must not leak by a typo).
    """
    data = body.encode("utf-8")
    code: list[tuple[int, int]] = []
    event: Any
    if "`" in body or "~~~" in body or _INDENTED.search(body):  # else no code can hide a `%%` (most notes)
        for event, span in pyromark.events_with_range(body, options=MARKDOWN_OPTIONS):
            if type(event) is dict and ("Code" in event or _starts_code_block(event)):
                code.append((span["start"], span["end"]))
    marks = [m.start() for m in re.finditer(rb"%%", data) if not any(a <= m.start() < b for a, b in code)]
    pieces, kept_from = [], 0
    for opening, closing in zip(marks[::2], [*marks[1::2], len(data)], strict=False):
        pieces.append(data[kept_from:opening])
        pieces.append(b"\n" * data.count(b"\n", opening, closing))
        kept_from = closing + 2
    pieces.append(data[kept_from:])
    return b"".join(pieces).decode("utf-8")


def _starts_code_block(event: dict[str, Any]) -> bool:
    start = event.get("Start")
    return type(start) is dict and "CodeBlock" in start


def normalize_heading(text: str) -> str:
    return " ".join(text.lower().replace("\u2011", "-").split())


def is_valid_id(value: str) -> bool:
    return bool(_ID_PATTERN.match(value))


def _string_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(item) for item in value if isinstance(item, (str, int, float)) and str(item).strip()]
    return []


def parse_note(path: Path, rel: str, raw: bytes, default_type: str) -> Note:
    """Parse one file's bytes; never raises for bad content (problems are recorded on the note)."""
    try:
        text = raw.decode("utf-8")
        decode_error = "file contains NUL bytes (binary?)" if "\x00" in text else None
    except UnicodeDecodeError as exc:
        text = raw.decode("utf-8", "replace")
        decode_error = f"not UTF-8 text (invalid byte at offset {exc.start})"
    front = parse_front_matter(text) if decode_error is None else FrontMatter(body=text)
    if decode_error is None and "%%" in front.body:
        front.body = strip_obsidian_comments(front.body)
    meta = front.data
    note_type = meta.get("type") if isinstance(meta.get("type"), str) else None
    explicit_id = meta.get("id")
    stem = note_stem(rel)
    note_id = explicit_id.strip() if isinstance(explicit_id, str) and explicit_id.strip() else slugify(stem) or stem
    note = Note(
        path=path,
        rel=rel,
        id=note_id,
        type=(note_type or default_type).strip(),
        meta=meta,
        body=front.body,
        body_line=front.body_line,
        front=front,
        decode_error=decode_error,
        size=len(raw),
    )
    if decode_error is None:
        _read_structure(note)
        if note.type == "decision":
            read_record(note)  # MADR / Nygard / log4brains metadata, when front matter lacks it
    return note


class _LineIndex:
    """Byte offset in the body -> 1-based line number in the file."""

    def __init__(self, data: bytes, first_line: int) -> None:
        positions, found = [], data.find(b"\n")
        while found != -1:
            positions.append(found)
            found = data.find(b"\n", found + 1)
        self.newlines = positions
        self.first_line = first_line

    def line(self, offset: int) -> int:
        return self.first_line + bisect_right(self.newlines, offset - 1)


def _read_structure(note: Note) -> None:
    """One pass over pyromark's events, kept as a single loop because it runs a million times a vault."""
    data = note.body.encode("utf-8")
    lines = _LineIndex(data, note.body_line)
    marks: list[tuple[int, int, int, str]] = []  # heading level, start, end, title
    heading: list[str] | None = None
    heading_level = heading_start = 0
    link: list[str] | None = None
    link_attrs: dict[str, Any] = {}
    link_start, link_embed = 0, False
    task: list[str] | None = None
    task_done, task_start = False, 0
    code: list[str] | None = None
    code_lang, code_start = "", 0
    event: Any
    events = pyromark.events_with_range(note.body, options=MARKDOWN_OPTIONS, merge_text=True)
    for event, span in events:
        if type(event) is not dict:
            continue  # SoftBreak, Rule, ...: nothing to collect
        text = event.get("Text")
        if text is not None:
            if heading is None and link is None and task is None and code is None:
                if "#" in text:
                    note.inline_tags.extend(_INLINE_TAG.findall(text))
                continue
            for collector in (heading, link, task, code):
                if collector is not None:
                    collector.append(text)
            continue
        start = event.get("Start")
        if start is not None:
            if type(start) is not dict:
                continue  # Paragraph, Item, ...
            tag, attrs = next(iter(start.items()))
            if tag == "Heading":
                heading, heading_level, heading_start = [], int(attrs["level"][1]), span["start"]
            elif tag == "Link" or tag == "Image":
                link_type = attrs.get("link_type")
                if type(link_type) is dict and "WikiLink" in link_type:
                    link, link_attrs, link_start, link_embed = [], attrs, span["start"], tag == "Image"
                elif tag == "Link" and is_note_path(str(attrs.get("dest_url", ""))):
                    link, link_attrs, link_start, link_embed = [], attrs, span["start"], False
            elif tag == "CodeBlock":
                fence = attrs.get("Fenced") if type(attrs) is dict else None
                code, code_lang, code_start = [], (fence.split() or [""])[0] if fence else "", span["start"]
            continue
        end = event.get("End")
        if end is not None:
            if end == "Paragraph":
                continue
            tag = next(iter(end)) if type(end) is dict else end
            if tag == "Heading" and heading is not None:
                marks.append((heading_level, heading_start, span["end"], "".join(heading).strip()))
                heading = None
            elif (tag == "Link" or tag == "Image") and link is not None:
                note.links.append(_make_link(link_attrs, link, lines.line(link_start), link_embed))
                link = None
            elif tag == "Item" and task is not None:
                note.tasks.append(Task(" ".join("".join(task).split()), task_done, lines.line(task_start), None))
                task = None
            elif tag == "CodeBlock" and code is not None:
                note.code_blocks.append(CodeBlock(code_lang, lines.line(code_start), "".join(code)))
                code = None
            continue
        code_span = event.get("Code")
        if code_span is not None:
            if heading is not None:
                heading.append(code_span)
            if task is not None:
                task.append(f"`{code_span}`")
        elif "TaskListMarker" in event:
            task, task_done, task_start = [], bool(event["TaskListMarker"]), span["start"]
    _build_sections(note, marks, data, lines)


def _make_link(attrs: dict[str, Any], parts: list[str], line: int, embed: bool) -> Link:
    # In a table, `[[a\|b]]` escapes the pipe from the table; pulldown-cmark keeps the backslash.
    dest = str(attrs.get("dest_url", "")).rstrip("\\")
    link_type = attrs["link_type"]
    if type(link_type) is not dict:  # a Markdown link to a note: percent-encoded, relative to the note
        path, _, fragment = dest.partition("#")
        return Link(unquote(path).strip(), unquote(fragment).strip() or None, "".join(parts), line, markdown=True)
    target, _, anchor = dest.partition("#")
    wiki = link_type["WikiLink"]
    potholed = isinstance(wiki, dict) and wiki.get("has_pothole")
    return Link(target.strip(), anchor.strip() or None, "".join(parts) if potholed else None, line, embed)


def _build_sections(note: Note, marks: list[tuple[int, int, int, str]], data: bytes, lines: _LineIndex) -> None:
    """Sections from the heading marks, in time linear in their number (a 4 MB note of 160,000
    headings took minutes when each heading searched the rest of the list for its end)."""
    stops = _section_stops(marks, len(data))
    to_char = _char_offsets(data, note.body, [m[2] for m in marks] + stops)
    for (level, start, end, title), stop in zip(marks, stops, strict=True):
        section = Section(title, level, lines.line(start), to_char(end), to_char(stop), note.body)
        note.headings.append(section)
        if level == 1 and note.h1 is None:
            note.h1 = title
        elif level == 2:
            note.sections.append(section)
    h2_lines = [s.line for s in note.sections]
    for task in note.tasks:
        index = bisect_right(h2_lines, task.line)
        task.section = note.sections[index - 1].title if index else None


def _section_stops(marks: list[tuple[int, int, int, str]], end: int) -> list[int]:
    """Where each heading's section ends: at the next heading of the same or a higher level."""
    stops = [end] * len(marks)
    open_marks: list[int] = []  # indexes of headings whose section is still open, levels increasing
    for index, (level, start, _end, _title) in enumerate(marks):
        while open_marks and marks[open_marks[-1]][0] >= level:
            stops[open_marks.pop()] = start
        open_marks.append(index)
    return stops


def _char_offsets(data: bytes, text: str, offsets: list[int]) -> Callable[[int], int]:
    """Byte offset -> character offset in `text` (decoded from `data`), for the given offsets, in
    one pass over the text instead of decoding a prefix per offset."""
    if len(data) == len(text):
        return lambda offset: offset
    table: dict[int, int] = {}
    position = chars = 0
    for offset in sorted(set(offsets)):
        chars += len(data[position:offset].decode("utf-8", "replace"))
        position = offset
        table[offset] = chars
    return table.__getitem__
