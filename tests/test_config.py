"""backbrain.toml: every bad key is an error that names it; good keys change the schema."""

from __future__ import annotations

from pathlib import Path

import pytest

from backbrain.core.schema import load_config
from backbrain.errors import ConfigError


@pytest.mark.parametrize(
    ("toml", "named"),
    [
        ("[check]\nstaleness_dayz = 3\n", "check.staleness_dayz: unknown key"),
        ('[check]\nstaleness_days = "x"\n', "check.staleness_days: Expected `int`, got `str`"),
        ("[check]\nstaleness_days = 0\n", "check.staleness_days: Expected `int` >= 1"),
        ("[types.pattern]\nrequired_sections = 5\n", "types.pattern.required_sections: Expected `array`"),
        ('[types.runbook]\nfolder = "r"\nbogus = 1\n', "types.runbook.bogus: unknown key"),
        ('[fields.owner]\nkind = "weird"\n', "fields.owner.kind: Invalid enum value 'weird'"),
        ('[roadmap]\nareas = [{id = "a"}]\n', "roadmap.areas.0: Object missing required field `title`"),
        ("types = 3\n", "types: Expected `object`, got `int`"),
        ('[folders]\n"x" = "nope"\n', "folders maps to unknown type(s): nope"),
        ("[check\n", "invalid TOML"),
    ],
)
def test_bad_config_names_the_key(tmp_path: Path, toml: str, named: str):
    (tmp_path / "backbrain.toml").write_text(toml)
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path)
    assert named in str(raised.value)


def test_overrides_keep_unset_keys_and_add_types(tmp_path: Path):
    (tmp_path / "backbrain.toml").write_text(
        '[types.pattern]\nrequired_sections = ["Problem"]\n'
        '[types.runbook]\nfolder = "06_runbooks"\nrequired_fields = ["title", "service"]\n'
        '[fields.severity]\nkind = "enum"\nvalues = ["sev1", "sev2"]\n[check]\nstaleness_days = 30\n'
    )
    config = load_config(tmp_path)
    assert config.types["pattern"].required_sections == ["Problem"]
    assert config.types["pattern"].folder == "01_patterns" and config.types["pattern"].label == "Patterns"
    assert config.type_for_folder("06_runbooks/disk-full.md") == "runbook"
    assert config.field_spec("runbook", "severity").values == ["sev1", "sev2"]
    assert config.check.staleness_days == 30
    assert load_config(tmp_path / "missing").types.keys() == config.types.keys() - {"runbook"}


def test_optional_with_from_the_config_decides_what_check_asks(tmp_path: Path):
    from backbrain.check import check_vault
    from backbrain.core.vault import load_vault

    (tmp_path / "backbrain.toml").write_text(
        '[types.runbook]\nfolder = "runbooks"\nrequired_sections = ["Symptoms", "Fix"]\n'
        'optional_with = { Workaround = ["Fix"] }\n'
    )
    (tmp_path / "runbooks").mkdir()
    body = "---\ntitle: {0}\n---\n# {0}\n\n## Symptoms\n\nDisk full.\n\n{1}"
    (tmp_path / "runbooks" / "a.md").write_text(body.format("A", "## Workaround\n\nDelete old logs.\n"))
    (tmp_path / "runbooks" / "b.md").write_text(body.format("B", "## Notes\n\nNone.\n"))
    missing = [(p.path, p.message) for p in check_vault(load_vault(tmp_path)).problems if p.code == "BB101"]
    assert missing == [("runbooks/b.md", "Missing required section '## Fix' for type 'runbook'.")]
