"""CLI for the editor integration: `backbrain lsp`, the language server on stdin/stdout."""

from __future__ import annotations

from pathlib import Path

import click

from backbrain.errors import UsageError

INSTALL_HINT = "Install the extra: pip install 'backbrain[lsp]' (in a checkout: pip install -e '.[lsp]')."


@click.command("lsp")
@click.option(
    "--vault",
    "vault_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The knowledge base folder (default: the nearest backbrain.toml at or above the editor's "
    "workspace folder, else that folder).",
)
@click.option("--stdio", is_flag=True, help="Speak the protocol on stdin/stdout (the default and only transport).")
def lsp_cmd(vault_dir: Path | None, stdio: bool) -> None:
    """Run the language server for editors (stdio): live check diagnostics, typed completion,
    go to definition, references, rename and quick fixes. See docs/editors.md."""
    try:
        from backbrain.lsp.server import main
    except ModuleNotFoundError as exc:
        package = (exc.name or "").split(".")[0]
        if package in ("pygls", "lsprotocol"):
            raise UsageError(f"`backbrain lsp` needs the optional package '{package}'.", hint=INSTALL_HINT) from exc
        raise
    if vault_dir is not None and not vault_dir.is_dir():
        raise UsageError(f"--vault: {vault_dir} is not a folder.", hint="Pass the folder that holds your notes.")
    main(vault_dir)
