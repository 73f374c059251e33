"""`backbrain check`: every problem in a vault, each with path, line, a stable code and a severity.

Like mkdocs' validators, every rule runs over every note and all problems are collected; nothing
stops at the first one. The rules live in one table (RULES) that docs/checks.md is tested against.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any, Literal

from backbrain.core.note import Note, is_valid_id, normalize_heading
from backbrain.core.resolver import path_to_write
from backbrain.core.schema import MAX_TAGS_PER_NOTE, PLAIN_NOTE, RELATIONS, required_sections
from backbrain.core.vault import Vault, is_attachment

Severity = Literal["error", "warning", "info"]
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ][\d:.+\-Z]*)?$")


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    doc: str
    # The severity in a draft (`status: draft`, a proposed decision): a note just created with
    # `backbrain new` has empty sections, and must not fail the pre-commit hook until it is finished.
    draft: Severity | None = None

    @property
    def draft_severity(self) -> Severity:
        return self.draft or self.severity


RULES: dict[str, Rule] = {
    rule.code: rule
    for rule in (
        Rule("BB001", "not-text", "error", "The file is not UTF-8 text (binary data or another encoding)."),
        Rule(
            "BB002",
            "invalid-front-matter",
            "error",
            "The front matter is not valid YAML, not a mapping, not closed, or an alias bomb.",
        ),
        Rule("BB003", "missing-front-matter", "error", "A note in a typed folder has no front matter."),
        Rule("BB004", "unknown-type", "error", "The `type:` names no built-in or configured entry type."),
        Rule("BB005", "missing-field", "error", "A field the note's type requires is missing or empty.", "warning"),
        Rule("BB006", "invalid-value", "error", "A field's value is not one of the allowed values."),
        Rule("BB007", "invalid-date", "error", "A date field is not an ISO 8601 date (YYYY-MM-DD)."),
        Rule("BB008", "invalid-field-type", "error", "A field has the wrong shape (e.g. a string where a list goes)."),
        Rule("BB009", "invalid-id", "warning", "An explicit `id:` is not lowercase-kebab-case."),
        Rule(
            "BB010", "too-many-tags", "error", f"More than {MAX_TAGS_PER_NOTE} tags; only the first ones are published."
        ),
        Rule("BB101", "missing-section", "error", "A section the note's type requires is missing."),
        Rule("BB102", "empty-section", "error", "A required section has a heading but no content.", "warning"),
        Rule("BB103", "missing-subsection", "error", "A required H3 inside a required section is missing.", "warning"),
        Rule("BB104", "steps-not-tasks", "warning", "A section that must be a checklist has no `- [ ]` items."),
        Rule("BB201", "broken-link", "error", "A wikilink names no note (by id, alias, title or path)."),
        Rule("BB202", "broken-anchor", "warning", "A `[[note#Heading]]` or `[[note#^block]]` names no heading there."),
        Rule("BB203", "missing-attachment", "error", "An embed `![[file.png]]` names no file in the vault."),
        Rule("BB204", "broken-relation", "error", "A typed relation names no note."),
        Rule("BB205", "wrong-relation-type", "error", "A typed relation connects notes of the wrong types."),
        Rule("BB206", "ambiguous-link", "warning", "Several notes match a link equally well; it uses the first."),
        Rule("BB301", "duplicate-id", "error", "Two notes have the same id."),
        Rule("BB302", "duplicate-alias", "error", "An alias is another note's id or alias."),
        Rule(
            "BB303",
            "alias-hides-title",
            "warning",
            "An alias is another note's title, so links by that name go to the alias's note instead.",
        ),
        Rule(
            "BB401", "supersede-conflict", "error", "Supersedes and superseded-by disagree on a decision's successor."
        ),
        Rule("BB402", "missing-successor", "error", "A decision with status superseded names no successor."),
        Rule("BB403", "superseded-status", "warning", "A decision that has a successor is not marked superseded."),
        Rule("BB404", "supersede-cycle", "error", "Decisions supersede each other in a cycle."),
        Rule("BB501", "orphan", "warning", "Nothing links to the note and it links to nothing."),
        Rule("BB502", "stale", "info", "`reviewed` is older than the configured staleness (check.staleness_days)."),
    )
}
_BY_NAME = {rule.name: rule for rule in RULES.values()}


@dataclass
class Problem:
    path: str
    line: int
    code: str
    severity: Severity
    message: str

    @property
    def name(self) -> str:
        return RULES[self.code].name


@dataclass
class CheckReport:
    notes: int
    problems: list[Problem]

    def count(self, severity: Severity) -> int:
        return sum(1 for p in self.problems if p.severity == severity)

    def failed(self, strict: bool) -> bool:
        return self.count("error") > 0 or (strict and self.count("warning") > 0)

    def to_json(self) -> str:
        return json.dumps({"notes": self.notes, "problems": [asdict(p) for p in self.problems]}, indent=2)


def problem(note: Note, line: int, name: str, message: str, *, draft: bool = False) -> Problem:
    """A finding of rule `name`; `draft` (the note is a draft) applies the rule's draft severity."""
    rule = _BY_NAME[name]
    if draft and rule.draft is not None:
        message += " (A draft: finish it before it leaves draft status.)"
        return Problem(note.rel, line, rule.code, rule.draft, message)
    return Problem(note.rel, line, rule.code, rule.severity, message)


def check_vault(vault: Vault, today: dt.date | None = None, *, only: set[str] | None = None) -> CheckReport:
    """Run every rule over every note; problems sorted by path, then line.

    `only` (vault-relative paths) reports on those files alone, for an editor or a pre-commit hook
    that passes the files it changed; links and duplicates are still judged against the whole vault."""
    problems: list[Problem] = []
    files = [note for note in vault.files if only is None or note.rel in only]
    for note in files:
        problems.extend(check_note(vault, note, today or dt.date.today()))
    problems.extend(_vault_problems(vault))
    kept = [p for p in _kept(vault, problems) if only is None or p.path in only]
    return CheckReport(len(files), kept)


def check_paths(vault: Vault, rels: Iterable[str], today: dt.date | None = None) -> dict[str, list[Problem]]:
    """What `check_vault(only=rels)` reports, by path, with the cross-note rules' work limited to these notes.

    What an editor needs after one note changed: the rules of the notes it shows, including the
    cross-note ones (a broken relation, a supersede conflict, a duplicate id) found from the vault's
    graph, which a one-note edit keeps up to date (`Vault.with_text`). Unknown paths map to [].
    """
    wanted: dict[str, list[Problem]] = {rel: [] for rel in rels}
    notes = [note for note in vault.files if note.rel in wanted]
    for note in notes:
        wanted[note.rel].extend(check_note(vault, note, today or dt.date.today()))
    for found in _vault_problems(vault, notes):
        if found.path in wanted:
            wanted[found.path].append(found)
    return {rel: _kept(vault, problems) for rel, problems in wanted.items()}


def _vault_problems(vault: Vault, notes: list[Note] | None = None) -> Iterator[Problem]:
    """The cross-note rules; with `notes`, only what they can report on those notes (less work, not less
    checking: the graph they are judged against is still the whole vault's)."""
    yield from _duplicates(vault, notes)
    yield from _supersede_problems(vault)
    yield from _relation_problems(vault, None if notes is None else {note.id for note in notes})
    yield from _ambiguous_links(vault)


def _kept(vault: Vault, problems: list[Problem]) -> list[Problem]:
    """Problems minus the rules backbrain.toml ignores, sorted by path, then line."""
    ignored = set(vault.config.check.ignore)
    kept = [p for p in problems if p.code not in ignored and p.name not in ignored]
    kept.sort(key=lambda p: (p.path, p.line, p.code))
    return kept


def check_note(vault: Vault, note: Note, today: dt.date) -> Iterator[Problem]:
    if note.decode_error:
        yield problem(note, 1, "not-text", f"{note.decode_error}. Save it as UTF-8 text or move it out of the vault.")
        return
    if note.front.error:
        yield problem(note, note.front.error_line, "invalid-front-matter", f"{note.front.error}.")
    for validator in _NOTE_VALIDATORS:
        yield from validator(vault, note, today)


def _type_problems(vault: Vault, note: Note, today: dt.date) -> Iterator[Problem]:
    typed_folder = vault.config.type_for_folder(note.rel)
    if not note.front.present and typed_folder and not note.meta.get("title"):  # (an ADR's title is its H1)
        yield problem(
            note,
            1,
            "missing-front-matter",
            f"No front matter; notes in this folder are '{typed_folder}' and need at least a title. "
            f'Scaffold one with `backbrain new {typed_folder} "Title"`.',
        )
    if note.type not in vault.config.types:
        known = ", ".join(sorted(vault.config.types))
        yield problem(
            note,
            note.front.line_of("type"),
            "unknown-type",
            f"Unknown type '{note.type}'. Known types: {known} (add more in backbrain.toml).",
        )


def _field_problems(vault: Vault, note: Note, today: dt.date) -> Iterator[Problem]:
    spec = vault.config.types.get(note.type)
    if spec is None or note.front.error:
        return
    draft = vault.config.is_draft(note.type, note.meta.get("status"))
    if note.front.present or note.type != PLAIN_NOTE:
        for name in spec.required_fields:
            value = note.meta.get(name)
            if value is None or (isinstance(value, (str, list)) and not value):
                yield problem(
                    note,
                    note.front.line_of(name) if name in note.meta else 1,
                    "missing-field",
                    f"Missing required field '{name}' for type '{note.type}'.",
                    draft=draft,
                )
    for name, value in note.meta.items():
        field = vault.config.field_spec(note.type, name)
        if field is not None and value is not None:
            yield from _field_value_problems(note, name, value, field.kind, field.values)
    if len(note.tags) > MAX_TAGS_PER_NOTE:
        yield problem(
            note,
            note.front.line_of("tags"),
            "too-many-tags",
            f"{len(note.tags)} tags; the site publishes the first {MAX_TAGS_PER_NOTE} (each tag is a page).",
        )
    explicit = note.meta.get("id")
    if isinstance(explicit, str) and not is_valid_id(explicit):
        yield problem(
            note,
            note.front.line_of("id"),
            "invalid-id",
            f"id '{explicit}' is not lowercase-kebab-case (e.g. 'cache-stampede').",
        )


def _field_value_problems(note: Note, name: str, value: Any, kind: str, values: list[str]) -> Iterator[Problem]:
    line = note.front.line_of(name)
    if kind == "enum":
        if not isinstance(value, str) or value not in values:
            yield problem(note, line, "invalid-value", f"{name}: '{value}' is not one of: {', '.join(values)}.")
    elif kind == "date":
        if not isinstance(value, str) or not _valid_date(value):
            yield problem(note, line, "invalid-date", f"{name}: '{value}' is not an ISO 8601 date (YYYY-MM-DD).")
    elif kind == "list" and not isinstance(value, (list, str)):
        yield problem(note, line, "invalid-field-type", f"{name}: expected a list, got {type(value).__name__}.")
    elif kind == "str" and not isinstance(value, (str, int, float)):
        yield problem(note, line, "invalid-field-type", f"{name}: expected text, got {type(value).__name__}.")
    elif kind == "bool" and not isinstance(value, bool):
        yield problem(note, line, "invalid-field-type", f"{name}: expected true or false, got '{value}'.")
    elif kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
        yield problem(note, line, "invalid-field-type", f"{name}: expected a whole number, got '{value}'.")


def _valid_date(value: str) -> bool:
    if not _ISO_DATE.match(value):
        return False
    try:
        dt.date.fromisoformat(value[:10])
    except ValueError:
        return False
    return True


def _section_problems(vault: Vault, note: Note, today: dt.date) -> Iterator[Problem]:
    spec = vault.config.types.get(note.type)
    if spec is None:
        return
    draft = vault.config.is_draft(note.type, note.meta.get("status"))
    for title, section in required_sections(spec, note):
        if section is None:
            yield problem(
                note,
                max(note.body_line, 1),
                "missing-section",
                f"Missing required section '## {title}' for type '{note.type}'.",
            )
        elif section.is_empty:
            yield problem(note, section.line, "empty-section", f"Section '## {title}' is empty.", draft=draft)
        else:
            for sub in spec.subsections.get(title, []):
                if note.subsection(title, sub) is None:
                    yield problem(
                        note,
                        section.line,
                        "missing-subsection",
                        f"Section '## {title}' needs a '### {sub}' subsection.",
                        draft=draft,
                    )
    for title in spec.task_sections:
        section = note.section(title)
        wanted = normalize_heading(title)
        if (
            section
            and not section.is_empty
            and not any(normalize_heading(t.section or "") == wanted for t in note.tasks)
        ):
            yield problem(
                note,
                section.line,
                "steps-not-tasks",
                f"Section '## {title}' should be a task list: one '- [ ] step (5 min)' per line.",
            )


def _link_problems(vault: Vault, note: Note, today: dt.date) -> Iterator[Problem]:
    for link, target_id in zip(note.links, vault.link_targets(note), strict=True):
        if link.embed and is_attachment(link.target):
            if vault.resolve_attachment(link.target) is None:
                yield problem(
                    note, link.line, "missing-attachment", f"Embedded file '{link.target}' is not in the vault."
                )
            continue
        if not link.target:  # [[#Heading]] links inside the same note
            if link.anchor and not note.has_anchor(link.anchor):
                yield problem(note, link.line, "broken-anchor", f"No heading '{link.anchor}' in this note.")
            continue
        target = vault.notes.get(target_id) if target_id else None
        if target is None:
            yield problem(
                note,
                link.line,
                "broken-link",
                f"Broken link [[{link.target}]]: no note has that id, alias, title or path. "
                f'Fix the link or create it with `backbrain new TYPE "{link.target}"`.',
            )
        elif link.anchor and not target.has_anchor(link.anchor):
            yield problem(
                note, link.line, "broken-anchor", f"[[{link.target}#{link.anchor}]]: no such heading in {target.rel}."
            )


def _orphan_problems(vault: Vault, note: Note, today: dt.date) -> Iterator[Problem]:
    if len(vault.notes) > 1 and vault.notes.get(note.id) is note and not vault.neighbours(note.id):
        yield problem(
            note, 1, "orphan", "Orphan note: nothing links here and it links nowhere. Link it from a related note."
        )


def _stale_problems(vault: Vault, note: Note, today: dt.date) -> Iterator[Problem]:
    reviewed = note.meta.get("reviewed")
    if isinstance(reviewed, str) and _valid_date(reviewed):
        age = (today - dt.date.fromisoformat(reviewed[:10])).days
        limit = vault.config.check.staleness_days
        if age > limit:
            yield problem(
                note,
                note.front.line_of("reviewed"),
                "stale",
                f"Last reviewed {age} days ago (limit {limit}); re-read it and update `reviewed`.",
            )


_NOTE_VALIDATORS: list[Callable[[Vault, Note, dt.date], Iterator[Problem]]] = [
    _type_problems,
    _field_problems,
    _section_problems,
    _link_problems,
    _orphan_problems,
    _stale_problems,
]


def _duplicates(vault: Vault, notes: list[Note] | None = None) -> Iterator[Problem]:
    for note in vault.files if notes is None else notes:
        first = vault.notes.get(note.id)
        if first is not None and first is not note:
            yield problem(
                note,
                note.front.line_of("id") if "id" in note.meta else 1,
                "duplicate-id",
                f"Duplicate id '{note.id}': also {first.rel}. Rename one file or set a distinct `id:`.",
            )
    if notes is not None and not any("aliases" in note.meta for note in notes):
        return  # only a note's own aliases can be reported on it
    owners: dict[str, str] = {note_id.lower(): note_id for note_id in vault.notes}
    for note in vault.notes.values():
        if "aliases" not in note.meta:
            continue
        for alias in note.aliases:
            key = alias.lower()
            owner = owners.get(key)
            if owner is not None and owner != note.id:
                yield problem(
                    note,
                    note.front.line_of("aliases"),
                    "duplicate-alias",
                    f"Alias '{alias}' is already used by '{owner}'. Each alias must name one note.",
                )
            owners.setdefault(key, note.id)
    yield from _hidden_titles(vault)


def _hidden_titles(vault: Vault) -> Iterator[Problem]:
    """An alias that is another note's title wins over it (aliases come before titles in the
    resolver), so that note can no longer be linked by its title: an Obsidian vault's aliases
    often collide so. Reported only when a link by that name really goes to the alias's note."""
    titles: dict[str, Note] = {}
    for note in vault.notes.values():
        titles.setdefault(note.title.strip().lower(), note)
    for note in vault.notes.values():
        if "aliases" not in note.meta:
            continue
        for alias in note.aliases:
            hidden = titles.get(alias.strip().lower())
            if hidden is None or hidden is note or vault.resolve(alias) is not note:
                continue
            yield problem(
                note,
                note.front.line_of("aliases"),
                "alias-hides-title",
                f"Alias '{alias}' is the title of '{hidden.id}' ({hidden.rel}), so [[{alias}]] links here, not there. "
                f"Drop or change the alias, or link that note as [[{path_to_write(hidden.rel)}]].",
            )


def _ambiguous_links(vault: Vault) -> Iterator[Problem]:
    for item in vault.ambiguous:
        first, *others = item.candidates
        yield problem(
            item.note,
            item.line,
            "ambiguous-link",
            f"'{item.target}' matches {len(item.candidates)} notes equally well ({', '.join(item.candidates)}); "
            f"it links to {first}. Write [[{path_to_write(first)}]] or [[{path_to_write(others[0])}]] to choose.",
        )


def _relation_problems(vault: Vault, declaring: set[str] | None = None) -> Iterator[Problem]:
    edges = vault.edges if declaring is None else [e for e in vault.edges if e.declared_by in declaring]
    for item in vault.unresolved_relations:
        yield problem(
            item.note,
            item.line,
            "broken-relation",
            f"{item.key}: no note '{item.value}'. Use an existing id (see `backbrain list`).",
        )
    for edge in edges:
        spec = RELATIONS[edge.kind]
        source, target = vault.notes[edge.source], vault.notes[edge.target]
        declared = vault.notes[edge.declared_by]
        wrong = [
            (n, allowed, role)
            for n, allowed, role in ((source, spec.source_types, "source"), (target, spec.target_types, "target"))
            if allowed is not None and n.type not in allowed
        ]
        for bad, allowed, role in wrong:
            key = spec.name if declared is source else spec.inverse
            yield problem(
                declared,
                edge.line,
                "wrong-relation-type",
                f"{key}: '{bad.id}' is a {bad.type}, but the {role} of '{spec.name}' must be "
                f"{' or '.join(sorted(allowed or []))}.",
            )


def _supersede_problems(vault: Vault) -> Iterator[Problem]:
    supersessions = vault.supersessions
    successors = supersessions.newer
    for old_id, new_ids in successors.items():
        old = vault.notes[old_id]
        if len(new_ids) > 1:
            yield problem(
                old,
                old.front.line_of("superseded-by"),
                "supersede-conflict",
                f"'{old_id}' is superseded by more than one decision: {', '.join(sorted(new_ids))}. "
                "Make supersedes/superseded-by agree on one successor.",
            )
        if old.type == "decision" and old.meta.get("status") not in ("superseded", None):
            yield problem(
                old,
                old.front.line_of("status"),
                "superseded-status",
                f"'{old_id}' is superseded by {', '.join(sorted(new_ids))} but its status is "
                f"'{old.meta.get('status')}'. Set `status: superseded`.",
            )
    for note in vault.notes.values():
        if note.type == "decision" and note.meta.get("status") == "superseded" and note.id not in successors:
            yield problem(
                note,
                note.front.line_of("status"),
                "missing-successor",
                "Status is superseded but no decision supersedes it. Add `superseded-by: [id]`.",
            )
    for cycle in supersessions.cycles():
        note = vault.notes[cycle[-1]]
        yield problem(
            note,
            note.front.line_of("supersedes"),
            "supersede-cycle",
            f"Supersede cycle: {' -> '.join(cycle)}. A decision cannot replace its own successor.",
        )


def format_text(report: CheckReport) -> Iterator[str]:
    for p in report.problems:
        yield f"{p.path}:{p.line}: {p.code} [{p.severity}] {p.name}: {p.message}"


def summary_line(report: CheckReport) -> str:
    if not report.problems:
        return f"Checked {report.notes} notes: no problems."
    return (
        f"Checked {report.notes} notes: {report.count('error')} errors, {report.count('warning')} warnings, "
        f"{report.count('info')} info."
    )
