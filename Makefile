# Switchboard: `make run` for a working back-office, `make test` for the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: run demo-reset test screenshots install lint format typecheck migrate clean

# A virtualenv with the project and its dev tools, reinstalled when pyproject.toml changes.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,redis]"
	touch $(STAMP)

install: $(STAMP)

# The demo (DEBUG, the default here): the vendor sandbox, demo accounts, users and agent
# identities, their first sync, a worker and runserver on 127.0.0.1:8000, logins printed at the
# end. With DEBUG=0 (and the production settings): collectstatic, a worker and gunicorn.
# Ctrl-C stops every process; running it again reuses what exists.
run: export DEBUG ?= 1
run: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py runstack --addr 127.0.0.1:8000

# Start the demo over: empty the database (asks first), then `make run`.
demo-reset: export DEBUG ?= 1
demo-reset: $(STAMP)
	$(BIN)/python manage.py demo_reset
	$(MAKE) run

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# SQLite by default; PostgreSQL when DATABASE_URL points at one.
test: lint typecheck
	$(BIN)/python -m pytest

# The benchmarks (bench/README.md) on PostgreSQL, DATABASE_URL defaulting to the local server:
# every script of BENCH_SCRIPTS that exists, one after another; a missing one is skipped and a
# failing one does not stop the others. PIPELINE_ARGS go to bench/pipeline.py (e.g. --quick).
BENCH_SCRIPTS := bulk_action link_persons sync_contacts pipeline audit_scale
PIPELINE_ARGS ?=
.PHONY: bench
bench: export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
bench: $(STAMP)
	@failed=""; \
	for name in $(BENCH_SCRIPTS); do \
		if [ ! -f bench/$$name.py ]; then echo "== bench/$$name.py: not there, skipped"; continue; fi; \
		args=""; if [ "$$name" = pipeline ]; then args="$(PIPELINE_ARGS)"; fi; \
		echo "== bench/$$name.py $$args"; \
		$(BIN)/python bench/$$name.py $$args || failed="$$failed $$name"; \
	done; \
	if [ -n "$$failed" ]; then echo "== failed:$$failed"; exit 1; fi

# The README's screenshots, taken by the browser tests of staff's everyday flows.
screenshots: $(STAMP)
	$(BIN)/python -m pytest -q tests/browser/test_flows.py
	mkdir -p docs/screenshots
	cp var/screenshots/flow-*.png docs/screenshots/

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrate: $(STAMP)
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py migrate --noinput

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
