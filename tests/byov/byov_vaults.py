"""Knowledge bases shaped like the ones people already have (issue 11), built in code.

Each builder writes a small vault that reproduces one real shape, written from the formats' own
documentation rather than copied from anyone's files:
- an Obsidian help-style vault: the same file names in sibling language folders, each language
  linking inside itself, with Obsidian syntax (`[[a\\|b]]` in tables, `^block` ids, `%%comments%%`,
  `![[note#Heading]]` embeds, Markdown links with `%20` and `#heading`);
- a docs tree whose pages are folder notes (`folder/index.md`, `README.md`, `_index.md`);
- ADR folders in MADR 2, 3 and 4, Nygard (adr-tools) and log4brains form;
- an untyped vault: plain notes in nested folders, no front matter, no backbrain.toml.

Every builder returns the vault root; `EXPECTED_FILES[name]` is how many Markdown files it writes,
so a test can hold the scan, the check and the site to that count.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


def _write(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


# -- Obsidian: one help vault, two languages, the same file names in each ------------------------
def _formulas(lang: str, operators: str, comment: str) -> str:
    """`Bases/Formulas.md`: links to `Bases syntax` in its own language, a table with escaped pipes."""
    return f"""---
aliases:
  - {lang}/Formulas
---
Formulas compute values from a note's properties. See [[Bases syntax#{operators}]] first. ^intro-{lang}

| Example | Result |
| --- | --- |
| [[Bases syntax\\|syntax]] | ![[chart.png\\|100]] |
| [[Bases syntax#{operators}\\|{operators.lower()}]] | 2 |

%%{comment} [[Draft ideas]]%%

Read more in [the syntax page](Bases%20syntax.md#{operators.replace(" ", "%20")}).
"""


def _bases_syntax(operators: str) -> str:
    return f"""# Bases syntax

A base is a query over the vault. ^syntax-overview

## {operators}

Use `==`, `!=`, `>` and `<` to compare values; `%%` inside code is not a comment.

```text
price %% 2 == 0
```

## Functions

Functions such as `now()` return values. ^functions
"""


def _internal_links(lang: str, heading: str) -> str:
    return f"""Link notes with [[Formulas]] or with a Markdown link:
[Formulas](../Bases/Formulas.md). Block references look like [[Formulas#^intro-{lang}]].

## {heading}

![[Bases syntax#Functions]]

A note can embed a part of itself: ![[Internal links#{heading}]] must not recurse forever.
%%
A comment over
several lines, with [[Hidden target]].
%%
Visible after the comment.
"""


def obsidian_help(root: Path) -> Path:
    """`en/` and `fr/` with the same file names; each language links to its own copies."""
    files: dict[str, str | bytes] = {
        "Attachments/chart.png": PNG_1X1,
        "en/Home.md": "# Obsidian help\n\nStart with [[Internal links]] and [[Formulas]].\n",
        "en/Bases/Formulas.md": _formulas("en", "Operators", "Translate this table later."),
        "en/Bases/Bases syntax.md": _bases_syntax("Operators"),
        "en/Linking notes and files/Internal links.md": _internal_links("en", "Link to a block"),
        "fr/Home.md": "# Aide Obsidian\n\nCommencez par [[Internal links]] et [[Formulas]].\n",
        "fr/Bases/Formulas.md": _formulas("fr", "Opérateurs", "Traduire ce tableau."),
        "fr/Bases/Bases syntax.md": _bases_syntax("Opérateurs"),
        "fr/Linking notes and files/Internal links.md": _internal_links("fr", "Lien vers un bloc"),
    }
    return _write(root, files)


# -- folder notes: every page is a folder with an index.md, README.md or _index.md ------------------
def folder_notes(root: Path) -> Path:
    files: dict[str, str | bytes] = {
        "README.md": "# Architecture notes\n\nSee [[use-postgresql]], [[event-sourcing]] and [[Guides]].\n",
        "use-postgresql/index.md": (
            "# Use PostgreSQL\n\nWe store orders in PostgreSQL. It pairs with [[event-sourcing]].\n"
        ),
        "event-sourcing/README.md": (
            "# Event sourcing\n\nEvents are the source of truth; see [Use PostgreSQL](../use-postgresql/index.md).\n"
        ),
        "event-sourcing/snapshots/index.md": "# Snapshots\n\nA snapshot shortens replay for [[event-sourcing]].\n",
        "Guides/_index.md": "# Guides\n\nHow-to guides: [[Snapshots]].\n",
        "Guides/deploy/README.md": "# Deploy\n\nDeploying the [[use-postgresql|database]] first.\n",
    }
    return _write(root, files)


# -- ADRs --------------------------------------------------------------------------------------------
def madr2(root: Path, folder: str = "docs/adr") -> Path:
    """MADR 2.x: metadata as a bullet list under the title, positive and negative consequences."""
    first = """# Use Markdown Architectural Decision Records

* Status: superseded by [ADR-0002](0002-use-madr-with-front-matter.md)
* Deciders: Ana, Ben
* Date: 2020-02-03

Technical Story: We want to record decisions as the project grows.

## Context and Problem Statement

We want to record architectural decisions made in this project. Which format and structure should they follow?

## Considered Options

* MADR 2.1.2
* Michael Nygard's template
* Formless text

## Decision Outcome

Chosen option: "MADR 2.1.2", because it is lean and structured.

### Positive Consequences

* Decisions are easy to find.

### Negative Consequences

* Each record takes a few minutes to write.
"""
    second = """# Use MADR with front matter

* Status: accepted
* Deciders: Ana
* Date: 2021-05-10

## Context and Problem Statement

Tools read metadata more easily from front matter than from a bullet list.

## Considered Options

* Keep the bullet list
* Move to front matter

## Decision Outcome

Chosen option: "Move to front matter", because tools understand it.

Supersedes [ADR-0001](0001-use-markdown-architectural-decision-records.md).
"""
    return _write(root, {
        f"{folder}/0001-use-markdown-architectural-decision-records.md": first,
        f"{folder}/0002-use-madr-with-front-matter.md": second,
    })  # fmt: skip


def madr3(root: Path, folder: str = "docs/decisions") -> Path:
    """MADR 3.x: front matter with status, date, deciders; Consequences under Decision Outcome."""
    record = """---
status: accepted
date: 2022-11-21
deciders: [Carla, Dev]
consulted: [Security team]
informed: [Everyone]
---
# Use PostgreSQL for orders

## Context and Problem Statement

Orders need transactions across several tables. Which database should hold them?

## Decision Drivers

* Transactions
* Team experience

## Considered Options

* PostgreSQL
* MongoDB

## Decision Outcome

Chosen option: "PostgreSQL", because it gives transactions and the team knows it.

### Consequences

* Good, because joins are cheap.
* Bad, because schema changes need migrations.

## Pros and Cons of the Options

### PostgreSQL

* Good, because ACID.

### MongoDB

* Bad, because multi-document transactions came late.
"""
    return _write(root, {f"{folder}/0001-use-postgresql-for-orders.md": record})


def madr4(root: Path, folder: str = "docs/decisions") -> Path:
    """MADR 4.x: decision-makers instead of deciders, a Confirmation subsection, a superseding status."""
    old = """---
status: "superseded by ADR-0003"
date: 2024-01-15
decision-makers: [Eve]
---
# Cache sessions in memory

## Context and Problem Statement

Sessions are read on every request.

## Considered Options

* In-process memory
* Redis

## Decision Outcome

Chosen option: "In-process memory", because it needs nothing new.

### Consequences

* Bad, because sessions are lost on deploy.
"""
    new = """---
status: accepted
date: 2024-06-01
decision-makers: [Eve, Finn]
---
# Cache sessions in Redis

## Context and Problem Statement

Sessions were lost on every deploy (see [the in-memory decision](0002-cache-sessions-in-memory.md)).

## Considered Options

* Redis
* Sticky sessions

## Decision Outcome

Chosen option: "Redis", because sessions survive deploys.

### Consequences

* Good, because deploys no longer log people out.
* Bad, because one more service to run.

### Confirmation

A deploy during a load test keeps every session.
"""
    return _write(root, {
        f"{folder}/0002-cache-sessions-in-memory.md": old,
        f"{folder}/0003-cache-sessions-in-redis.md": new,
    })  # fmt: skip


def nygard(root: Path, folder: str = "doc/adr") -> Path:
    """adr-tools: `# N. Title`, a `Date:` line, a `## Status` section holding supersede links."""
    first = """# 1. Record architecture decisions

Date: 2019-03-04

## Status

Accepted

## Context

We need to record the architectural decisions made on this project.

## Decision

We will use Architecture Decision Records, as described by Michael Nygard.

## Consequences

See Michael Nygard's article for a detailed description.
"""
    second = """# 2. Use a message queue

Date: 2019-04-01

## Status

Superseded by [3. Use an event log](0003-use-an-event-log.md)

## Context

Services call each other synchronously and fail together.

## Decision

We will put a message queue between the order and billing services.

## Consequences

Billing can be down without losing orders.
"""
    third = """# 3. Use an event log

Date: 2020-08-12

## Status

Accepted

Supersedes [2. Use a message queue](0002-use-a-message-queue.md)

## Context

Consumers need to replay past events, which a queue deletes once read.

## Decision

We will publish order events to a durable, replayable log.

## Consequences

Consumers can rebuild their state; the log needs retention rules.
"""
    return _write(root, {
        f"{folder}/0001-record-architecture-decisions.md": first,
        f"{folder}/0002-use-a-message-queue.md": second,
        f"{folder}/0003-use-an-event-log.md": third,
    })  # fmt: skip


def log4brains(root: Path, folder: str = "docs/adr") -> Path:
    """log4brains: MADR 2 style metadata in a dashed list, with Tags, and a date-prefixed file name."""
    record = """# Use Log4brains to manage the ADRs

- Status: accepted
- Deciders: Gus
- Date: 2023-03-09
- Tags: dev-tools, doc

## Context and Problem Statement

We want to browse our decisions as a static site. Which tool should publish them?

## Considered Options

- Log4brains
- A wiki

## Decision Outcome

Chosen option: "Log4brains", because it reads the records where they are.

### Positive Consequences

- The records stay next to the code.

### Negative Consequences

- One more tool in CI.
"""
    return _write(root, {f"{folder}/20230309-use-log4brains-to-manage-the-adrs.md": record})


def adr_collection(root: Path) -> Path:
    """Every ADR format in the folders tools put them in: doc/adr, docs/adr, docs/decisions, adr, decisions."""
    nygard(root, "doc/adr")
    madr2(root, "docs/adr")
    log4brains(root, "docs/adr")
    madr3(root, "docs/decisions")
    madr4(root, "docs/decisions")
    readme = "# Project\n\nDecisions live in [doc/adr](doc/adr/0001-record-architecture-decisions.md).\n"
    _write(root, {"README.md": readme})
    return root


# -- an untyped vault: nested folders, no front matter, no configuration ------------------------------
def untyped(root: Path) -> Path:
    files: dict[str, str | bytes] = {
        "Welcome.md": "# Welcome\n\nThis vault has [[Projects/Launch plan|a plan]] and [[Reading list]].\n",
        "Projects/Launch plan.md": "# Launch plan\n\n- [ ] Book the venue\n- [x] Draft the post, see [[Draft post]]\n",
        "Projects/Drafts/Draft post.md": "# Draft post\n\nWe are launching soon. Back to [[Launch plan]].\n",
        "Areas/Health/Running.md": "Run three times a week. #habit\n",
        "Areas/Health/Sleep.md": "Sleep eight hours; it helps [[Running]].\n",
        "Resources/Reading list.md": "# Reading list\n\n1. Designing Data-Intensive Applications\n",
        "Archive/2023/Old plan.md": "# Old plan\n\nReplaced by [[Launch plan]].\n",
        "Attachments/cover.png": PNG_1X1,
    }
    return _write(root, files)


BUILDERS: dict[str, Callable[[Path], Path]] = {
    "obsidian": obsidian_help,
    "folder-notes": folder_notes,
    "adr": adr_collection,
    "untyped": untyped,
}
EXPECTED_FILES = {"obsidian": 8, "folder-notes": 6, "adr": 10, "untyped": 7}


def build(name: str, root: Path) -> Path:
    return BUILDERS[name](root)
