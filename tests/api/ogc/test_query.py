"""The feature query: ``datetime`` choosing the boundaries, property parameters, CQL2 filters and
paging, and a 400 with a reason for each bad parameter."""

from __future__ import annotations

import httpx
import pytest

from tests.api.ogc.support import CITY_XA_2020, names

pytestmark = pytest.mark.e2e  # every test reads the uvicorn subprocess (the `server` fixture)


def test_datetime_chooses_the_boundary_vintage(http):
    city = {"province": "Bến Tre", "district": "Thành phố Bến Tre", "limit": 50}
    before = http.get("/collections/communes/items", params=city | {"datetime": "2019-06-01"}).json()
    after = http.get("/collections/communes/items", params=city | {"datetime": "2020-06-01T00:00:00Z"}).json()
    assert before["numberMatched"] == 17 and after["numberMatched"] == 14
    assert "Phường An Hội" in names(after) and "Phường An Hội" not in names(before)
    inside = http.get("/collections/communes/items", params=city | {"datetime": "2020-03-01/2020-12-31"}).json()
    assert inside["numberMatched"] == 14
    spans = http.get("/collections/communes/items", params=city | {"datetime": "2019-01-01/2020-12-31"})
    assert spans.status_code == 400 and "spans 2 boundary vintages" in spans.json()["description"]


def test_property_parameters_cql2_and_paging(http):
    params = {"province": "Bến Tre", "year": 2020, "unit_type": "xa", "limit": 50}
    xa = http.get("/collections/communes/items", params=params).json()
    assert xa["numberMatched"] > 100 and all(f["properties"]["unit_type"] == "xa" for f in xa["features"])
    one = http.get("/collections/communes/items", params={"name": "Xã Nhơn Thạnh", "year": 2020}).json()
    assert [f["id"] for f in one["features"]] == ["8110125"]
    cql = {
        "filter": "criteria_met BETWEEN 15 AND 19 AND NOT unit_type <> 'xa'",
        "filter-lang": "cql2-text",
        "year": 2020,
        "limit": 4,
    }
    page1 = http.get("/collections/communes/items", params=cql).json()
    assert page1["numberMatched"] == 6 and page1["numberReturned"] == 4
    nxt = next(link["href"] for link in page1["links"] if link["rel"] == "next")
    page2 = httpx.get(nxt).json()
    assert page2["numberReturned"] == 2 and names(page1) | names(page2) == CITY_XA_2020
    ntm = http.get("/collections/communes/items", params={"level": "ntm", "year": 2020, "province": "811"}).json()
    assert ntm["numberMatched"] >= 1 and {f["properties"]["level"] for f in ntm["features"]} == {"ntm"}
    like = http.get("/collections/units/items", params={"filter": "name LIKE 'Tỉnh Bến%'", "level": "province"}).json()
    assert names(like) == {"Tỉnh Bến Tre"}


def test_cql2_json_casei_accenti_and_ilike_find_a_commune_typed_without_tone_marks(http):
    base = {"year": 2020, "province": "811"}
    asks = [
        {"filter": "ACCENTI(name) = ACCENTI('Xa Nhon Thanh')"},
        {"filter": "CASEI(ACCENTI(name)) LIKE 'xa nhon th%'"},
        {"filter": "name ILIKE 'XÃ NHƠN THẠNH'"},
        {
            "filter": '{"op": "=", "args": [{"op": "accenti", "args": [{"property": "name"}]}, "Xa Nhon Thanh"]}',
            "filter-lang": "cql2-json",
        },
    ]
    for ask in asks:
        found = http.get("/collections/communes/items", params=base | ask).json()
        assert [f["id"] for f in found["features"]] == ["8110125"], ask
    assert (
        http.get("/collections/communes/items", params=base | {"filter": "name = 'Xa Nhon Thanh'"}).json()[
            "numberMatched"
        ]
        == 0
    )


@pytest.mark.parametrize(
    "params, words",
    [
        ({"filter": "criteria_met >= "}, "cannot read it at 1:17"),
        ({"filter": "nothing = 1"}, "unknown property 'nothing'"),
        ({"filter": "name = 5"}, "compares a string with a number"),
        ({"filter": "name = 'x'", "filter-lang": "cql2-json"}, "cannot read it"),
        ({"filter": "name = 'x'", "filter-lang": "ecql"}, "cql2-text, cql-text, cql2-json are supported"),
        ({"filter": "T_INTERSECTS(name, INTERVAL('2020-01-01', '2021-01-01'))"}, "temporal and array predicates"),
        ({"filter": "name ILIKE 5"}, "ILIKE takes a property and a 'pattern'"),
        ({"colour": "red"}, "unknown parameter 'colour'"),
        ({"criteria_met": "many"}, "criteria_met is a number"),
        ({"crs": "EPSG:2154"}, "not supported"),
        ({"bbox": "10,106,10.3,106.5", "bbox-crs": "EPSG:9999"}, "not supported"),
        ({"datetime": "yesterday"}, "not a date"),
        ({"datetime": "2020-01-01", "date": "2020-01-01"}, "only one"),
        ({"datetime": "../.."}, "datetime ../.. names no instant; give a date or a closed interval"),
    ],
)
def test_bad_parameters_are_400_with_a_reason(http, params, words):
    r = http.get("/collections/communes/items", params=params)
    assert r.status_code == 400 and words in r.json()["description"], r.json()
