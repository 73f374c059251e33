"""Helpers for the site tests: small vaults with typed relations, builds, HTML parsing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from backbrain.site import SiteBuilder


def note(meta: dict[str, Any], body: str) -> str:
    return "---\n" + yaml.safe_dump(meta, sort_keys=False) + "---\n\n" + body


SECTIONS = {
    "pattern": ["Problem", "Solution", "Variants", "When to use", "When NOT to use"],
    "failure-mode": ["What it is", "Why it happens", "Impact", "Detection signals", "Mitigation strategies"],
}


def body(title: str, *paragraphs: str) -> str:
    return "\n\n".join([f"# {title}", *paragraphs]) + "\n"


def small_vault() -> dict[str, str]:
    """A vault that exercises every page: relations of each kind, a supersede chain, a roadmap, a lab."""
    return {
        "01_patterns/caching.md": note(
            {"title": "Caching", "type": "pattern", "aliases": ["cache-aside"], "tags": ["caching", "perf"],
             "summary": "Keep hot values close.", "mitigates": ["cache-stampede"], "created": "2026-01-02"},
            body("Caching", "## Problem", "Reads are slow.", "## Solution",
                 "Use a cache in front of the origin, see [[Cache stampede]] for the risk.",
                 "```python\ndef get(key):\n    return cache.get(key)\n```"),
        ),
        "01_patterns/request-coalescing.md": note(
            {"title": "Request coalescing", "type": "pattern", "tags": ["caching"], "summary": "One miss, one query.",
             "mitigates": ["cache-stampede"]},
            body("Request coalescing", "## Problem", "Identical misses pile up on the origin."),
        ),
        "04_failure-modes/cache-stampede.md": note(
            {"title": "Cache stampede", "type": "failure-mode", "aliases": ["dogpile effect"], "tags": ["caching"],
             "summary": "Everyone recomputes the same expired value.", "lab": "cache-stampede",
             "updated": "2026-11-20"},
            body("Cache stampede", "## What it is", "A hot key expires.", "## Detection signals",
                 "Origin latency spikes and a thundering queue of identical queries.",
                 "> [!warning] Watch the TTL\n> Synchronized expiry makes it worse.",
                 "## Mitigation strategies", "Use [[request-coalescing|coalescing]] and [[caching#Solution]]."),
        ),
        "02_systems/url-shortener.md": note(
            {"title": "URL shortener", "type": "system", "uses": ["caching"], "risks": ["cache-stampede"],
             "summary": "Short codes, fast redirects."},
            body("URL shortener", "## Architecture", "```mermaid\nflowchart LR\n  A-->B\n```",
                 "Diagram: ![[diagram.png]] and a missing one ![[nope.png]] and [[no-such-note]]."),
        ),
        "03_decisions/use-redis.md": note(
            {"title": "Use Redis", "type": "decision", "status": "superseded", "date": "2026-01-10",
             "affects": ["url-shortener"], "summary": "Redis for the cache."},
            body("Use Redis", "## Context", "We needed a cache."),
        ),
        "03_decisions/use-valkey.md": note(
            {"title": "Use Valkey", "type": "decision", "status": "accepted", "date": "2026-06-01",
             "supersedes": ["use-redis"], "affects": ["url-shortener"], "summary": "Valkey instead."},
            body("Use Valkey", "## Context", "Licensing changed."),
        ),
        "articles/why-caches-fail.md": note(
            {"title": "Why caches fail", "type": "article", "summary": "Caches fail in groups.",
             "takeaway": "Plan for the miss.", "flagship": True, "start-here": True, "focus-area": "reliability"},
            body("Why caches fail", "Read [[dogpile effect]] first."),
        ),
        "roadmap/http.md": note(
            {"title": "HTTP", "type": "topic", "area": "foundations", "order": 1, "progress": "completed"},
            body("HTTP", "## Study", "Read RFC 9110."),
        ),
        "roadmap/routing.md": note(
            {"title": "Routing", "type": "topic", "area": "foundations", "order": 2, "progress": "in-progress"},
            body("Routing", "## Study", "Routers."),
        ),
        "scratch.md": "# Scratch\n\nA plain note linking [[caching]].\n",
    }


def add_lab(root: Path) -> None:
    lab = root / "labs" / "cache-stampede"
    lab.mkdir(parents=True)
    (lab / "result.json").write_text(
        '{"lab": "cache-stampede", "params": {"clients": 500}, "seed": 7, "variants": '
        '{"baseline": {"origin_qps": 5000, "p99_ms": 840.5}, "coalescing": {"origin_qps": 12, "p99_ms": 31.2}}}'
    )
    (lab / "plot.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>')


def make_site_vault(root: Path, extra: dict[str, str] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for rel, text in {**small_vault(), **(extra or {})}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "assets").mkdir(exist_ok=True)
    (root / "assets" / "diagram.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
    (root / "journal").mkdir(exist_ok=True)
    (root / "journal" / "review.jsonl").write_text('{"private": true}\n')
    add_lab(root)
    return root


def builder(root: Path, out: Path, *, live: bool = False, workers: int = 1) -> SiteBuilder:
    return SiteBuilder(root, out, out.parent / f"{out.name}-cache.json", live=live, workers=workers)


def page(out: Path, rel: str) -> HTMLParser:
    return HTMLParser((out / rel).read_text(encoding="utf-8"))


def texts(tree: HTMLParser, selector: str) -> list[str]:
    return [" ".join(node.text().split()) for node in tree.css(selector)]


def run_backbrain(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m backbrain ARGS` as a user runs it (module-scoped fixtures cannot use the `cli` fixture)."""
    full_env = {k: v for k, v in os.environ.items() if k != "BACKBRAIN_VAULT"} | {"NO_COLOR": "1"} | (env or {})
    return subprocess.run([sys.executable, "-m", "backbrain", *args], env=full_env, capture_output=True, text=True,
                          timeout=300)  # fmt: skip
