"""The lab registry: find a lab by name, validate its parameters, run it reproducibly.

Parameters arrive as strings (from the CLI or a URL) and are parsed and range-checked here, once,
before any simulation starts; every refusal is a UsageError that lists what would have been
accepted, so the user never has to read the source to find a parameter name.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from backbrain.errors import UsageError
from backbrain.labs.spec import Lab, LabInfo, Number, Outcome, ParamValue, SeriesPlot

DEFAULT_SEED = 42
# A run may do at most this many times the work of the lab's default run (seconds there, minutes
# here). Each value is range-checked on its own; this catches combinations of large ones.
MAX_WORK_FACTOR = 25.0


@dataclass
class LabResult:
    """One run's numbers. `to_dict()` is the stable, documented JSON shape; the plot series rides
    along for write_lab_outputs but is deliberately not part of it."""

    lab: str
    params: dict[str, ParamValue]
    seed: int
    variants: dict[str, dict[str, Number]]
    series: SeriesPlot | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "lab": self.lab,
            "params": dict(self.params),
            "seed": self.seed,
            "variants": {name: dict(metrics) for name, metrics in self.variants.items()},
        }

    @classmethod
    def from_dict(cls, data: Any) -> LabResult | None:
        """A result.json read back, or None when it is not the documented shape.

        Lenient on purpose: a hand-edited or older file still shows whatever numbers it holds,
        and anything that is not a number is dropped rather than failing a site build.
        """
        if not isinstance(data, dict) or not isinstance(data.get("variants"), dict) or not data["variants"]:
            return None
        variants: dict[str, dict[str, Number]] = {}
        for name, metrics in data["variants"].items():
            if not isinstance(metrics, dict):
                return None
            variants[str(name)] = {
                str(k): v for k, v in metrics.items() if isinstance(v, int | float) and not isinstance(v, bool)
            }
        raw_params = data.get("params")
        params: dict[Any, Any] = raw_params if isinstance(raw_params, dict) else {}
        seed = data.get("seed")
        return cls(
            lab=str(data.get("lab", "")),
            params={str(k): v for k, v in params.items() if _is_param_value(v)},
            seed=seed if isinstance(seed, int) and not isinstance(seed, bool) else DEFAULT_SEED,
            variants=variants,
        )


def _is_param_value(value: Any) -> bool:
    if isinstance(value, list):
        return all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    return isinstance(value, int | float) and not isinstance(value, bool)


def _labs() -> dict[str, Lab]:
    # Imported here so `import backbrain.labs` stays cheap until a lab is listed or run.
    from backbrain.labs.sims import ALL_LABS

    return {lab.info.name: lab for lab in ALL_LABS}


def list_labs() -> list[LabInfo]:
    """Every lab, in a fixed order (the order the docs present them)."""
    return [lab.info for lab in _labs().values()]


def get_lab(name: str) -> LabInfo:
    return _lookup(name).info


def run_lab(
    name: str,
    params: Mapping[str, str] | None = None,
    seed: int | None = None,
    progress: Callable[[float], None] | None = None,
) -> LabResult:
    """Run lab `name` with string `params` over its defaults; the same seed gives the same numbers.

    Raises UsageError for an unknown lab, an unknown parameter or a value that does not parse or
    is out of range; the message lists the valid names or parameters with their defaults.
    """
    lab = _lookup(name)
    parsed = parse_params(lab.info, params or {})
    check_work(name, parsed)
    seed = DEFAULT_SEED if seed is None else seed
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise UsageError(f"seed must be an integer, got {seed!r}")
    report = _monotonic(progress)
    report(0.0)
    outcome: Outcome = lab.run(parsed, seed, report)
    report(1.0)
    return LabResult(lab.info.name, parsed, seed, outcome.variants, outcome.series)


def parse_params(info: LabInfo, given: Mapping[str, str]) -> dict[str, ParamValue]:
    """Defaults overlaid with `given`, each parsed to its declared kind."""
    values = info.defaults()
    for key, text in given.items():
        param = info.param(key)
        if param is None:
            close = difflib.get_close_matches(key, [p.name for p in info.params], n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise UsageError(f"Unknown parameter {key!r} for lab {info.name!r}{hint}.", hint=params_help(info))
        try:
            values[key] = param.parse(str(text))
        except ValueError as exc:
            raise UsageError(
                f"Bad value {text!r} for parameter {key!r} of lab {info.name!r}: {exc}.",
                hint=params_help(info),
            ) from None
    return values


def work_factor(name: str, parsed: Mapping[str, ParamValue]) -> float:
    """How many times the default run's work these (parsed) parameters ask for."""
    lab = _lookup(name)
    return lab.cost(parsed) / max(1e-9, lab.cost(lab.info.defaults()))


def check_work(name: str, parsed: Mapping[str, ParamValue]) -> None:
    """Refuse, before anything is allocated, a run over MAX_WORK_FACTOR x the default's work.

    The message names the limit and the parameter whose return to its default saves the most, so
    the user knows what to lower without reading the simulation.
    """
    factor = work_factor(name, parsed)
    if factor <= MAX_WORK_FACTOR:
        return
    lab = _lookup(name)
    defaults = lab.info.defaults()
    changed = [key for key in parsed if parsed[key] != defaults[key]]
    heaviest = min(changed, key=lambda key: lab.cost({**parsed, key: defaults[key]}), default=None)
    advice = f" Lower {heaviest!r} (default {lab.info.param(heaviest).default_text()})." if heaviest else ""  # type: ignore[union-attr]
    raise UsageError(
        f"This {name} run would do about {factor:,.0f} times the work of the default run; the limit is "
        f"{MAX_WORK_FACTOR:g} times.{advice}",
        hint=params_help(lab.info),
    )


def params_help(info: LabInfo) -> str:
    """'valid parameters for LAB:' and one 'name=default  help' line each, for error messages."""
    width = max(len(f"{p.name}={p.default_text()}") for p in info.params)
    lines = [f"    {p.name + '=' + p.default_text():<{width}}  {p.help}" for p in info.params]
    return f"valid parameters for {info.name} (name=default):\n" + "\n".join(lines)


def _lookup(name: str) -> Lab:
    labs = _labs()
    lab = labs.get(name)
    if lab is None:
        close = difflib.get_close_matches(name, list(labs), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UsageError(f"Unknown lab {name!r}{hint}.", hint="valid labs: " + ", ".join(labs))
    return lab


def _monotonic(progress: Callable[[float], None] | None) -> Callable[[float], None]:
    """Clamp to 0..1 and never step backwards, so any progress bar can trust the callback."""
    state = {"last": -1.0}

    def report(fraction: float) -> None:
        fraction = min(1.0, max(0.0, float(fraction)))
        if progress is None or fraction <= state["last"]:
            return
        state["last"] = fraction
        progress(fraction)

    return report
