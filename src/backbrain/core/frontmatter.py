"""Split a note into YAML front matter and body, safely.

Notes come from anywhere (other tools, copy-paste, attackers on a shared wiki), so loading must
never execute code (safe loader only), never blow up on alias bombs, and always say which line of
the file is wrong.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

try:  # the C loader is ~10x faster; fall back where libyaml is missing
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on the build of PyYAML
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

# An expanded front matter bigger than this is refused: a real note's front matter has tens of
# values; a "billion laughs" alias bomb has billions once expanded.
MAX_EXPANDED_NODES = 20_000
_DELIMITER = re.compile(r"^(---|\.\.\.)[ \t]*\r?$")
_KEY_LINE = re.compile(r"^([A-Za-z0-9_][\w-]*)[ \t]*:")


@dataclass
class FrontMatter:
    """Front matter of one note. `line` values are 1-based line numbers in the file."""

    data: dict[str, Any] = field(default_factory=dict)
    present: bool = False
    error: str | None = None
    error_line: int = 1
    body: str = ""
    body_line: int = 1  # line of the file where the body starts
    raw: str = ""  # the YAML text between the delimiters
    _key_lines: dict[str, int] | None = None

    def line_of(self, key: str) -> int:
        """The file line where a top-level key is set (computed on demand: only problems need it)."""
        if self._key_lines is None:
            self._key_lines = _key_lines(self.raw) if self.present else {}
        return self._key_lines.get(key, 1)


def split_front_matter(text: str) -> tuple[str | None, str, int, bool]:
    """Return (yaml_text or None, body, body_line, terminated).

    An unterminated block is reported rather than guessed at: the whole file is then its body.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    if not (text.startswith("---\n") or text.startswith("---\r\n") or text.rstrip("\r\n") == "---"):
        return None, text, 1, True
    lines = text.splitlines(keepends=True)
    for index in range(1, len(lines)):
        if _DELIMITER.match(lines[index].rstrip("\n")):
            yaml_text = "".join(lines[1:index])
            return yaml_text, "".join(lines[index + 1 :]), index + 2, True
    return "".join(lines[1:]), text, 1, False


def parse_front_matter(text: str) -> FrontMatter:
    yaml_text, body, body_line, terminated = split_front_matter(text)
    result = FrontMatter(body=body, body_line=body_line)
    if yaml_text is None:
        return result
    result.present = True
    result.raw = yaml_text
    if not terminated:
        result.error = "front matter is not closed: add a line with only '---' after it"
        return result
    try:
        loaded = yaml.load(yaml_text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        result.error = f"invalid YAML: {exc.problem or exc.context}"
        result.error_line = (mark.line + 2) if mark else 1
        return result
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        result.error = f"invalid YAML: {exc.__class__.__name__}"
        return result
    if loaded is None:
        return result
    if not isinstance(loaded, dict):
        result.error = f"front matter must be a mapping of keys to values, not a {type(loaded).__name__}"
        result.error_line = 2
        return result
    if "&" in yaml_text and _expanded_size(loaded) > MAX_EXPANDED_NODES:
        result.error = "front matter expands to too many values (YAML alias bomb?)"
        result.error_line = 2
        return result
    try:
        result.data = {str(key): _normalize(value) for key, value in loaded.items()}
    except RecursionError:
        result.error = "front matter is nested too deeply"
        result.error_line = 2
    return result


def _key_lines(yaml_text: str) -> dict[str, int]:
    lines: dict[str, int] = {}
    for offset, line in enumerate(yaml_text.splitlines()):
        match = _KEY_LINE.match(line)
        if match and match.group(1) not in lines:
            lines[match.group(1)] = offset + 2
    return lines


def _expanded_size(value: Any, budget: int = MAX_EXPANDED_NODES + 1) -> int:
    """Count nodes as if aliases were expanded, stopping early once past the budget."""
    count = 0
    stack = [value]
    while stack and count <= budget:
        item = stack.pop()
        count += 1
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return count


def _normalize(value: Any) -> Any:
    """Dates become ISO strings and keys become strings, so everything downstream is JSON-shaped."""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _normalize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalize(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", "replace")
    return value
