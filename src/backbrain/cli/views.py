"""Terminal views with Rich. Presentation only: it reads the vault model and prints."""

from __future__ import annotations

import re
from typing import Any

from rich.console import Console, Group
from rich.markdown import Markdown
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from backbrain.core.note import Note
from backbrain.core.schema import relation_title
from backbrain.core.text import WIKILINK
from backbrain.core.vault import Vault

# Code (fenced blocks, inline spans) is kept as written; a wikilink anywhere else shows as a title.
_CODE = r"(?P<code>^(?P<fence>```+|~~~+)[^\n]*\n.*?^(?P=fence)[ \t]*$|`[^`\n]+`)"
_CODE_OR_LINK = re.compile(_CODE + "|" + WIKILINK.pattern, re.MULTILINE | re.DOTALL)
_TITLE_MIN = 16  # narrower than this, the tags and then the progress columns make room for titles
_TAGS_MIN = 10


def console() -> Console:
    return Console(highlight=False, soft_wrap=False)


def print_note_table(rows: list[dict[str, Any]], out: Console | None = None) -> None:
    """The notes as a table that fits the terminal (80 columns when piped): ids are never cut or
    wrapped, titles and tags are truncated with an ellipsis, and narrow terminals drop tags first."""
    out = out or console()
    widths = {"id": 2, "type": 4, "progress": 8}
    for row in rows:
        for column in widths:
            widths[column] = max(widths[column], len(row[column]))
    shown = ["id", "type", "title", "progress", "tags"]

    def title_room() -> int:
        fixed = sum(widths[c] for c in shown if c in widths) + 2 * (len(shown) - 1)
        return out.width - fixed - (_TAGS_MIN if "tags" in shown else 0)

    for optional in ("tags", "progress", "type"):
        if title_room() >= _TITLE_MIN:
            break
        shown.remove(optional)
    longest = max((len(row["title"]) for row in rows), default=5)
    widths["title"] = max(3, min(title_room(), longest))
    widths["tags"] = max(_TAGS_MIN, title_room() + _TAGS_MIN - widths["title"])
    table = Table(box=None, padding=(0, 1), pad_edge=False, header_style="bold", show_edge=False)
    for column in shown:
        table.add_column(column, no_wrap=True, overflow="ellipsis", width=widths[column])
    for row in rows:
        values = {**row, "tags": ", ".join(row["tags"])}
        table.add_row(*(values[column] for column in shown))
    out.print(table)
    out.print(f"{len(rows)} notes")


def links_as_titles(vault: Vault, note: Note, markdown: str) -> str:
    """The Markdown with each [[link]] written as what a reader wants: its label, else the linked
    note's title (with the heading after a #); code is left exactly as it is."""

    def replace(match: re.Match[str]) -> str:
        if match.group("code"):
            return match.group(0)
        target, anchor, label = match.group(3) or "", match.group(4), match.group(5)
        if label:
            return label.strip()
        found = vault.resolve(target, note) if target.strip() else note
        name = found.title if found is not None else target.strip()
        heading = (anchor or "").lstrip("#").lstrip("^")
        return f"{name} › {heading}" if heading and target.strip() else heading or name

    return _CODE_OR_LINK.sub(replace, markdown)


def print_note(vault: Vault, note: Note) -> None:
    render_note(console(), vault, note)


def render_note(out: Console, vault: Vault, note: Note) -> None:
    """A note for the terminal: a header panel, the body with links as titles, relations, backlinks."""
    header = Text(note.title, style="bold")
    header.append(f"  [{note.type}]  {note.id}", style="dim")
    facts = [f"progress: {note.progress}"] + ([f"phase: {note.phase}"] if note.phase else [])
    status = note.meta.get("status")
    if isinstance(status, str) and status:
        facts.insert(0, f"status: {status}")
    if note.tags:
        facts.append("tags: " + ", ".join(note.tags))
    out.print(
        Panel(
            Group(header, Text(note.summary or "", style="italic"), Text("  ".join(facts), style="dim")),
            subtitle=note.rel,
        )
    )
    out.print(Markdown(links_as_titles(vault, note, note.body), code_theme="ansi_dark"))
    relations = vault.relations(note.id)
    if relations:
        table = Table.grid(padding=(0, 2))
        for label, ids in relations.items():
            names = ", ".join(f"{vault.notes[i].title} ({i})" for i in ids if i in vault.notes)
            table.add_row(Text(relation_title(label), style="bold"), names)
        out.print(Panel(table, title="Relations"))
    backlinks = vault.backlinks(note.id)
    if backlinks:
        table = Table.grid(padding=(0, 2))
        for link in backlinks:
            source = vault.notes.get(link.source)
            context = links_as_titles(vault, source, link.context) if source is not None else link.context
            table.add_row(Text(link.source, style="bold"), Text(context, overflow="fold"))
        out.print(Panel(table, title=f"Backlinks ({len(backlinks)})"))
