"""A GeoPackage store of schema 5 (feature keys named ``fid``) is upgraded when opened: the keys are
renamed as in PostGIS (``units.unit_id``, ``layer_features.feature_id``, ``unit_partition.id``), every
row and id is kept, the foreign keys follow the rename, the R-tree triggers index new rows by the new
key, and GDAL still reads the file as a GeoPackage."""

from __future__ import annotations

import datetime as dt
import sqlite3
import warnings
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
import shapely

from geo_ntm.domain import IndicatorStatus, RecognitionKind
from geo_ntm.indicator_sets import import_indicator_set
from geo_ntm.store import ImportRecord, open_store
from geo_ntm.store.gpkg_schema import SCHEMA_VERSION
from tests.geo_ntm.store.old_gpkg import ROADS, UNITS, make_schema_5_store, unit_geometry

TEST_SET = Path(__file__).parents[2] / "data" / "indicator_set_qd51_TEST.toml"
PROVINCE_CORNER = (106.5, 11.5, 106.6, 11.6)  # inside the province only


@pytest.fixture
def old_store(tmp_path):
    path = tmp_path / "old.gpkg"
    make_schema_5_store(path)
    return path


def test_upgrade_keeps_every_row_and_id(old_store):
    with open_store(str(old_store)) as store:
        assert store.schema_version == SCHEMA_VERSION == 16
        assert store.data_flags() == []  # schema 10: the data flags table, empty
        assert store.unit_groups([10, 11, 12], dt.date(2030, 1, 1)) == {}  # schema 11: commune groups, empty
        assert store.data_version().number == 1  # schema 14: the data version, from its first value
        vintage = store.vintage_named("old 2009")
        units = store.units(vintage.vintage_id)
        assert units["unit_id"].tolist() == [10, 11, 12] and units["code"].tolist() == ["83", "831", "83101"]
        assert shapely.equals_exact(units.geometry.array, [unit_geometry(u[4]) for u in UNITS]).all()
        assert store.units(vintage.vintage_id, bbox=PROVINCE_CORNER)["unit_id"].tolist() == [10]
        assert [(s.unit_id, s.year, s.criterion, s.met) for s in store.statuses()] == [(12, 2020, 3, True)]
        assert [(s.unit_id, s.decision_date) for s in store.summaries([12], 2020)] == [(12, dt.date(2020, 12, 1))]
        assert [(r.import_id, r.actor) for r in store.imports()] == [(1, "cli")]
        assert [
            (r.unit_id, r.year, r.kind, r.decision, r.decision_date, r.import_id) for r in store.recognitions()
        ] == [
            (12, 2020, RecognitionKind.RECOGNISED, "QĐ 1", dt.date(2020, 12, 1), 1)
        ]  # schema 8: the recognised summary became a recognition
        assert store.indicator_statuses() == []  # schema 9: the table of indicators, empty
        features = store.layer_features(store.layer_named("roads").layer_id)
        assert features["feature_id"].tolist() == [7, 8] and shapely.equals_exact(features.geometry.array, ROADS).all()
        assert store.layer_features(1, bbox=PROVINCE_CORNER)["feature_id"].tolist() == [8]
        partition = store.partition(vintage.vintage_id)
        assert partition[["unit_id", "code"]].values.tolist() == [[12, "83101"]]
        assert store.road_km(1, vintage.vintage_id).values.tolist() == [[12, "commune", "asphalt", 1.5]]
        assert store.water_reach("lines=1;points=;population=1", vintage.vintage_id, 200.0) is None  # schema 16


def test_upgraded_schema_has_the_new_keys_and_working_foreign_keys(old_store):
    open_store(str(old_store)).close()
    conn = sqlite3.connect(old_store)
    try:
        for table, key in (("units", "unit_id"), ("layer_features", "feature_id"), ("unit_partition", "id")):
            columns = {r[1]: r[5] for r in conn.execute(f"PRAGMA table_info({table})")}  # name: primary key rank
            assert "fid" not in columns and columns[key] == 1, table
            triggers = [
                r[0]
                for r in conn.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", (table,))
            ]
            assert len(triggers) == 2 and all(f"NEW.{key}" in t or f"OLD.{key}" in t for t in triggers), table
        for table in ("criterion_statuses", "status_summaries", "unit_partition", "road_km"):
            references = {(r[2], r[4]) for r in conn.execute(f"PRAGMA foreign_key_list({table})")}
            assert ("units", "unit_id") in references, table
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.execute("PRAGMA foreign_keys=ON")
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            conn.execute(
                "INSERT INTO criterion_statuses (unit_id, year, framework_id, level, criterion, met)"
                " VALUES (999, 2020, 'x', 'commune', 1, 1)"
            )
    finally:
        conn.close()


def test_upgraded_store_takes_new_units_into_its_rtree(old_store):
    with open_store(str(old_store)) as store:
        units = store.units(1).drop(columns=["unit_id", "vintage_id"])
        new = store.add_vintage("2015", dt.date(2015, 1, 1), "test", units, ImportRecord("boundaries", "test", 3, 3))
        found = store.units(new.vintage_id, bbox=PROVINCE_CORNER)
        assert found["unit_id"].tolist() == [13] and found["code"].tolist() == ["83"]
    with open_store(str(old_store)) as again:  # reopening finds the schema current
        assert [v.name for v in again.vintages()] == ["old 2009", "2015"]


def test_gdal_reads_the_upgraded_units_layer(old_store):
    open_store(str(old_store)).close()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # GDAL warns on a header or schema it does not accept
        layers = dict(pyogrio.list_layers(old_store))
        info = pyogrio.read_info(old_store, layer="units")
        units = pyogrio.read_dataframe(old_store, layer="units", fid_as_index=True)
    assert layers["units"] == "MultiPolygon" and layers["unit_partition"] == "MultiPolygon"
    assert info["fid_column"] == "unit_id" and info["features"] == 3
    assert units.index.tolist() == [10, 11, 12] and units["code"].tolist() == ["83", "831", "83101"]
    assert shapely.equals_exact(units.geometry.array, [unit_geometry(u[4]) for u in UNITS]).all()


@pytest.mark.parametrize("version", [6, 7])
def test_a_schema_6_or_7_file_gets_the_recognitions_table_once(old_store, version):
    """A file of schema 6 (or 7, whose results table this upgrade leaves alone) has no recognitions
    table: the upgrade to 8 creates it and copies the recognised summaries in, once."""
    open_store(str(old_store)).close()
    conn = sqlite3.connect(old_store, isolation_level=None)
    conn.execute("DROP TABLE recognitions")
    conn.execute("DELETE FROM gpkg_contents WHERE table_name = 'recognitions'")
    conn.execute("UPDATE geo_ntm_meta SET value = ? WHERE key = 'schema_version'", (str(version),))
    conn.close()
    for _ in range(2):  # opening again copies nothing twice
        with open_store(str(old_store)) as store:
            assert store.schema_version == SCHEMA_VERSION
            assert [(r.unit_id, r.year, r.decision) for r in store.recognitions()] == [(12, 2020, "QĐ 1")]


@pytest.mark.parametrize("version", [6, 7, 8])
def test_a_schema_6_7_or_8_file_gets_the_indicator_statuses_table(old_store, version):
    """Schema 9 adds ``indicator_statuses`` with idempotent steps: a file of schema 6, 7 or 8
    without it gets it (registered in gpkg_contents) and takes indicator statuses."""
    open_store(str(old_store)).close()
    conn = sqlite3.connect(old_store, isolation_level=None)
    conn.execute("DROP TABLE indicator_statuses")
    conn.execute("DELETE FROM gpkg_contents WHERE table_name = 'indicator_statuses'")
    conn.execute("UPDATE geo_ntm_meta SET value = ? WHERE key = 'schema_version'", (str(version),))
    conn.close()
    with open_store(str(old_store)) as store:
        assert store.schema_version == SCHEMA_VERSION and store.indicator_statuses() == []
        record = ImportRecord("status", "indicators_TEST.csv", 1, 1)
        water = IndicatorStatus(12, 2020, "qd1980_2016", "ntm", 17, "17.1", None, 95.9, "%")
        store.add_statuses(record, [], [], indicators=[water])
        assert [(i.unit_id, i.indicator_id, i.value, i.value_unit) for i in store.indicator_statuses([12], 2020)] == [
            (12, "17.1", 95.9, "%")
        ]
    conn = sqlite3.connect(old_store)
    assert conn.execute("SELECT count(*) FROM gpkg_contents WHERE table_name = 'indicator_statuses'").fetchone() == (1,)
    conn.close()


@pytest.mark.parametrize("version", [9, 10])
def test_a_schema_9_or_10_file_gets_the_indicator_sets_table(old_store, version):
    """Schema 12 adds ``indicator_sets`` with idempotent steps: an older file without it gets it
    (registered in gpkg_contents), keeps its data and takes an indicator set."""
    open_store(str(old_store)).close()
    conn = sqlite3.connect(old_store, isolation_level=None)
    conn.execute("DROP TABLE indicator_sets")
    conn.execute("DELETE FROM gpkg_contents WHERE table_name = 'indicator_sets'")
    conn.execute("UPDATE geo_ntm_meta SET value = ? WHERE key = 'schema_version'", (str(version),))
    conn.close()
    for _ in range(2):  # opening again changes nothing
        with open_store(str(old_store)) as store:
            assert store.schema_version == SCHEMA_VERSION and store.indicator_sets() == []
            assert [(r.unit_id, r.year) for r in store.recognitions()] == [(12, 2020)]
    with open_store(str(old_store)) as store:
        stored = import_indicator_set(store, TEST_SET.name, TEST_SET.read_text(encoding="utf-8"))
        assert [s.set_id for s in store.indicator_sets("qd51_2025")] == [stored.set_id]
    conn = sqlite3.connect(old_store)
    assert conn.execute("SELECT count(*) FROM gpkg_contents WHERE table_name = 'indicator_sets'").fetchone() == (1,)
    conn.close()


def test_a_schema_6_file_gets_the_computed_results_table(tmp_path):
    """Schema 7 only adds ``computed_results``: a file of schema 6 (the same file without it) is
    brought to 7 keeping its data, and stores answers."""
    path = tmp_path / "six.gpkg"
    with open_store(str(path)) as store:
        store.add_statuses(ImportRecord("status", "test", 0, 0), [], [])
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE computed_results")
    conn.execute("DELETE FROM gpkg_contents WHERE table_name = 'computed_results'")
    conn.execute("UPDATE geo_ntm_meta SET value = '6' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with open_store(str(path)) as store:
        assert store.schema_version == SCHEMA_VERSION and store.content_version() == 1
        store.add_computed_result("question", 1, "roads", pd.DataFrame({"unit_id": [3]}), {"communes": 1})
        assert store.computed_result("question", 1)[1] == {"communes": 1}
