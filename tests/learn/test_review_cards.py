"""Review like Anki: authored cards (Q/A and cloze) beside generated ones, prompts that are real
questions, siblings spread apart, suspend and bury, and each rating key's next interval shown first."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from pathlib import Path

from conftest import note_text, run_cli, write_vault
from learn_helpers import cli_env, finish, learning_vault, read_events, spawn

from backbrain.core.vault import load_vault, starter_root
from backbrain.learn.journal import REVIEW_LOG, Journal, parse_ts
from backbrain.learn.review import RATING_NAMES, due_cards, hold, interval_label, vault_cards

NOW = dt.datetime(2024, 5, 10, 12, 0, tzinfo=dt.UTC)

AUTHORED = """\
# Fencing tokens

## Problem

A paused lock holder writes after its lease expired; the storage must reject it with
a {{c1::monotonically increasing token}} checked on {{c2::every write::where?}}.

```python
lock = {{c9::not a cloze in code}}
```

## Cards

Q: What does a fencing token protect against?
A: A paused lock holder that writes after its lease expired.
It needs the storage to check the token:

```python
assert token >= last_token
```

- Q: Which component must check the token?
- A: The **storage**, not the lock service.

Q: A question with no answer is left out.
"""


def _authored_vault(tmp_path: Path) -> Path:
    return write_vault(tmp_path / "v", {
        "01_patterns/fencing-tokens.md": note_text({"title": "Fencing tokens", "type": "pattern"}, AUTHORED),
        "scratch.md": "# Scratch\n\nNo front matter, but {{c1::Little's law}} is L = λW.\n\n"
                      "**Q:** What does L stand for?\n**A:** The mean number of requests in the system,\n"
                      "queued or in service.\n\nQ: An FAQ line with no answer stays text.\n\n"
                      "```\nQ: not a card in code\nA: no\n```\n",
        "plain.md": "# Plain\n\nNothing to review here.\n",
    })  # fmt: skip


def test_authored_qa_and_cloze_cards_beside_the_generated_ones(tmp_path: Path):
    cards = {c.id: c for c in vault_cards(load_vault(_authored_vault(tmp_path)))}
    qa = cards["fencing-tokens#q-what-does-a-fencing-token-protect-against"]
    assert qa.kind == "authored" and qa.prompt == "What does a fencing token protect against?"
    assert qa.answer.startswith("A paused lock holder") and "assert token >= last_token" in qa.answer
    component = cards["fencing-tokens#q-which-component-must-check-the-token"]
    assert component.answer == "The **storage**, not the lock service."
    assert not any("no-answer" in card_id for card_id in cards)
    c1 = cards["fencing-tokens#c1-monotonically-increasing-token"]
    assert c1.kind == "cloze" and "a […] checked on every write." in c1.prompt
    assert "**monotonically increasing token**" in c1.answer and "{{" not in c1.answer
    c2 = cards["fencing-tokens#c2-every-write"]
    assert "a monotonically increasing token checked on [where?]." in c2.prompt  # the hint shows
    assert not any("c9" in card_id for card_id in cards)  # code is never a card
    assert cards["scratch#c1-little-s-law"].prompt == "No front matter, but […] is L = λW."
    outside = cards["scratch#q-what-does-l-stand-for"]  # a Q:/A: paragraph outside a Cards section
    assert outside.answer == "The mean number of requests in the system,\nqueued or in service."
    assert [c for c in cards if c.startswith("scratch#q-")] == ["scratch#q-what-does-l-stand-for"]
    assert {c.note for c in cards.values()} == {"fencing-tokens", "scratch"}  # plain.md has nothing to ask
    assert "fencing-tokens#explain" in cards and "fencing-tokens#problem" in cards  # generated ones stay


def test_every_generated_prompt_on_the_starter_is_a_real_question():
    vault = load_vault(starter_root())
    cards = [c for c in vault_cards(vault) if c.kind not in ("authored", "cloze")]
    assert len(cards) > 300
    for card in cards:
        first_line = card.prompt.splitlines()[0]
        assert first_line.endswith("?"), card.prompt
        assert not first_line.startswith(("Explain", "State")), card.prompt
        title = vault.notes[card.note].title
        assert f"“{title}”" in first_line or card.kind == "signals", card.prompt  # named exactly as written
        assert " does fencing tokens " not in first_line and "choose hybrid" not in first_line
    signals = [c for c in cards if c.kind == "signals"]
    assert signals and all(not re.search(r"How it reads on call", c.prompt) for c in signals)
    assert all(vault.notes[c.note].title.lower() not in c.prompt.lower() for c in signals)


def test_cards_of_one_note_are_spread_apart(tmp_path: Path):
    vault = load_vault(learning_vault(tmp_path / "v"))
    due = due_cards(vault, Journal(tmp_path / "j"), now=NOW, new_per_day=50, tz=dt.UTC)
    notes = [d.card.note for d in due]
    assert len(notes) > 10 and len(set(notes)) > 4
    assert all(a != b for a, b in itertools.pairwise(notes)), notes  # never back to back
    assert all(notes[i] not in notes[i + 1 : i + 4] for i in range(len(notes) - 8)), notes  # three apart
    assert sorted(d.card.id for d in due) == sorted(c.id for c in vault_cards(vault))  # reordered, none lost


def _due_ids(vault: Path, tmp_path: Path) -> list[str]:
    result = run_cli("review", "--due", "--format", "json", "--new-per-day", "200", "--vault", str(vault),
                     env=cli_env(tmp_path))  # fmt: skip
    assert result.returncode == 0, result.stderr
    return [d["card"] for d in json.loads(result.stdout)["due"]]


def test_suspend_and_bury_are_journaled_and_reversible(tmp_path: Path):
    vault = learning_vault(tmp_path / "v")
    env = cli_env(tmp_path)
    before = _due_ids(vault, tmp_path)
    caching = [c for c in before if c.startswith("caching#")]
    assert len(caching) >= 3
    suspended = run_cli("review", "suspend", "caching", "--vault", str(vault), env=env)  # a whole note
    assert suspended.returncode == 0 and suspended.stdout.count("suspend: caching#") == len(caching)
    assert not any(c.startswith("caching#") for c in _due_ids(vault, tmp_path))
    buried = run_cli("review", "bury", "http#explain", "--vault", str(vault), env=env)
    assert buried.returncode == 0 and "bury: http#explain" in buried.stdout
    assert "http#explain" not in _due_ids(vault, tmp_path)
    held = json.loads(run_cli("review", "held", "--format", "json", "--vault", str(vault), env=env).stdout)
    assert held["suspended"] == sorted(caching) and [b["card"] for b in held["buried"]] == ["http#explain"]
    events = read_events(vault / "journal" / REVIEW_LOG)
    bury = next(e for e in events if e["event"] == "bury")
    until = parse_ts(bury["until"])
    assert until is not None and dt.timedelta(0) < until - parse_ts(bury["ts"]) <= dt.timedelta(days=1)
    again = run_cli("review", "suspend", "caching#problem", "--vault", str(vault), env=env)
    assert "Nothing to suspend" in again.stdout  # already suspended: nothing written
    assert len(read_events(vault / "journal" / REVIEW_LOG)) == len(events)
    assert run_cli("review", "unsuspend", "caching", "--vault", str(vault), env=env).returncode == 0
    assert run_cli("review", "unbury", "http#explain", "--vault", str(vault), env=env).returncode == 0
    assert sorted(_due_ids(vault, tmp_path)) == sorted(before)
    unknown = run_cli("review", "suspend", "no-such-note", "--vault", str(vault), env=env)
    assert unknown.returncode == 2 and "Traceback" not in unknown.stderr


def test_a_buried_card_comes_back_the_next_day(tmp_path: Path):
    vault = load_vault(learning_vault(tmp_path / "v"))
    journal = Journal(tmp_path / "j")
    card = next(c for c in vault_cards(vault) if c.id == "caching#problem")
    assert hold(journal, [card], "bury", now=NOW, tz=dt.UTC) == ["caching#problem"]
    today = {d.card.id for d in due_cards(vault, journal, now=NOW + dt.timedelta(hours=11), new_per_day=99, tz=dt.UTC)}
    tomorrow = {d.card.id for d in due_cards(vault, journal, now=NOW + dt.timedelta(hours=12, seconds=1),
                                             new_per_day=99, tz=dt.UTC)}  # fmt: skip
    assert "caching#problem" not in today and "caching#problem" in tomorrow


def test_each_rating_key_shows_its_next_interval_and_gets_it(tmp_path: Path):
    vault = learning_vault(tmp_path / "v")
    child = spawn(["review", "--vault", str(vault), "--limit", "3"], tmp_path)
    child.expect("1/3")
    child.send(" ")
    child.expect(r"Rate: \[1\] Again (\S+)  \[2\] Hard (\S+)  \[3\] Good (\S+)  \[4\] Easy (\S+)")
    shown = {rating: child.match.group(rating) for rating in RATING_NAMES}
    assert shown[1] == "1m" and shown[3] == "10m" and shown[4].endswith("d")  # a new card's FSRS steps
    child.send("4")
    child.expect("Easy: next review")
    child.expect("2/3")
    child.send("-")  # bury before revealing, as in Anki
    child.expect("Buried")
    child.expect("2/2")
    child.send(" ")
    child.expect(r"\[@\] suspend")
    child.send("@")
    child.expect("Suspended")
    child.expect("Done: 1 reviews saved")
    assert finish(child) == 0
    events = read_events(vault / "journal" / REVIEW_LOG)
    assert [e["event"] for e in events] == ["review", "bury", "suspend"]
    review = events[0]
    due, ts = parse_ts(review["due"]), parse_ts(review["ts"])
    assert due is not None and ts is not None and interval_label(due, ts) == shown[4]  # exactly what was shown


def test_the_site_shows_a_cloze_as_its_text(tmp_path: Path):
    root = _authored_vault(tmp_path)
    out = tmp_path / "site"
    built = run_cli("build", "--vault", str(root), "--out", str(out), env={"XDG_CACHE_HOME": str(tmp_path / "c")})
    assert built.returncode == 0, built.stderr
    page = next(out.rglob("fencing-tokens/index.html")).read_text()
    assert "a monotonically increasing token checked on every write" in re.sub(r"\s+", " ", page)
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(page)
    assert "{{c1::" not in tree.css_first(".note-body").text()
    assert "{{c9::not a cloze in code}}" in tree.css_first(".note-body pre").text()  # code is shown as written
