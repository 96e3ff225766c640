"""The OGC API - Features tests' service: a real uvicorn server in a subprocess (GDAL's HTTP calls
hold the GIL, so the server cannot share the test's process) on a store holding the 2009 boundaries,
the Bến Tre city statuses and the city's lineage (vintages 2009-04-01, 2013-04-05, 2020-02-01);
started once for the package."""

from __future__ import annotations

import shutil
from importlib import resources

import httpx
import pytest

from boundaries.vintages import import_lineage
from geo_ntm.status_import.importer import import_status_file
from geo_ntm.store import open_store
from tests.support.local_service import Server


@pytest.fixture(scope="package")
def ogc_store(tmp_path_factory, boundaries_2009_template, data_dir) -> str:
    path = tmp_path_factory.mktemp("ogc") / "store.gpkg"
    shutil.copy(boundaries_2009_template, path)
    with open_store(str(path)) as store:
        assert import_status_file(store, data_dir / "samples" / "status_ben_tre_city_long.csv").ok
        import_lineage(store, resources.files("boundaries") / "examples" / "ben_tre_city_lineage.csv")
    return str(path)


@pytest.fixture(scope="package")
def server(ogc_store, tmp_path_factory):
    srv = Server(ogc_store, tmp_path_factory.mktemp("uvicorn") / "access.log")
    yield srv
    srv.stop()


@pytest.fixture(scope="package")
def http(server):
    with httpx.Client(base_url=server.url, timeout=60) as client:
        yield client
