# geo_ntm: `make run` sets up and serves the demo; `make test` runs the whole test suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install run test browser postgis clean

# Python packages from PyPI (editable install) and Leaflet from the npm registry.
install: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Headless Chromium (Debian package) for the page screenshot tests; skipped where apt is not usable.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
	  echo "chromium not installed: browser tests will be skipped"; }

# PostgreSQL and PostGIS (Debian packages) for the tests of the PostGIS store, which start their own
# throwaway cluster; installed when run as root, else the tests say what is missing.
POSTGIS_PACKAGES := postgresql postgresql-15-postgis-3
postgis:
	@{ ls /usr/lib/postgresql/*/bin/initdb && ls /usr/share/postgresql/*/extension/postgis.control; } >/dev/null 2>&1 || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(POSTGIS_PACKAGES) >/dev/null) || \
	  echo "$(POSTGIS_PACKAGES) not installed: the PostGIS store tests will fail"; }

# The store is GEO_NTM_DB (default var/geo_ntm.gpkg); loading the demo again changes nothing.
run: install
	$(BIN)/geo-ntm demo
	$(BIN)/geo-ntm serve

test: install browser postgis
	$(BIN)/pytest -q

clean:
	rm -rf $(VENV) node_modules var build *.egg-info
