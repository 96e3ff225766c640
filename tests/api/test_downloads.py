"""Downloads of a filtered collection as GeoJSON, GeoPackage, zipped Shapefile, CSV and XLSX, on the
2009 boundaries with the Bến Tre city statuses and lineage (vintage 2020-02-01 for 2020)."""

from __future__ import annotations

import csv
import io
import json
import shutil
import zipfile
from importlib import resources

import openpyxl
import pyogrio
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.downloads import FIELDS
from boundaries.vintages import import_lineage
from geo_ntm.settings import Settings
from geo_ntm.status_import.importer import import_status_file
from geo_ntm.store import open_store

CITY = {"province": "Bến Tre", "district": "Thành phố Bến Tre", "year": 2020}


@pytest.fixture(scope="module")
def client(tmp_path_factory, boundaries_2009_template, data_dir):
    path = tmp_path_factory.mktemp("downloads") / "store.gpkg"
    shutil.copy(boundaries_2009_template, path)
    with open_store(str(path)) as store:
        assert import_status_file(store, data_dir / "samples" / "status_ben_tre_city_long.csv").ok
        import_lineage(store, resources.files("boundaries") / "examples" / "ben_tre_city_lineage.csv")
    with TestClient(create_app(Settings.from_env().model_copy(update=dict(db=str(path))))) as c:
        yield c


def _get(client, fmt: str, **params):
    r = client.get("/collections/communes/download", params={"format": fmt} | params)
    assert r.status_code == 200, r.text
    return r


def _filename(r) -> str:
    return r.headers["content-disposition"].split('filename="')[1].rstrip('"')


def test_geojson_is_streamed_and_named_after_province_district_and_date(client):
    r = _get(client, "geojson", **CITY)
    assert _filename(r) == "communes_Ben-Tre_Ben-Tre_2020-12-31.geojson"
    assert "content-length" not in r.headers  # streamed, chunk by chunk
    body = json.loads(r.content)
    assert body["numberMatched"] == 14 and len(body["features"]) == 14
    assert "Phường An Hội" in {f["properties"]["name"] for f in body["features"]}


def test_geopackage_with_a_cql2_filter_and_vn2000(client, tmp_path):
    r = _get(client, "gpkg", filter="unit_type = 'xa' AND criteria_met = 19", crs="EPSG:3405", **CITY)
    assert _filename(r) == "communes_Ben-Tre_Ben-Tre_2020-12-31_filtered.gpkg"
    path = tmp_path / _filename(r)
    path.write_bytes(r.content)
    assert pyogrio.list_layers(path)[0][0] == "communes"
    frame = pyogrio.read_dataframe(path, layer="communes")
    assert len(frame) == 6 and set(frame["unit_type"]) == {"xa"} and frame.crs.to_epsg() == 3405
    assert "Xã Nhơn Thạnh" in set(frame["name"]) and 600_000 < frame.geometry.centroid.x.mean() < 700_000
    assert list(frame["criteria_unmet"].unique()) in ([None], [""])  # lists are ';'-joined text


def test_zipped_shapefile_keeps_vietnamese_names_with_short_fields(client, tmp_path):
    r = _get(client, "shp", **CITY)
    assert _filename(r) == "communes_Ben-Tre_Ben-Tre_2020-12-31.shp.zip"
    path = tmp_path / "communes.shp.zip"
    path.write_bytes(r.content)
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        stem = "communes_Ben-Tre_Ben-Tre_2020-12-31"
        assert {f"{stem}.{ext}" for ext in ("shp", "shx", "dbf", "prj", "cpg")} <= set(names)
        assert zf.read(f"{stem}.cpg").decode().strip().upper() in ("UTF-8", "UTF8")
        documented = list(csv.DictReader(io.StringIO(zf.read(f"{stem}_fields.csv").decode())))
    frame = pyogrio.read_dataframe(f"/vsizip/{path}/{stem}.shp")
    assert all(len(c) <= 10 for c in frame.columns)
    assert {"crit_met", "crit_total", "ntm_level", "adm_level", "crit_unmet"} <= set(frame.columns)
    assert {"Phường An Hội", "Xã Nhơn Thạnh", "Xã Mỹ Thạnh An"} <= set(frame["name"])
    assert set(frame["district"]) == {"Thành phố Bến Tre"} and len(frame) == 14
    assert frame.loc[frame["name"] == "Xã Nhơn Thạnh", "crit_met"].iloc[0] == 19
    assert {d["shapefile_field"]: d["field"] for d in documented}["crit_met"] == "criteria_met"
    assert all(len(short) <= 10 for short, _ in FIELDS.values())


def test_csv_and_xlsx_tables(client, tmp_path):
    r = _get(client, "csv", unit_type="xa", **CITY)
    assert _filename(r) == "communes_Ben-Tre_Ben-Tre_2020-12-31_filtered.csv"
    assert r.headers["content-type"].startswith("text/csv")
    text = r.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 6 and {row["name"] for row in rows} >= {"Xã Nhơn Thạnh", "Xã Bình Phú"}
    assert 106 < float(rows[0]["lon"]) < 107 and 10 < float(rows[0]["lat"]) < 11
    wkt = _get(client, "csv", geometry="wkt", code="8110125", **CITY).content.decode("utf-8-sig")
    assert "MULTIPOLYGON" in wkt
    x = _get(client, "xlsx", **CITY)
    assert _filename(x) == "communes_Ben-Tre_Ben-Tre_2020-12-31.xlsx"
    path = tmp_path / "t.xlsx"
    path.write_bytes(x.content)
    book = openpyxl.load_workbook(path, read_only=True)
    assert book.sheetnames == ["communes", "fields", "about"]
    values = list(book["communes"].values)
    header, data = values[0], values[1:]
    assert len(data) == 14 and "Xã Nhơn Thạnh" in {row[header.index("name")] for row in data}
    assert dict(book["about"].values)["boundaries_valid_from"] == "2020-02-01"


def test_other_collections_dates_and_errors(client):
    r = _get(client, "geojson", date="2019-06-01", province="811")
    assert _filename(r) == "communes_Ben-Tre_2019-06-01.geojson"
    r = client.get("/collections/provinces/download", params={"format": "csv", "name": "Tỉnh Bến Tre"})
    assert r.status_code == 200 and "Tỉnh Bến Tre" in r.content.decode("utf-8-sig")
    assert _filename(r).startswith("provinces_Viet-Nam_") and _filename(r).endswith("_filtered.csv")
    assert client.get("/collections/communes/download", params={"format": "kml"}).status_code == 400
    bad = client.get("/collections/communes/download", params={"format": "xlsx", "geometry": "wkt"})
    assert bad.status_code == 400 and "CSV only" in bad.json()["description"]
    links = client.get("/collections/communes").json()["links"]
    assert {link["href"].rsplit("=", 1)[1] for link in links if link["rel"] == "enclosure"} == {
        "geojson",
        "gpkg",
        "shp",
        "csv",
        "xlsx",
    }


def test_every_criterion_has_its_own_column_with_the_place_codes(client, tmp_path):
    r = _get(client, "csv", unit_type="xa", **CITY)
    rows = {row["name"]: row for row in csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")))}
    nhon_thanh = rows["Xã Nhơn Thạnh"]
    assert [nhon_thanh[f"tc{n}"] for n in range(1, 20)] == ["met"] * 19 and "tc20" not in nhon_thanh
    assert nhon_thanh["province_code"] == "811" and nhon_thanh["district_code"] == "81101"
    only_2011 = {
        row["name"]: row
        for row in csv.DictReader(
            io.StringIO(_get(client, "csv", **{**CITY, "year": 2011}).content.decode("utf-8-sig"))
        )
    }
    statuses = {only_2011["Xã Nhơn Thạnh"][f"tc{n}"] for n in range(1, 20)}
    assert only_2011["Xã Nhơn Thạnh"]["tc9"] == "unmet" and statuses == {
        "unmet",
        "no_data",
    }  # only criterion 9 reported
    assert {row["tc9"] for row in only_2011.values() if row["unit_type"] == "phuong"} == {""}  # wards: not assessed
    r = _get(client, "shp", **CITY)
    path = tmp_path / "communes.shp.zip"
    path.write_bytes(r.content)
    stem = "communes_Ben-Tre_Ben-Tre_2020-12-31"
    with zipfile.ZipFile(path) as zf:
        documented = {
            d["field"]: d["meaning"] for d in csv.DictReader(io.StringIO(zf.read(f"{stem}_fields.csv").decode()))
        }
    assert documented["tc19"].startswith("criterion 19 of the unit's framework: met, unmet")


def test_geopackage_and_shapefile_open_styled_like_the_level_map(client, tmp_path):
    import sqlite3
    import xml.etree.ElementTree as ET

    from maps.measures.level import Level

    path = tmp_path / "styled.gpkg"
    path.write_bytes(_get(client, "gpkg", **CITY).content)
    frame = pyogrio.read_dataframe(path, layer="communes")
    assert set(frame.loc[frame["unit_type"] == "phuong", "ntm_class"]) == {"not_assessed"}
    assert set(frame["ntm_class"]) <= {*Level.fills, "no_data", "not_assessed"}
    with sqlite3.connect(path) as db:
        (name, geometry, default, style_qml, style_sld) = db.execute(
            "SELECT f_table_name, f_geometry_column, useAsDefault, styleQML, styleSLD FROM layer_styles"
        ).fetchone()
        assert db.execute("SELECT data_type FROM gpkg_contents WHERE table_name = 'layer_styles'").fetchone() == (
            "attributes",
        )
    assert (name, geometry, default) == ("communes", "geom", 1)
    renderer = ET.fromstring(style_qml.split("\n", 1)[1]).find("renderer-v2")
    assert renderer.get("attr") == "ntm_class"
    categories = {c.get("value"): c.get("label") for c in renderer.iter("category")}
    assert set(frame["ntm_class"]) <= set(categories) and categories["not_assessed"] == "Không đánh giá"
    colours = {s.get("name"): s.find(".//prop[@k='color']").get("v") for s in renderer.iter("symbol")}
    recognised = str(list(categories).index("recognised_ntm"))
    assert colours[recognised] == "173,221,142,255"  # #addd8e, the page's fill
    sld_rules = ET.fromstring(style_sld.split("\n", 1)[1]).findall(".//{http://www.opengis.net/sld}Rule")
    assert len(sld_rules) == len(categories)

    shp = tmp_path / "styled.shp.zip"
    shp.write_bytes(_get(client, "shp", lang="en", **CITY).content)
    stem = "communes_Ben-Tre_Ben-Tre_2020-12-31"
    with zipfile.ZipFile(shp) as zf:
        beside = ET.fromstring(zf.read(f"{stem}.qml").decode().split("\n", 1)[1])
        ET.fromstring(zf.read(f"{stem}.sld").decode().split("\n", 1)[1])
    labels = {c.get("value"): c.get("label") for c in beside.iter("category")}
    assert labels["not_assessed"] == "Not assessed"
