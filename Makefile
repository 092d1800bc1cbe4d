# Cabinet Engine. `make demo` serves the demo cabinet; `make test` runs the whole suite.
# Everything is installed by these targets; caches live outside git (.venv is ignored, pip's
# cache is the user's).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: setup demo test bench services browser validate clean translations

setup: $(STAMP)

$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: setup
	$(BIN)/cabinet validate cabinet_schemas/demo
	CABINET_RELOAD_SECONDS=$${CABINET_RELOAD_SECONDS:-2} $(BIN)/cabinet serve --host $(HOST) --port $(PORT)

services:
	scripts/ensure-services.sh

# Debian's Chromium for the browser tests (Playwright drives it; it never downloads a browser).
browser:
	command -v chromium >/dev/null 2>&1 || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }

test: setup services browser
	$(BIN)/python -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

bench: setup
	$(BIN)/python bench/bench.py

validate: setup
	$(BIN)/cabinet validate cabinet_schemas/demo

clean:
	rm -rf $(VENV) instance .pytest_cache

# Re-extract UI strings from the code and templates and merge them into the catalogs.
translations: setup
	$(BIN)/pybabel extract -F babel.cfg -k _ -k gettext -k ngettext -k lazy_gettext --no-location \
	  --sort-output --project cabinet-engine -o locales/messages.pot .
	$(BIN)/pybabel update -i locales/messages.pot -d locales --no-fuzzy-matching
