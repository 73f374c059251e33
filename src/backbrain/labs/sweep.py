"""Sweeps: one lab over a range of one parameter and many seeds, with 95% confidence intervals.

A single run shows one draw of a random process; whether two variants really differ, or whether a
curve bends where it seems to, needs the spread across seeds. A sweep runs the lab at every point
of a range for `seeds` consecutive seeds (spread over the machine's cores with
backbrain.core.parallel), and reports for every variant and metric the mean and the half-width of
a 95% confidence interval for it, from Student's t distribution with n - 1 degrees of freedom
(the seeds are independent replications, and a handful of them is too few for the normal
approximation).

    from backbrain.labs.sweep import run_sweep
    sweep = run_sweep("retry-storm", "clients", "10..190:20", seeds=20, params={"trials": "5"})
    sweep.points["full-jitter"]["calls"][0]  # Point(x=10, mean=..., ci95=..., n=20)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from backbrain.core.parallel import ordered_map
from backbrain.errors import UsageError
from backbrain.labs.registry import DEFAULT_SEED, get_lab, params_help, parse_params, run_lab
from backbrain.labs.spec import LabInfo, Number, Param

MAX_POINTS = 200
MAX_RUNS = 5000  # points x seeds: far beyond any useful sweep, well short of a runaway
# t quantiles t(0.975, df) for df = 1..30; beyond that the Cornish-Fisher expansion is exact to 1e-4.
T975 = (
    12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
    2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
    2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423,
)  # fmt: skip


@dataclass(frozen=True)
class Point:
    """One (parameter value, variant, metric): the mean over seeds and its 95% CI half-width."""

    x: float
    mean: float
    ci95: float
    n: int

    def to_dict(self) -> dict[str, Number]:
        return {"x": self.x, "mean": _round(self.mean), "ci95": _round(self.ci95), "n": self.n}


@dataclass
class SweepResult:
    lab: str
    param: str
    values: list[float]
    seeds: list[int]
    params: dict[str, Any]  # the fixed parameters, as parsed
    points: dict[str, dict[str, list[Point]]]  # variant -> metric -> one Point per value

    def to_dict(self) -> dict[str, Any]:
        return {
            "lab": self.lab,
            "param": self.param,
            "values": self.values,
            "seeds": self.seeds,
            "params": self.params,
            "variants": {
                variant: {metric: [p.to_dict() for p in points] for metric, points in metrics.items()}
                for variant, metrics in self.points.items()
            },
        }


def t975(df: int) -> float:
    """The 97.5th percentile of Student's t with `df` degrees of freedom (two-sided 95%)."""
    if df < 1:
        return math.nan
    if df <= len(T975):
        return T975[df - 1]
    z = 1.959964
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


def summarize(samples: Sequence[float]) -> tuple[float, float]:
    """(mean, 95% CI half-width): t(0.975, n-1) x sample standard deviation / sqrt(n); 0 for n = 1."""
    n = len(samples)
    mean = sum(samples) / n
    if n < 2:
        return mean, 0.0
    var = sum((s - mean) ** 2 for s in samples) / (n - 1)
    return mean, t975(n - 1) * math.sqrt(var / n)


def parse_range(param: Param, text: str) -> list[float]:
    """'10..190:20' (start..stop:step, stop included) or '1,2,4' into checked values.

    Each value goes through the parameter's own parser, so a sweep refuses exactly what
    `lab run` refuses, and a list parameter (like queueing's `rhos`) sweeps one value at a time.
    """
    text = text.strip()
    values = _arithmetic(param, text) if ".." in text else [v.strip() for v in text.split(",") if v.strip()]
    if len(values) < 2:
        raise ValueError("a sweep needs at least two values: START..STOP:STEP or A,B,C")
    if len(values) > MAX_POINTS:
        raise ValueError(f"{len(values)} points is over the limit of {MAX_POINTS}; use a larger step")
    parsed = []
    for value in values:
        got = param.parse(value)
        parsed.append(got[0] if isinstance(got, list) else got)
    if len(set(parsed)) != len(parsed):
        raise ValueError("sweep values must be distinct")
    return [float(v) for v in parsed]


def _arithmetic(param: Param, text: str) -> list[str]:
    span, _, step_text = text.partition(":")
    start_text, _, stop_text = span.partition("..")
    try:
        start, stop = Decimal(start_text.strip()), Decimal(stop_text.strip())
        step = Decimal(step_text.strip()) if step_text.strip() else Decimal(1)
    except InvalidOperation:
        raise ValueError(f"expected START..STOP:STEP with numbers, got {text!r}") from None
    if step <= 0 or stop < start:
        raise ValueError(f"expected START <= STOP and a positive STEP, got {text!r}")
    if (stop - start) / step > MAX_POINTS:
        raise ValueError(f"{text!r} has over {MAX_POINTS} points; use a larger step")
    count = int((stop - start) / step) + 1
    return [str(start + i * step) for i in range(count)]  # Decimal: 0.1 steps stay exact


def run_sweep(
    name: str,
    param: str,
    spec: str,
    seeds: int = 10,
    params: Mapping[str, str] | None = None,
    first_seed: int = DEFAULT_SEED,
    progress: Callable[[float], None] | None = None,
) -> SweepResult:
    """Run lab `name` at every value of `param` in `spec`, for `seeds` consecutive seeds each."""
    info = get_lab(name)
    fixed = dict(params or {})
    target = _sweep_param(info, param, fixed)
    try:
        values = parse_range(target, spec)
    except ValueError as exc:
        raise UsageError(f"Bad range {spec!r} for parameter {param!r} of lab {name!r}: {exc}.") from None
    if not 2 <= seeds <= 1000:
        raise UsageError(f"--seeds must be between 2 and 1000 (a confidence interval needs two), got {seeds}.")
    if len(values) * seeds > MAX_RUNS:
        raise UsageError(
            f"{len(values)} points x {seeds} seeds = {len(values) * seeds} runs is over the limit of {MAX_RUNS}."
        )
    parsed_fixed = parse_params(info, fixed)  # refuses a bad fixed parameter before any work starts
    seed_list = list(range(first_seed, first_seed + seeds))
    tasks = [(name, {**fixed, param: _text(v)}, s) for v in values for s in seed_list]
    outcomes: list[dict[str, dict[str, Number]]] = []
    for variants in ordered_map(_run_one, tasks, min_items=2, chunksize=1):
        outcomes.append(variants)
        if progress is not None:
            progress(len(outcomes) / len(tasks))
    parsed_fixed.pop(param, None)
    return SweepResult(name, param, values, seed_list, parsed_fixed, _aggregate(values, seeds, outcomes))


def _sweep_param(info: LabInfo, param: str, fixed: Mapping[str, str]) -> Param:
    target = info.param(param)
    if target is None:
        raise UsageError(f"Unknown parameter {param!r} for lab {info.name!r}.", hint=params_help(info))
    if param in fixed:
        raise UsageError(f"Parameter {param!r} is both swept and fixed; give it once.")
    return target


def _run_one(task: tuple[str, dict[str, str], int]) -> dict[str, dict[str, Number]]:
    name, params, seed = task
    return run_lab(name, params, seed=seed).variants


def _aggregate(
    values: list[float], seeds: int, outcomes: list[dict[str, dict[str, Number]]]
) -> dict[str, dict[str, list[Point]]]:
    """Outcomes arrive value-major (all seeds of the first value, then the next), as tasks were made."""
    points: dict[str, dict[str, list[Point]]] = {}
    for i, x in enumerate(values):
        runs = outcomes[i * seeds : (i + 1) * seeds]
        for variant in runs[0]:
            for metric in runs[0][variant]:
                samples = [float(r[variant][metric]) for r in runs if metric in r.get(variant, {})]
                mean, ci = summarize(samples)
                key = _variant_key(variant, x)
                points.setdefault(key, {}).setdefault(metric, []).append(Point(x, mean, ci, len(samples)))
    return points


def _variant_key(variant: str, x: float) -> str:
    """A variant named after the swept value (queueing's `mm1-rho-0.5`) becomes one curve (`mm1-rho`)."""
    suffix = f"-{x:g}"
    return variant.removesuffix(suffix) if variant.endswith(suffix) and len(variant) > len(suffix) else variant


def _text(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)


def _round(value: float) -> float:
    """Five significant digits (whole numbers kept whole): enough for a CI, stable in the JSON."""
    if value == 0 or not math.isfinite(value):
        return 0.0 if value == 0 else value
    return round(value, max(0, 4 - math.floor(math.log10(abs(value)))))


def select_metrics(sweep: SweepResult, wanted: Sequence[str]) -> SweepResult:
    """The same sweep with only the `wanted` metrics (all when empty); unknown names are refused."""
    if not wanted:
        return sweep
    known = {m for metrics in sweep.points.values() for m in metrics}
    unknown = [m for m in wanted if m not in known]
    if unknown:
        raise UsageError(
            f"Unknown metric {unknown[0]!r} for lab {sweep.lab!r}.", hint="metrics: " + ", ".join(sorted(known))
        )
    points = {
        variant: {m: metrics[m] for m in wanted if m in metrics}
        for variant, metrics in sweep.points.items()
        if any(m in metrics for m in wanted)
    }
    return SweepResult(sweep.lab, sweep.param, sweep.values, sweep.seeds, sweep.params, points)


def sweep_table(sweep: SweepResult) -> tuple[list[str], list[tuple[str, str, list[str]]]]:
    """(metric columns, [(x, variant, 'mean ± ci' cells)]): the rows every face prints."""
    from backbrain.labs.table import format_number, metric_names

    metrics = metric_names(sweep.points)
    rows = []
    for i, x in enumerate(sweep.values):
        for variant, by_metric in sweep.points.items():
            cells = []
            for metric in metrics:
                point = by_metric[metric][i] if metric in by_metric else None
                cells.append("–" if point is None else f"{format_number(point.mean)} ± {format_number(point.ci95)}")
            rows.append((format_number(int(x) if x == int(x) else x), variant, cells))
    return metrics, rows
