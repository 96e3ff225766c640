"""The lookups the store answers in SQL, on each backend: the vintage in force on a day, a vintage
by id, name or start date, a layer by id or name and the latest layer of a kind, with the same
choices and messages as when they read every row and filtered in Python."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pytest
import shapely

from geo_ntm.domain import LayerKind
from geo_ntm.errors import NotFoundError
from geo_ntm.store import ImportRecord, open_store

RECORD = ImportRecord("boundaries", "test", 1, 1)


def _province() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "level": ["province"],
            "code": ["83"],
            "name": ["Tỉnh Bến Tre"],
            "name_short": ["Bến Tre"],
            "unit_type": ["tinh"],
            "parent_code": [None],
            "province_code": ["83"],
            "district_code": [None],
            "population": [1.0],
            "area_ha": [2.0],
            "flag": [None],
        },
        geometry=[shapely.MultiPolygon([shapely.box(106.0, 10.0, 106.5, 10.5)])],
        crs="EPSG:4326",
    )


def test_vintage_lookups(empty_db_location):
    with open_store(empty_db_location) as store:
        with pytest.raises(NotFoundError, match="the store holds no boundaries yet"):
            store.vintage_on(dt.date(2020, 1, 1))
        with pytest.raises(NotFoundError, match="no boundary vintage 'x'; stored: none"):
            store.vintage_named("x")
        first_id = store.add_vintage("first", dt.date(2009, 4, 1), "test", _province(), RECORD).vintage_id
        # named like the first one's id and the first one's start date: names matching two vintages
        store.add_vintage(str(first_id), dt.date(2013, 4, 5), "test", _province(), RECORD)
        assert store.add_vintage("2009-04-01", dt.date(2020, 2, 1), "test", _province(), RECORD).valid_to is None
        first, second, third = store.vintages()
        assert (first.valid_to, second.valid_to, third.valid_to) == (dt.date(2013, 4, 5), dt.date(2020, 2, 1), None)
        with pytest.raises(
            NotFoundError, match="no boundary vintage is in force on 2009-03-31; the earliest starts on 2009-04-01"
        ):
            store.vintage_on(dt.date(2009, 3, 31))
        assert store.vintage_on(dt.date(2009, 4, 1)) == store.vintage_on(dt.date(2013, 4, 4)) == first
        assert store.vintage_on(dt.date(2013, 4, 5)) == store.vintage_for_year(2019) == second
        assert store.vintage_on(dt.date(2020, 2, 1)) == store.vintage_on(dt.date(2999, 1, 1)) == third
        assert store.vintage_named(str(first.vintage_id)) == first  # the earliest of the id and the name
        assert store.vintage_named("2009-04-01") == first  # the earliest of the start date and the name
        assert store.vintage_named(str(third.vintage_id)) == third
        assert store.vintage_named("2013-04-05") == second
        assert store.resolve_vintage(vintage="first", day=dt.date(2020, 6, 1)) == first
        for text in (f"0{third.vintage_id}", "2013-4-5", "20130405", "First"):
            with pytest.raises(
                NotFoundError, match=f"no boundary vintage '{text}'; stored: {first.vintage_id}: first;"
            ):
                store.vintage_named(text)


def test_layer_lookups(empty_db_location):
    with open_store(empty_db_location) as store:
        with pytest.raises(NotFoundError, match="no infrastructure layer 'x'; stored: none"):
            store.layer_named("x")

        def add(name: str, kind: LayerKind, day: dt.date):
            return store.add_layer(name, kind, day, "test", "EPSG:4326", None, None, {}, RECORD)

        roads_2020 = add("roads 2020", LayerKind.ROADS, dt.date(2020, 1, 1))
        population = add("population", LayerKind.POPULATION, dt.date(2020, 7, 1))
        add("roads 2021", LayerKind.ROADS, dt.date(2021, 6, 1))
        roads_2021_again = add(str(roads_2020.layer_id), LayerKind.ROADS, dt.date(2021, 6, 1))
        assert store.layers()[:2] == [roads_2020, population]
        assert store.layer_named(str(roads_2020.layer_id)) == roads_2020  # the first of the id and the name
        assert store.layer_named("population") == store.layer_named(str(population.layer_id)) == population
        assert store.latest_layer(LayerKind.ROADS) == roads_2021_again  # the last imported of the latest day
        assert store.latest_layer(LayerKind.ROADS, dt.date(2021, 5, 31)) == roads_2020
        assert store.latest_layer(LayerKind.POPULATION, dt.date(2020, 7, 1)) == population
        with pytest.raises(NotFoundError, match="no roads layer dated on or before 2019-12-31; run"):
            store.latest_layer(LayerKind.ROADS, dt.date(2019, 12, 31))
        with pytest.raises(NotFoundError, match="no water_lines layer; run 'geo-ntm layers import' first"):
            store.latest_layer(LayerKind.WATER_LINES)
        with pytest.raises(
            NotFoundError,
            match=f"no infrastructure layer 'Population'; stored: {roads_2020.layer_id}: roads 2020 \\(roads\\);",
        ):
            store.layer_named("Population")
