"""The note commands through the real entry point (`python -m backbrain`), as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import failure, pattern, run_cli, write_vault


def test_version_and_help():
    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.startswith("backbrain, version ")
    helptext = run_cli("--help").stdout
    for command in ("init", "new", "check", "list", "show"):
        assert f"  {command} " in helptext


def test_init_new_check_cycle(tmp_path: Path):
    vault = tmp_path / "brain"
    assert run_cli("init", str(vault)).returncode == 0
    assert (vault / "backbrain.toml").read_text().startswith("# backbrain.toml")
    assert ".backbrain/" in (vault / ".gitignore").read_text()
    assert all((vault / d).is_dir() for d in ("01_patterns", "04_failure-modes", "journal", "labs"))

    created = run_cli("new", "pattern", "Cache Aside!", "--vault", str(vault))
    assert created.returncode == 0
    path = Path(created.stdout.strip())
    assert path == vault / "01_patterns" / "cache-aside.md"
    text = path.read_text()
    for section in ("## Problem", "## Solution", "## Variants", "## When to use", "## When NOT to use"):
        assert section in text
    assert "title: Cache Aside!" in text

    again = run_cli("new", "pattern", "Cache aside", "--vault", str(vault))
    assert again.returncode == 3 and str(path) in again.stderr
    assert path.read_text() == text  # refused, untouched

    assert "status: draft" in text  # a fresh note is a draft: its empty sections do not fail the check
    checked = run_cli("check", str(vault), "--format", "json")
    assert checked.returncode == 0, checked.stdout
    payload = json.loads(checked.stdout)
    assert payload["notes"] == 1
    assert {(p["code"], p["severity"]) for p in payload["problems"]} == {("BB102", "warning")}  # no orphan alone
    assert all(p["path"] == "01_patterns/cache-aside.md" for p in payload["problems"])
    assert run_cli("check", str(vault), "--strict").returncode == 1
    drafts = json.loads(run_cli("list", "--where", "status=draft", "--format", "json", "--vault", str(vault)).stdout)
    assert [n["id"] for n in drafts["notes"]] == ["cache-aside"]

    path.write_text(text.replace("status: draft\n", ""))  # finished writing: the same findings are errors
    finished = json.loads(run_cli("check", str(vault), "--format", "json").stdout)
    assert {(p["code"], p["severity"]) for p in finished["problems"]} == {("BB102", "error")}
    assert not json.loads(run_cli("list", "--where", "status=draft", "--format", "json", "--vault", str(vault)).stdout)[
        "notes"
    ]


def test_new_decision_has_status_and_date(tmp_path: Path):
    vault = tmp_path / "v"
    run_cli("init", str(vault))
    path = Path(run_cli("new", "decision", "Use Kafka", "--vault", str(vault)).stdout.strip())
    text = path.read_text()
    assert "status: proposed" in text and "date: " in text


def test_new_unknown_type_is_usage_error(tmp_path: Path):
    vault = tmp_path / "v"
    run_cli("init", str(vault))
    result = run_cli("new", "recipe", "Soup", "--vault", str(vault))
    assert result.returncode == 2 and "Unknown type 'recipe'" in result.stderr and "pattern" in result.stderr


def test_init_keeps_existing_files(tmp_path: Path):
    vault = tmp_path / "v"
    vault.mkdir()
    (vault / "backbrain.toml").write_text("[check]\nstaleness_days = 7\n")
    (vault / ".gitignore").write_text("*.tmp\n")
    assert run_cli("init", str(vault)).returncode == 0
    assert (vault / "backbrain.toml").read_text() == "[check]\nstaleness_days = 7\n"
    assert (
        vault / ".gitignore"
    ).read_text() == "*.tmp\n# backbrain caches: disposable, rebuilt on demand\n.backbrain/\n"


def test_check_exit_codes_and_strict(tmp_path: Path):
    vault = write_vault(
        tmp_path / "v",
        {
            "01_patterns/caching.md": pattern("Caching", mitigates=["stampede"]),
            "04_failure-modes/stampede.md": failure("Stampede"),
        },
    )
    assert run_cli("check", str(vault)).returncode == 0
    write_vault(vault, {"01_patterns/lonely.md": pattern("Lonely")})  # an orphan: a warning
    assert run_cli("check", str(vault)).returncode == 0
    strict = run_cli("check", str(vault), "--strict")
    assert strict.returncode == 1
    assert "01_patterns/lonely.md:1: BB501 [warning] orphan" in strict.stdout


def test_bad_config_is_exit_2_naming_the_key(tmp_path: Path):
    vault = write_vault(tmp_path / "v", {"backbrain.toml": "[check]\nstaleness_dayz = 3\n"})
    result = run_cli("check", str(vault))
    assert result.returncode == 2
    assert "check.staleness_dayz" in result.stderr and "Traceback" not in result.stderr
    broken = write_vault(tmp_path / "w", {"backbrain.toml": "[check\n"})
    result = run_cli("check", str(broken))
    assert result.returncode == 2 and "invalid TOML" in result.stderr


def test_missing_folder_is_exit_2(tmp_path: Path):
    result = run_cli("check", str(tmp_path / "nope"))
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_list_filters_and_formats(tmp_path: Path):
    vault = write_vault(
        tmp_path / "v",
        {
            "01_patterns/caching.md": pattern("Caching", tags=["cache"], mitigates=["stampede"], progress="completed"),
            "04_failure-modes/stampede.md": failure("Stampede", tags=["cache", "load"]),
        },
    )
    payload = json.loads(run_cli("list", "--vault", str(vault), "--format", "json").stdout)
    assert payload == {
        "notes": [
            {
                "id": "stampede",
                "type": "failure-mode",
                "title": "Stampede",
                "path": "04_failure-modes/stampede.md",
                "tags": ["cache", "load"],
                "progress": "not-started",
            },
            {
                "id": "caching",
                "type": "pattern",
                "title": "Caching",
                "path": "01_patterns/caching.md",
                "tags": ["cache"],
                "progress": "completed",
            },
        ]
    }
    only = json.loads(run_cli("list", "--vault", str(vault), "--type", "pattern", "--format", "json").stdout)
    assert [n["id"] for n in only["notes"]] == ["caching"]
    where = json.loads(
        run_cli(
            "list", "--vault", str(vault), "--where", "progress=completed", "--where", "tags=cache", "--format", "json"
        ).stdout
    )
    assert [n["id"] for n in where["notes"]] == ["caching"]
    tagged = run_cli("list", "--vault", str(vault), "--tag", "load", "--format", "csv").stdout.splitlines()
    assert tagged[0] == "id,type,title,path,tags,progress" and tagged[1].startswith("stampede,failure-mode")
    bad = run_cli("list", "--vault", str(vault), "--where", "progress")
    assert bad.returncode == 2 and "FIELD OP VALUE" in bad.stderr


def test_show_renders_relations_and_backlinks(tmp_path: Path):
    vault = write_vault(
        tmp_path / "v",
        {
            "01_patterns/caching.md": pattern("Caching", mitigates=["stampede"]),
            "04_failure-modes/stampede.md": failure("Stampede", aliases=["dogpile"]),
            "inbox/n.md": "# Notes\n\nThe dogpile hit us on Monday: [[dogpile]].\n",
        },
    )
    result = run_cli("show", "dogpile", "--vault", str(vault))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Stampede" in out and "Mitigated by" in out and "Caching (caching)" in out
    assert "The dogpile hit us on Monday" in out
    assert "\x1b[" not in out  # NO_COLOR respected
    missing = run_cli("show", "stampedee", "--vault", str(vault))
    assert missing.returncode == 2 and "Did you mean" in missing.stderr and "stampede" in missing.stderr


def test_vault_discovery_env_and_walk_up(tmp_path: Path):
    vault = write_vault(tmp_path / "v", {"backbrain.toml": "", "01_patterns/x.md": pattern("X")})
    deep = vault / "01_patterns"
    by_walk = json.loads(run_cli("list", "--format", "json", cwd=deep).stdout)
    assert [n["id"] for n in by_walk["notes"]] == ["x"]
    by_env = json.loads(run_cli("list", "--format", "json", cwd=tmp_path, env={"BACKBRAIN_VAULT": str(vault)}).stdout)
    assert [n["id"] for n in by_env["notes"]] == ["x"]


def test_starter_is_default_and_read_only(tmp_path: Path):
    result = run_cli("new", "pattern", "Anything", cwd=tmp_path)
    assert result.returncode == 3 and "backbrain init" in result.stderr
