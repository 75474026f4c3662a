# The PEC portal needs Python 3.11 or newer (Django 5.2 LTS). PYTHON may be given explicitly;
# otherwise the first of python3, python3.13, python3.12, python3.11 that is >= 3.11 is used.
PYTHON ?= $(shell for p in python3 python3.13 python3.12 python3.11; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	2>/dev/null && { command -v $$p; break; }; done)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Under CI the suite runs on the machine's PostgreSQL and Redis (see .ci/run).
ifeq ($(CI),true)
export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/portal
export REDIS_URL ?= redis://127.0.0.1:6379/0
endif

.PHONY: run test lint format bench soak messages clean

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed (set PYTHON=...)"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(PY) manage.py migrate --no-input -v0
	$(PY) manage.py create_demo_admin
	$(PY) manage.py run_portal

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	# the migrations check needs no deployment: it runs as the demo whatever CI exports
	DATABASE_URL= REDIS_URL= $(PY) manage.py makemigrations --check --dry-run
	$(PY) -m bandit -q -c pyproject.toml -r . -ll
	$(VENV)/bin/lint-imports --no-cache --no-logo

format: $(STAMP)
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

# The compiled catalogues (.mo) are committed so that a machine without gettext runs the portal.
messages: $(STAMP)
	$(PY) manage.py makemessages -l it -l en --ignore '.venv' --ignore 'tests' --ignore 'bench' --ignore 'data'
	$(PY) scripts/translate_en.py

# The figures of BENCHMARKS.md, then the demo's 30-minute soak (RELIABILITY.md); the soak alone:
# make soak SOAK_ARGS="--minutes 3 --tasks 2000".
bench: $(STAMP)
	$(PY) -m bench
	$(PY) -m bench.soak $(SOAK_ARGS)

soak: $(STAMP)
	$(PY) -m bench.soak $(SOAK_ARGS)

clean:
	rm -rf $(VENV) data staticfiles
