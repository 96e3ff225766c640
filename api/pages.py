"""The planner's web page (``/``), its script and style (``/static/planner/``), and the folium
map of one province alone (``/map.html``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from api.deps import StoreDep
from api.page import page_options, planner_page, valid_lang
from api.planner import MapRequestDep
from maps.assets import served
from maps.choropleth import render_map
from maps.layer import build_layer

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def index(store: StoreDep, province: str | None = None, year: int | None = None, vintage: str | None = None,
          lang: str = "vi") -> HTMLResponse:
    """The planner's page, starting on ``province`` and ``year`` (default: the first province that
    received data, at its latest year); the rest of the state is read from the URL by the page."""
    options = page_options(store, province=province or None, year=year, vintage=vintage or None,
                           lang=valid_lang(lang))
    return HTMLResponse(planner_page(options))


@router.get("/map.html", response_class=HTMLResponse)
def map_page(store: StoreDep, request: MapRequestDep) -> HTMLResponse:
    """The map of ``year`` on the boundaries asked (``date``, ``vintage``, default those of the year)."""
    return HTMLResponse(render_map(build_layer(store, request), assets=served("/static")))
