"""A collection's document: extent of the stored boundaries, CRSs, links; its queryables; 404 for
an unknown collection."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e  # every test reads the uvicorn subprocess (the `server` fixture)


def test_collection_metadata(http):
    c = http.get("/collections/communes").json()
    assert c["id"] == "communes" and c["itemType"] == "feature"
    minx, _miny, _maxx, maxy = c["extent"]["spatial"]["bbox"][0]
    assert 102 < minx < 103 and 23 < maxy < 24
    assert c["extent"]["temporal"]["interval"][0][0].startswith("2009-04-01")
    assert c["storageCrs"] == "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    assert {f"http://www.opengis.net/def/crs/EPSG/0/{n}" for n in (4326, 4756, 3405, 3406)} <= set(c["crs"])
    rels = {(link["rel"], link["type"]) for link in c["links"]}
    assert ("items", "application/geo+json") in rels and ("describedby", "application/schema+json") in rels
    q = http.get("/collections/communes/queryables").json()
    assert q["properties"]["criteria_met"]["type"] == "integer" and q["properties"]["name"]["type"] == "string"
    assert http.get("/collections/nowhere").status_code == 404
