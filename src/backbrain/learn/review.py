"""Spaced-repetition review of the notes with FSRS: cards from the notes, a schedule from the journal.

Cards are generated, not written: each note is a card as a whole ("Explain <title>") and the
required sections of its type become questions ("When should you NOT use caching?" is answered by
that pattern's "When NOT to use"). A card's id is the note id plus the kind of question, so it stays
the same as the note's text changes and the schedule follows it.

The schedule is never stored in a note. Every rating is an event in journal/review.jsonl, and a
card's state is the fold of its events. Each event also carries the FSRS state it produced, because
FSRS fuzzes intervals randomly; replaying from the snapshots gives exactly the due dates the person
was shown, while an event without one (written by hand, or by an older version) is re-scheduled
from its rating.
"""

from __future__ import annotations

import datetime as dt
import re
import zlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pyromark
from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler, State

from backbrain.core.note import MARKDOWN_OPTIONS, Note
from backbrain.core.schema import PLAIN_NOTE
from backbrain.core.text import strip_comments
from backbrain.core.vault import Vault
from backbrain.learn.journal import REVIEW_LOG, Journal, format_ts, local_day, parse_ts, to_utc, utc_now

DEFAULT_NEW_PER_DAY = 20
RATING_NAMES = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[*`])")
_CHOSEN = re.compile(r"Chosen option:\s*[\"“]([^\"”]+)[\"”]|Chosen option:\s*([^,.]+)")


# -- turning Markdown into short points ----------------------------------------------------------
def key_points(markdown: str, limit: int = 5, *, first_sentence: bool = True, max_chars: int = 240) -> list[str]:
    """The top-level paragraphs and list items of a section as plain text, each cut to its bold
    lead-in or first sentence: short enough to scan next to an answer or to fit in a question."""
    points: list[str] = []
    for text, lead in _blocks(strip_comments(markdown)):
        if first_sentence:
            text = lead.rstrip(".:") if lead and len(lead) >= 3 else first_sentence_of(text)
        if len(text) > max_chars:
            text = text[: max_chars - 1].rsplit(" ", 1)[0] + "…"
        if text:
            points.append(text)
        if len(points) >= limit:
            break
    return points


def first_sentence_of(text: str) -> str:
    return _SENTENCE_END.split(text.strip(), maxsplit=1)[0].strip()


def sentences_of(text: str) -> list[str]:
    """A paragraph split into sentences (at . ! ? followed by a capital, a digit or markup)."""
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


@dataclass
class _BlockReader:
    """Collects the plain text of top-level paragraphs and list items from pyromark's events."""

    blocks: list[tuple[str, str]] = field(default_factory=list)
    current: list[str] | None = None
    lead: list[str] | None = None  # bold text that opens the block ("**Hit ratio drop.** ...")
    lead_done: bool = False
    lists: int = 0
    items: int = 0
    skip: int = 0  # inside a heading, table or code block

    def start(self, tag: str) -> None:
        self.lists += tag == "List"
        self.items += tag == "Item"
        self.skip += tag in _SKIPPED
        if self.skip == 0 and self.current is None and _is_top_block(tag, self.lists, self.items):
            self.current, self.lead, self.lead_done = [], None, False
        elif tag == "Strong" and self.current is not None and not "".join(self.current).strip() and not self.lead_done:
            self.lead = []

    def end(self, tag: str) -> None:
        if tag in ("Paragraph", "Item") and self.current is not None and _is_top_block(tag, self.lists, self.items):
            lead = " ".join("".join(self.lead or []).split())
            self.blocks.append((" ".join("".join(self.current).split()), lead))
            self.current = self.lead = None
        if tag == "Strong" and self.lead is not None:
            self.lead_done = True
        self.lists -= tag == "List"
        self.items -= tag == "Item"
        self.skip -= tag in _SKIPPED

    def text(self, value: str) -> None:
        if self.current is not None and self.skip == 0 and self.lists <= 1:
            self.current.append(value)
            if self.lead is not None and not self.lead_done:
                self.lead.append(value)


_SKIPPED = ("Heading", "Table", "CodeBlock", "HtmlBlock")


def _blocks(markdown: str) -> list[tuple[str, str]]:
    """(plain text, bold lead-in) of each top-level paragraph and each item of a top-level list."""
    reader = _BlockReader()
    for event in pyromark.events(markdown, options=MARKDOWN_OPTIONS, merge_text=True):
        if isinstance(event, str):
            if event in ("SoftBreak", "HardBreak"):
                reader.text(" ")
            continue
        kind, value = next(iter(event.items()))
        if kind == "Start":
            reader.start(_tag(value))
        elif kind == "End":
            reader.end(_tag(value))
        elif kind in ("Text", "Code"):
            reader.text(str(value))
    return [(text, lead) for text, lead in reader.blocks if text]


def _tag(value: Any) -> str:
    return next(iter(value)) if isinstance(value, dict) else str(value)


def _is_top_block(tag: str, lists: int, items: int) -> bool:
    return (tag == "Paragraph" and lists == 0) or (tag == "Item" and lists == 1 and items == 1)


def answer_markdown(markdown: str) -> str:
    """A section's Markdown without the template's HTML comments, for showing as an answer."""
    return strip_comments(markdown).strip()


# -- cards --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReviewCard:
    id: str  # "<note id>#<kind>": stable while the note's text changes
    note: str
    kind: str
    prompt: str
    answer: str  # Markdown


def _mid_sentence(title: str) -> str:
    """'Caching' -> 'caching' inside a question; acronyms and names with capitals stay as written."""
    first = title.split(" ", 1)[0]
    if len(first) > 1 and first[0].isupper() and first[1:].islower():
        return title[0].lower() + title[1:]
    return title


def _mask(text: str, note: Note) -> str:
    """Hide the note's own title and aliases in a question that asks for them."""
    for name in sorted([note.title, *note.aliases], key=len, reverse=True):
        if len(name) >= 3:
            text = re.sub(re.escape(name), "…", text, flags=re.IGNORECASE)
    return text


def _section_card(kind: str, section: str, prompt: str) -> Callable[[Note], ReviewCard | None]:
    """A card asking `prompt` ({t}: the title mid-sentence, {T}: as written), answered by `section`."""

    def make(note: Note) -> ReviewCard | None:
        found = note.section(section)
        if found is None or found.is_empty:
            return None
        question = prompt.format(t=_mid_sentence(note.title), T=note.title)
        return ReviewCard(f"{note.id}#{kind}", note.id, kind, question, answer_markdown(found.text))

    return make


def _signals_card(note: Note) -> ReviewCard | None:
    found = note.section("Detection signals")
    if found is None or found.is_empty:
        return None
    points = [_mask(p, note).rstrip(".") for p in key_points(found.text, limit=3, max_chars=140)]
    what = note.section("What it is")
    answer = f"**{note.title}**" + (f"\n\n{' '.join(key_points(what.text, limit=1))}" if what else "")
    prompt = "Which failure mode shows these signals: " + "; ".join(points) + "?"
    return ReviewCard(f"{note.id}#signals", note.id, "signals", prompt, answer)


def _decision_card(note: Note) -> ReviewCard | None:
    found = note.section("Decision")
    if found is None or found.is_empty:
        return None
    text = " ".join(key_points(found.text, limit=1, first_sentence=False, max_chars=2000))
    match = _CHOSEN.search(text)
    chosen = (match.group(1) or match.group(2)).strip() if match else _mid_sentence(note.title)
    prompt = f"Why did we choose {chosen}? ({note.title})"
    return ReviewCard(f"{note.id}#why", note.id, "why", prompt, answer_markdown(found.text))


def _takeaway_card(note: Note) -> ReviewCard | None:
    takeaway = note.meta.get("takeaway")
    if not isinstance(takeaway, str) or not takeaway.strip():
        return None
    return ReviewCard(f"{note.id}#takeaway", note.id, "takeaway", f"What is the takeaway of “{note.title}”?", takeaway)


def _steps_card(note: Note) -> ReviewCard | None:
    steps = [task.text for task in note.tasks if task.section and task.section.lower() == "steps"]
    if not steps:
        return None
    answer = "\n".join(f"{n}. {text}" for n, text in enumerate(steps, 1))
    return ReviewCard(f"{note.id}#steps", note.id, "steps", f"What are the steps of “{note.title}”?", answer)


CARD_MAKERS: dict[str, list[Callable[[Note], ReviewCard | None]]] = {
    "pattern": [
        _section_card("problem", "Problem", "What problem does {t} solve?"),
        _section_card("when-not", "When NOT to use", "When should you NOT use {t}?"),
        _section_card("when", "When to use", "When should you use {t}?"),
    ],
    "failure-mode": [
        _signals_card,
        _section_card("mitigation", "Mitigation strategies", "How do you mitigate {t}?"),
    ],
    "principle": [
        _section_card("statement", "Statement", "State the principle: {T}."),
        _section_card("why", "Why it matters", "Why does {t} matter?"),
    ],
    "decision": [_decision_card],
    "system": [
        _section_card("bottlenecks", "Bottlenecks", "Where are the bottlenecks of {t}?"),
        _section_card("tradeoffs", "Tradeoffs", "Which tradeoffs does the {t} design make?"),
    ],
    "topic": [
        _section_card("problem", "What problem it solves", "What problem does {t} solve?"),
        _section_card("without", "What happens without it", "What happens without {t}?"),
    ],
    "playbook": [_steps_card],
    "article": [_takeaway_card],
}


def _explain_card(note: Note) -> ReviewCard | None:
    parts = [note.summary] if note.summary else []
    first = next((s for s in note.sections if not s.is_empty), None)
    if first is not None:
        parts.append("\n".join(f"- {p}" for p in key_points(first.text, limit=4)))
    if not parts:
        return None
    return ReviewCard(
        f"{note.id}#explain", note.id, "explain", f"Explain {_mid_sentence(note.title)}.", "\n\n".join(parts)
    )


def note_cards(note: Note) -> list[ReviewCard]:
    """The cards of one note: the note as a whole, then its type's section questions."""
    if note.decode_error or note.front.error:
        return []
    makers = [_explain_card, *CARD_MAKERS.get(note.type, [])]
    return [card for card in (make(note) for make in makers) if card is not None]


def vault_cards(vault: Vault) -> list[ReviewCard]:
    """Every card of the vault, typed notes first in type order, then by note id."""
    order = {name: index for index, name in enumerate(vault.config.types)}
    notes = sorted(
        (n for n in vault.notes.values() if n.type != PLAIN_NOTE or n.front.present),
        key=lambda n: (order.get(n.type, len(order)), n.id),
    )
    return [card for note in notes for card in note_cards(note)]


# -- the schedule, replayed from the journal ----------------------------------------------------
def make_scheduler() -> Scheduler:
    return Scheduler()


@dataclass
class CardState:
    card: FsrsCard
    reviews: int = 0
    first_review: dt.datetime | None = None
    last_rating: int | None = None


def _fsrs_id(card_id: str) -> int:
    return zlib.crc32(card_id.encode("utf-8"))


def _snapshot(card: FsrsCard) -> dict[str, Any]:
    return {
        "state": int(card.state),
        "step": card.step,
        "stability": card.stability,
        "difficulty": card.difficulty,
        "due": format_ts(card.due),
        "last_review": format_ts(card.last_review) if card.last_review else None,
    }


def _from_snapshot(card_id: str, event: dict[str, Any]) -> FsrsCard | None:
    due, last = parse_ts(event.get("due")), parse_ts(event.get("last_review"))
    stability, difficulty = event.get("stability"), event.get("difficulty")
    try:
        state = State(int(event["state"]))
    except (KeyError, TypeError, ValueError):
        return None
    if due is None or last is None or not all(isinstance(v, (int, float)) for v in (stability, difficulty)):
        return None
    step = event.get("step")
    return FsrsCard(_fsrs_id(card_id), state, step if isinstance(step, int) else None, stability, difficulty, due, last)


def replay(events: Iterable[dict[str, Any]], scheduler: Scheduler | None = None) -> dict[str, CardState]:
    """Each card's FSRS state after its review events, taken in time order."""
    scheduler = scheduler or make_scheduler()
    states: dict[str, CardState] = {}
    timed = [(ts, event) for event in events if (ts := parse_ts(event.get("ts"))) is not None]
    for ts, event in sorted(timed, key=lambda pair: pair[0]):  # stable: merged journals replay in time order
        card_id, rating = event.get("card"), event.get("rating")
        if not isinstance(card_id, str) or rating not in RATING_NAMES:
            continue
        state = states.get(card_id) or CardState(FsrsCard(_fsrs_id(card_id), due=ts))
        card = _from_snapshot(card_id, event) or scheduler.review_card(state.card, Rating(rating), ts)[0]
        state.card, state.reviews, state.last_rating = card, state.reviews + 1, rating
        state.first_review = state.first_review or ts
        states[card_id] = state
    return states


def load_states(journal: Journal) -> dict[str, CardState]:
    return replay(journal.events(REVIEW_LOG, "review"))


@dataclass
class DueCard:
    card: ReviewCard
    due: dt.datetime
    new: bool

    def to_json(self) -> dict[str, Any]:
        return {"card": self.card.id, "note": self.card.note, "prompt": self.card.prompt, "due": format_ts(self.due)}


def new_cards_left(states: dict[str, CardState], now: dt.datetime, per_day: int, tz: dt.tzinfo | None = None) -> int:
    """How many unseen cards may still be introduced today (a day is the person's local day)."""
    today = local_day(now, tz)
    started_today = sum(1 for s in states.values() if s.first_review and local_day(s.first_review, tz) == today)
    return max(0, per_day - started_today)


def due_cards(
    vault: Vault,
    journal: Journal,
    *,
    now: dt.datetime | None = None,
    new_per_day: int = DEFAULT_NEW_PER_DAY,
    limit: int | None = None,
    tz: dt.tzinfo | None = None,
) -> list[DueCard]:
    """Cards due now, most overdue first, then unseen cards up to what is left of today's new limit."""
    now = to_utc(now or utc_now())
    states = load_states(journal)
    cards = vault_cards(vault)
    seen = [DueCard(c, states[c.id].card.due, False) for c in cards if c.id in states]
    due = sorted((d for d in seen if d.due <= now), key=lambda d: (d.due, d.card.id))
    unseen = [DueCard(c, now, True) for c in cards if c.id not in states]
    due += unseen[: new_cards_left(states, now, new_per_day, tz)]
    return due[:limit] if limit is not None else due


@dataclass
class ReviewOutcome:
    card: str
    rating: int
    due: dt.datetime
    state: str


def record_review(
    journal: Journal,
    card: ReviewCard,
    rating: int,
    *,
    now: dt.datetime | None = None,
    duration_ms: int | None = None,
    scheduler: Scheduler | None = None,
    states: dict[str, CardState] | None = None,
) -> ReviewOutcome:
    """Schedule the card's next review from this rating and append the review to the journal.

    `states` (from load_states) saves re-reading the whole log for every rating of a session; it is
    updated in place with the new state."""
    if rating not in RATING_NAMES:
        raise ValueError(f"rating must be 1-4, not {rating!r}")
    now = to_utc(now or utc_now())
    scheduler = scheduler or make_scheduler()
    states = load_states(journal) if states is None else states
    state = states.get(card.id) or CardState(FsrsCard(_fsrs_id(card.id), due=now))
    updated, _ = scheduler.review_card(state.card, Rating(rating), now)
    data = {"card": card.id, "note": card.note, "rating": rating, **_snapshot(updated)}
    if duration_ms is not None:
        data["duration_ms"] = duration_ms
    journal.append(REVIEW_LOG, "review", data, now=now)
    state.card, state.reviews, state.last_rating = updated, state.reviews + 1, rating
    state.first_review = state.first_review or now
    states[card.id] = state
    return ReviewOutcome(card.id, rating, updated.due, updated.state.name.lower())


# -- statistics ---------------------------------------------------------------------------------
@dataclass
class ReviewStats:
    reviews: int
    retention: float | None  # share of reviews rated Good or Easy; None before the first review
    per_day: list[tuple[dt.date, int]]
    forecast: list[tuple[dt.date, int]]
    cards_total: int = 0
    cards_seen: int = 0
    by_state: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "reviews": self.reviews,
            "retention": self.retention,
            "per_day": [{"date": d.isoformat(), "reviews": n} for d, n in self.per_day],
            "forecast": [{"date": d.isoformat(), "due": n} for d, n in self.forecast],
            "cards": {"total": self.cards_total, "seen": self.cards_seen, **self.by_state},
        }


def review_stats(
    journal: Journal,
    *,
    cards: list[ReviewCard] | None = None,
    now: dt.datetime | None = None,
    days: int = 14,
    tz: dt.tzinfo | None = None,
) -> ReviewStats:
    """Retention, reviews per day over the last `days` days, and the due forecast for 7 days."""
    now = to_utc(now or utc_now())
    events = [e for e in journal.events(REVIEW_LOG, "review") if e.get("rating") in RATING_NAMES]
    ratings = [int(e["rating"]) for e in events]
    retention = sum(r >= 3 for r in ratings) / len(ratings) if ratings else None
    today = local_day(now, tz)
    counts = Counter(local_day(ts, tz) for ts in (parse_ts(e.get("ts")) for e in events) if ts)
    per_day = [(day, counts.get(day, 0)) for day in (today - dt.timedelta(days=n) for n in range(days - 1, -1, -1))]
    states = replay(events)
    known = {c.id for c in cards} if cards is not None else None
    live = {cid: s for cid, s in states.items() if known is None or cid in known}
    due_days = Counter(max(local_day(s.card.due, tz), today) for s in live.values())
    forecast = [(day, due_days.get(day, 0)) for day in (today + dt.timedelta(days=n) for n in range(7))]
    by_state = Counter(s.card.state.name.lower() for s in live.values())
    total = len(cards) if cards is not None else len(live)
    return ReviewStats(len(ratings), retention, per_day, forecast, total, len(live), dict(by_state))
