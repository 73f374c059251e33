"""CLI for the site: `build` publishes a static site, `serve` keeps it live on localhost. Parsing and output only."""

from __future__ import annotations

from pathlib import Path

import click

from backbrain.cli.options import vault_option


@click.command("build")
@vault_option
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder (default: VAULT/.backbrain/site; for the read-only starter, your user cache folder).",
)
@click.option("--clean", is_flag=True, help="Ignore the build cache and render every page again.")
def build_cmd(vault_dir: Path | None, out: Path | None, clean: bool) -> None:
    """Publish the knowledge base as a static website (only changed pages are rewritten)."""
    from backbrain.core.vault import locate_vault
    from backbrain.site import SiteBuilder, site_paths

    location = locate_vault(vault_dir)
    output, cache = site_paths(location.root, location.read_only, out)
    report = SiteBuilder(location.root, output, cache, read_only=location.read_only).build(clean=clean)
    kind = "full build" if report.full else "incremental build"
    click.echo(
        f"Built {report.pages} pages into {report.out} in {report.seconds:.2f} s "
        f"({kind}: {report.rendered} rendered, {len(report.written)} files written, {len(report.removed)} removed)."
    )
    click.echo(f"{report.notes} notes found, {report.note_pages} pages written.")
    if report.note_pages != report.notes:  # never expected: every note file has a page
        click.echo(f"Warning: {report.notes - report.note_pages} notes have no page.", err=True)
    click.echo(f"Open {report.out / 'index.html'} or host the folder on any static web server.")


@click.command("serve")
@vault_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind (loopback by default).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--allow-host", "allow_hosts", multiple=True, metavar="NAME",
              help="A host name clients may use to reach the server (repeatable; loopback always works).")  # fmt: skip
def serve_cmd(vault_dir: Path | None, host: str, port: int, allow_hosts: tuple[str, ...]) -> None:
    """Serve the site on localhost, rebuilding and reloading open pages as you edit notes."""
    from backbrain.core.vault import locate_vault
    from backbrain.web.live import serve
    from backbrain.web.security import LOOPBACK, allowed_hosts

    if host not in LOOPBACK:
        names = ", ".join(name for name in allowed_hosts(host, allow_hosts) if name not in LOOPBACK) or "none"
        click.echo(
            f"Warning: binding {host} exposes your notes to other machines on the network, and the server has no "
            f"authentication: anyone who can reach it can read every note and change progress and reviews. "
            f"Only these host names are answered besides loopback: {names} (add more with --allow-host NAME).",
            err=True,
        )
    location = locate_vault(vault_dir)
    serve(location.root, location.read_only, host, port, allow_hosts)
