"""`backbrain playbook run/runs/show`: a checklist against the clock, logged step by step."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_cli
from learn_helpers import finish, learning_vault, read_events, spawn

from backbrain.core.vault import load_vault
from backbrain.learn.journal import PLAYBOOK_LOG, Journal
from backbrain.learn.playbook import find_playbook, load_runs, short_label, start_run


def test_run_done_skip_annotate_then_quit(tmp_path: Path):
    vault = learning_vault(tmp_path / "v")
    child = spawn(["playbook", "run", "tiny-incident-drill", "--vault", str(vault)], tmp_path)
    child.expect(r"Step 1/3 \(0.01 min\): Look at the dashboard")
    child.expect("over its 0.01 min timebox")  # 0.6 s later, without a key pressed
    child.send("n")
    child.expect("Note: ")
    child.sendline("error rate 5% [[caching]]")
    child.expect("noted")
    child.send("d")
    child.expect(r"done after 0:0\d, 0:0\d over the timebox")
    child.expect("Step 2/3")
    child.send("s")
    child.expect("skipped after")
    child.expect("Step 3/3")
    child.send("n")
    child.expect("Note: ")
    child.sendline("half written")
    child.expect("noted")
    child.send("q")
    child.expect("Run quit")
    assert finish(child) == 0
    events = read_events(vault / "journal" / PLAYBOOK_LOG)
    assert [e["event"] for e in events] == ["run-start", "note", "step", "step", "note", "run-end"]
    assert events[2]["status"] == "done" and events[2]["overrun_s"] >= 0 and events[3]["status"] == "skipped"
    run_id = events[0]["run"]

    listed = run_cli("playbook", "runs", "--format", "json", "--vault", str(vault))
    (summary,) = json.loads(listed.stdout)["runs"]
    assert summary["run"] == run_id and summary["status"] == "quit"
    assert (summary["done"], summary["skipped"], summary["steps"], summary["overruns"]) == (1, 1, 3, 1)

    shown = run_cli("playbook", "show", run_id[:20], "--vault", str(vault))
    assert shown.returncode == 0, shown.stderr
    assert "error rate 5% [[caching]]" in shown.stdout and "half written" in shown.stdout
    assert "(not finished)" in shown.stdout
    detail = json.loads(run_cli("playbook", "show", run_id, "--format", "json", "--vault", str(vault)).stdout)
    assert detail["step_log"][0]["notes"] == ["error rate 5% [[caching]]"]
    assert detail["unfinished_notes"] == [{"step": 3, "notes": ["half written"]}]


def test_a_run_without_an_end_event_is_listed_as_interrupted(tmp_path: Path):
    vault = load_vault(learning_vault(tmp_path / "v"))
    journal = Journal(tmp_path / "v" / "journal")
    note, steps = find_playbook(vault, "tiny-incident-drill")
    run = start_run(journal, note, steps)
    run.record_step(steps[0], "done", 1.0)
    with open(journal.path(PLAYBOOK_LOG), "ab") as handle:
        handle.write(b'{"v":1,"ts":"2024-01-01T00:00:00+00:00","event":"step","run":"')  # killed mid-write
    (record,) = load_runs(journal)
    assert record.status == "interrupted" and record.done == 1 and record.total_steps == 3
    listed = run_cli("playbook", "runs", "--vault", str(tmp_path / "v"))
    assert "interrupted" in listed.stdout


def test_a_playbook_without_steps_and_an_unknown_run_are_usage_errors(tmp_path: Path):
    vault = learning_vault(tmp_path / "v")
    no_steps = run_cli("playbook", "run", "caching", "--vault", str(vault))
    assert no_steps.returncode == 2 and "## Steps" in no_steps.stderr
    unknown = run_cli("playbook", "show", "nope", "--vault", str(vault))
    assert unknown.returncode == 2 and "playbook runs" in unknown.stderr


def test_short_labels():
    assert short_label("Pre-flight: keep it small (10 min)") == "Pre-flight"
    assert short_label("Roll back (2 min)") == "Roll back"
