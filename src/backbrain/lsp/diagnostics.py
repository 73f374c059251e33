"""Live diagnostics: `backbrain check`'s rule table run on the vault with the open buffers laid over it.

Nothing here decides what is wrong: `check.check_paths` does, for the open notes only, with the
cross-note rules (broken relations, supersede conflicts, orphans, duplicate ids) read from the graph
that `Vault.with_text` keeps current. This module only places each problem on its line (narrowed to
the link or value it names) and labels it with the rule's code and a link to its documentation.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

from lsprotocol import types

from backbrain.check import RULES, Problem, check_paths
from backbrain.lsp import cursor
from backbrain.lsp.session import Session
from backbrain.lsp.text import Text

SOURCE = "backbrain"
SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "info": types.DiagnosticSeverity.Information,
}
_LINK_RULES = {"BB201", "BB202", "BB203"}
_VALUE_RULES = {"BB204", "BB205", "BB401"}


@cache
def checks_doc_uri() -> str:
    """Where the rules are documented: docs/checks.md in the installed package, else in the source tree."""
    package = Path(__file__).resolve().parents[1]
    for candidate in (package / "docs" / "checks.md", package.parents[1] / "docs" / "checks.md"):
        if candidate.is_file():
            return candidate.as_uri()
    return "https://pypi.org/project/backbrain/"


def collect(session: Session, rels: list[str], today: dt.date | None = None) -> dict[str, list[types.Diagnostic]]:
    """Diagnostics for these open notes, as the vault is after the last sync."""
    found = check_paths(session.vault, rels, today)
    return {rel: [to_diagnostic(session.text_of(rel), p) for p in problems] for rel, problems in found.items()}


def to_diagnostic(text: Text, problem: Problem) -> types.Diagnostic:
    rule = RULES[problem.code]
    return types.Diagnostic(
        range=problem_range(text, problem),
        message=f"{rule.name}: {problem.message}",
        severity=SEVERITY[problem.severity],
        code=problem.code,
        code_description=types.CodeDescription(href=checks_doc_uri()),
        source=SOURCE,
    )


def problem_range(text: Text, problem: Problem) -> types.Range:
    """The problem's line, narrowed to the link or front matter value its message names."""
    line = max(problem.line - 1, 0)
    content = text.line(line)
    if problem.code in _LINK_RULES:
        for ref in cursor.links_on(content):
            if f"[[{ref.target}" in problem.message or f"'{ref.target}'" in problem.message:
                return text.range(line, ref.start, ref.end)
    if problem.code in _VALUE_RULES:
        for value in cursor.values_on(text, line):
            if f"'{value.value}'" in problem.message:
                return text.range(line, value.start, value.end)
    indent = len(content) - len(content.lstrip())
    return text.range(line, indent if indent < len(content) else 0)
