# Two commands do all the set-up on a fresh machine with Python 3.11 and pip:
#   make run   — install into .venv and run the main job on the built-in scenario (korus-2025)
#   make test  — install into .venv (+ headless Chromium for the report test) and run lint, types and all tests
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test install browser lint typecheck pytest bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,gravity]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/tradetalks analyze korus-2025 --out tradetalks-out

browser:
	@sh scripts/ensure-chromium.sh

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

# pytest exits 5 when a selection collects no tests; that is not a failure of the suite
pytest: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS) || [ $$? -eq 5 ]

test: $(STAMP) browser lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_analyze.py
	$(BIN)/python benchmarks/bench_frontier.py

clean:
	rm -rf $(VENV) tradetalks-out .pytest_cache .mypy_cache .ruff_cache
