# govhub developer commands. `make run` and `make test` work on a fresh machine with
# Python 3.11: they create .venv, install, and compile the translations first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
TRANSLATIONS := govhub/translations
CATALOGS := $(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)

.PHONY: run demo-activity test lint format bench bench-deps microbench migrate translations extract-messages update-messages install clean vnu

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installed (with the dev extra) whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

%.mo: %.po | $(VENV)/.installed
	$(BIN)/pybabel compile -d $(TRANSLATIONS) -i $< -o $@ -l $(word 3,$(subst /, ,$<))

translations: $(COMPILED)

# HOST=0.0.0.0 makes the site reachable from phones on the same network (LAN).
HOST ?= 127.0.0.1
PORT ?= 5000

run: install translations
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	@echo "govhub is serving on http://$(HOST):$(PORT) with its scheduler (Ctrl-C to stop)"
	@$(FLASK) scheduler & scheduler=$$!; trap 'kill $$scheduler 2>/dev/null' EXIT INT TERM; \
	  $(FLASK) run --host $(HOST) --port $(PORT)

# A demo shift running now; its link uses the same HOST and PORT as `make run` (on
# HOST=0.0.0.0, this computer's LAN address). Run it beside `make run`, with the same values.
demo-activity: install
	$(FLASK) demo-activity --host $(HOST) --port $(PORT)

test: install translations vnu
	$(BIN)/pytest $(PYTEST_ARGS)

# The Nu HTML Checker for tests/test_markup.py: the vnu-jar npm package (the jar only; its
# install script, which would download a Java, is not run), installed once into .cache/vnu,
# not kept in git. It needs Java (Debian: default-jre-headless). Without npm the markup
# test skips (and fails in CI).
VNU_VERSION := 26.9.27
VNU_JAR := .cache/vnu/node_modules/vnu-jar/build/dist/vnu.jar

$(VNU_JAR):
	@if command -v npm >/dev/null; then \
	  npm install --prefix .cache/vnu --no-save --no-audit --no-fund --ignore-scripts \
	    --loglevel=error vnu-jar@$(VNU_VERSION); \
	else echo "npm not found: the Nu HTML Checker test will be skipped"; fi

vnu: $(VNU_JAR)

# Lint: ruff (rules and formatting) and mypy (types of govhub/, set up in pyproject.toml).
lint: install
	$(BIN)/ruff check govhub tests benchmarks bench
	$(BIN)/ruff format --check govhub tests benchmarks bench
	$(BIN)/mypy

format: install
	$(BIN)/ruff format govhub tests benchmarks bench
	$(BIN)/ruff check --fix govhub tests benchmarks bench

# The city benchmark (bench/): govhub under gunicorn on SQLite and on a PostgreSQL it
# starts itself, against this machine's ceilings. SCALE=0.1 builds 10 % of the city;
# DB=sqlite (or postgres) runs one database; BENCH_ARGS passes more (python -m bench -h).
SCALE ?= 1.0
DB ?= sqlite,postgres
bench: install translations bench-deps
	$(BIN)/python -m bench --scale $(SCALE) --db $(DB) $(BENCH_ARGS)

# PostgreSQL's server binaries, from Debian, only when they are missing.
bench-deps:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q postgresql; \
	  else sudo apt-get update -q && sudo apt-get install -y -q postgresql; fi; \
	fi

# The pytest micro-benchmarks of single functions (benchmarks/).
microbench: install translations
	$(BIN)/pytest benchmarks -p no:cacheprovider --benchmark-only --benchmark-columns=min,median,max,rounds $(PYTEST_ARGS)

migrate: install
	$(FLASK) db upgrade

# Translators: extract the strings, then merge them into the catalogs.
extract-messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o $(TRANSLATIONS)/messages.pot --no-location --sort-output --project govhub .

update-messages: extract-messages
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --ignore-obsolete --no-fuzzy-matching

clean:
	rm -rf $(VENV) $(COMPILED)
