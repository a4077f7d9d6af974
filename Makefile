# One task runner for people and CI. `make demo` and `make test` set up everything they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fonts-dejavu-core postgresql chromium

.PHONY: demo test test-workers lint typecheck bench system-deps clean catalog schema assets

system-deps:
	@missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q --no-install-recommends $$missing; fi

$(VENV)/.stamp: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

# the pages' JavaScript, from the npm registry, served by natrisk itself (never a CDN)
VENDOR := src/natrisk/web/static/vendor
$(VENDOR)/.stamp: js/package.json js/package-lock.json
	cd js && npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)
	cp js/node_modules/vega/build/vega.min.js js/node_modules/vega-lite/build/vega-lite.min.js \
	   js/node_modules/vega-embed/build/vega-embed.min.js js/node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/
	cp js/node_modules/swagger-ui-dist/swagger-ui-bundle.js js/node_modules/swagger-ui-dist/swagger-ui.css $(VENDOR)/
	cp js/node_modules/swagger-ui-dist/favicon-32x32.png $(VENDOR)/swagger-favicon.png
	touch $@

assets: $(VENDOR)/.stamp

PLAN := examples/nl-plan-2026.yaml

demo: system-deps $(VENV)/.stamp $(VENDOR)/.stamp
	$(BIN)/natrisk validate examples/nl-2026.yaml
	$(BIN)/natrisk assess examples/nl-2026.yaml --out out --samples 20000
	$(BIN)/natrisk report examples/nl-2026.yaml --out out/nl --format pdf --lang nl --samples 20000 --regions examples/regions
	$(BIN)/natrisk report examples/nl-2026.yaml --out out/en --format pdf --samples 20000 --regions examples/regions
	$(BIN)/natrisk signals check examples/signals-2026.yaml --workbook examples/nl-2026.yaml
	$(BIN)/natrisk scan report autumn-2026 --signals examples/signals-2026.yaml --workbook examples/nl-2026.yaml --out out/threat/nl --lang nl
	$(BIN)/natrisk scan report autumn-2026 --signals examples/signals-2026.yaml --workbook examples/nl-2026.yaml --out out/threat/en
	$(BIN)/natrisk cascades examples/nl-2026.yaml --scenario national-power-blackout
	$(BIN)/natrisk rollup examples/nl-2026.yaml examples/regions/*.yaml
	$(BIN)/natrisk sensitivity examples/nl-2026.yaml --samples 20000 --seed 1
	$(BIN)/natrisk plan validate $(PLAN) --edition examples/nl-2026.yaml
	$(BIN)/natrisk plan gaps $(PLAN) --edition examples/nl-2026.yaml --top 10
	$(BIN)/natrisk plan duplications $(PLAN) --edition examples/nl-2026.yaml
	$(BIN)/natrisk plan issues $(PLAN) --edition examples/nl-2026.yaml
	$(BIN)/natrisk follow measures $(PLAN) --edition examples/nl-2026.yaml
	$(BIN)/natrisk follow calendar $(PLAN) --edition examples/nl-2026.yaml --open
	$(BIN)/natrisk follow report $(PLAN) --edition examples/nl-2026.yaml --baseline examples/nl-2023.yaml --out out/review
	$(BIN)/natrisk follow report $(PLAN) --edition examples/nl-2026.yaml --baseline examples/nl-2023.yaml --out out/nl/review --lang nl
	$(BIN)/natrisk trends report examples/trends-2026.yaml --baseline examples/trends-2023.yaml --edition examples/nl-2026.yaml --plan $(PLAN) --out out/foresight
	$(BIN)/natrisk trends report examples/trends-2026.yaml --baseline examples/trends-2023.yaml --edition examples/nl-2026.yaml --plan $(PLAN) --out out/nl/foresight --lang nl
	@echo "The risk picture is in out/ (English) and out/nl/ (Dutch): risk-picture-*.pdf, risk-diagram.svg/png, results.json/csv"
	@echo "Cascades and stacking (arrows, butterflies, variants, compounds, the regional roll-up): the chapter of out/en/ and out/nl/risk-picture-*.pdf, with cascades.json and rollup.json"
	@echo "The progress report (midterm-review form) is in out/review/ and out/nl/review/: review.pdf, review.html"

test: system-deps $(VENV)/.stamp $(VENDOR)/.stamp
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/pytest -q -n 2 --dist loadgroup

# the browser suite against `natrisk serve --workers 2` (issue 13: correct across processes)
test-workers: system-deps $(VENV)/.stamp $(VENDOR)/.stamp
	NATRISK_TEST_SERVER_WORKERS=2 $(BIN)/pytest -q tests/web

lint: $(VENV)/.stamp
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts

typecheck: $(VENV)/.stamp
	$(BIN)/mypy

bench: system-deps $(VENV)/.stamp
	$(BIN)/python benchmarks/sensitivity.py
	$(BIN)/python benchmarks/planning.py
	$(BIN)/python benchmarks/foresight.py

catalog: $(VENV)/.stamp
	$(BIN)/python scripts/update_catalog.py

clean:
	rm -rf $(VENV) out build .pytest_cache .mypy_cache .ruff_cache js/node_modules $(VENDOR)

schema: $(VENV)/.stamp
	$(BIN)/python scripts/update_schema.py
