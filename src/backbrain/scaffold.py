"""Creating things: a new vault (`init`) and a new note from its type's template (`new`).

Both only ever create files. An existing file is never overwritten: `new` refuses with the path, and
`init` over an existing folder adds only what is missing and reports what it left alone.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from backbrain.core.note import is_valid_id
from backbrain.core.schema import CONFIG_FILE, PLAIN_NOTE, Config, TypeSpec, hint_text
from backbrain.core.text import slugify
from backbrain.core.vault import Vault, starter_root
from backbrain.errors import RefusedError, UsageError
from backbrain.fsutil import atomic_write_text, ensure_folder

LAYOUT = [
    "00_core-principles",
    "01_patterns",
    "02_systems",
    "03_decisions",
    "04_failure-modes",
    "05_playbooks",
    "articles",
    "roadmap",
    "labs",
    "journal",
]

CONFIG_TEMPLATE = """\
# backbrain.toml: this knowledge base's settings. Every key is optional; the defaults are shown
# commented out. See docs/format.md for the full reference.

# [check]
# staleness_days = 180          # `reviewed` older than this is reported (info, BB502)
# ignore = []                   # rule codes or names to skip, e.g. ["BB501"] or ["orphan"]

# [site]
# title = "backbrain"
# description = "A backend engineering second brain."

# Add a required section to a built-in type (keys you set replace the built-in's):
# [types.pattern]
# required_sections = ["Problem", "Solution", "Variants", "When to use", "When NOT to use", "Examples"]

# Define a new type, with its folder:
# [types.runbook]
# folder = "06_runbooks"
# label = "Runbooks"
# required_sections = ["Symptoms", "Diagnosis", "Fix"]
# required_fields = ["title", "service"]

# Map another folder to a type:
# [folders]
# "notes/incidents" = "failure-mode"
"""

GITIGNORE = "# backbrain caches: disposable, rebuilt on demand\n.backbrain/\n"


@dataclass
class InitResult:
    root: Path
    created: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)


def init_vault(root: Path, *, starter: bool = False) -> InitResult:
    """Create the layout, a commented backbrain.toml and a .gitignore; optionally copy the starter."""
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise UsageError(f"{root} exists and is not a folder.", hint="Choose another path for the knowledge base.")
    result = InitResult(root.resolve())
    root.mkdir(parents=True, exist_ok=True)
    for folder in LAYOUT:
        ensure_folder(root / folder, root=root)
    _create(result, root, root / CONFIG_FILE, CONFIG_TEMPLATE)
    _create_gitignore(result, root, root / ".gitignore")
    if starter:
        _copy_starter(result, root)
    return result


def _create(result: InitResult, root: Path, path: Path, text: str) -> None:
    if path.exists() or path.is_symlink():
        result.kept.append(path)
        return
    atomic_write_text(path, text, root=root, exclusive=True)
    result.created.append(path)


def _create_gitignore(result: InitResult, root: Path, path: Path) -> None:
    if not path.exists():
        _create(result, root, path, GITIGNORE)
        return
    text = path.read_text(encoding="utf-8", errors="replace")
    if ".backbrain" in text:
        result.kept.append(path)
        return
    atomic_write_text(path, text + ("" if text.endswith("\n") or not text else "\n") + GITIGNORE, root=root)
    result.created.append(path)


def _copy_starter(result: InitResult, root: Path) -> None:
    source = starter_root()
    for path in sorted(source.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts or path.name.startswith("."):
            continue
        dest = root / path.relative_to(source)
        if dest.exists():
            result.kept.append(dest)
            continue
        atomic_write_text(dest, path.read_text(encoding="utf-8"), root=root, exclusive=True)
        shutil.copystat(path, dest)
        result.created.append(dest)


def note_template(config: Config, type_name: str, title: str, note_id: str, today: dt.date) -> str:
    """A new note's text: front matter with the type's required fields, and every required section."""
    spec = config.types[type_name]
    meta: dict[str, object] = {"title": title, "type": type_name}
    status = _draft_status(config, type_name)
    if status:
        meta["status"] = status
    meta.update({"aliases": [], "tags": [], "summary": ""})
    if note_id != slugify(title):
        meta["id"] = note_id
    for name in spec.required_fields:
        meta.setdefault(name, _default_for(config, type_name, name, today))
    meta.update({"progress": "not-started", "phase": "study", "created": today.isoformat()})
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, default_flow_style=None, width=100)
    body = [f"# {title}", ""]
    for section in spec.required_sections:
        body += [f"## {section}", "", section_hint(spec, section), ""]
        for sub in spec.subsections.get(section, []):
            body += [f"### {sub}", "", ""]
    return f"---\n{front}---\n\n" + "\n".join(body).rstrip() + "\n"


def _draft_status(config: Config, type_name: str) -> str | None:
    """The status that marks a new note as a draft, unless the type's `status` field cannot hold it."""
    draft = config.types[type_name].draft_status
    field_spec = config.field_spec(type_name, "status")
    if field_spec is not None and field_spec.kind == "enum" and draft not in field_spec.values:
        return None
    return draft or None


def _default_for(config: Config, type_name: str, field_name: str, today: dt.date) -> object:
    field_spec = config.field_spec(type_name, field_name)
    if field_spec is None:
        return ""
    if field_spec.kind == "date":
        return today.isoformat()
    if field_spec.kind == "enum" and field_spec.values:
        return field_spec.values[0]
    if field_spec.kind == "list":
        return []
    return ""


def section_hint(spec: TypeSpec, section: str) -> str:
    """What a new section holds: its hint as an HTML comment (a checklist item for Steps)."""
    hint = hint_text(spec, section)
    if section.lower() == "steps":
        return hint or ""
    return f"<!-- {hint} -->" if hint else ""


def new_note_path(vault: Vault, type_name: str, note_id: str) -> Path:
    folder = vault.config.folder_for_type(type_name) or ""
    return vault.root / folder / f"{note_id}.md"


def create_note(
    vault: Vault,
    type_name: str,
    title: str,
    *,
    note_id: str | None = None,
    today: dt.date | None = None,
    extra: dict[str, object] | None = None,
) -> Path:
    """Write a new note and return its path; refuses an existing id or file, never overwrites."""
    if type_name not in vault.config.types:
        known = ", ".join(sorted(t for t in vault.config.types if t != PLAIN_NOTE))
        raise UsageError(f"Unknown type '{type_name}'.", hint=f"Use one of: {known}.")
    note_id = note_id or slugify(title)
    if not note_id:
        raise UsageError(f"Cannot make an id from the title {title!r}.", hint="Use a title with letters or digits.")
    if not is_valid_id(note_id):
        raise UsageError(
            f"--id {note_id!r} is not a valid id: ids are lowercase letters, digits and single dashes "
            "(it becomes the file name, so no '/', '..' or spaces).",
            hint=f"Try --id {slugify(note_id) or 'my-note'}.",
        )
    existing = vault.notes.get(note_id)
    if existing is not None:
        raise RefusedError(
            f"A note with id '{note_id}' already exists: {existing.path}.",
            hint="Pick another title, or edit that note.",
        )
    path = new_note_path(vault, type_name, note_id)
    text = note_template(vault.config, type_name, title, note_id, today or dt.date.today())
    if extra:
        text = _with_extra_fields(text, extra)
    try:
        atomic_write_text(path, text, root=vault.root, exclusive=True)
    except FileExistsError as exc:
        raise RefusedError(f"{path} already exists; nothing was written.", hint="Pick another title.") from exc
    return path


def _with_extra_fields(text: str, extra: dict[str, object]) -> str:
    head, _, rest = text.partition("\n---\n")
    lines = yaml.safe_dump(extra, sort_keys=False, allow_unicode=True, default_flow_style=None, width=100)
    return f"{head}\n{lines.rstrip()}\n---\n{rest}"
