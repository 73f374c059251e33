"""Learning endpoints for the local server: progress with its history, and review in the browser.

Registered as a route provider (see backbrain.web.app): `import backbrain.web.learn` before the app
is built, or pass `learn_routes` to create_app(). Reads are plain GETs; every write is a POST that
must be same-origin and carry the server's CSRF token (backbrain.web.security.protected). Only the
local server has these routes: the static site is files, and stays read-only.

The handlers reload the vault on each request (the person edits notes while the server runs) and do
their file work in a worker thread, one write at a time, through the same core functions as the CLI:
progress edits refuse the read-only starter, reviews of the starter go to the per-user journal.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from fsrs import Card as FsrsCard
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from backbrain.core.vault import Vault, load_vault, locate_vault
from backbrain.errors import NotFoundError
from backbrain.learn.journal import Journal, format_ts, journal_for
from backbrain.learn.playbook import load_runs
from backbrain.learn.progress import (
    HistoryEvent,
    git_history,
    journal_history,
    merge_history,
    progress_report,
    progress_series,
    set_progress,
)
from backbrain.learn.review import (
    HOLD_EVENTS,
    RATING_NAMES,
    ReviewCard,
    due_cards,
    hold,
    interval_label,
    is_rating,
    load_states,
    note_cards,
    preview,
    record_review,
)
from backbrain.site.markdown import NoteRenderer
from backbrain.site.urls import SiteUrls
from backbrain.web.app import SiteState, register_routes
from backbrain.web.jsonapi import BadRequest
from backbrain.web.jsonapi import answer as _answer
from backbrain.web.jsonapi import error_response as _error
from backbrain.web.jsonapi import json_post as _json_post

DEFAULT_REVIEW_LIMIT = 20
_WRITE_LOCK = threading.Lock()  # one progress edit or review at a time: read-modify-write of notes


def _open(state: SiteState) -> tuple[Vault, Journal, bool]:
    location = locate_vault(state.vault_root)
    vault = load_vault(location.root, read_only=location.read_only)
    return vault, journal_for(location.root, location.read_only), location.read_only


def _live_vault(state: SiteState) -> tuple[Vault, Journal, bool]:
    """The live builder's vault (kept current by the watcher) instead of loading every note again;
    without a builder (tests, a static app), the vault from disk."""
    builder = state.builder
    if builder is None or builder.vault is None:
        return _open(state)
    return builder.vault, journal_for(builder.root, builder.read_only), builder.read_only


class _GitHistoryCache:
    """`git log -p` of the vault, kept until HEAD moves: 200 concurrent progress requests used to run
    git 200 times. The key is what changes when a commit is made, checked out or fetched."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[Path, tuple[tuple[object, ...], list[HistoryEvent]]] = {}

    def history(self, vault: Vault) -> list[HistoryEvent]:
        key = _head_key(vault.root)
        with self._lock:  # one git run at a time; the others wait and take its result
            cached = self._entries.get(vault.root)
            if cached is None or cached[0] != key:
                cached = (key, git_history(vault))
                self._entries[vault.root] = cached
            return cached[1]


def _head_key(root: Path) -> tuple[object, ...]:
    git = root / ".git"
    parts: list[object] = []
    for name in ("HEAD", "packed-refs", "index"):
        try:
            info = (git / name).stat()
            parts.append((name, info.st_mtime_ns, info.st_size))
        except OSError:
            parts.append((name, None))
    try:
        head = (git / "HEAD").read_text(encoding="utf-8", errors="replace").strip()
        ref = git / head[5:].strip() if head.startswith("ref:") else None
        parts.append((head, ref.stat().st_mtime_ns if ref is not None and ref.is_file() else None))
    except OSError:
        pass
    return tuple(parts)


_GIT_HISTORY = _GitHistoryCache()


def progress_payload(state: SiteState) -> dict[str, Any]:
    """Roll-ups, the roadmap topics with their page URLs, and the topics' progress over time."""
    with state.lock:  # the watcher replaces the builder's vault under this lock
        vault, journal, read_only = _live_vault(state)
        return _progress_of(vault, journal, read_only)


def _progress_of(vault: Vault, journal: Journal, read_only: bool) -> dict[str, Any]:
    report = progress_report(vault)
    urls = SiteUrls(vault)
    topics = [
        {"id": n.id, "url": urls.note(n.id), "title": n.title, "progress": n.progress, "phase": n.phase}
        for n in vault.by_type("topic")
    ]
    history = merge_history(journal_history(journal), _GIT_HISTORY.history(vault))
    series = progress_series(vault, history, types=["topic"])
    return {
        **report.to_json(),
        "topics": topics,
        "series": [point.to_json() for point in series],
        "read_only": read_only,
    }


def set_progress_payload(state: SiteState, body: dict[str, Any]) -> dict[str, Any]:
    note_id, status, phase = body.get("note"), body.get("status"), body.get("phase")
    if not isinstance(note_id, str) or not isinstance(status, str) or not isinstance(phase, (str, type(None))):
        raise BadRequest('Expected {"note": ID, "status": STATUS, "phase": PHASE or null}.')
    location = locate_vault(state.vault_root)
    location.require_writable("change a note's progress")
    with _WRITE_LOCK:
        vault = load_vault(location.root)
        change = set_progress(vault, journal_for(location.root, False), note_id, status, phase)
    return {"note": change.note, "progress": change.new_progress, "phase": change.new_phase}


# What each rating would schedule, as shown on the buttons: kept until the card is rated so the person
# gets exactly the interval they saw (FSRS fuzzes long intervals at random). Keyed by journal, card and
# its review count, so a preview made before another rating of the same card is never used.
_PREVIEWS: OrderedDict[tuple[str, str, int], tuple[dt.datetime, dict[int, FsrsCard]]] = OrderedDict()
_PREVIEW_LIMIT = 2000
_PREVIEW_TTL = dt.timedelta(minutes=30)
_PREVIEW_LOCK = threading.Lock()


def due_payload(state: SiteState, limit: int) -> dict[str, Any]:
    """Due cards for one review session: the prompt, the answer as sanitized HTML (the site's Markdown
    renderer), the note's page, and the next interval each rating would give."""
    vault, journal, _ = _open(state)
    due = due_cards(vault, journal, limit=limit)
    states = load_states(journal)
    urls, renderer = SiteUrls(vault), NoteRenderer(vault, SiteUrls(vault))
    now = dt.datetime.now(dt.UTC)
    items = []
    for item in due:
        outcomes = preview(item.card.id, states, now)
        key = (str(journal.root), item.card.id, states[item.card.id].reviews if item.card.id in states else 0)
        with _PREVIEW_LOCK:
            _PREVIEWS[key] = (now, outcomes)
            while len(_PREVIEWS) > _PREVIEW_LIMIT:
                _PREVIEWS.popitem(last=False)
        note = vault.notes[item.card.note]
        items.append({
            **item.to_json(), "answer": item.card.answer, "new": item.new, "kind": item.card.kind,
            "answer_html": renderer.render_fragment(note, item.card.answer or "", ROOT_OF_REVIEW_PAGE),
            "title": note.title, "url": urls.note(note.id),
            "intervals": {str(r): interval_label(outcomes[r].due, now) for r in RATING_NAMES},
        })  # fmt: skip
    return {"due": items}


ROOT_OF_REVIEW_PAGE = "../"  # the Review page is /review/: links in answers are relative to it


def _card(state: SiteState, card_id: str) -> tuple[ReviewCard, Journal]:
    """The card asked for, made from its own note only (a card id is `NOTE#KIND`), from the live
    vault: rating one card must not build every card of the vault."""
    with state.lock:
        vault, journal, _ = _live_vault(state)
        note = vault.notes.get(card_id.partition("#")[0])
        cards = note_cards(note, vault.config.types.get(note.type)) if note is not None else []
    card = next((c for c in cards if c.id == card_id), None)
    if card is None:
        raise NotFoundError(f"No card '{card_id}' (was its note renamed?).")
    return card, journal


def review_payload(state: SiteState, body: dict[str, Any]) -> dict[str, Any]:
    card_id, rating = body.get("card"), body.get("rating")
    if not isinstance(card_id, str) or not is_rating(rating):
        raise BadRequest('Expected {"card": CARD_ID, "rating": 1-4}.')
    card, journal = _card(state, card_id)
    with _WRITE_LOCK:
        states = load_states(journal)
        key = (str(journal.root), card.id, states[card.id].reviews if card.id in states else 0)
        with _PREVIEW_LOCK:
            made, outcomes = _PREVIEWS.pop(key, (None, {}))
        fresh = made is not None and dt.datetime.now(dt.UTC) - made < _PREVIEW_TTL
        outcome = record_review(journal, card, rating, states=states, outcome=outcomes.get(rating) if fresh else None)
    return {"card": card.id, "rating": RATING_NAMES[rating], "due": format_ts(outcome.due), "state": outcome.state}


def hold_payload(state: SiteState, body: dict[str, Any]) -> dict[str, Any]:
    """Bury or suspend a card (or undo either), as the terminal's - and @ keys do."""
    card_id, action = body.get("card"), body.get("action")
    if not isinstance(card_id, str) or action not in HOLD_EVENTS:
        raise BadRequest(f'Expected {{"card": CARD_ID, "action": one of {", ".join(HOLD_EVENTS)}}}.')
    card, journal = _card(state, card_id)
    with _WRITE_LOCK:
        changed = hold(journal, [card], str(action))
    return {"card": card.id, "action": action, "changed": bool(changed)}


def runs_payload(state: SiteState, playbook_id: str) -> dict[str, Any]:
    """A playbook's logged runs, newest first, for its page."""
    vault, journal, _ = _open(state)
    note = vault.get(playbook_id)
    runs = [run.summary() for run in load_runs(journal) if run.playbook == note.id]
    return {"playbook": note.id, "runs": list(reversed(runs))}


def learn_routes(state: SiteState) -> list[BaseRoute]:
    """GET/POST /_learn/progress, GET /_learn/review/due, POST /_learn/review and /_learn/review/hold,
    GET /_learn/playbook/runs."""

    async def get_progress(request: Request) -> Response:
        return await _answer(lambda: progress_payload(state))

    post_progress = _json_post(state, set_progress_payload)

    async def get_due(request: Request) -> Response:
        try:
            limit = max(1, min(200, int(request.query_params.get("limit", DEFAULT_REVIEW_LIMIT))))
        except ValueError:
            return _error(BadRequest("limit must be a number."))
        return await _answer(lambda: due_payload(state, limit))

    post_review = _json_post(state, review_payload)
    post_hold = _json_post(state, hold_payload)

    async def get_runs(request: Request) -> Response:
        playbook_id = request.query_params.get("playbook", "")
        if not playbook_id:
            return _error(BadRequest("Give ?playbook=ID."))
        return await _answer(lambda: runs_payload(state, playbook_id))

    return [
        Route("/_learn/progress", get_progress, methods=["GET"]),
        Route("/_learn/progress", post_progress, methods=["POST"]),
        Route("/_learn/review/due", get_due, methods=["GET"]),
        Route("/_learn/review", post_review, methods=["POST"]),
        Route("/_learn/review/hold", post_hold, methods=["POST"]),
        Route("/_learn/playbook/runs", get_runs, methods=["GET"]),
    ]


register_routes(learn_routes)
