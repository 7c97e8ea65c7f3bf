# Set-up and checks for ledgerbridge. `make test` and `make demo` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
EMULATOR_PORT ?= 8765

.PHONY: install test lint typecheck unit demo bench clean services

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# PostgreSQL is used by the engine's suites; start it when it does not answer.
services:
	@pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || \
	  (command -v pg_ctlcluster >/dev/null && \
	   pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start) || true

lint: install
	$(PY) -m ruff check src tests bench
	$(PY) -m ruff format --check src tests bench

typecheck: install
	$(PY) -m mypy

unit: install
	$(PY) -m pytest

test: install services lint typecheck
	$(PY) -m pytest -m "slow or not slow"

demo: install
	$(VENV)/bin/qbo-emulator demo --host 127.0.0.1 --port $(EMULATOR_PORT)

bench: install
	$(PY) bench/emulator.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
