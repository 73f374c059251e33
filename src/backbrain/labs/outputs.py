"""Write a lab run into a vault: labs/NAME/result.json and labs/NAME/plot.svg.

Both files are written atomically (backbrain.fsutil), and both are byte-for-byte reproducible for
a given seed: the JSON has a fixed key order and rounded numbers, and the SVG is rendered with a
fixed hash salt and no date, so rerunning a lab only shows up in `git diff` when a number changed.

matplotlib is the optional `plots` extra. It is imported only here, only when a plot is drawn;
without it the JSON is still written and the returned list says why the plot is missing.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path
from typing import Any

from backbrain.fsutil import atomic_write_bytes
from backbrain.labs.registry import LabResult
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
    atomic_write_bytes(json_path, render_json(result))
    svg = render_svg(result)
    if svg is None:
        with contextlib.suppress(FileNotFoundError):
            svg_path.unlink()
        return WrittenOutputs([json_path], PLOTS_MISSING)
    atomic_write_bytes(svg_path, svg)
    return WrittenOutputs([json_path, svg_path])


def render_svg(result: LabResult) -> bytes | None:
    """The lab's plot as deterministic SVG bytes, or None when matplotlib is not installed."""
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
        fig = _draw(Figure, result)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


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
