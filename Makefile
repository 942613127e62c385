# Two commands for a fresh machine with Python 3.11+:
#   make run    set up and run the helpdesk with demo data on http://127.0.0.1:8000
#   make test   set up and run the test suite (embedded PostgreSQL, no services needed)
# Both start an embedded PostgreSQL (core/embedded_postgres.py; data in var/postgres, the
# tests' in var/postgres-test) unless DATABASE_URL points at one, and stop it when they end.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# PostgreSQL + Redis used by `make test-pg` (the servers must be running).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/helpdesk
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: messages messages-check bench run test test-pg test-e2e screenshots lint format audit migrations-check backup restore soak clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime-installed: $(BIN)/python requirements.txt
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: $(VENV)/.runtime-installed requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# Runs what follows with DATABASE_URL set: to the embedded PostgreSQL, started for the
# command and stopped after it, unless DATABASE_URL is set already.
WITH_DATABASE := $(BIN)/python -m core.embedded_postgres

# The demo's supervisor and admin sign in with their password alone unless MFA_REQUIRED_ROLES
# is set (production requires a second factor of supervisors and admins: docs/security.md).
run: $(VENV)/.runtime-installed
	DEBUG=$${DEBUG:-true} SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)} PATH="$(CURDIR)/$(BIN):$$PATH" \
		MFA_REQUIRED_ROLES=$${MFA_REQUIRED_ROLES-} \
		MAIL_MAILDIR=$${MAIL_MAILDIR:-$(CURDIR)/var/maildir} \
		$(WITH_DATABASE) sh -c 'python manage.py migrate --no-input && python manage.py seed_demo \
		&& mkdir -p "$$MAIL_MAILDIR/new" "$$MAIL_MAILDIR/cur" "$$MAIL_MAILDIR/tmp" \
		&& echo "Starting web (http://127.0.0.1:$(PORT)), Celery worker and beat. Ctrl-C stops all of them." \
		&& echo "An email file (.eml) put in $$MAIL_MAILDIR/new/ becomes a ticket at the next mail poll (every $${MAIL_POLL_SECONDS:-60} s)." \
		&& exec honcho start --env /dev/null --port $(PORT)'

test: $(VENV)/.dev-installed
	$(BIN)/pytest -m "not e2e" $(PYTEST_ARGS)

test-pg: $(VENV)/.dev-installed
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(BIN)/pytest -m "not e2e" $(PYTEST_ARGS)

# End-to-end tests in Debian's chromium (apt-get install chromium), against a live server.
test-e2e: $(VENV)/.dev-installed
	$(BIN)/pytest -m e2e e2e $(PYTEST_ARGS)

# Screenshots of every page (PAGES in helpdesk/management/commands/screenshots.py) at 1280 and
# 375 px with the demo data (needs chromium), into docs/screenshots/.
screenshots: $(VENV)/.dev-installed
	DEBUG=true HELPDESK_VAR_DIR=$(CURDIR)/var/screenshots MFA_REQUIRED_ROLES= $(WITH_DATABASE) \
		sh -c '$(BIN)/python manage.py migrate --no-input -v0 && $(BIN)/python manage.py screenshots'

# Benchmarks against a PostgreSQL cluster (port 18404) and a Redis of their own (docs/performance.md):
#   make bench               ~10k tickets, a few minutes (the smoke run in .ci/run)
#   make bench SCALE=full    1,000,000 tickets: seeding alone takes about 10 minutes
SCALE ?= small
bench: $(VENV)/.dev-installed
	$(BIN)/python -m bench --scale $(SCALE) $(BENCH_ARGS)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Security checks: bandit over the code (config in pyproject.toml), then pip-audit over the
# installed requirements. pip-audit looks versions up in PyPI's JSON API; a package it cannot
# look up is listed as skipped, not as clean.
audit: $(VENV)/.dev-installed
	$(BIN)/bandit -c pyproject.toml -r . -q
	$(BIN)/pip-audit --progress-spinner off --skip-editable

# Translations (docs/development.md): `make messages` extracts new strings into
# locale/*/LC_MESSAGES/django.po (needs GNU gettext) and compiles django.mo (polib);
# `make messages-check` fails on a string the catalog lacks, an untranslated or fuzzy entry,
# or a stale django.mo.
messages: $(VENV)/.dev-installed
	$(BIN)/python scripts/messages.py extract
	$(BIN)/python scripts/messages.py compile

messages-check: $(VENV)/.dev-installed
	$(BIN)/python scripts/messages.py check

migrations-check: $(VENV)/.dev-installed
	DEBUG=true $(WITH_DATABASE) $(BIN)/python manage.py makemigrations --check --dry-run

# Database (pg_dump custom format) + uploaded files into $(BACKUP_DIR)/helpdesk-<UTC time>/;
# reads DATABASE_URL (default: the embedded PostgreSQL) and MEDIA_ROOT like the app.
BACKUP_DIR ?= backups
backup: $(VENV)/.runtime-installed
	$(WITH_DATABASE) scripts/backup.sh $(BACKUP_DIR)

# make restore BACKUP=backups/helpdesk-<time> DATABASE_URL=postgres://.../new_db MEDIA_ROOT=/new/media
restore:
	@test -n "$(BACKUP)" || { echo "usage: make restore BACKUP=backups/helpdesk-<time>"; exit 2; }
	$(WITH_DATABASE) scripts/restore.sh $(BACKUP)

# Soak test: gunicorn + Celery worker and beat on PostgreSQL + Redis (both on localhost),
# SOAK_SECONDS (default 600) of mixed traffic, then every notification delivered exactly
# once; a fresh database helpdesk_soak, dropped afterwards. Results in soak/results/.
soak: $(VENV)/.dev-installed
	$(BIN)/python soak/run.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
