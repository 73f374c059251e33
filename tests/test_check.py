"""Every check rule, on vaults built from dicts; plus the rule table and the JSON contract."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from conftest import failure, note_text, pattern, run_cli

from backbrain.check import RULES, check_vault
from backbrain.core.vault import load_vault

TODAY = dt.date(2026, 11, 21)


def codes(root: Path) -> list[tuple[str, int, str]]:
    report = check_vault(load_vault(root), today=TODAY)
    return [(p.path, p.line, p.code) for p in report.problems]


def only_codes(root: Path) -> set[str]:
    return {code for _, _, code in codes(root)}


def linked_pair(extra_pattern: dict | None = None, extra_failure: dict | None = None) -> dict:
    return {
        "01_patterns/caching.md": pattern("Caching", mitigates=["stampede"], **(extra_pattern or {})),
        "04_failure-modes/stampede.md": failure("Stampede", **(extra_failure or {})),
    }


def test_clean_vault_has_no_problems(make_vault):
    assert codes(make_vault(linked_pair())) == []


def test_not_utf8_and_binary(make_vault):
    root = make_vault({**linked_pair(), "01_patterns/latin.md": b"---\ntitle: caf\xe9\n---\n", "x.md": b"\x00\x01\x02"})
    found = codes(root)
    assert ("01_patterns/latin.md", 1, "BB001") in found
    assert ("x.md", 1, "BB001") in found


@pytest.mark.parametrize(
    "text, line",
    [
        ("---\ntitle: [unclosed\n---\n# T\n", 3),
        ("---\n- a\n- b\n---\n# T\n", 2),
        ("---\ntitle: x\n", 1),
        (
            "---\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
            "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
            "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n---\n",
            2,
        ),
    ],
    ids=["yaml-syntax", "not-a-mapping", "unclosed", "alias-bomb"],
)
def test_invalid_front_matter(make_vault, text, line):
    root = make_vault({**linked_pair(), "01_patterns/bad.md": text})
    assert ("01_patterns/bad.md", line, "BB002") in codes(root)


def test_missing_front_matter_only_in_typed_folders(make_vault):
    root = make_vault(
        {**linked_pair(), "01_patterns/bare.md": "# Bare\n\n[[caching]]\n", "inbox/idea.md": "# Idea\n[[caching]]\n"}
    )
    found = codes(root)
    assert ("01_patterns/bare.md", 1, "BB003") in found
    assert not [c for c in found if c[0] == "inbox/idea.md"]


def test_unknown_type_names_known_types(make_vault):
    root = make_vault({**linked_pair(), "x/odd.md": {"title": "Odd", "type": "recipe", "related": ["caching"]}})
    report = check_vault(load_vault(root), today=TODAY)
    [problem] = [p for p in report.problems if p.code == "BB004"]
    assert problem.line == 3 and "pattern" in problem.message


def test_missing_field_invalid_enum_date_and_shape(make_vault):
    root = make_vault(
        {
            **linked_pair(
                extra_failure={"progress": "done", "reviewed": "yesterday", "tags": 5, "created": "2026-02-30"}
            ),
            "03_decisions/d.md": {"title": "D", "type": "decision", "affects": ["caching"]},
            "articles/a.md": {"title": "A", "type": "article", "summary": "", "related": ["caching"]},
        }
    )
    found = only_codes(root)
    assert {"BB005", "BB006", "BB007", "BB008"} <= found
    missing = [c for c in codes(root) if c[2] == "BB005"]
    assert {c[0] for c in missing} == {"03_decisions/d.md", "articles/a.md"}


def test_invalid_explicit_id_is_a_warning(make_vault):
    root = make_vault({**linked_pair(extra_failure={"id": "Not_Kebab"})})
    report = check_vault(load_vault(root), today=TODAY)
    assert [p.severity for p in report.problems if p.code == "BB009"] == ["warning"]


def test_missing_and_empty_sections_and_subsections(make_vault):
    body = "# Caching\n\n## Problem\n\n<!-- fill me -->\n\n## Solution\n\nUse a cache.\n"
    system = note_text({"title": "Shortener", "type": "system", "uses": ["caching"], "risks": ["stampede"]}).replace(
        "### Functional", "### Other"
    )
    root = make_vault(
        {
            **linked_pair(),
            "01_patterns/caching.md": note_text(pattern("Caching", mitigates=["stampede"]), body),
            "02_systems/s.md": system,
        }
    )
    found = codes(root)
    assert ("01_patterns/caching.md", 10, "BB102") in found  # Problem has only a comment
    assert sum(1 for c in found if c[2] == "BB101" and c[0] == "01_patterns/caching.md") == 3
    assert any(c[2] == "BB103" and c[0] == "02_systems/s.md" for c in found)


def test_playbook_steps_must_be_tasks(make_vault):
    body = "# P\n\n## When to use\n\nAlways.\n\n## Steps\n\n1. Do this\n2. Do that\n\n## Pitfalls\n\nNone.\n"
    root = make_vault(
        {
            **linked_pair(),
            "05_playbooks/p.md": note_text({"title": "P", "type": "playbook", "related": ["caching"]}, body),
        }
    )
    assert ("05_playbooks/p.md", 14, "BB104") in codes(root)


def test_broken_links_anchors_attachments_and_traversal(make_vault):
    body = (
        "# Stampede\n\nSee [[caching]], [[Caching#Solution]], [[caching#Nope]], [[missing-note]],\n"
        "[[../../etc/passwd]], ![[diagram.png]] and ![[gone.png]].\n\n"
        + note_text(None, None, type_name="failure-mode").split("\n", 2)[2]
    )
    root = make_vault(
        {
            **linked_pair(),
            "04_failure-modes/stampede.md": note_text(failure("Stampede"), body),
            "assets/diagram.png": b"\x89PNG",
        }
    )
    found = [c for c in codes(root) if c[0] == "04_failure-modes/stampede.md"]
    assert ("04_failure-modes/stampede.md", 8, "BB202") in found  # caching#Nope
    assert ("04_failure-modes/stampede.md", 8, "BB201") in found  # missing-note
    assert ("04_failure-modes/stampede.md", 9, "BB201") in found  # the traversal is just a broken link
    assert ("04_failure-modes/stampede.md", 9, "BB203") in found  # gone.png
    assert sum(1 for c in found if c[2] == "BB203") == 1


def test_links_by_alias_title_and_path_resolve(make_vault):
    root = make_vault(
        {
            "01_patterns/caching.md": pattern("Caching Layer", aliases=["cache-aside"]),
            "inbox/n.md": "# N\n\n[[cache-aside]] [[Caching Layer]] [[01_patterns/caching]] [[caching.md]]\n",
        }
    )
    assert only_codes(root) == set()


def test_broken_relation_and_wrong_relation_type(make_vault):
    root = make_vault(
        {
            **linked_pair(),
            "04_failure-modes/herd.md": failure("Herd", **{"mitigated-by": ["stampede", "nowhere"]}),
        }
    )
    found = codes(root)
    assert ("04_failure-modes/herd.md", 4, "BB204") in found
    assert ("04_failure-modes/herd.md", 4, "BB205") in found


def test_duplicate_id_and_alias(make_vault):
    root = make_vault(
        {
            **linked_pair(extra_pattern={"aliases": ["stampede"]}),
            "inbox/other.md": "---\nid: caching\ntitle: Other\n---\n# Other\n[[stampede]]\n",
        }
    )
    found = codes(root)
    assert ("inbox/other.md", 2, "BB301") in found
    assert any(c[2] == "BB302" and c[0] == "01_patterns/caching.md" for c in found)


def decision(title: str, **extra) -> dict:
    return {
        "title": title,
        "type": "decision",
        "status": "accepted",
        "date": "2026-01-01",
        "affects": ["caching"],
        **extra,
    }


def test_supersede_rules(make_vault):
    root = make_vault(
        {
            **linked_pair(),
            "03_decisions/a.md": decision("A", status="superseded", **{"superseded-by": ["b"]}),
            "03_decisions/b.md": decision("B"),
            "03_decisions/c.md": decision("C", supersedes=["a"]),  # a second successor: conflict
            "03_decisions/d.md": decision("D", status="superseded"),  # no successor
            "03_decisions/e.md": decision("E", supersedes=["f"]),
            "03_decisions/f.md": decision("F", status="superseded", supersedes=["e"]),  # cycle e <-> f
            "03_decisions/g.md": decision("G", supersedes=["h"]),
            "03_decisions/h.md": decision("H"),  # superseded but still accepted
        }
    )
    found = codes(root)
    assert any(c[2] == "BB401" and c[0] == "03_decisions/a.md" for c in found)
    assert any(c[2] == "BB402" and c[0] == "03_decisions/d.md" for c in found)
    assert any(c[2] == "BB403" and c[0] == "03_decisions/h.md" for c in found)
    assert sum(1 for c in found if c[2] == "BB404") == 1


def test_orphans_and_staleness(make_vault):
    root = make_vault(
        {**linked_pair(extra_failure={"reviewed": "2025-01-01"}), "01_patterns/lonely.md": pattern("Lonely")}
    )
    report = check_vault(load_vault(root), today=TODAY)
    assert [(p.path, p.severity) for p in report.problems if p.code == "BB501"] == [
        ("01_patterns/lonely.md", "warning")
    ]
    stale = [p for p in report.problems if p.code == "BB502"]
    assert stale and stale[0].severity == "info" and "days ago" in stale[0].message


def test_config_adds_types_sections_and_ignores(make_vault):
    root = make_vault(
        {
            **linked_pair(),
            "backbrain.toml": '[types.runbook]\nfolder = "06_runbooks"\nrequired_sections = ["Symptoms"]\n'
            '[types.pattern]\nrequired_sections = ["Problem"]\n[check]\nignore = ["orphan"]\n',
            "06_runbooks/r.md": "---\ntitle: R\n---\n# R\n\n## Fix\n\nRestart.\n",
            "01_patterns/lonely.md": note_text(pattern("Lonely"), "# Lonely\n\n## Problem\n\nIt is alone.\n"),
        }
    )
    assert codes(root) == [("06_runbooks/r.md", 4, "BB101")]


def test_rule_table_matches_docs():
    docs = (Path(__file__).resolve().parents[1] / "docs" / "checks.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (BB\d{3}) \| `([a-z-]+)` \| (\w+) \| (\w+) \| (.+?) \|$", docs, re.MULTILINE)
    assert [(code, name, sev, draft, doc) for code, name, sev, draft, doc in rows] == [
        (r.code, r.name, r.severity, r.draft_severity, r.doc) for r in RULES.values()
    ]


def test_json_report_shape(make_vault):
    root = make_vault({**linked_pair(), "01_patterns/lonely.md": pattern("Lonely")})
    payload = json.loads(check_vault(load_vault(root), today=TODAY).to_json())
    assert set(payload) == {"notes", "problems"} and payload["notes"] == 3
    assert set(payload["problems"][0]) == {"path", "line", "code", "severity", "message"}


def test_an_alias_that_hides_another_notes_title_is_a_warning(make_vault):
    root = make_vault(
        {
            **linked_pair(extra_pattern={"aliases": ["Cache invalidation"]}),
            "inbox/notes-on-invalidation.md": "---\ntitle: Cache invalidation\n---\n# Cache invalidation\n\n"
            "See [[caching]].\n",
            "inbox/ttl.md": "---\ntitle: TTL\naliases: [Expiry]\n---\n# TTL\n\n"
            "[[Cache invalidation]] and [[Expiry]].\n",
            "inbox/expiry.md": "---\ntitle: Expiry\n---\n# Expiry\n\nThe file name wins over an alias: no warning.\n",
        }
    )
    result = run_cli("check", "--vault", str(root), "--format", "json")
    problems = [p for p in json.loads(result.stdout)["problems"] if p["code"] == "BB303"]
    assert [(p["path"], p["severity"]) for p in problems] == [("01_patterns/caching.md", "warning")]
    assert "[[inbox/notes-on-invalidation]]" in problems[0]["message"]
    assert load_vault(root).resolve("Cache invalidation").rel == "01_patterns/caching.md"  # what it warns about
