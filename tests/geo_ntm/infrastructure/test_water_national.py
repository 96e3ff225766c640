"""Water reach stored for the whole country (``water.national_reach``): two real 2009 provinces
with SYNTHETIC water layers and population on both stores. The stored national rows are the
answer of a province computed on its own (to 1e-9), and later questions of any scope sum them."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pytest

from boundaries.importer import import_boundaries
from geo_ntm.domain import LayerKind
from geo_ntm.infrastructure.layers import import_layer
from geo_ntm.infrastructure.queries import coverage
from geo_ntm.store import open_store
from tests.support.questions import coverage_request

PROVINCES = ("815", "816")  # two small provinces of the 2009 file, side by side in the Mekong delta
DISTANCE = 300.0
DAY = dt.date(2020, 1, 1)


@pytest.fixture(scope="module")
def two_provinces(backend, new_location, synthetic, data_dir, tmp_path_factory) -> str:
    """The 2009 boundaries of ``PROVINCES`` with SYNTHETIC water lines, supply points and a
    population grid over them, on each backend."""
    folder = tmp_path_factory.mktemp("water_national")
    source = data_dir / "vn_admin_2009.gpkg"
    boundaries = folder / "boundaries.gpkg"
    where = f"province_id IN ({', '.join(repr(p) for p in PROVINCES)})"
    for layer in ("provinces", "districts", "communes"):
        gpd.read_file(source, layer=layer, where=where).to_file(boundaries, layer=layer, engine="pyogrio")
    communes = gpd.read_file(boundaries, layer="communes")
    lines, points = synthetic.synthetic_water_network(communes, 400, 60, seed=5)
    lines.to_file(folder / "water.gpkg", layer="lines")
    points.to_file(folder / "water.gpkg", layer="points")
    grid, transform, crs = synthetic.synthetic_population(communes, 0.004, seed=9)
    synthetic.write_population(folder / "population.tif", grid, transform, crs)
    location = new_location(backend, with_2009=False)
    with open_store(location) as store:
        import_boundaries(store, boundaries, dt.date(2009, 4, 1), measure_quality=False)
        import_layer(store, folder / "water.gpkg", "lines", LayerKind.WATER_LINES, DAY, source_layer="lines")
        import_layer(store, folder / "water.gpkg", "points", LayerKind.WATER_POINTS, DAY, source_layer="points")
        import_layer(store, folder / "population.tif", "population", LayerKind.POPULATION, DAY)
    return location


def _people(table) -> gpd.GeoDataFrame:
    return table.set_index("code")[["population", "population_within"]].sort_index()


def test_national_rows_are_the_province_answers_and_later_questions_sum_them(two_provinces, monkeypatch):
    with open_store(two_provinces) as store:
        first = coverage(store, coverage_request(store, "water", province=PROVINCES[0], year=2020, distance=DISTANCE))[
            0
        ]
        vintage = store.vintages()[0].vintage_id
        key = "lines={};points={};population={}".format(
            *(store.layer_named(n).layer_id for n in ("lines", "points", "population"))
        )
        assert store.water_reach(key, vintage, DISTANCE) is None  # a province is computed, not stored
        national, totals = coverage(store, coverage_request(store, "water", year=2020, distance=DISTANCE))
        stored = store.water_reach(key, vintage, DISTANCE)
        assert stored is not None and len(stored) == len(national) and store.water_reach(key, vintage, 1000.0) is None
        assert stored["population_within"].sum() == pytest.approx(totals["population_within"], rel=1e-12)
        monkeypatch.setattr("geo_ntm.infrastructure.water.population_within", None)  # no reach computed from here on
        second = coverage(store, coverage_request(store, "water", province=PROVINCES[1], year=2020, distance=DISTANCE))[
            0
        ]
        store.add_water_reach(key, vintage, DISTANCE, stored.iloc[:1])  # already stored: nothing changes
        assert len(store.water_reach(key, vintage, DISTANCE)) == len(stored)
    assert len(first) > 50 and len(second) > 50 and len(national) == len(first) + len(second)
    assert 0 < totals["population_within"] < totals["population"]
    rows = _people(national)
    old = _people(first)
    assert (old["population_within"] > 0).sum() > 10  # the comparison is not between zeros
    assert np.allclose(rows.loc[old.index], old, rtol=1e-9, atol=1e-9)
    assert np.allclose(rows.loc[_people(second).index], _people(second), rtol=1e-12, atol=0)
