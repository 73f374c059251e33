"""`backbrain lab list` and `backbrain lab run`: the terminal face of backbrain.labs.

All simulation, validation and file writing is in backbrain.labs; this module only turns
arguments into a run_lab call and the result into a table, JSON, and a note about what was written.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from backbrain.errors import UsageError

PROGRESS_AFTER_S = 1.0


@click.group("lab")
def lab_cmd() -> None:
    """Run failure-mode simulations and see mitigations work.

    Each lab simulates one failure mode once per variant (no protection, then each mitigation)
    and reports the same metrics for all of them. Results are reproducible: the same seed gives
    the same numbers.
    """


@lab_cmd.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def list_cmd(fmt: str) -> None:
    """List the labs with their variants, metrics and parameters."""
    from backbrain.labs import list_labs

    labs = list_labs()
    if fmt == "json":
        click.echo(json.dumps([info.to_dict() for info in labs], indent=2))
        return
    console = Console(highlight=False)
    for info in labs:  # one block per lab: a five-column table is unreadable in 80 columns
        console.print(f"[bold]{info.name}[/bold]  {info.title}")
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column()
        grid.add_row("  notes", ", ".join(info.notes))
        grid.add_row("  variants", ", ".join(info.variants))
        grid.add_row("  metrics", ", ".join(m.name for m in info.metrics))
        grid.add_row("  params", ", ".join(f"{p.name}={p.default_text()}" for p in info.params))
        console.print(grid)
        console.print()
    click.echo("Run one with: backbrain lab run NAME [--param KEY=VALUE]... [--seed N]")


@lab_cmd.command("run")
@click.argument("name")
@click.option("--param", "-p", "params", multiple=True, metavar="KEY=VALUE", help="Override a parameter.")
@click.option("--seed", type=int, default=None, help="Random seed (default 42): same seed, same numbers.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option(
    "--vault",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Knowledge base to write labs/NAME/result.json and plot.svg into.",
)
def run_cmd(name: str, params: tuple[str, ...], seed: int | None, fmt: str, vault: Path | None) -> None:
    """Run lab NAME and print variants x metrics; write the outputs into a writable vault."""
    from backbrain.core.vault import locate_vault
    from backbrain.labs import get_lab, params_help, run_lab, write_lab_outputs

    info = get_lab(name)  # an unknown name fails here, before any vault lookup
    given = _parse_pairs(params, params_help(info))
    location = locate_vault(vault)
    with DelayedProgress(f"lab {name}") as bar:
        result = run_lab(name, given, seed=seed, progress=bar.update)
    out = click.echo if fmt == "text" else _echo_err
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), indent=2))
    else:
        Console().print(_table(result.to_dict()))
    if location.read_only:
        out(
            f"Nothing written: {location.root} is the read-only starter knowledge base. "
            "Pass --vault DIR, or create a writable one with `backbrain init DIR`."
        )
        return
    written = write_lab_outputs(result, location.root)
    for path in written:
        out(f"Wrote {path}")
    notice = getattr(written, "notice", None)
    if notice:
        out(notice)


@lab_cmd.command("sweep")
@click.argument("name")
@click.option(
    "--param",
    "-p",
    "params",
    multiple=True,
    metavar="KEY=VALUE",
    help="One KEY=START..STOP:STEP (or KEY=A,B,C) to sweep; any others are fixed.",
)
@click.option("--seeds", type=int, default=10, show_default=True, help="Seeds (independent runs) per point.")
@click.option("--seed", type=int, default=None, help="First seed (default 42); seeds run consecutively from it.")
@click.option("--metric", "metrics", multiple=True, help="Show only this metric (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option(
    "--vault",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Knowledge base to write labs/NAME/sweep-PARAM.json and .svg into.",
)
def sweep_cmd(
    name: str,
    params: tuple[str, ...],
    seeds: int,
    seed: int | None,
    metrics: tuple[str, ...],
    fmt: str,
    vault: Path | None,
) -> None:
    """Run lab NAME over a range of one parameter and many seeds: mean and 95% CI per point.

    Example: backbrain lab sweep retry-storm -p clients=10..190:20 -p trials=5 -p overload=0 --seeds 20
    """
    from backbrain.core.vault import locate_vault
    from backbrain.labs import DEFAULT_SEED, get_lab, params_help
    from backbrain.labs.outputs import write_sweep_outputs
    from backbrain.labs.sweep import run_sweep, select_metrics

    info = get_lab(name)
    given = _parse_pairs(params, params_help(info))
    ranged = [key for key, value in given.items() if ".." in value] or [k for k, v in given.items() if "," in v]
    if len(ranged) != 1:
        raise UsageError(
            "Give exactly one parameter to sweep as KEY=START..STOP:STEP or KEY=A,B,C"
            + (f" (got {', '.join(ranged)})." if ranged else "."),
            hint=params_help(info),
        )
    known = [m.name for m in info.metrics]
    unknown = [m for m in metrics if m not in known]
    if unknown:  # refused before minutes of simulation, not after
        raise UsageError(f"Unknown metric {unknown[0]!r} for lab {name!r}.", hint="metrics: " + ", ".join(known))
    key = ranged[0]
    spec = given.pop(key)
    location = locate_vault(vault)
    with DelayedProgress(f"sweep {name}") as bar:
        result = run_sweep(name, key, spec, seeds, given, DEFAULT_SEED if seed is None else seed, bar.update)
    result = select_metrics(result, metrics)
    out = click.echo if fmt == "text" else _echo_err
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), indent=2))
    else:
        Console().print(_sweep_table(result))
    if location.read_only:
        out(f"Nothing written: {location.root} is the read-only starter knowledge base. Pass --vault DIR.")
        return
    written = write_sweep_outputs(result, location.root)
    for path in written:
        out(f"Wrote {path}")
    if written.notice:
        out(written.notice)


def _sweep_table(result: Any) -> Table:
    from backbrain.labs.sweep import sweep_table

    metrics, rows = sweep_table(result)
    seeds = result.seeds
    table = Table(title=f"{result.lab}: mean ± 95% CI over {len(seeds)} seeds ({seeds[0]}-{seeds[-1]})")
    table.add_column(result.param, justify="right")
    table.add_column("variant", style="bold")
    for metric in metrics:
        table.add_column(metric, justify="right", overflow="fold")
    for x, variant, cells in rows:
        table.add_row(x, variant, *cells)
    return table


def _echo_err(message: str) -> None:
    click.echo(message, err=True)


def _parse_pairs(pairs: tuple[str, ...], valid: str) -> dict[str, str]:
    given: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--param expects KEY=VALUE, got {pair!r}.", hint=valid)
        given[key.strip()] = value.strip()
    return given


def _table(data: dict[str, Any]) -> Table:
    from backbrain.labs.table import table_rows

    metrics, rows = table_rows(data["variants"])
    table = Table(title=f"{data['lab']} (seed {data['seed']})")
    table.add_column("variant", style="bold")
    for metric in metrics:
        table.add_column(metric, justify="right", overflow="fold")
    for variant, cells in rows:
        table.add_row(variant, *cells)
    return table


class DelayedProgress:
    """A Rich progress bar on stderr that appears only once a run has taken over a second.

    Quick labs should print just their table; a bar that flashes for 200 ms is noise. The bar is
    transient (erased when done) and only drawn on an interactive terminal.
    """

    def __init__(self, label: str) -> None:
        self.label = label
        self.console = Console(stderr=True)
        self.started = time.monotonic()
        self.progress: Progress | None = None
        self.task: TaskID | None = None

    def __enter__(self) -> DelayedProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    def update(self, fraction: float) -> None:
        if self.progress is None:
            if time.monotonic() - self.started < PROGRESS_AFTER_S or not self.console.is_terminal:
                return
            self.progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.percentage:>3.0f}%"),
                TimeElapsedColumn(),
                console=self.console,
                transient=True,
            )
            self.progress.start()
            self.task = self.progress.add_task(self.label, total=1.0)
        assert self.task is not None
        self.progress.update(self.task, completed=fraction)
