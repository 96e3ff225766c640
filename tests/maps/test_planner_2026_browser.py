"""The planner's page in the 2026-2030 period (issue 13), in a real headless Chromium (the service,
browser and page fixtures of ``test_planner_browser.py`` on this module's store): the commune-group
choice splits the map and the table, the progress panel shows the province against its target or
says that none is loaded, and a commune's profile shows its group and, for a commune formed by the
merger, its former communes as history.

Store: the 2009 and 2025 boundaries with the Hồng Ngự sample, and the TEST DATA files of Đồng Tháp's
2026 workflow (``tests.support.office_2026``: groups, statuses, a recognition, a target)."""

from __future__ import annotations

import pytest

from geo_ntm.groups import import_groups_file
from geo_ntm.status_import.importer import import_status_file
from geo_ntm.store import open_store
from geo_ntm.targets import import_targets
from tests.maps import test_planner_browser as base
from tests.maps.conftest import WITHOUT_TILES
from tests.maps.test_planner_browser import CHROMIUM, api, drawn, open_page, wait_ready
from tests.support.office_2026 import CAI_BE, GROUPS, HONG_NGU, HUNG_THANH, RECOGNITION, STATUSES, TAN_PHUOC_1, TARGETS

# the service, browser, page and screenshot folder of the planner's browser tests, on this module's store
service, browser, page, artifacts = base.service, base.browser, base.page, base.artifacts

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"),
]

DONG_THAP, VINH_LONG = "82", "86"  # province codes of 1 July 2025


@pytest.fixture(scope="module")
def planner_gpkg(new_location, tmp_path_factory) -> str:
    """This module's store (overrides the planner store of the fixtures imported above)."""
    location = new_location("gpkg", with_2025=True)
    folder = tmp_path_factory.mktemp("office_2026")
    texts = {"groups": GROUPS, "statuses": STATUSES, "recognition": RECOGNITION, "targets": TARGETS}
    files = {name: folder / f"{name}_TEST.csv" for name in texts}
    for name, text in texts.items():
        files[name].write_text(text, encoding="utf-8")
    with open_store(location) as store:
        assert import_groups_file(store, files["groups"]).groups_stored == 3
        assert import_status_file(store, files["statuses"]).stored
        assert import_status_file(store, files["recognition"]).stored
        assert import_targets(store, files["targets"]).province_targets == 1
    return location


@pytest.fixture(scope="module")
def service_settings() -> dict:
    """No vector tiles for this module's national boundaries (``WITHOUT_TILES``)."""
    return WITHOUT_TILES


def test_the_group_choice_splits_the_map_and_the_table(page, service, artifacts):
    open_page(page, province=DONG_THAP, year=2026)
    choices = page.eval_on_selector_all("#ctl-group option", "os => os.map(o => [o.value, o.textContent])")
    assert choices == [["", "Tất cả các nhóm"], ["1", "Nhóm 1"], ["2", "Nhóm 2"]]
    every = api(service, province=DONG_THAP, year=2026)["features"]
    assert len(drawn(page)) == len(every) == 102

    page.select_option("#ctl-group", "2")
    wait_ready(page)
    assert len(drawn(page)) == 2  # Hưng Thạnh and Cái Bè
    assert "group=2" in page.url
    page.screenshot(path=artifacts / "30_group_2.png")

    page.select_option("#ctl-view", "table")
    wait_ready(page)
    rows = page.eval_on_selector_all("#communes-table tbody tr", "rs => rs.map(r => r.dataset.code)")
    assert sorted(rows) == sorted([HUNG_THANH, CAI_BE])
    assert "Nhóm xã" in page.locator("#communes-table thead").inner_text()
    assert page.locator(f'#communes-table tr[data-code="{CAI_BE}"]').inner_text().count("Nhóm 2") == 1


def test_a_bookmark_with_a_group_restores_it(page, service):
    open_page(page, province=DONG_THAP, year=2026, group=1)
    assert page.locator("#ctl-group").input_value() == "1"
    assert len(drawn(page)) == 1  # Tân Phước 1


def test_the_progress_panel_shows_the_target_or_says_none_is_loaded(page, service, artifacts):
    open_page(page, province=DONG_THAP, year=2026)
    panel = page.locator("#progress")
    assert panel.is_visible()
    text = panel.inner_text()
    assert "Tiến độ so với mục tiêu" in text and "65%" in text and "13%" in text  # path: 0% in 2025 -> 65% in 2030
    assert "1/" in text  # one recognised commune (Tân Phước 1)
    page.screenshot(path=artifacts / "31_progress.png")

    page.select_option("#ctl-province", VINH_LONG)
    wait_ready(page)
    assert "Chưa nhập mục tiêu cho Tỉnh Vĩnh Long" in panel.inner_text()


def test_the_profile_shows_the_group_and_the_baseline_as_history(page, service, artifacts):
    open_page(page, province=DONG_THAP, year=2026, view="table")
    page.click(f'button[data-code="{TAN_PHUOC_1}"]')
    page.wait_for_selector("#profile .ntm-group")
    assert "Nhóm 1" in page.locator("#profile .ntm-group").inner_text()

    page.click(f'#communes-table button[data-code="{HONG_NGU}"]')
    page.wait_for_selector("#profile .baseline")
    baseline = page.locator("#profile .baseline").inner_text()
    assert "không phải công nhận của xã mới" in baseline  # history, never the ward's recognition
    assert "nâng cao" in baseline.lower()
    page.screenshot(path=artifacts / "32_profile_baseline.png")


def test_english_labels_of_the_new_panels(page, service):
    open_page(page, province=VINH_LONG, year=2026, lang="en")
    assert "No target loaded for Tỉnh Vĩnh Long" in page.locator("#progress").inner_text()
    assert page.locator("#ctl-group").count() == 0  # no group loaded in Vĩnh Long
