"""The planner's web page (``/``) and the map it frames (``/map.html``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from api.deps import BoundariesDep, RuleDep, StoreDep
from api.page import control_page
from geo_ntm.places import resolve_scope
from maps.assets import served
from maps.province_map import province_map_html

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def index(store: StoreDep, province: str | None = None, district: str | None = None, year: int | None = None,
          measure: str = "criteria_met", lang: str = "vi", vintage: str | None = None,
          rule: str | None = None) -> HTMLResponse:
    """The planner's page; empty form fields mean "the default"."""
    return HTMLResponse(control_page(store, province=province, district=district or None, year=year,
                                     measure=measure, lang=lang, vintage=vintage or None, rule=rule or None))


@router.get("/map.html", response_class=HTMLResponse)
def map_page(store: StoreDep, vintage: BoundariesDep, rule: RuleDep, province: str, year: int,
             district: str | None = None, measure: str = "criteria_met", lang: str = "vi") -> HTMLResponse:
    """The map of ``year`` on the boundaries asked (``date``, ``vintage``, default those of the year)."""
    scope = resolve_scope(store, vintage, province, district)
    return HTMLResponse(province_map_html(store, scope, year, measure, lang=lang, assets=served("/static"),
                                          rule=rule))
