# tempmail-tui: every target creates .venv and installs what it needs on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test test-pythons lint format screenshots bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/tempmail-tui --demo

# One worker per core (TEST_JOBS=1 runs in one process); the installed-package tests stay on
# one worker, as they share one built wheel. pytest exits 5 when it collects no tests: that is
# not a failure of the suite.
TEST_JOBS ?= auto
test: $(STAMP)
	@$(BIN)/python -m pytest -q -p no:cacheprovider -n $(TEST_JOBS) --dist loadgroup; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests ran"; exit 0; fi; exit $$rc

# The client, sandbox and installed-package tests on each Python 3.11+ found on the machine.
test-pythons:
	bash .ci/test-pythons

lint: $(STAMP)
	$(BIN)/ruff check tempmail_tui tests
	$(BIN)/ruff format --check tempmail_tui tests
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix tempmail_tui tests
	$(BIN)/ruff format tempmail_tui tests

screenshots: $(STAMP)
	$(BIN)/python -m tempmail_tui.ui.screenshots screenshots

bench: $(STAMP)
	$(BIN)/python -m tests.bench

clean:
	rm -rf $(VENV) .venv-3.* .pytest_cache .mypy_cache .ruff_cache *.egg-info
