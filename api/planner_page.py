"""The planner's HTML pages: ``GET /``, one page whose own script (``maps/static/planner.js``)
draws the map with Leaflet (the shapes from the vector tiles, ``api.ogc.tiles``) and asks the
service's JSON endpoints (``api.planner``) for the data,
its options sent with it; and ``GET /map.html``, the folium map of one province alone.
Vietnamese first, English available."""

from __future__ import annotations

import json
from html import escape
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.caching import static_url
from api.deps import Lang, StoreDep, YearParam
from api.planner import MapRequestDep
from api.planner_options import page_options
from maps.assets import VECTORGRID_JS, served
from maps.choropleth import build_choropleth
from maps.folium_page import HATCH_SVG, render_map

router = APIRouter()

#: The static files of the page: (mount, file name).
ASSETS = (
    ("leaflet", "leaflet.css"),
    ("planner", "planner.css"),
    ("leaflet", "leaflet.js"),
    ("vectorgrid", VECTORGRID_JS),
    ("planner", "planner.js"),
)


def planner_page(options: dict, assets: dict[str, str]) -> str:
    """The HTML of ``GET /``: the page's frame, its texts and options as JSON, Leaflet,
    Leaflet.VectorGrid (the communes, districts and provinces drawn from the vector tiles) and our script
    (``assets``: the URL of each of ``ASSETS``, with its content hash, ``api.caching.static_url``)."""
    lang = options["lang"]
    t = options["texts"]
    other = "en" if lang == "vi" else "vi"
    data = json.dumps(options, ensure_ascii=False).replace("</", "<\\/")
    switch = urlencode({"lang": other})
    map_only = urlencode({"province": options.get("province", ""), "year": options.get("year", ""), "lang": lang})
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(t["title"])}</title><link rel="icon" href="data:,">
<link rel="stylesheet" href="{assets["leaflet.css"]}"><link rel="stylesheet" href="{assets["planner.css"]}">
</head><body data-state="loading">{HATCH_SVG}
<header><h1>{escape(t["title"])}</h1><form id="controls" aria-label="{escape(t["title"])}"></form>
<nav><a id="lang-switch" href="?{switch}" hreflang="{other}" lang="{other}">{escape(t["other_lang"])}</a></nav>
</header>
<nav id="crumbs" aria-label="{escape(t["crumbs"])}"></nav>
<main><div id="status" role="status" aria-live="polite"></div>
<div id="maps"><div id="map" class="ntm-map" role="region" aria-label="{escape(t["map_label"])}"></div>
<div id="map2" class="ntm-map" role="region" aria-label="{escape(t["map_label"])}" hidden></div></div>
<section id="table-view" hidden></section>
<aside id="profile" aria-labelledby="profile-title" hidden></aside></main>
<section id="progress" aria-labelledby="progress-title" hidden></section>
<section id="data-checks" aria-labelledby="data-checks-title"></section>
<noscript><p><a href="/map.html?{escape(map_only)}">{escape(t["view_map"])}</a></p></noscript>
<script type="application/json" id="ntm-options">{data}</script>
<script src="{assets["leaflet.js"]}"></script><script src="{assets[VECTORGRID_JS]}"></script>
<script src="{assets["planner.js"]}"></script>
</body></html>"""


@router.get(
    "/",
    response_class=HTMLResponse,
    summary="The planner's page (browsers); the OGC API landing page (programs)",
    description=(
        "Browsers (an Accept header naming text/html) get the planner's page, also at /planner; "
        "f=json, an Accept header preferring JSON or not naming HTML (*/*) get the OGC API landing page "
        "as JSON (api.ogc.landing), f=html its HTML form."
    ),
    responses={200: {"content": {"application/json": {"schema": {"type": "object"}}}}},
)
@router.get("/planner", response_class=HTMLResponse, summary="The planner's page")
def index(
    http: Request,
    store: StoreDep,
    lang: Lang,
    province: str | None = None,
    year: YearParam = None,
    vintage: str | None = None,
) -> HTMLResponse:
    """The planner's page, starting on ``province`` (default: the whole country) and ``year``
    (default: its latest year with data); the rest of the state is read from the URL by the page. A
    year outside the years the service knows is a 400 naming ``year``."""
    options = page_options(
        store,
        province=province or None,
        year=year,
        vintage=vintage or None,
        lang=lang,
        basemap=http.app.state.settings.basemap_url,
    )
    assets = {name: static_url(http, mount, name) for mount, name in ASSETS}
    return HTMLResponse(planner_page(options, assets))


@router.get("/map.html", response_class=HTMLResponse)
def map_page(store: StoreDep, request: MapRequestDep) -> HTMLResponse:
    """The map of ``year`` on the boundaries asked (``date``, ``vintage``, default those of the year)."""
    return HTMLResponse(render_map(build_choropleth(store, request), assets=served("/static")))
