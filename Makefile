# Shouwang: `make demo` and `make test` are all most people need (README.md).
# Needs only Python 3.11 and the package registry; uv is installed through pip when missing.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
SW := $(VENV)/bin/shouwang
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)

DEMO_HOST ?= 127.0.0.1
DEMO_PORT ?= 8000
DEMO_SCALE ?= small
DEMO_SEED ?= 1

.PHONY: help install demo demo-data serve test test-pg bench bench-pg lint messages

help:
	@echo "make demo      install, migrate, load divisions and demo data, serve on http://$(DEMO_HOST):$(DEMO_PORT)"
	@echo "make test      the whole suite on SQLite"
	@echo "make test-pg   the whole suite on PostgreSQL (installed and started when missing)"
	@echo "make bench     every bench/bench_*.py; figures in bench/results/"
	@echo "make bench-pg  the same on the throwaway PostgreSQL of make test-pg"
	@echo "make lint      ruff and mypy (strict)"
	@echo "make messages  extract and compile translations (needs GNU gettext)"

# uv from PATH, or installed through pip (scripts/bootstrap_uv.py), then the locked dependencies
# into .venv on Python 3.11. Cheap when nothing changed.
install:
	@UV="$$($(PYTHON) scripts/bootstrap_uv.py)" && \
	  "$$UV" sync --frozen --python 3.11

# Demo: install, migrate the SQLite database under var/, load the divisions, create demo data
# and demo users (their logins are printed), then serve with a local background worker.
demo: install demo-data serve

demo-data: install
	$(SW) migrate --noinput
	$(SW) geo load
	$(SW) demo-data --scale $(DEMO_SCALE) --seed $(DEMO_SEED)

serve: install
	$(SW) serve --host $(DEMO_HOST) --port $(DEMO_PORT)

test: install
	scripts/test.sh

test-pg: install
	scripts/pg.sh run -- scripts/test.sh

bench: install
	@set -e; for f in bench/bench_*.py; do \
	  [ -e "$$f" ] || { echo "no benchmarks yet"; break; }; \
	  m="bench.$$(basename "$$f" .py)"; echo "== $$m"; \
	  $(VENV)/bin/python -m "$$m"; \
	done

# The database benchmarks write their PostgreSQL figures beside the SQLite ones.
bench-pg: install
	scripts/pg.sh run -- $(MAKE) --no-print-directory bench

lint: install
	@rc=0; \
	  $(VENV)/bin/ruff check src tests bench || rc=1; \
	  $(VENV)/bin/mypy src || rc=1; \
	  exit $$rc

# Every app's own locale/ (zh-Hans is the source language; English is translated).
messages: install
	@command -v msgfmt >/dev/null || { echo "make messages needs GNU gettext (apt-get install gettext)"; exit 1; }
	@set -e; for app in src/shouwang/*/; do \
	  [ -d "$$app/locale" ] || continue; \
	  echo "== $$app"; \
	  (cd "$$app" && ../../../$(VENV)/bin/python ../../../manage.py makemessages -l en --no-obsolete -v0 \
	              && ../../../$(VENV)/bin/python ../../../manage.py compilemessages -l en -v0); \
	done
	@echo "== src/shouwang/templates (project catalogue in src/shouwang/locale)"
	@cd src/shouwang/templates && ../../../$(VENV)/bin/python ../../../manage.py makemessages -l en --no-obsolete -v0 \
	  && cd ../locale/.. && ../../$(VENV)/bin/python ../../manage.py compilemessages -l en -v0
