# geo_ntm: `make run` sets up and serves the demo; `make test` runs the whole test suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The OGC API - Features test suite pins older pytest/httpx: its own virtualenv (see below).
OGCTESTS_VENV := .venv-ogctests
OGCTESTS := ogctests==0.1.15

.PHONY: install install-test run test test-fast lint browser postgis gdal qgis wrk bench-http clean

# What running needs: the runtime packages from PyPI (editable install, no extras) and Leaflet from
# the npm registry. Separate stamps: `make run` after `make test` installs nothing again.
install: $(VENV)/.installed-run node_modules/.installed

$(VENV)/.installed-run: pyproject.toml
	@echo "==> Python packages geo_ntm needs to run, into $(VENV) (the first time takes a few minutes)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --progress-bar on -e .
	touch $@

# The tests' packages (pytest, Playwright, ruff, mypy ...) and the benchmarks' (DuckDB: the suite runs
# a benchmark smoke test), on top of the runtime ones.
install-test: $(VENV)/.installed-test $(OGCTESTS_VENV)/.installed node_modules/.installed

$(VENV)/.installed-test: $(VENV)/.installed-run pyproject.toml
	@echo "==> test and benchmark packages, into $(VENV)"
	$(BIN)/pip install --progress-bar on -e '.[test,bench]'
	touch $@

# The OGC API - Features test suite from PyPI (tests/api/ogc/test_ogctests.py runs it against the
# service). It pins older pytest, httpx and openapi-schema-validator than the tests use, so it has
# an environment of its own instead of a place in the test extra.
$(OGCTESTS_VENV)/.installed: Makefile
	@echo "==> $(OGCTESTS) (OGC API - Features test suite), into $(OGCTESTS_VENV)"
	test -x $(OGCTESTS_VENV)/bin/python || $(PYTHON) -m venv $(OGCTESTS_VENV)
	$(OGCTESTS_VENV)/bin/pip install --quiet '$(OGCTESTS)'
	touch $@

node_modules/.installed: package.json package-lock.json
	@echo "==> Leaflet from the npm registry, into node_modules"
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Headless Chromium (Debian package) for the page screenshot tests; skipped where apt is not usable.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (echo "==> chromium (Debian)" && apt-get update -qq && \
	   DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
	  echo "chromium not installed: browser tests will be skipped"; }

# PostgreSQL and PostGIS (Debian packages) for the tests of the PostGIS store, which start their own
# throwaway cluster; installed when run as root, else the tests say what is missing.
POSTGIS_PACKAGES := postgresql postgresql-15-postgis-3
postgis:
	@{ ls /usr/lib/postgresql/*/bin/initdb && ls /usr/share/postgresql/*/extension/postgis.control; } >/dev/null 2>&1 || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (echo "==> $(POSTGIS_PACKAGES) (Debian)" && apt-get update -qq && \
	   DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(POSTGIS_PACKAGES) >/dev/null) || \
	  echo "$(POSTGIS_PACKAGES) not installed: the PostGIS store tests will fail"; }

# GDAL's command-line tools (Debian bookworm's gdal-bin, GDAL 3.6): the stock desktop OGC API client
# the tests read the service with (tests/api/ogc/test_gdal36.py) and whose national pull
# bench/bench_http.py times; installed when run as root.
GDAL_PACKAGES := gdal-bin
gdal:
	@command -v ogr2ogr >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (echo "==> $(GDAL_PACKAGES) (Debian)" && apt-get update -qq && \
	   DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(GDAL_PACKAGES) >/dev/null) || \
	  echo "$(GDAL_PACKAGES) not installed: its tests will be skipped; bench/bench_http.py needs ogr2ogr (or --no-pull)"; }

# QGIS 3.22 with its Python bindings (Debian bookworm's python3-qgis, for /usr/bin/python3): the
# stock desktop GIS tests/api/ogc/test_qgis322.py loads, filters and styles the service's layers
# with; installed when run as root (about 1 min: 232 packages on a machine with gdal-bin already).
QGIS_PACKAGES := python3-qgis
qgis:
	@/usr/bin/python3 -c "import qgis.core" >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (echo "==> $(QGIS_PACKAGES) (Debian)" && apt-get update -qq && \
	   DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(QGIS_PACKAGES) >/dev/null) || \
	  echo "$(QGIS_PACKAGES) not installed: the QGIS 3.22 tests will be skipped"; }

# geo_ntm beside tipg on the same communes from the same PostGIS (4-10 minutes; issue 14):
# bench/results/http_vs_tipg.json, under the label LABEL (default before). Its load generator is
# wrk (Debian's wrk 4.1, C), installed when run as root.
LABEL ?= before
bench-http: install-test postgis gdal wrk
	$(BIN)/python bench/bench_http.py --label $(LABEL)

WRK_PACKAGES := wrk
wrk:
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (echo "==> $(WRK_PACKAGES) (Debian)" && apt-get update -qq && \
	   DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(WRK_PACKAGES) >/dev/null) || \
	  echo "$(WRK_PACKAGES) not installed: bench/bench_http.py needs it"; }

# The store is GEO_NTM_DB (default var/geo_ntm.gpkg); loading the demo again changes nothing.
# `geo-ntm demo` says what it loads as it goes; `geo-ntm serve` prints the URL once it answers.
run: install
	@echo "==> loading the demo data into $${GEO_NTM_DB:-var/geo_ntm.gpkg}"
	$(BIN)/geo-ntm demo
	@echo "==> starting the service (Ctrl-C stops it)"
	$(BIN)/geo-ntm serve

# Style, import order, likely bugs (ruff) and types (mypy); configured in pyproject.toml.
lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Everything: lint, then every test (the service subprocess tests, the browser tests, both stores), on 2
# pytest-xdist workers, each test module on one worker (its module fixtures built once).
test: install-test browser postgis gdal qgis lint
	$(BIN)/pytest -q -n 2 --dist loadscope --durations=30

# The quick loop while developing: no lint, no service subprocess, no browser (markers in pyproject.toml).
test-fast: install-test postgis
	$(BIN)/pytest -q -n 2 --dist loadscope -m "not e2e and not browser"

clean:
	rm -rf $(VENV) $(OGCTESTS_VENV) node_modules var build *.egg-info
