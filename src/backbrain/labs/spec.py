"""What a lab declares about itself, and what a simulation hands back.

A lab is data (name, params, variants, metrics, citation) plus one function. Keeping the
declaration apart from the simulation lets `backbrain lab list` describe every lab without running
it, and lets the registry parse and validate parameters in one place instead of eight.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

ParamKind = Literal["int", "float", "ints", "floats"]
CheckKind = Literal["published", "theory", "shape"]
ParamValue = int | float | list[int] | list[float]
Number = int | float
ProgressFn = Callable[[float], None]


@dataclass(frozen=True)
class Param:
    """One tunable input; values arrive as CLI strings and are parsed to `kind`.

    Bounds live here rather than in each simulation so a bad value is refused before any work
    starts, with a message that names the valid range.
    """

    name: str
    kind: ParamKind
    default: ParamValue
    help: str
    minimum: float | None = None
    maximum: float | None = None

    def parse(self, text: str) -> ParamValue:
        """Parse and range-check `text`; raise ValueError with a human reason."""
        if self.kind in ("int", "float"):
            return self._scalar(text.strip())
        items = [item.strip() for item in text.split(",") if item.strip()]
        if not items:
            raise ValueError("expected a comma-separated list")
        values = [self._scalar(item) for item in items]
        if len(set(values)) != len(values):
            raise ValueError("list values must be distinct")
        return values

    def _scalar(self, text: str) -> int | float:
        integer = self.kind in ("int", "ints")
        try:
            value: int | float = int(text) if integer else float(text)
        except ValueError:
            raise ValueError(f"expected {'an integer' if integer else 'a number'}, got {text!r}") from None
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"expected a finite number, got {text!r}")
        if self.minimum is not None and value < self.minimum:
            raise ValueError(f"must be >= {_fmt(self.minimum)}")
        if self.maximum is not None and value > self.maximum:
            raise ValueError(f"must be <= {_fmt(self.maximum)}")
        return value

    def default_text(self) -> str:
        """The default as a user would type it on the command line."""
        if isinstance(self.default, list):
            return ",".join(_fmt(v) for v in self.default)
        return _fmt(self.default)


@dataclass(frozen=True)
class Metric:
    name: str
    help: str


@dataclass(frozen=True)
class LabInfo:
    """Everything `backbrain lab list` shows; no simulation code is needed to build it."""

    name: str
    title: str
    description: str
    params: tuple[Param, ...]
    variants: tuple[str, ...]
    metrics: tuple[Metric, ...]
    notes: tuple[str, ...]
    source: str
    # What the tests hold the lab's numbers to: a published result, a closed form or bound
    # ("theory"), or only who wins and by roughly how much ("shape"); `checked_how` says which.
    checked_against: CheckKind = "shape"
    checked_how: str = ""

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def defaults(self) -> dict[str, ParamValue]:
        """Fresh copies, so a caller editing a result's params cannot change the declared defaults."""
        return {p.name: list(p.default) if isinstance(p.default, list) else p.default for p in self.params}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description (for `backbrain lab list --format json` and the site)."""
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "params": [{"name": p.name, "type": p.kind, "default": p.default, "help": p.help} for p in self.params],
            "variants": list(self.variants),
            "metrics": [{"name": m.name, "help": m.help} for m in self.metrics],
            "notes": list(self.notes),
            "source": self.source,
            "checked_against": self.checked_against,
            "checked_how": self.checked_how,
        }


@dataclass
class SeriesPlot:
    """An optional time or sweep series a lab wants drawn above its metric bars.

    Bars alone hide the mechanism (a herd is a spike, not a number), so labs whose story is a
    shape over time hand one back; it is plotted but never part of result.json.
    """

    title: str
    xlabel: str
    ylabel: str
    lines: dict[str, list[tuple[float, float]]]
    log_y: bool = False
    style: dict[str, str] = field(default_factory=dict)  # line label -> matplotlib linestyle


@dataclass
class Outcome:
    """What a simulation returns: variant -> metric -> number, plus an optional series plot."""

    variants: dict[str, dict[str, Number]]
    series: SeriesPlot | None = None


RunFn = Callable[[Mapping[str, Any], int, ProgressFn], Outcome]
CostFn = Callable[[Mapping[str, Any]], float]


@dataclass(frozen=True)
class Lab:
    """A lab's declaration, its simulation, and an estimate of its work.

    `cost` is proportional to the simulated events a run with these parameters makes (its units
    are the lab's own); the registry compares it with the default run's cost to refuse, before
    any allocation, a combination that would run for hours even though every value is in range.
    """

    info: LabInfo
    run: RunFn
    cost: CostFn


def _fmt(value: float | int) -> str:
    return repr(value)  # 100 for an int, 0.5 or 100.0 for a float: the kind stays visible


def stepper(progress: ProgressFn, steps: int) -> Callable[[float], None]:
    """Map progress within step i of `steps` onto 0..1, so labs report one smooth bar.

    Returns `advance(done_steps)`, where done_steps may be fractional.
    """

    total = max(1, steps)

    def advance(done: float) -> None:
        progress(min(1.0, max(0.0, done / total)))

    return advance


def within(advance: Callable[[float], None], step: int) -> ProgressFn:
    """Progress inside step `step` (0..1 of that step) for a stepper's `advance`."""

    def report(fraction: float) -> None:
        advance(step + fraction)

    return report
