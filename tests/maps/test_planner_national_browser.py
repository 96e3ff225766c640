"""The planner's page on the whole country (issue 14 §1), in a real headless Chromium (the service,
browser and page fixtures of ``test_planner_browser.py`` on this module's store): the page opens
on the country, a click drills to a province (its districts on the 2009 boundaries, its communes
on the 2025 ones) and to a district, the breadcrumbs and the browser's back button climb, a URL
restores the view it names, and the province and district outlines lie above the communes.

Store: the real national 2009 and 2025 boundaries, every status sample (with the recognitions of
the Hồng Ngự report) and the made-up 2026 TEST statuses of Vĩnh Long (2025)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from boundaries.importer import import_boundaries
from geo_ntm.status_import.importer import import_status_file
from geo_ntm.store import open_store
from tests.maps import test_planner_browser as base
from tests.maps.conftest import WITHOUT_TILES
from tests.maps.test_planner_browser import CHROMIUM, CODE_OF, api, click_commune, drawn, open_page, wait_ready

# the service, browser, page and screenshot folder of the planner's browser tests, on this module's store
service, browser, page, artifacts = base.service, base.browser, base.page, base.artifacts

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"),
]
TEST_DATA = Path(__file__).resolve().parents[1] / "data"
PATHS = "#map path.leaflet-interactive"


@pytest.fixture(scope="module")
def planner_gpkg(boundaries_2009_template, data_dir, tmp_path_factory) -> str:
    """This module's store (overrides the planner store of the fixtures imported above)."""
    location = str(tmp_path_factory.mktemp("national") / "national.gpkg")
    shutil.copy(boundaries_2009_template, location)
    with open_store(location) as store:
        import_boundaries(store, data_dir / "vn_admin_2025.gpkg", dt.date(2025, 7, 1), measure_quality=False)
        for statuses in [
            *sorted((data_dir / "samples").glob("status_*.csv")),
            TEST_DATA / "status_vinh_long_2026_qd51_TEST.csv",
        ]:
            assert import_status_file(store, statuses).ok, statuses
    return location


@pytest.fixture(scope="module")
def service_settings() -> dict:
    """No vector tiles for this module's national boundaries (``WITHOUT_TILES``)."""
    return WITHOUT_TILES


def shown(page) -> dict[str, str]:
    """The page's own URL parameters (written after each drawing)."""
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def crumbs(page) -> list[str]:
    return page.locator("#crumbs li").all_inner_texts()


def feature(data: dict, name: str) -> dict:
    return next(f for f in data["features"] if f["properties"]["name"] == name)


def wait_paths(page, count: int) -> None:
    """Wait until the map shows ``count`` units and the page is ready (after back or forward)."""
    page.wait_for_function(
        f"new Set([...document.querySelectorAll('{PATHS}')].map({CODE_OF})).size === {count} "
        "&& document.body.dataset.state === 'ready'",
        timeout=20_000,
    )


def test_the_country_drills_to_a_district_and_climbs_back_on_2009(page, service, artifacts):
    open_page(page, year=2023)
    country = api(service, year=2023)
    assert len(country["features"]) == len(drawn(page)) == 63
    assert crumbs(page) == ["Cả nước"] and page.locator("#ctl-province").input_value() == ""
    assert page.locator("#map .ntm-legend-heading").inner_text() == "Tỷ lệ xã được công nhận: Đạt chuẩn NTM"
    assert page.locator("#ctl-district").count() == 0 and page.locator("#ctl-tier").count() == 0
    assert page.locator("#data-checks").is_hidden()  # the data checks are of a province
    page.screenshot(path=artifacts / "30_national_2009.png")

    dong_thap = feature(country, "Tỉnh Đồng Tháp")
    click_commune(page, dong_thap)
    wait_ready(page)
    districts = api(service, province=dong_thap["id"], year=2023, tier="district", measure="recognised_ntm")
    assert len(drawn(page)) == len(districts["features"]) > 1
    assert {"province": dong_thap["id"], "tier": "district", "measure": "recognised_ntm"}.items() <= shown(page).items()
    assert crumbs(page) == ["Cả nước", "Tỉnh Đồng Tháp"] and page.locator("#data-checks").is_visible()
    page.screenshot(path=artifacts / "31_dong_thap_districts.png")

    hong_ngu = feature(districts, "Thị xã Hồng Ngự")
    click_commune(page, hong_ngu)
    wait_ready(page)
    communes = api(service, province=dong_thap["id"], district=hong_ngu["id"], year=2023)
    assert len(drawn(page)) == len(communes["features"])
    assert shown(page)["district"] == hong_ngu["id"] and shown(page)["measure"] == "criteria_met"
    assert crumbs(page) == ["Cả nước", "Tỉnh Đồng Tháp", "Thị xã Hồng Ngự"]
    assert len(drawn(page, "#map path.ntm-province-outline")) == 1  # above the communes, not clickable
    outlined = set(drawn(page, "#map path.ntm-district-outline"))  # those in the tiles in view
    assert hong_ngu["id"] in outlined and outlined <= {f["id"] for f in districts["features"]}
    assert page.locator("#map .ntm-label").count() > 0  # the communes' names fit at a district's zoom
    page.screenshot(path=artifacts / "32_hong_ngu_communes.png")

    page.go_back()
    wait_paths(page, len(districts["features"]))
    assert crumbs(page) == ["Cả nước", "Tỉnh Đồng Tháp"] and "district" not in shown(page)
    page.go_back()
    wait_paths(page, 63)
    assert crumbs(page) == ["Cả nước"]
    page.go_forward()
    wait_paths(page, len(districts["features"]))

    page.locator("#crumbs button", has_text="Cả nước").click()
    wait_paths(page, 63)
    assert "province" not in shown(page)


def test_a_url_restores_the_districts_by_their_communes(page, service):
    params = {"province": "Đồng Tháp", "year": 2023, "tier": "district", "measure": "with_data"}
    districts = api(service, **params)
    open_page(page, **params)
    assert len(drawn(page)) == len(districts["features"]) > 1
    assert page.locator("#ctl-measure").input_value() == "with_data"
    assert page.locator("#ctl-tier").input_value() == "district"
    assert page.locator("#map .ntm-title-main").inner_text() == districts["title"]
    before = shown(page)
    page.reload()
    wait_ready(page)
    assert shown(page) == before and len(drawn(page)) == len(districts["features"])
    page.select_option("#ctl-view", "table")
    wait_ready(page)
    rows = page.locator("#communes-table tbody tr")
    assert rows.count() == len(districts["features"])


def test_the_2025_country_drills_to_the_communes_of_a_province(page, service, artifacts):
    open_page(page)  # the latest year with data: 2026, on the boundaries of 1 July 2025
    country = api(service, year=2026)
    assert len(drawn(page)) == len(country["features"]) == 34
    assert shown(page)["year"] == "2026" and crumbs(page) == ["Cả nước"]
    page.screenshot(path=artifacts / "33_national_2025.png")

    click_commune(page, country["features"][[f["id"] for f in country["features"]].index("86")])  # Vĩnh Long
    wait_ready(page)
    wards = api(service, province="86", year=2026)
    assert len(drawn(page)) == len(wards["features"]) == 124
    assert page.locator("#map").get_attribute("data-source") == "geojson"  # the generalisation job failed
    assert shown(page)["province"] == "86" and shown(page)["tier"] == "commune"  # no district tier: communes
    assert page.locator("#ctl-district").count() == 0 and crumbs(page) == ["Cả nước", "Tỉnh Vĩnh Long"]
    assert len(drawn(page, "#map path.ntm-province-outline")) == 1
    assert len(drawn(page, "#map path.ntm-district-outline")) == 0
    page.go_back()
    wait_paths(page, 34)
