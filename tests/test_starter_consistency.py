"""Facts that several starter notes repeat must be stated one way (issue 14).

Each Fact names the notes it binds, the phrasings no note may use (the wrong forms the principal
engineer's review found, kept as `old` so the table is proven to catch them), the phrasings those
notes must contain, and figures that must have one value wherever they appear. Text is matched with
whitespace collapsed, so a phrase wrapped across lines still matches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pytest

from backbrain.core.vault import Vault, load_vault, starter_root

# One phrasing for every decision record's Outcome, so readers can tell what is real.
OUTCOME_LINE = (
    "*Real and illustrative:* the technologies, their documented defaults and limits, and the cited sources "
    "are real; the organisation, its incidents, its dates and every measured result in this record are "
    "illustrative, invented to show how the decision is judged, and are not published results."
)


@dataclass(frozen=True)
class Fact:
    name: str
    notes: tuple[str, ...]  # the notes that must state the fact (required phrasings apply to these)
    forbidden: tuple[str, ...] = ()  # regexes no starter note may match
    required: tuple[str, ...] = ()  # regexes every note in `notes` must match
    values: tuple[tuple[str, str], ...] = ()  # (regex with one group, the only value it may capture), all notes
    old: str = ""  # the wrong text as it was, which the table must flag
    only_in_notes: bool = False  # forbidden and values apply to `notes` only, not to every note


FACTS = [
    Fact(
        "rls-tenant-setting-is-transaction-scoped",
        ("sql-vs-nosql", "common-api-security-mistakes", "multi-tenant-billing"),
        forbidden=(r"current_setting\('app\.tenant_id'\)", r"makes that fail closed"),
        required=(r"set_config\('app\.tenant_id', \$1, true\)",),
        old="Tenant isolation depends on every connection setting `app.tenant_id`, which a missing `SET` would "
        "break; RLS with `FORCE ROW LEVEL SECURITY` makes that fail closed.",
    ),
    Fact(
        "patroni-async-failover-can-lose-acknowledged-writes",
        ("cap-theorem", "split-brain"),
        forbidden=(
            r"Patroni-managed PostgreSQL cluster \(CP\)",
            r"Patroni with etcd as its configuration store, and etcd itself, work this way",
        ),
        required=(r"synchronous_mode",),
        values=(
            (r"maximum_lag_on_failover`?,? (\d+ ?[kKMG]B|[\d,]+ bytes)", "1 MB"),
            (r"`ttl` \((\d+ s) by default\)", "30 s"),
        ),
        old="- etcd or a Patroni-managed PostgreSQL cluster (CP): the side without a majority stops accepting writes.",
    ),
    Fact(
        "outbox-ordering-needs-one-relay-per-key",
        ("transactional-outbox",),
        forbidden=(r"land in the same Kafka partition and stay ordered\.",),
        required=(r"pg_try_advisory_lock", r"One relay per partition of aggregates"),
        old="keyed by `aggregateid` so all events for one order land in the same Kafka partition and stay ordered. "
        "If the relay crashes",
    ),
    Fact(
        "tls-1.1-check-lowers-the-openssl-security-level",
        ("security-checklist", "http-protocol", "security-owasp-secrets"),
        forbidden=(r"openssl s_client [^<`]*?-tls1_1(?! -cipher '?DEFAULT@SECLEVEL=0)",),
        required=(r"-tls1_1 -cipher 'DEFAULT@SECLEVEL=0'", r"ssl-enum-ciphers"),
        values=((r"TLS (1\.\d) or (?:newer|later|higher)", "1.2"),),
        old="confirm TLS 1.2 or newer on every hop (`openssl s_client -connect host:443 -tls1_1` must fail)",
    ),
    Fact(
        "split-brain-is-mitigated-by-fencing-not-2pc",
        ("split-brain",),
        forbidden=(r"prepare-and-vote idea of \[\[two-phase-commit\]\]", r"mitigated-by: \[[^\]]*two-phase-commit"),
        required=(r"mitigated-by: \[[^\]]*fencing-tokens", r"mitigated-by: \[[^\]]*leases", r"Fence one side"),
        old="mitigated-by: [two-phase-commit, idempotency-keys]",
        only_in_notes=True,  # 2PC does mitigate partial failures; only split-brain must not claim it
    ),
    Fact(
        "retries-live-at-the-direct-caller-only",
        (
            "retry-with-backoff",
            "retry-storms",
            "resiliency-patterns",
            "circuit-breaker-mesh",
            "why-distributed-systems-fail",
            "adr-0009-circuit-breaker-pattern",
        ),
        forbidden=(
            r"outermost client or the edge",
            r"[Rr]etry at the edge",
            r"closest to the user",
            r"caller nearest the failure",
        ),
        required=(r"(?i)one layer only[:,] the direct caller of the failing dependency",),
        old="Retry at one layer only, usually the outermost client or the edge, and pass deadlines downstream.",
    ),
    Fact(
        "at-most-three-attempts-and-a-10-percent-budget",
        ("retry-with-backoff", "retry-storms"),
        forbidden=(r"cap on attempts \(2-3\)",),
        required=(r"at most 3 attempts",),
        values=((r"(\d+)% (?:retry )?budget", "10"), (r"`retry_budget` of (\d+)%", "10")),
        old="A 20% retry budget caps extra load at 1.2x.",
    ),
    Fact(
        "rate-limiter-agrees-with-adr-0006",
        ("rate-limiter", "adr-0006-distributed-rate-limiting"),
        forbidden=(
            r"1/N of the regional limit",
            r"keys above 10% of their limit",
            r"accuracy within about 2%",
            r"under 2% of a 60 s window",
        ),
        required=(r"5% (?:overshoot )?target", r"\*?full\*? regional (?:per-second )?limit"),
        values=((r"overshot by at most (\d+)%", "5"),),
        old="an in-memory token bucket per IP and per key with 1/N of the regional limit, where N is the number of "
        "gateway nodes.",
    ),
    Fact(
        "gitleaks-uses-the-git-command",
        ("security-checklist", "security-owasp-secrets"),
        forbidden=(r"gitleaks (?:detect|protect)\b",),
        required=(r"gitleaks git ",),
        old="`gitleaks detect --source . --redact`; add `gitleaks protect --staged` as a pre-commit hook",
    ),
    Fact(
        "asvs-is-version-5",
        ("security-checklist", "security-owasp-secrets"),
        forbidden=(r"ASVS 4\.0", r"Verification Standard 4\.0"),
        required=(r"(?:ASVS|Verification Standard)[^.]{0,20}5\.0\.0",),
        values=(
            (r"(?:ASVS|Application Security Verification Standard)\s+\(?(?:version\s+)?(\d+\.\d+(?:\.\d+)?)", "5.0.0"),
        ),
        old="7. OWASP Foundation. *Application Security Verification Standard 4.0.3*. 2021.",
    ),
    Fact(
        "owasp-top-10-2025-order",
        ("security-checklist", "security-owasp-secrets"),
        required=(
            r"Security Misconfiguration (?:\(A05 below\) rises to A02:2025|up to second)",
            r"Software Supply Chain Failures(?:, A03:2025| as third)",
            r"(?:A10:2025, |tenth category, )Mishandling of Exceptional Conditions",
        ),
    ),
    Fact(
        "kafka-default-retention-is-7-days",
        ("disk-full", "queue-backlog"),
        values=((r"Kafka(?:'s default is| keeps) (\d+ days)", "7 days"),),
        old="Kafka keeps 3 days regardless of volume",
    ),
    Fact(
        "owasp-api-top-10-edition",
        ("security-owasp-secrets", "common-api-security-mistakes", "api-design-checklist"),
        values=((r"API Security Top 10,? \(?(\d{4})", "2023"),),
        old="the OWASP API Security Top 10, 2019 edition",
    ),
    Fact(
        "burn-rate-14.4-spends-2-percent-of-a-30-day-budget-in-an-hour",
        ("slos-and-error-budgets", "safe-deployment", "observability-for-workflow-systems"),
        required=(r"14\.4",),
        values=((r"14\.4[^.%]{0,60}?(\d+(?:\.\d+)?)% of", "2"),),
        old="a burn rate of 14.4 sustained for one hour spends 5% of the month's error budget",
    ),
    Fact(
        "idempotency-claims-stuck-in-started-are-recovered",
        ("idempotency-keys",),
        required=(r"stuck in `started`", r"locked_at < now\(\) - interval"),
    ),
    Fact(
        "fallbacks-come-with-the-builders-library-caveat",
        ("circuit-breaker", "resiliency-patterns"),
        required=(r"Avoiding fallback",),
    ),
    Fact(
        "incidents-have-a-commander-and-a-communication-cadence",
        ("debugging-production-issues",),
        required=(r"incident commander", r"status page", r"every 30 minutes for SEV1"),
    ),
    Fact(
        "deploys-roll-out-zone-by-zone-then-region-by-region",
        ("safe-deployment",),
        required=(
            r"one zone \(or one \[\[cell-based-architecture\|cell\]\]\) of the first region",
            r"remaining regions one at a time",
        ),
    ),
]


@lru_cache(maxsize=1)
def starter() -> Vault:
    return load_vault(starter_root())


@lru_cache(maxsize=1)
def starter_texts() -> dict[str, str]:
    return {note_id: collapse(Path(note.path).read_text(encoding="utf-8")) for note_id, note in starter().notes.items()}


def collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def fact_problems(fact: Fact, texts: dict[str, str]) -> list[tuple[str, str]]:
    """(kind, message) for every way these texts break the fact; kind is forbidden, value or required."""
    problems: list[tuple[str, str]] = []
    for note_id, text in texts.items():
        if fact.only_in_notes and note_id not in fact.notes:
            continue
        for pattern in fact.forbidden:
            for match in re.finditer(pattern, text):
                problems.append(("forbidden", f"{note_id}: says {match.group(0)!r} (forbidden by {pattern!r})"))
        for pattern, wanted in fact.values:
            for match in re.finditer(pattern, text):
                if match.group(1) != wanted:
                    problems.append(("value", f"{note_id}: {match.group(0)!r} states {match.group(1)}, not {wanted}"))
    for note_id in fact.notes:
        text = texts.get(note_id)
        if text is None:
            continue
        for pattern in fact.required:
            if not re.search(pattern, text):
                problems.append(("required", f"{note_id}: lacks {pattern!r}"))
    return problems


@pytest.mark.parametrize("fact", FACTS, ids=[f.name for f in FACTS])
def test_no_note_contradicts_a_shared_fact(fact):
    texts = starter_texts()
    missing = [n for n in fact.notes if n not in texts]
    assert missing == [], f"{fact.name} names notes that do not exist: {missing}"
    assert fact_problems(fact, texts) == []


@pytest.mark.parametrize("fact", [f for f in FACTS if f.old], ids=[f.name for f in FACTS if f.old])
def test_the_table_flags_the_old_wrong_text(fact):
    kinds = {kind for kind, _ in fact_problems(fact, {fact.notes[0]: collapse(fact.old)})}
    assert kinds & {"forbidden", "value"}, f"{fact.name} would not catch its own old text"


def test_every_decision_outcome_says_what_is_real_in_one_phrasing():
    wrong = []
    for note in starter().by_type("decision"):
        section = note.section("Outcome")
        text = collapse(section.text).strip() if section else ""
        if not text.startswith(OUTCOME_LINE):
            wrong.append(note.id)
    assert wrong == []


def test_new_failure_modes_have_runnable_detection():
    """The issue asks each new failure mode for detection a person can run: a command or query block."""
    wanted = {
        "postgres-vacuum-wraparound": r"age\(datfrozenxid\)",
        "certificate-expiry": r"openssl (?:s_client|x509)",
        "disk-full": r"df -i",
        "queue-backlog": r"kafka-consumer-groups",
        "dns-failures": r"dig ",
        "clock-skew": r"chronyc tracking",
    }
    lacking = []
    for note_id, pattern in wanted.items():
        note = starter().notes[note_id]
        blocks = " ".join(block.text for block in note.code_blocks)
        if not re.search(pattern, blocks):
            lacking.append(note_id)
    assert lacking == []


# What on-call would type for each note issue 14 added, and the note that must answer it in the top 3.
NEW_NOTE_QUERIES = [
    ("No space left on device", "disk-full"),
    ("database is not accepting commands to avoid wraparound", "postgres-vacuum-wraparound"),
    ("certificate has expired handshake failure", "certificate-expiry"),
    ("Temporary failure in name resolution", "dns-failures"),
    ("consumer lag keeps growing", "queue-backlog"),
    ("tokens rejected as not yet valid clocks disagree", "clock-skew"),
    ("two workers both think they hold the lock after a GC pause", "leases"),
    ("how long may a restore take RPO RTO", "disaster-recovery-drill"),
    ("burn rate alert error budget", "slos-and-error-budgets"),
    ("every call needs a timeout and a deadline", "timeouts-and-deadlines"),
    ("a zone goes down and autoscaling cannot launch instances", "static-stability"),
    ("one tenant takes down every customer blast radius", "cell-based-architecture"),
    ("service to service mTLS identity SPIFFE", "service-to-service-auth"),
    ("authorization code PKCE JWKS rotation", "oauth2-oidc"),
]


def test_symptoms_find_the_new_notes(tmp_path):
    from backbrain.search.engine import search
    from backbrain.search.store import SearchIndex

    index = SearchIndex(starter_root(), tmp_path / "index.sqlite")
    try:
        index.sync()
        misses = {}
        for query, wanted in NEW_NOTE_QUERIES:
            top = [hit.id for hit in search(index, query, limit=3).hits]
            if wanted not in top:
                misses[query] = top
    finally:
        index.close()
    assert misses == {}


def test_lab_fields_name_real_labs_and_the_guide_lists_them():
    """Every `lab:` names a registered lab, and docs/starter-guide.md lists each lab with its notes."""
    from backbrain.labs.registry import list_labs

    registered = {info.name for info in list_labs()}
    carried: dict[str, set[str]] = {}
    for note in starter().notes.values():
        lab = note.meta.get("lab")
        if lab:
            carried.setdefault(str(lab), set()).add(note.id)
    assert set(carried) <= registered, set(carried) - registered
    guide = collapse((Path(__file__).resolve().parents[1] / "docs" / "starter-guide.md").read_text(encoding="utf-8"))
    listed = {name: set(ids.split(", ")) for name, ids in re.findall(r"`([a-z-]+)` \(([a-z, -]+)\)", guide)}
    assert {name: listed.get(name) for name in carried} == carried
