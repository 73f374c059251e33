"""Options shared by several commands, defined once so their spelling and help never drift."""

from __future__ import annotations

from pathlib import Path

import click

vault_option = click.option(
    "--vault",
    "vault_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The knowledge base folder (default: $BACKBRAIN_VAULT, a backbrain.toml above here, or the starter).",
)
