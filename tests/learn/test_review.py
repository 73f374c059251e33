"""`backbrain review`: cards from notes, FSRS schedule replayed from journal/review.jsonl."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from conftest import run_cli
from learn_helpers import cli_env, finish, learning_vault, read_events, spawn

from backbrain.core.vault import load_vault
from backbrain.learn.journal import REVIEW_LOG, Journal, format_ts
from backbrain.learn.review import due_cards, record_review, replay, review_stats, vault_cards

NOW = dt.datetime(2024, 5, 10, 12, 0, tzinfo=dt.UTC)


def _cards(tmp_path: Path) -> dict[str, str]:
    vault = load_vault(learning_vault(tmp_path / "v"))
    return {card.id: card.prompt for card in vault_cards(vault)}


def test_cards_ask_about_required_sections_with_stable_ids(tmp_path: Path):
    cards = _cards(tmp_path)
    assert cards["caching#explain"] == "How does the “Caching” pattern work?"
    assert cards["caching#problem"] == "What problem does the “Caching” pattern solve?"
    assert cards["caching#when-not"] == "When should you not use the “Caching” pattern?"
    assert cards["use-postgres#why"] == "What did “Use PostgreSQL” decide, and why?"
    assert cards["url-shortener#bottlenecks"] == "Where are the bottlenecks in the “URL shortener” design?"
    assert cards["tiny-incident-drill#steps"] == "What are the steps of the “Tiny incident drill” playbook?"
    signals = cards["cache-stampede#signals"]
    assert signals == "Which failure mode do these signals point to?\n- Hit ratio drop\n- Many copies of one query"
    assert "stampede" not in signals.lower()  # the question does not give the answer away


def test_answers_come_from_the_section_and_ids_survive_edits(tmp_path: Path):
    root = learning_vault(tmp_path / "v")
    vault = load_vault(root)
    cards = {c.id: c for c in vault_cards(vault)}
    assert cards["cache-stampede#signals"].answer.startswith("**Cache stampede**")
    assert cards["caching#problem"].answer == "Real content for problem."
    path = root / "01_patterns" / "caching.md"
    path.write_text(path.read_text().replace("Real content for problem.", "Slow origin."))
    edited = {c.id: c for c in vault_cards(load_vault(root))}
    assert edited.keys() == cards.keys() and edited["caching#problem"].answer == "Slow origin."


def test_due_lists_overdue_cards_first_then_new_ones_up_to_the_daily_limit(tmp_path: Path):
    vault = load_vault(learning_vault(tmp_path / "v"))
    journal = Journal(tmp_path / "v" / "journal")
    by_id = {c.id: c for c in vault_cards(vault)}
    record_review(journal, by_id["caching#problem"], 3, now=NOW - dt.timedelta(days=30))
    record_review(journal, by_id["caching#explain"], 4, now=NOW - dt.timedelta(days=1))  # Easy: due in days
    due = due_cards(vault, journal, now=NOW, new_per_day=2, tz=dt.UTC)
    assert [(d.card.id, d.new) for d in due][:1] == [("caching#problem", False)]
    assert sum(d.new for d in due) == 2 and "caching#explain" not in {d.card.id for d in due}
    # a card first reviewed today uses up one of today's new cards
    record_review(journal, by_id["http#explain"], 3, now=NOW - dt.timedelta(minutes=5))
    assert sum(d.new for d in due_cards(vault, journal, now=NOW, new_per_day=2, tz=dt.UTC)) == 1


def test_replay_uses_snapshots_and_reschedules_events_without_one():
    base = {"v": 1, "event": "review", "card": "a#explain", "note": "a"}
    events = [
        {**base, "ts": format_ts(NOW - dt.timedelta(days=3)), "rating": 3},  # no snapshot: recomputed
        {**base, "ts": format_ts(NOW - dt.timedelta(days=2)), "rating": 3},
    ]
    states = replay(events)
    assert states["a#explain"].reviews == 2 and states["a#explain"].card.due > NOW - dt.timedelta(days=2)
    due = format_ts(NOW + dt.timedelta(minutes=10))
    snap = {**base, "ts": format_ts(NOW), "rating": 1, "state": 3, "step": 0, "stability": 1.5, "difficulty": 5.0}
    snap.update({"due": due, "last_review": format_ts(NOW)})
    assert replay([*events, snap])["a#explain"].card.due == NOW + dt.timedelta(minutes=10)
    assert replay([snap, *events])["a#explain"].card.due == NOW + dt.timedelta(minutes=10)  # merged: by time


def test_stats_retention_per_day_and_forecast(tmp_path: Path):
    journal = Journal(tmp_path / "journal")
    card = vault_cards(load_vault(learning_vault(tmp_path / "v")))[0]
    for days_ago, rating in [(3, 3), (3, 1), (1, 4), (0, 1)]:
        record_review(journal, card, rating, now=NOW - dt.timedelta(days=days_ago))
    stats = review_stats(journal, now=NOW, days=5, tz=dt.UTC).to_json()
    assert stats["reviews"] == 4 and stats["retention"] == 0.5
    assert [d["reviews"] for d in stats["per_day"]] == [0, 2, 0, 1, 1]
    assert [d["due"] for d in stats["forecast"]] == [1, 0, 0, 0, 0, 0, 0]  # Again: relearn in minutes


def test_due_json_through_the_cli(tmp_path: Path):
    vault = learning_vault(tmp_path / "v")
    args = ("review", "--due", "--format", "json", "--new-per-day", "3", "--vault", str(vault))
    result = run_cli(*args, env=cli_env(tmp_path))
    assert result.returncode == 0, result.stderr
    due = json.loads(result.stdout)["due"]
    assert len(due) == 3 and all(set(d) == {"card", "note", "prompt", "due"} for d in due)
    stats = run_cli("review", "stats", "--format", "json", "--vault", str(vault), env=cli_env(tmp_path))
    assert json.loads(stats.stdout)["reviews"] == 0 and json.loads(stats.stdout)["retention"] is None
    text = run_cli("review", "--due", "--limit", "2", "--vault", str(vault), env=cli_env(tmp_path)).stdout
    assert due[0]["card"] in text and "2 due" in text
    stats_text = run_cli("review", "stats", "--vault", str(vault), env=cli_env(tmp_path)).stdout
    assert "retention (rated Good or Easy): n/a" in stats_text and "Due in the next 7 days" in stats_text


def test_interactive_session_reveal_rate_and_quit(tmp_path: Path):
    vault = learning_vault(tmp_path / "v")
    child = spawn(["review", "--vault", str(vault), "--limit", "5"], tmp_path)
    child.expect("1/5")
    child.send(" ")
    child.expect("Rate:")
    child.send("3")
    child.expect("Good: next review")
    child.expect("2/5")
    child.send(" ")
    child.expect("Rate:")
    child.send("1")
    child.expect("Again: next review")
    child.expect("comes back later in this session")
    child.expect("3/6")  # the lapsed card is queued again
    child.send("q")
    assert finish(child) == 0
    events = read_events(vault / "journal" / REVIEW_LOG)
    assert [e["rating"] for e in events] == [3, 1]
    assert all(e["event"] == "review" and e["due"] > e["ts"] for e in events)


def test_a_lapsed_card_comes_back_in_the_same_session(tmp_path: Path):
    vault = learning_vault(tmp_path / "v")
    child = spawn(["review", "--vault", str(vault), "--limit", "2"], tmp_path)
    for position, rating in (("1/2", "1"), ("2/3", "3"), ("3/3", "3")):
        child.expect(position)
        child.send(" ")
        child.expect("Rate:")
        child.send(rating)
    child.expect("Done: 3 reviews saved")
    assert finish(child) == 0
    events = read_events(vault / "journal" / REVIEW_LOG)
    assert [e["rating"] for e in events] == [1, 3, 3]
    assert events[0]["card"] == events[2]["card"] != events[1]["card"]


def test_ctrl_c_keeps_every_rating_so_far_and_the_starter_journal_is_per_user(tmp_path: Path):
    child = spawn(["review", "--limit", "3"], tmp_path)  # no vault: the bundled, read-only starter
    child.expect("1/3")
    child.send(" ")
    child.expect("Rate:")
    child.send("4")
    child.expect("Easy: next review")
    child.expect("2/3")
    child.send(" ")
    child.expect("Rate:")
    child.sendintr()
    assert finish(child) == 130
    log = tmp_path / "xdg-data" / "backbrain" / "starter-journal" / REVIEW_LOG
    assert [e["rating"] for e in read_events(log)] == [4]
