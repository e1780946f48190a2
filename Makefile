# MigraCiudades Campus: the two commands a fresh machine needs are `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
export FLASK_APP = wsgi.py

.PHONY: run test setup install translations db content demo serve lint clean bench bench-install load

# Outside development and tests the app refuses to start without a real SECRET_KEY. `make run`,
# `make demo` and `make serve` (and the set-up steps they run) are for a developer's machine; `make
# test` runs as a test. An APP_ENV already set in the environment (e.g. production) wins. In development
# a credential signing key is made once in instance/.
run demo serve setup translations db content bench load: export APP_ENV ?= development
test: export APP_ENV ?= test

## make run: set up everything (venv, dependencies, database, content, demo data) and serve on :5000
run: setup demo serve

## make test: set up the venv and dependencies, compile catalogues, run the whole test suite
test: install translations
	$(BIN)/pytest

setup: install translations db content

install: $(BIN)/.installed
$(BIN)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

translations: install
	$(BIN)/flask translate compile

db: install
	mkdir -p instance
	$(BIN)/flask db upgrade

content: db
	$(BIN)/flask content check
	$(BIN)/flask content sync

demo: content
	$(BIN)/flask seed-demo

serve:
	$(BIN)/flask run --host 127.0.0.1 --port 5000

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## make bench: statements and server time of the main pages at scales 1 and 10 (docs/performance.md)
## (BENCH_ARGS="--db postgresql" for a throwaway PostgreSQL database on 127.0.0.1; figures in instance/benchmark/)
bench: install translations
	$(BIN)/python tools/benchmark.py $(BENCH_ARGS)

## make load: gunicorn (2 sync workers) on a throwaway PostgreSQL database under locust, loopback only
## (LOAD_ARGS="--duration 20 --skip-capacity" for a quicker run). Locust lives in its own venv.
## LOAD_ARGS="--memory-run 600": worker memory over a 10-minute mixed run (instance/benchmark/memory.json);
## LOAD_ARGS='--compare "2 sync, 4 sync, 2 gthread x4"': gunicorn configurations side by side (compare.json);
## LOAD_ARGS="--repeat 5 --skip-capacity": run-to-run variation; --pg-name, --port: beside another run.
## Tables: .venv/bin/python -m tools.bench.report load|memory|compare|repeat FILE.json
bench-install: $(VENV)-load/.installed
$(VENV)-load/.installed: requirements-bench.txt
	$(PYTHON) -m venv $(VENV)-load
	$(VENV)-load/bin/pip install --quiet -r requirements-bench.txt
	touch $@

load: install translations bench-install
	$(BIN)/python -m tools.bench.load $(LOAD_ARGS)

clean:
	rm -rf $(VENV) $(VENV)-load instance/*.db .pytest_cache
