"""The planner's page across the reorganisation of 1 July 2025, in a real headless Chromium (as in
``test_planner_browser.py``, whose service, browser and page fixtures run here on this module's
store): switching the boundaries keeps the province both ways (Tỉnh Bến Tre of 2009 <-> Tỉnh Vĩnh
Long of 2025, by the crosswalk), the 2025 boundaries offer no district, the 2026 period is offered,
and a URL with a vintage and a province code restores exactly that view.

Store: every province of both vintages (so a lost province would fall back to Hà Nội, the first by
code), the real 2009 districts and communes of Bến Tre, the real 2025 units of Vĩnh Long and the
Bến Tre status sample."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlparse

import geopandas as gpd
import pytest

from boundaries.importer import import_boundaries
from geo_ntm.status_import.importer import import_status_file
from geo_ntm.store import open_store
from geo_ntm.tiles import ensure_generalised
from tests.maps import test_planner_browser as base
from tests.maps.test_planner_browser import CHROMIUM, api, drawn, open_page, wait_ready

# the service, browser, page and screenshot folder of the planner's browser tests, on this module's store
service, browser, page, artifacts = base.service, base.browser, base.page, base.artifacts

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"),
]


@pytest.fixture(scope="module")
def planner_gpkg(new_location, data_dir, vinh_long_2025, tmp_path_factory) -> str:
    """This module's store (overrides the planner store of the fixtures imported above)."""
    source = tmp_path_factory.mktemp("ben_tre_2009") / "ben_tre_2009.gpkg"
    national = data_dir / "vn_admin_2009.gpkg"
    gpd.read_file(national, layer="provinces").to_file(source, layer="provinces")
    for layer in ("districts", "communes"):
        gpd.read_file(national, layer=layer, where="province_id = '811'").to_file(source, layer=layer)
    location = new_location("gpkg", with_2009=False)
    with open_store(location) as store:
        import_boundaries(store, source, dt.date(2009, 4, 1), measure_quality=False)
        import_boundaries(store, vinh_long_2025, dt.date(2025, 7, 1), measure_quality=False)
        assert import_status_file(store, data_dir / "samples" / "status_ben_tre_city_long.csv").ok
        for vintage in store.vintages():  # the tiles' shapes (one province's communes: seconds)
            ensure_generalised(store, vintage)
    return location


def vintage_ids(service: str) -> dict[str, str]:
    import httpx

    options = httpx.get(f"{service}/map/options", timeout=30).json()
    return {v["valid_from"]: v["id"] for v in options["vintages"]}


def shown(page) -> dict[str, str]:
    """The page's own URL parameters (written after each drawing)."""
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def test_switching_boundaries_keeps_the_province_both_ways(page, service, artifacts):
    ids = vintage_ids(service)
    open_page(page, province="811", year=2020)
    assert page.locator("#ctl-district").count() == 1
    page.select_option("#ctl-vintage", ids["2025-07-01"])
    wait_ready(page)
    assert page.locator("#ctl-province").input_value() == "86"  # Vĩnh Long holds all of Bến Tre 2009
    assert page.locator("#ctl-district").count() == 0  # province -> commune
    wards = api(service, province="86", year=2020, vintage=ids["2025-07-01"])["features"]
    assert len(drawn(page)) == len(wards) == 124
    assert shown(page)["province"] == "86" and shown(page)["vintage"] == ids["2025-07-01"]
    page.screenshot(path=artifacts / "20_switched_to_2025.png")

    page.select_option("#ctl-vintage", ids["2009-04-01"])
    wait_ready(page)
    assert page.locator("#ctl-province").input_value() == "811"  # the largest part of Vĩnh Long 2025
    assert page.locator("#ctl-district").count() == 1
    assert "district" in page.eval_on_selector_all("#ctl-tier option", "os => os.map(o => o.value)")


def test_a_bookmark_with_a_2025_vintage_and_province_restores_that_view(page, service, artifacts):
    ids = vintage_ids(service)
    open_page(page, province="86", vintage=ids["2025-07-01"], year=2026, measure="level")
    assert page.locator("#ctl-province").input_value() == "86"
    assert page.locator("#ctl-vintage").input_value() == ids["2025-07-01"]
    assert page.locator("#ctl-year").input_value() == "2026"
    assert page.locator("#ctl-measure").input_value() == "level"
    assert "district" not in page.eval_on_selector_all("#ctl-tier option", "os => os.map(o => o.value)")
    assert {"province": "86", "vintage": ids["2025-07-01"], "year": "2026", "measure": "level"}.items() <= (
        shown(page).items()
    )
    assert "Vĩnh Long" in page.locator("#map .ntm-title").inner_text()
    page.screenshot(path=artifacts / "21_bookmark_2025.png")

    open_page(page, province="811", vintage=ids["2025-07-01"], year=2026, district="81101")  # an old bookmark
    assert page.locator("#ctl-province").input_value() == "86" and "district" not in shown(page)
