"""Decision records written for other tools (MADR 2/3/4, Nygard's adr-tools, log4brains) read as decisions.

Those records keep their metadata in different places: MADR 3 and 4 in front matter (`status`, `date`,
`deciders` or `decision-makers`), MADR 2 and log4brains in a bullet list under the title
(`* Status: accepted`), adr-tools in a `Date:` line and a `## Status` section. Supersession is a line
("Superseded by [3. Use an event log](0003-use-an-event-log.md)", "Supersedes [ADR-0001](...)") or a
status such as `superseded by ADR-0003`. This module reads all of them into the fields and relations
backbrain's own decisions use, so the records work unchanged: nothing here writes a file, and a value
written in front matter always wins over one read from the body.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

if TYPE_CHECKING:
    from backbrain.core.note import Note

# Where ADR tools put records (adr-tools: doc/adr; MADR: docs/decisions; log4brains: docs/adr).
ADR_FOLDERS = ("doc/adr", "docs/adr", "docs/decisions", "decisions", "adr")
# Files in an ADR folder that are not records: its index, and the template new records are copied from.
NOT_RECORDS = frozenset({"readme", "index", "_index", "template", "adr-template", "0000-template"})
STATUSES = ("proposed", "accepted", "rejected", "deprecated", "superseded", "draft")

_META_LINE = re.compile(
    r"^[ \t]*(?:[-*+][ \t]+)?(?:\*\*|__)?(status|date|deciders|decision-makers)(?:\*\*|__)?[ \t]*:[ \t]*"
    r"(?:\*\*|__)?[ \t]*(.+?)[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
_SUPERSEDE = re.compile(r"^[ \t>]*(?:[-*+][ \t]+)?\W*(superseded by|supersedes)\b(.*)$", re.IGNORECASE)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NUMBER = re.compile(r"^(?:adr)?[ \t#_-]*0*(\d+)\b", re.IGNORECASE)
_H2 = re.compile(r"^##[ \t]", re.MULTILINE)
_LINK_TARGET = re.compile(r"\]\(([^)#\s]+)|\[\[([^\]|#]+)")


def is_record_name(rel: str) -> bool:
    """False for an ADR folder's README, index or template, which sit beside the records."""
    stem = posixpath.basename(rel).rsplit(".", 1)[0].lower()
    return stem not in NOT_RECORDS


def read_record(note: Note) -> None:
    """Fill a decision's missing `title`, `status`, `date`, `deciders`, `supersedes` and `superseded-by`
    from the forms other ADR tools write (called while the note is parsed, before anyone sees it)."""
    meta = note.meta
    preamble = note.body[: m.start()] if (m := _H2.search(note.body)) else note.body
    written = _meta_lines(preamble)
    if not _text(meta.get("title")) and note.h1:
        meta["title"] = note.h1
    status = _text(meta.get("status")) or written.get("status") or _status_section(note)
    if status:
        meta["status"] = normalize_status(status)
    date = _text(meta.get("date")) or written.get("date", "")
    found_date = _ISO_DATE.search(date)
    if found_date and not isinstance(meta.get("date"), str):
        meta["date"] = found_date.group(0)
    if "deciders" not in meta:
        deciders = (
            meta.get("decision-makers")
            or _split(written.get("deciders", ""))
            or _split(written.get("decision-makers", ""))
        )
        if deciders:
            meta["deciders"] = deciders
    for key, targets in _supersede_lines(note, status).items():
        known = meta.get(key)
        values = known if isinstance(known, list) else [known] if isinstance(known, str) else []
        meta[key] = list(dict.fromkeys([*values, *targets]))


def normalize_status(text: str) -> str:
    """`Accepted`, `**accepted**`, `superseded by ADR-0003`, `Superseded by [3. X](0003-x.md)` -> the
    status word; anything else is kept (lowercased) for check to report."""
    word = text.strip().strip("*_`[]").strip().lower()
    for status in STATUSES:
        if word.startswith(status):
            return status
    return word


def numbered(value: str, source_rel: str, rels: Iterable[str]) -> str | None:
    """The record a bare number names (`ADR-0003`, `0003`, `#3`) in the source's own folder, if exactly one."""
    match = _NUMBER.match(value.strip())
    if match is None:
        return None
    wanted, folder = int(match.group(1)), posixpath.dirname(source_rel)
    found = []
    for rel in rels:
        number = re.match(r"^0*(\d+)[-_ ]", posixpath.basename(rel))
        if number and int(number.group(1)) == wanted and posixpath.dirname(rel) == folder:
            found.append(rel)
    return found[0] if len(found) == 1 else None


def _meta_lines(preamble: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for match in _META_LINE.finditer(preamble):
        found.setdefault(match.group(1).lower(), match.group(2).strip())
    return found


def _status_section(note: Note) -> str:
    """Nygard's `## Status` section: its first line of text."""
    section = note.section("Status")
    if section is None:
        return ""
    return next((line.strip() for line in section.text.splitlines() if line.strip()), "")


def _supersede_lines(note: Note, status: str) -> dict[str, list[str]]:
    """Targets of "Superseded by ..." and "Supersedes ..." lines: the links on them, else a record number."""
    found: dict[str, list[str]] = {}
    links_by_line: dict[int, list[str]] = {}
    for link in note.links:
        links_by_line.setdefault(link.line, []).append(link.target)
    for index, line in enumerate(note.body.splitlines()):
        match = _SUPERSEDE.match(line)
        if match is None:
            continue
        key = "superseded-by" if match.group(1).lower() == "superseded by" else "supersedes"
        targets = links_by_line.get(note.body_line + index) or _bare_number(match.group(2))
        found.setdefault(key, []).extend(targets)
    if status.lower().startswith("superseded by") and "superseded-by" not in found:
        rest = status[len("superseded by") :]
        linked = [unquote(md or wiki).strip() for md, wiki in _LINK_TARGET.findall(rest)]
        found["superseded-by"] = linked or _bare_number(rest)
    return {key: values for key, values in found.items() if values}


def _bare_number(text: str) -> list[str]:
    match = _NUMBER.match(text.strip().strip("*_`:"))
    return [text.strip().strip("*_`:").split()[0]] if match else []


def _split(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,;]", text) if part.strip()]


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if value is not None and not isinstance(value, (list, dict, bool)):
        return str(value)
    return ""
