"""CLI for the note commands: init, new, check, list, show. Argument parsing and output only."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

import click

from backbrain.cli.options import vault_option
from backbrain.errors import EXIT_OK, EXIT_PROBLEMS, UsageError


@click.command("init")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--starter", is_flag=True, help="Copy the bundled starter knowledge base into it.")
def init_cmd(directory: Path, starter: bool) -> None:
    """Create a knowledge base in DIRECTORY, or adopt a folder that already holds notes (never overwrites
    or edits existing files: an existing folder only gains a commented backbrain.toml)."""
    from backbrain.doctor import adopt_folder, has_notes
    from backbrain.scaffold import init_vault

    if not starter and has_notes(directory):
        adoption = adopt_folder(directory)
        root = adoption.inspection.root
        if adoption.config_written:
            click.echo(f"Adopted {root}: wrote {adoption.config_written.name} (no note was changed).")
        else:
            click.echo(f"{root} already has a backbrain.toml; left as it was (no note was changed).")
        click.echo("\n".join(adoption.inspection.summary()))
        click.echo(f"Next: backbrain check --vault {directory}   or   backbrain build --vault {directory}")
        return
    result = init_vault(directory, starter=starter)
    click.echo(
        f"Knowledge base ready in {result.root} ({len(result.created)} files created"
        + (f", {len(result.kept)} existing files left as they were)" if result.kept else ")")
    )
    click.echo(f'Next: backbrain new pattern "My pattern" --vault {directory}')


@click.command("doctor")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@vault_option
def doctor_cmd(directory: Path | None, vault_dir: Path | None) -> None:
    """What a vault holds: notes by type, untyped notes, decision and attachment folders, top problems."""
    from backbrain.core.vault import locate_vault
    from backbrain.doctor import inspect_vault

    location = locate_vault(directory or vault_dir)
    found = inspect_vault(location.root)
    click.echo(
        f"Vault: {found.root}" + ("" if found.config_present else " (no backbrain.toml: `backbrain init` writes one)")
    )
    click.echo("\n".join(found.summary()))


@click.command("mv")
@click.argument("old")
@click.argument("new")
@vault_option
@click.option("--dry-run", is_flag=True, help="Print the change as a unified diff; write nothing.")
def mv_cmd(old: str, new: str, vault_dir: Path | None, dry_run: bool) -> None:
    """Rename or move note OLD (name, id or path) to NEW (a path; a folder keeps the file name) and rewrite
    every link to it: wikilinks with or without label or heading, embeds, Markdown links, relation fields.
    All files change or none do."""
    from backbrain.core.vault import load_vault, locate_vault
    from backbrain.rename import apply_edits, plan_move, unified_diff

    location = locate_vault(vault_dir)
    if not dry_run:
        location.require_writable("move a note")
    edits = plan_move(load_vault(location.root, read_only=location.read_only), old, new)
    if not edits:
        click.echo("Nothing to do: the note is already there.")
        return
    if dry_run:
        click.echo(unified_diff(edits), nl=False)
        return
    apply_edits(location.root, edits)
    moved = next(e for e in edits if e.old_text is None)
    rewritten = sum(1 for e in edits if e.old_text is not None and e.new_text is not None)
    click.echo(f"Moved to {moved.path}; links rewritten in {rewritten} other files.")


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
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@vault_option
@click.option("--strict", is_flag=True, help="Warnings fail the check too (exit 1).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def check_cmd(paths: tuple[Path, ...], vault_dir: Path | None, strict: bool, fmt: str) -> None:
    """Validate every note, or only PATHS (a vault folder, or note files and folders inside one).

    Given files (an editor, a pre-commit hook), only they are reported on, but their links are
    resolved against the whole vault they are in. Exit 0 clean, 1 problems, 2 usage error."""
    from backbrain.check import check_vault, format_text, summary_line
    from backbrain.core.vault import load_vault

    location, only = _check_targets(paths, vault_dir)
    report = check_vault(load_vault(location.root, read_only=location.read_only), only=only)
    if fmt == "json":
        click.echo(report.to_json())
    else:
        if report.problems:
            click.echo("\n".join(format_text(report)))  # one write: 10,000 echo calls cost 0.1 s
        click.echo(summary_line(report), err=bool(report.problems))
    sys.exit(EXIT_PROBLEMS if report.failed(strict) else EXIT_OK)


def _check_targets(paths: tuple[Path, ...], vault_dir: Path | None) -> tuple[Any, set[str] | None]:
    """The vault to load and the files to report on (None: all). One folder alone is the vault, as
    before; files, or folders inside a vault, are checked within the vault found above them."""
    from backbrain.core.location import CONFIG_FILE, locate_vault, scan_files

    if not paths:
        return locate_vault(vault_dir), None
    if len(paths) == 1 and paths[0].is_dir() and vault_dir is None:
        inside = any((folder / CONFIG_FILE).is_file() for folder in paths[0].resolve().parents)
        if (paths[0] / CONFIG_FILE).is_file() or not inside:
            return locate_vault(paths[0]), None
    first = paths[0].resolve()
    location = locate_vault(vault_dir, cwd=first if first.is_dir() else first.parent)
    only: set[str] = set()
    for path in paths:
        resolved = path.resolve()
        if not resolved.is_relative_to(location.root):
            raise UsageError(f"{path} is not inside the knowledge base {location.root}.",
                             hint="Pass --vault DIR for the vault the file belongs to.")  # fmt: skip
        rel = resolved.relative_to(location.root).as_posix()
        if resolved.is_dir():
            notes, _ = scan_files(location.root)
            only.update(r for _, r in notes if rel == "." or r.startswith(rel + "/"))
        else:
            only.add(rel)
    return location, only


@click.command("list")
@vault_option
@click.option("--type", "type_name", default=None, help="Only notes of this type.")
@click.option("--tag", default=None, help="Only notes with this tag.")
@click.option(
    "--where",
    multiple=True,
    metavar="FIELD OP VALUE",
    help="Only notes whose field matches. OP: = equals, != differs, < and > compare (numbers, dates, an enum's "
    "order: progress<completed), ~ is a case-insensitive regular expression search (a plain word matches as a "
    "substring). A list field matches when any item does. Repeat for AND. Example: --where status=draft",
)
@click.option("--sort", "sort", default=None, metavar="FIELD", help="Sort by this field; -FIELD for descending.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
def list_cmd(
    vault_dir: Path | None, type_name: str | None, tag: str | None, where: tuple[str, ...], sort: str | None, fmt: str
) -> None:
    """List notes, filtered by type, tag or any front matter field; the table fits the terminal."""
    from backbrain.core.vault import open_vault
    from backbrain.listing import did_you_mean, list_notes, parse_where

    vault = open_vault(vault_dir)
    if type_name is not None and type_name not in vault.config.types:
        raise UsageError(f"--type: no type '{type_name}'.{did_you_mean(type_name, vault.config.types)}",
                         hint=f"Types: {', '.join(vault.config.types)}.")  # fmt: skip
    rows = list_notes(vault, type_name=type_name, tag=tag, where=parse_where(vault, where), sort=sort)
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
    """Show a note with its relations and backlinks, through a pager when the output is a terminal
    ($BACKBRAIN_PAGER, then $PAGER, then `less -FRX`; set it to `cat` or empty for none)."""
    from backbrain.cli.pager import page
    from backbrain.cli.views import render_note
    from backbrain.core.vault import open_vault

    vault = open_vault(vault_dir)
    note = vault.get(note_id)
    page(lambda console: render_note(console, vault, note))
