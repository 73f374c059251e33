"""The core never imports the CLI or web libraries: a library first, thin layers over it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "backbrain"
PRESENTATION = {"cli", "web", "__main__.py"}  # the only places allowed to use the libraries below
FORBIDDEN = {"click", "rich", "starlette", "uvicorn", "httpx", "backbrain.cli", "backbrain.web"}


def core_modules() -> list[Path]:
    return [
        p
        for p in PACKAGE.rglob("*.py")
        if p.relative_to(PACKAGE).parts[0] not in PRESENTATION and p.relative_to(PACKAGE).parts[0] != "starter"
    ]


def imported_names(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_core_modules_do_not_import_presentation_libraries():
    offenders = {}
    for path in core_modules():
        bad = {name for name in imported_names(path) if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)}
        if bad:
            offenders[str(path.relative_to(PACKAGE))] = sorted(bad)
    assert offenders == {}


def test_layering_test_sees_the_core():
    names = {str(p.relative_to(PACKAGE)) for p in core_modules()}
    assert {"core/vault.py", "check.py", "core/note.py", "core/schema.py"} <= names


def test_importing_the_core_loads_no_presentation_library():
    code = (
        "import sys, backbrain.check, backbrain.scaffold, backbrain.listing; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'click','rich','starlette','uvicorn','httpx'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
