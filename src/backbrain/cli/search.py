"""CLI for `search` and `related`: argument parsing and output only; ranking lives in backbrain.search.

Imports are lazy and light on purpose: on a fresh index `backbrain search` must answer in well
under a quarter of a second, so it never loads the vault, the Markdown parser or pydantic.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from backbrain.cli.options import vault_option
from backbrain.errors import UsageError

if TYPE_CHECKING:
    from backbrain.search.engine import SearchResult
    from backbrain.search.related import RelatedHit
    from backbrain.search.store import SearchIndex

T = TypeVar("T")

format_option = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
limit_option = click.option("--limit", type=click.IntRange(1, 200), default=10, show_default=True)


def _open(vault_dir: Path | None) -> SearchIndex:
    """The vault's index, brought up to date; rebuild notices go to stderr, one line each."""
    from backbrain.search.store import open_index

    index = open_index(vault_dir)
    for notice in index.sync().notices:
        click.echo(notice, err=True)
    return index


def _retrying(index: SearchIndex, action: Callable[[], T]) -> T:
    """Run a query; if the database turns out corrupt, rebuild it once and ask again."""
    from backbrain.search.store import is_corruption

    try:
        return action()
    except sqlite3.DatabaseError as exc:
        if not is_corruption(exc):
            raise
        index.recover(exc)
        for notice in index.sync().notices:
            click.echo(notice, err=True)
        return action()


@click.command("search")
@click.argument("query", nargs=-1, required=True)
@vault_option
@click.option("--type", "type_name", default=None, help="Only notes of this type (failure-mode, pattern, ...).")
@click.option("--tag", default=None, help="Only notes with this tag.")
@click.option("--progress", type=click.Choice(["not-started", "in-progress", "completed"]), default=None)
@limit_option
@format_option
def search_cmd(
    query: tuple[str, ...],
    vault_dir: Path | None,
    type_name: str | None,
    tag: str | None,
    progress: str | None,
    limit: int,
    fmt: str,
) -> None:
    """Search notes for QUERY: symptoms, names, questions. Words are ORed and ranked;
    "quoted phrases" and prefix* work. Exit 2 for an empty query."""
    from backbrain.search.engine import search

    text = " ".join(query)
    if not text.strip():
        raise UsageError("Empty search query.", hint='Type what you see, e.g. backbrain search "too many connections"')
    index = _open(vault_dir)
    result = _retrying(index, lambda: search(index, text, type_name=type_name, tag=tag, progress=progress, limit=limit))
    if fmt == "json":
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        if result.message:
            click.echo(result.message, err=True)
        return
    print_results(result, _known_types(index) if type_name and not result.hits else None)


def _known_types(index: SearchIndex) -> list[str]:
    return [row[0] for row in index.conn.execute("SELECT DISTINCT type FROM notes ORDER BY type")]


@click.command("related")
@click.argument("note_id", metavar="ID")
@vault_option
@limit_option
@format_option
def related_cmd(note_id: str, vault_dir: Path | None, limit: int, fmt: str) -> None:
    """List the notes most like note ID: its relations and links, and notes that read alike."""
    from backbrain.search.related import related

    index = _open(vault_dir)
    found_id, hits = _retrying(index, lambda: related(index, note_id, limit=limit))
    if fmt == "json":
        click.echo(json.dumps({"id": found_id, "results": [h.to_json() for h in hits]}, ensure_ascii=False, indent=2))
        return
    print_related(found_id, hits)


# -- terminal output ------------------------------------------------------------------------------
def print_results(result: SearchResult, known_types: list[str] | None = None) -> None:
    """Rank, type, title and id, then the snippet with matched words highlighted (Rich; NO_COLOR is
    honoured by Rich itself)."""
    from rich.console import Console
    from rich.text import Text

    console = Console(highlight=False, soft_wrap=False)
    if result.message:
        click.echo(result.message, err=True)
    if not result.hits:
        if known_types is not None:
            click.echo(f"Types in this knowledge base: {', '.join(known_types)}", err=True)
        return
    for rank, hit in enumerate(result.hits, 1):
        line = Text(f"{rank:>2}. ")
        line.append(f"{hit.type:<13}", style="cyan")
        line.append(f" {hit.title}", style="bold")
        line.append(f"  ({hit.id})", style="dim")
        console.print(line)
        if hit.snippet:
            snippet = Text("    " + hit.snippet)
            for start, end in hit.highlights:
                snippet.stylize("bold yellow", start + 4, end + 4)
            console.print(snippet)


def print_related(note_id: str, hits: list[RelatedHit]) -> None:
    from rich.console import Console
    from rich.text import Text

    console = Console(highlight=False)
    if not hits:
        click.echo(f"Nothing related to {note_id} yet: link it to other notes or add relations.", err=True)
        return
    console.print(Text(f"Notes related to {note_id}:", style="bold"))
    for rank, hit in enumerate(hits, 1):
        line = Text(f"{rank:>2}. ")
        line.append(f"{hit.type:<13}", style="cyan")
        line.append(f" {hit.title}", style="bold")
        line.append(f"  ({hit.id})", style="dim")
        if hit.reasons:
            line.append(f"  {', '.join(hit.reasons)}", style="green")
        console.print(line)
