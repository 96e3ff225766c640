"""The default status year of the OGC collections (``Collection.default_year``), on both stores: the
latest year with statuses on the boundaries drawn, of the province asked, not after the datetime's
year; stated in the collection document and the schema; ``year=`` overrides it; a write is seen."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from geo_ntm.settings import Settings
from geo_ntm.status_import.importer import import_status_file
from geo_ntm.store import open_store
from tests.api.ogc.support import CITY_XA_2020

#: Test data: Bến Tre city's statuses of 2011 and 2020, Đồng Hới's (Quảng Bình) of 2019.
BEN_TRE, DONG_HOI = "status_ben_tre_city_long.csv", "status_dong_hoi_wide.csv"


@pytest.fixture
def client(db_location, data_dir):
    """The service on a private store with the 2009 boundaries (the only vintage) and Bến Tre
    city's statuses."""
    with open_store(db_location) as store:
        assert import_status_file(store, data_dir / "samples" / BEN_TRE).ok
    settings = Settings.from_env().model_copy(update=dict(db=db_location))
    with TestClient(create_app(settings)) as c:
        yield c


def statuses(client, **params) -> dict[str, tuple]:
    """Name -> (year, criteria_met) of the communes an items request gives."""
    body = client.get("/collections/communes/items", params={"limit": 200, **params}).json()
    props = [f["properties"] for f in body["features"]]
    return {p["name"]: (p["year"], p["criteria_met"]) for p in props}


def city(client, **params) -> dict[str, tuple]:
    """The statuses of Thành phố Bến Tre's communes."""
    return statuses(client, province="Bến Tre", district="Thành phố Bến Tre", **params)


def test_without_year_the_latest_year_on_the_boundaries_drawn(client, db_location, data_dir):
    default = city(client)
    assert default == city(client, year=2020)  # the same answer as year=2020
    assert {default[n] for n in CITY_XA_2020} == {(2020, 19)}
    document = client.get("/collections/communes").json()
    assert document["defaultYear"] == 2020 and document["description"].endswith(
        "Default on today's boundaries: year 2020."
    )
    schema = client.get("/collections/communes/schema").json()
    assert schema["properties"]["properties"]["properties"]["year"]["default"] == 2020
    # not after the year of the datetime asked; none before the first status year
    assert {y for y, _ in city(client, datetime="2015-06-30").values()} == {2011}
    assert {y for y, _ in city(client, datetime="2010-06-30").values()} == {None}
    # the province asked has its own latest year: Quảng Bình has none yet, then 2019 once stored
    assert {y for y, _ in statuses(client, province="Quảng Bình").values()} == {None}
    with open_store(db_location) as store:
        assert import_status_file(store, data_dir / "samples" / DONG_HOI).ok
    dong_hoi = statuses(client, province="Quảng Bình", district="Đồng Hới")
    assert {y for y, _ in dong_hoi.values()} == {2019} and (2019, 19) in dong_hoi.values()
    assert client.get("/collections/communes").json()["defaultYear"] == 2020  # the whole country's


def test_year_overrides_the_default(client):
    assert {y for y, _ in statuses(client, province="Quảng Bình", year=2020).values()} == {2020}
    assert {y for y, _ in city(client, year=2011).values()} == {2011}
    one = client.get("/collections/communes/items/8110125").json()["properties"]
    assert (one["year"], one["criteria_met"]) == (2020, 19)
    assert client.get("/collections/communes/items/8110125", params={"year": 2011}).json()["properties"]["year"] == 2011
