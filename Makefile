# The two commands are `make run` and `make test`; the other targets are their steps.
# Without BANK_DATABASE_URL a private MariaDB is started under .run/db/ (scripts/dbserver.py).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.ONESHELL:
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

VENV  := .venv
BIN   := $(VENV)/bin
PY    := $(BIN)/python
STAMP := $(VENV)/.installed
HOST  ?= 127.0.0.1
PORT  ?= 8000
PYTEST_ARGS ?=
BENCH_ARGS  ?=
CHAOS_ARGS  ?=
WORKER_ARGS ?=

# Stopping must work before the venv exists: scripts.dbserver needs only the standard library.
DBSERVER = $(if $(wildcard $(PY)),$(PY),python3) -m scripts.dbserver
# Exports BANK_DATABASE_URL for the rest of a recipe: the configured server or the private one.
WITH_DB = url="$$($(PY) -m scripts.dbserver url)"; export BANK_DATABASE_URL="$$url"

.PHONY: help venv db db-stop db-status migrate seed run worker test test-fast lint bench bench-http chaos stop clean fuzz gpt

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

venv: $(STAMP) ## Create .venv (Python 3.11+) and install the project with its dev tools

$(PY):
	@python="$$(command -v python3.11 || command -v python3 || true)"
	if [ -z "$$python" ] || ! "$$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
	    echo "make: Python 3.11 or newer is needed (python3.11 or python3 on PATH)" >&2
	    exit 1
	fi
	if ! "$$python" -m venv $(VENV); then
	    if [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
	        echo "make: cannot create $(VENV); install python3-venv" >&2
	        exit 1
	    fi
	    echo "make: installing python3-venv"
	    apt-get update
	    DEBIAN_FRONTEND=noninteractive apt-get install -y python3-venv
	    rm -rf $(VENV)
	    "$$python" -m venv $(VENV)
	fi

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -e '.[dev]'
	touch $@

db: venv ## Start the private database server (unless BANK_DATABASE_URL is set)
	@if [ -n "$${BANK_DATABASE_URL:-}" ]; then
	    echo "db: using BANK_DATABASE_URL"
	else
	    $(DBSERVER) start
	fi

db-stop: ## Stop the private database server
	@$(DBSERVER) stop

db-status: ## Show the private database server's state
	@$(DBSERVER) status

migrate: db ## Apply schema, procedures, triggers, views, users and grants
	@$(WITH_DB)
	$(PY) -m scripts.migrate

seed: db ## Migrate, then load the demo data (data/*.sql and the demo users' profiles)
	@$(WITH_DB)
	$(PY) -m scripts.migrate --seed
	$(PY) -m scripts.demo_profiles

run: venv ## Migrate, seed once, serve API + frontend on :8000 and the risk worker, supervised (Ctrl-C stops what it started)
	@# Ctrl-C stops the API and, if this run started it, the private database server.
	started_db=""
	if [ -z "$${BANK_DATABASE_URL:-}" ] && ! $(DBSERVER) status | grep -q '^running'; then
	    started_db=1
	fi
	$(WITH_DB)
	children=()  # pids of background services started below; the EXIT trap stops them
	trap 'kill "$${children[@]}" 2>/dev/null || true; wait; if [ -n "$$started_db" ]; then $(DBSERVER) stop; fi' EXIT
	trap 'exit 130' INT TERM
	$(PY) -m scripts.migrate --seed
	$(PY) -m scripts.demo_profiles
	echo "bank: API and frontend on http://$(HOST):$(PORT)/  (Ctrl-C stops them$${started_db:+ and the database server})"
	# The risk worker scores every posted transaction beside the API, restarted the same way.
	$(PY) -m scripts.supervise --name worker -- $(PY) -m ai_worker &
	children+=($$!)
	# The supervisor restarts a crashed API with backoff. Forwarding headers are handled by
	# the app itself, only from the proxies BANK_TRUSTED_PROXIES names (none by default).
	export BANK_TRUSTED_PROXIES="$${BANK_TRUSTED_PROXIES:-}"
	$(PY) -m scripts.supervise --name api -- \
	    $(BIN)/uvicorn --factory api.main:app_factory --host $(HOST) --port $(PORT) --no-proxy-headers

worker: migrate ## The risk worker alone, in the foreground (WORKER_ARGS="--backfill" etc.)
	@$(WITH_DB)
	$(PY) -m ai_worker $(WORKER_ARGS)

test: db ## Lint, type-check and run the whole suite against a throwaway database
	@$(WITH_DB)
	failed=""
	$(BIN)/ruff check . || failed="$$failed ruff"
	$(BIN)/mypy || failed="$$failed mypy"
	status=0
	$(BIN)/pytest $(PYTEST_ARGS) || status=$$?
	if [ "$$status" -eq 5 ]; then
	    echo "make test: pytest collected no tests" >&2
	    failed="$$failed pytest(no-tests)"
	elif [ "$$status" -ne 0 ]; then
	    failed="$$failed pytest"
	fi
	if [ -n "$$failed" ]; then
	    echo "make test: FAILED:$$failed" >&2
	    exit 1
	fi
	echo "make test: all passed"

test-fast: db ## The suite without the tests marked slow (the inner loop; `make test` runs all)
	@$(WITH_DB)
	$(BIN)/pytest -m "not slow" $(PYTEST_ARGS)

lint: venv ## ruff and mypy only
	@$(BIN)/ruff check .
	$(BIN)/mypy

bench: db ## Ledger benchmark (python -m bench.ledger_bench)
	@$(WITH_DB)
	$(PY) -m bench.ledger_bench $(BENCH_ARGS)

gpt: db ## LedgerGPT: ask the ledger in English (the ledger> prompt; Q="..." answers once)
	@$(WITH_DB)
	$(PY) -m ledger_gpt $(if $(Q),"$(Q)")

bench-http: db ## HTTP benchmark with wrk (installs Debian's wrk when root and missing)
	@if ! command -v wrk >/dev/null; then
	    if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	        apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y wrk
	    else
	        echo "make: the HTTP benchmark needs wrk (apt-get install wrk)" >&2
	        exit 1
	    fi
	fi
	$(WITH_DB)
	$(PY) -m bench.http_bench $(BENCH_ARGS)

chaos: db ## Fault injection against a live instance: kills, flapping, a stall (bench/chaos.py)
	@$(WITH_DB)
	$(PY) -m bench.chaos $(CHAOS_ARGS)

stop: ## Stop the private database server (left running when `make run` did not start it)
	@$(DBSERVER) stop

clean: ## Stop the private server, then delete .run/ (its data included)
	@$(DBSERVER) stop
	rm -rf .run

FUZZ_EXAMPLES ?= 100
fuzz: db ## Schemathesis over the whole API, every check (FUZZ_EXAMPLES=100 per operation)
	@$(WITH_DB)
	BANK_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest tests/api/test_schemathesis.py \
	    -k full_fuzz -s -q -p no:cacheprovider
