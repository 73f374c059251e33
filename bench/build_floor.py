#!/usr/bin/env python3
"""The library floor of a site build: `python bench/build_floor.py CORPUS OUT [--search]`.

What a Python build of the corpus costs before any page feature: on both cores (core.parallel), each
process reads its share of the notes, loads the front matter with the C YAML loader, renders the body
with pyromark, sanitizes it with nh3 and writes a bare page (title and body, like the one template
bench/build.py gives Hugo). No links are resolved, no navigation, relation panels, backlinks, graph
or search index are made. With --search it also counts each note's search terms the way the browser
index does (search.browser.Tokens: the unicode61 words and SQLite's Porter stems of title and body),
the cheapest part of the browser's search index, still without writing it.

bench/build.py --floor runs both in the same alternation as Hugo and backbrain, so the ratio says how
much of a build's time the libraries alone take on this machine. Prints one JSON line: pages, seconds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from functools import partial
from pathlib import Path

import nh3
import pyromark
import yaml

from backbrain.core.parallel import split_map
from backbrain.search.browser import Tokens

PAGE = "<!doctype html><html><head><title>{0}</title></head><body><main><h1>{0}</h1>{1}</main></body></html>\n"


def bare_pages(out: Path, search: bool, files: Sequence[Path]) -> list[int]:
    """The work of one process: its share of the notes, read, parsed, rendered and written."""
    tokens = Tokens()
    for path in files:
        text = path.read_text(encoding="utf-8")
        meta: dict[str, object] = {}
        if text.startswith("---\n"):
            end = text.find("\n---", 4)
            meta = yaml.load(text[4:end], Loader=yaml.CSafeLoader) or {}
            text = text[end + 4 :]
        title = str(meta.get("title", path.stem))
        html = nh3.clean(pyromark.html(text))
        if search:
            tokens.counts([title, text])
        page = out / path.stem / "index.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(PAGE.format(title, html), encoding="utf-8")
    return [len(files)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--search", action="store_true", help="also count each note's search terms")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    files = sorted(args.corpus.rglob("*.md"))
    pages = sum(split_map(partial(bare_pages, args.out, args.search), files, min_items=2))
    print(json.dumps({"pages": pages, "seconds": time.perf_counter() - started}))


if __name__ == "__main__":
    sys.exit(main())
