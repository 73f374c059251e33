"""Design drills: a system design prompt from a system note, run against the 45-minute playbook.

The prompt is a system note's Requirements; the clock is the phases of the
design-backend-system-in-45-minutes playbook, scaled to the minutes chosen; the reference answer is
the same note's Architecture, Bottlenecks and Tradeoffs, cut to key points so they can be read next
to the person's own answer. The person's answer is a file they write in their own editor (drills
are writing practice, not typing into a prompt), and the self-assessed result goes to
journal/drills.jsonl.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from backbrain.core.note import Note, parse_note
from backbrain.core.schema import TypeSpec
from backbrain.core.vault import Vault, starter_root
from backbrain.errors import NotFoundError, UsageError
from backbrain.fsutil import atomic_write_text
from backbrain.learn.journal import DRILL_LOG, JOURNAL_DIR, Journal, format_ts, parse_ts, to_utc, utc_now
from backbrain.learn.playbook import playbook_steps, short_label
from backbrain.learn.review import key_points, sentences_of

DESIGN_PLAYBOOK = "design-backend-system-in-45-minutes"
DESIGN_PLAYBOOK_FILE = "05_playbooks/design-backend-system-in-45-minutes.md"
DRILLS_DIR = "drills"
ANSWER_SUFFIX = ".txt"  # not .md: an answer inside journal/ must not be loaded as a note of the vault
SCORES = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class Phase:
    index: int  # 1-based
    text: str
    timebox_s: float


@dataclass(frozen=True)
class DrillPrompt:
    system: str
    title: str
    functional: list[str]
    non_functional: list[str]
    other: list[str]  # Requirements text outside the Functional / Non-functional subsections

    def lines(self) -> list[str]:
        out = [f"Design: {self.title}."]
        for label, items in (("Functional", self.functional), ("Non-functional", self.non_functional)):
            if items:
                out += ["", f"{label} requirements:"] + [f"- {item}" for item in items]
        if self.other and not (self.functional or self.non_functional):
            out += ["", "Requirements:"] + [f"- {item}" for item in self.other]
        return out


def candidate_systems(vault: Vault) -> list[Note]:
    """System notes that have Requirements to turn into a prompt, by id."""
    systems = [n for n in vault.by_type("system") if (s := n.section("Requirements")) is not None and not s.is_empty]
    return sorted(systems, key=lambda n: n.id)


def pick_system(vault: Vault, system_id: str | None = None, *, seed: int | None = None) -> Note:
    """The named system, or a random one (reproducible with `seed`)."""
    if system_id is not None:
        note = vault.get(system_id)
        if note.type != "system":
            raise UsageError(
                f"'{note.id}' is a {note.type}, not a system.", hint="List systems: backbrain list --type system"
            )
        return note
    systems = candidate_systems(vault)
    if not systems:
        raise NotFoundError(
            "No system note with a Requirements section to drill on.",
            hint='Add one with `backbrain new system "URL shortener"`.',
        )
    return random.Random(seed).choice(systems)


def drill_prompt(system: Note) -> DrillPrompt:
    functional = system.subsection("Requirements", "Functional")
    non_functional = system.subsection("Requirements", "Non-functional")
    requirements = system.section("Requirements")

    def points(section: Any) -> list[str]:
        return key_points(section.text, limit=8, first_sentence=False, max_chars=300) if section else []

    other = points(requirements) if not (functional or non_functional) else []
    return DrillPrompt(system.id, system.title, points(functional), points(non_functional), other)


def design_playbook(vault: Vault) -> Note:
    """The 45-minute design playbook: the vault's own copy, else the bundled starter's."""
    note = vault.resolve(DESIGN_PLAYBOOK)
    if note is not None and playbook_steps(note):
        return note
    path = starter_root() / DESIGN_PLAYBOOK_FILE
    return parse_note(path, DESIGN_PLAYBOOK_FILE, path.read_bytes(), "playbook")


def drill_phases(playbook: Note, minutes: float) -> list[Phase]:
    """The playbook's steps as phases, timeboxes scaled so that together they last `minutes`."""
    if minutes <= 0:
        raise UsageError("--minutes must be more than 0.")
    steps = playbook_steps(playbook)
    if not steps:
        raise UsageError(f"'{playbook.id}' has no Steps to run as phases.")
    boxes = [s.timebox_min for s in steps]
    known = sum(b for b in boxes if b)
    spare = [b for b in boxes if not b]
    default = (known / len(boxes) if known else 1.0) if spare else 0.0  # untimed steps get an average share
    total = known + default * len(spare)
    scale = minutes * 60 / total
    return [Phase(s.index, s.text, round((s.timebox_min or default) * scale, 3)) for s in steps]


def answer_template(prompt: DrillPrompt, phases: list[Phase], minutes: float) -> str:
    """The answer file a person starts from: the prompt, then one heading per phase."""
    lines = [f"# Drill: {prompt.title} ({minutes:g} min)", ""]
    lines += [f"> {line}" if line else ">" for line in prompt.lines()]
    lines.append("")
    for phase in phases:
        lines += [f"## {phase.index}. {short_label(phase.text)} ({_clock(phase.timebox_s)})", "", ""]
    return "\n".join(lines).rstrip() + "\n"


def _clock(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"


def default_answer_path(journal: Journal, system: Note, now: dt.datetime) -> Path:
    return journal.root / DRILLS_DIR / f"{to_utc(now):%Y%m%d-%H%M%S}-{system.id}{ANSWER_SUFFIX}"


def prepare_answer_file(path: Path, template: str, root: Path) -> bool:
    """Create the answer file (inside `root`) from the template; an existing file is kept. True if created."""
    if path.exists():
        if not path.is_file():
            raise UsageError(f"{path} is not a file.")
        return False
    try:
        atomic_write_text(path, template, root=root, exclusive=True)
    except FileExistsError:
        return False
    return True


def read_answer(path: Path, max_chars: int = 20_000) -> str:
    """The person's answer without the template's quoted prompt, cut to a sensible length."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    text = "\n".join(line for line in text.splitlines() if not line.startswith(">")).strip()
    return text if len(text) <= max_chars else text[:max_chars] + "\n…"


def reference_points(system: Note, spec: TypeSpec, per_section: int = 5) -> list[tuple[str, list[str]]]:
    """The reference design as (section, key points) for the sections the type names as its reference
    answer: bullets or first sentences of each block; one paragraph gives its first few sentences."""
    result = []
    for title in spec.reference_sections:
        section = system.section(title)
        if section is None or section.is_empty:
            continue
        points = key_points(section.text, limit=per_section)
        if len(points) < 3:
            points = _sentences(section.text, per_section)
        result.append((title, points))
    return result


def _sentences(markdown: str, limit: int) -> list[str]:
    sentences: list[str] = []
    for block in key_points(markdown, limit=limit, first_sentence=False, max_chars=10_000):
        sentences += sentences_of(block)
    return [s if len(s) <= 240 else s[:239].rsplit(" ", 1)[0] + "…" for s in sentences[:limit]]


@dataclass
class PhaseResult:
    phase: int
    text: str
    timebox_s: float
    elapsed_s: float

    @property
    def overrun_s(self) -> float:
        return max(0.0, self.elapsed_s - self.timebox_s)


@dataclass
class DrillResult:
    system: str
    title: str
    minutes: float
    answer: str  # path of the answer file, relative to the journal's vault when inside it
    started: dt.datetime
    elapsed_s: float
    phases: list[PhaseResult] = field(default_factory=list)
    self_score: int | None = None
    status: str = "scored"  # scored, or quit when the drill was abandoned

    def to_event(self) -> dict[str, Any]:
        data = asdict(self)
        data["started"] = format_ts(self.started)
        data["elapsed_s"] = round(self.elapsed_s, 1)
        data["phases"] = [{**asdict(p), "elapsed_s": round(p.elapsed_s, 1)} for p in self.phases]
        return data


def log_drill(journal: Journal, result: DrillResult, *, now: dt.datetime | None = None) -> dict[str, Any]:
    if result.self_score is not None and result.self_score not in SCORES:
        raise UsageError(f"Self-score must be 1-5, not {result.self_score}.")
    return journal.append(DRILL_LOG, "drill", result.to_event(), now=now or utc_now())


def answer_label(journal: Journal, path: Path) -> str:
    """The answer's path as logged: relative to the vault when inside it (so the log stays valid
    when the vault moves or is cloned), else absolute."""
    resolved = Path(path).resolve()
    if journal.root.name != JOURNAL_DIR:  # the starter's per-user journal: there is no vault to be inside
        return str(resolved)
    try:
        return resolved.relative_to(journal.root.parent.resolve()).as_posix()
    except ValueError:
        return str(resolved)


def load_drills(journal: Journal) -> list[dict[str, Any]]:
    """Logged drills, oldest first, with `started` parsed; malformed events are skipped."""
    drills = []
    for event in journal.events(DRILL_LOG, "drill"):
        if isinstance(event.get("system"), str) and parse_ts(event.get("started")):
            drills.append(event)
    return drills
