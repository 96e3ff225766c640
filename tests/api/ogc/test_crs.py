"""``crs`` (axis order, ``Content-Crs``) and ``bbox-crs`` in WGS 84 and VN-2000."""

from __future__ import annotations

import pytest

from tests.api.ogc.support import names

pytestmark = pytest.mark.e2e  # every test reads the uvicorn subprocess (the `server` fixture)


def test_crs_and_bbox_crs(http):
    r = http.get("/collections/communes/items/8110125", params={"crs": "http://www.opengis.net/def/crs/EPSG/0/4326"})
    assert r.headers["content-crs"] == "<http://www.opengis.net/def/crs/EPSG/0/4326>"
    lat, lon = r.json()["geometry"]["coordinates"][0][0][0]  # EPSG:4326: latitude first
    assert 9 < lat < 11 and 106 < lon < 107
    default = http.get("/collections/communes/items/8110125")
    assert default.headers["content-crs"] == "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    # a box around Phường Phú Khương in VN-2000 / UTM 48N
    boxed = http.get(
        "/collections/communes/items",
        params={"bbox": "651000,1131000,655000,1134500", "bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/3405"},
    ).json()
    assert "Phường Phú Khương" in names(boxed)
    # the same box in EPSG:4756 axis order (latitude first)
    geo = http.get(
        "/collections/communes/items", params={"bbox": "10.23,106.37,10.25,106.39", "bbox-crs": "EPSG:4756"}
    ).json()
    assert "Phường Phú Khương" in names(geo)
    utm = http.get("/collections/communes/items/8110125", params={"crs": "EPSG:3405"}).json()
    x, y = utm["geometry"]["coordinates"][0][0][0]
    assert 600_000 < x < 700_000 and 1_100_000 < y < 1_200_000
