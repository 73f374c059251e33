"""The command line: a thin layer that parses arguments and calls one core function per command.

Subcommands live in sibling modules and are imported only when invoked, so `backbrain --version`
and `backbrain check` do not pay for the web server, the simulator or the plotting stack.
"""

from __future__ import annotations

import errno
import importlib
import sys
from typing import Any

import click

from backbrain import __version__
from backbrain.errors import EXIT_INTERRUPTED, EXIT_REFUSED, EXIT_USAGE, BackbrainError

# command name -> "module:attribute" (a click.Command); the help text is listed without importing.
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("backbrain.cli.notes:init_cmd", "Create a new knowledge base (optionally from the starter)."),
    "doctor": ("backbrain.cli.notes:doctor_cmd", "Summarise a vault: notes by type, folders, top problems."),
    "mv": ("backbrain.cli.notes:mv_cmd", "Rename or move a note and rewrite every link to it."),
    "new": ("backbrain.cli.notes:new_cmd", "Scaffold a note of a type with every required section."),
    "check": ("backbrain.cli.notes:check_cmd", "Validate notes against their type schemas and links."),
    "list": ("backbrain.cli.notes:list_cmd", "List notes, filtered by type, tag or field."),
    "show": ("backbrain.cli.notes:show_cmd", "Show a note in the terminal with its relations."),
    "search": ("backbrain.cli.search:search_cmd", "Search the knowledge base (symptoms, names, questions)."),
    "related": ("backbrain.cli.search:related_cmd", "List the notes most like one note."),
    "build": ("backbrain.cli.site:build_cmd", "Publish the knowledge base as a static site."),
    "serve": ("backbrain.cli.site:serve_cmd", "Serve the site live on localhost while you edit."),
    "progress": ("backbrain.cli.learn:progress_cmd", "Learning progress by roadmap area and type."),
    "review": ("backbrain.cli.learn:review_cmd", "Spaced-repetition review of your notes (FSRS)."),
    "playbook": ("backbrain.cli.learn:playbook_cmd", "Run a playbook step by step against the clock."),
    "drill": ("backbrain.cli.learn:drill_cmd", "A timed system design drill with a reference answer."),
    "decision": ("backbrain.cli.learn:decision_cmd", "Record, accept and supersede decisions (ADRs)."),
    "lab": ("backbrain.cli.labs:lab_cmd", "Run failure-mode simulations and see mitigations work."),
    "lsp": ("backbrain.cli.lsp:lsp_cmd", "Language server for editors: live checks, typed completion, rename."),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target[0].split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("backbrain.cli"):
                return None  # a command whose module has not been built yet
            raise
        command: click.Command = getattr(module, attr)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, help_text) for name, (_, help_text) in sorted(COMMANDS.items())]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="backbrain")
def cli() -> None:
    """backbrain: a backend engineering second brain that runs.

    Exit codes: 0 ok, 1 problems found, 2 usage or configuration error, 3 refused write.
    """


def _finish_interrupted_update(argv: list[str]) -> None:
    """A change killed half way (a `mv`, a `progress set`, a supersede: see backbrain.vaultlock) is
    finished before the next command reads the vault, and the person is told."""
    import os

    from backbrain.core.location import locate_vault
    from backbrain.vaultlock import INTENT_FILE, STATE_DIR, recover

    explicit = next((arg.split("=", 1)[1] for arg in argv if arg.startswith("--vault=")), None)
    if explicit is None and "--vault" in argv[:-1]:
        explicit = argv[argv.index("--vault") + 1]
    try:
        location = locate_vault(explicit)
    except (BackbrainError, OSError):
        return  # the command itself reports a bad --vault or a vanished working folder
    if location.read_only or not os.path.lexists(os.path.join(location.root, STATE_DIR, INTENT_FILE)):
        return
    finished = recover(location.root)
    if finished:
        click.echo(f"Finished an interrupted change ({finished} files).", err=True)


def main(argv: list[str] | None = None) -> Any:
    """Entry point: every BackbrainError becomes a one-paragraph message and its exit code."""
    try:
        _finish_interrupted_update(sys.argv[1:] if argv is None else argv)
        return cli.main(args=argv, prog_name="backbrain", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("Interrupted.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except BackbrainError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:
        sys.exit(0)
    except OSError as exc:
        click.echo(f"Error: {os_error_message(exc)}", err=True)
        sys.exit(EXIT_REFUSED)
    except RecursionError:
        click.echo("Error: the input is nested too deeply to read.\n  hint: Simplify the file (backbrain.toml, "
                   "front matter) named by the last command.", err=True)  # fmt: skip
        sys.exit(EXIT_USAGE)


_OS_HINTS = {
    errno.ENOSPC: "The disk is full: free some space, then run the command again.",
    errno.EDQUOT: "Your disk quota is used up: free some space, then run the command again.",
    errno.EACCES: "You lack permission there: check the file's owner and mode (ls -l), or choose another path.",
    errno.EPERM: "The system refused the change (an immutable or protected file?): check `lsattr`, or choose "
    "another path.",
    errno.EROFS: "That file system is read-only: choose a writable path.",
    errno.ENOTDIR: "A part of that path is a file, not a folder: choose a path whose folders exist.",
    errno.EISDIR: "That path is a folder where a file was expected: remove or rename it.",
    errno.ENOENT: "It does not exist: check the path.",
    errno.EINVAL: "That is not a regular file (a FIFO, device or socket?): replace it with a normal file.",
    errno.ENAMETOOLONG: "The name is too long for the file system: use a shorter title or path.",
    errno.ELOOP: "The path goes through a symlink loop: fix or remove the symlink.",
}


def os_error_message(exc: OSError) -> str:
    """One line naming the path and what happened, plus what to do: never a traceback."""
    where = exc.filename if exc.filename is not None else "a file"
    if exc.filename2 is not None:
        where = f"{where} -> {exc.filename2}"
    what = exc.strerror or str(exc) or type(exc).__name__
    hint = _OS_HINTS.get(exc.errno or 0, "Check the path and its permissions, then run the command again.")
    return f"{where}: {what}.\n  hint: {hint}"
