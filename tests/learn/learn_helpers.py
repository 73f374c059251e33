"""Shared helpers for the learning-loop tests: a small vault of every type, and pexpect sessions."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pexpect
from conftest import note_text, write_vault

STEPS_PLAYBOOK = """\
---
title: Tiny incident drill
type: playbook
summary: Three quick steps.
---

# Tiny incident drill

## When to use

When testing.

## Steps

- [ ] Look at the dashboard (0.01 min)
- [ ] Roll back the deploy (0.02 min)
- [ ] Write the timeline (1 min)

## Pitfalls

Going too fast.
"""

DESIGN_PLAYBOOK = """\
---
title: Design a backend system in 45 minutes
type: playbook
---

# Design a backend system in 45 minutes

## When to use

Drills.

## Steps

- [ ] Clarify requirements: the use cases (30 min)
- [ ] Draw the high-level design: boxes and arrows (15 min)

## Pitfalls

Running over.
"""

SYSTEM = """\
---
title: URL shortener
type: system
summary: Short links.
---

# URL shortener

## Requirements

### Functional

- Create a short link for a long URL.
- Redirect a short code to its URL.

### Non-functional

- Redirect p99 under 20 ms.

## Architecture

The redirect service reads from Redis first. Misses go to PostgreSQL. Clicks go to Kafka.

## Data model

A links table.

## API design

POST /links.

## Scaling strategy

Cache.

## Bottlenecks

- **One hot key.** A viral link drives 50k/s to one Redis key.
- **Cold cache after failover.** Misses land on PostgreSQL.
- **Click fan-in.** Kafka absorbs it.

## Tradeoffs

- **Random codes over sequential ones.** No enumeration, at the cost of collision checks.
- **Eventual click counts.** Analytics lag by seconds.
- **Redis in front.** One more thing to run.
"""


def learning_vault(root: Path) -> Path:
    """A vault with topics in two areas, a pattern, a failure mode, decisions, playbooks, a system."""
    notes: dict[str, Any] = {
        "backbrain.toml": "",
        "roadmap/http.md": {"title": "HTTP protocol", "type": "topic", "area": "foundations", "order": 1,
                            "progress": "completed", "phase": "audit", "related": ["caching"]},
        "roadmap/routing.md": {"title": "Routing", "type": "topic", "area": "foundations", "order": 2,
                               "progress": "in-progress", "phase": "build", "related": ["http"]},
        "roadmap/sql.md": {"title": "SQL databases", "type": "topic", "area": "data", "order": 1,
                           "related": ["http"]},
        "01_patterns/caching.md": {"title": "Caching", "type": "pattern", "related": ["cache-stampede"]},
        "04_failure-modes/cache-stampede.md": note_text(
            {"title": "Cache stampede", "type": "failure-mode", "related": ["caching"]},
            "# Cache stampede\n\n## What it is\n\nMany misses at once. More text.\n\n## Why it happens\n\nTTL.\n\n"
            "## Impact\n\nOutage.\n\n## Detection signals\n\n- **Hit ratio drop.** The cache stampede shows as"
            " misses.\n- **Many copies of one query.** In pg_stat_activity.\n\n## Mitigation strategies\n\n"
            "Request coalescing.\n",
        ),
        "03_decisions/use-postgres.md": {"title": "Use PostgreSQL", "type": "decision", "status": "accepted",
                                         "date": "2024-01-10", "related": ["caching"]},
        "03_decisions/use-redis.md": {"title": "Use Redis", "type": "decision", "status": "proposed",
                                      "date": "2024-03-01", "related": ["caching"]},
        "05_playbooks/tiny-incident-drill.md": STEPS_PLAYBOOK,
        "05_playbooks/design-backend-system-in-45-minutes.md": DESIGN_PLAYBOOK,
        "02_systems/url-shortener.md": SYSTEM,
    }  # fmt: skip
    return write_vault(root, notes)


def cli_env(tmp_path: Path) -> dict[str, str]:
    """Environment for a CLI run: a private per-user data folder (the starter's journal goes there)."""
    return {"XDG_DATA_HOME": str(tmp_path / "xdg-data"), "NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "120"}


def spawn(args: list[str], tmp_path: Path, timeout: float = 20) -> pexpect.spawn:
    """`python -m backbrain ARGS` on a pseudo-terminal, as a person at a keyboard would run it."""
    env = {k: v for k, v in os.environ.items() if k != "BACKBRAIN_VAULT"}
    env.update(cli_env(tmp_path))
    child = pexpect.spawn(
        sys.executable, ["-m", "backbrain", *args], env=env, encoding="utf-8", timeout=timeout, dimensions=(50, 120)
    )
    return child


def finish(child: pexpect.spawn) -> int:
    """Wait for the program to end; its exit status."""
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus is not None, f"killed by signal {child.signalstatus}"
    return int(child.exitstatus)


def read_events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
