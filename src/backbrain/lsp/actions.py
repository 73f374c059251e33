"""Code actions (quick fixes) on the problems `check` reports and on typed relations:

- a broken link or relation: create the missing note from its type's template (`backbrain new`'s);
- missing required sections: insert them, with the template's hints;
- a decision named in `supersedes:`: mark it superseded by this one (status and superseded-by, in
  that note), or a decision whose successor is known: set `status: superseded`;
- a relation declared on one side: add the inverse relation to the other note's front matter.
"""

from __future__ import annotations

import datetime as dt

from lsprotocol import types

from backbrain.check import Problem, check_paths
from backbrain.core.note import Note, is_valid_id, slugify
from backbrain.core.schema import PLAIN_NOTE, RELATION_KEYS, missing_sections
from backbrain.core.vault import is_attachment, relation_values
from backbrain.learn.progress import FieldValue, FrontMatterEditError, set_front_matter_values
from backbrain.lsp import cursor
from backbrain.lsp.cursor import ValueSpan
from backbrain.lsp.edits import replace_edit, workspace_edit
from backbrain.lsp.session import Session
from backbrain.lsp.text import Text
from backbrain.scaffold import new_note_path, note_template, section_hint

QUICKFIX = types.CodeActionKind.QuickFix


def code_actions(session: Session, rel: str, text: Text, selection: types.Range) -> list[types.CodeAction]:
    note = session.note(rel)
    if note is None or note.decode_error:
        return []
    lines = range(selection.start.line, selection.end.line + 1)
    problems = [p for p in check_paths(session.vault, [rel])[rel] if p.line - 1 in lines]
    found: list[types.CodeAction] = []
    for problem in problems:
        found.extend(_fixes(session, note, text, problem))
    for line in lines:
        for value in cursor.values_on(text, line):
            if value.key in RELATION_KEYS:
                found.extend(_relation_actions(session, note, value))
    # Several problems on one line (a missing section each, two broken links) lead to the same fix:
    # offer it once, or the editor's menu lists it once per problem and cannot apply it directly.
    unique: dict[str, types.CodeAction] = {}
    for action in found:
        unique.setdefault(action.title, action)
    return list(unique.values())


def _fixes(session: Session, note: Note, text: Text, problem: Problem) -> list[types.CodeAction]:
    line = problem.line - 1
    diagnostic_code = {"code": problem.code}
    if problem.code == "BB201":
        missing = [r.target for r in cursor.links_on(text.line(line)) if _is_missing(session, note, r.target, r.embed)]
        return [a for target in dict.fromkeys(missing) for a in _create_actions(session, target, None, diagnostic_code)]
    if problem.code == "BB204":
        unresolved = [v for v in cursor.values_on(text, line) if session.vault.resolve(v.value, note) is None]
        actions = []
        for value in unresolved:
            spec, inverse = RELATION_KEYS[value.key]
            allowed = spec.source_types if inverse else spec.target_types
            actions.extend(_create_actions(session, value.value, allowed, diagnostic_code))
        return actions
    if problem.code == "BB101":
        return [_insert_sections(session, note, text)]
    if problem.code == "BB403":
        edit = _front_matter_edit(text, {"status": "superseded"})
        return [_action("Set status: superseded", {session.uri_of(note.rel): [edit]}, diagnostic_code)] if edit else []
    return []


def _front_matter_edit(text: Text, updates: dict[str, FieldValue]) -> types.TextEdit | None:
    """Set front matter keys in place (learn.progress's editor: every other byte kept), as one edit;
    None when that cannot be done without changing something else (the action is then not offered)."""
    try:
        return replace_edit(text, set_front_matter_values(text.source, updates))
    except FrontMatterEditError:
        return None


def _is_missing(session: Session, source: Note, target: str, embed: bool) -> bool:
    return bool(target) and not (embed and is_attachment(target)) and session.vault.resolve(target, source) is None


def _create_actions(
    session: Session, target: str, allowed: frozenset[str] | None, data: dict[str, str]
) -> list[types.CodeAction]:
    """One action per type the new note may have: the relation's allowed types, else every type."""
    config = session.vault.config
    note_id = slugify(target)
    if not note_id or note_id in session.vault.notes:
        return []
    title = target.replace("-", " ").capitalize() if is_valid_id(target) else target
    types_ = sorted(allowed) if allowed else [t for t in config.types if t != PLAIN_NOTE] + [PLAIN_NOTE]
    actions = []
    for type_name in types_:
        if type_name not in config.types:
            continue
        path = new_note_path(session.vault, type_name, note_id)
        if path.exists():
            continue
        rel = path.relative_to(session.root).as_posix()
        uri = session.uri_of(rel)
        template = note_template(config, type_name, title, note_id, dt.date.today())
        create = types.CreateFile(uri=uri, options=types.CreateFileOptions(overwrite=False, ignore_if_exists=True))
        insert = types.TextEdit(range=_start(), new_text=template)
        # without file operations the editor opens the new path from the text edit alone (eglot does)
        before: list[types.CreateFile | types.RenameFile] = [create] if "create" in session.file_operations else []
        actions.append(_action(f"Create {type_name} '{title}' ({rel})", {uri: [insert]}, data, before))
    return actions


def _insert_sections(session: Session, note: Note, text: Text) -> types.CodeAction:
    spec = session.vault.config.types[note.type]
    missing = missing_sections(spec, note)
    blocks = []
    for title in missing:
        block = [f"## {title}", "", section_hint(spec, title)]
        for sub in spec.subsections.get(title, []):
            block += ["", f"### {sub}", ""]
        blocks.append("\n".join(block).rstrip() + "\n")
    last = len(text.lines) - 1
    source = text.source
    lead = "" if not source.strip() or source.endswith("\n\n") else "\n" if source.endswith("\n") else "\n\n"
    end = len(text.line(last))
    edit = types.TextEdit(range=text.range(last, end, end), new_text=lead + "\n".join(blocks))
    names = ", ".join(missing)
    return _action(f"Insert missing sections: {names}", {session.uri_of(note.rel): [edit]}, {"code": "BB101"})


def _relation_actions(session: Session, note: Note, value: ValueSpan) -> list[types.CodeAction]:
    other = session.vault.resolve(value.value, note)
    if other is None or other is note:
        return []
    spec, inverse = RELATION_KEYS[value.key]
    inverse_key = spec.name if inverse else spec.inverse
    other_text = session.text_of(other.rel)
    other_uri = session.uri_of(other.rel)
    actions = []
    declared = relation_values(other.meta.get(inverse_key))
    has_inverse = any(session.vault.resolve(v, other) is note for v in declared)
    if not has_inverse:
        edit = _front_matter_edit(other_text, {inverse_key: [*declared, note.id]})
        if edit is not None:
            actions.append(_action(f"Add '{inverse_key}: {note.id}' to {other.id}", {other_uri: [edit]}))
    if value.key == "supersedes" and other.type == "decision" and other.meta.get("status") != "superseded":
        updates: dict[str, FieldValue] = {"status": "superseded"}
        if not has_inverse:
            updates[inverse_key] = [*declared, note.id]
        edit = _front_matter_edit(other_text, updates)
        if edit is not None:
            actions.append(_action(f"Mark {other.id} superseded by {note.id}", {other_uri: [edit]}))
    return actions


def _action(
    title: str,
    by_uri: dict[str, list[types.TextEdit]],
    data: dict[str, str] | None = None,
    before: list[types.CreateFile | types.RenameFile] | None = None,
) -> types.CodeAction:
    return types.CodeAction(title=title, kind=QUICKFIX, edit=workspace_edit(by_uri, before), data=data)


def _start() -> types.Range:
    return types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0))
