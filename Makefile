# The two commands: `make run` and `make test` (README). Everything else is a convenience.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test test-fast lint bench demo docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

# Seeds data/csm.duckdb with the small demo set when it is absent, then serves on :8501.
run: $(STAMP)
	$(VENV)/bin/csm serve --port 8501

# Every test: unit, AppTest and the real-browser tests (skipped, and said so, without Chromium).
test: $(STAMP)
	$(PY) -m pytest

test-fast: $(STAMP)
	$(PY) -m pytest -m "not e2e and not slow and not spark"

# ruff on the code (render/ and tools/ once they exist), then mypy on metrics/ (pyproject.toml).
lint: $(STAMP)
	$(VENV)/bin/ruff check metrics dashboard render csm tests tools
	$(PY) -m mypy

bench: $(STAMP)
	$(VENV)/bin/csm bench --out data/bench/bench.json

# docs/metrics.md and docs/data.md, generated from the specs, the schema and the CLI (tests
# check they are current).
docs: $(STAMP)
	$(PY) -m metrics.reference
	$(PY) -m csm.docs

demo: $(STAMP)
	$(VENV)/bin/csm demo --size small

clean:
	rm -rf $(VENV) data/csm.duckdb data/csm.duckdb.wal data/csm.duckdb.uploads data/uploads
