# Switchboard: `make run` for a working back-office, `make test` for the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: run test install lint format typecheck migrate clean

# A virtualenv with the project and its dev tools, reinstalled when pyproject.toml changes.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# Development server, a background worker and (DEBUG) the vendor sandbox the demo accounts sync
# from; Ctrl-C stops them all.
run: export DEBUG ?= 1
run: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py ensure_demo_superuser
	$(BIN)/python manage.py ensure_demo_accounts
	@echo "Back-office: http://127.0.0.1:8000/admin/   (Ctrl-C stops the server, the worker and the vendor sandbox)"
	$(BIN)/python manage.py runstack --addr 127.0.0.1:8000

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# SQLite by default; PostgreSQL when DATABASE_URL points at one.
test: lint typecheck
	$(BIN)/python -m pytest

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrate: $(STAMP)
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py migrate --noinput

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
