"""CLI for the learning loop: progress, review, playbook runs, design drills and decisions.

Argument parsing, terminal I/O and printing only; the logic is in backbrain.learn.progress, review,
playbook, drill and decision. The interactive commands read single keys in cbreak mode (Ctrl-C
still interrupts) and fall back to one line per answer when stdin is not a terminal, so they can
also be scripted. Every answer is written to the journal as soon as it is given, so quitting with
q or Ctrl-C, or losing the terminal, keeps everything recorded so far.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import select
import sys
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markdown import Markdown
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from backbrain.cli.options import vault_option
from backbrain.core.vault import Vault, VaultLocation, load_vault, locate_vault
from backbrain.errors import EXIT_INTERRUPTED
from backbrain.learn.journal import Journal, journal_for

AGAIN = 1  # the FSRS rating that marks a lapse

format_option = click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Output format."
)


def _console() -> Console:
    """Markup is off: note text is full of brackets ([[links]]) and the key hints are too."""
    return Console(highlight=False, markup=False)


def _heading(bold: str, rest: str = "") -> Text:
    return Text(bold, style="bold") + Text(rest)


@dataclass
class _Context:
    location: VaultLocation
    vault: Vault
    journal: Journal


def _open(vault_dir: Path | None) -> _Context:
    """The vault (as discovered) and its journal; the starter's journal is the per-user one."""
    location = locate_vault(vault_dir)
    vault = load_vault(location.root, read_only=location.read_only)
    return _Context(location, vault, journal_for(location.root, location.read_only))


def _vault_dir(ctx: click.Context, own: Path | None) -> Path | None:
    """A subcommand's --vault, else the one given to its group (`progress --vault V set ...`)."""
    parent = ctx.parent.params.get("vault_dir") if ctx.parent else None
    return own or parent


def _print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _bar(done: int, total: int, width: int = 24) -> Text:
    filled = round(width * done / total) if total else 0
    return Text("█" * filled, style="green") + Text("░" * (width - filled), style="dim")


def _clock(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def _finite(value: float, name: str) -> float:
    """click's FloatRange lets `nan` through (every comparison with it is false)."""
    if value != value:
        raise click.BadParameter(f"{name} must be a number of minutes, not {value}.")
    return value


def _minutes(value: float | None) -> str:
    return f"{value:g} min" if value is not None else "no timebox"


# -- keys ---------------------------------------------------------------------------------------
class Keys:
    """Single keypresses from a terminal, or one line per answer when stdin is not a terminal."""

    def __init__(self) -> None:
        self.fd = sys.stdin.fileno() if sys.stdin else -1
        self.tty = self.fd >= 0 and os.isatty(self.fd)
        self._saved: Any = None

    def __enter__(self) -> Keys:
        if self.tty:
            try:
                import termios
                import tty
            except ImportError:  # pragma: no cover - not on POSIX
                self.tty = False
                return self
            self._saved = termios.tcgetattr(self.fd)
            tty.setcbreak(self.fd)  # keys arrive one at a time; Ctrl-C still raises KeyboardInterrupt
        return self

    def __exit__(self, *exc: object) -> None:
        self._restore()

    def _restore(self) -> None:
        if self._saved is not None:
            import termios

            termios.tcsetattr(self.fd, termios.TCSADRAIN, self._saved)

    def read(self, timeout: float | None = None) -> str | None:
        """One key (lowercased; Enter is '\\n'), or None when `timeout` seconds pass first.

        Raises EOFError when input has ended."""
        if not self.tty:
            line = sys.stdin.readline()
            if not line:
                raise EOFError
            return line.strip()[:1].lower() or "\n"
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return None
        data = os.read(self.fd, 1)
        if not data:
            raise EOFError
        key = data.decode("utf-8", "replace")
        return "\n" if key in ("\r", "\n") else key.lower()

    def line(self, prompt: str) -> str:
        """A line of text, typed and edited normally."""
        if not self.tty:
            click.echo(prompt, nl=False)
            return sys.stdin.readline().rstrip("\n")
        self._restore()
        try:
            return input(prompt)
        finally:
            if self.tty and self._saved is not None:
                import tty

                tty.setcbreak(self.fd)


def _wait_key(keys: Keys, allowed: str, deadline: float | None = None, on_deadline: Any = None) -> str:
    """Wait for one of `allowed` keys; once, when the monotonic `deadline` passes, call on_deadline."""
    warned = deadline is None
    while True:
        timeout = None if warned or deadline is None else max(0.0, deadline - time.monotonic())
        key = keys.read(timeout)
        if key is None:
            warned = True
            if on_deadline is not None:
                on_deadline()
            continue
        if key in allowed:
            return key


# -- progress -----------------------------------------------------------------------------------
@click.group("progress", invoke_without_command=True)
@click.option("--area", default=None, help="Only this roadmap area (its id, e.g. foundations).")
@format_option
@vault_option
@click.pass_context
def progress_cmd(ctx: click.Context, area: str | None, fmt: str, vault_dir: Path | None) -> None:
    """Learning progress by roadmap area and by entry type; `set` and `history` below."""
    if ctx.invoked_subcommand is not None:
        return
    from backbrain.learn.progress import progress_report

    report = progress_report(_open(vault_dir).vault, area)
    if fmt == "json":
        _print_json(report.to_json())
        return
    out = _console()
    out.print(_rollup_table("Roadmap areas", report.areas))
    out.print(_rollup_table("Entry types", report.types))
    if area is not None:
        out.print(_topic_table(report.notes))


def _rollup_table(title: str, rows: list[Any]) -> Table:
    table = Table(title=title, title_justify="left", header_style="bold")
    table.add_column("", no_wrap=True)
    table.add_column("progress", no_wrap=True)
    for column in ("done", "in progress", "total"):
        table.add_column(column, justify="right")
    for row in rows:
        bar = _bar(row.completed, row.total, 16)
        table.add_row(row.title, bar, str(row.completed), str(row.in_progress), str(row.total))
    return table


_MARKS = {"completed": "✓", "in-progress": "◐", "not-started": "·"}


def _topic_table(notes: list[Any]) -> Table:
    table = Table(header_style="bold")
    table.add_column("")
    table.add_column("id", no_wrap=True)
    for column in ("title", "progress", "phase"):
        table.add_column(column, overflow="fold")
    for note in notes:
        table.add_row(_MARKS.get(note.progress, "?"), note.id, note.title, note.progress, note.phase or "")
    return table


@progress_cmd.command("set")
@click.argument("note_id", metavar="ID")
@click.argument("status", type=click.Choice(["not-started", "in-progress", "completed"]))
@click.option("--phase", type=click.Choice(["study", "build", "audit"]), default=None, help="Also set the phase.")
@vault_option
@click.pass_context
def progress_set_cmd(ctx: click.Context, note_id: str, status: str, phase: str | None, vault_dir: Path | None) -> None:
    """Set a note's progress (and phase) in its front matter; only those keys change."""
    from backbrain.learn.progress import set_progress

    opened = _open(_vault_dir(ctx, vault_dir))
    opened.location.require_writable("change a note's progress")
    change = set_progress(opened.vault, opened.journal, note_id, status, phase)
    phase_text = f", phase {change.new_phase}" if change.new_phase else ""
    click.echo(f"{change.note}: {change.old_progress} → {change.new_progress}{phase_text}  ({change.path})")


@progress_cmd.command("history")
@format_option
@click.option("--no-git", is_flag=True, help="Only the journal, not the git history of the notes.")
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True, help="Changes to show (text).")
@vault_option
@click.pass_context
def progress_history_cmd(ctx: click.Context, fmt: str, no_git: bool, limit: int, vault_dir: Path | None) -> None:
    """Progress over time, from the journal and from git history when the vault is a repository."""
    from backbrain.learn.progress import progress_history, progress_series

    opened = _open(_vault_dir(ctx, vault_dir))
    events = progress_history(opened.vault, opened.journal, use_git=not no_git)
    series = progress_series(opened.vault, events)
    if fmt == "json":
        _print_json({"events": [e.to_json() for e in events], "series": [p.to_json() for p in series]})
        return
    out = _console()
    table = Table(title="Progress changes", title_justify="left", header_style="bold")
    for column in ("when", "note", "change", "source"):
        table.add_column(column)
    for event in events[-limit:]:
        when = event.ts.astimezone().strftime("%Y-%m-%d %H:%M")
        table.add_row(when, event.note, f"{event.old or '?'} → {event.new}", event.source)
    out.print(table if events else "No progress changes recorded yet (backbrain progress set ID STATUS).")
    over_time = Table(title="Completed over time", title_justify="left", header_style="bold")
    for column in ("date", "", "completed", "in progress", "total"):
        over_time.add_column(column)
    for point in series[-limit:]:
        over_time.add_row(
            point.day.isoformat(),
            _bar(point.completed, point.total),
            str(point.completed),
            str(point.in_progress),
            str(point.total),
        )
    out.print(over_time)


# -- review -------------------------------------------------------------------------------------
@click.group("review", invoke_without_command=True)
@vault_option
@click.option("--limit", type=click.IntRange(1), default=None, help="At most this many cards.")
@click.option("--due", "list_due", is_flag=True, help="List the due cards instead of reviewing them.")
@click.option("--new-per-day", type=click.IntRange(0), default=20, show_default=True, help="Daily new-card limit.")
@format_option
@click.pass_context
def review_cmd(
    ctx: click.Context, vault_dir: Path | None, limit: int | None, list_due: bool, new_per_day: int, fmt: str
) -> None:
    """Review your notes with spaced repetition (FSRS): space reveals, 1-4 rates (each key shows its next
    interval), - buries, @ suspends, q quits."""
    if ctx.invoked_subcommand is not None:
        return
    from backbrain.learn.review import due_cards

    opened = _open(vault_dir)
    due = due_cards(opened.vault, opened.journal, new_per_day=new_per_day, limit=limit)
    if list_due or fmt == "json":
        _print_due(due, fmt)
        return
    _review_session(opened, due)


def _print_due(due: list[Any], fmt: str) -> None:
    if fmt == "json":
        _print_json({"due": [d.to_json() for d in due]})
        return
    table = Table(header_style="bold")
    for column in ("card", "prompt", "due"):
        table.add_column(column, overflow="fold")
    for item in due:
        table.add_row(item.card.id, item.card.prompt, "new" if item.new else item.due.astimezone().strftime("%Y-%m-%d"))
    out = _console()
    out.print(table)
    out.print(f"{len(due)} due")


def _review_session(opened: _Context, due: list[Any]) -> None:
    out = _console()
    if not due:
        out.print("Nothing is due. Come back later (see `backbrain review stats` for the forecast).")
        return
    out.print(f"{len(due)} cards to review. [space] reveal, [1-4] rate, [-] bury, [@] suspend, [q] quit; "
              "every answer is saved at once.")  # fmt: skip
    from backbrain.learn.review import load_states

    reviewed, states = 0, load_states(opened.journal)
    queue = deque(due)
    try:
        with Keys() as keys:
            while queue:
                item = queue.popleft()
                position = (reviewed + 1, reviewed + 1 + len(queue))
                rating = _review_one(out, keys, item, position, opened.journal, states)
                if rating is None:
                    break
                if rating in _HOLD_KEYS.values():
                    continue  # buried or suspended: not a review, and it does not come back today
                reviewed += 1
                if rating == AGAIN:  # a lapse is re-learned in this session, as in any SRS tool
                    queue.append(item)
    except (KeyboardInterrupt, EOFError) as exc:
        out.print(f"\nStopped. {reviewed} reviews saved.")
        if isinstance(exc, KeyboardInterrupt):
            sys.exit(EXIT_INTERRUPTED)
        return
    out.print(f"Done: {reviewed} reviews saved to {opened.journal.path('review.jsonl')}.")


_HOLD_KEYS = {"-": "bury", "@": "suspend"}  # Anki's keys


def _review_one(
    out: Console, keys: Keys, item: Any, position: tuple[int, int], journal: Journal, states: Any
) -> int | str | None:
    """Show one card, reveal, rate and record it: the rating, "bury"/"suspend", or None on quit."""
    number, total = position
    from backbrain.learn.review import RATING_NAMES, interval_label, preview, record_review

    started = time.monotonic()
    label = "new" if item.new else "due"
    out.print(Panel(Text(item.card.prompt, style="bold"), title=f"{number}/{total}  {item.card.note}  ({label})"))
    out.print("[space] reveal  [-] bury  [@] suspend  [q] quit", style="dim")
    key = _wait_key(keys, " \nq-@")
    if key in ("q", "-", "@"):
        return None if key == "q" else _hold_one(out, journal, item, _HOLD_KEYS[key])
    out.print(Markdown(item.card.answer or "(no answer text)"))
    now = dt.datetime.now(dt.UTC)
    outcomes = preview(item.card.id, states, now)
    choices = "  ".join(f"[{r}] {RATING_NAMES[r]} {interval_label(outcomes[r].due, now)}" for r in RATING_NAMES)
    out.print(f"Rate: {choices}   [-] bury  [@] suspend  [q] quit", style="dim")
    key = _wait_key(keys, "1234q-@")
    if key in ("q", "-", "@"):
        return None if key == "q" else _hold_one(out, journal, item, _HOLD_KEYS[key])
    duration = int((time.monotonic() - started) * 1000)
    rating = int(key)
    outcome = record_review(journal, item.card, rating, duration_ms=duration, states=states, outcome=outcomes[rating])
    again = " It comes back later in this session." if outcome.rating == AGAIN else ""
    out.print(f"{RATING_NAMES[outcome.rating]}: next review {_when(outcome.due)}.{again}")
    return outcome.rating


def _hold_one(out: Console, journal: Journal, item: Any, action: str) -> str:
    from backbrain.learn.review import hold

    hold(journal, [item.card], action)
    undo = "unbury" if action == "bury" else "unsuspend"
    until = "until tomorrow" if action == "bury" else "until you unsuspend it"
    done = "Buried" if action == "bury" else "Suspended"
    out.print(f"{done} {item.card.id} {until} (undo: backbrain review {undo} {item.card.id}).")
    return action


def _when(due: dt.datetime) -> str:
    local = due.astimezone()
    delta = due - dt.datetime.now(dt.UTC)
    if delta < dt.timedelta(days=1):
        return f"at {local:%H:%M} (in {max(1, round(delta.total_seconds() / 60))} min)"
    return f"on {local:%Y-%m-%d} (in {round(delta.total_seconds() / 86400)} days)"


def _hold_command(action: str, doc: str) -> None:
    @review_cmd.command(action, help=doc)
    @click.argument("target", metavar="CARD_OR_NOTE")
    @vault_option
    @click.pass_context
    def command(ctx: click.Context, target: str, vault_dir: Path | None) -> None:
        from backbrain.learn.review import cards_for, hold

        opened = _open(_vault_dir(ctx, vault_dir))
        cards = cards_for(opened.vault, target)
        changed = hold(opened.journal, cards, action)
        for card_id in changed:
            click.echo(f"{action}: {card_id}")
        if not changed:
            click.echo(f"Nothing to {action}: {', '.join(c.id for c in cards) or target} already as asked.")


_hold_command("suspend", "Keep a card (or every card of a note) out of reviews until unsuspended.")
_hold_command("unsuspend", "Put suspended cards back into reviews.")
_hold_command("bury", "Skip a card (or every card of a note) until tomorrow.")
_hold_command("unbury", "Bring buried cards back today.")


@review_cmd.command("held")
@format_option
@vault_option
@click.pass_context
def review_held_cmd(ctx: click.Context, fmt: str, vault_dir: Path | None) -> None:
    """The suspended cards, and the cards buried until tomorrow."""
    from backbrain.learn.journal import format_ts
    from backbrain.learn.review import load_holds

    holds = load_holds(_open(_vault_dir(ctx, vault_dir)).journal)
    now = dt.datetime.now(dt.UTC)
    buried = {card: until for card, until in holds.buried.items() if until > now}
    if fmt == "json":
        _print_json({"suspended": sorted(holds.suspended),
                     "buried": [{"card": c, "until": format_ts(u)} for c, u in sorted(buried.items())]})  # fmt: skip
        return
    for card in sorted(holds.suspended):
        click.echo(f"suspended  {card}")
    for card, until in sorted(buried.items()):
        click.echo(f"buried     {card}  (until {until.astimezone():%Y-%m-%d %H:%M})")
    if not holds.suspended and not buried:
        click.echo("No suspended or buried cards.")


@review_cmd.command("stats")
@format_option
@vault_option
@click.pass_context
def review_stats_cmd(ctx: click.Context, fmt: str, vault_dir: Path | None) -> None:
    """Retention, reviews per day and the workload forecast for the next 7 days."""
    from backbrain.learn.review import review_stats, vault_cards

    opened = _open(_vault_dir(ctx, vault_dir))
    stats = review_stats(opened.journal, cards=vault_cards(opened.vault))
    if fmt == "json":
        _print_json(stats.to_json())
        return
    out = _console()
    retention = f"{stats.retention:.0%}" if stats.retention is not None else "n/a"
    out.print(f"Reviews: {stats.reviews}   retention (rated Good or Easy): {retention}")
    out.print(f"Cards: {stats.cards_seen} seen of {stats.cards_total}")
    out.print(_day_table("Reviews per day", "reviews", stats.per_day))
    out.print(_day_table("Due in the next 7 days", "due", stats.forecast))


def _day_table(title: str, label: str, rows: list[tuple[dt.date, int]]) -> Table:
    table = Table(title=title, title_justify="left", header_style="bold")
    table.add_column("date")
    table.add_column(label, justify="right")
    table.add_column("")
    peak = max((n for _, n in rows), default=0)
    for day, count in rows:
        table.add_row(f"{day:%a %Y-%m-%d}", str(count), _bar(count, peak, 20))
    return table


# -- playbooks ----------------------------------------------------------------------------------
@click.group("playbook")
def playbook_cmd() -> None:
    """Run a playbook's steps against their timeboxes, and look at past runs."""


@playbook_cmd.command("run")
@click.argument("playbook_id", metavar="ID")
@vault_option
def playbook_run_cmd(playbook_id: str, vault_dir: Path | None) -> None:
    """Walk ID's Steps one at a time: [d] done, [s] skip, [n] note, [q] quit."""
    from backbrain.learn.playbook import find_playbook, start_run

    opened = _open(vault_dir)
    note, steps = find_playbook(opened.vault, playbook_id)
    run = start_run(opened.journal, note, steps)
    out = _console()
    planned = sum(s.timebox_min or 0 for s in steps)
    out.print(Panel(Text(note.title, style="bold"), subtitle=f"{len(steps)} steps, {planned:g} min planned"))
    out.print(f"Run {run.run_id}. Keys: [d] done  [s] skip  [n] note  [q] quit")
    started = time.monotonic()
    status, interrupted = "quit", False
    try:
        with Keys() as keys:
            status = "completed" if _run_steps(out, keys, run) else "quit"
    except (KeyboardInterrupt, EOFError) as exc:
        interrupted = isinstance(exc, KeyboardInterrupt)
        out.print("\nStopped.")
    run.finish(status, time.monotonic() - started)
    out.print(
        f"Run {status} in {_clock(time.monotonic() - started)}; see it with: backbrain playbook show {run.run_id}"
    )
    if interrupted:
        sys.exit(EXIT_INTERRUPTED)


def _run_steps(out: Console, keys: Keys, run: Any) -> bool:
    """Every step in order; False when the person quits."""
    from backbrain.learn.playbook import overrun_s

    for step in run.steps:
        out.print()
        out.print(_heading(f"Step {step.index}/{len(run.steps)}", f" ({_minutes(step.timebox_min)}): {step.label}"))
        began = time.monotonic()
        deadline = began + step.timebox_s if step.timebox_s is not None else None

        def warn(step: Any = step) -> None:
            out.print(f"⚠ Step {step.index} is over its {_minutes(step.timebox_min)} timebox.", style="yellow")

        while True:
            key = _wait_key(keys, "dsnq", deadline, warn)
            if key == "n":
                text = keys.line("Note: ").strip()
                if text:
                    run.annotate(step, text)
                    out.print("noted.", style="dim")
                continue
            if key == "q":
                return False
            elapsed = time.monotonic() - began
            run.record_step(step, "done" if key == "d" else "skipped", elapsed)
            over = overrun_s(step, elapsed)
            verdict = "✓ done" if key == "d" else "↷ skipped"
            extra = f", {_clock(over)} over the timebox" if over > 0 else ""
            out.print(f"{verdict} after {_clock(elapsed)}{extra}")
            break
    return True


@playbook_cmd.command("runs")
@format_option
@vault_option
def playbook_runs_cmd(fmt: str, vault_dir: Path | None) -> None:
    """List the logged playbook runs, newest last."""
    from backbrain.learn.playbook import load_runs

    runs = load_runs(_open(vault_dir).journal)
    if fmt == "json":
        _print_json({"runs": [r.summary() for r in runs]})
        return
    table = Table(header_style="bold")
    table.add_column("run", no_wrap=True)
    table.add_column("status")
    for column in ("done", "skipped", "of", "over", "time"):
        table.add_column(column, justify="right")
    for run in runs:
        elapsed = _clock(run.elapsed_s) if run.elapsed_s is not None else "-"
        counts = (run.done, run.skipped, run.total_steps, run.overruns)
        table.add_row(run.run_id, run.status, *(str(n) for n in counts), elapsed)
    out = _console()
    out.print(table if runs else "No playbook runs yet: backbrain playbook run ID")


@playbook_cmd.command("show")
@click.argument("run_id", metavar="RUN_ID")
@format_option
@vault_option
def playbook_show_cmd(run_id: str, fmt: str, vault_dir: Path | None) -> None:
    """One run step by step: status, time against the timebox, and notes."""
    from backbrain.learn.playbook import get_run, short_label

    run = get_run(_open(vault_dir).journal, run_id)
    if fmt == "json":
        _print_json(run.to_json())
        return
    out = _console()
    out.print(_heading(run.title or run.playbook, f"  run {run.run_id}"))
    out.print(
        f"started {run.started.astimezone():%Y-%m-%d %H:%M}, {run.status}, {run.done} done, {run.skipped} skipped"
    )
    table = Table(header_style="bold")
    for column in ("#", "step", "status", "time", "timebox", "notes"):
        table.add_column(column, overflow="fold")
    for step in run.steps:
        over = f" (+{_clock(step.overrun_s)})" if step.overrun_s > 0 else ""
        table.add_row(
            str(step.step), short_label(step.text), step.status, _clock(step.elapsed_s) + over,
            _minutes(step.timebox_min), "\n".join(step.notes),
        )  # fmt: skip
    for number, notes in sorted(run.loose_notes.items()):
        table.add_row(str(number), "(not finished)", "-", "-", "-", "\n".join(notes))
    out.print(table)


# -- drills -------------------------------------------------------------------------------------
@click.command("drill")
@click.option("--system", "system_id", default=None, help="The system note to design (default: a random one).")
@click.option("--minutes", type=click.FloatRange(min=0, max=24 * 60, min_open=True), default=45, show_default=True,
              callback=lambda _ctx, _param, value: _finite(value, "--minutes"))  # fmt: skip
@click.option("--answer", "answer_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write your answer (default: the journal's drills/ folder).")  # fmt: skip
@click.option("--seed", type=int, default=None, help="Seed for the random pick (reproducible drills).")
@vault_option
def drill_cmd(
    system_id: str | None, minutes: float, answer_path: Path | None, seed: int | None, vault_dir: Path | None
) -> None:
    """A timed system design drill: write your design, then compare it with the reference."""
    from backbrain.learn import drill

    opened = _open(vault_dir)
    system = drill.pick_system(opened.vault, system_id, seed=seed)
    prompt = drill.drill_prompt(system)
    playbook = drill.design_playbook(opened.vault)
    phases = drill.drill_phases(playbook, minutes)
    now = dt.datetime.now(dt.UTC)
    path = answer_path or drill.default_answer_path(opened.journal, system, now)
    root = path.parent if answer_path else opened.journal.base  # a path the user named is theirs to choose
    created = drill.prepare_answer_file(path, drill.answer_template(prompt, phases, minutes), root)
    out = _console()
    out.print(Panel("\n".join(prompt.lines()), title=f"Drill: {system.title} ({minutes:g} min)"))
    out.print(f"Your answer file: {path}" + ("" if created else " (existing file, kept as it is)"))
    out.print("Open it in your editor and write as you go.")
    out.print(f"Phases from “{playbook.title}”. Keys: [Enter] next phase  [d] done writing  [q] quit")
    result = drill.DrillResult(system.id, system.title, minutes, drill.answer_label(opened.journal, path), now, 0.0)
    began, interrupted = time.monotonic(), False
    try:
        with Keys() as keys:
            if _drill_phases(out, keys, phases, result, began):
                out.print("\nSave your answer file, then press Enter to see the reference design.")
                if _wait_key(keys, "\nq") == "\n":
                    reference = drill.reference_points(system, opened.vault.config.types[system.type])
                    _show_comparison(out, drill.read_answer(path), reference, system.title)
                    result.self_score = _ask_score(out, keys)
    except (KeyboardInterrupt, EOFError) as exc:
        interrupted = isinstance(exc, KeyboardInterrupt)
        out.print("\nStopped.")
    result.elapsed_s = time.monotonic() - began
    result.status = "scored" if result.self_score is not None else "quit"
    drill.log_drill(opened.journal, result)
    out.print(f"Drill logged ({result.status}) to {opened.journal.path('drills.jsonl')}.")
    if interrupted:
        sys.exit(EXIT_INTERRUPTED)


def _drill_phases(out: Console, keys: Keys, phases: list[Any], result: Any, began: float) -> bool:
    """Each phase against its (scaled) timebox; False when the person quits."""
    from backbrain.learn.drill import PhaseResult
    from backbrain.learn.playbook import without_timebox

    total = sum(p.timebox_s for p in phases)
    for phase in phases:
        out.print()
        out.print(
            _heading(
                f"Phase {phase.index}/{len(phases)}", f" ({_clock(phase.timebox_s)}): {without_timebox(phase.text)}"
            )
        )
        out.print(f"elapsed {_clock(time.monotonic() - began)} of {_clock(total)}", style="dim")
        start = time.monotonic()

        def warn(phase: Any = phase) -> None:
            out.print(f"⏰ Time is up for phase {phase.index}; press Enter to move on.", style="yellow")

        key = _wait_key(keys, "\ndq", start + phase.timebox_s, warn)
        result.phases.append(PhaseResult(phase.index, phase.text, phase.timebox_s, time.monotonic() - start))
        if key == "q":
            return False
        if key == "d":
            break
    return True


def _show_comparison(out: Console, answer: str, reference: list[tuple[str, list[str]]], title: str) -> None:
    table = Table(show_lines=False, header_style="bold", expand=True)
    table.add_column("Your answer", ratio=1, overflow="fold")
    table.add_column(f"Reference: {title}", ratio=1, overflow="fold")
    ref = Text()
    for section, points in reference:
        ref.append(f"{section}\n", style="bold")
        for point in points:
            ref.append(f"• {point}\n")
        ref.append("\n")
    table.add_row(Text(answer.strip() or "(your answer file is empty)"), ref)
    out.print(table)


def _ask_score(out: Console, keys: Keys) -> int | None:
    out.print("Self-score 1-5 (1: missed most key points, 5: covered them all), [q] to skip: ", end="")
    key = _wait_key(keys, "12345q")
    out.print(key)
    return None if key == "q" else int(key)


# -- decisions ----------------------------------------------------------------------------------
@click.group("decision")
def decision_cmd() -> None:
    """Record decisions (MADR), accept them, supersede them, and see the timeline."""


def _writable(vault_dir: Path | None, action: str) -> Vault:
    location = locate_vault(vault_dir)
    location.require_writable(action)
    return load_vault(location.root)


@decision_cmd.command("new")
@click.argument("title")
@click.option("--id", "note_id", default=None, help="Id to use instead of the title's slug.")
@vault_option
def decision_new_cmd(title: str, note_id: str | None, vault_dir: Path | None) -> None:
    """A new decision (status proposed, today's date; numbered when the vault's are); prints its path."""
    from backbrain.learn.decision import new_decision

    click.echo(str(new_decision(_writable(vault_dir, "record a decision"), title, note_id=note_id)))


@decision_cmd.command("accept")
@click.argument("decision_id", metavar="ID")
@vault_option
def decision_accept_cmd(decision_id: str, vault_dir: Path | None) -> None:
    """Mark a proposed decision as accepted (refused while a required section is missing or empty)."""
    from backbrain.learn.decision import accept_decision

    note, changed = accept_decision(_writable(vault_dir, "accept a decision"), decision_id)
    click.echo(f"{note.id}: accepted" if changed else f"{note.id} was already accepted; nothing changed.")


@decision_cmd.command("supersede")
@click.argument("old_id", metavar="OLD")
@click.argument("new_id", metavar="NEW")
@click.option("--accept", is_flag=True, help="Also accept NEW when it is still proposed (same all-or-nothing write).")
@vault_option
def decision_supersede_cmd(old_id: str, new_id: str, accept: bool, vault_dir: Path | None) -> None:
    """NEW supersedes OLD: both notes change together, or neither does. NEW must be accepted."""
    from backbrain.learn.decision import supersede_decision

    result = supersede_decision(_writable(vault_dir, "supersede a decision"), old_id, new_id, accept=accept)
    if not result.changed:
        click.echo(f"{result.new.id} already supersedes {result.old.id}; nothing changed.")
        return
    click.echo(f"{result.new.id} supersedes {result.old.id} (now superseded).")
    for path in result.changed:
        click.echo(f"  updated {path}")


@decision_cmd.command("timeline")
@format_option
@vault_option
def decision_timeline_cmd(fmt: str, vault_dir: Path | None) -> None:
    """Decisions by date with their status and supersede chains."""
    from backbrain.learn.decision import decision_timeline

    entries = decision_timeline(_open(vault_dir).vault)
    if fmt == "json":
        _print_json({"decisions": [e.to_json() for e in entries]})
        return
    out = _console()
    if not entries:
        out.print("No decisions yet: backbrain decision new TITLE")
        return
    table = Table(header_style="bold")
    table.add_column("date", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("decision", overflow="fold")
    table.add_column("relation", overflow="fold")
    for entry in entries:
        relation = [f"supersedes {', '.join(entry.supersedes)}"] if entry.supersedes else []
        relation += [f"superseded by {', '.join(entry.superseded_by)}"] if entry.superseded_by else []
        style = "dim" if entry.status in ("superseded", "rejected", "deprecated") else ""
        decision = Text(entry.id, style="bold") + Text(f"\n{entry.title}")
        table.add_row(entry.date, entry.status, decision, "\n".join(relation), style=style)
    out.print(table)
    chains = list(dict.fromkeys(tuple(e.chain) for e in entries if e.chain))
    if chains:
        out.print(_heading("Supersede chains", " (oldest → newest)"))
        for chain in chains:
            out.print("  " + " → ".join(chain))
