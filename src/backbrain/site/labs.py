"""Lab results on note pages: a note with `lab: NAME` shows labs/NAME/plot.svg and a variants x metrics table.

`backbrain lab run` writes labs/NAME/result.json ({"lab", "params", "seed", "variants": {VARIANT:
{METRIC: number}}}) and plot.svg into the vault. The site only reads them, through the same
LabResult and table formatter as the CLI and the docs; a missing or malformed file means the page
simply has no lab panel (the build never fails on lab output).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backbrain.labs.registry import LabResult
from backbrain.labs.table import format_number, table_rows

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass
class LabPanel:
    """What a note page shows of one saved lab run: the formatted table, the plot, a cache digest."""

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


def load_lab(vault_root: Path, name: str) -> LabPanel | None:
    """labs/NAME/result.json as a panel, or None when absent or not the documented shape."""
    folder = vault_root / "labs" / name
    try:
        raw = (folder / "result.json").read_bytes()
        result = LabResult.from_dict(json.loads(raw))
    except (OSError, ValueError):
        return None
    if result is None:
        return None
    metrics, rows = table_rows(result.variants)
    plot = folder / "plot.svg"
    plot_bytes = plot.read_bytes() if plot.is_file() and not plot.is_symlink() else b""
    return LabPanel(
        name=name,
        metrics=metrics,
        rows=rows,
        params=[(k, format_number(v)) for k, v in result.params.items()],
        seed=str(result.seed),
        plot=plot if plot_bytes else None,
        digest=hashlib.blake2b(raw + b"\0" + plot_bytes, digest_size=12).hexdigest(),
    )
