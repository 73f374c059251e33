"""How a lab's numbers are shown: one formatter and one variants x metrics table for every face.

The terminal table, the note page, docs/labs.md and the live form all show the same result;
formatting it in one place keeps "2,425.3" from reading "2,425" on the site and "2425.300" in the
docs. Metrics are columns in first-seen order, and a variant without a metric shows a dash.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MISSING = "–"


def format_number(value: Any) -> str:
    """Integers with thousands separators; floats to at most 3 decimals, trailing zeros dropped."""
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        text = f"{value:,.3f}".rstrip("0").rstrip(".")
        return "0" if text in ("", "-0") else text
    if isinstance(value, list):
        return ",".join(format_number(v) for v in value)
    return str(value)


def metric_names(variants: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Every metric any variant reports, in first-seen order (the table's columns)."""
    names: list[str] = []
    for metrics in variants.values():
        names.extend(str(m) for m in metrics if str(m) not in names)
    return names


def table_rows(variants: Mapping[str, Mapping[str, Any]]) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """(metric columns, [(variant, formatted cells)]) for any face that draws the table."""
    metrics = metric_names(variants)
    rows = [(str(name), [format_number(values.get(m)) for m in metrics]) for name, values in variants.items()]
    return metrics, rows
