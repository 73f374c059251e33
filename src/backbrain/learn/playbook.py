"""Playbook runs: walking a playbook's Steps checklist against each step's timebox.

A run is logged as it happens, one event per step in journal/playbook-runs.jsonl (run-start, then
step/note events, then run-end), so a crash or a closed terminal loses at most the step in flight
and a run without a run-end event is shown as interrupted rather than lost. The terminal loop lives
in the CLI; this module is the run's model: its steps, its clock arithmetic and its log.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from backbrain.core.note import Note
from backbrain.core.vault import Vault
from backbrain.errors import NotFoundError, UsageError
from backbrain.learn.journal import PLAYBOOK_LOG, Journal, format_ts, parse_ts, to_utc, utc_now

STEP_SECTION = "steps"
_TIMEBOX_SUFFIX = re.compile(r"\s*\(\d+(?:\.\d+)?\s*(?:min|mins|minutes|m)\)\s*$", re.IGNORECASE)
STEP_STATUSES = ("done", "skipped")


@dataclass(frozen=True)
class Step:
    index: int  # 1-based
    text: str
    timebox_min: float | None
    line: int

    @property
    def timebox_s(self) -> float | None:
        return self.timebox_min * 60 if self.timebox_min is not None else None

    @property
    def label(self) -> str:
        """The step's text without its `(N min)` timebox, which is shown separately."""
        return without_timebox(self.text)


def without_timebox(text: str) -> str:
    return _TIMEBOX_SUFFIX.sub("", text)


def short_label(text: str, limit: int = 60) -> str:
    """A step's name for tables: the part before its first colon, or its start."""
    text = without_timebox(text)
    head, sep, _ = text.partition(": ")
    if sep and len(head) <= limit:
        return head
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def playbook_steps(note: Note) -> list[Step]:
    """The task items of a playbook's Steps section, in order, with their `(N min)` timeboxes."""
    tasks = [t for t in note.tasks if t.section and t.section.strip().lower() == STEP_SECTION]
    return [Step(n, task.text, task.timebox_minutes, task.line) for n, task in enumerate(tasks, 1)]


def find_playbook(vault: Vault, playbook_id: str) -> tuple[Note, list[Step]]:
    note = vault.get(playbook_id)
    steps = playbook_steps(note)
    if not steps:
        raise UsageError(
            f"'{note.id}' has no task list under '## Steps' to run.",
            hint="Playbook steps are task items like `- [ ] Check the dashboard (5 min)`.",
        )
    return note, steps


def overrun_s(step: Step, elapsed_s: float) -> float:
    """Seconds past the step's timebox (0 when within it or when the step has no timebox)."""
    limit = step.timebox_s
    return max(0.0, elapsed_s - limit) if limit is not None else 0.0


def new_run_id(playbook_id: str, now: dt.datetime) -> str:
    return f"{to_utc(now):%Y%m%dT%H%M%S}-{playbook_id[:40]}-{secrets.token_hex(2)}"


@dataclass
class PlaybookRun:
    """A run in progress: every call appends its event before returning."""

    journal: Journal
    run_id: str
    note: Note
    steps: list[Step]

    def record_step(
        self, step: Step, status: str, elapsed_s: float, *, now: dt.datetime | None = None
    ) -> dict[str, Any]:
        if status not in STEP_STATUSES:
            raise ValueError(f"step status must be one of {STEP_STATUSES}, not {status!r}")
        data = {
            "run": self.run_id,
            "step": step.index,
            "text": step.text,
            "status": status,
            "elapsed_s": round(elapsed_s, 1),
            "timebox_min": step.timebox_min,
            "overrun_s": round(overrun_s(step, elapsed_s), 1),
        }
        return self.journal.append(PLAYBOOK_LOG, "step", data, now=now)

    def annotate(self, step: Step, text: str, *, now: dt.datetime | None = None) -> dict[str, Any]:
        data = {"run": self.run_id, "step": step.index, "text": text.strip()}
        return self.journal.append(PLAYBOOK_LOG, "note", data, now=now)

    def finish(self, status: str, elapsed_s: float, *, now: dt.datetime | None = None) -> dict[str, Any]:
        data = {"run": self.run_id, "status": status, "elapsed_s": round(elapsed_s, 1)}
        return self.journal.append(PLAYBOOK_LOG, "run-end", data, now=now)


def start_run(journal: Journal, note: Note, steps: list[Step], *, now: dt.datetime | None = None) -> PlaybookRun:
    """Log the start of a run (so even a run killed at step one is listed) and return it."""
    now = now or utc_now()
    run = PlaybookRun(journal, new_run_id(note.id, now), note, steps)
    total = sum(s.timebox_min or 0 for s in steps)
    data = {"run": run.run_id, "playbook": note.id, "title": note.title, "steps": len(steps), "timebox_min": total}
    journal.append(PLAYBOOK_LOG, "run-start", data, now=now)
    return run


# -- reading runs back --------------------------------------------------------------------------
@dataclass
class StepRecord:
    step: int
    text: str
    status: str
    elapsed_s: float
    timebox_min: float | None
    overrun_s: float
    notes: list[str] = field(default_factory=list)


@dataclass
class RunRecord:
    run_id: str
    playbook: str
    title: str
    started: dt.datetime
    total_steps: int
    steps: list[StepRecord] = field(default_factory=list)
    loose_notes: dict[int, list[str]] = field(default_factory=dict)  # notes on steps not finished
    status: str = "interrupted"  # completed / quit, or interrupted when no run-end was logged
    elapsed_s: float | None = None

    @property
    def done(self) -> int:
        return sum(s.status == "done" for s in self.steps)

    @property
    def skipped(self) -> int:
        return sum(s.status == "skipped" for s in self.steps)

    @property
    def overruns(self) -> int:
        return sum(s.overrun_s > 0 for s in self.steps)

    def summary(self) -> dict[str, Any]:
        return {
            "run": self.run_id,
            "playbook": self.playbook,
            "title": self.title,
            "started": format_ts(self.started),
            "status": self.status,
            "steps": self.total_steps,
            "done": self.done,
            "skipped": self.skipped,
            "overruns": self.overruns,
            "elapsed_s": self.elapsed_s,
        }

    def to_json(self) -> dict[str, Any]:
        steps = [{**vars(s), "notes": list(s.notes)} for s in self.steps]
        loose = [{"step": n, "notes": notes} for n, notes in sorted(self.loose_notes.items())]
        return {**self.summary(), "step_log": steps, "unfinished_notes": loose}


def load_runs(journal: Journal) -> list[RunRecord]:
    """Every run in the log, oldest first, rebuilt from its events."""
    runs: dict[str, RunRecord] = {}
    for event in journal.events(PLAYBOOK_LOG):
        run_id = event.get("run")
        if not isinstance(run_id, str):
            continue
        if event["event"] == "run-start":
            runs[run_id] = _started(run_id, event)
        elif run_id in runs:
            _apply(runs[run_id], event)
    return list(runs.values())


def _started(run_id: str, event: dict[str, Any]) -> RunRecord:
    started = parse_ts(event.get("ts")) or utc_now()
    steps = event.get("steps")
    return RunRecord(
        run_id,
        str(event.get("playbook", "")),
        str(event.get("title", "")),
        started,
        steps if isinstance(steps, int) else 0,
    )


def _apply(run: RunRecord, event: dict[str, Any]) -> None:
    kind = event["event"]
    step = event.get("step")
    if kind == "note" and isinstance(step, int):
        run.loose_notes.setdefault(step, []).append(str(event.get("text", "")))
    elif kind == "step" and isinstance(step, int) and event.get("status") in STEP_STATUSES:
        timebox = event.get("timebox_min")
        run.steps.append(
            StepRecord(
                step,
                str(event.get("text", "")),
                str(event["status"]),
                _number(event.get("elapsed_s")),
                float(timebox) if isinstance(timebox, (int, float)) else None,
                _number(event.get("overrun_s")),
                run.loose_notes.pop(step, []),
            )
        )
    elif kind == "run-end":
        run.status = str(event.get("status", "completed"))
        run.elapsed_s = _number(event.get("elapsed_s"))


def _number(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) else 0.0


def get_run(journal: Journal, run_id: str) -> RunRecord:
    """A run by its id or a unique prefix of it."""
    runs = load_runs(journal)
    exact = [r for r in runs if r.run_id == run_id]
    matches = exact or [r for r in runs if r.run_id.startswith(run_id)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise NotFoundError(f"No playbook run '{run_id}'.", hint="List the runs with `backbrain playbook runs`.")
    raise UsageError(
        f"'{run_id}' matches {len(matches)} runs.",
        hint="Use more of the id: " + ", ".join(r.run_id for r in matches[:5]),
    )
