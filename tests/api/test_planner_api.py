"""The planner page's endpoints on the real 2009 boundaries with every status sample and the
made-up 2019 TEST statuses of Thành phố Bến Tre (tests/data), on both stores: the options, the
classified map, comparisons of two years, the summaries, a commune's profile and the PNG."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from api.app import create_app
from geo_ntm.settings import Settings
from geo_ntm.status_import.importer import import_status_file
from geo_ntm.store import open_store

TEST_STATUSES = Path(__file__).resolve().parents[1] / "data" / "status_ben_tre_city_2019_TEST.csv"
CITY = {"province": "Bến Tre", "district": "Thành phố Bến Tre"}


@pytest.fixture(scope="module")
def client(backend, new_location, data_dir):
    location = new_location(backend)
    with open_store(location) as store:
        for statuses in [*sorted((data_dir / "samples").glob("status_*.csv")), TEST_STATUSES]:
            assert import_status_file(store, statuses).ok, statuses
    with TestClient(create_app(Settings.from_env().model_copy(update=dict(db=location)))) as c:
        yield c


def by_name(body: dict) -> dict[str, dict]:
    return {f["properties"]["name"]: f["properties"] for f in body["features"]}


def test_options_start_on_the_whole_country_at_the_latest_year_with_data(client):
    body = client.get("/map/options").json()
    assert body["province"] == "" and body["national"] and body["year"] == 2023 and body["carried"] is False
    assert body["provinces"][0]["has_data"] and {p["name"] for p in body["provinces"]} >= {
        "Tỉnh Bến Tre",
        "Tỉnh Quảng Bình",
    }
    assert body["districts"] == [] and body["basemap"] is None
    assert [m["id"] for m in body["aggregate_measures"]] == [
        "recognised_ntm",
        "recognised_ntm_nang_cao",
        "with_data",
        "mean_criteria_met",
    ]  # the levels of QĐ 318/2022, in force in 2023
    ben_tre = client.get("/map/options", params={"province": "811"}).json()
    assert ben_tre["province"] == "811" and not ben_tre["national"] and ben_tre["year"] == 2020
    assert ben_tre["data_years"] == [2011, 2019, 2020]
    assert "Thành phố Bến Tre" in {d["name"] for d in ben_tre["districts"]}
    measures = {m["id"]: m for m in ben_tre["measures"]}
    assert measures["tc9"]["label"] == "Tiêu chí 9: Nhà ở dân cư" and measures["level"]["schemes"] == ["standard"]
    assert "share" not in measures and not any(":" in m for m in measures)  # no carried view, no layer
    english = client.get("/map/options", params={"lang": "en", "province": "Quảng Bình", "year": 2019}).json()
    assert english["province"] == "407" and english["texts"]["province"] == "Province"
    assert {m["id"]: m["label"] for m in english["measures"]}["tc9"] == "Criterion 9: Housing"
    assert client.get("/map/options", params={"lang": "fr"}).status_code == 400


@pytest.mark.parametrize(
    "path", ["/planner", "/map/options", "/map.html", "/map/data", "/map/summary", "/profile/8110125"]
)
def test_an_unknown_lang_is_the_same_400_everywhere(client, path):
    r = client.get(path, params={**CITY, "year": 2020, "lang": "fr"})
    assert r.status_code == 400 and r.json() == {
        "code": "InvalidParameterValue",
        "description": "lang 'fr' is not one of vi, en",
    }


def test_map_data_classifies_every_commune_with_legend_and_metadata(client):
    body = client.get("/map/data", params={**CITY, "year": 2019}).json()
    assert body["type"] == "FeatureCollection" and len(body["features"]) == 17
    props = by_name(body)
    assert props["Xã Nhơn Thạnh"]["class"] == "15_top" and props["Xã Nhơn Thạnh"]["criteria_unmet"] == [17]
    assert props["Xã Phú Nhuận"]["class"] == "all_met" and props["Xã Phú Nhuận"]["label"] == "Đạt đủ 19/19"
    assert props["Xã Sơn Đông"]["class"] == "no_data"
    ward = props["Phường Phú Khương"]
    assert ward["class"] == "not_assessed" and ward["criteria_met"] is None and ward["value"] is None
    assert ward["tooltip"].endswith("Phường/thị trấn: không đánh giá tiêu chí NTM")
    assert {e["key"]: e["count"] for e in body["legend"]["entries"]} == {
        "all_met": 1,
        "15_top": 4,
        "10_14": 0,
        "below_10": 0,
        "no_data": 2,
        "not_assessed": 10,
    }
    assert body["title"] == "Số tiêu chí NTM đạt — Thành phố Bến Tre, Tỉnh Bến Tre"
    assert body["subtitle"].startswith("Năm 2019; ranh giới") and "DỮ LIỆU KIỂM THỬ A" in body["source"]
    assert body["measure"] == {
        "id": "criteria_met",
        "kind": "criteria_met",
        "unit": "number",
        "schemes": ["standard", "quantiles", "equal_interval", "natural_breaks"],
    }
    full = client.get("/map/data", params={**CITY, "year": 2019, "simplify": "false"}).json()
    vertices = lambda b: sum(len(str(f["geometry"]["coordinates"])) for f in b["features"])  # noqa: E731
    assert vertices(body) < vertices(full)


def test_numbers_are_classed_by_the_scheme_asked(client):
    body = client.get("/map/data", params={**CITY, "year": 2019, "scheme": "equal_interval", "classes": 4}).json()
    entries = body["legend"]["entries"]
    numeric = [e for e in entries if e["lower"] is not None]
    assert [e["key"] for e in numeric] == ["n4", "n3", "n2", "n1"]  # highest first
    assert numeric[-1]["lower"] == 15 and numeric[0]["upper"] == 19 and numeric[0]["label"] == "18 – 19"
    assert sum(e["count"] for e in numeric) == 5
    assert by_name(body)["Xã Mỹ Thạnh An"]["class"] == "n1" and by_name(body)["Xã Phú Nhuận"]["class"] == "n4"


@pytest.mark.parametrize(
    "params, words",
    [
        ({"measure": "level", "scheme": "quantiles"}, "classed by standard"),
        ({"classes": 9}, "classes"),
        ({"measure": "tc42"}, "unknown map measure"),
        ({"measure": "boats:km"}, "unknown indicator measure"),
        ({"measure": "tc5", "compare": 2011}, "change of 'level' or 'criteria_met'"),
        ({"measure": "share"}, "carried assessment"),
        ({"district": "Nowhere"}, "no district"),
    ],
)
def test_bad_map_requests_are_json_errors(client, params, words):
    r = client.get("/map/data", params={**CITY, "year": 2019, **params})
    assert r.status_code in (400, 404) and words in r.json()["description"]


def test_a_district_the_boundaries_do_not_have_is_a_404_naming_it(client):
    # Thị xã Duyên Hải was formed after the 2009 boundaries: never answered for Huyện Duyên Hải
    r = client.get("/map/data", params={"province": "Trà Vinh", "district": "Thị xã Duyên Hải", "year": 2019})
    assert r.status_code == 404 and r.json()["code"] == "NotFound"
    assert "Huyện Duyên Hải (code 81715) bears the name as another type" in r.json()["description"]
    ok = client.get("/map/data", params={"province": "Trà Vinh", "district": "Huyện Duyên Hải", "year": 2019})
    assert ok.status_code == 200 and "Xã Long Toàn" in by_name(ok.json())


def test_two_years_compared_as_change(client):
    body = client.get("/map/data", params={**CITY, "year": 2020, "compare": 2019, "measure": "level"}).json()
    assert {e["key"]: e["count"] for e in body["legend"]["entries"]} == {
        "up": 4,
        "same": 1,
        "down": 0,
        "no_data": 2,
        "not_assessed": 10,
    }
    nhon_thanh = by_name(body)["Xã Nhơn Thạnh"]
    assert nhon_thanh["before_level"] is None and nhon_thanh["level"] == "ntm" and nhon_thanh["before_met"] == 18
    assert "2019: Tiêu chí đạt 18" in nhon_thanh["tooltip"]
    counts = client.get("/map/data", params={**CITY, "year": 2020, "compare": 2019, "lang": "en"}).json()
    assert counts["title"].startswith("Change in criteria met 2019–2020")
    assert by_name(counts)["Xã Mỹ Thạnh An"]["value"] == 4 and by_name(counts)["Xã Mỹ Thạnh An"]["class"] == "gain_1"


def test_summaries_name_the_communes_short_of_the_next_level_and_the_criteria_holding_them_back(client):
    body = client.get("/map/summary", params={**CITY, "year": 2019}).json()
    assert body["communes"] == 7 and body["communes_with_data"] == 5
    near = [(r["name"], r["short"], r["missing"], r["next_level_label"]) for r in body["near_next_level"]]
    assert near == [("Xã Nhơn Thạnh", 1, [17], "Đạt chuẩn NTM"), ("Xã Bình Phú", 2, [5, 9], "Đạt chuẩn NTM")]
    unmet = [(r["criterion"], r["communes"], r["conflicting"]) for r in body["most_unmet"]]
    assert unmet == [(9, 3, 0), (17, 3, 0), (5, 2, 1), (1, 1, 0)]
    assert body["most_unmet"][0]["name_vi"] == "Nhà ở dân cư"
    hong_ngu = client.get("/map/summary", params={"province": "Đồng Tháp", "year": 2021}).json()
    assert hong_ngu["near_next_level"] == [] and hong_ngu["communes_with_data"] == 2  # 16/19 and 14/19, no detail
    blank = client.get("/map/summary", params={"province": "", "year": 2019})
    assert blank.status_code == 400 and "province is required" in blank.json()["description"]


def test_profile_lists_every_criterion_with_its_sources_and_the_history(client):
    body = client.get("/profile/8110123", params={"year": 2019}).json()  # Xã Phú Hưng
    assert body["name"] == "Xã Phú Hưng" and body["district"] == "Thành phố Bến Tre" and body["assessed"]
    criteria = {c["number"]: c for c in body["criteria"]}
    assert len(criteria) == 19 and criteria[1]["name_vi"] == "Quy hoạch"
    assert criteria[5]["status"] == "conflicting" and {s["met"] for s in criteria[5]["sources"]} == {True, False}
    assert criteria[9]["status"] == "unmet" and criteria[2]["status"] == "met"
    assert [(h["year"], h["level"], h["criteria_met"]) for h in body["history"]] == [
        (2011, None, None),
        (2019, None, 16),
        (2020, "ntm", 19),
    ]
    assert body["history"][0]["criteria_unmet"] == [9] and body["indicators"] == []
    only_2011 = client.get("/profile/8110123", params={"year": 2011}).json()
    assert {c["status"] for c in only_2011["criteria"]} == {"unmet", "no_data"}  # only criterion 9 was reported
    ward = client.get("/profile/8110117", params={"year": 2019}).json()
    assert ward["assessed"] is False and ward["criteria"] == [] and ward["history"] == []
    tan_hoi = client.get("/profile/8030807", params={"year": 2022}).json()  # counts only, recognised
    assert tan_hoi["level"] == "ntm_nang_cao" and tan_hoi["level_label"] == "NTM nâng cao"
    assert tan_hoi["reported_counts"][0]["decision"] == "694/QĐ-UBND-HC"
    assert {c["status"] for c in tan_hoi["criteria"]} == {"no_data"}
    missing = client.get("/profile/0000000", params={"year": 2019})
    assert missing.status_code == 404 and "0000000" in missing.json()["description"]


def test_png_export_has_the_legend_colours_title_and_source(client):
    r = client.get("/map.png", params={**CITY, "year": 2019, "width": 1200, "height": 850})
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert (
        r.headers["content-disposition"]
        == 'attachment; filename="ntm_Tinh-Ben-Tre_Thanh-pho-Ben-Tre_2019_criteria-met.png"'
    )
    image = Image.open(io.BytesIO(r.content))
    assert image.size == (1200, 850) and image.text["Title"].startswith("Số tiêu chí NTM đạt")
    pixels = np.asarray(image.convert("RGB")).reshape(-1, 3)
    for colour in ("#238443", "#78c679", "#c2e699", "#ffffcc", "#bdbdbd"):  # 10-14 and below 10: legend only
        assert (pixels == [int(colour[i : i + 2], 16) for i in (1, 3, 5)]).all(axis=1).sum() > 80, colour
    assert client.get("/map.png", params={**CITY, "year": 2019, "width": 100}).status_code == 400


def test_page_of_an_empty_store_says_how_to_load_data(empty_db_location):
    with TestClient(create_app(Settings.from_env().model_copy(update=dict(db=empty_db_location)))) as empty:
        page = empty.get("/planner").text
    assert '"empty": true' in page and "geo-ntm demo" in page and '<script src="/static/planner/planner.js?v=' in page


def test_the_report_over_http_is_the_command_line_report_in_three_formats(client):
    from openpyxl import load_workbook

    from geo_ntm.report import province_report, report_csv
    from geo_ntm.where import resolve_where

    place = {"province": "Bến Tre", "year": 2020}
    body = client.get("/report", params=place).json()
    with open_store(client.app.state.settings.db) as store:
        expected = province_report(store, resolve_where(store, year=2020, province="Bến Tre"))
    assert body == expected and len(body["districts"]) == 9  # the 2009 districts of Bến Tre
    got = client.get("/report", params={**place, "f": "csv"})
    assert got.headers["content-disposition"] == 'attachment; filename="ntm_report_Tinh-Ben-Tre_2020.csv"'
    assert got.content.decode("utf-8-sig") == report_csv(expected)
    book = load_workbook(io.BytesIO(client.get("/report", params={**place, "f": "xlsx"}).content))
    rows = list(book["report"].values)
    assert rows[0][:2] == ("district", "communes") and len(rows) == 1 + 9 + 1  # header, districts, total
    assert rows[-1][0] == "Tổng / Total" and rows[-1][1] == expected["total"]["communes"]
    refused = client.get("/report", params={**place, "f": "pdf"})
    assert refused.status_code == 400 and "json, csv, xlsx" in refused.json()["description"]
