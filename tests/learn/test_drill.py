"""`backbrain drill`: a prompt from a system's Requirements, the 45-minute phases, a reference."""

from __future__ import annotations

from pathlib import Path

import pytest
from learn_helpers import finish, learning_vault, read_events, spawn

from backbrain.core.vault import load_vault, open_vault
from backbrain.errors import UsageError
from backbrain.learn.drill import drill_phases, drill_prompt, pick_system, reference_points


def test_drill_runs_phases_against_the_clock_and_logs_the_self_score(tmp_path: Path):
    vault = learning_vault(tmp_path / "v")
    answer = tmp_path / "my-answer.txt"
    args = ["drill", "--system", "url-shortener", "--minutes", "0.02", "--answer", str(answer), "--vault", str(vault)]
    child = spawn(args, tmp_path)
    child.expect("Redirect a short code to its URL")  # the prompt, from the Requirements
    child.expect("Your answer file: ")
    child.expect(r"Phase 1/2 \(0:01\): Clarify requirements")  # 30 of 45 min, scaled to 1.2 s
    child.expect("Time is up for phase 1")
    answer.write_text(answer.read_text() + "\nRedis in front of PostgreSQL; Kafka for clicks.\n")
    child.send("\r")
    child.expect("Phase 2/2")
    child.send("\r")
    child.expect("press Enter to see the reference")
    child.send("\r")
    child.expect("Reference: URL shortener")
    child.expect("One hot key")  # a Bottlenecks lead-in as a key point
    child.expect("Self-score 1-5")
    child.send("4")
    child.expect("Drill logged")
    assert finish(child) == 0
    text = answer.read_text()
    assert text.startswith("# Drill: URL shortener (0.02 min)") and "## 1. Clarify requirements (0:01)" in text
    (event,) = read_events(vault / "journal" / "drills.jsonl")
    assert event["system"] == "url-shortener" and event["self_score"] == 4 and event["status"] == "scored"
    assert [p["phase"] for p in event["phases"]] == [1, 2] and event["answer"] == str(answer.resolve())


def test_quitting_a_drill_logs_it_as_quit_with_a_template_in_the_journal(tmp_path: Path):
    vault = learning_vault(tmp_path / "v")
    child = spawn(["drill", "--vault", str(vault), "--seed", "1", "--minutes", "5"], tmp_path)
    child.expect("Your answer file: ")
    child.expect("Phase 1/")
    child.send("q")
    child.expect("Drill logged")
    assert finish(child) == 0
    (event,) = read_events(vault / "journal" / "drills.jsonl")
    assert event["status"] == "quit" and event["self_score"] is None
    assert event["answer"].startswith("journal/drills/") and (vault / event["answer"]).is_file()


def test_seeded_pick_prompt_phases_and_reference():
    vault = open_vault(None)  # the starter: thirteen systems and the real 45-minute playbook
    assert pick_system(vault, seed=7).id == pick_system(vault, seed=7).id
    assert len({pick_system(vault, seed=s).id for s in range(20)}) > 1
    system = vault.get("url-shortener")
    prompt = drill_prompt(system)
    assert prompt.functional and prompt.non_functional
    phases = drill_phases(vault.get("design-backend-system-in-45-minutes"), 45)
    assert len(phases) == 12 and round(sum(p.timebox_s for p in phases)) == 45 * 60
    assert phases[0].timebox_s == 240
    reference = dict(reference_points(system, vault.config.types["system"]))
    assert list(reference) == ["Architecture", "Bottlenecks", "Tradeoffs"]
    assert all(1 <= len(points) <= 5 for points in reference.values())


def test_a_drill_needs_a_system(tmp_path: Path):
    vault = load_vault(learning_vault(tmp_path / "v"))
    with pytest.raises(UsageError, match="not a system"):
        pick_system(vault, "caching")
