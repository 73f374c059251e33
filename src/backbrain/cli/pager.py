"""Long output through a pager when it goes to a terminal, the way git does it.

The pager is $BACKBRAIN_PAGER, else $PAGER, else `less -FRX` (F: quit when it fits on one screen,
R: keep the colours, X: leave the text on screen afterwards). An empty value or `cat` means no
pager. Piped or redirected output never goes through one. The command runs through the shell, like
git's, so `PAGER="less -S"` works; if it cannot start, the text is written directly instead.
"""

from __future__ import annotations

import io
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable

from rich.console import Console

DEFAULT_PAGER = "less -FRX"
PAGER_VARIABLES = ("BACKBRAIN_PAGER", "PAGER")


def pager_command() -> str | None:
    """The pager to run, or None for none (an empty setting, `cat`, or no `less` installed)."""
    for name in PAGER_VARIABLES:
        value = os.environ.get(name)
        if value is not None:
            value = value.strip()
            return None if not value or value == "cat" else value
    return DEFAULT_PAGER if shutil.which("less") else None


def page(render: Callable[[Console], None]) -> None:
    """Call render(console) and show what it printed: through the pager on a terminal, else as is."""
    command = pager_command() if sys.stdout.isatty() else None
    if command is None:
        render(Console(highlight=False, soft_wrap=False))
        return
    width = shutil.get_terminal_size().columns
    buffer = io.StringIO()
    render(Console(file=buffer, force_terminal=True, width=width, highlight=False, soft_wrap=False))
    if not _run_pager(command, buffer.getvalue()):
        sys.stdout.write(buffer.getvalue())
        sys.stdout.flush()


def _run_pager(command: str, text: str) -> bool:
    """Feed text to the pager and wait for it; False when it could not be started."""
    env = dict(os.environ)
    env.setdefault("LESS", "FRX")  # as git does: a bare `less` in $PAGER still keeps colours
    env.setdefault("LV", "-c")
    try:
        process = subprocess.Popen(command, shell=True, stdin=subprocess.PIPE, env=env)
    except OSError:
        return False
    assert process.stdin is not None
    try:
        process.stdin.write(text.encode("utf-8", "replace"))
        process.stdin.close()
    except BrokenPipeError:  # the person quit the pager before reading everything
        pass
    try:
        status = process.wait()
    except KeyboardInterrupt:
        status = process.wait()
    return status != 127 or _executable(command)  # 127: the shell found no such command


def _executable(command: str) -> bool:
    try:
        first = shlex.split(command)[0]
    except (ValueError, IndexError):
        return False
    return shutil.which(first) is not None
