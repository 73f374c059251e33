"""Docs are tested: the command reference matches the commands, and every command is documented."""

from __future__ import annotations

from pathlib import Path

from backbrain.cli import COMMANDS
from backbrain.cli.reference import with_reference

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_cli_reference_is_current():
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert with_reference(text) == text, "regenerate with: python -m backbrain.cli.reference docs/cli.md"


def test_every_command_is_in_the_reference():
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    for name in COMMANDS:
        assert f"### `backbrain {name}`" in text


def test_readme_quick_start_is_the_two_commands():
    readme = (DOCS.parent / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    assert [line.split("#")[0].strip() for line in block.strip().splitlines()] == ["make run", "make test"]
