"""The JSON (and PNG) endpoints of the planner's page: the choices it offers, the classified map
of a province or district, its PNG export, the summaries, and a commune's profile."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from api.deps import BoundariesDep, RuleDep, StoreDep
from api.downloads import slug
from api.page import page_options
from geo_ntm.errors import InputError
from geo_ntm.infrastructure.thresholds import load_thresholds
from geo_ntm.places import Scope, resolve_scope
from geo_ntm.profile import commune_profile
from geo_ntm.progress import most_unmet, near_next_level
from geo_ntm.views import commune_view
from maps.i18n import level_label
from maps.indicators import commune_indicators
from maps.layer import MapLayer, MapRequest, build_layer
from maps.png import SIZES, render_png

router = APIRouter()
Lang = Annotated[str, Query(pattern="^(vi|en)$", description="vi (default) or en")]
Year = Annotated[int, Query(ge=1990, le=2100, description="status year")]


def map_request(store: StoreDep, vintage: BoundariesDep, rule: RuleDep, province: str, year: Year,
                district: str | None = None,
                measure: Annotated[str, Query(description="criteria_met, level, share, tc<N>, or an indicator "
                                                          "<coverage measure>:<column>")] = "criteria_met",
                scheme: Annotated[str | None, Query(description="standard, quantiles, equal_interval or "
                                                                "natural_breaks (default: the measure's first)")] = None,
                classes: Annotated[int, Query(ge=3, le=7, description="number of numeric classes")] = 5,
                compare: Annotated[int | None, Query(ge=1990, le=2100, description="map the change of level or "
                                                     "criteria_met from this year to year")] = None,
                lang: Lang = "vi") -> MapRequest:
    """The map a request asks for (see ``maps.layer.MapRequest``)."""
    return MapRequest(resolve_scope(store, vintage, province, district or None), year, measure, scheme or None,
                      classes, lang, rule, compare)


MapRequestDep = Annotated[MapRequest, Depends(map_request)]


@router.get("/map/options")
def options(store: StoreDep, province: str | None = None, year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
            vintage: str | None = None, lang: Lang = "vi") -> dict:
    """What the page offers for a province, year and boundaries: provinces, districts, years,
    vintages, carry rules, measures and classifications, and the page's texts."""
    return page_options(store, province=province, year=year, vintage=vintage or None, lang=lang)


@router.get("/map/data")
def map_data(store: StoreDep, request: MapRequestDep, simplify: bool = True) -> dict:
    """The classified communes as GeoJSON (polygons simplified for the screen unless
    ``simplify=false``), with the legend and what a printed map says about itself."""
    layer = build_layer(store, request)
    return {"type": "FeatureCollection", "features": layer.features(simplify), **_about(layer, request)}


def _about(layer: MapLayer, request: MapRequest) -> dict:
    scope: Scope = request.scope
    classes = layer.classification
    measure = layer.measure
    return {
        "title": layer.title, "subtitle": layer.subtitle, "note": layer.note, "source": layer.source,
        "province": scope.province.name, "district": scope.district.name if scope.district else None,
        "year": request.year, "compare": request.compare,
        "boundaries": {"vintage": scope.vintage.name, "valid_from": scope.vintage.valid_from.isoformat()},
        "measure": measure.about(), "table": {"value": measure.table_value, "class_heading": measure.class_column},
        "scheme": classes.scheme, "classes": request.classes,
        "legend": {"heading": classes.heading, "entries": [
            {"key": e.key, "label": e.label, "fill": e.fill, "swatch": e.swatch, "count": e.count, "lower": e.lower,
             "upper": e.upper} for e in classes.legend]},
        "bbox": [float(v) for v in layer.frame.total_bounds],
    }


@router.get("/map.png", response_class=Response, responses={200: {"content": {"image/png": {}}}})
def map_png(store: StoreDep, request: MapRequestDep,
            width: Annotated[int, Query(ge=SIZES.start, le=SIZES.stop - 1)] = 1600,
            height: Annotated[int, Query(ge=SIZES.start, le=SIZES.stop - 1)] = 1130) -> Response:
    """The map as a PNG image with title, legend, dates, scale bar and source, as a download."""
    png = render_png(build_layer(store, request), width=width, height=height)
    scope = request.scope
    place = "_".join(slug(u.name or u.code) for u in (scope.province, scope.district) if u is not None)
    period = f"{request.compare}-{request.year}" if request.compare else str(request.year)
    name = f"ntm_{place}_{period}_{slug(request.measure)}.png"
    return Response(png, media_type="image/png", headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/map/summary")
def summary(store: StoreDep, vintage: BoundariesDep, province: str, year: Year, district: str | None = None,
            lang: Lang = "vi") -> dict:
    """The communes one or two criteria short of the next level (with the criteria they miss)
    and the criteria most often unmet, in a province or district in ``year``."""
    if store.vintage_for_year(year) != vintage:
        raise InputError(f"summaries read the statuses of {year} on their own boundaries "
                         f"({store.vintage_for_year(year).name}): leave out date and vintage")
    scope = resolve_scope(store, vintage, province, district or None)
    frame = commune_view(store, vintage, year, province_code=scope.province.province_code,
                         district_code=scope.district.code if scope.district else None, geometry=False)
    near = near_next_level(frame)
    for row in near:
        row["next_level_label"] = level_label(row["next_level"], lang)
        row["level_label"] = level_label(row["level"], lang) if row["level"] else None
    return {"province": scope.province.name, "district": scope.district.name if scope.district else None,
            "year": year, "vintage": vintage.name, "communes": int(frame["assessed"].sum()),
            "communes_with_data": int((frame["assessed"] & frame["has_data"]).sum()),
            "near_next_level": near, "most_unmet": most_unmet(frame)}


@router.get("/profile/{code}")
def profile(code: str, request: Request, store: StoreDep, vintage: BoundariesDep, year: Year, lang: Lang = "vi") -> dict:
    """One commune of the boundaries asked: every criterion of its framework in ``year`` with
    status and sources, its level in every year with data, and its infrastructure indicators."""
    found = commune_profile(store, vintage, code, year)
    indicators = commune_indicators(store, vintage, code, year, found.pop("province_code"), found.pop("district_code"),
                                    lang, load_thresholds(request.app.state.settings.thresholds_file))
    return {**found, "indicators": indicators,
            "level_label": level_label(found["level"], lang) if found["level"] else None}
