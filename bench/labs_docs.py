#!/usr/bin/env python3
"""Regenerate docs/labs.md's result tables and docs/labs/NAME.svg from real lab runs.

Usage: bench/labs_docs.py [--check] [NAME ...]

Runs every lab (or the named ones) with its default parameters and seed, then rewrites the block
between `<!-- lab:NAME:begin -->` and `<!-- lab:NAME:end -->` in docs/labs.md (citation, what the
lab demonstrates, defaults, the results table, the plot) and writes the plot to docs/labs/NAME.svg.
The prose around the blocks is hand-written and left alone. It also writes the starter's shipped
result (src/backbrain/starter/labs/NAME/result.json and plot.svg), so notes with `lab: NAME` show
the current default run. Prints each lab's wall-clock runtime. With --check nothing is written;
the exit status is 1 if the docs or the starter's results are out of date.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from backbrain.core.location import starter_root  # noqa: E402
from backbrain.fsutil import atomic_write_bytes, atomic_write_text  # noqa: E402
from backbrain.labs import LabInfo, LabResult, list_labs, run_lab  # noqa: E402
from backbrain.labs.outputs import render_json, render_svg  # noqa: E402
from backbrain.labs.table import table_rows  # noqa: E402

DOC = ROOT / "docs" / "labs.md"
CHECKED = {"published": "a published result", "theory": "theory", "shape": "the shape only"}
PLOTS = ROOT / "docs" / "labs"


def block(info: LabInfo, result: LabResult) -> str:
    defaults = ", ".join(f"`{p.name}={p.default_text()}`" for p in info.params)
    lines = [
        f"**Source:** {info.source}.",
        "",
        f"**Demonstrates:** {', '.join(f'`{note}`' for note in info.notes)}.",
        "",
        f"**Checked against:** {CHECKED[info.checked_against]}: {info.checked_how}.",
        "",
        f"**Defaults** (`backbrain lab run {info.name}`, seed {result.seed}): {defaults}.",
        "",
        *table(result),
        "",
        f"![{info.name} plot](labs/{info.name}.svg)",
    ]
    return "\n".join(lines)


def table(result: LabResult) -> list[str]:
    metrics, cells = table_rows(result.variants)
    rows = [
        "| variant | " + " | ".join(f"`{m}`" for m in metrics) + " |",
        "|---|" + "---:|" * len(metrics),
    ]
    rows.extend(f"| `{variant}` | " + " | ".join(values) + " |" for variant, values in cells)
    return rows


def splice(doc: str, name: str, body: str) -> str:
    begin, end = f"<!-- lab:{name}:begin -->", f"<!-- lab:{name}:end -->"
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
    if not pattern.search(doc):
        raise SystemExit(f"{DOC}: no {begin} ... {end} block; add one")
    return pattern.sub(lambda _: f"{begin}\n{body}\n{end}", doc)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="labs to regenerate (default: all)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if the docs are stale")
    args = parser.parse_args()
    infos = [i for i in list_labs() if not args.names or i.name in args.names]
    doc = original = DOC.read_text(encoding="utf-8")
    stale: list[str] = []
    for info in infos:
        start = time.perf_counter()
        result = run_lab(info.name)
        elapsed = time.perf_counter() - start
        print(f"{info.name:26s} {elapsed:6.2f} s")
        doc = splice(doc, info.name, block(info, result))
        svg = render_svg(result)
        if svg is None:
            raise SystemExit("matplotlib is needed to draw the plots: pip install -e '.[plots]'")
        shipped = starter_root() / "labs" / info.name
        targets = {
            PLOTS / f"{info.name}.svg": svg,
            shipped / "plot.svg": svg,
            shipped / "result.json": render_json(result),
        }
        for target, content in targets.items():
            if not target.exists() or target.read_bytes() != content:
                stale.append(str(target.relative_to(ROOT)))
                if not args.check:
                    atomic_write_bytes(target, content, root=ROOT)
    if doc != original:
        stale.append(str(DOC.relative_to(ROOT)))
        if not args.check:
            atomic_write_text(DOC, doc, root=ROOT)
    if stale:
        print(("stale: " if args.check else "updated: ") + ", ".join(stale))
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
