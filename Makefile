# Two commands on a new machine: `make demo` and `make test`. Only Python 3.11 and make needed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_STUDENTS ?= 2000
DEMO_SEED ?= 1
# One test process per core (pytest-xdist); `make test PYTEST_ARGS=` runs them in one process.
PYTEST_ARGS ?= -n auto

.PHONY: install demo serve test lint format clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# Installs, migrates, builds a synthetic district, prints the staff logins and serves it, with
# DEBUG off: parents try the portal, and an unknown URL must not show them Django's debug page.
# Static files come from WhiteNoise (config/settings.py), which serves them with DEBUG off too.
demo: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --students $(DEMO_STUDENTS) --seed $(DEMO_SEED)
	$(BIN)/python manage.py seed_reunify_demo
	@echo "Serving on http://127.0.0.1:8000/  (API docs: /api/docs/, admin: /admin/, portal: /portal/)"
	DJANGO_DEBUG=0 $(BIN)/python manage.py runserver 127.0.0.1:8000

serve: install
	DJANGO_DEBUG=1 $(BIN)/python manage.py runserver 127.0.0.1:8000

# The embedded default: SQLite, Celery eager. Integration and browser tests skip themselves
# unless PostgreSQL/Redis (DATABASE_URL, CELERY_BROKER_URL) and /usr/bin/chromium are there.
test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
