"""Terminal views with Rich. Presentation only: it reads the vault model and prints."""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.markdown import Markdown
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from backbrain.core.note import Note
from backbrain.core.vault import Vault

RELATION_TITLES = {
    "mitigates": "Mitigates",
    "mitigated-by": "Mitigated by",
    "uses": "Uses",
    "used-by": "Used by",
    "risks": "Risks",
    "risked-by": "Risked by",
    "affects": "Affects",
    "affected-by": "Affected by",
    "supersedes": "Supersedes",
    "superseded-by": "Superseded by",
    "related": "Related",
}


def console() -> Console:
    return Console(highlight=False, soft_wrap=False)


def print_note_table(rows: list[dict[str, Any]]) -> None:
    table = Table(show_lines=False, header_style="bold")
    for column in ("id", "type", "title", "progress", "tags"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(row["id"], row["type"], row["title"], row["progress"], ", ".join(row["tags"]))
    out = console()
    out.print(table)
    out.print(f"{len(rows)} notes")


def print_note(vault: Vault, note: Note) -> None:
    out = console()
    header = Text(note.title, style="bold")
    header.append(f"  [{note.type}]  {note.id}", style="dim")
    facts = [f"progress: {note.progress}"] + ([f"phase: {note.phase}"] if note.phase else [])
    if note.tags:
        facts.append("tags: " + ", ".join(note.tags))
    out.print(
        Panel(
            Group(header, Text(note.summary or "", style="italic"), Text("  ".join(facts), style="dim")),
            subtitle=note.rel,
        )
    )
    out.print(Markdown(note.body, code_theme="ansi_dark"))
    relations = vault.relations(note.id)
    if relations:
        table = Table.grid(padding=(0, 2))
        for label, ids in relations.items():
            names = ", ".join(f"{vault.notes[i].title} ({i})" for i in ids if i in vault.notes)
            table.add_row(Text(RELATION_TITLES.get(label, label), style="bold"), names)
        out.print(Panel(table, title="Relations"))
    backlinks = vault.backlinks(note.id)
    if backlinks:
        table = Table.grid(padding=(0, 2))
        for link in backlinks:
            table.add_row(Text(link.source, style="bold"), Text(link.context, overflow="fold"))
        out.print(Panel(table, title=f"Backlinks ({len(backlinks)})"))
