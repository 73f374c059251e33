"""CLI for the note commands: init, new, check, list, show. Argument parsing and output only."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import click

from backbrain.cli.options import vault_option
from backbrain.errors import EXIT_OK, EXIT_PROBLEMS, UsageError


@click.command("init")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--starter", is_flag=True, help="Copy the bundled starter knowledge base into it.")
def init_cmd(directory: Path, starter: bool) -> None:
    """Create a knowledge base in DIRECTORY (never overwrites existing files)."""
    from backbrain.scaffold import init_vault

    result = init_vault(directory, starter=starter)
    click.echo(
        f"Knowledge base ready in {result.root} ({len(result.created)} files created"
        + (f", {len(result.kept)} existing files left as they were)" if result.kept else ")")
    )
    click.echo(f'Next: backbrain new pattern "My pattern" --vault {directory}')


@click.command("new")
@click.argument("type_name", metavar="TYPE")
@click.argument("title")
@vault_option
@click.option("--id", "note_id", default=None, help="Id to use instead of the title's slug.")
@click.option("--edit", is_flag=True, help="Open the new note in $EDITOR.")
def new_cmd(type_name: str, title: str, vault_dir: Path | None, note_id: str | None, edit: bool) -> None:
    """Scaffold a TYPE note titled TITLE with every required section; prints its path."""
    from backbrain.core.vault import load_vault, locate_vault
    from backbrain.scaffold import create_note

    location = locate_vault(vault_dir)
    location.require_writable("create a note")
    path = create_note(load_vault(location.root), type_name, title, note_id=note_id)
    click.echo(str(path))
    if edit:
        click.edit(filename=str(path))


@click.command("check")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@vault_option
@click.option("--strict", is_flag=True, help="Warnings fail the check too (exit 1).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def check_cmd(directory: Path | None, vault_dir: Path | None, strict: bool, fmt: str) -> None:
    """Validate every note. Exit 0 clean, 1 problems, 2 usage or configuration error."""
    from backbrain.check import check_vault, format_text, summary_line
    from backbrain.core.vault import load_vault, locate_vault

    location = locate_vault(directory or vault_dir)
    report = check_vault(load_vault(location.root, read_only=location.read_only))
    if fmt == "json":
        click.echo(report.to_json())
    else:
        if report.problems:
            click.echo("\n".join(format_text(report)))  # one write: 10,000 echo calls cost 0.1 s
        click.echo(summary_line(report), err=bool(report.problems))
    sys.exit(EXIT_PROBLEMS if report.failed(strict) else EXIT_OK)


def _parse_where(pairs: tuple[str, ...]) -> list[tuple[str, str]]:
    parsed = []
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--where {pair!r}: expected FIELD=VALUE.", hint="For example: --where progress=completed")
        parsed.append((key.strip(), value.strip()))
    return parsed


@click.command("list")
@vault_option
@click.option("--type", "type_name", default=None, help="Only notes of this type.")
@click.option("--tag", default=None, help="Only notes with this tag.")
@click.option("--where", multiple=True, metavar="FIELD=VALUE", help="Only notes whose field has this value.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
def list_cmd(vault_dir: Path | None, type_name: str | None, tag: str | None, where: tuple[str, ...], fmt: str) -> None:
    """List notes, filtered by type, tag or any front matter field."""
    from backbrain.core.vault import open_vault
    from backbrain.listing import list_notes

    rows = list_notes(open_vault(vault_dir), type_name=type_name, tag=tag, where=_parse_where(where))
    if fmt == "json":
        click.echo(json.dumps({"notes": rows}, indent=2))
    elif fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["id", "type", "title", "path", "tags", "progress"])
        for row in rows:
            writer.writerow([row["id"], row["type"], row["title"], row["path"], " ".join(row["tags"]), row["progress"]])
        click.echo(buffer.getvalue(), nl=False)
    else:
        from backbrain.cli.views import print_note_table

        print_note_table(rows)


@click.command("show")
@click.argument("note_id", metavar="ID")
@vault_option
def show_cmd(note_id: str, vault_dir: Path | None) -> None:
    """Show a note in the terminal with its relations and backlinks."""
    from backbrain.cli.views import print_note
    from backbrain.core.vault import open_vault

    vault = open_vault(vault_dir)
    print_note(vault, vault.get(note_id))
