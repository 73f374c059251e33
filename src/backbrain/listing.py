"""Listing and filtering notes: the rows behind `backbrain list`, the site's indexes and exports.

`--where` conditions are parsed and validated here against what the vault actually has, so a typo
(`--where stauts=draft`, `--where progress=complete`) is an error with a did-you-mean instead of an
empty list that looks like an answer.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from backbrain.core.note import Note
from backbrain.core.schema import FieldSpec
from backbrain.core.vault import Vault
from backbrain.errors import UsageError

# Columns every note has, whatever its front matter says.
BUILTIN_FIELDS = ("id", "type", "title", "path", "progress", "phase", "tags")
OPERATORS = ("!=", "=", "<", ">", "~")
_CONDITION = re.compile(r"^\s*(?P<field>[^!<>=~\s]+)\s*(?P<op>!=|=|<|>|~)\s*(?P<value>.*?)\s*$")
# Fields whose values are checked against the values notes really have (a mistyped tag or status).
_OBSERVED_VALUE_FIELDS = ("tags", "status")


def note_row(note: Note) -> dict[str, Any]:
    return {
        "id": note.id,
        "type": note.type,
        "title": note.title,
        "path": note.rel,
        "tags": note.tags,
        "progress": note.progress,
    }


def field_value(note: Note, field: str) -> Any:
    """A field as `--where` and `--sort` see it: the built-in columns, else the front matter."""
    builtin = {
        "id": note.id, "type": note.type, "title": note.title, "path": note.rel, "progress": note.progress,
        "phase": note.phase, "tags": note.tags,
    }  # fmt: skip
    return builtin[field] if field in builtin else note.meta.get(field)


@dataclass(frozen=True)
class Condition:
    """One `--where FIELD OP VALUE`; `order` ranks an enum's values (progress<completed)."""

    field: str
    op: str
    value: str
    order: tuple[str, ...] = ()
    pattern: re.Pattern[str] | None = None

    def matches(self, note: Note) -> bool:
        value = field_value(note, self.field)
        items = value if isinstance(value, list) else [] if value is None else [value]
        hit = any(self._test(_text(item)) for item in items)
        return not any(_text(item) == self.value.lower() for item in items) if self.op == "!=" else hit

    def _test(self, text: str) -> bool:
        if self.op == "=":
            return text == self.value.lower()
        if self.op == "~":
            return self.pattern is not None and self.pattern.search(text) is not None
        left, right = _comparable(text, self.value.lower(), self.order)
        if left is None or right is None:
            return False
        return bool(left < right) if self.op == "<" else bool(left > right)


def _text(value: Any) -> str:
    return str(value).lower()


def _comparable(left: str, right: str, order: tuple[str, ...]) -> tuple[Any, Any]:
    """Enum values by their rank, numbers as numbers, everything else (ISO dates too) as text."""
    if order:
        return (order.index(left) if left in order else None), (order.index(right) if right in order else None)
    try:
        return float(left), float(right)
    except ValueError:
        return left, right


class FieldCatalog:
    """The fields and values a vault knows: the schema's, and whatever its notes' front matter uses."""

    def __init__(self, vault: Vault) -> None:
        self.vault = vault
        specs: dict[str, FieldSpec] = dict(vault.config.fields)
        for spec in vault.config.types.values():
            specs.update(spec.fields)
        self.specs = specs
        self.names = set(BUILTIN_FIELDS) | set(specs)
        for note in vault.notes.values():
            self.names.update(str(key) for key in note.meta)

    def require_field(self, field: str, option: str) -> None:
        if field not in self.names:
            raise UsageError(f"{option}: no field '{field}' in this vault.{did_you_mean(field, self.names)}",
                             hint=f"Fields: {', '.join(sorted(self.names))}.")  # fmt: skip

    def allowed_values(self, field: str) -> list[str] | None:
        """The closed set of values a field can have, or None when any value is fine."""
        config = self.vault.config
        if field == "type":
            return list(config.types)
        specs = [config.fields.get(field), *(t.fields.get(field) for t in config.types.values())]
        enum = [v for spec in specs if spec is not None and spec.kind == "enum" for v in spec.values]
        common = config.fields.get(field)
        free = (common is not None and common.kind != "enum") or not enum
        if not free:
            return list(dict.fromkeys(enum))
        if field not in _OBSERVED_VALUE_FIELDS:
            return None
        seen = {_text(v) for note in self.vault.notes.values() for v in _items(field_value(note, field))}
        if field == "status":
            seen |= {t.draft_status for t in config.types.values()}
        return sorted(seen | set(enum))

    def order(self, field: str) -> tuple[str, ...]:
        spec = self.vault.config.fields.get(field) or self.specs.get(field)
        return tuple(spec.values) if spec is not None and spec.kind == "enum" else ()


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def did_you_mean(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(word.lower(), sorted({str(c).lower() for c in choices}), n=1, cutoff=0.6)
    return f" Did you mean '{close[0]}'?" if close else ""


def parse_where(vault: Vault, conditions: tuple[str, ...] | list[str]) -> list[Condition]:
    """`--where` strings as validated conditions; UsageError names the bad part and what would work."""
    catalog = FieldCatalog(vault)
    parsed = []
    for raw in conditions:
        match = _CONDITION.match(raw)
        if match is None:
            raise UsageError(
                f"--where {raw!r}: expected FIELD OP VALUE with OP one of {' '.join(OPERATORS)}.",
                hint="For example: --where status=draft, --where progress!=completed, --where title~cache",
            )
        field, op, value = match["field"], match["op"], match["value"]
        catalog.require_field(field, "--where")
        pattern = None
        if op == "~":
            try:
                pattern = re.compile(value, re.IGNORECASE)
            except re.error as exc:
                raise UsageError(f"--where {raw!r}: not a valid regular expression ({exc}).",
                                 hint="Escape special characters with a backslash, e.g. \\(") from exc  # fmt: skip
        allowed = catalog.allowed_values(field)
        if allowed is not None and op in ("=", "!=", "<", ">") and value.lower() not in {a.lower() for a in allowed}:
            raise UsageError(
                f"--where {raw!r}: no note has {field} '{value}'.{did_you_mean(value, allowed)}",
                hint=f"Values of {field}: {', '.join(allowed[:30])}{' ...' if len(allowed) > 30 else ''}.",
            )
        parsed.append(Condition(field, op, value, catalog.order(field), pattern))
    return parsed


def sort_key(vault: Vault, spec: str) -> Callable[[Note], Any]:
    """`--sort FIELD` (or `-FIELD`, descending is applied by the caller): notes without it sort last."""
    field = spec.lstrip("-")
    catalog = FieldCatalog(vault)
    catalog.require_field(field, "--sort")
    order = catalog.order(field)

    def key(note: Note) -> Any:
        value = field_value(note, field)
        if value is None or value == [] or value == "":
            return (1, 0, "")
        text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        if order and text in order:
            return (0, order.index(text), "")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return (0, value, "")
        return (0, 0, text.lower())

    return key


def list_notes(
    vault: Vault,
    *,
    type_name: str | None = None,
    tag: str | None = None,
    where: list[Condition] | None = None,
    sort: str | None = None,
) -> list[dict[str, Any]]:
    selected = []
    for note in sorted(vault.notes.values(), key=lambda n: (n.type, n.rel)):
        if type_name and note.type != type_name:
            continue
        if tag and tag.lower().lstrip("#") not in note.tags:
            continue
        if where and not all(condition.matches(note) for condition in where):
            continue
        selected.append(note)
    if sort:
        key = sort_key(vault, sort)
        if sort.startswith("-"):  # descending, notes without the field still last
            present = [n for n in selected if key(n)[0] == 0]
            selected = sorted(present, key=key, reverse=True) + [n for n in selected if key(n)[0] == 1]
        else:
            selected.sort(key=key)
    return [note_row(note) for note in selected]
