"""Adopting a folder of notes someone already has: inspect it, write a commented backbrain.toml, summarise.

`backbrain init DIR` on a folder that already holds Markdown, and `backbrain doctor` on any vault, look
at the same things: how many notes there are and of which types, which folders hold one type (so a
folder mapping would type their untyped notes), which hold decision records (MADR, Nygard), which hold
only attachments, what the scan skips, and the problems check finds most often. Adopting never touches
a note: the only file it may write is a backbrain.toml that does not exist yet.
"""

from __future__ import annotations

import posixpath
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from backbrain.check import RULES, check_vault
from backbrain.core.adr import ADR_FOLDERS, is_record_name
from backbrain.core.location import CONFIG_FILE, DATA_DIRS, IGNORED_DIRS
from backbrain.core.schema import PLAIN_NOTE, Config, default_config, load_config
from backbrain.core.vault import Vault, load_vault, scan_stamped
from backbrain.errors import UsageError
from backbrain.fsutil import atomic_write_text

_RECORD_NAME = re.compile(r"^(?:\d{3,4}|\d{8})[-_ ].+\.(?:md|markdown)$", re.IGNORECASE)
MAPPING_SHARE = 0.8  # a folder whose typed notes are this much one type gets a folder mapping
MAPPING_MIN_NOTES = 3
TOP_PROBLEMS = 5
TOP_FOLDERS = 8


@dataclass
class Inspection:
    """What a vault holds, as `init` and `doctor` report it."""

    root: Path
    notes: int = 0
    by_type: Counter[str] = field(default_factory=Counter)
    untyped: int = 0
    folder_types: dict[str, str] = field(default_factory=dict)  # detected mapping, not yet configured
    adr_folders: list[str] = field(default_factory=list)
    attachment_folders: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # what the scan skips, with why
    problems: Counter[str] = field(default_factory=Counter)  # rule code -> count
    severities: Counter[str] = field(default_factory=Counter)
    config_present: bool = False
    top_folders: list[tuple[str, int]] = field(default_factory=list)  # (name, notes) at the root

    def summary(self) -> list[str]:
        types = ", ".join(f"{count} {name}" for name, count in sorted(self.by_type.items(), key=lambda i: -i[1]))
        lines = [f"{self.notes} notes" + (f" ({types})" if types else "") + f"; {self.untyped} untyped."]
        if self.top_folders:
            shown = ", ".join(f"{name} ({count})" for name, count in self.top_folders[:TOP_FOLDERS])
            more = f" and {len(self.top_folders) - TOP_FOLDERS} more" if len(self.top_folders) > TOP_FOLDERS else ""
            lines.append(f"Top-level folders: {shown}{more}.")
        if self.adr_folders:
            lines.append(f"Decision records in: {', '.join(self.adr_folders)}.")
        if self.folder_types:
            pairs = ", ".join(f"{folder} -> {name}" for folder, name in sorted(self.folder_types.items()))
            lines.append(f"Folders of one type: {pairs}.")
        if self.attachment_folders:
            lines.append(f"Attachment folders: {', '.join(self.attachment_folders)}.")
        if self.ignored:
            lines.append(f"Not scanned: {', '.join(self.ignored)}.")
        if self.problems:
            top = ", ".join(
                f"{RULES[code].name} ({code}) x{count}" for code, count in self.problems.most_common(TOP_PROBLEMS)
            )
            lines.append(
                f"Check: {self.severities['error']} errors, {self.severities['warning']} warnings. Most often: {top}."
            )
        else:
            lines.append("Check: no problems.")
        return lines


def inspect_vault(root: Path, config: Config | None = None) -> Inspection:
    """Look at the vault at root (with its backbrain.toml, or the one given); never writes anything."""
    root = Path(root).resolve()
    if not root.is_dir():
        raise UsageError(f"{root} is not a folder.", hint="Give the folder that holds your notes.")
    vault = load_vault(root, read_only=True, config=config)
    found = Inspection(root, config_present=(root / CONFIG_FILE).is_file())
    found.notes = len(vault.files)
    top = Counter(note.rel.split("/", 1)[0] for note in vault.files if "/" in note.rel)
    found.top_folders = sorted(top.items())
    for note in vault.files:
        if note.type == PLAIN_NOTE:
            found.untyped += 1
        else:
            found.by_type[note.type] += 1
    found.adr_folders = _adr_folders(vault)
    found.folder_types = _folder_types(vault)
    found.attachment_folders = _attachment_folders(root)
    found.ignored = _ignored(root)
    for problem in check_vault(vault).problems:
        found.problems[problem.code] += 1
        found.severities[problem.severity] += 1
    return found


def _adr_folders(vault: Vault) -> list[str]:
    """Folders that hold decision records: a known ADR folder, or one with numbered records."""
    numbered: Counter[str] = Counter()
    for note in vault.files:
        folder = posixpath.dirname(note.rel)
        if _RECORD_NAME.match(posixpath.basename(note.rel)) and is_record_name(note.rel):
            numbered[folder] += 1
    return sorted(
        folder
        for folder in numbered
        if folder and (numbered[folder] >= 2 or folder.endswith(ADR_FOLDERS) or folder in ADR_FOLDERS)
    )


def _folder_types(vault: Vault) -> dict[str, str]:
    """Top-level folders whose typed notes are nearly all one type, and that no mapping covers yet."""
    typed: dict[str, Counter[str]] = {}
    for note in vault.files:
        if "/" not in note.rel or not isinstance(note.meta.get("type"), str):
            continue
        typed.setdefault(note.rel.split("/", 1)[0], Counter())[note.type] += 1
    found = {}
    for folder, counts in typed.items():
        name, count = counts.most_common(1)[0]
        total = sum(counts.values())
        mostly = total >= MAPPING_MIN_NOTES and count / total >= MAPPING_SHARE and name in vault.config.types
        if mostly and vault.config.type_for_folder(folder + "/x.md") != name:
            found[folder] = name
    return found


def _attachment_folders(root: Path) -> list[str]:
    """Folders holding files but no notes (images, PDFs): where Obsidian's attachments live."""
    files: dict[str, list[bool]] = {}
    for f in scan_stamped(root):
        folder = posixpath.dirname(f.rel)
        if folder:
            files.setdefault(folder, []).append(f.note)
    return sorted(folder for folder, notes in files.items() if notes and not any(notes))


def _ignored(root: Path) -> list[str]:
    found = []
    for entry in sorted(root.iterdir(), key=lambda p: p.name):
        if not entry.is_dir():
            continue
        if entry.name in IGNORED_DIRS or entry.name.startswith("."):
            found.append(f"{entry.name}/ (tool or hidden folder)")
        elif entry.name in DATA_DIRS:
            found.append(f"{entry.name}/ (backbrain's own records)")
    if (root / ".gitignore").is_file():
        found.append("what .gitignore excludes")
    return found


def config_text(found: Inspection) -> str:
    """A commented backbrain.toml for what was found: every line says why it is there."""
    title = found.root.name.replace("-", " ").replace("_", " ").strip() or "Notes"
    lines = [
        "# backbrain.toml, written by `backbrain init` after looking at this folder. Every key is optional;",
        "# see docs/format.md. `backbrain doctor` shows the same summary again at any time.",
        "#",
        *[f"# {line}" for line in found.summary() if not line.startswith("Check:")],
        "",
        "[site]",
        f"title = {_toml_string(title)}",
        f"description = {_toml_string(f'Notes from {title}.')}",
        "",
    ]
    if found.folder_types or found.adr_folders:
        lines += ["# Folders whose notes default to a type (a `type:` in a note still wins).", "[folders]"]
        for folder, name in sorted(found.folder_types.items()):
            lines.append(f"{_toml_string(folder)} = {_toml_string(name)}")
        for folder in found.adr_folders:
            default = folder in ADR_FOLDERS
            prefix = "# " if default else ""
            note = "  # a default ADR folder already" if default else "  # numbered decision records"
            lines.append(f'{prefix}{_toml_string(folder)} = "decision"{note}')
        lines.append("")
    if found.attachment_folders:
        lines.append(f"# Attachments (embedded files) live in: {', '.join(found.attachment_folders)}.")
    if found.ignored:
        lines.append(f"# Not scanned: {', '.join(found.ignored)}. Add paths to .gitignore to skip more.")
    lines += [
        "",
        "[check]",
        '# ignore = []  # rule codes or names to skip, e.g. orphan notes: ["BB501"]',
    ]
    return "\n".join(lines).rstrip() + "\n"


def _toml_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def has_notes(root: Path) -> bool:
    """Whether a folder already holds Markdown notes (then init adopts it instead of laying out a new one)."""
    return root.is_dir() and any(f.note for f in scan_stamped(root.resolve()))


@dataclass
class Adoption:
    inspection: Inspection
    config_written: Path | None


def adopt_folder(root: Path) -> Adoption:
    """Inspect an existing folder and write backbrain.toml if it has none; notes are never touched."""
    root = Path(root).resolve()
    found = inspect_vault(root)
    path = root / CONFIG_FILE
    if path.exists():
        return Adoption(found, None)
    text = config_text(found)
    try:
        atomic_write_text(path, text, root=root, exclusive=True)
    except FileExistsError:  # written meanwhile by someone else: theirs stays
        return Adoption(found, None)
    config, default = load_config(root), default_config()
    if config.types == default.types and config.folders == default.folders and config.check == default.check:
        found.config_present = True
        return Adoption(found, path)  # only [site] differs: the notes read the same, no second look
    after = inspect_vault(root, config)  # counts and problems as the new config sees them
    after.folder_types = found.folder_types  # now configured: reported as what init mapped
    return Adoption(after, path)
