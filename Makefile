# Coachworks. Two commands matter: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
ARGS   ?=

.PHONY: run test lint format bench install install-dev browser clean deploy-check fuzz backup restore seed-scale bench-pages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[local]'
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[local,dev]'
	touch $@

## three.js for the 3D viewer, from the npm registry (node_modules is not committed).
node_modules/.installed: package.json
	@if command -v npm >/dev/null; then \
		(npm ci --no-audit --no-fund || npm install --no-audit --no-fund) && touch $@; \
	else echo "npm not found: the 3D viewer stays off until Node.js/npm is installed"; fi

install: $(VENV)/.installed-run node_modules/.installed
install-dev: $(VENV)/.installed-dev node_modules/.installed

## Browser tests drive Debian's Chromium (Playwright's own download does not work offline).
browser:
	@scripts/ensure-chromium.sh && (scripts/ensure-pgbouncer.sh || echo "PgBouncer could not be installed: tests/test_pgbouncer.py will skip")

run: install
	$(BIN)/python scripts/run.py

test: install-dev browser
	$(BIN)/python scripts/test.py $(ARGS)

## Style, types and the layers of the apps (pyproject.toml [tool.importlinter]); CI runs it before the tests.
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Django's deployment checks as errors under deploy/production.env.example (or ENV_FILE=your.env); no servers needed.
deploy-check: install
	$(BIN)/python scripts/deploy_check.py $(ENV_FILE)

## The API fuzz of `make test` (every operation as every role), with many more examples per operation.
fuzz: install-dev
	FUZZ_EXAMPLES=$(or $(FUZZ_EXAMPLES),200) $(BIN)/python scripts/test.py tests/test_api_fuzz.py -q $(ARGS)

bench: install-dev
	$(BIN)/python scripts/test.py -s -o python_files='bench_*.py' $(or $(ARGS),bench/)

## Community-scale data (README "Benchmarks"): databases coachworks_scale (SCALE, default 1 = 25,000 members) and
## coachworks_scale_tenth (SCALE/10), reproducible from SEED.
seed-scale: install-dev
	$(BIN)/python scripts/seed_scale.py $(if $(SCALE),--scale $(SCALE)) $(if $(SEED),--seed $(SEED)) $(ARGS)

## Every read page and list API under load (wrk), against a constant-response floor, on both seeded databases.
bench-pages: install-dev
	@bench/pages/ensure-wrk.sh
	$(BIN)/python scripts/bench_pages.py $(ARGS)

## The database (pg_dump) and every object of the bucket, into var/backups/<UTC timestamp>/ (README "Backups").
backup: install
	$(BIN)/python scripts/backup.py backup $(ARGS)

## Into an empty database and bucket, then verified against the backup's manifest: make restore BACKUP=<dir>
restore: install
	@test -n "$(BACKUP)" || (echo "Usage: make restore BACKUP=var/backups/<timestamp> [ARGS=--force]" >&2; exit 2)
	$(BIN)/python scripts/backup.py restore "$(BACKUP)" $(ARGS)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .mypy_cache .ruff_cache
