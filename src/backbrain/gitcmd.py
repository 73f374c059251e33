"""Running git on a vault someone else may have written, without letting it run anything else.

A repository's `.git/config` and `.gitattributes` can name programs git runs on its own: a textconv
filter or an external diff for `git log -p`, an fsmonitor hook, a pager, a GPG program for signed
commits. A cloned vault could carry any of them, so every git command backbrain runs goes through
`run_git`: those settings are overridden on the command line (which beats every config file and
include), the system config is ignored, no pager, no prompts, no optional locks, and a timeout.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

# `-c key=value` on the command line wins over .git/config, ~/.gitconfig and their includes.
SAFE_CONFIG = (
    "core.fsmonitor=",
    "core.hooksPath=/dev/null",
    "core.pager=cat",
    "diff.external=",
    "log.showSignature=false",
    "gpg.program=false",
    "core.sshCommand=false",
    "protocol.allow=never",
)
_DROPPED_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_EXTERNAL_DIFF", "GIT_PAGER", "GIT_SSH", "GIT_SSH_COMMAND",
                "GIT_CONFIG", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT", "GIT_INDEX_FILE")  # fmt: skip


def git_command(root: Path, *args: str) -> list[str]:
    """The argv for `git ARGS` in `root` with every command-running setting switched off."""
    config = [item for pair in SAFE_CONFIG for item in ("-c", pair)]
    return ["git", "--no-pager", *config, "-C", str(root), *args]


def git_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in _DROPPED_ENV}
    env.update({"GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0",
                "GIT_PAGER": "cat", "PAGER": "cat", "LC_ALL": "C"})  # fmt: skip
    return env


def run_git(root: Path, *args: str, timeout: float = 15.0) -> bytes | None:
    """stdout of `git ARGS` in `root`, or None when git is missing, fails or runs out of time.

    For `log`/`diff`/`show` pass `--no-textconv --no-ext-diff` too (textconv is per-command)."""
    try:
        done = subprocess.run(
            git_command(root, *args), capture_output=True, timeout=timeout, check=False, env=git_env(),
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None
