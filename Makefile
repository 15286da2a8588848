# Two commands do all the set-up on a fresh machine with Python 3.11 and pip:
#   make run   — install into .venv and run the main job on the built-in scenario (korus-2025), with 2,000 Monte
#                Carlo draws of its uncertain facts ("How sure are we"; plain `tradetalks analyze` skips them)
#   make test  — install into .venv (+ headless Chromium for the report test, PostgreSQL for the store tests) and run
#                lint, types and all tests
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test install browser postgres lint typecheck imports pytest bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,gravity,serve]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/tradetalks analyze korus-2025 --out tradetalks-out --uncertainty 2000

# Without Chromium: under CI (CI=true) a failure; locally the browser test skips and says why.
browser:
	@sh scripts/ensure-chromium.sh || { [ "$${CI:-}" != "true" ] && echo "note: going on without Chromium (not CI)" >&2; }

# Without PostgreSQL: under CI (CI=true) a failure; locally the PostgreSQL store tests skip and say why.
postgres:
	@sh scripts/ensure-postgresql.sh || { [ "$${CI:-}" != "true" ] && echo "note: going on without PostgreSQL (not CI)" >&2; }

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

# A run that collects no tests (pytest exit 5, e.g. a typo in -m) fails like any other; unknown markers are errors
# (--strict-markers in pyproject.toml).
pytest: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

# The layers of docs/DESIGN (cli/report above studies above model above bargain/econ/scenario), as
# import-linter contracts in pyproject.toml
imports: $(STAMP)
	$(BIN)/lint-imports

test: $(STAMP) browser postgres lint typecheck imports pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_analyze.py
	$(BIN)/python benchmarks/bench_frontier.py

clean:
	rm -rf $(VENV) tradetalks-out .pytest_cache .mypy_cache .ruff_cache
