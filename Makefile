# Set-up and checks for ledgerbridge. `make test` and `make demo` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
EMULATOR_PORT ?= 8765
DEMO_PORT ?= 8000
DESKTOP_EMULATOR_PORT ?= 8766

.PHONY: install test lint typecheck unit demo demo-desktop bench bench-sync clean services

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
	$(VENV)/bin/lint-imports

typecheck: install
	$(PY) -m mypy

unit: install
	$(PY) -m pytest

test: install services lint typecheck
	$(PY) -m pytest -m "slow or not slow"

# The whole product here: an emulated QuickBooks company, a field-service business synced into
# it, a summary, then the API and the dashboard until Ctrl-C (`ledgerbridge demo --help`).
# The emulator alone, with a demo company: .venv/bin/qbo-emulator demo --port 8765
demo: install
	$(VENV)/bin/ledgerbridge demo --port $(DEMO_PORT) --emulator-port $(EMULATOR_PORT)

# The same business synced into an emulated QuickBooks Desktop company file through the
# emulated Web Connector (one qbXML request per round trip: the small business: its sync about
# 15 s, the summary in about half a minute, then the API and the dashboard until Ctrl-C)
demo-desktop: install
	$(VENV)/bin/ledgerbridge demo --desktop --records small --port $(DEMO_PORT) --emulator-port $(DESKTOP_EMULATOR_PORT)

# The emulator's throughput, then the quick versions of issue 19's and issue 16's figures: the
# first sync against the python-quickbooks loop (ledgerbridge / loop, CPU per record) and its peak
# memory at 1,000 and 10,000 records; a first sync at QuickBooks' pace against the most its limits
# allow (bench.ceiling, 15 s windows), and the same records each changed (--updates); many
# companies on PostgreSQL with 1, 2 and 4 worker processes (bench.fleet at 5% of its size,
# 12,560 records: about three minutes; `--quick`'s runs of 6 s are too short for a ratio); chaos
# at scale, workers killed and every fault at once, each record counted in QuickBooks
# (bench.chaos); the freshness
# of what people change in QuickBooks (p50/p95); the Desktop pass through the Web Connector
# against the Online pass on the same 60 customers (bench.desktop: records a second, CPU per
# record, their ratio, peak memory). The full runs: `.venv/bin/python -m bench.ceiling` (about
# 25 minutes), `-m bench.fleet` (hours), `-m bench.chaos` (half an hour).
bench: install services
	$(PY) bench/emulator.py
	$(PY) -m bench.sync --quick
	$(PY) -m bench.sync --memory --quick
	$(PY) -m bench.ceiling --quick
	$(PY) -m bench.ceiling --quick --updates
	$(PY) -m bench.fleet --scale 0.05
	$(PY) -m bench.chaos --quick
	$(PY) -m bench.freshness --quick
	$(PY) -m bench.desktop --records 60

# The engine's first sync against the bare QuickBooks calls, and the handover, bulk against one at
# a time (about two minutes; `.venv/bin/python -m bench.sync --quick` for a smoke run).
bench-sync: install
	$(PY) -m bench.sync

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
