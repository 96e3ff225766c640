"""Adding an OGC collection is one class and one registration (``api.ogc.collections.registry``):
a tiny collection defined here is listed in ``/collections`` and the OpenAPI document, its items,
one item and queryables are served, and it is gone again once unregistered."""

from __future__ import annotations

import shutil

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.ogc.collections import registry
from api.ogc.collections.base import Collection, Queryable
from geo_ntm.domain import AdminTier
from geo_ntm.settings import Settings

NAMES = {"code": Queryable("string", "Mã / Code"), "name": Queryable("string", "Tên / Name")}


class ProvinceNames(Collection):
    """The provinces with two queryables only: code and name."""

    id = "province_names"
    title = "Tên tỉnh / Province names"
    tiers = (AdminTier.PROVINCE,)
    queryables = NAMES


@pytest.fixture
def client(tmp_path, boundaries_2009_template):
    path = tmp_path / "store.gpkg"
    shutil.copy(boundaries_2009_template, path)
    registry.register(ProvinceNames())
    try:
        with TestClient(create_app(Settings.from_env().model_copy(update=dict(db=str(path))))) as c:
            yield c
    finally:
        registry.unregister(ProvinceNames.id)


def test_a_registered_collection_is_listed_and_served(client):
    listed = [c["id"] for c in client.get("/collections").json()["collections"]]
    assert listed == ["provinces", "districts", "communes", "units", "province_names"]
    doc = client.get("/collections/province_names").json()
    assert doc["title"] == "Tên tỉnh / Province names" and 102 < doc["extent"]["spatial"]["bbox"][0][0] < 103
    items = client.get("/collections/province_names/items", params={"limit": 5}).json()
    provinces = client.get("/collections/provinces/items", params={"limit": 5}).json()
    assert items["numberMatched"] == provinces["numberMatched"] > 60 and items["numberReturned"] == 5
    one = client.get("/collections/province_names/items", params={"name": "Tỉnh Bến Tre"}).json()
    assert [f["id"] for f in one["features"]] == ["811"]
    assert client.get("/collections/province_names/items/811").json()["properties"]["name"] == "Tỉnh Bến Tre"
    queryables = client.get("/collections/province_names/queryables").json()["properties"]
    assert set(queryables) == {"code", "name", "geometry"}
    not_queryable = client.get("/collections/province_names/items", params={"unit_type": "tinh"})
    assert not_queryable.status_code == 400 and "unknown parameter 'unit_type'" in not_queryable.json()["description"]
    paths = client.get("/api").json()["paths"]
    assert "/collections/province_names/items" in paths


def test_an_unregistered_collection_is_gone(client):
    registry.unregister(ProvinceNames.id)
    assert client.get("/collections/province_names").status_code == 404
    assert "province_names" not in [c["id"] for c in client.get("/collections").json()["collections"]]
