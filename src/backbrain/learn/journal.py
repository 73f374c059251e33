"""The journal: everything a person records (progress changes, reviews, playbook runs, drills).

A person's history is their data, so it lives next to the notes in `journal/` as append-only JSON
Lines that are committed with them, and never inside the notes' text. One event is one line written
with a single fsynced `write()` (backbrain.fsutil.append_line_durably): a crash in the middle of an
append can leave at most one torn line, which every reader here skips. Nothing ever rewrites a
journal file, so there is no moment at which an earlier event could be lost.

The bundled starter lives inside the installed package and is read-only, but reviewing it should
work out of the box, so its journal goes to the per-user data folder instead
(`platformdirs.user_data_dir("backbrain")/starter-journal`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backbrain.fsutil import append_line_durably

JOURNAL_DIR = "journal"
STARTER_JOURNAL_DIR = "starter-journal"
FORMAT_VERSION = 1

# The journal files, one per kind of record (see docs/learning.md for each event's fields).
PROGRESS_LOG = "progress.jsonl"
REVIEW_LOG = "review.jsonl"
PLAYBOOK_LOG = "playbook-runs.jsonl"
DRILL_LOG = "drills.jsonl"


def utc_now() -> dt.datetime:
    """The current time, timezone-aware in UTC: journal timestamps are always UTC."""
    return dt.datetime.now(dt.UTC)


def to_utc(moment: dt.datetime) -> dt.datetime:
    """A naive datetime is taken as local time (what a person typed); the result is UTC."""
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.astimezone(dt.UTC)


def format_ts(moment: dt.datetime) -> str:
    return to_utc(moment).isoformat(timespec="milliseconds")


def parse_ts(value: Any) -> dt.datetime | None:
    """A journal timestamp as an aware UTC datetime, or None when it is missing or malformed."""
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return to_utc(parsed)


def local_day(moment: dt.datetime, tz: dt.tzinfo | None = None) -> dt.date:
    """The calendar day a moment falls on for the person (their local zone unless `tz` is given)."""
    return moment.astimezone(tz).date() if tz is not None else moment.astimezone().date()


def starter_journal_dir() -> Path:
    """Where the read-only starter's journal lives: the per-user data folder."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("backbrain")) / STARTER_JOURNAL_DIR


@dataclass
class ReadResult:
    """The events of one journal file, and how many lines were skipped as torn or not events."""

    events: list[dict[str, Any]] = field(default_factory=list)
    skipped: int = 0


@dataclass(frozen=True)
class Journal:
    """One vault's journal folder. Cheap to create; files are opened per call."""

    root: Path

    @property
    def base(self) -> Path:
        """The folder every journal write must stay inside: the vault (or the per-user data folder)."""
        return self.root.parent

    def path(self, name: str) -> Path:
        return self.root / name

    @staticmethod
    def record(event: str, data: dict[str, Any], *, now: dt.datetime | None = None) -> dict[str, Any]:
        """An event as it is written: `v`, `ts` and `event`, then the data."""
        return {"v": FORMAT_VERSION, "ts": format_ts(now or utc_now()), "event": event, **data}

    def append(self, name: str, event: str, data: dict[str, Any], *, now: dt.datetime | None = None) -> dict[str, Any]:
        """Append one event durably and return it as written (with `v`, `ts` and `event`)."""
        record = self.record(event, data, now=now)
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
        append_line_durably(self.path(name), line, root=self.base)
        return record

    def read(self, name: str) -> ReadResult:
        """Every well-formed event of a journal file, in the order written; torn lines are skipped."""
        path = self.path(name)
        result = ReadResult()
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return result
        for line in raw.split(b"\n"):
            if not line.strip():
                continue
            event = _decode(line)
            if event is None:
                result.skipped += 1
            else:
                result.events.append(event)
        return result

    def events(self, name: str, kind: str | None = None) -> Iterator[dict[str, Any]]:
        """Events of a file, optionally only those whose `event` is `kind`."""
        for event in self.read(name).events:
            if kind is None or event.get("event") == kind:
                yield event


def _decode(line: bytes) -> dict[str, Any] | None:
    """A journal line as an event, or None when it is torn, not JSON, or lacks a timestamp."""
    try:
        value = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(value, dict) or not isinstance(value.get("event"), str) or parse_ts(value.get("ts")) is None:
        return None
    return value


def journal_for(root: Path, read_only: bool) -> Journal:
    """The journal of the vault at `root`: its `journal/` folder, or the per-user one for the starter."""
    return Journal(starter_journal_dir() if read_only else Path(root) / JOURNAL_DIR)
