"""Each collection advertises its own extent (the box of its own units over the stored vintages),
on both stores: the provinces' holds the islands, the districts' and communes' mainland box does not."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.app import create_app
from geo_ntm.settings import Settings


def test_each_collection_has_its_own_extent(db_location):
    with TestClient(create_app(Settings.from_env().model_copy(update=dict(db=db_location)))) as client:
        docs = {c["id"]: c for c in client.get("/collections").json()["collections"]}
        boxes = {cid: doc["extent"]["spatial"]["bbox"][0] for cid, doc in docs.items()}
        assert boxes == {cid: client.get(f"/collections/{cid}").json()["extent"]["spatial"]["bbox"][0] for cid in docs}
        # the provinces' box holds offshore islands the 2009 file has no district or commune for
        assert boxes["provinces"][2] > 117 and boxes["provinces"][1] < 8
        for cid in ("districts", "communes"):
            minx, miny, maxx, maxy = boxes[cid]
            assert 102 < minx < 103 and 8 < miny < 9 and 109 < maxx < 110 and 23 < maxy < 24
        tiers = [boxes[cid] for cid in ("provinces", "districts", "communes")]
        lower, upper = [min(b[i] for b in tiers) for i in (0, 1)], [max(b[i] for b in tiers) for i in (2, 3)]
        assert boxes["units"] == [*lower, *upper]
        assert all(doc["extent"]["temporal"]["interval"][0][0].startswith("2009-04-01") for doc in docs.values())
