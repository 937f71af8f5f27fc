# ekseva — the two commands are `make run` and `make test`; the rest serve them.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	&& echo $$p && break; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# pytest-xdist workers; tests run in parallel on both databases.
TEST_WORKERS ?= auto
CHROMIUM ?= /usr/bin/chromium

.PHONY: run install test test-fast browser lint format migrations-check messages demo clean bench-setup bench serve

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is required"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/ekseva migrate --no-input -v 0
	$(BIN)/ekseva demo
	$(BIN)/ekseva runserver $(HOST):$(PORT)

# The production server (gunicorn, docs/deployment.md) on the same database.
serve: $(STAMP)
	$(BIN)/ekseva migrate --no-input -v 0
	$(BIN)/ekseva collectstatic --no-input -v 0
	$(BIN)/ekseva serve

# What bench/ needs beyond the tests: locust and the profilers (docs/performance.md).
bench-setup: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"

# Every benchmark of docs/performance.md, one after another, on PostgreSQL (127.0.0.1:5432)
# and Redis: run it on a quiet machine. Figures are printed and saved in var/bench/.
bench: bench-setup
	$(BIN)/python bench/bench_submit_pay.py
	$(BIN)/python bench/bench_hot_wallet.py
	$(BIN)/python bench/bench_lookups.py
	$(BIN)/python bench/bench_pages.py
	$(BIN)/python bench/bench_receipts.py
	$(BIN)/python bench/bench_certificates.py
	$(BIN)/python bench/bench_payments.py
	$(BIN)/python bench/surge.py

demo: $(STAMP)
	$(BIN)/ekseva migrate --no-input -v 0
	$(BIN)/ekseva demo

# The browser tests drive Debian's Chromium (no browser download is possible).
browser:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-core >/dev/null; }
	@test -x $(CHROMIUM) && echo "browser: $$($(CHROMIUM) --version 2>/dev/null)"

test: $(STAMP) browser
	$(BIN)/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# Without the browser tests, for a quick loop.
test-fast: $(STAMP)
	$(BIN)/pytest -n $(TEST_WORKERS) -m "not browser" $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests $(wildcard bench)
	$(BIN)/ruff format --check src tests $(wildcard bench)

format: $(STAMP)
	$(BIN)/ruff check --fix src tests $(wildcard bench)
	$(BIN)/ruff format src tests $(wildcard bench)

migrations-check: $(STAMP)
	$(BIN)/ekseva makemigrations --check --dry-run

# Compile translations with polib (no GNU gettext needed); the .mo files are committed.
messages: $(STAMP)
	$(BIN)/ekseva i18n compile

clean:
	rm -rf $(VENV) var/*.sqlite3* var/media var/static
