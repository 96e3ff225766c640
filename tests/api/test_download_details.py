"""Downloads carry the reported indicator values (one column per indicator, its unit of measure in
the column's metadata) and the source of each criterion status (import, file, row) and the sources
the files named, in GeoJSON, GeoPackage, Shapefile and CSV, on both stores: the 2026 files of the
Đồng Tháp office (TEST DATA on real 2025 communes, ``tests/support/office_2026.py``)."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import zipfile

import pyogrio
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from geo_ntm.settings import Settings
from geo_ntm.status_import.importer import import_status_file
from geo_ntm.store import open_store
from tests.support.office_2026 import HUNG_THANH, INDICATORS, NOTE, STATUSES, TAN_PHUOC_1

ASKED = {"province": "Đồng Tháp", "year": 2026, "filter": f"code IN ('{HUNG_THANH}', '{TAN_PHUOC_1}')"}


@pytest.fixture(scope="module")
def office(backend, new_location, tmp_path_factory):
    """The service on the 2025 boundaries with the office's 2026 statuses and indicators; and the
    import id of the statuses file."""
    location = new_location(backend, with_2025=True)
    folder = tmp_path_factory.mktemp("office")
    with open_store(location) as store:
        for name, text in (("statuses_2026_TEST.csv", STATUSES), ("indicators_2026_TEST.csv", INDICATORS)):
            (folder / name).write_text(text, encoding="utf-8")
            assert import_status_file(store, folder / name).ok
        (statuses_import,) = [r.import_id for r in store.imports() if r.source_file.endswith("statuses_2026_TEST.csv")]
    with TestClient(create_app(Settings.from_env().model_copy(update=dict(db=location)))) as client:
        yield client, statuses_import


def _download(client, fmt: str) -> bytes:
    answer = client.get("/collections/communes/download", params={**ASKED, "format": fmt})
    assert answer.status_code == 200, answer.text
    return answer.content


def _check(rows: dict[str, dict], statuses_import: int, ind: str = "ind_2_1", tc2: str = "tc2_src") -> None:
    assert float(rows[HUNG_THANH][ind]) == 85 and float(rows[TAN_PHUOC_1][ind]) == 100
    source = rows[HUNG_THANH][tc2]
    assert source == f"import {statuses_import}: statuses_2026_TEST.csv, row 3"  # line 3 of the file
    assert rows[HUNG_THANH]["tc1_src"] != rows[TAN_PHUOC_1]["tc1_src"]  # each its own row of the file
    assert NOTE in rows[HUNG_THANH]["sources"]


def test_geojson_has_indicator_values_and_status_sources(office):
    client, statuses_import = office
    body = json.loads(_download(client, "geojson"))
    assert body["indicators"] == [{"id": "2.1", "property": "ind_2_1", "unit": "%"}]
    rows = {f["id"]: f["properties"] for f in body["features"]}
    assert set(rows) == {HUNG_THANH, TAN_PHUOC_1}
    _check(rows, statuses_import)
    assert "tc10_src" in rows[HUNG_THANH] and "tc11_src" not in rows[HUNG_THANH]  # 10 criteria reported


def test_csv_heads_the_indicator_with_its_unit(office):
    client, statuses_import = office
    text = _download(client, "csv").decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    assert "ind_2_1 [%]" in (reader.fieldnames or [])
    rows = {r["code"]: r for r in reader}
    _check(rows, statuses_import, ind="ind_2_1 [%]")
    assert reader.fieldnames.index("tc10") < reader.fieldnames.index("ind_2_1 [%]") < reader.fieldnames.index("tc1_src")


def test_geopackage_has_the_columns_and_their_metadata(office, tmp_path):
    client, statuses_import = office
    path = tmp_path / "communes.gpkg"
    path.write_bytes(_download(client, "gpkg"))
    frame = pyogrio.read_dataframe(path, layer="communes")
    assert frame["ind_2_1"].dtype.kind == "f"  # a number, not text
    _check({r["code"]: r for r in frame.to_dict("records")}, statuses_import)
    with sqlite3.connect(path) as conn:
        meta = dict(
            conn.execute(
                "SELECT column_name, title || ' | ' || description FROM gpkg_data_columns WHERE table_name = 'communes'"
            ).fetchall()
        )
        assert conn.execute("SELECT count(*) FROM gpkg_extensions WHERE extension_name = 'gpkg_schema'").fetchone()[0]
    assert meta["ind_2_1"].startswith("ind_2_1 [%] | indicator 2.1") and "in %" in meta["ind_2_1"]
    assert "criterion 2" in meta["tc2_src"] and meta["code"].startswith("code | unit code")


def test_shapefile_maps_long_names_and_documents_them(office, tmp_path):
    client, statuses_import = office
    archive = zipfile.ZipFile(io.BytesIO(_download(client, "shp")))
    archive.extractall(tmp_path)
    (shp,) = tmp_path.glob("*.shp")
    frame = pyogrio.read_dataframe(shp)
    assert all(len(c) <= 10 for c in frame.columns)
    _check({r["code"]: r for r in frame.to_dict("records")}, statuses_import)
    (fields,) = tmp_path.glob("*_fields.csv")
    mapping = {r["field"]: r for r in csv.DictReader(fields.open(encoding="utf-8"))}
    assert mapping["ind_2_1"]["shapefile_field"] == "ind_2_1" and "in %" in mapping["ind_2_1"]["meaning"]
    assert mapping["tc2_src"]["shapefile_field"] == "tc2_src"
    assert mapping["sources"]["shapefile_field"] == "sources"


def test_the_shapefile_name_of_a_long_indicator_column():
    from api.downloads import field_meaning
    from geo_ntm.views import IndicatorColumn, indicator_column

    column = indicator_column("17.1.10")
    assert column == "ind_17_1_10"
    short, meaning = field_meaning(column, {column: IndicatorColumn("17.1.10", column, "km")})
    assert short == "i17_1_10" and meaning == "indicator 17.1.10: the value reported for the year, in km"


def test_the_real_hong_ngu_sample_names_its_source_and_a_carried_download_has_no_status_sources(office):
    client, _ = office
    asked = {"province": "Đồng Tháp", "district": "80308", "year": 2022, "format": "csv"}
    own = client.get("/collections/communes/download", params={**asked, "date": "2022-12-31"})
    assert own.status_code == 200, own.text
    rows = {r["name"]: r for r in csv.DictReader(io.StringIO(own.content.decode("utf-8-sig")))}
    assert "Thành ủy Hồng Ngự" in rows["Xã Tân Hội"]["sources"]  # a count with its decision, no criteria
    assert not any(c.endswith("_src") for c in rows["Xã Tân Hội"])
    carried = client.get(
        "/collections/communes/download", params={"province": "Đồng Tháp", "year": 2022, "date": "2026-01-01"}
    )
    assert carried.status_code == 200, carried.text
