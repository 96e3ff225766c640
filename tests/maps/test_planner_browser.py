"""The planner's page in a real headless Chromium (Debian's /usr/bin/chromium driven by Playwright,
no browser download), against the real service on 127.0.0.1: the page loads, draws as many
polygons as the API returned, a click opens the commune's profile, switching the measure
recolours the map, the table sorts and summarises, the PNG export holds the legend, English
replaces every label. Screenshots go to ``$GEO_NTM_ARTIFACTS_DIR`` (default var/test-artifacts/).

Store: the real 2009 boundaries of Bến Tre, the Bến Tre status sample, made-up 2019 TEST
statuses and a SYNTHETIC road layer (see conftest.py)."""

from __future__ import annotations

import io
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import numpy as np
import pytest
import shapely
import uvicorn
from PIL import Image
from shapely.geometry import shape

from api.app import create_app
from geo_ntm.settings import Settings
from tests.support.local_service import free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's chromium is not installed at /usr/bin/chromium (`make browser` installs it as root)",
    ),
]
CITY = {"province": "811", "district": "81101"}  # Thành phố Bến Tre


@pytest.fixture(scope="module")
def artifacts() -> Path:
    folder = Path(os.environ.get("GEO_NTM_ARTIFACTS_DIR") or ROOT / "var" / "test-artifacts") / "planner"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextmanager
def serving(db: str, **settings) -> Iterator[str]:
    """The service on a free 127.0.0.1 port (uvicorn in a thread) on the store ``db``, with these
    ``settings`` changed; its URL."""
    port = free_port()
    app = create_app(Settings.from_env().model_copy(update=dict(db=db, **settings)))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the service did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def service(planner_gpkg, service_settings) -> Iterator[str]:
    """The service on a GeoPackage planner store."""
    with serving(planner_gpkg, **service_settings) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, service):
    """A fresh page; no script error may happen on it, and it may load nothing from elsewhere."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True, base_url=service)
    page = context.new_page()
    errors, foreign = [], []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda r: r.url.startswith(service) or r.url.startswith("data:") or foreign.append(r.url))
    yield page
    context.close()
    assert not errors and not foreign


def open_page(page, **params) -> None:
    page.goto("/?" + "&".join(f"{k}={v}" for k, v in params.items()))
    wait_ready(page)


def wait_ready(page) -> None:
    page.wait_for_function("['ready', 'error'].includes(document.body.dataset.state)", timeout=20_000)
    assert page.evaluate("document.body.dataset.state") == "ready", page.locator("#status").inner_text()


def api(service: str, **params) -> dict:
    return httpx.get(f"{service}/map/data", params=params, timeout=30).json()


#: The script reading the unit code of a path drawn from the vector tiles (its class ntm-code-<code>).
CODE_OF = "p => p.getAttribute('class').match(/ntm-code-(\\S+)/)[1]"


def drawn(page, paths: str = "#map path.leaflet-interactive") -> dict[str, str]:
    """The units drawn as ``paths``, code -> fill: a unit drawn from the vector tiles is one path
    in each tile it crosses, every one of the same fill."""
    found: dict[str, str] = {}
    pairs = page.eval_on_selector_all(paths, f"paths => paths.map(p => [({CODE_OF})(p), p.getAttribute('fill')])")
    for code, fill in pairs:
        assert found.setdefault(code, fill) == fill, code
    return found


def fills(page) -> list[str]:
    """The fills of the units drawn, by code."""
    return [fill for _, fill in sorted(drawn(page).items())]


def click_commune(page, feature: dict) -> None:
    """A real mouse click on a point inside the commune's polygon."""
    point = shapely.point_on_surface(shape(feature["geometry"]))
    x, y = page.evaluate(
        """([lat, lon]) => {
        const p = ntmPlanner.views.main.map.latLngToContainerPoint([lat, lon]);
        const box = document.getElementById('map').getBoundingClientRect();
        return [p.x + box.left, p.y + box.top]; }""",
        [point.y, point.x],
    )
    page.mouse.click(x, y)


def test_page_draws_every_commune_and_a_click_opens_its_profile(page, service, artifacts):
    open_page(page, **CITY, year=2019)
    data = api(service, **CITY, year=2019)
    assert len(data["features"]) == 17
    assert set(drawn(page)) == {f["properties"]["code"] for f in data["features"]}
    assert page.locator("#map .ntm-legend-heading").inner_text() == "Số tiêu chí NTM đạt"
    assert page.locator("html").get_attribute("lang") == "vi"
    page.screenshot(path=artifacts / "01_map_criteria_met_2019.png")

    nhon_thanh = next(f for f in data["features"] if f["properties"]["name"] == "Xã Nhơn Thạnh")
    click_commune(page, nhon_thanh)
    title = page.locator("#profile-title")
    title.wait_for()
    assert title.inner_text() == "Xã Nhơn Thạnh"
    profile = page.locator("#profile")
    assert profile.locator("table").first.locator("tbody tr").count() == 19  # every criterion of QĐ 1980
    row = profile.locator("tr", has_text="17. Môi trường và an toàn thực phẩm")
    assert "Chưa đạt" in row.inner_text() and "DỮ LIỆU KIỂM THỬ A" in row.inner_text()
    history = profile.locator("table").nth(1).locator("tbody tr").all_inner_texts()
    assert [h.split("\t")[0] for h in history] == ["2011", "2019", "2020"]
    assert "Đạt chuẩn NTM" in history[2]
    page.screenshot(path=artifacts / "02_profile_nhon_thanh.png")
    page.keyboard.press("Escape")
    assert profile.is_hidden()


def test_switching_the_measure_recolours_the_map(page, service, artifacts):
    open_page(page, **CITY, year=2020)
    before = fills(page)
    page.select_option("#ctl-measure", "roads:hardened_share_hamlet")
    wait_ready(page)
    after = fills(page)
    expected = {
        f["properties"]["code"]: f["properties"]["fill"]
        for f in api(service, **CITY, year=2020, measure="roads:hardened_share_hamlet")["features"]
    }
    assert sorted(after) == sorted(expected.values()) and after != before
    assert page.locator("#map .ntm-legend-heading").inner_text() == "Tỷ lệ đường trục thôn, liên thôn được cứng hóa"
    assert page.locator("#ctl-scheme").input_value() == "quantiles"
    quantile_labels = page.locator("#map .ntm-legend tr").all_inner_texts()
    page.select_option("#ctl-scheme", "equal_interval")
    wait_ready(page)
    assert page.locator("#map .ntm-legend tr").all_inner_texts() != quantile_labels
    assert "%" in page.locator("#map .ntm-legend tr").first.inner_text()
    page.screenshot(path=artifacts / "03_map_roads_hardened_share_hamlet.png")

    page.select_option("#ctl-measure", "tc9")
    wait_ready(page)
    assert page.locator("#map .ntm-legend-heading").inner_text() == "Tiêu chí số 9: Nhà ở dân cư"
    assert set(fills(page)) <= {"#1b9e77", "#bdbdbd", "url(#ntm-not-assessed-hatch)"}  # 2020: all met


def test_table_sorts_and_summarises_and_years_compare(page, service, artifacts):
    open_page(page, **CITY, year=2019)
    page.select_option("#ctl-view", "table")
    wait_ready(page)
    table = page.locator("#communes-table")
    assert table.locator("tbody tr").count() == 17
    sort_by_met = table.locator("thead button", has_text="Tiêu chí đạt")
    sort_by_met.focus()
    page.keyboard.press("Enter")  # sorting works from the keyboard
    assert (
        table.locator("th", has=page.locator("button", has_text="Tiêu chí đạt")).get_attribute("aria-sort")
        == "ascending"
    )
    firsts = table.locator("tbody tr").all_inner_texts()[:5]
    assert [r.split("\t")[0] for r in firsts] == [
        "Xã Mỹ Thạnh An",
        "Xã Phú Hưng",
        "Xã Bình Phú",
        "Xã Nhơn Thạnh",
        "Xã Phú Nhuận",
    ]
    near = page.locator("#summaries table").first.locator("tbody tr").all_inner_texts()
    assert near[0].startswith("Xã Nhơn Thạnh") and near[0].endswith("17") and near[1].endswith("5, 9")
    assert page.locator("#summaries table").nth(1).locator("tbody tr").first.inner_text().startswith("9. Nhà ở dân cư")
    page.screenshot(path=artifacts / "04_table_and_summaries.png", full_page=True)

    page.select_option("#ctl-view", "map")
    wait_ready(page)
    page.select_option("#ctl-year", "2020")
    wait_ready(page)
    page.select_option("#ctl-mode", "change")
    wait_ready(page)
    page.select_option("#ctl-compare", "2019")
    wait_ready(page)
    counts = dict(
        zip(
            page.locator("#map .ntm-legend tr").evaluate_all("rows => rows.map(r => r.dataset.class)"),
            page.locator("#map .ntm-legend tr").evaluate_all("rows => rows.map(r => r.dataset.count)"),
            strict=True,
        )
    )
    assert counts["gain_1"] == "4" and counts["no_change"] == "1"  # 15..18 -> 19, and 19 -> 19
    page.select_option("#ctl-measure", "level")
    wait_ready(page)
    assert page.locator("#map .ntm-legend tr[data-class=up]").get_attribute("data-count") == "4"
    page.select_option("#ctl-mode", "side")
    wait_ready(page)
    assert page.locator("#map2").is_visible() and len(drawn(page, "#map2 path.leaflet-interactive")) == 17
    assert "2019" in page.locator("#map2 .ntm-subtitle").inner_text()
    page.screenshot(path=artifacts / "05_side_by_side_2019_2020.png")


def test_exported_png_holds_title_legend_and_source(page, service, artifacts):
    open_page(page, **CITY, year=2019)
    with page.expect_download() as download:
        page.click("#export")
    png = Path(download.value.path()).read_bytes()
    (artifacts / "06_export.png").write_bytes(png)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    image = Image.open(io.BytesIO(png))
    assert image.size == (1600, 1130)
    assert "Số tiêu chí NTM đạt" in image.text["Title"] and "DỮ LIỆU KIỂM THỬ" in image.text["Source"]
    pixels = np.asarray(image.convert("RGB")).reshape(-1, 3)
    legend = api(service, **CITY, year=2019)["legend"]["entries"]
    for entry in legend:  # every swatch, even of empty classes (only the legend has their colour)
        if entry["key"] != "not_assessed":
            rgb = [int(entry["fill"][i : i + 2], 16) for i in (1, 3, 5)]
            assert (pixels == rgb).all(axis=1).sum() > 150, entry


def test_english_replaces_every_label(page, service, artifacts):
    open_page(page, **CITY, year=2019)
    page.click("#lang-switch")
    wait_ready(page)
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("header h1").inner_text() == "New Rural Development map"
    assert page.locator("label[for=ctl-province]").inner_text().startswith("Province")
    assert page.locator("#map .ntm-legend-heading").inner_text() == "NTM criteria met"
    legend = page.locator("#map .ntm-legend").inner_text()
    assert "Not assessed" in legend and "No data" in legend and "Chưa" not in legend
    assert page.locator("#ctl-district").input_value() == "81101"  # the state survives the switch
    assert page.locator("#lang-switch").inner_text() == "Tiếng Việt"
    page.screenshot(path=artifacts / "07_english.png")


@pytest.fixture(scope="module")
def computing_service(planner_gpkg, tmp_path_factory) -> str:
    """The service on its own copy of the planner store (no answer stored yet) answering 202 at once."""
    db = tmp_path_factory.mktemp("jobs") / "planner.gpkg"
    shutil.copy(planner_gpkg, db)
    with sqlite3.connect(db) as conn:  # the answers the other tests of this module stored
        conn.execute("DELETE FROM computed_results")
    port = free_port()
    app = create_app(Settings.from_env().model_copy(update=dict(db=str(db), job_wait_seconds=0)))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the service did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_an_indicator_computed_by_a_job_shows_progress_then_the_map(browser, computing_service, artifacts):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, base_url=computing_service)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/?" + "&".join(f"{k}={v}" for k, v in {**CITY, "year": 2020, "measure": "roads:km_total"}.items()))
    page.wait_for_function("document.body.dataset.state === 'computing'", timeout=20_000)
    status = page.locator("#status")
    assert status.inner_text().startswith("Đang tính chỉ số từ lớp hạ tầng") and status.locator("progress").count() == 1
    page.screenshot(path=artifacts / "07_map_computing.png")
    page.wait_for_function("['ready', 'error'].includes(document.body.dataset.state)", timeout=120_000)
    assert page.evaluate("document.body.dataset.state") == "ready", status.inner_text()
    data = api(computing_service, **CITY, year=2020, measure="roads:km_total")  # stored by now: 200
    assert len(drawn(page)) == len(data["features"]) == 17
    assert page.locator("#map .ntm-legend-heading").inner_text() == data["legend"]["heading"]
    context.close()
    assert not errors


def test_the_tier_switch_colours_the_districts_by_their_own_status(page, service, artifacts):
    open_page(page, province="811", year=2019)
    page.select_option("#ctl-tier", "district")
    wait_ready(page)
    data = api(service, province="811", year=2019, tier="district", measure="criteria_met")
    assert len(data["features"]) == 9  # the districts of Bến Tre in 2009, not its communes
    assert len(drawn(page)) == 9
    assert sorted(fills(page)) == sorted(f["properties"]["fill"] for f in data["features"])
    measures = page.eval_on_selector_all("#ctl-measure option", "options => options.map(o => o.value)")
    assert measures[:2] == ["level", "criteria_met"] and page.locator("#ctl-mode").count() == 0
    assert set(measures[2:]) >= {"recognised_ntm", "with_data", "mean_criteria_met"}  # or by their communes
    assert "tier=district" in page.locator("#export").get_attribute("href")
    page.screenshot(path=artifacts / "08_map_districts_own_status.png")


def test_data_checks_list_links_to_the_commune(page, service, planner_gpkg, artifacts):
    """Last in this module: it adds made-up 2019 counts (TEST data) contradicting Xã Nhơn Thạnh's
    criterion rows to the module's store, so the page lists two data checks for that year."""
    from geo_ntm.status_import.importer import import_status_file
    from geo_ntm.store import open_store

    with open_store(planner_gpkg) as store:
        counts = ROOT / "tests" / "data" / "flags_ben_tre_city_2019_counts_TEST.csv"
        assert len(import_status_file(store, counts).flags) == 2
    open_page(page, **CITY, year=2019)
    checks = page.locator("#data-checks")
    checks.locator("li").first.wait_for()
    assert checks.locator("h2").inner_text() == "Kiểm tra dữ liệu (2)"
    kinds = checks.locator("li").evaluate_all("items => items.map(i => i.dataset.kind)")
    assert kinds == ["summary_disagrees", "recognised_with_unmet"]
    assert "19/19" in checks.locator("li").first.inner_text()
    checks.locator("li").first.locator("button", has_text="Xã Nhơn Thạnh").click()
    page.locator("#profile-title").wait_for()
    assert page.locator("#profile-title").inner_text() == "Xã Nhơn Thạnh"
    centred = """() => { const v = ntmPlanner.views.main, b = v.data['8110125'].main_box;
        return L.latLngBounds([[b[1], b[0]], [b[3], b[2]]]).contains(v.map.getCenter()); }"""
    assert page.evaluate(centred)  # the map moved to the commune
    page.screenshot(path=artifacts / "08_data_checks.png")

    open_page(page, **CITY, year=2011)
    assert page.locator("#data-checks").inner_text().endswith("Không có mâu thuẫn nào trong số liệu năm này")


def test_the_api_documentation_works_without_the_internet(page, service):
    """/docs: Swagger UI from node_modules (no CDN; the page fixture refuses any foreign request)
    draws the service's operations."""
    page.goto("/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
    assert "geo_ntm" in page.locator(".swagger-ui .info .title").inner_text()
    page.wait_for_selector(".opblock-summary-path")
    paths = page.eval_on_selector_all(".opblock-summary-path", "ps => ps.map(p => p.textContent)")
    assert "/map/data" in paths and "/report" in paths
