# The two commands: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
.DEFAULT_GOAL := run
PY := .venv/bin/python
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
# The demo's audit years (default 2022 to the one open today); `make run DEMO=0` serves without.
DEMO_YEARS ?=
DEMO ?= 1

.PHONY: run serve test setup setup-test prepare demo bench lint lock

setup:
	@scripts/setup.sh

setup-test:
	@scripts/setup.sh --with-browser

# Database schema, reference data and static files; each step is a no-op when up to date.
prepare: setup
	@$(MANAGE) migrate --no-input -v 0
	@$(MANAGE) load_reference_data --skip-unchanged
	@$(MANAGE) collectstatic --no-input -v 0

# The synthetic national cohort of each demo year, its KPIs and releases; no-ops once done.
demo: prepare
ifeq ($(DEMO),1)
	@$(MANAGE) load_demo $(if $(DEMO_YEARS),--years $(DEMO_YEARS))
endif

# Serves the site, with the KPI scheduler alongside it (recomputes after uploads, nightly runs).
run: demo
	@$(MANAGE) ensure_demo_user
	@echo "Serving on http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/)"
	@$(MANAGE) run_scheduler & scheduler=$$!; trap 'kill $$scheduler 2>/dev/null' EXIT; \
		$(MANAGE) runserver --noreload $(HOST):$(PORT)

# Production-style serving with gunicorn (NPDA_ENV=production needs SECRET_KEY, DATABASE_URL
# and ALLOWED_HOSTS; see the README); static files are served by WhiteNoise.
serve: prepare
	@NPDA_ENV=$${NPDA_ENV:-production} .venv/bin/gunicorn --config gunicorn.conf.py

# The suite in parallel, one worker per core, each with its own test database; the browser
# tests together on one worker (docs/adr/0021-a-test-suite-that-stays-fast.md).
TEST_WORKERS ?= auto
test: setup-test
	@$(MANAGE) collectstatic --no-input -v 0
	@NPDA_ENV=test $(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup

bench: setup-test
	@$(MANAGE) collectstatic --no-input -v 0
	@$(PY) bench/run.py

lint: setup
	@.venv/bin/ruff check . && .venv/bin/ruff format --check .

# Re-resolve the pinned dependencies of pyproject.toml into requirements.lock.
lock:
	@rm -rf /tmp/npda-lock && python3 -m venv /tmp/npda-lock
	@python3 -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; \
		print('\n'.join(p['dependencies'] + p['optional-dependencies']['dev']))" > /tmp/npda-lock/direct.txt
	@/tmp/npda-lock/bin/pip install -q --upgrade pip && /tmp/npda-lock/bin/pip install -q -r /tmp/npda-lock/direct.txt
	@/tmp/npda-lock/bin/pip freeze --all | grep -v -E '^(pip|wheel)==' > requirements.lock
	@echo "requirements.lock updated"
