"""Indicators computed from infrastructure layers as map measures (``roads:<column>``) on the real
2009 boundaries of Bến Tre with a SYNTHETIC road layer dated 2020-06-30, on both stores: the
page offers them only when a layer exists, mapclassify classes them by the scheme asked, the
profile lists them, and ``geo-ntm map`` draws them with legend and tooltips."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from cli.main import main
from geo_ntm.infrastructure.queries import coverage
from geo_ntm.settings import Settings
from geo_ntm.store import open_store
from tests.support.questions import coverage_request

CITY = {"province": "811", "district": "81101", "year": 2020}


@pytest.fixture(scope="module")
def client(planner_db):
    with TestClient(create_app(Settings.from_env().model_copy(update=dict(db=planner_db)))) as c:
        yield c


def test_indicators_are_offered_only_for_years_with_a_layer(client):
    offered = lambda year: [m["id"] for m in client.get("/map/options", params={"year": year}).json()["measures"]]  # noqa: E731
    assert "roads:hardened_share_hamlet" in offered(2020) and "roads:ind_2_1_value" in offered(2020)
    assert not [m for m in offered(2019) if ":" in m]  # the layer describes 2020-06-30
    measures = {m["id"]: m for m in client.get("/map/options", params={"year": 2020}).json()["measures"]}
    assert measures["roads:hardened_share_hamlet"]["schemes"] == ["quantiles", "equal_interval", "natural_breaks"]
    assert measures["roads:ind_2_1_value"]["label"].startswith("Chỉ tiêu 2.1: Đường xã")
    assert measures["roads:km_hamlet"]["label"] == "Chiều dài đường trục thôn, liên thôn (km)"


@pytest.mark.parametrize("scheme", ["quantiles", "equal_interval", "natural_breaks"])
def test_an_indicator_is_classed_by_mapclassify(client, planner_db, scheme):
    body = client.get("/map/data", params={**CITY, "measure": "roads:hardened_share_hamlet", "scheme": scheme}).json()
    with open_store(planner_db) as store:
        table, _ = coverage(store, coverage_request(store, "roads", province="811", district="81101", year=2020))
    expected = dict(zip(table["code"], table["hardened_share_hamlet"], strict=True))
    numeric = [e for e in body["legend"]["entries"] if e["lower"] is not None]
    assert 2 <= len(numeric) <= 5 and numeric[-1]["lower"] <= numeric[0]["upper"]
    for f in body["features"]:
        p = f["properties"]
        if p["unit_type"] != "xa":
            assert p["class"] == "not_assessed"  # wards are never classed, whatever the measure
            continue
        assert p["value"] == pytest.approx(expected[p["code"]])
        entry = next(e for e in numeric if e["key"] == p["class"])
        assert entry["lower"] - 1e-9 <= p["value"] <= entry["upper"] + 1e-9
        assert re.fullmatch(r"\d{1,3},\d%", p["value_text"])  # Vietnamese decimal comma
        assert "Tỷ lệ đường trục thôn, liên thôn được cứng hóa: " in p["tooltip"]
    assert sum(e["count"] for e in numeric) == 7 and "synthetic_roads (2020-06-30)" in body["source"]


def test_schemes_differ_and_english_writes_decimal_points(client):
    legends = {
        s: [
            e["label"]
            for e in client.get(
                "/map/data", params={**CITY, "measure": "roads:km_total", "scheme": s, "classes": 3, "lang": "en"}
            ).json()["legend"]["entries"]
        ]
        for s in ("quantiles", "equal_interval")
    }
    assert legends["quantiles"] != legends["equal_interval"]
    assert all(re.fullmatch(r"[\d,]+\.\d\d km – [\d,]+\.\d\d km", label) for label in legends["quantiles"][:3])


def test_profile_lists_the_indicators_with_their_verdicts(client):
    body = client.get("/profile/8110125", params={"year": 2020}).json()  # Xã Nhơn Thạnh
    found = {i["id"]: i for i in body["indicators"]}
    assert found["roads:ind_2_1_value"]["verdict"] in ("met", "not_met", "unknown", "no_data")
    assert found["roads:km_total"]["text"].endswith(" km") and found["roads:km_total"]["layer"] == "synthetic_roads"
    assert client.get("/profile/8110125", params={"year": 2019}).json()["indicators"] == []  # no layer yet


def test_cli_map_of_an_indicator(planner_db, tmp_path, capsys):
    out = tmp_path / "roads.html"
    assert (
        main(
            [
                "--db",
                planner_db,
                "map",
                "--province",
                "Bến Tre",
                "--district",
                "Thành phố Bến Tre",
                "--year",
                "2020",
                "--measure",
                "roads:hardened_share_hamlet",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    html = out.read_text(encoding="utf-8")
    rows = re.findall(r'<tr data-class="(n\d|no_data|not_assessed)" data-count="(\d+)">', html)
    assert rows[-1] == ("not_assessed", "10") and sum(int(c) for k, c in rows if re.fullmatch(r"n\d", k)) == 7
    assert "Tỷ lệ đường trục thôn, liên thôn được cứng hóa — Thành phố Bến Tre, Tỉnh Bến Tre" in html
    assert json.dumps("Tỷ lệ đường trục thôn, liên thôn được cứng hóa: ")[1:-1] in html  # in the tooltips (GeoJSON)


def test_cli_map_scheme_and_classes(planner_db, tmp_path):
    """--scheme and --classes reach the classification: equal intervals in 3 classes."""
    out = tmp_path / "roads3.html"
    assert (
        main(
            [
                "--db",
                planner_db,
                "map",
                "--province",
                "Bến Tre",
                "--district",
                "Thành phố Bến Tre",
                "--year",
                "2020",
                "--measure",
                "roads:km_total",
                "--scheme",
                "equal_interval",
                "--classes",
                "3",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    rows = re.findall(r'<tr data-class="(n\d)" data-count="(\d+)">', out.read_text(encoding="utf-8"))
    assert sorted(k for k, _ in rows) == ["n1", "n2", "n3"] and sum(int(c) for _, c in rows) == 7
    with pytest.raises(SystemExit):  # argparse refuses 9 classes
        main(
            [
                "--db",
                planner_db,
                "map",
                "--province",
                "Bến Tre",
                "--year",
                "2020",
                "--classes",
                "9",
                "-o",
                str(tmp_path / "x.html"),
            ]
        )
