"""The command reference in docs/cli.md, generated from the commands' own help.

Docs that are generated from the code and tested against it cannot drift: tests/test_docs.py fails
when a command's help changes and docs/cli.md was not regenerated (`python -m backbrain.cli.reference`).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from backbrain.cli import COMMANDS, cli

START, END = "<!-- command-reference:start -->", "<!-- command-reference:end -->"
WIDTH = 100


def _help(command: click.Command, path: list[str], parent: click.Context | None) -> list[str]:
    ctx = click.Context(command, info_name=path[-1], parent=parent, terminal_width=WIDTH, max_content_width=WIDTH)
    title = " ".join(path)
    text = command.get_help(ctx).rstrip()
    blocks = [f"### `{title}`", "", "```text", text, "```", ""]
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None:
                blocks += _help(sub, [*path, name], ctx)
    return blocks


def reference() -> str:
    root = click.Context(cli, info_name="backbrain", terminal_width=WIDTH, max_content_width=WIDTH)
    lines: list[str] = []
    for name in sorted(COMMANDS):
        command = cli.get_command(root, name)
        if command is not None:
            lines += _help(command, ["backbrain", name], root)
    return "\n".join(lines).rstrip() + "\n"


def with_reference(document: str) -> str:
    block = f"{START}\n\n{reference()}\n{END}"
    if START in document:
        return re.sub(re.escape(START) + r".*?" + re.escape(END), lambda _: block, document, flags=re.DOTALL)
    return document.rstrip() + "\n\n## Command reference\n\nGenerated from each command's `--help`.\n\n" + block + "\n"


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/cli.md")
    path.write_text(with_reference(path.read_text(encoding="utf-8")), encoding="utf-8")


if __name__ == "__main__":
    main()
