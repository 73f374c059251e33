"""Errors that the CLI turns into a message and an exit code instead of a traceback.

Exit codes (documented in docs/cli.md): 0 success or clean, 1 problems found, 2 usage or
configuration error, 3 refused write (read-only vault, file exists), 130 interrupted.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2
EXIT_REFUSED = 3
EXIT_INTERRUPTED = 130


class BackbrainError(Exception):
    """A failure the user can act on; the message names what went wrong and the next step."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


class UsageError(BackbrainError):
    """Bad arguments or parameters (exit 2)."""


class ConfigError(BackbrainError):
    """A backbrain.toml that cannot be used (exit 2); the message names the key."""


class NotFoundError(BackbrainError):
    """An id, file or name that does not exist (exit 2)."""


class RefusedError(BackbrainError):
    """A write we will not do: read-only vault, an existing file, a conflicting change (exit 3)."""

    exit_code = EXIT_REFUSED
