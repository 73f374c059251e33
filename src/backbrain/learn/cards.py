"""Review cards a person writes: question/answer pairs (in a `## Cards` section or any paragraph), and cloze
deletions.

Generated cards (backbrain.learn.review) ask what a note's type says every note should answer;
authored cards ask what the person decided is worth remembering. Both kinds are the same ReviewCard
and are scheduled the same way.

    ## Cards

    Q: What does a fencing token protect against?
    A: A paused lock holder writing after its lease expired.

    The outbox row and the business row commit in {{c1::one local transaction}}.

A Q: line starts a question (it may continue on the next lines), A: starts its answer, which runs
until the next Q: or the end of the section. Elsewhere in a note a pair is a paragraph: a Q: line, then
an A: line, the answer running to the paragraph's end (a lone Q: line, as in an FAQ heading, is text).
A cloze `{{c1::text}}` or `{{c1::text::hint}}` may be in any paragraph or list item of any note
(not in code): each number in a paragraph is one card that hides that number's text and shows the
others. A card's id is the note id plus a slug of its question (or hidden text), so it keeps its
schedule while the rest of the note changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from backbrain.core.note import Note
from backbrain.core.text import slugify

CARDS_SECTION = "Cards"
CLOZE = re.compile(r"\{\{c(\d+)::(.*?)(?:::([^{}]*?))?\}\}", re.DOTALL)
_QA_LINE = re.compile(r"^\s*(?:[-*+]\s+)?(?:\*\*)?(Q|A)(?:\*\*)?\s*[:：](?:\*\*)?\s?(.*)$", re.IGNORECASE)
_FENCE = re.compile(r"^\s*(```+|~~~+)")
_QA_ANYWHERE = re.compile(r"^\s*(?:[-*+]\s+)?(?:\*\*)?Q(?:\*\*)?\s*[:：]", re.IGNORECASE | re.MULTILINE)
_SLUG_CHARS = 48


@dataclass(frozen=True)
class ReviewCard:
    id: str  # "<note id>#<kind>": stable while the note's text changes
    note: str
    kind: str
    prompt: str
    answer: str  # Markdown


def authored_cards(note: Note) -> list[ReviewCard]:
    """The note's Q/A cards (its `## Cards` section first), then its cloze cards, in text order."""
    cards = qa_cards(note) + cloze_cards(note)
    seen: dict[str, int] = {}
    unique = []
    for card in cards:  # two identical questions in one note still get two schedules
        count = seen.get(card.id, 0) + 1
        seen[card.id] = count
        unique.append(card if count == 1 else ReviewCard(f"{card.id}-{count}", card.note, card.kind, card.prompt,
                                                         card.answer))  # fmt: skip
    return unique


def qa_cards(note: Note) -> list[ReviewCard]:
    """Q/A pairs of the `## Cards` section (an answer runs to the next Q:, paragraphs and code included),
    then those elsewhere in the note (a Q: line and an A: line in one paragraph, the answer to its end)."""
    section = note.section(CARDS_SECTION)
    pairs: list[tuple[list[str], list[str]]] = []
    rest = note.body
    if section is not None:
        pairs += _pairs(section.text.splitlines())
        rest = section.source[: section.start] + "\n\n" + section.source[section.end :]
    if _QA_ANYWHERE.search(rest):
        for paragraph in _paragraphs_outside_code(rest):
            pairs += [(q, a) for q, a in _pairs(paragraph) if a]  # a lone "Q:" line is just text
    cards = []
    for question_lines, answer_lines in pairs:
        question, answer = "\n".join(question_lines).strip(), "\n".join(answer_lines).strip()
        if question and answer:
            slug = slugify(question)[:_SLUG_CHARS].rstrip("-") or "card"
            cards.append(ReviewCard(f"{note.id}#q-{slug}", note.id, "authored", question, answer))
    return cards


def _pairs(lines: list[str]) -> list[tuple[list[str], list[str]]]:
    """(question lines, answer lines) for each Q: line; a Q: or A: line inside fenced code is text."""
    pairs: list[tuple[list[str], list[str]]] = []
    current: list[str] | None = None
    fence = ""
    for line in lines:
        fence = _fence_after(line, fence)
        match = None if fence or _FENCE.match(line) else _QA_LINE.match(line)
        if match and match.group(1).upper() == "Q":
            pairs.append(([match.group(2)], []))
            current = pairs[-1][0]
        elif match and pairs:
            current = pairs[-1][1]
            current.append(match.group(2))
        elif current is not None:
            current.append(line)  # a question or answer goes on over several lines, code included
    return pairs


def _paragraphs_outside_code(body: str) -> list[list[str]]:
    """Runs of non-blank lines, fenced code and headings left out."""
    paragraphs: list[list[str]] = [[]]
    fence = ""
    for line in body.splitlines():
        was_open = bool(fence)
        fence = _fence_after(line, fence)
        if was_open or fence or not line.strip() or line.lstrip().startswith("#"):
            if paragraphs[-1]:
                paragraphs.append([])
            continue
        paragraphs[-1].append(line)
    return [paragraph for paragraph in paragraphs if paragraph]


def cloze_cards(note: Note) -> list[ReviewCard]:
    if "{{c" not in note.body:
        return []
    cards = []
    for block in _blocks_outside_code(note.body):
        numbers = sorted({int(m.group(1)) for m in CLOZE.finditer(block)})
        for number in numbers:
            hidden = next(m.group(2) for m in CLOZE.finditer(block) if int(m.group(1)) == number)
            slug = slugify(hidden)[:_SLUG_CHARS].rstrip("-") or "cloze"
            prompt = _fill(block, number, reveal=False)
            answer = _fill(block, number, reveal=True)
            cards.append(ReviewCard(f"{note.id}#c{number}-{slug}", note.id, "cloze", prompt, answer))
    return cards


def _fill(block: str, number: int, *, reveal: bool) -> str:
    """The block with cloze `number` hidden as [...] (or its hint), or revealed in bold; the others read as text."""

    def replace(match: re.Match[str]) -> str:
        text, hint = match.group(2), match.group(3)
        if int(match.group(1)) != number:
            return text
        if reveal:
            return f"**{text}**"
        return f"[{hint.strip()}]" if hint and hint.strip() else "[…]"

    return CLOZE.sub(replace, block).strip()


def strip_cloze(markdown: str) -> str:
    """Markdown with every `{{c1::text::hint}}` read as its text (for pages and search)."""
    return CLOZE.sub(lambda m: m.group(2), markdown) if "{{c" in markdown else markdown


def _fence_after(line: str, fence: str) -> str:
    """The open code fence after `line` ("" outside code), given the one open before it."""
    opened = _FENCE.match(line)
    if opened is None:
        return fence
    marker = opened.group(1)
    if not fence:
        return marker
    return "" if marker[0] == fence[0] and len(marker) >= len(fence) else fence


def _blocks_outside_code(body: str) -> list[str]:
    """Paragraphs and list items (split at blank lines and item markers), fenced code left out."""
    blocks: list[str] = []
    current: list[str] = []
    fence = ""
    for line in body.splitlines():
        was_open = bool(fence)
        fence = _fence_after(line, fence)
        if was_open or fence:  # inside a fenced block, or its closing line
            if current:
                blocks.append("\n".join(current))
                current = []
            continue
        if not line.strip() or line.lstrip().startswith("#") or re.match(r"^\s*(?:[-*+]|\d+[.)])\s", line):
            blocks.append("\n".join(current))
            current = [line] if line.strip() and not line.lstrip().startswith("#") else []  # headings left out
            continue
        current.append(line)
    blocks.append("\n".join(current))
    return [block for block in blocks if CLOZE.search(_without_inline_code(block))]


def _without_inline_code(block: str) -> str:
    return re.sub(r"`[^`\n]*`", "", block)
