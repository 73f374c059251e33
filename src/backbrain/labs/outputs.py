"""Write a lab run into a vault: labs/NAME/result.json and labs/NAME/plot.svg.

Both files are written atomically (backbrain.fsutil), and both are byte-for-byte reproducible for
a given seed: the JSON has a fixed key order and rounded numbers, and the SVG is rendered with a
fixed hash salt and no date, so rerunning a lab only shows up in `git diff` when a number changed.

matplotlib is the optional `plots` extra. It is imported only here, only when a plot is drawn;
without it the JSON is still written and the returned list says why the plot is missing.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from backbrain.fsutil import atomic_write_bytes, remove_file
from backbrain.labs.registry import LabResult
from backbrain.labs.sweep import SweepResult
from backbrain.labs.table import format_number, metric_names

SVG_SALT = "backbrain-labs"
PLOTS_MISSING = "plot.svg not written: matplotlib is not installed (pip install 'backbrain[plots]')"
PALETTE = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c")


class WrittenOutputs(list[Path]):
    """The paths written, plus `notice`: why something was not written (None when all was)."""

    def __init__(self, paths: list[Path], notice: str | None = None) -> None:
        super().__init__(paths)
        self.notice = notice


def lab_dir(vault_root: Path, lab: str) -> Path:
    return Path(vault_root) / "labs" / lab


def render_json(result: LabResult) -> bytes:
    return (json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def write_lab_outputs(result: LabResult, vault_root: Path) -> list[Path]:
    """Write result.json and plot.svg under vault_root/labs/NAME/; return the paths written.

    The return value is a WrittenOutputs (a list of Path) whose `notice` explains a skipped plot.
    A plot left over from an earlier run is removed when no new one can be drawn, so the folder
    never pairs new numbers with an old picture.
    """
    folder = lab_dir(vault_root, result.lab)
    json_path, svg_path = folder / "result.json", folder / "plot.svg"
    atomic_write_bytes(json_path, render_json(result), root=vault_root)
    svg = render_svg(result)
    if svg is None:
        remove_file(svg_path, root=vault_root)
        return WrittenOutputs([json_path], PLOTS_MISSING)
    atomic_write_bytes(svg_path, svg, root=vault_root)
    return WrittenOutputs([json_path, svg_path])


def render_svg(result: LabResult) -> bytes | None:
    """The lab's plot as deterministic SVG bytes, or None when matplotlib is not installed."""
    return _render(lambda figure_cls: _draw(figure_cls, result))


def write_sweep_outputs(sweep: SweepResult, vault_root: Path) -> WrittenOutputs:
    """Write labs/NAME/sweep-PARAM.json and sweep-PARAM.svg (mean lines with 95% CI bands)."""
    folder = lab_dir(vault_root, sweep.lab)
    stem = f"sweep-{sweep.param}"
    json_path, svg_path = folder / f"{stem}.json", folder / f"{stem}.svg"
    atomic_write_bytes(json_path, (json.dumps(sweep.to_dict(), indent=2) + "\n").encode("utf-8"), root=vault_root)
    svg = render_sweep_svg(sweep)
    if svg is None:
        remove_file(svg_path, root=vault_root)
        return WrittenOutputs([json_path], PLOTS_MISSING.replace("plot.svg", svg_path.name))
    atomic_write_bytes(svg_path, svg, root=vault_root)
    return WrittenOutputs([json_path, svg_path])


def render_sweep_svg(sweep: SweepResult) -> bytes | None:
    """One panel per metric: each variant's mean against the swept parameter, its 95% CI shaded."""
    return _render(lambda figure_cls: _draw_sweep(figure_cls, sweep))


def _render(draw: Callable[[Any], Any]) -> bytes | None:
    try:
        import matplotlib
    except ImportError:
        return None
    if "matplotlib.pyplot" not in sys.modules:
        # Headless and GUI-free; leave the backend alone if the host app already chose one.
        matplotlib.use("Agg")
    from matplotlib.figure import Figure

    rc: Any = {"svg.hashsalt": SVG_SALT, "svg.fonttype": "path", "font.size": 9, "axes.titlesize": 10}
    with matplotlib.rc_context(rc):
        fig = draw(Figure)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def _draw_sweep(figure_cls: Any, sweep: SweepResult) -> Any:
    metrics = metric_names(sweep.points)
    cols = min(3, max(1, len(metrics)))
    rows = -(-len(metrics) // cols)
    fig = figure_cls(figsize=(4.2 * cols + 0.6, 3.4 * rows), layout="constrained")
    grid = fig.add_gridspec(rows, cols)
    for i, metric in enumerate(metrics):
        ax = fig.add_subplot(grid[i // cols, i % cols])
        lows: list[float] = []
        for j, (variant, by_metric) in enumerate(sweep.points.items()):
            points = by_metric.get(metric)
            if not points:
                continue
            xs = [p.x for p in points]
            means = [p.mean for p in points]
            low = [p.mean - p.ci95 for p in points]
            high = [p.mean + p.ci95 for p in points]
            color = PALETTE[j % len(PALETTE)]
            ax.plot(xs, means, "-o", color=color, label=variant, linewidth=1.2, markersize=3)
            ax.fill_between(xs, low, high, color=color, alpha=0.2, linewidth=0)
            lows.extend(means)
        positive = [v for v in lows if v > 0]
        if positive and len(positive) == len(lows) and max(positive) / min(positive) > 1000:
            ax.set_yscale("log")  # a linear axis, as in Brooker's figure, unless it would hide a curve
        ax.set_title(metric)
        ax.set_xlabel(sweep.param)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6)
    seeds = sweep.seeds
    fig.suptitle(f"{sweep.lab}: mean and 95% CI over {len(seeds)} seeds ({seeds[0]}-{seeds[-1]})", fontsize=11)
    return fig


def _draw(figure_cls: Any, result: LabResult) -> Any:
    metrics = metric_names(result.variants)
    cols = min(4, max(1, len(metrics)))
    bar_rows = -(-len(metrics) // cols)
    rows = bar_rows + (1 if result.series else 0)
    fig = figure_cls(figsize=(3.0 * cols + 1.0, 3.3 * rows), layout="constrained")
    grid = fig.add_gridspec(rows, cols)
    row = 0
    if result.series:
        _draw_series(fig.add_subplot(grid[0, :]), result)
        row = 1
    for i, metric in enumerate(metrics):
        _draw_bars(fig.add_subplot(grid[row + i // cols, i % cols]), result, metric)
    fig.suptitle(f"{result.lab} (seed {result.seed})", fontsize=11)
    return fig


def _draw_series(ax: Any, result: LabResult) -> None:
    series = result.series
    assert series is not None
    for i, (label, points) in enumerate(series.lines.items()):
        if not points:
            continue
        xs, ys = zip(*points, strict=True)
        style = series.style.get(label, "-")
        ax.plot(xs, ys, style, label=label, color=PALETTE[i % len(PALETTE)], linewidth=1.2, markersize=4)
    if series.log_y:
        ax.set_yscale("log")
    ax.set_title(series.title)
    ax.set_xlabel(series.xlabel)
    ax.set_ylabel(series.ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=min(4, max(1, len(series.lines))))


def _draw_bars(ax: Any, result: LabResult, metric: str) -> None:
    names = [n for n, m in result.variants.items() if metric in m]
    values = [float(result.variants[n][metric]) for n in names]
    colors = [PALETTE[list(result.variants).index(n) % len(PALETTE)] for n in names]
    bars = ax.bar(range(len(names)), values, color=colors)
    if values and min(values) > 0 and max(values) / min(values) > 50:
        ax.set_yscale("log")  # e.g. 1,024x next to 1.6x: a linear axis would hide the small bar
    ax.bar_label(bars, labels=[format_number(v) for v in values], fontsize=7, padding=1)
    ax.set_xticks(range(len(names)), names, rotation=35, ha="right", fontsize=7)
    ax.set_title(metric)
    ax.margins(y=0.15)
    ax.grid(axis="y", alpha=0.3)
