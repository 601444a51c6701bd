# ecomops: `make run` for the portal with demo data, `make test` for every check.
# Works on a fresh machine with Python 3.11 and make: the first call builds .venv.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MANAGE := $(BIN)/python manage.py
PYTEST_WORKERS ?= 2

.PHONY: run test lint typecheck imports migrations-check deploy-check pytest test-dates e2e \
        bench messages install lock lock-upgrade clean

run: $(STAMP)
	$(MANAGE) migrate --noinput
	$(MANAGE) seed_demo
	@echo "Portal: http://127.0.0.1:$${PORT:-8000}/  (admin: /admin/)"
	PORT=$${PORT:-8000} PORTAL_BASE_URL=$${PORTAL_BASE_URL:-http://127.0.0.1:$${PORT:-8000}} \
		$(BIN)/honcho -f Procfile.dev start

test: lint typecheck imports migrations-check deploy-check pytest

install: $(STAMP)

# Every dependency at the version tested, from requirements.lock (pip-tools); the project
# itself is installed editable on top, without resolving anything again.
$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --requirement requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $(STAMP)

# requirements.lock after a change to pyproject.toml's dependencies: the pins kept where they
# still fit. `make lock-upgrade` moves every pin to the newest version the ranges allow
# (then `make test`, and commit the lock with what it changed).
PIP_COMPILE := $(BIN)/pip-compile --quiet --extra dev --strip-extras --allow-unsafe \
	--no-emit-index-url --no-emit-find-links --output-file requirements.lock pyproject.toml

lock: $(STAMP)
	$(PIP_COMPILE)

lock-upgrade: $(STAMP)
	$(PIP_COMPILE) --upgrade

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy .

imports: $(STAMP)
	$(BIN)/lint-imports

migrations-check: $(STAMP)
	$(MANAGE) makemigrations --check --dry-run

deploy-check: $(STAMP)
	DJANGO_SETTINGS_MODULE=ecomops.settings.production \
	SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(64))')" \
	ALLOWED_HOSTS=backoffice.example.com \
	$(MANAGE) check --deploy --fail-level WARNING

pytest: $(STAMP)
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile

# The suite on days other than today, on SQLite, browser tests aside: libfaketime moves the
# clock of the whole process to a Monday of a year beyond the packaged holiday data (the
# calendar falls back to Monday-Saturday), to 23:50 on New Year's Eve, to a Sunday night and
# to a morning of the National Day holiday (before the days tests pin).
# The moments are company time (TZ); tests pinned with @pytest.mark.clock keep their own.
# libfaketime reads its settings once: by default it re-reads them from the environment
# every 10 s, from whichever thread asks the time, and that getenv racing the setenv of
# pytest's main thread can crash an xdist worker (a segmentation fault).
TEST_DATES := 2027-07-05T10:30:00 2026-12-31T23:50:00 2026-12-13T22:30:00 2026-10-05T10:00:00

test-dates: $(STAMP)
	@command -v faketime >/dev/null 2>&1 || \
		{ echo "make test-dates needs libfaketime: apt-get install faketime" >&2; exit 1; }
	@failed=""; \
	for moment in $(TEST_DATES); do \
		echo "==> pytest with the clock at $$moment (Asia/Shanghai)"; \
		env -u DATABASE_URL TZ=Asia/Shanghai FAKETIME_DONT_FAKE_MONOTONIC=1 \
			FAKETIME_CACHE_DURATION=86400 \
			faketime -f "@$$(echo $$moment | tr T ' ')" \
			$(BIN)/pytest -m "not e2e" -n $(PYTEST_WORKERS) --dist loadfile \
			|| failed="$$failed $$moment"; \
	done; \
	if [ -n "$$failed" ]; then echo "test-dates failed at:$$failed" >&2; exit 1; fi

e2e: $(STAMP)
	$(BIN)/pytest -m e2e

bench: $(STAMP)
	$(BIN)/pytest tests/bench -p no:randomly -s --override-ini addopts=

APPS := listings orders warehouse finance returns distribution marketing

# The kernel and templates/ share locale/; each business app keeps its own <app>/locale/.
messages: $(STAMP)
	$(MANAGE) makemessages -l zh_Hans --no-obsolete --ignore=.venv --ignore=var \
		--ignore=tests $(foreach app,$(APPS),--ignore=$(app))
	for app in $(APPS); do \
		if ls $$app/*.py >/dev/null 2>&1 && [ -d $$app/locale ]; then \
			(cd $$app && DJANGO_SETTINGS_MODULE=ecomops.settings.dev PYTHONPATH=.. \
				../$(BIN)/django-admin makemessages -l zh_Hans --no-obsolete) || exit 1; \
		fi; \
	done
	$(MANAGE) compilemessages --ignore=.venv --ignore=var

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
