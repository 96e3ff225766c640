"""Fixtures of the infrastructure tests: the SYNTHETIC data generator of ``bench/``, a small
store holding the real 2009 boundaries of Bến Tre province with a synthetic road layer, and the
hand-made world of ``reach_world.py`` on each backend."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import geopandas as gpd
import pytest

from boundaries.importer import import_boundaries
from geo_ntm.domain import LayerKind
from geo_ntm.infrastructure.layers import import_layer
from geo_ntm.infrastructure.partition import partition_cells
from geo_ntm.store import open_store
from tests.support.modules import load_module

BEN_TRE = "811"
ROAD_DATE = dt.date(2020, 6, 30)


@pytest.fixture(scope="session")
def synthetic():
    """The module ``bench/make_synthetic.py``."""
    return load_module(Path(__file__).resolve().parents[3] / "bench" / "make_synthetic.py")


@pytest.fixture(scope="module")
def world_db(backend, new_location, tmp_path_factory, world) -> str:
    """A store holding the hand-made world (boundaries and every layer), on each backend."""
    return world.stored(new_location(backend, with_2009=False), tmp_path_factory.mktemp("world"))


@pytest.fixture(scope="session")
def ben_tre_files(tmp_path_factory, data_dir, synthetic) -> dict[str, Path]:
    """Bến Tre's 2009 boundaries (all three levels) and a SYNTHETIC road network over them."""
    folder = tmp_path_factory.mktemp("ben_tre")
    source = data_dir / "vn_admin_2009.gpkg"
    boundaries = folder / "ben_tre_2009.gpkg"
    for layer in ("provinces", "districts", "communes"):
        frame = gpd.read_file(source, layer=layer, where=f"province_id = '{BEN_TRE}'")
        frame.to_file(boundaries, layer=layer, engine="pyogrio")
    roads = folder / "synthetic_roads.gpkg"
    synthetic.synthetic_roads(synthetic.read_communes(source, BEN_TRE), 5000, seed=7).to_file(roads, layer="roads")
    return {"boundaries": boundaries, "roads": roads}


@pytest.fixture(scope="session")
def ben_tre_template(tmp_path_factory, ben_tre_files) -> Path:
    """A store with Bến Tre's boundaries (vintage 2009-04-01), the synthetic road layer
    ``synthetic_roads`` and the partition already built."""
    path = tmp_path_factory.mktemp("ben_tre_store") / "store.gpkg"
    with open_store(str(path)) as store:
        import_boundaries(store, ben_tre_files["boundaries"], dt.date(2009, 4, 1), measure_quality=False)
        import_layer(store, ben_tre_files["roads"], "synthetic_roads", LayerKind.ROADS, ROAD_DATE)
        partition_cells(store, store.vintages()[0])
    return path


@pytest.fixture
def ben_tre_db(tmp_path, ben_tre_template) -> str:
    """A private copy of the Bến Tre store."""
    path = tmp_path / "store.gpkg"
    shutil.copy(ben_tre_template, path)
    return str(path)
