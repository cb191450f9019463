# The doors: `make demo`, `make test`. Nothing needs installing by hand first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: demo test test-sqlite test-postgres lint bench clean venv eval-translate eval

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

venv: $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/warta demo

# The whole suite on SQLite, then the storage and end-to-end tests again on PostgreSQL;
# one pytest-xdist worker per core (TEST_WORKERS=0 runs in one process). Tests that share
# an expensive module fixture carry an xdist_group mark meant to keep them on one worker;
# pytest-xdist 3.8 groups them under pytest 8 only (pytest 9 ignores the renamed node id it
# groups by), so under pytest 9 each worker builds such a fixture once. Measured on the
# whole suite: --dist loadfile (337 s) and pytest 8 (335 s) were no faster than this (323 s).
TEST_WORKERS ?= auto
PYTEST := $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup

test: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench eval
	$(BIN)/mypy
	$(PYTEST)
	WARTA_DATABASE_URL=$(PG_URL) $(PYTEST) -m dbmatrix

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench eval
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

$(VENV)/.installed-bench: $(VENV)/.installed-test pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	touch $@

bench: $(VENV)/.installed-bench
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

# Extraction quality next to plain trafilatura on ../shared/corpus/pages (docs/BENCHMARKS.md)
eval: $(VENV)/.installed
	$(BIN)/python eval/extract.py

# Precision/recall of the translation quality checks on ../shared/corpus/mt (docs/translation.md)
eval-translate: $(VENV)/.installed
	$(BIN)/python bench/eval_translate_quality.py

clean:
	rm -rf $(VENV) warta-data .pytest_cache .mypy_cache .ruff_cache
