"""Lab results on note pages: a note with `lab: NAME` shows labs/NAME/plot.svg and a variants x metrics table.

`backbrain lab run` writes labs/NAME/result.json ({"lab", "params", "seed", "variants": {VARIANT:
{METRIC: number}}}) and plot.svg into the vault. The site only reads them; a missing or malformed
file means the page simply has no lab panel (the build never fails on lab output).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass
class LabResult:
    name: str
    metrics: list[str]
    rows: list[tuple[str, list[str]]]  # (variant, formatted metric values)
    params: list[tuple[str, str]] = field(default_factory=list)
    seed: str = ""
    plot: Path | None = None  # absolute path of plot.svg when present
    digest: str = ""  # content hash of result.json and plot.svg, for the build cache


def lab_name(meta: dict[str, Any]) -> str | None:
    value = meta.get("lab")
    if isinstance(value, str) and _NAME.match(value.strip()) and ".." not in value:
        return value.strip()
    return None


def load_lab(vault_root: Path, name: str) -> LabResult | None:
    """labs/NAME/result.json as a table, or None when absent or not the documented shape."""
    folder = vault_root / "labs" / name
    try:
        raw = (folder / "result.json").read_bytes()
        data = json.loads(raw)
    except (OSError, ValueError):
        return None
    variants = data.get("variants") if isinstance(data, dict) else None
    if not isinstance(variants, dict) or not variants:
        return None
    metrics: list[str] = []
    for values in variants.values():
        if isinstance(values, dict):
            metrics.extend(str(key) for key in values if str(key) not in metrics)
    rows = [
        (str(variant), [_format(values.get(metric)) if isinstance(values, dict) else "" for metric in metrics])
        for variant, values in variants.items()
    ]
    params = data.get("params")
    plot = folder / "plot.svg"
    plot_bytes = plot.read_bytes() if plot.is_file() and not plot.is_symlink() else b""
    return LabResult(
        name=name,
        metrics=metrics,
        rows=rows,
        params=[(str(k), _format(v)) for k, v in params.items()] if isinstance(params, dict) else [],
        seed=str(data.get("seed", "")),
        plot=plot if plot_bytes else None,
        digest=hashlib.blake2b(raw + b"\0" + plot_bytes, digest_size=12).hexdigest(),
    )


def _format(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)
