# Cabinet Engine. `make demo` serves the demo cabinet; `make test` runs the whole suite.
# Everything is installed by these targets; caches live outside git (.venv is ignored, pip's
# cache is the user's).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: setup demo studio stack test lint bench services browser keycloak validate clean translations node-parts screenshots

setup: $(STAMP)

$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: setup
	$(BIN)/cabinet validate cabinet_schemas/demo
	CABINET_RELOAD_SECONDS=$${CABINET_RELOAD_SECONDS:-2} $(BIN)/cabinet serve --host $(HOST) --port $(PORT)

# The operator's loop: a local Directus 12.4.0 (installed once into ~/.cache/cabinet-engine) with the
# demo cabinet, and the engine serving it with the live preview.
studio: setup node-parts
	$(BIN)/cabinet directus studio --host $(HOST) --port $(PORT)

# The whole product without Docker: PostgreSQL, Redis, Keycloak, Directus and the engine, with their
# addresses printed (state kept in instance/stack).
stack: setup node-parts services keycloak
	$(BIN)/cabinet stack --host $(HOST) --port $(PORT)

# The Node parts, with Node 22 from the cache: the Directus extension bundle (hooks, status endpoint
# and panel; built and unit-tested), the preview's visual editing scripts, and axe-core, which the
# browser tests run in every page.
node-parts:
	scripts/build-extension.sh
	scripts/build-preview.sh
	scripts/build-browser-checks.sh

# ruff with the rule set in pyproject.toml.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

# PostgreSQL and Redis on 127.0.0.1, installed from Debian's packages and started when missing.
services:
	scripts/ensure-services.sh

# Keycloak's server distribution (Maven Central) for the sign-in tests and `make stack`, cached
# outside git with the Java it runs on.
keycloak:
	scripts/install-keycloak.sh >/dev/null

# Debian's Chromium for the browser tests (Playwright drives it; it never downloads a browser).
browser:
	command -v chromium >/dev/null 2>&1 || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }

test: setup services browser node-parts keycloak lint
	$(BIN)/python -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

bench: setup node-parts
	$(BIN)/python bench/bench.py
	$(BIN)/python bench/directus_edits.py
	$(BIN)/python bench/compile_scale.py

# Every demo screen (ru, phone) as docs/screenshots/*.png, and the README's gallery of them.
screenshots: setup browser
	$(BIN)/python -m tests.support.screenshots

validate: setup
	$(BIN)/cabinet validate cabinet_schemas/demo

clean:
	rm -rf $(VENV) instance .pytest_cache

# Re-extract UI strings from the code and templates and merge them into the catalogs.
translations: setup
	$(BIN)/pybabel extract -F babel.cfg -k _ -k gettext -k ngettext -k lazy_gettext --no-location \
	  --sort-output --project cabinet-engine -o locales/messages.pot .
	$(BIN)/pybabel update -i locales/messages.pot -d locales --no-fuzzy-matching
