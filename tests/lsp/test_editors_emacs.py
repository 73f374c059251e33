"""`backbrain lsp` in a real Emacs with Eglot, in batch mode, loading the configuration copied out of
docs/editors.md: Flymake shows the live diagnostics, completion at point offers only valid relation
targets, xref jumps to definitions and lists the backlinks, `eglot-rename` renames a heading across
the vault, `eglot-code-actions` applies quick fixes, and a note rename (which Eglot cannot apply: it
has no file operations) is refused with what to do instead.

Eglot counts columns in UTF-16 where Neovim counts UTF-8 bytes: the café note checks both."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from lsp_helpers import CAFE, doc_blocks, make_editor_vault

DRIVER = Path(__file__).with_name("editors") / "emacs_driver.el"
BIN = Path(sys.executable).parent
READY = (
    "(progn (when (fboundp 'package-activate-all) (package-activate-all))"
    " (require 'eglot) (require 'markdown-mode))"
)


def find_emacs() -> tuple[str | None, str]:
    emacs = shutil.which("emacs")
    if emacs is None:
        return None, "no emacs: make test installs emacs-nox, elpa-eglot and elpa-markdown-mode (apt, as root)"
    done = subprocess.run([emacs, "--batch", "--eval", READY], capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        return None, f"emacs has no Eglot or markdown-mode: {done.stderr.strip().splitlines()[-1:]}"
    return emacs, ""


EMACS, WHY = find_emacs()
pytestmark = pytest.mark.skipif(EMACS is None, reason=WHY)


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    return make_editor_vault(tmp_path / "vault")


def run_emacs(vault: Path, scenario: str) -> dict[str, Any]:
    """Run the Elisp `scenario` in batch Emacs (cwd: the vault) after the documented configuration;
    return its report, failing with Emacs's own words when the scenario failed."""
    work = vault.parent / "emacs"
    (work / "home").mkdir(parents=True, exist_ok=True)
    (config,) = doc_blocks("Emacs", "emacs-lisp")
    (work / "init.el").write_text(config, encoding="utf-8")
    script = work / "scenario.el"
    script.write_text(
        f'(load "{DRIVER}" nil t)\n(bb-run\n (load "{work / "init.el"}" nil t)\n{scenario})\n', encoding="utf-8"
    )
    report = work / "report.json"
    env = {k: v for k, v in os.environ.items() if k != "BACKBRAIN_VAULT"}
    env.update(PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", HOME=str(work / "home"))
    env["BACKBRAIN_TEST_REPORT"] = str(report)
    done = subprocess.run(
        [str(EMACS), "--batch", "-l", str(script)], cwd=vault, env=env, capture_output=True, text=True, timeout=60
    )
    assert report.exists(), f"Emacs wrote no report (exit {done.returncode}): {done.stderr[-3000:]}"
    result: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    assert "error" not in result, f"{result['error']}\n{done.stderr[-3000:]}"
    return result


def test_diagnostics_completion_definition_and_references(vault: Path):
    report = run_emacs(
        vault,
        r"""
        (bb-open "notes/café notes.md")
        (bb-report "root" (project-root (project-current)))
        (goto-char (point-max))
        (insert "Voilà ☕ [[Nowhere at all]] here.\n")  ; typed, not saved
        (bb-wait "the broken link in Flymake"
                 (lambda () (cl-some (lambda (text) (string-match-p "BB201" text)) (bb-flymake-texts))))
        (bb-report "flagged" (cl-loop for d in (flymake-diagnostics)
                                      when (string-match-p "BB201" (flymake-diagnostic-text d))
                                      collect (buffer-substring-no-properties (flymake-diagnostic-beg d)
                                                                              (flymake-diagnostic-end d))))
        (bb-goto "[[caching]]" 3)
        (bb-report "backlinks"
                   (mapcar (lambda (item)
                             (let* ((location (xref-item-location item))
                                    (file (xref-file-location-file location)))
                               ;; Eglot 1.9 leaves a percent-decoded name undecoded (raw UTF-8 bytes);
                               ;; the file still opens, only its name shows escaped
                               (unless (file-exists-p file) (error "No such file: %s" file))
                               (vector (decode-coding-string
                                        (file-relative-name file (project-root (project-current))) 'utf-8)
                                       (xref-location-line location))))
                           (xref-backend-references 'eglot (xref-backend-identifier-at-point 'eglot))))
        (bb-goto "[[caching#Solution]]" 3)
        (call-interactively #'xref-find-definitions)
        (bb-report "landed" (vector (file-name-nondirectory buffer-file-name)
                                  (buffer-substring-no-properties (line-beginning-position) (line-end-position))))
        (find-file "../04_failure-modes/herd.md")
        (run-hooks 'post-command-hook)
        (bb-wait "Eglot on a new note" (lambda () (bound-and-true-p eglot--managed-mode)))
        (insert "---\ntitle: Thundering herd\ntype: failure-mode\nmitigated-by: [\n---\n")
        (bb-goto "mitigated-by: [" 15)
        (bb-report "offered" (bb-complete (lambda (candidates) (car (member "Rate limiting" candidates)))))
        (bb-report "line" (buffer-substring-no-properties (line-beginning-position) (line-end-position)))
        """,
    )
    assert report["root"] == f"{vault}/"
    assert report["flagged"] == ["[[Nowhere at all]]"]  # the range, in Eglot's UTF-16 columns
    assert report["landed"] == ["caching.md", "## Solution"]
    assert sorted(map(tuple, report["backlinks"])) == [
        ("02_systems/url-shortener.md", 5),
        ("04_failure-modes/cache-stampede.md", 11),
        ("04_failure-modes/cache-stampede.md", 27),
        (CAFE, 7),
        (CAFE, 7),
    ]
    assert sorted(report["offered"]) == ["Caching", "Rate limiting"]  # patterns only
    assert report["line"] == "mitigated-by: [rate-limiting"


def test_rename_a_heading_across_the_vault_and_a_note_rename_refused(vault: Path):
    report = run_emacs(
        vault,
        r"""
        (bb-open "01_patterns/caching.md")
        (bb-goto "## Solution" 4)
        (eglot-rename "How it works")
        (save-some-buffers t)
        (find-file "../notes/café notes.md")
        (run-hooks 'post-command-hook)
        (bb-wait "Eglot on the café note" (lambda () (bound-and-true-p eglot--managed-mode)))
        (bb-goto "[[caching]]" 3)
        (setq bb-messages nil)
        (eglot-rename "read-through-cache")
        (bb-wait "the server's answer" (lambda () (cl-some (lambda (m) (string-match-p "backbrain mv" m)) bb-messages)))
        """,
    )
    caching = (vault / "01_patterns/caching.md").read_text(encoding="utf-8")
    assert "\n## How it works\n" in caching and "\n## Solution\n" not in caching
    assert "[[caching#How it works]]" in (vault / "04_failure-modes/cache-stampede.md").read_text(encoding="utf-8")
    assert "Café ☕ — see [[caching]] and [[caching#How it works]]." in (vault / CAFE).read_text(encoding="utf-8")
    (refusal,) = [m for m in report["messages"] if "backbrain mv" in m]
    assert "This editor cannot rename a file" in refusal and "backbrain mv 01_patterns/caching.md NEW-NAME" in refusal
    assert (vault / "01_patterns/caching.md").exists() and not (vault / "01_patterns/read-through-cache.md").exists()


def test_quick_fixes_from_eglot_code_actions(vault: Path):
    (vault / "01_patterns/retry.md").write_text(
        "---\ntitle: Retry\ntype: pattern\n---\n\n# Retry\n\n## Problem\n\nFlaky calls, see [[Thundering herd]].\n",
        encoding="utf-8",
    )
    report = run_emacs(
        vault,
        r"""
        (bb-open "01_patterns/retry.md")
        (bb-wait "the missing sections in Flymake"
                 (lambda () (cl-some (lambda (text) (string-match-p "BB101" text)) (bb-flymake-texts))))
        (goto-char (flymake-diagnostic-beg (cl-find-if (lambda (d) (string-match-p "BB101" (flymake-diagnostic-text d)))
                                                       (flymake-diagnostics))))
        (setq bb-choice "Insert missing sections: Solution, Variants, When to use, When NOT to use")
        (bb-command #'eglot-code-actions)
        (bb-wait "the sections"
                 (lambda () (save-excursion (goto-char (point-min)) (search-forward "## When NOT to use" nil t))))
        (bb-goto "[[Thundering herd]]" 3)
        (setq bb-choice "Create failure-mode 'Thundering herd' (04_failure-modes/thundering-herd.md)")
        (bb-command #'eglot-code-actions)
        (bb-wait "the new note's buffer" (lambda () (get-file-buffer "../04_failure-modes/thundering-herd.md")))
        (with-current-buffer (get-file-buffer "../04_failure-modes/thundering-herd.md")
          (bb-report "created" (buffer-string)))
        (save-some-buffers t)
        """,
    )
    retry = (vault / "01_patterns/retry.md").read_text(encoding="utf-8")
    assert retry.count("\n## ") == 5
    assert "title: Thundering herd" in report["created"] and "## Mitigation strategies" in report["created"]
    assert (vault / "04_failure-modes/thundering-herd.md").read_text(encoding="utf-8") == report["created"]
