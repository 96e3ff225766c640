"""A store for the planner's tests: the real 2009 boundaries of Bến Tre province (provinces,
districts, communes), the Bến Tre status sample, the made-up 2019 TEST statuses of
``tests/data`` and a SYNTHETIC road network from ``bench/make_synthetic.py`` (partition built)."""

from __future__ import annotations

import datetime as dt
import runpy
from pathlib import Path

import geopandas as gpd
import pytest

from boundaries.importer import import_boundaries
from geo_ntm.domain import LayerKind
from geo_ntm.infrastructure.layers import import_layer
from geo_ntm.infrastructure.partition import partition_cells
from geo_ntm.status_import.importer import import_status_file
from geo_ntm.store import open_store
from geo_ntm.tiles import ensure_generalised

ROOT = Path(__file__).resolve().parents[2]
TEST_STATUSES = ROOT / "tests" / "data" / "status_ben_tre_city_2019_TEST.csv"
SYNTHETIC_ROADS = "synthetic_roads"


@pytest.fixture(scope="session")
def ben_tre_sources(tmp_path_factory, data_dir) -> dict[str, Path]:
    """Bến Tre's 2009 boundaries as a GeoPackage of three layers, and a SYNTHETIC road network."""
    folder = tmp_path_factory.mktemp("planner_sources")
    national = data_dir / "vn_admin_2009.gpkg"
    boundaries = folder / "ben_tre_2009.gpkg"
    communes = None
    for layer in ("provinces", "districts", "communes"):
        communes = gpd.read_file(national, layer=layer, where="province_id = '811'")
        communes.to_file(boundaries, layer=layer)
    make = runpy.run_path(str(ROOT / "bench" / "make_synthetic.py"))
    roads = folder / "synthetic_roads.gpkg"
    make["synthetic_roads"](communes, 3000, seed=11).to_file(roads, layer="roads")
    return {"boundaries": boundaries, "roads": roads}


def load_planner_store(location: str, sources: dict[str, Path], data_dir: Path) -> str:
    """Fill the empty store at ``location``; returns it."""
    with open_store(location) as store:
        import_boundaries(store, sources["boundaries"], dt.date(2009, 4, 1), measure_quality=False)
        for statuses in (data_dir / "samples" / "status_ben_tre_city_long.csv", TEST_STATUSES):
            assert import_status_file(store, statuses).ok, statuses
        import_layer(store, sources["roads"], SYNTHETIC_ROADS, LayerKind.ROADS, dt.date(2020, 6, 30))
        partition_cells(store, store.vintages()[0])
    return location


@pytest.fixture(scope="module")
def planner_db(backend, new_location, ben_tre_sources, data_dir) -> str:
    """The planner's store on each backend."""
    return load_planner_store(new_location(backend, with_2009=False), ben_tre_sources, data_dir)


@pytest.fixture(scope="module")
def planner_gpkg(new_location, ben_tre_sources, data_dir) -> str:
    """The planner's store as a GeoPackage file, its tiles' shapes made (seconds for one province), so
    that the page draws its communes from the tiles at once (not switching from the GeoJSON mid-test)."""
    location = load_planner_store(new_location("gpkg", with_2009=False), ben_tre_sources, data_dir)
    with open_store(location) as store:
        ensure_generalised(store, store.vintages()[0])
    return location


@pytest.fixture(scope="module")
def service_settings() -> dict:
    """The settings the planner's service changes in a browser test module (none unless the module
    says; ``tests/maps/test_planner_browser.py`` ``service``)."""
    return {}


#: Settings of a browser module whose national boundaries get no vector tiles: their
#: generalisation job fails at once on a tiny memory ceiling, so its tests are of the page on the
#: GeoJSON of /map/data, the path of boundaries not generalised, which a failed job keeps
#: (``tests/maps/test_planner_tiles_browser.py`` tests the tiles on a one-province store).
WITHOUT_TILES = {"job_max_mb": 50}
