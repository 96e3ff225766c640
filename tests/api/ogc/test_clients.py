"""OGC API - Features, proven with real clients against a real uvicorn server (``conftest.py``):
GDAL's OAPIF driver (pyogrio's GDAL) and OWSLib's Features client."""

from __future__ import annotations

from urllib.parse import quote, unquote

import pyogrio
import pytest
from owslib.ogcapi.features import Features

from tests.api.ogc.support import CITY_XA_2020, names

pytestmark = pytest.mark.e2e  # every test reads the uvicorn subprocess (the `server` fixture)


# -- GDAL -------------------------------------------------------------------------------------
def test_gdal_lists_the_collections(server):
    layers = pyogrio.list_layers(f"OAPIF:{server.url}/")
    assert [name for name, _ in layers] == ["provinces", "districts", "communes", "units"]


def test_gdal_copies_a_cql2_filtered_collection_to_a_geopackage(server, tmp_path):
    base = server.url
    where = "district = 'Thành phố Bến Tre' AND unit_type = 'xa' AND criteria_met >= 19"
    frame = pyogrio.read_dataframe(f"OAPIF:{base}/?year=2020", layer="communes", where=where)
    # GDAL sent the filter to the server as CQL text (it found filter-lang and the queryables in /api)
    sent = [r for r in server.requests() if r.startswith("GET /collections/communes/items?") and "filter=" in r]
    assert sent and "filter-lang=cql" in sent[-1] and "criteria_met" in unquote(sent[-1])
    out = tmp_path / "city_xa.gpkg"
    pyogrio.write_dataframe(frame, out, layer="communes", driver="GPKG")  # what ogr2ogr -where does
    copied = pyogrio.read_dataframe(out)
    assert set(copied["name"]) == CITY_XA_2020 and len(copied) == 6
    assert set(copied["criteria_met"]) == {19} and copied.crs.equals(frame.crs)
    assert copied.geometry.geom_type.eq("MultiPolygon").all()
    assert copied.total_bounds[0] > 106.2 and copied.total_bounds[2] < 106.5


def test_gdal_reads_url_parameters_and_pages(server):
    base = server.url
    # the province as a query parameter of the dataset URL; GDAL pages with limit and next links
    frame = pyogrio.read_dataframe(
        f"OAPIF:{base}/?province=811&district={quote('Thành phố Bến Tre')}&year=2019", layer="communes", PAGE_SIZE=5
    )
    assert len(frame) == 17 and "Xã Mỹ Thành" in set(frame["name"])  # the 2019 boundaries: 17 units


@pytest.mark.parametrize("epsg", [4756, 3405])
def test_gdal_reads_vn2000(server, epsg):
    url = f"OAPIF:{server.url}/"
    wgs84 = pyogrio.read_dataframe(url, layer="communes", where="code = '8110125'")
    vn2000 = pyogrio.read_dataframe(url, layer="communes", where="code = '8110125'", CRS=f"EPSG:{epsg}")
    assert vn2000.crs.to_epsg() == epsg
    expected = wgs84.to_crs(epsg).geometry.iloc[0]
    got = vn2000.geometry.iloc[0]
    assert got.symmetric_difference(expected).area < 1e-9 * max(expected.area, 1)
    if epsg == 3405:
        assert 600_000 < got.centroid.x < 700_000 and 1_100_000 < got.centroid.y < 1_200_000


# -- OWSLib -----------------------------------------------------------------------------------
def test_owslib_features_client(server):
    w = Features(f"{server.url}/", headers={"Accept": "application/json"})
    assert w.feature_collections() == ["provinces", "districts", "communes", "units"]
    assert "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text" in w.conformance()["conformsTo"]
    # no year: the communes of the collection's default year (2020, the latest on today's boundaries)
    assert w.collection("communes")["defaultYear"] == 2020
    body = w.collection_items(
        "communes",
        province="Bến Tre",
        limit=50,
        filter="district = 'Thành phố Bến Tre' AND (criteria_met >= 19 OR level = 'ntm')",
    )
    assert body["numberMatched"] == 6 and names(body) == CITY_XA_2020
    statuses = {(f["properties"]["year"], f["properties"]["criteria_met"]) for f in body["features"]}
    assert statuses == {(2020, 19)} and all(type(n) is int for pair in statuses for n in pair)
    with_year = w.collection_items("communes", province="Bến Tre", year=2020, limit=50, filter="criteria_met >= 19")
    assert names(with_year) == CITY_XA_2020 and with_year["numberMatched"] == 6
    assert "criteria_met" in w.collection_queryables("communes")["properties"]
    assert w.collection_item("communes", "8110125")["properties"]["name"] == "Xã Nhơn Thạnh"
    assert w.collection("communes")["storageCrs"].endswith("CRS84")
