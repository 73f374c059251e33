"""Learning progress: roll-ups by roadmap area and entry type, in-place status edits, and history.

Every note carries `progress` (not-started, in-progress, completed) and `phase` (study, build, audit)
in its front matter. Changing them edits only those keys in place: notes are hand-written files in
someone's editor and in git, so a tool that reformats YAML (reorders keys, drops comments, changes
quoting or line endings) would turn a one-word change into a noisy diff. The edit is validated by
parsing the result and comparing it with the intended data, so an in-place edit that would change
anything else (an anchor used elsewhere, a flow-style front matter) is refused instead of guessed at.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from backbrain.core.frontmatter import parse_front_matter
from backbrain.core.note import Note
from backbrain.core.schema import PHASE_VALUES, PROGRESS_VALUES
from backbrain.core.vault import Vault
from backbrain.errors import NotFoundError, RefusedError, UsageError
from backbrain.gitcmd import run_git
from backbrain.learn.journal import PROGRESS_LOG, Journal, format_ts, local_day, parse_ts, utc_now
from backbrain.vaultlock import Update, apply, vault_lock

FieldValue = str | list[str]

_DELIMITER = re.compile(r"^(---|\.\.\.)[ \t]*\r?\n?$")
# A top-level key line: a double-quoted, single-quoted or plain key at column 0, then a colon.
_KEY = re.compile(
    r"""^(?P<key>"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#'"{\[\]},&*!|>%@`-][^:#]*?)[ \t]*:(?=[ \t]|\r?\n|$)"""
)
_PLAIN_SAFE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_ ./-]*$")
GIT_MAX_COMMITS = 2000
GIT_TIMEOUT_S = 15.0


# -- in-place front matter edits -----------------------------------------------------------------
class FrontMatterEditError(RefusedError):
    """The front matter cannot be edited in place without changing something else."""


def set_front_matter_values(text: str, updates: dict[str, FieldValue]) -> str:
    """Return `text` with only the given top-level keys set; every other byte is kept.

    Raises FrontMatterEditError when the existing front matter is invalid or when the in-place edit
    would not produce exactly the old data with these keys changed.
    """
    before = parse_front_matter(text)
    if before.error:
        raise FrontMatterEditError(
            f"The front matter is invalid (line {before.error_line}: {before.error}); not touching the file.",
            hint="Fix it first; `backbrain check` shows the problem.",
        )
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    lines = text[len(bom) :].splitlines(keepends=True)
    eol = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    if not before.present:
        lines = ["---" + eol, "---" + eol, *lines]
    close = _closing_line(lines)
    for key, value in updates.items():
        close = _set_key(lines, close, key, value, eol)
    result = bom + "".join(lines)
    _verify(result, before.data, before.body, updates)
    return result


def _closing_line(lines: list[str]) -> int:
    for index in range(1, len(lines)):
        if _DELIMITER.match(lines[index]):
            return index
    raise FrontMatterEditError("The front matter is not closed; not touching the file.")


def _set_key(lines: list[str], close: int, key: str, value: FieldValue, eol: str) -> int:
    """Set one key inside lines[1:close]; returns the (possibly moved) index of the closing line."""
    found = [i for i in range(1, close) if _key_of(lines[i]) == key]
    if not found:
        lines.insert(close, f"{key}: {render_value(value, None)}{eol}")
        return close + 1
    index = found[-1]  # YAML keeps the last of duplicate keys, so that is the one to change
    match = _KEY.match(lines[index])
    assert match is not None
    head = lines[index][: match.end()]
    body, line_eol = _split_eol(lines[index][match.end() :])
    spaces, props, token, tail = _split_value(body)
    continuation = _continuation(lines, index + 1, close, allow_dash=not token)
    lines[index] = f"{head}{spaces or ' '}{props}{render_value(value, token)}{tail}{line_eol or eol}"
    del lines[index + 1 : index + 1 + continuation]
    return close - continuation


def _key_of(line: str) -> str | None:
    match = _KEY.match(line)
    if not match:
        return None
    key = match.group("key")
    if key[:1] == '"':
        try:
            return str(json.loads(key))
        except ValueError:
            return None
    if key[:1] == "'":
        return key[1:-1].replace("''", "'")
    return key


def _split_eol(text: str) -> tuple[str, str]:
    if text.endswith("\r\n"):
        return text[:-2], "\r\n"
    if text.endswith("\n"):
        return text[:-1], "\n"
    return text, ""


def _split_value(body: str) -> tuple[str, str, str | None, str]:
    """(leading spaces, anchor/tag properties, value token, trailing spaces and comment).

    The token is None when the value does not end on this line (empty, a block scalar, a quoted or
    flow value continued below): the whole value, continuation lines included, is then replaced.
    """
    stripped = body.lstrip(" \t")
    spaces = body[: len(body) - len(stripped)]
    props = ""
    while stripped[:1] in ("&", "!") and stripped:
        word = re.match(r"\S+[ \t]*", stripped)
        assert word is not None
        props += word.group(0)
        stripped = stripped[word.end() :]
    if props and not props[-1].isspace():
        props += " "
    if stripped.startswith("#"):
        return spaces, props, None, " " + stripped  # an empty value with a comment: keep the comment
    end = _token_end(stripped) if stripped else None
    if end is None:
        return spaces, props, None, ""
    return spaces, props, stripped[:end], stripped[end:]


def _token_end(text: str) -> int | None:
    """Where the value token that starts `text` ends, or None when it continues on later lines."""
    first = text[0]
    if first in "|>":
        return None
    if first == '"':
        match = re.match(r'"(?:[^"\\]|\\.)*"', text)
        return match.end() if match else None
    if first == "'":
        match = re.match(r"'(?:[^']|'')*'", text)
        return match.end() if match else None
    comment = re.search(r"[ \t]#", text)
    token = text[: comment.start()] if comment else text
    if first in "[{" and not _balanced(token):
        return None
    return len(token.rstrip(" \t"))


def _balanced(token: str) -> bool:
    depth = 0
    for char in token:
        depth += char in "[{"
        depth -= char in "]}"
    return depth == 0


def _continuation(lines: list[str], start: int, close: int, *, allow_dash: bool) -> int:
    """How many lines after a key belong to its value (indented lines, or a column-0 `- ` list)."""
    count = 0
    for index in range(start, close):
        line = lines[index]
        if line[:1] in (" ", "\t") or not line.strip() or (allow_dash and re.match(r"^-([ \t]|\r?\n|$)", line)):
            count += 1
        else:
            break
    while count and not lines[start + count - 1].strip():
        count -= 1  # trailing blank lines separate keys; they are not part of the value
    return count


def render_value(value: FieldValue, previous: str | None) -> str:
    """A value as YAML, keeping the previous token's quoting style when it had one."""
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(item, None) for item in value) + "]"
    return _scalar(value, previous)


def _scalar(value: str, previous: str | None) -> str:
    quote = previous[:1] if previous else ""
    if quote == "'":
        return "'" + value.replace("'", "''") + "'"
    if quote == '"' or not _plain_is_safe(value):
        return json.dumps(value, ensure_ascii=False)
    return value


def _plain_is_safe(value: str) -> bool:
    if not _PLAIN_SAFE.match(value) or value != value.strip():
        return False
    try:
        return bool(yaml.safe_load(value) == value)
    except yaml.YAMLError:
        return False


def _verify(result: str, old: dict[str, Any], old_body: str, updates: dict[str, FieldValue]) -> None:
    after = parse_front_matter(result)
    expected = {**old, **{key: list(v) if isinstance(v, list) else v for key, v in updates.items()}}
    if after.error or after.data != expected or after.body != old_body:
        changed = sorted(k for k in set(expected) | set(after.data) if expected.get(k) != after.data.get(k))
        raise FrontMatterEditError(
            "Cannot change "
            + ", ".join(updates)
            + " in place without changing other front matter"
            + (f" ({', '.join(changed)})" if changed else "")
            + "; the file was not touched.",
            hint="Edit the front matter by hand (an anchor used elsewhere or flow-style front matter prevents it).",
        )


def read_note_text(path: Path) -> str:
    """A note's text for an in-place edit; anything but UTF-8 is refused with the path named."""
    raw = Path(path).read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FrontMatterEditError(
            f"{path} is not UTF-8 text (byte {exc.start}); not touching it.",
            hint="Convert the file to UTF-8 (e.g. `iconv -f latin1 -t utf-8`), then run the command again.",
        ) from exc


def update_note_file(path: Path, updates: dict[str, FieldValue], *, root: Path) -> tuple[str, str]:
    """Edit a note's front matter in place, atomically and under the vault's lock (never through a
    symlink out of `root`). Returns (old text, new text)."""
    with vault_lock(root):
        text = read_note_text(path)
        new_text = set_front_matter_values(text, updates)
        update = Update(root)
        update.rewrite(path, text.encode("utf-8"), new_text.encode("utf-8"))
        apply(update)
    return text, new_text


# -- progress set -------------------------------------------------------------------------------
@dataclass
class ProgressChange:
    note: str
    path: Path
    old_progress: str
    new_progress: str
    old_phase: str | None
    new_phase: str | None


def set_progress(
    vault: Vault,
    journal: Journal,
    note_id: str,
    status: str,
    phase: str | None = None,
    *,
    now: dt.datetime | None = None,
) -> ProgressChange:
    """Set a note's progress (and phase) in its front matter, then record the change in the journal."""
    if status not in PROGRESS_VALUES:
        raise UsageError(f"Unknown progress '{status}'.", hint=f"Use one of: {', '.join(PROGRESS_VALUES)}.")
    if phase is not None and phase not in PHASE_VALUES:
        raise UsageError(f"Unknown phase '{phase}'.", hint=f"Use one of: {', '.join(PHASE_VALUES)}.")
    note = vault.get(note_id)
    updates: dict[str, FieldValue] = {"progress": status}
    if phase is not None:
        updates["phase"] = phase
    # The note is read again under the lock: the `from` of the event is what the file held just
    # before this change, even when another writer changed it since the vault was loaded.
    with vault_lock(vault.root):
        text = read_note_text(note.path)
        old = parse_front_matter(text).data
        old_progress = str(old["progress"]) if isinstance(old.get("progress"), str) else "not-started"
        old_phase = old.get("phase") if isinstance(old.get("phase"), str) else None
        change = ProgressChange(note.id, note.path, old_progress, status, old_phase, phase or old_phase)
        update = Update(vault.root)
        update.rewrite(note.path, text.encode("utf-8"), set_front_matter_values(text, updates).encode("utf-8"))
        data = {
            "note": note.id,
            "type": note.type,
            "area": _area(note),
            "from": change.old_progress,
            "to": status,
            "phase_from": change.old_phase,
            "phase": change.new_phase,
        }
        update.append(journal.path(PROGRESS_LOG), journal.record("progress", data, now=now))
        apply(update)
    return change


# -- roll-ups -----------------------------------------------------------------------------------
@dataclass
class Rollup:
    key: str
    title: str
    total: int = 0
    completed: int = 0
    in_progress: int = 0

    def add(self, note: Note) -> None:
        self.total += 1
        self.completed += note.progress == "completed"
        self.in_progress += note.progress == "in-progress"

    @property
    def share(self) -> float:
        return self.completed / self.total if self.total else 0.0


@dataclass
class ProgressReport:
    areas: list[Rollup]
    types: list[Rollup]
    notes: list[Note]  # the notes counted (all of them, or those of --area)

    def to_json(self) -> dict[str, list[dict[str, Any]]]:
        def row(label: str, item: Rollup) -> dict[str, Any]:
            return {label: item.key, "total": item.total, "completed": item.completed, "in_progress": item.in_progress}

        return {"areas": [row("area", a) for a in self.areas], "types": [row("type", t) for t in self.types]}


def _area(note: Note) -> str | None:
    value = note.meta.get("area")
    return value.strip() if isinstance(value, str) and value.strip() else None


def area_titles(vault: Vault) -> dict[str, str]:
    """Roadmap areas in configured order (id -> title), then any other area a note names."""
    titles = {area.id: area.title for area in vault.config.roadmap.areas}
    for note in sorted(vault.notes.values(), key=lambda n: n.id):
        area = _area(note)
        if area and area not in titles:
            titles[area] = area
    return titles


def progress_report(vault: Vault, area: str | None = None) -> ProgressReport:
    """Counts by roadmap area (config order) and by entry type; `area` narrows both to that area."""
    titles = area_titles(vault)
    if area is not None and area not in titles:
        raise NotFoundError(f"No roadmap area '{area}'.", hint=f"Areas: {', '.join(titles)}.")
    notes = [n for n in vault.notes.values() if area is None or _area(n) == area]
    areas = {key: Rollup(key, title) for key, title in titles.items() if area is None or key == area}
    for note in notes:
        key = _area(note)
        if key in areas:
            areas[key].add(note)
    types = {name: Rollup(name, spec.label or name) for name, spec in vault.config.types.items()}
    for note in notes:
        types.setdefault(note.type, Rollup(note.type, note.type)).add(note)
    order = _topic_order(notes)
    return ProgressReport(list(areas.values()), [t for t in types.values() if t.total], sorted(notes, key=order))


def _topic_order(notes: Iterable[Note]) -> Any:
    def key(note: Note) -> tuple[int, str]:
        order = note.meta.get("order")
        return (order if isinstance(order, int) else 10_000, note.title.lower())

    return key


# -- history ------------------------------------------------------------------------------------
@dataclass
class HistoryEvent:
    ts: dt.datetime
    note: str
    old: str | None
    new: str
    source: str  # "journal" or "git <short hash>"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ts"] = format_ts(self.ts)
        return data


@dataclass
class SeriesPoint:
    day: dt.date
    completed: int
    in_progress: int
    total: int

    def to_json(self) -> dict[str, Any]:
        return {
            "date": self.day.isoformat(),
            "completed": self.completed,
            "in_progress": self.in_progress,
            "total": self.total,
        }


def journal_history(journal: Journal) -> list[HistoryEvent]:
    events = []
    for event in journal.events(PROGRESS_LOG, "progress"):
        ts, note, new = parse_ts(event.get("ts")), event.get("note"), event.get("to")
        if ts and isinstance(note, str) and new in PROGRESS_VALUES:
            old = event.get("from") if event.get("from") in PROGRESS_VALUES else None
            events.append(HistoryEvent(ts, note, old, new, "journal"))
    return events


def git_history(vault: Vault, max_commits: int = GIT_MAX_COMMITS) -> list[HistoryEvent]:
    """Progress changes from `git log -p` of the vault's notes (empty when it is not a git work tree).

    Bounded by commit count and a timeout, so a huge or slow repository cannot hang the command.
    The bundled starter is skipped: its history is the tool's development, not the person's learning.
    """
    if vault.read_only:
        return []
    out = run_git(
        vault.root, "log", "-p", "-U0", "--no-color", "--no-ext-diff", "--no-textconv", "--no-show-signature",
        "--relative", f"--max-count={max_commits}", "--format=%x00%h %cI", "-G^progress[ \t]*:",
        "--", "*.md", "*.markdown", timeout=GIT_TIMEOUT_S,
    )  # fmt: skip
    if out is None:
        return []
    return parse_git_log(out.decode("utf-8", "replace"), _path_ids(vault))


def _path_ids(vault: Vault) -> dict[str, str]:
    return {note.rel: note.id for note in vault.notes.values()}


_PROGRESS_LINE = re.compile(r"^([+-])progress[ \t]*:[ \t]*[\"']?([a-z-]+)[\"']?[ \t]*(?:#.*)?$")


def parse_git_log(text: str, path_ids: dict[str, str]) -> list[HistoryEvent]:
    """Progress changes from `git log -p --format=%x00%h %cI` output (one commit per NUL record)."""
    events: list[HistoryEvent] = []
    for record in text.split("\x00")[1:]:
        header, _, patch = record.partition("\n")
        short, _, stamp = header.partition(" ")
        ts = parse_ts(stamp.strip())
        if ts is None:
            continue
        path, removed = None, None
        for line in patch.splitlines():
            if line.startswith("+++ "):
                target = line[4:].strip()
                path, removed = (target[2:] if target.startswith("b/") else None), None
                continue
            match = _PROGRESS_LINE.match(line.rstrip("\r"))
            if not match or match.group(2) not in PROGRESS_VALUES:
                continue
            if match.group(1) == "-":
                removed = match.group(2)
            elif path is not None:
                note_id = path_ids.get(path, Path(path).stem)
                events.append(HistoryEvent(ts, note_id, removed, match.group(2), f"git {short}"))
                removed = None
    return events


def progress_history(vault: Vault, journal: Journal, *, use_git: bool = True) -> list[HistoryEvent]:
    """Every recorded progress change, oldest first; a git commit of a change already in the
    journal is kept (it shows when it was committed) but does not count twice in the series."""
    return merge_history(journal_history(journal), git_history(vault) if use_git else [])


def merge_history(journal_events: list[HistoryEvent], git_events: list[HistoryEvent]) -> list[HistoryEvent]:
    """Both sources in one timeline, oldest first (at equal times the journal's event first)."""
    return sorted(journal_events + git_events, key=lambda e: (e.ts, e.source != "journal", e.note))


def progress_series(
    vault: Vault,
    events: list[HistoryEvent],
    *,
    types: Iterable[str] | None = None,
    today: dt.date | None = None,
    tz: dt.tzinfo | None = None,
) -> list[SeriesPoint]:
    """Completed and in-progress counts per day on which something changed, for the roadmap chart.

    A note with recorded changes starts as its first change says it was (or not-started); a note
    with none is taken to have been as it is now all along, since nothing says when it changed. The
    last point is today's front matter, so the chart ends at the truth even after hand edits.
    """
    wanted = set(types) if types is not None else None
    notes = {n.id: n for n in vault.notes.values() if wanted is None or n.type in wanted}
    changed = {event.note for event in events}
    state = {note_id: note.progress for note_id, note in notes.items() if note_id not in changed}
    points: dict[dt.date, SeriesPoint] = {}
    for event in events:
        if event.note not in notes:
            continue
        state.setdefault(event.note, event.old or "not-started")
        state[event.note] = event.new
        day = local_day(event.ts, tz)
        points[day] = _point(day, state, len(notes))
    end = today or local_day(utc_now(), tz)
    current = {note_id: note.progress for note_id, note in notes.items()}
    points[end] = _point(end, current, len(notes))
    return [points[day] for day in sorted(points)]


def _point(day: dt.date, state: dict[str, str], total: int) -> SeriesPoint:
    values = list(state.values())
    return SeriesPoint(day, values.count("completed"), values.count("in-progress"), total)
