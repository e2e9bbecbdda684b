# Stopline: `make demo` runs the app with demo data, `make test` runs every check CI runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/stopline
REDIS_URL_TEST ?= redis://127.0.0.1:6379/15
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install demo test lint test-postgres test-sqlite test-services bench bench-smoke clean

$(BIN)/activate: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(BIN)/activate

install: $(BIN)/activate

demo: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo "Stopline runs at http://$(HOST):$(PORT)/  (stop with Ctrl-C)"
	DJANGO_DEBUG=1 $(BIN)/python manage.py runserver $(HOST):$(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run

# The whole suite on PostgreSQL, the production database: Redis and real Celery worker
# processes for the `service` tests, headless Chromium for the `browser` tests, eager Celery
# elsewhere (tests get an in-process cache of their own: tests/conftest.py).
TEST_PG_ENV = DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS_URL_TEST) CELERY_TASK_ALWAYS_EAGER=1
test-postgres: install
	$(TEST_PG_ENV) $(BIN)/pytest -q

# The zero-setup demo database: everything that needs no service and no browser, on SQLite.
test-sqlite: install
	$(BIN)/pytest -m "not service and not postgres and not browser" -q

# Only the tests that start real workers (quick check while working on Celery code).
test-services: install
	$(TEST_PG_ENV) $(BIN)/pytest -m service -q

test: lint test-postgres test-sqlite bench-smoke

# Every benchmark and one table of figures against baselines of the same run (needs PostgreSQL;
# Redis serves the pages' cache as in production). Takes ~5 minutes; docs/performance.md keeps
# the latest table.
REDIS_URL_BENCH ?= redis://127.0.0.1:6379/15
bench: install
	$(BIN)/python -m bench.detection
	DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS_URL_BENCH) $(BIN)/python -m bench

# The same benchmarks, small (under a minute): part of `make test` so they cannot rot.
bench-smoke: install
	DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS_URL_BENCH) $(BIN)/python -m bench --smoke

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache
