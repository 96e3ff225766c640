"""The planner's page draws its communes from the vector tiles (issue 14 §2), in a real headless
Chromium (the service, browser and page fixtures of ``test_planner_browser.py``): the communes
come from ``/collections/communes/tiles`` and no geometry is fetched as GeoJSON, a new measure or
year recolours the tiles already drawn without asking for a tile again, the tooltip and the
profile work on a unit drawn from a tile, and a page opened while the boundaries are still being
generalised draws the GeoJSON of /map/data, then the tiles once the job is done.

Store: one province, so that its generalisation takes seconds: the real 2009 boundaries of Bến Tre,
the Bến Tre status sample, made-up 2019 TEST statuses and a SYNTHETIC road layer (see conftest.py)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
import shapely
from shapely.geometry import shape

from tests.maps import test_planner_browser as base
from tests.maps.conftest import load_planner_store
from tests.maps.test_planner_browser import CHROMIUM, CITY, api, drawn, open_page, serving, wait_ready

# the service, browser and page of the planner's browser tests, on the planner store of conftest.py
# (generalised there)
service, browser, page = base.service, base.browser, base.page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"),
]
TILES = "/tiles/WebMercatorQuad/"


def record(page) -> list[str]:
    """The URLs the page asks for from now on (a list that grows)."""
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url))
    return asked


def tiles_of(asked: list[str], collection: str) -> list[str]:
    return [u for u in asked if f"/collections/{collection}{TILES}" in u and urlparse(u).path.count("/") == 7]


def fills_of(data: dict) -> dict[str, str]:
    """The fill of each unit of a /map/data answer, by code."""
    return {f["properties"]["code"]: f["properties"]["fill"] for f in data["features"]}


def point_in(page, feature: dict) -> tuple[float, float]:
    """The page coordinates of a point inside ``feature`` (a /map/data feature with geometry)."""
    point = shapely.point_on_surface(shape(feature["geometry"]))
    return page.evaluate(
        """([lat, lon]) => {
        const p = ntmPlanner.views.main.map.latLngToContainerPoint([lat, lon]);
        const box = document.getElementById('map').getBoundingClientRect();
        return [p.x + box.left, p.y + box.top]; }""",
        [point.y, point.x],
    )


def test_the_communes_come_from_the_tiles_and_no_geometry_as_geojson(page, service):
    asked = record(page)
    open_page(page, province="811", year=2019)
    data = api(service, province="811", year=2019)
    assert set(drawn(page)) == {f["properties"]["code"] for f in data["features"]} and len(data["features"]) > 100
    assert tiles_of(asked, "communes"), asked
    assert tiles_of(asked, "provinces") and tiles_of(asked, "districts")  # the outlines above the communes
    vintages = {parse_qs(urlparse(u).query)["vintage"][0] for u in tiles_of(asked, "communes")}
    assert vintages == {data["boundaries"]["vintage"]}
    map_data = [u for u in asked if urlparse(u).path == "/map/data"]
    assert map_data and all(parse_qs(urlparse(u).query)["geometry"] == ["false"] for u in map_data)
    assert not [u for u in asked if "/items" in u]  # no GeoJSON of the outlines either
    assert page.evaluate("performance.getEntriesByName('ntm-first-map').length") == 1
    figures = api(service, province="811", year=2019, geometry="false")
    assert [f["properties"]["fill"] for f in figures["features"]] == [f["properties"]["fill"] for f in data["features"]]
    shapes = {f["id"]: shape(f["geometry"]) for f in data["features"]}
    for f in figures["features"]:  # no shapes, and the box of each unit's largest part instead
        assert f["geometry"] is None and shapes[f["id"]].intersects(shapely.box(*f["properties"]["main_box"]))


def test_a_new_measure_or_year_recolours_the_tiles_without_asking_again(page, service):
    open_page(page, **CITY, year=2020)
    before = drawn(page)
    asked = record(page)
    page.select_option("#ctl-measure", "tc9")
    wait_ready(page)
    expected = fills_of(api(service, **CITY, year=2020, measure="tc9"))
    assert drawn(page) == expected and expected != before
    page.select_option("#ctl-year", "2019")
    wait_ready(page)
    expected = fills_of(api(service, **CITY, year=2019, measure="tc9"))
    assert drawn(page) == expected
    assert [u for u in asked if urlparse(u).path == "/map/data"], asked  # the figures were asked again
    assert not [u for u in asked if TILES in u], asked  # the shapes were not


def test_tooltip_and_profile_of_a_commune_drawn_from_a_tile(page, service):
    open_page(page, **CITY, year=2019)
    data = api(service, **CITY, year=2019)
    nhon_thanh = next(f for f in data["features"] if f["properties"]["name"] == "Xã Nhơn Thạnh")
    x, y = point_in(page, nhon_thanh)
    page.mouse.move(x, y)
    tooltip = page.locator("#map .leaflet-tooltip")
    tooltip.wait_for()
    assert "Xã Nhơn Thạnh" in tooltip.inner_text()
    code = nhon_thanh["properties"]["code"]
    widths = "paths => paths.map(p => p.getAttribute('stroke-width'))"
    hovered = page.eval_on_selector_all(f"#map path.ntm-code-{code}", widths)
    assert hovered and set(hovered) == {"2.5"}  # highlighted in every tile it crosses
    page.mouse.click(x, y)
    title = page.locator("#profile-title")
    title.wait_for()
    assert title.inner_text() == "Xã Nhơn Thạnh"


def test_the_geojson_is_drawn_until_the_tiles_are_made_then_the_tiles(browser, new_location, ben_tre_sources, data_dir):
    location = load_planner_store(new_location("gpkg", with_2009=False), ben_tre_sources, data_dir)  # not generalised
    with serving(location, job_wait_seconds=0) as url:  # the tile set's metadata answers at once, with the job
        context = browser.new_context(viewport={"width": 1400, "height": 900}, base_url=url)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        asked = record(page)
        open_page(page, **CITY, year=2019)
        expected = fills_of(api(url, **CITY, year=2019))
        map_data = [parse_qs(urlparse(u).query) for u in asked if urlparse(u).path == "/map/data"]
        assert map_data[0].get("geometry") is None  # first drawn from the GeoJSON, shapes included
        assert any(urlparse(u).path.startswith("/jobs/") for u in asked)  # the generalisation followed
        page.wait_for_function("document.getElementById('map').dataset.source === 'tiles'", timeout=60_000)
        wait_ready(page)
        assert drawn(page) == expected  # the same communes and colours, now from the tiles
        assert tiles_of(asked, "communes") and tiles_of(asked, "provinces")
        later = [parse_qs(urlparse(u).query) for u in asked if urlparse(u).path == "/map/data"]
        assert later[-1]["geometry"] == ["false"]
        context.close()
        assert not errors
