"""Spaced-repetition review of the notes with FSRS: cards from the notes, a schedule from the journal.

Most cards are generated: each note is a card as a whole ("How does the “Caching” pattern work?")
and the required sections of its type become questions ("When should you not use the “Caching”
pattern?" is answered by that pattern's "When NOT to use"). Cards a person writes (Q/A pairs in a
`## Cards` section, `{{c1::cloze}}` deletions) come from backbrain.learn.cards. A card's id is the
note id plus the kind of question, so it stays the same as the note's text changes and the schedule
follows it. A session spreads one note's cards apart, and skips suspended and buried cards.

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
from typing import Any, TypeGuard

import pyromark
from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler, State

from backbrain.core.note import MARKDOWN_OPTIONS, Note
from backbrain.core.schema import PLAIN_NOTE, TypeSpec
from backbrain.core.text import slugify, strip_comments
from backbrain.core.vault import Vault
from backbrain.learn.cards import ReviewCard, authored_cards
from backbrain.learn.journal import REVIEW_LOG, Journal, format_ts, local_day, parse_ts, to_utc, utc_now

DEFAULT_NEW_PER_DAY = 20
RATING_NAMES = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[*`])")


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
# Every generated prompt is a question about the note named as written, in quotes, with its kind:
# "What problem does the “Fencing tokens” pattern solve?" reads right for any title (plural,
# acronym, a sentence such as "Keep a per-instance LRU cache") where "does fencing tokens" did not.
def _quoted(note: Note) -> str:
    return f"“{note.title}”"


def _mask(text: str, note: Note) -> str:
    """Hide the note's own title and aliases in a question that asks for them."""
    for name in sorted([note.title, *note.aliases], key=len, reverse=True):
        if len(name) >= 3:
            text = re.sub(re.escape(name), "…", text, flags=re.IGNORECASE)
    return text


def _section_card(kind: str, section: str, prompt: str) -> Callable[[Note], ReviewCard | None]:
    """A card asking `prompt` ({q}: the quoted title), answered by `section`."""

    def make(note: Note) -> ReviewCard | None:
        found = note.section(section)
        if found is None or found.is_empty:
            return None
        question = prompt.format(q=_quoted(note))
        return ReviewCard(f"{note.id}#{kind}", note.id, kind, question, answer_markdown(found.text))

    return make


_LABEL = re.compile(r"^[A-Z][\w ,/'-]{0,40}:\s+(?=\S)")  # "How it reads on call: ..." -> "..."


def _signals_card(note: Note) -> ReviewCard | None:
    found = note.section("Detection signals")
    if found is None or found.is_empty:
        return None
    points = [_mask(_LABEL.sub("", p), note).rstrip(".?") for p in key_points(found.text, limit=3, max_chars=160)]
    what = note.section("What it is")
    answer = f"**{note.title}**" + (f"\n\n{' '.join(key_points(what.text, limit=1))}" if what else "")
    prompt = "Which failure mode do these signals point to?\n" + "\n".join(f"- {point}" for point in points)
    return ReviewCard(f"{note.id}#signals", note.id, "signals", prompt, answer)


def _decision_card(note: Note) -> ReviewCard | None:
    found = note.section("Decision")
    if found is None or found.is_empty:
        return None
    prompt = f"What did {_quoted(note)} decide, and why?"
    return ReviewCard(f"{note.id}#why", note.id, "why", prompt, answer_markdown(found.text))


def _takeaway_card(note: Note) -> ReviewCard | None:
    takeaway = note.meta.get("takeaway")
    if not isinstance(takeaway, str) or not takeaway.strip():
        return None
    prompt = f"What is the takeaway of the article {_quoted(note)}?"
    return ReviewCard(f"{note.id}#takeaway", note.id, "takeaway", prompt, takeaway)


def _steps_card(note: Note) -> ReviewCard | None:
    steps = [task.text for task in note.tasks if task.section and task.section.lower() == "steps"]
    if not steps:
        return None
    answer = "\n".join(f"{n}. {text}" for n, text in enumerate(steps, 1))
    prompt = f"What are the steps of the {_quoted(note)} playbook?"
    return ReviewCard(f"{note.id}#steps", note.id, "steps", prompt, answer)


_STYLED: dict[str, Callable[[Note], ReviewCard | None]] = {
    "signals": _signals_card,
    "decision": _decision_card,
    "steps": _steps_card,
    "takeaway": _takeaway_card,
}

# The "explain" card asks for the note as a whole; its question depends on what kind of note it is.
EXPLAIN_PROMPTS = {
    "pattern": "How does the {q} pattern work?",
    "failure-mode": "What is the {q} failure mode?",
    "principle": "What is the {q} principle about?",
    "system": "What are the key points of the {q} system design?",
    "decision": "What was the context of the decision {q}?",
    "playbook": "What is the {q} playbook for?",
    "article": "What is the article {q} about?",
    "topic": "What should a backend engineer know about {q}?",
}


def card_makers(spec: TypeSpec | None) -> list[Callable[[Note], ReviewCard | None]]:
    """The card builders a type's spec asks for (core/schema: `cards`), so configured types get cards too."""
    if spec is None:
        return []
    return [
        _STYLED[card.style]
        if card.style != "section"
        else _section_card(card.kind or slugify(card.section), card.section, card.prompt)
        for card in spec.cards
    ]


def _explain_card(note: Note) -> ReviewCard | None:
    parts = [note.summary] if note.summary else []
    first = next((s for s in note.sections if not s.is_empty and s.title.lower() != "cards"), None)
    if first is not None:
        parts.append("\n".join(f"- {p}" for p in key_points(first.text, limit=4)))
    if not parts:
        return None
    prompt = EXPLAIN_PROMPTS.get(note.type, "What does the note {q} say?").format(q=_quoted(note))
    return ReviewCard(f"{note.id}#explain", note.id, "explain", prompt, "\n\n".join(parts))


def note_cards(note: Note, spec: TypeSpec | None) -> list[ReviewCard]:
    """The cards of one note: the note as a whole, its type's section questions, then the cards its
    author wrote (Q/A pairs in `## Cards`, cloze deletions)."""
    if note.decode_error or note.front.error:
        return []
    generated: list[ReviewCard] = []
    if note.type != PLAIN_NOTE or note.front.present:  # an untyped file without front matter: authored only
        makers = [_explain_card, *card_makers(spec)]
        generated = [card for card in (make(note) for make in makers) if card is not None]
    return generated + authored_cards(note)


def vault_cards(vault: Vault) -> list[ReviewCard]:
    """Every card of the vault, typed notes first in type order, then by note id."""
    order = {name: index for index, name in enumerate(vault.config.types)}
    notes = sorted(vault.notes.values(), key=lambda n: (order.get(n.type, len(order)), n.id))
    types = vault.config.types
    return [card for note in notes for card in note_cards(note, types.get(note.type))]


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


def is_rating(value: object) -> TypeGuard[int]:
    """1-4 as a JSON integer: `true` (which Python counts as 1) or 2.0 are not ratings."""
    return type(value) is int and value in RATING_NAMES


def replay(events: Iterable[dict[str, Any]], scheduler: Scheduler | None = None) -> dict[str, CardState]:
    """Each card's FSRS state after its review events, taken in time order."""
    scheduler = scheduler or make_scheduler()
    states: dict[str, CardState] = {}
    timed = [(ts, event) for event in events if (ts := parse_ts(event.get("ts"))) is not None]
    for ts, event in sorted(timed, key=lambda pair: pair[0]):  # stable: merged journals replay in time order
        card_id, rating = event.get("card"), event.get("rating")
        if not isinstance(card_id, str) or not is_rating(rating):
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
    """Cards due now, most overdue first, then unseen cards up to what is left of today's new limit;
    suspended and buried cards left out, and cards of one note spread apart (spread_siblings)."""
    now = to_utc(now or utc_now())
    states = load_states(journal)
    held = held_cards(journal, now)
    cards = [card for card in vault_cards(vault) if card.id not in held]
    seen = [DueCard(c, states[c.id].card.due, False) for c in cards if c.id in states]
    due = spread_siblings(sorted((d for d in seen if d.due <= now), key=lambda d: (d.due, d.card.id)))
    unseen = [DueCard(c, now, True) for c in cards if c.id not in states]
    fresh = unseen[: new_cards_left(states, now, new_per_day, tz)]
    due += spread_siblings(fresh, recent=[d.card.note for d in due[-3:]])  # overdue first, then new
    return due[:limit] if limit is not None else due


def spread_siblings(items: list[DueCard], gap: int = 3, recent: list[str] | None = None) -> list[DueCard]:
    """The same cards, reordered so that no card follows one of the same note within `gap` places
    (fewer when there are not enough other notes): "What problem does the “Caching” pattern solve?"
    right after "How does the “Caching” pattern work?" gives it away.

    Among the cards allowed next, the note with the most cards left goes first (so its cards do not
    pile up at the end), then the earliest in the given order. Only the first _SPREAD_LOOKAHEAD
    waiting cards are considered, which keeps a long backlog fast and close to most-overdue-first."""
    counts = Counter(item.card.note for item in items)
    gap = min(gap, len(counts) - 1)
    if gap <= 0:
        return list(items)
    waiting, result, history = list(items), list[DueCard](), list(recent or [])
    while waiting:
        window = set(history[-gap:])
        candidates = range(min(len(waiting), _SPREAD_LOOKAHEAD))
        allowed = [i for i in candidates if waiting[i].card.note not in window] or [0]
        index = max(allowed, key=lambda i: (counts[waiting[i].card.note], -i))
        item = waiting.pop(index)
        counts[item.card.note] -= 1
        result.append(item)
        history.append(item.card.note)
    return result


_SPREAD_LOOKAHEAD = 200


# -- suspend and bury ---------------------------------------------------------------------------
# Both are events in review.jsonl like the ratings, so they travel with the journal and can be undone:
# a suspended card stays out of every session until unsuspended; a buried card until the next day.
HOLD_EVENTS = ("suspend", "unsuspend", "bury", "unbury")


@dataclass
class Holds:
    suspended: set[str] = field(default_factory=set)
    buried: dict[str, dt.datetime] = field(default_factory=dict)  # card -> until

    def held(self, now: dt.datetime) -> set[str]:
        return self.suspended | {card for card, until in self.buried.items() if until > now}


def load_holds(journal: Journal) -> Holds:
    """Who is suspended or buried after the journal's hold events, taken in time order."""
    holds = Holds()
    events = [e for e in journal.events(REVIEW_LOG) if e.get("event") in HOLD_EVENTS]
    for event in sorted(events, key=lambda e: parse_ts(e.get("ts")) or dt.datetime.min.replace(tzinfo=dt.UTC)):
        card, kind = event.get("card"), event.get("event")
        if not isinstance(card, str):
            continue
        if kind == "suspend":
            holds.suspended.add(card)
        elif kind == "unsuspend":
            holds.suspended.discard(card)
        elif kind == "bury" and (until := parse_ts(event.get("until"))) is not None:
            holds.buried[card] = until
        elif kind == "unbury":
            holds.buried.pop(card, None)
    return holds


def held_cards(journal: Journal, now: dt.datetime) -> set[str]:
    return load_holds(journal).held(to_utc(now))


def cards_for(vault: Vault, target: str) -> list[ReviewCard]:
    """The cards a person names: one card id, or every card of a note (by id, alias, title or path)."""
    cards = vault_cards(vault)
    exact = [card for card in cards if card.id == target]
    if exact:
        return exact
    note = vault.get(target)  # raises NotFoundError with suggestions
    return [card for card in cards if card.note == note.id]


def hold(
    journal: Journal,
    cards: list[ReviewCard],
    action: str,
    *,
    now: dt.datetime | None = None,
    tz: dt.tzinfo | None = None,
) -> list[str]:
    """Suspend, unsuspend, bury (until the start of the next local day) or unbury the cards; the
    ids whose state changed (holding what is already held writes nothing)."""
    if action not in HOLD_EVENTS:
        raise ValueError(f"action must be one of {HOLD_EVENTS}, not {action!r}")
    now = to_utc(now or utc_now())
    holds = load_holds(journal)
    held = holds.held(now)
    changed = []
    for card in cards:
        if action == "suspend" and card.id not in holds.suspended:
            journal.append(REVIEW_LOG, "suspend", {"card": card.id, "note": card.note}, now=now)
        elif action == "unsuspend" and card.id in holds.suspended:
            journal.append(REVIEW_LOG, "unsuspend", {"card": card.id, "note": card.note}, now=now)
        elif action == "bury" and card.id not in held:
            until = format_ts(next_day_start(now, tz))
            journal.append(REVIEW_LOG, "bury", {"card": card.id, "note": card.note, "until": until}, now=now)
        elif action == "unbury" and card.id in holds.buried and holds.buried[card.id] > now:
            journal.append(REVIEW_LOG, "unbury", {"card": card.id, "note": card.note}, now=now)
        else:
            continue
        changed.append(card.id)
    return changed


def next_day_start(now: dt.datetime, tz: dt.tzinfo | None = None) -> dt.datetime:
    """Midnight at the start of the person's next local day, in UTC."""
    local = now.astimezone(tz) if tz is not None else now.astimezone()
    tomorrow = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), tzinfo=local.tzinfo)
    return tomorrow.astimezone(dt.UTC)


# -- rating ---------------------------------------------------------------------------------------
@dataclass
class ReviewOutcome:
    card: str
    rating: int
    due: dt.datetime
    state: str


def preview(
    card_id: str, states: dict[str, CardState], now: dt.datetime | None = None, scheduler: Scheduler | None = None
) -> dict[int, FsrsCard]:
    """What each rating (1-4) would schedule, before the person presses it: the FSRS card each would
    produce. Passing the chosen one to record_review keeps the shown interval exactly (FSRS fuzzes
    longer intervals at random, so scheduling twice could differ by a day)."""
    now = to_utc(now or utc_now())
    scheduler = scheduler or make_scheduler()
    state = states.get(card_id)
    current = state.card if state is not None else FsrsCard(_fsrs_id(card_id), due=now)
    return {rating: scheduler.review_card(current, Rating(rating), now)[0] for rating in RATING_NAMES}


def interval_label(due: dt.datetime, now: dt.datetime) -> str:
    """A next interval as a rating button shows it: 10m, 5h, 3d, 2.5mo, 1.2y."""
    seconds = max(0.0, (to_utc(due) - to_utc(now)).total_seconds())
    if seconds < 60:
        return "<1m"
    if seconds < 3600:
        return f"{round(seconds / 60)}m"
    if seconds < 86400:
        return f"{round(seconds / 3600)}h"
    days = seconds / 86400
    if days < 30:
        return f"{round(days)}d"
    if days < 365:
        return f"{days / 30:.1f}".rstrip("0").rstrip(".") + "mo"
    return f"{days / 365:.1f}".rstrip("0").rstrip(".") + "y"


def record_review(
    journal: Journal,
    card: ReviewCard,
    rating: int,
    *,
    now: dt.datetime | None = None,
    duration_ms: int | None = None,
    scheduler: Scheduler | None = None,
    states: dict[str, CardState] | None = None,
    outcome: FsrsCard | None = None,
) -> ReviewOutcome:
    """Schedule the card's next review from this rating and append the review to the journal.

    `states` (from load_states) saves re-reading the whole log for every rating of a session; it is
    updated in place with the new state. `outcome` is the rating's card from preview(), so the person
    gets the interval they were shown."""
    if not is_rating(rating):
        raise ValueError(f"rating must be 1-4, not {rating!r}")
    now = to_utc(now or utc_now())
    scheduler = scheduler or make_scheduler()
    states = load_states(journal) if states is None else states
    state = states.get(card.id) or CardState(FsrsCard(_fsrs_id(card.id), due=now))
    updated = outcome if outcome is not None else scheduler.review_card(state.card, Rating(rating), now)[0]
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
    events = [e for e in journal.events(REVIEW_LOG, "review") if is_rating(e.get("rating"))]
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
