"""The same real data in both stores gives the same answers: the 2009 boundaries, every status
sample and the Bến Tre city lineage example (two derived vintages) loaded into a GeoPackage and
into PostGIS, then every read of the store interface, the reports, assessments, crosswalk shares
and API responses compared. Ids a backend assigns are compared through the codes they stand for;
areas and shares within 1e-6 relative, geometries exactly."""

from __future__ import annotations

import dataclasses
import datetime as dt
from importlib import resources

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from fastapi.testclient import TestClient

from api.app import create_app
from boundaries.vintages import crosswalk_between, import_lineage
from geo_ntm.domain import AdminTier, LayerKind
from geo_ntm.errors import GeoNtmError
from geo_ntm.report import province_report
from geo_ntm.settings import Settings
from geo_ntm.status_import.importer import import_status_file
from geo_ntm.store import ImportRecord, Store, open_store
from geo_ntm.views import assessment_view
from geo_ntm.where import resolve_where

LINEAGE = resources.files("boundaries") / "examples" / "ben_tre_city_lineage.csv"
BEN_TRE_CITY = (106.33, 10.20, 106.42, 10.30)
RTOL = 1e-6


@pytest.fixture(scope="module")
def locations(new_location, data_dir) -> dict[str, str]:
    """Both stores, loaded by the same importers from the same files."""
    found = {}
    for backend in ("gpkg", "postgis"):
        found[backend] = new_location(backend)
        with open_store(found[backend]) as store:
            for sample in sorted((data_dir / "samples").glob("status_*")):
                if sample.suffix in (".csv", ".xlsx"):
                    assert import_status_file(store, sample).ok
            import_lineage(store, LINEAGE)
    return found


@pytest.fixture(scope="module")
def stores(locations):
    opened = {backend: open_store(location) for backend, location in locations.items()}
    yield opened["gpkg"], opened["postgis"]
    for store in opened.values():
        store.close()


def _unit_keys(store: Store) -> dict[int, tuple]:
    """Each unit id as (vintage start, level, code): what the id stands for on any backend."""
    keys = {}
    for v in store.vintages():
        frame = store.units(v.vintage_id, geometry=False)
        keys.update(
            {u: (v.valid_from, lv, c) for u, lv, c in zip(frame["unit_id"], frame["level"], frame["code"], strict=True)}
        )
    return keys


def _assert_frames_equal(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Same columns, dtypes, order and values; floats within ``RTOL``; geometries exactly."""
    assert list(a.columns) == list(b.columns) and list(a.dtypes) == list(b.dtypes)
    geometry = [c for c in a.columns if str(a[c].dtype) == "geometry"]
    pd.testing.assert_frame_equal(a.drop(columns=geometry), b.drop(columns=geometry), rtol=RTOL)
    for c in geometry:
        assert shapely.to_wkb(a[c].array).tolist() == shapely.to_wkb(b[c].array).tolist(), c


def test_vintages_units_and_geometries(stores):
    gpkg, pg = stores
    assert [dataclasses.astuple(v) for v in gpkg.vintages()] == [dataclasses.astuple(v) for v in pg.vintages()]
    assert [v.valid_from for v in pg.vintages()] == [dt.date(2009, 4, 1), dt.date(2013, 4, 5), dt.date(2020, 2, 1)]
    for v in pg.vintages():
        a, b = gpkg.units(v.vintage_id), pg.units(v.vintage_id)
        assert len(b) == 11929 - (3 if v.valid_from.year == 2020 else 0)
        assert b["area_ha"].sum() == pytest.approx(a["area_ha"].sum(), rel=RTOL)
        _assert_frames_equal(a.drop(columns="unit_id"), b.drop(columns="unit_id"))
        for level in AdminTier:
            assert gpkg.unit_records(v.vintage_id, level) == pg.unit_records(v.vintage_id, level)


@pytest.mark.parametrize(
    "query",
    [
        {"level": AdminTier.COMMUNE, "district_code": "81101"},
        {"level": AdminTier.COMMUNE, "bbox": BEN_TRE_CITY},
        {"bbox": BEN_TRE_CITY, "geometry": False},
        {"level": AdminTier.DISTRICT, "province_code": "811", "limit": 3, "offset": 2},
        {"codes": ["811", "81101", "8110131", "28777", "nonexistent"]},
    ],
)
def test_unit_queries(stores, query):
    gpkg, pg = stores
    for v in pg.vintages():
        a, b = gpkg.units(v.vintage_id, **query), pg.units(v.vintage_id, **query)
        assert len(b) > 0
        _assert_frames_equal(a.drop(columns="unit_id"), b.drop(columns="unit_id"))


def test_statuses_imports_lineage_and_extent(stores):
    gpkg, pg = stores
    keys = {"gpkg": _unit_keys(gpkg), "postgis": _unit_keys(pg)}

    def keyed(records, backend):
        return [dataclasses.replace(r, unit_id=keys[backend][r.unit_id]) for r in records]

    statuses = keyed(pg.statuses(), "postgis")
    assert len(statuses) > 200 and keyed(gpkg.statuses(), "gpkg") == statuses
    assert len(pg.summaries()) > 0 and keyed(gpkg.summaries(), "gpkg") == keyed(pg.summaries(), "postgis")
    recognitions = keyed(pg.recognitions(), "postgis")
    assert len(recognitions) == 2 and keyed(gpkg.recognitions(), "gpkg") == recognitions  # Hồng Ngự's decisions
    assert keyed(gpkg.recognitions(up_to_year=2022), "gpkg") == keyed(pg.recognitions(up_to_year=2022), "postgis")
    city_2020 = pg.units(pg.vintage_for_year(2020).vintage_id, district_code="81101", geometry=False)
    ids = {
        "postgis": city_2020["unit_id"].tolist(),
        "gpkg": gpkg.units(gpkg.vintage_for_year(2020).vintage_id, district_code="81101", geometry=False)[
            "unit_id"
        ].tolist(),
    }
    assert keyed(gpkg.statuses(ids["gpkg"], 2020), "gpkg") == keyed(pg.statuses(ids["postgis"], 2020), "postgis") != []

    def audit(store):
        return [(r.import_id, r.kind, r.source_file, r.rows_read, r.rows_stored, r.report) for r in store.imports()]

    assert audit(gpkg) == audit(pg) and [r[1] for r in audit(pg)].count("status") == 4
    assert gpkg.lineage_events() == pg.lineage_events() and len(pg.lineage_events()) == 3
    assert gpkg.lineage_events("8110131") == pg.lineage_events("8110131") != []
    vintage_start = {v.vintage_id: v.valid_from for v in pg.vintages()}
    assert [dataclasses.replace(e, vintage_id=vintage_start[e.vintage_id]) for e in gpkg.data_extent()] == [
        dataclasses.replace(e, vintage_id=vintage_start[e.vintage_id]) for e in pg.data_extent()
    ]


def test_reports_and_assessments(stores):
    _, pg = stores
    scopes = {(e.province_code, e.year) for e in pg.data_extent()}
    assert len(scopes) >= 4
    for province, year in sorted(scopes):
        reports = [province_report(s, resolve_where(s, year=year, province=province)) for s in stores]
        assert reports[0] == reports[1] and reports[1]["total"]["communes_with_data"] > 0
    for year, day in ((2020, None), (2019, dt.date(2020, 2, 1))):  # its own boundaries, and carried
        views = [assessment_view(s, resolve_where(s, day=day, year=year), province_code="811") for s in stores]
        _assert_frames_equal(views[0].drop(columns="unit_id"), views[1].drop(columns="unit_id"))


def test_crosswalk_shares(stores):
    walks = [crosswalk_between(s, dt.date(2019, 12, 31), dt.date(2020, 12, 31), province="Bến Tre")[2] for s in stores]
    assert len(walks[1].pairs) > 100
    for table in ("pairs", "slivers", "coverage_of_old"):
        _assert_frames_equal(getattr(walks[0], table), getattr(walks[1], table))


def test_infrastructure_layers_and_partition(new_location):
    """Layers and a partition stored through each backend come back the same."""
    roads = gpd.GeoDataFrame(
        {
            "road_class": ["commune", "hamlet", None],
            "surface": ["asphalt", "earth", "unknown"],
            "kind": [None] * 3,
            "name": ["Đường xã 1", None, "x"],
            "properties": ['{"highway": "tertiary"}', "{}", "{}"],
        },
        geometry=[
            shapely.LineString([(106.36, 10.23), (106.38, 10.25)]),
            shapely.LineString([(106.30, 10.10), (106.31, 10.11), (106.33, 10.10)]),
            shapely.LineString([(105.0, 9.0), (105.1, 9.1)]),
        ],
        crs="EPSG:4326",
    )
    record = ImportRecord("layer", "test", 3, 3)
    answers = []
    for backend in ("gpkg", "postgis"):
        with open_store(new_location(backend)) as store:
            store.add_layer(
                "roads", LayerKind.ROADS, dt.date(2020, 1, 1), "test", "EPSG:4326", roads, None, {"rows": 3}, record
            )
            store.add_layer(
                "population",
                LayerKind.POPULATION,
                dt.date(2020, 7, 1),
                "test",
                "EPSG:32648",
                None,
                b"II*\x00 not really a GeoTIFF",
                {},
                record,
            )
            with pytest.raises(GeoNtmError, match="a layer named 'roads' is already stored"):
                store.add_layer(
                    "roads", LayerKind.ROADS, dt.date(2021, 1, 1), "test", "EPSG:4326", roads, None, {}, record
                )
            vintage = store.vintages()[0].vintage_id
            assert store.partition(vintage) is None
            city = store.units(vintage, AdminTier.COMMUNE, district_code="81101")[["unit_id", "geometry"]]
            store.add_partition(vintage, city, {"cells": len(city)})
            store.add_partition(vintage, city.iloc[:1], {})  # already built: nothing changes
            assert store.road_km(1, vintage) is None
            store.add_road_km(
                1,
                vintage,
                pd.DataFrame(
                    {
                        "unit_id": city["unit_id"].iloc[:2],
                        "road_class": "commune",
                        "surface": ["asphalt", "earth"],
                        "km": [1.25, 0.5],
                    }
                ),
            )
            store.add_road_km(1, vintage, pd.DataFrame({"unit_id": [], "road_class": [], "surface": [], "km": []}))
            answers.append(
                (
                    store.layers(),
                    store.layer_features(1),
                    store.layer_features(1, BEN_TRE_CITY),
                    store.layer_raster(2),
                    store.partition(vintage).drop(columns="unit_id"),
                    store.partition(vintage, (106.36, 10.23, 106.37, 10.24)).drop(columns="unit_id"),
                    store.layer_features(1, attributes=("surface", "road_class")),
                    store.road_km(1, vintage).assign(unit_id=0),
                )
            )
    gpkg, pg = answers
    assert gpkg[0] == pg[0] and [x.feature_count for x in pg[0]] == [3, 0]
    for a, b in zip(gpkg[1:], pg[1:], strict=True):
        if isinstance(a, bytes):
            assert a == b
        else:
            assert len(b) > 0
            _assert_frames_equal(a, b)
    assert len(pg[2]) == 1 and len(pg[4]) == 17 and 0 < len(pg[5]) < 17
    assert list(pg[6].columns) == ["feature_id", "surface", "road_class", "geometry"]
    assert list(pg[7]["km"]) == [1.25, 0.5]  # the second add changed nothing


@pytest.mark.parametrize(
    "path, params",
    [
        ("/collections/communes/items", {"province": "Bến Tre", "year": 2020, "limit": 200}),
        (
            "/collections/units/items",
            {"bbox": ",".join(map(str, BEN_TRE_CITY)), "year": 2019, "limit": 40, "offset": 5},
        ),
        (
            "/collections/communes/items",
            {"province": "Bến Tre", "year": 2019, "date": "2020-06-01", "rule": "share_area"},
        ),
        ("/collections/communes/items/28777", {"year": 2020}),
        ("/lineage/8110105", {}),
        ("/crosswalk", {"from": "2019-12-31", "to": "2020-12-31", "province": "Bến Tre", "f": "json"}),
        ("/vintages", {}),
        ("/lookup", {"lon": 106.3756, "lat": 10.2415, "date": "2020-12-31"}),
    ],
)
def test_api_answers(locations, path, params):
    answers = []
    for location in locations.values():
        with TestClient(create_app(Settings.from_env().model_copy(update=dict(db=location)))) as client:
            response = client.get(path, params=params)
            assert response.status_code == 200, response.text
            answers.append({k: v for k, v in response.json().items() if k != "timeStamp"})
    assert answers[0] == answers[1]  # the same JSON, down to every coordinate and area
