"""The hierarchy after 1 July 2025 on both stores: the real 2009 boundaries and, beside them, the
real units of 1 July 2025 of Tỉnh Vĩnh Long (86: former Vĩnh Long, Bến Tre and Trà Vinh) from
``vn_admin_2025.gpkg``, with every status sample. Boundaries from that day have no district tier
(options, maps, reports, a ``district=`` is a 400); switching boundaries keeps the province (by the
crosswalk of the two provinces); a 2009 commune named in a 2026 row is reported with the new unit
the crosswalk puts its area in."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from boundaries.importer import import_boundaries
from geo_ntm.errors import InputError
from geo_ntm.report import province_report
from geo_ntm.settings import Settings
from geo_ntm.status_import.importer import import_status_file
from geo_ntm.status_import.matching import UnitMatcher
from geo_ntm.store import open_store
from geo_ntm.where import resolve_where

VINTAGE_2025 = dt.date(2025, 7, 1)


@pytest.fixture(scope="module")
def location(backend, new_location, data_dir, vinh_long_2025) -> str:
    location = new_location(backend)
    with open_store(location) as store:
        import_boundaries(store, vinh_long_2025, VINTAGE_2025, measure_quality=False)
        for statuses in sorted((data_dir / "samples").glob("status_*.csv")):
            assert import_status_file(store, statuses).ok, statuses
    return location


@pytest.fixture(scope="module")
def client(location):
    with TestClient(create_app(Settings.from_env().model_copy(update=dict(db=location)))) as c:
        yield c


@pytest.fixture(scope="module")
def vintages(client) -> dict[str, str]:
    """The stored vintages' ids by start date."""
    return {v["valid_from"]: str(v["id"]) for v in client.get("/map/options").json()["vintages"]}


def test_switching_boundaries_keeps_the_province_both_ways(client, vintages):
    new = client.get("/map/options", params={"province": "811", "year": 2020, "vintage": vintages["2025-07-01"]})
    body = new.json()
    assert new.status_code == 200 and body["province"] == "86"  # Bến Tre 2009 lies in Vĩnh Long 2025
    assert body["has_districts"] is False and body["districts"] == []
    assert 2026 in body["years"]
    by_name = client.get("/map/options", params={"province": "Bến Tre", "vintage": vintages["2025-07-01"]})
    assert by_name.json()["province"] == "86"  # a province name of 2009 too
    back = client.get("/map/options", params={"province": "86", "year": 2020, "vintage": vintages["2009-04-01"]})
    assert back.json()["province"] == "811" and back.json()["has_districts"] is True  # its largest part
    assert "Thành phố Bến Tre" in {d["name"] for d in back.json()["districts"]}
    page = client.get("/planner", params={"province": "86", "vintage": vintages["2025-07-01"], "year": 2026})
    assert page.status_code == 200 and '"province": "86"' in page.text and '"year": 2026' in page.text


def test_maps_of_2025_boundaries_have_no_district(client):
    r = client.get("/map/data", params={"province": "86", "year": 2026})
    body = r.json()
    assert r.status_code == 200 and len(body["features"]) == 124 and body["district"] is None
    assert body["boundaries"]["valid_from"] == "2025-07-01"
    assert {f["properties"]["district"] for f in body["features"]} == {None}
    assert client.get("/map/summary", params={"province": "86", "year": 2026}).status_code == 200
    for params in ({"district": "Thành phố Bến Tre"}, {"tier": "district"}):
        refused = client.get("/map/data", params={"province": "86", "year": 2026, **params})
        assert refused.status_code == 400 and "no district tier" in refused.json()["description"], params
    items = client.get("/collections/communes/items", params={"province": "86", "year": 2026, "limit": 500}).json()
    assert items["numberMatched"] == 124 and {f["properties"]["district"] for f in items["features"]} == {None}
    ogc = client.get("/collections/communes/items", params={"province": "86", "year": 2026, "district": "81101"})
    assert ogc.status_code == 400 and "no district tier" in ogc.json()["description"]
    assert client.get("/collections/districts/items", params={"year": 2026}).json()["numberMatched"] == 0
    old = client.get("/map/data", params={"province": "811", "district": "Thành phố Bến Tre", "year": 2020})
    assert old.status_code == 200 and len(old.json()["features"]) == 17  # district data stays on 2009


def test_where_and_report_on_2025_boundaries(location):
    with open_store(location) as store:
        with pytest.raises(InputError, match="no district tier"):
            resolve_where(store, year=2026, province="86", district="81101")
        where = resolve_where(store, year=2026, province="Vĩnh Long")
        assert not where.has_districts and where.province is not None and where.province.code == "86"
        report = province_report(store, where)
        assert report["districts"] == [] and report["total"]["communes"] > 0
        old = province_report(store, resolve_where(store, year=2020, province="811"))
        assert len(old["districts"]) == 9 and old["districts"][0]["district"] == "Thành phố Bến Tre"


def test_a_2026_row_matches_new_units_by_code_and_name_and_hints_old_names(location):
    with open_store(location) as store:
        matcher = UnitMatcher(store)
        by_code = matcher.match(2026, "Vĩnh Long", None, "28756")
        by_name = matcher.match(2026, "Vinh Long", None, "Phu Khuong")
        assert by_code.unit is not None and by_code.unit.name == "Phường Phú Khương"
        assert by_name.unit == by_code.unit
        old = matcher.match(2026, "Bến Tre", "Thành phố Bến Tre", "Xã Nhơn Thạnh")
        assert old.unit is None and old.problem == "unmatched"
        assert "Phường Phú Khương (code 28756, 97%)" in (old.reason or "")  # shared/data README: 97.2%
        assert [c["code"] for c in old.candidates] == ["28756"] and old.found_in == "2009-04-01 vn_admin_2009"


def test_special_zones_are_assessed_only_when_the_setting_says_so(monkeypatch):
    from geo_ntm.assessment import is_assessed
    from geo_ntm.domain import AdminTier, Unit, UnitType
    from geo_ntm.settings import SettingsError

    def unit(kind: UnitType) -> Unit:  # Đặc khu Phú Quốc of vn_admin_2025.gpkg, given each type in turn
        return Unit(1, 2, AdminTier.COMMUNE, "31078", "Đặc khu Phú Quốc", "Phú Quốc", kind, "91", "91", None)

    monkeypatch.delenv("GEO_NTM_ASSESS_DAC_KHU", raising=False)
    assert not is_assessed(unit(UnitType.DAC_KHU))  # unconfirmed under QĐ 51/2025: not by default
    assert is_assessed(unit(UnitType.XA)) and not is_assessed(unit(UnitType.PHUONG))
    monkeypatch.setenv("GEO_NTM_ASSESS_DAC_KHU", "true")
    assert is_assessed(unit(UnitType.DAC_KHU)) and not is_assessed(unit(UnitType.PHUONG))
    monkeypatch.setenv("GEO_NTM_ASSESS_DAC_KHU", "maybe")
    with pytest.raises(SettingsError):
        is_assessed(unit(UnitType.DAC_KHU))
