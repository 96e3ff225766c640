"""Shared fixtures: the real shared data folder, a throwaway PostgreSQL cluster with PostGIS, and
stores holding the 2009 boundaries on both backends (loaded once per session per backend and
copied for each test that needs one).

Tests that take ``backend`` (directly or through ``db_location``, ``store_2009`` or
``empty_db_location``) run twice: on the GeoPackage store and on the PostGIS store."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from boundaries.importer import import_boundaries
from geo_ntm.settings import Settings
from geo_ntm.store import open_store
from tests.support.modules import load_module
from tests.support.pg_cluster import INSTALL_HINT, PostgisCluster, server_bindir

REACH_WORLD = Path(__file__).resolve().parent / "geo_ntm" / "infrastructure" / "reach_world.py"

# The tests of answers wait for their background job (a first worker start on a busy machine takes
# seconds); the tests of 202 and /jobs set job_wait_seconds=0 themselves (tests/api/test_jobs.py).
os.environ.setdefault("GEO_NTM_JOB_WAIT_SECONDS", "300")

VINTAGE_2009 = dt.date(2009, 4, 1)
VINTAGE_2025 = dt.date(2025, 7, 1)


def load_period_2025(location: str, data_dir: Path) -> None:
    """Add the national 2025 units and the Hồng Ngự sample (recognitions before the merger) to a
    store holding the 2009 vintage: the store of the 2026-2030 tests (issue 13)."""
    from geo_ntm.status_import.importer import import_status_file

    with open_store(location) as store:
        import_boundaries(store, data_dir / "vn_admin_2025.gpkg", VINTAGE_2025, measure_quality=False)
        assert import_status_file(store, data_dir / "samples" / "status_hong_ngu_counts.csv").stored


@pytest.fixture(scope="session")
def world():
    """The module ``tests/geo_ntm/infrastructure/reach_world.py``: a hand-made world for water and
    facility coverage."""
    return load_module(REACH_WORLD)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared data folder (GEO_NTM_DATA_DIR, default ../shared/data beside the repo)."""
    path = Settings.from_env().data_dir
    if not (path / "vn_admin_2009.gpkg").exists():
        pytest.fail(f"shared data not found at {path}; set GEO_NTM_DATA_DIR")
    return path


@pytest.fixture(scope="session")
def boundaries_2009_template(tmp_path_factory, data_dir) -> Path:
    """A store file holding the national 2009 vintage (valid from 2009-04-01)."""
    path = tmp_path_factory.mktemp("template") / "store_2009.gpkg"
    with open_store(str(path)) as store:
        import_boundaries(store, data_dir / "vn_admin_2009.gpkg", VINTAGE_2009, measure_quality=False)
    return path


@pytest.fixture(scope="session")
def vinh_long_2025(tmp_path_factory, data_dir) -> Path:
    """The units of 1 July 2025 of Tỉnh Vĩnh Long (86: former Vĩnh Long, Bến Tre and Trà Vinh):
    ``vn_admin_2025.gpkg``'s wards layer cut to that province, with every province (34)."""
    import geopandas as gpd

    path = tmp_path_factory.mktemp("vinh_long_2025") / "vinh_long_2025.gpkg"
    source = data_dir / "vn_admin_2025.gpkg"
    gpd.read_file(source, layer="provinces").to_file(path, layer="provinces")
    gpd.read_file(source, layer="wards", where="province_code = '86'").to_file(path, layer="wards")
    return path


# -- PostgreSQL with PostGIS -----------------------------------------------------------------
@pytest.fixture(scope="session")
def period_2025_template(tmp_path_factory, boundaries_2009_template, data_dir) -> Path:
    """A store file holding the 2009 and 2025 vintages and the Hồng Ngự sample (``load_period_2025``)."""
    path = tmp_path_factory.mktemp("template") / "store_2025.gpkg"
    shutil.copy(boundaries_2009_template, path)
    load_period_2025(str(path), data_dir)
    return path


@pytest.fixture(scope="session")
def postgis_cluster():
    """The throwaway cluster (``tests.support.pg_cluster``), started once per session (only when a
    test needs it) and stopped at the end; ``template1`` has PostGIS, so every database made from it
    has it too."""
    bindir = server_bindir()
    if bindir is None:
        pytest.fail(f"the PostgreSQL server (initdb, pg_ctl) is not installed; {INSTALL_HINT}")
    cluster = PostgisCluster(bindir)
    try:
        cluster.start_with_postgis()
    except RuntimeError as exc:
        pytest.fail(str(exc))
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def postgis_2009_template(postgis_cluster, data_dir) -> str:
    """A database holding the national 2009 vintage, to copy with CREATE DATABASE ... TEMPLATE."""
    url = postgis_cluster.create_database()
    with open_store(url) as store:
        import_boundaries(store, data_dir / "vn_admin_2009.gpkg", VINTAGE_2009, measure_quality=False)
    return url.rsplit("/", 1)[1]


@pytest.fixture(scope="session")
def postgis_2025_template(postgis_cluster, postgis_2009_template, data_dir) -> str:
    """A database holding what ``period_2025_template`` holds, to copy as a template."""
    url = postgis_cluster.create_database(postgis_2009_template)
    load_period_2025(url, data_dir)
    return url.rsplit("/", 1)[1]


# -- stores on both backends -----------------------------------------------------------------
@pytest.fixture(scope="module", params=["gpkg", "postgis"])
def backend(request) -> str:
    """The store backend a test runs on: every test taking it runs on both."""
    return request.param


@pytest.fixture(scope="session")
def new_location(request, tmp_path_factory) -> Callable[..., str]:
    """``new_location(backend, with_2009=True, with_2025=False)``: the location of a new private
    store (a file path or a URL), empty, holding the 2009 boundaries, or (``with_2025``) also the
    2025 units and the Hồng Ngự sample. The cluster and templates start only when asked."""

    def make(backend: str, with_2009: bool = True, with_2025: bool = False) -> str:
        holding = "2025" if with_2025 else "2009" if with_2009 else None
        if backend == "gpkg":
            path = tmp_path_factory.mktemp("store") / "store.gpkg"
            if holding:
                template = {"2009": "boundaries_2009_template", "2025": "period_2025_template"}[holding]
                shutil.copy(request.getfixturevalue(template), path)
            return str(path)
        cluster = request.getfixturevalue("postgis_cluster")
        template = {"2009": "postgis_2009_template", "2025": "postgis_2025_template", None: None}[holding]
        return cluster.create_database(request.getfixturevalue(template) if template else "template1")

    return make


def _drop_later(request, backend: str, location: str) -> str:
    if backend == "postgis":
        cluster = request.getfixturevalue("postgis_cluster")
        request.addfinalizer(lambda: cluster.drop_database(location))
    return location


@pytest.fixture
def db_location(request, backend, new_location) -> str:
    """A private store holding the 2009 boundaries, for one test: a GeoPackage path or a PostGIS URL."""
    return _drop_later(request, backend, new_location(backend))


@pytest.fixture
def empty_db_location(request, backend, new_location) -> str:
    """A private empty store location for one test, on each backend."""
    return _drop_later(request, backend, new_location(backend, with_2009=False))


@pytest.fixture(scope="module")
def store_2025(request, backend, new_location):
    """A private store holding the 2009 and 2025 boundaries and the Hồng Ngự sample, open, on each
    backend, for one module; closed and dropped after it."""
    store = open_store(_drop_later(request, backend, new_location(backend, with_2025=True)))
    yield store
    store.close()


@pytest.fixture
def store_2009(db_location):
    """The 2009 store, open, on each backend; closed after the test."""
    store = open_store(db_location)
    yield store
    store.close()
