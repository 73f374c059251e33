"""Entry types, fields and typed relations as data, and the vault's backbrain.toml that changes them.

Keeping the schema as data (not code paths per type) is what lets a vault add a type or a required
section in backbrain.toml and have `check`, `new`, the site and search follow without a release.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal, TypeVar

import msgspec

from backbrain.core.adr import ADR_FOLDERS, is_record_name
from backbrain.core.location import CONFIG_FILE as CONFIG_FILE
from backbrain.core.note import Note, Section, normalize_heading
from backbrain.errors import ConfigError

PLAIN_NOTE = "note"

_S = TypeVar("_S")

FieldKind = Literal["str", "list", "date", "bool", "int", "enum", "any"]

PROGRESS_VALUES = ["not-started", "in-progress", "completed"]
PHASE_VALUES = ["study", "build", "audit"]
DECISION_STATUSES = ["proposed", "accepted", "rejected", "deprecated", "superseded"]
DRAFT_STATUS = "draft"
# Bounds on what one vault can make a build do: every tag is a page, so a note with 150,000 tags
# (a vault someone else wrote) would make a build write 150,000 pages.
MAX_TAGS_PER_NOTE = 64
MAX_PAGES_PER_BUILD = 100_000


# msgspec rather than pydantic: the same strict validation of backbrain.toml (unknown keys are
# errors, types are checked) at a fraction of the import cost, which every command pays at start-up.
class FieldSpec(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """How one front matter field is validated."""

    kind: FieldKind = "str"
    values: list[str] = msgspec.field(default_factory=list)  # allowed values when kind == "enum"
    doc: str = ""


CardStyle = Literal["section", "signals", "decision", "steps", "takeaway"]


class CardSpec(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A review card a type's notes get, answered by one of their sections.

    `prompt` may use {q}, the note's title in quotes. Styles other than "section"
    build the question from the note itself: "signals" lists a failure mode's detection signals and
    asks which failure mode it is; "decision" asks why the chosen option won; "steps" asks for a
    playbook's steps; "takeaway" for an article's takeaway.
    """

    section: str = ""
    prompt: str = ""
    kind: str = ""  # the card id's suffix (default: the section as a slug); keeps review history stable
    style: CardStyle = "section"


class TypeSpec(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One entry type: where it lives, what it must contain, how it is labelled."""

    folder: str | None = None
    label: str = ""  # plural label for listings, e.g. "Failure modes"
    required_sections: list[str] = msgspec.field(default_factory=list)
    subsections: dict[str, list[str]] = msgspec.field(default_factory=dict)  # H2 -> required H3s
    required_fields: list[str] = msgspec.field(default_factory=lambda: ["title"])
    fields: dict[str, FieldSpec] = msgspec.field(default_factory=dict)  # type-specific fields
    task_sections: list[str] = msgspec.field(default_factory=list)  # sections that must be task lists
    # The `status:` a new note of this type gets, and that marks it as a draft (its empty sections
    # are warnings, not errors, until the status changes): "draft", or "proposed" for decisions.
    draft_status: str = DRAFT_STATUS
    # Other headings (H2 or H3) that count as a required section, e.g. MADR's "Decision Outcome" is
    # a decision's "Decision": records written for other tools pass without being edited.
    section_aliases: dict[str, list[str]] = msgspec.field(default_factory=dict)
    # Sections a note need not have when it has another (an H2 or H3): a decision with a `## Status`
    # section is a Nygard record (adr-tools), whose template has no place for the options considered.
    optional_with: dict[str, list[str]] = msgspec.field(default_factory=dict)
    # Section roles. What a person sees or suffers, ranked above the rest of the body by search (in
    # the terminal and the browser alike):
    symptom_sections: list[str] = msgspec.field(default_factory=list)
    cards: list[CardSpec] = msgspec.field(default_factory=list)  # review cards
    reference_sections: list[str] = msgspec.field(default_factory=list)  # a drill's reference answer
    section_hints: dict[str, str] = msgspec.field(default_factory=dict)  # what to write, in new notes


def required_sections(spec: TypeSpec, note: Note) -> list[tuple[str, Section | None]]:
    """Each section the note's type asks of this note, with the heading that fills it or None.

    The one answer to "which required sections does this note have": check, `decision accept` and the
    language server's completion and code actions all use it. A heading fills a section under its own
    title or one of the type's aliases for it (MADR's "Considered Options"), and a section listed in
    `optional_with` is not asked of a note that has the heading it names (a Nygard record).
    """
    optional = {
        normalize_heading(title)
        for key, titles in spec.optional_with.items()
        if _heading(note, [key]) is not None
        for title in titles
    }
    return [
        (title, note.section(title) or _heading(note, spec.section_aliases.get(title, ())))
        for title in spec.required_sections
        if normalize_heading(title) not in optional
    ]


def missing_sections(spec: TypeSpec, note: Note) -> list[str]:
    """The required sections (see required_sections) the note has no heading for, in the type's order."""
    return [title for title, found in required_sections(spec, note) if found is None]


def _heading(note: Note, titles: Iterable[str]) -> Section | None:
    """The note's first H2 or H3 titled one of `titles` (compared as normalize_heading does)."""
    wanted = {normalize_heading(title) for title in titles}
    if not wanted:
        return None
    return next((h for h in note.headings if h.level in (2, 3) and normalize_heading(h.title) in wanted), None)


def folder_problem(folder: str) -> str | None:
    """Why `folder` cannot be a vault folder (absolute, `..`, backslash, NUL), or None when it can.

    Folders in backbrain.toml decide where `new` writes: a vault someone else wrote must not be able
    to send a note to /etc or ../.. of the person running it."""
    if not folder.strip() or "\x00" in folder or "\\" in folder:
        return "must be a folder name inside the vault"
    if folder.startswith(("/", "~")) or (len(folder) > 1 and folder[1] == ":"):
        return "must be a path relative to the vault, not an absolute one"
    if any(part in ("..", ".") for part in folder.split("/")):
        return "must stay inside the vault (no '.' or '..' parts)"
    return None


def _check_folder(label: str, folder: object) -> None:
    if isinstance(folder, str) and (problem := folder_problem(folder)):
        raise ValueError(f"{label} {folder!r} {problem}")


class TypeOverride(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A [types.NAME] table: only the keys it sets replace the built-in type's."""

    folder: str | msgspec.UnsetType | None = msgspec.UNSET
    label: str | msgspec.UnsetType = msgspec.UNSET
    required_sections: list[str] | msgspec.UnsetType = msgspec.UNSET
    subsections: dict[str, list[str]] | msgspec.UnsetType = msgspec.UNSET
    required_fields: list[str] | msgspec.UnsetType = msgspec.UNSET
    fields: dict[str, FieldSpec] | msgspec.UnsetType = msgspec.UNSET
    task_sections: list[str] | msgspec.UnsetType = msgspec.UNSET
    draft_status: str | msgspec.UnsetType = msgspec.UNSET
    section_aliases: dict[str, list[str]] | msgspec.UnsetType = msgspec.UNSET
    optional_with: dict[str, list[str]] | msgspec.UnsetType = msgspec.UNSET
    symptom_sections: list[str] | msgspec.UnsetType = msgspec.UNSET
    cards: list[CardSpec] | msgspec.UnsetType = msgspec.UNSET
    reference_sections: list[str] | msgspec.UnsetType = msgspec.UNSET
    section_hints: dict[str, str] | msgspec.UnsetType = msgspec.UNSET

    def __post_init__(self) -> None:
        _check_folder("folder =", self.folder)


class CheckConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    staleness_days: Annotated[int, msgspec.Meta(ge=1)] = 180
    ignore: list[str] = msgspec.field(default_factory=list)  # rule codes or names to skip


DEFAULT_DESCRIPTION = "A backend engineering second brain."


class SiteConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """[site]: what the published site calls itself (plain text; the templates escape it)."""

    title: Annotated[str, msgspec.Meta(min_length=1, max_length=120)] = "backbrain"
    description: Annotated[str, msgspec.Meta(max_length=300)] = DEFAULT_DESCRIPTION
    tagline: Annotated[str, msgspec.Meta(max_length=200)] = ""  # under the home page title; else description
    footer: Annotated[str, msgspec.Meta(max_length=500)] = ""  # a line in every page's footer
    base_url: str = "/"

    def __post_init__(self) -> None:
        # The base URL is written into every page's links: only a path or an http(s) URL, never a
        # `javascript:` (or any other scheme) URL that a click would run.
        url = self.base_url.strip()
        if not (url.startswith("/") and not url.startswith("//")) and not url.lower().startswith(
            ("http://", "https://")
        ):
            raise ValueError(f"base_url = {self.base_url!r} must start with '/' or be an http(s):// URL")


class RoadmapArea(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    id: str
    title: str


def _default_areas() -> list[RoadmapArea]:
    return [
        RoadmapArea(id="foundations", title="1 Foundations"),
        RoadmapArea(id="application-structure", title="2 Application structure"),
        RoadmapArea(id="data", title="3 Data"),
        RoadmapArea(id="advanced", title="4 Advanced"),
        RoadmapArea(id="operations", title="5 Operations"),
    ]


class RoadmapConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    areas: list[RoadmapArea] = msgspec.field(default_factory=_default_areas)


Synonym = Annotated[str, msgspec.Meta(min_length=1, max_length=80)]


class SearchConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """[search]: synonym groups added to the shipped thesaurus (backbrain/search/thesaurus.toml),
    e.g. synonyms = [["pod", "container"], ["k8s", "kubernetes"]]; each group has two or more."""

    synonyms: list[Annotated[list[Synonym], msgspec.Meta(min_length=2, max_length=50)]] = msgspec.field(
        default_factory=list
    )


class ConfigFile(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The shape of backbrain.toml; unknown keys are errors so typos do not pass silently."""

    types: dict[str, TypeOverride] = msgspec.field(default_factory=dict)
    folders: dict[str, str] = msgspec.field(default_factory=dict)  # folder -> type
    fields: dict[str, FieldSpec] = msgspec.field(default_factory=dict)  # common fields added or changed
    check: CheckConfig = msgspec.field(default_factory=CheckConfig)
    site: SiteConfig = msgspec.field(default_factory=SiteConfig)
    roadmap: RoadmapConfig = msgspec.field(default_factory=RoadmapConfig)
    search: SearchConfig = msgspec.field(default_factory=SearchConfig)

    def __post_init__(self) -> None:
        for folder in self.folders:
            _check_folder("[folders] key", folder)


COMMON_FIELDS: dict[str, FieldSpec] = {
    "title": FieldSpec(kind="str", doc="Human title; required on every typed note."),
    "type": FieldSpec(kind="str", doc="Entry type; defaults to the folder's type."),
    "id": FieldSpec(kind="str", doc="Overrides the file name's stem as the note id."),
    "aliases": FieldSpec(kind="list", doc="Other names the note resolves and is searched by."),
    "tags": FieldSpec(kind="list"),
    "summary": FieldSpec(kind="str", doc="One line shown in listings and search."),
    "status": FieldSpec(kind="str", doc="`draft` while the note is being written (what `new` sets)."),
    "progress": FieldSpec(kind="enum", values=PROGRESS_VALUES),
    "phase": FieldSpec(kind="enum", values=PHASE_VALUES),
    "related": FieldSpec(kind="list"),
    "created": FieldSpec(kind="date"),
    "updated": FieldSpec(kind="date"),
    "reviewed": FieldSpec(kind="date"),
    "lab": FieldSpec(kind="str", doc="The lab (simulation) that demonstrates this note."),
}

# What to write under a section, by its title: new notes of any type (built-in or configured) show
# these as comments; a type's `section_hints` adds to or replaces them.
SECTION_HINTS = {
    "statement": "The principle in one or two precise sentences.",
    "why it matters": "What goes wrong in real systems when this is ignored.",
    "problem": "The situation and the symptoms that call for this pattern.",
    "solution": "How it works: the mechanism, step by step.",
    "variants": "The named variations and how they differ.",
    "when to use": "The conditions where it pays off.",
    "when not to use": "Where it hurts more than it helps.",
    "what it is": "The failure in one paragraph.",
    "why it happens": "The mechanism that produces it.",
    "impact": "What users and the system see, with numbers.",
    "detection signals": "Metrics, log lines and queries that show it happening.",
    "mitigation strategies": "Patterns and fixes, most effective first.",
    "context": "The forces at play and the constraints.",
    "options considered": "Each option with its pros and cons.",
    "decision": "Chosen option: ..., because ...",
    "outcome": "What happened, or how we will know it was right.",
    "steps": "- [ ] First step (5 min)",
}


def hint_text(spec: TypeSpec, section: str) -> str | None:
    return spec.section_hints.get(section) or SECTION_HINTS.get(section.lower())


BUILTIN_TYPES: dict[str, TypeSpec] = {
    "principle": TypeSpec(
        folder="00_core-principles",
        label="Principles",
        required_sections=["Statement", "Why it matters", "Tradeoffs", "In practice"],
        symptom_sections=["Statement"],
        cards=[
            CardSpec(section="Statement", prompt="What does the {q} principle state?", kind="statement"),
            CardSpec(section="Why it matters", prompt="Why does the {q} principle matter?", kind="why"),
        ],
    ),
    "pattern": TypeSpec(
        folder="01_patterns",
        label="Patterns",
        required_sections=["Problem", "Solution", "Variants", "When to use", "When NOT to use"],
        symptom_sections=["Problem"],
        cards=[
            CardSpec(section="Problem", prompt="What problem does the {q} pattern solve?", kind="problem"),
            CardSpec(section="When NOT to use", prompt="When should you not use the {q} pattern?", kind="when-not"),
            CardSpec(section="When to use", prompt="When should you use the {q} pattern?", kind="when"),
        ],
    ),
    "system": TypeSpec(
        folder="02_systems",
        label="Systems",
        required_sections=[
            "Requirements",
            "Architecture",
            "Data model",
            "API design",
            "Scaling strategy",
            "Bottlenecks",
            "Tradeoffs",
        ],
        subsections={"Requirements": ["Functional", "Non-functional"]},
        symptom_sections=["Bottlenecks"],
        cards=[
            CardSpec(section="Bottlenecks", prompt="Where are the bottlenecks in the {q} design?", kind="bottlenecks"),
            CardSpec(section="Tradeoffs", prompt="Which tradeoffs does the {q} design make?", kind="tradeoffs"),
        ],
        reference_sections=["Architecture", "Bottlenecks", "Tradeoffs"],
    ),
    "decision": TypeSpec(
        folder="03_decisions",
        label="Decisions",
        required_sections=["Context", "Options considered", "Decision", "Tradeoffs", "Outcome"],
        required_fields=["title", "status", "date"],
        draft_status="proposed",
        symptom_sections=["Context"],
        cards=[CardSpec(section="Decision", style="decision", kind="why")],
        fields={
            "status": FieldSpec(kind="enum", values=DECISION_STATUSES),
            "date": FieldSpec(kind="date"),
            "deciders": FieldSpec(kind="list"),
        },
        section_aliases={  # MADR 2/3/4 and Nygard (adr-tools) headings
            "Context": ["Context and Problem Statement", "Problem Statement", "Context and Problem"],
            "Options considered": ["Considered Options", "Alternatives Considered", "Alternatives", "Options"],
            "Decision": ["Decision Outcome", "Solution or decision outcome"],
            "Tradeoffs": [
                "Consequences",
                "Pros and Cons of the Options",
                "Positive Consequences",
                "Negative Consequences",
            ],
            "Outcome": ["Consequences", "Decision Outcome", "Confirmation"],
        },
        optional_with={  # Nygard's template: Title, Status, Context, Decision, Consequences
            "Status": ["Options considered"],
        },
    ),
    "failure-mode": TypeSpec(
        folder="04_failure-modes",
        label="Failure modes",
        required_sections=["What it is", "Why it happens", "Impact", "Detection signals", "Mitigation strategies"],
        symptom_sections=["What it is", "Detection signals"],
        cards=[
            CardSpec(section="Detection signals", style="signals", kind="signals"),
            CardSpec(
                section="Mitigation strategies", prompt="How do you mitigate the {q} failure mode?", kind="mitigation"
            ),
        ],
    ),
    "playbook": TypeSpec(
        folder="05_playbooks",
        label="Playbooks",
        required_sections=["When to use", "Steps", "Pitfalls"],
        task_sections=["Steps"],
        symptom_sections=["When to use"],
        cards=[CardSpec(section="Steps", style="steps", kind="steps")],
    ),
    "article": TypeSpec(
        folder="articles",
        label="Articles",
        required_fields=["title", "summary", "takeaway"],
        fields={
            "takeaway": FieldSpec(kind="str"),
            "flagship": FieldSpec(kind="bool"),
            "start-here": FieldSpec(kind="bool"),
            "focus-area": FieldSpec(kind="str"),
        },
        cards=[CardSpec(style="takeaway", kind="takeaway")],
    ),
    "topic": TypeSpec(
        folder="roadmap",
        label="Roadmap",
        required_sections=["What problem it solves", "What happens without it", "Study", "Build", "Audit"],
        required_fields=["title", "area"],
        symptom_sections=["What problem it solves", "What happens without it"],
        cards=[
            CardSpec(section="What problem it solves", prompt="What problem does {q} solve?", kind="problem"),
            CardSpec(section="What happens without it", prompt="What goes wrong without {q}?", kind="without"),
        ],
        fields={
            "area": FieldSpec(kind="str"),
            "order": FieldSpec(kind="int"),
            "resources": FieldSpec(kind="list"),
        },
    ),
    PLAIN_NOTE: TypeSpec(label="Notes", required_fields=[]),
}


@dataclass(frozen=True)
class RelationSpec:
    """A typed relation; `inverse` is the name the target sees. None in a type set means any type."""

    name: str
    inverse: str
    source_types: frozenset[str] | None
    target_types: frozenset[str] | None
    title: str = ""  # how panels and `show` head the list, e.g. "Mitigates"
    inverse_title: str = ""  # e.g. "Mitigated by"
    inverse_first: bool = False  # a failure mode's "Mitigated by" reads before a pattern's "Mitigates"


RELATIONS: dict[str, RelationSpec] = {
    spec.name: spec
    for spec in (
        RelationSpec(
            "mitigates", "mitigated-by", frozenset({"pattern"}), frozenset({"failure-mode"}),
            "Mitigates", "Mitigated by", inverse_first=True,
        ),
        RelationSpec("uses", "used-by", frozenset({"system"}), frozenset({"pattern"}), "Uses", "Used by"),
        RelationSpec("risks", "risked-by", frozenset({"system"}), frozenset({"failure-mode"}), "Risks", "Risked by"),
        RelationSpec(
            "affects", "affected-by", frozenset({"decision"}), frozenset({"system", "pattern"}),
            "Affects", "Affected by",
        ),
        RelationSpec(
            "supersedes", "superseded-by", frozenset({"decision"}), frozenset({"decision"}),
            "Supersedes", "Superseded by",
        ),
        RelationSpec("related", "related", None, None, "Related", "Related"),
    )
}  # fmt: skip


def _relation_labels() -> dict[str, str]:
    labels: dict[str, str] = {}
    for spec in RELATIONS.values():
        pairs = [(spec.name, spec.title), (spec.inverse, spec.inverse_title)]
        labels.update(reversed(pairs) if spec.inverse_first else pairs)
    return labels


# Every relation label (either side) -> its title, in the order panels and `show` list them.
RELATION_LABELS: dict[str, str] = _relation_labels()


def relation_title(label: str) -> str:
    return RELATION_LABELS.get(label) or label.replace("-", " ").capitalize()


def relation_order(label: str) -> int:
    order = list(RELATION_LABELS)
    return order.index(label) if label in RELATION_LABELS else len(order)


# Front matter key -> (canonical relation, True when the key is the inverse side).
RELATION_KEYS: dict[str, tuple[RelationSpec, bool]] = {
    **{spec.name: (spec, False) for spec in RELATIONS.values()},
    **{spec.inverse: (spec, True) for spec in RELATIONS.values() if spec.inverse != spec.name},
}


@dataclass
class Config:
    """The effective configuration: built-ins merged with the vault's backbrain.toml."""

    types: dict[str, TypeSpec]
    folders: dict[str, str]
    fields: dict[str, FieldSpec]
    check: CheckConfig
    site: SiteConfig
    roadmap: RoadmapConfig
    source: Path | None = None
    search: SearchConfig = field(default_factory=SearchConfig)

    def type_for_folder(self, rel_path: str) -> str | None:
        """The default type of a note from its folder: the longest configured folder prefix wins."""
        best: tuple[int, str] | None = None
        for folder, type_name in self.folders.items():
            prefix = folder.strip("/") + "/"
            if rel_path.startswith(prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), type_name)
        if best and best[1] == "decision" and not is_record_name(rel_path):
            return None  # an ADR folder's README, index or template is not a decision
        return best[1] if best else None

    def folder_for_type(self, type_name: str) -> str | None:
        spec = self.types.get(type_name)
        if spec and spec.folder:
            return spec.folder
        return next((folder for folder, name in self.folders.items() if name == type_name), None)

    def is_draft(self, type_name: str, status: object) -> bool:
        """A note whose `status:` is its type's draft status (`status: draft`; a proposed decision)."""
        spec = self.types.get(type_name)
        return isinstance(status, str) and status.strip().lower() == (spec.draft_status if spec else DRAFT_STATUS)

    def field_spec(self, type_name: str, field: str) -> FieldSpec | None:
        spec = self.types.get(type_name)
        if spec and field in spec.fields:
            return spec.fields[field]
        return self.fields.get(field)


def default_config() -> Config:
    return build_config(ConfigFile(), None)


def load_config(vault_root: Path) -> Config:
    """Read vault_root/backbrain.toml if present; any problem is a ConfigError naming the key."""
    path = vault_root / CONFIG_FILE
    if not path.is_file():
        return default_config()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason}).", hint="Save the file as UTF-8.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}.", hint="Fix the syntax at that line.") from exc
    except RecursionError as exc:
        hint = "A settings file needs only a few levels of tables and lists."
        raise ConfigError(f"{path}: nested too deeply to read.", hint=hint) from exc
    return build_config(_validate(raw, path), path)


def _validate(raw: dict[str, object], path: Path) -> ConfigFile:
    """Validate the file; the named tables ([types.X], [fields.X]) one by one so errors name X."""
    named = {key: raw.pop(key) for key in ("types", "fields") if isinstance(raw.get(key), dict)}
    parsed = _convert(raw, ConfigFile, "", path)
    types = named.get("types", {})
    fields = named.get("fields", {})
    assert isinstance(types, dict) and isinstance(fields, dict)
    parsed.types = {str(k): _convert(v, TypeOverride, f"types.{k}", path) for k, v in types.items()}
    parsed.fields = {str(k): _convert(v, FieldSpec, f"fields.{k}", path) for k, v in fields.items()}
    return parsed


def _convert(value: object, kind: type[_S], prefix: str, path: Path) -> _S:
    try:
        return msgspec.convert(value, kind)
    except msgspec.ValidationError as exc:
        raise ConfigError(
            f"{path}: invalid configuration: {_describe_validation_error(exc, prefix)}", hint=_config_hint()
        ) from exc


_UNKNOWN_KEY = re.compile(r"^Object contains unknown field `(?P<key>[^`]*)`(?: - at `\$\.?(?P<path>[^`]*)`)?$")
_AT_PATH = re.compile(r"^(?P<message>.*?) - at `\$\.?(?P<path>[^`]*)`$")


def _describe_validation_error(exc: msgspec.ValidationError, prefix: str) -> str:
    """msgspec says `... - at `$.check``; users know keys as `check.staleness_days`."""
    text = str(exc)
    unknown = _UNKNOWN_KEY.match(text)
    if unknown:
        return f"{_key(prefix, unknown['path'] or '', unknown['key'])}: unknown key"
    located = _AT_PATH.match(text)
    if located:
        return f"{_key(prefix, located['path'])}: {located['message']}"
    return f"{prefix}: {text}" if prefix else text


def _key(*parts: str) -> str:
    """Join a dotted key; msgspec writes list positions as `[0]`, shown here as `.0`."""
    joined = ".".join(part for part in parts if part)
    return joined.replace("[", ".").replace("]", "").replace("..", ".")


def _config_hint() -> str:
    return "See docs/format.md (section 'backbrain.toml') for the keys and their types."


def build_config(parsed: ConfigFile, source: Path | None) -> Config:
    types = dict(BUILTIN_TYPES)
    for name, override in parsed.types.items():
        types[name] = _merge_type(types.get(name), override)
    folders = {spec.folder: name for name, spec in types.items() if spec.folder}
    folders.update(dict.fromkeys(ADR_FOLDERS, "decision"))  # where adr-tools, MADR and log4brains write
    folders.update(parsed.folders)
    unknown = sorted({t for t in parsed.folders.values() if t not in types})
    if unknown:
        raise ConfigError(
            f"{source}: folders maps to unknown type(s): {', '.join(unknown)}.",
            hint=f"Known types: {', '.join(sorted(types))}; add a [types.NAME] table to define one.",
        )
    fields = {**COMMON_FIELDS, **parsed.fields}
    return Config(types, folders, fields, parsed.check, parsed.site, parsed.roadmap, source, parsed.search)


def _merge_type(base: TypeSpec | None, override: TypeOverride) -> TypeSpec:
    """Keys set in backbrain.toml replace the built-in's; keys left out keep the built-in value.

    A type that only backbrain.toml defines gets section roles from its section names (the words
    built-in types use for the same roles), so it is searched and reviewed like a built-in one.
    """
    changes = {
        name: getattr(override, name)
        for name in override.__struct_fields__
        if getattr(override, name) is not msgspec.UNSET
    }
    merged = msgspec.structs.replace(base or TypeSpec(), **changes)
    if base is None:
        merged = _default_roles(merged, changes)
    return merged


# Words in a section's title that mark it as describing what a person sees or suffers.
SYMPTOM_WORDS = ("symptom", "signal", "what it is", "problem", "impact", "context", "statement", "error", "alert")


def _default_roles(spec: TypeSpec, explicit: dict[str, object]) -> TypeSpec:
    sections = spec.required_sections
    roles: dict[str, object] = {}
    if "symptom_sections" not in explicit:
        roles["symptom_sections"] = [s for s in sections if any(w in s.lower() for w in SYMPTOM_WORDS)]
    if "cards" not in explicit:
        roles["cards"] = [CardSpec(section=s, prompt=f"{s}: what does {{q}} say?") for s in sections]
    return msgspec.structs.replace(spec, **roles) if roles else spec
