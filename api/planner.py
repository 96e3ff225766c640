"""The JSON (and PNG) endpoints of the planner's page: the choices it offers, the classified map
of a province or district, its PNG export, the summaries, and a commune's profile."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from api.background import ACCEPTED, accepted, job_path, stored_or_started, unanswered
from api.caching import NOT_MODIFIED, Conditional
from api.deps import BoundariesDep, Lang, MapPlaceDep, PlaceYearDep, RequiredYear, RuleDep, StoreDep, YearParam
from api.downloads import slug
from api.jobs import Job
from api.planner_options import page_options
from geo_ntm.domain import AdminTier
from geo_ntm.errors import InputError
from geo_ntm.infrastructure.thresholds import load_thresholds
from geo_ntm.profile import commune_profile
from geo_ntm.progress import most_unmet, near_next_level
from geo_ntm.store import Store
from geo_ntm.views import commune_view
from geo_ntm.where import FIRST_YEAR, LAST_YEAR, Where, resolve_where
from maps.choropleth import Choropleth, MapRequest, build_choropleth
from maps.figures import commune_figures, figure_questions, figure_request, parse_figure
from maps.i18n import level_label
from maps.png import SIZES, render_png

router = APIRouter()

GroupParam = Annotated[int | None, Query(ge=1, le=3, description="only the communes of this NTM group (nhóm)")]
#: What the national map colours the provinces by when no measure is asked.
NATIONAL_MEASURE = "recognised_ntm"


def map_request(
    store: StoreDep,
    where: MapPlaceDep,
    rule: RuleDep,
    lang: Lang,
    measure: Annotated[
        str | None,
        Query(
            description="criteria_met, level, share, tc<N>, or an indicator <topic>:<column>; for provinces or "
            "districts by their communes recognised_<level>, with_data or mean_criteria_met "
            f"(default: criteria_met; {NATIONAL_MEASURE} for the whole country)"
        ),
    ] = None,
    scheme: Annotated[
        str | None,
        Query(description="standard, quantiles, equal_interval or natural_breaks (default: the measure's first)"),
    ] = None,
    classes: Annotated[int, Query(ge=3, le=7, description="number of numeric classes")] = 5,
    compare: Annotated[
        int | None,
        Query(
            ge=FIRST_YEAR, le=LAST_YEAR, description="map the change of level or criteria_met from this year to year"
        ),
    ] = None,
    tier: Annotated[
        AdminTier | None,
        Query(
            description="commune (default with a province), or district or province (default for the whole "
            "country): colour those by their own status, or by their communes with an aggregate measure"
        ),
    ] = None,
    group: GroupParam = None,
) -> MapRequest:
    """The map a request asks for (see ``maps.choropleth.MapRequest``). Without a province the
    whole country: its provinces by the share of their communes recognised NTM unless asked
    otherwise. ``tier=district`` on boundaries without districts (from 1 July 2025) is a 400."""
    if tier is None:
        tier = AdminTier.PROVINCE if where.national else AdminTier.COMMUNE
    if measure is None:
        measure = NATIONAL_MEASURE if where.national else "criteria_met"
    if tier is AdminTier.DISTRICT and not where.has_districts:
        raise InputError(
            f"tier: the {where.vintage.name} boundaries have no district tier (province and commune only); "
            "use tier=commune or tier=province"
        )
    earlier = None if compare is None else where.in_year(store, compare)
    return MapRequest(where, measure, scheme or None, classes, lang, rule, earlier, tier, group)


MapRequestDep = Annotated[MapRequest, Depends(map_request)]


@router.get("/map/options", dependencies=[Conditional], responses=NOT_MODIFIED)
def options(
    http: Request,
    store: StoreDep,
    lang: Lang,
    province: str | None = None,
    year: YearParam = None,
    vintage: str | None = None,
) -> dict:
    """What the page offers for a province (none: the whole country), year and boundaries:
    provinces, districts, years, vintages, carry rules, measures (of communes, and of provinces and
    districts by their communes) and classifications, the basemap, and the page's texts."""
    basemap = http.app.state.settings.basemap_url
    return page_options(
        store, province=province or None, year=year, vintage=vintage or None, lang=lang, basemap=basemap
    )


@router.get("/map/data", responses={**ACCEPTED, **NOT_MODIFIED}, dependencies=[Conditional])
def map_data(http: Request, store: StoreDep, request: MapRequestDep, simplify: bool = True, geometry: bool = True):
    """The classified communes as GeoJSON (polygons simplified for the screen unless
    ``simplify=false``; none with ``geometry=false``, each feature's ``main_box`` instead: the
    planner's page draws the shapes from the vector tiles and colours them by these figures),
    with the legend and what a printed map says about itself. An indicator
    measure whose coverage table is not stored yet is computed by a background job: 202 with
    ``Location: /jobs/{id}`` when it takes longer than ``GEO_NTM_JOB_WAIT_SECONDS``."""
    running = _figure_job(http, store, request)
    if running is not None:
        return running
    layer = build_choropleth(store, request)
    return {"type": "FeatureCollection", "features": layer.features(simplify, geometry), **_about(layer, request)}


def _figure_job(http: Request, store: Store, request: MapRequest) -> JSONResponse | None:
    """The 202 answer of a map whose indicator measure is still being computed by a background
    job (started or joined here), or None when the map can be drawn at once."""
    figure = parse_figure(request.measure)
    if figure is None or request.tier is not AdminTier.COMMUNE:  # a district map refuses it at once
        return None
    asked = figure_request(request.where, figure.topic, figure.distance)
    answer = stored_or_started(http, store, asked, load_thresholds())  # figures use the shipped thresholds
    return accepted(http, answer) if isinstance(answer, Job) else None


def _about(layer: Choropleth, request: MapRequest) -> dict:
    where: Where = request.where
    classes = layer.classification
    measure = layer.measure
    return {
        "title": layer.title,
        "subtitle": layer.subtitle,
        "note": layer.note,
        "source": layer.source,
        "province": where.province.name if where.province else None,
        "district": where.district.name if where.district else None,
        "national": where.national,
        "year": where.year,
        "compare": request.compare.year if request.compare else None,
        "tier": request.tier.value,
        "boundaries": {"vintage": where.vintage.name, "valid_from": where.vintage.valid_from.isoformat()},
        "measure": measure.about(),
        "table": {"value": measure.table_value, "class_heading": measure.class_column},
        "scheme": classes.scheme,
        "classes": request.classes,
        "legend": {
            "heading": classes.heading,
            "entries": [
                {
                    "key": e.key,
                    "label": e.label,
                    "fill": e.fill,
                    "swatch": e.swatch,
                    "count": e.count,
                    "lower": e.lower,
                    "upper": e.upper,
                }
                for e in classes.legend
            ],
        },
        "bbox": [float(v) for v in layer.frame.total_bounds],
    }


@router.get("/map.png", response_class=Response, responses={200: {"content": {"image/png": {}}}, **ACCEPTED})
def map_png(
    http: Request,
    store: StoreDep,
    request: MapRequestDep,
    width: Annotated[int, Query(ge=SIZES.start, le=SIZES.stop - 1)] = 1600,
    height: Annotated[int, Query(ge=SIZES.start, le=SIZES.stop - 1)] = 1130,
) -> Response:
    """The map as a PNG image with title, legend, dates, scale bar and source, as a download; an
    indicator measure not computed yet answers 202 with its job, as ``/map/data`` does."""
    running = _figure_job(http, store, request)
    if running is not None:
        return running
    png = render_png(build_choropleth(store, request), width=width, height=height)
    where = request.where
    place = "_".join(slug(u.name or u.code) for u in (where.province, where.district) if u is not None) or "viet_nam"
    period = f"{request.compare.year}-{where.year}" if request.compare else str(where.year)
    name = f"ntm_{place}_{period}_{slug(request.measure)}.png"
    return Response(png, media_type="image/png", headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/map/summary")
def summary(store: StoreDep, where: PlaceYearDep, lang: Lang, group: GroupParam = None) -> dict:
    """The communes one or two criteria short of the next level (with the criteria they miss)
    and the criteria most often unmet, in a province or district in ``year`` (of one NTM group
    with ``group``)."""
    year = where.year
    assert where.province is not None  # where_of_year requires one
    if not where.own_boundaries:
        raise InputError(
            f"summaries read the statuses of {year} on their own boundaries "
            f"({where.statuses_vintage.name}): leave out date and vintage"
        )
    frame = commune_view(store, where.vintage, year, geometry=False, **where.place_filters)
    if group is not None:
        frame = frame[frame["ntm_group"] == group]
    near = near_next_level(frame)
    for row in near:
        row["next_level_label"] = level_label(row["next_level"], lang)
        row["level_label"] = level_label(row["level"], lang) if row["level"] else None
    return {
        "province": where.province.name,
        "district": where.district.name if where.district else None,
        "year": year,
        "vintage": where.vintage.name,
        "group": group,
        "communes": int(frame["assessed"].sum()),
        "communes_with_data": int((frame["assessed"] & frame["has_data"]).sum()),
        "near_next_level": near,
        "most_unmet": most_unmet(frame),
    }


@router.get("/profile/{code}")
def profile(
    code: str, request: Request, store: StoreDep, boundaries: BoundariesDep, year: RequiredYear, lang: Lang
) -> dict:
    """One commune of the boundaries asked: every criterion of its framework in ``year`` with
    status and sources, its level in every year with data, and its infrastructure indicators; those
    whose coverage table is still being computed by a background job are listed in
    ``indicators_computing`` (with the job) instead."""
    found = commune_profile(store, boundaries.vintage, code, year)
    around = resolve_where(
        store,
        vintage=boundaries.vintage,
        year=year,
        province=found.pop("province_code"),
        district=found.pop("district_code"),
    )
    thresholds = load_thresholds(request.app.state.settings.thresholds_file)
    computing = unanswered(request, store, figure_questions(store, around), thresholds)
    indicators = commune_figures(store, around, code, lang, thresholds, skip=computing)
    return {
        **found,
        "indicators": indicators,
        "indicators_computing": [
            {"topic": topic, "distance": distance, "job": job_path(request, job), "state": job.state}
            for (topic, distance), job in computing.items()
        ],
        "level_label": level_label(found["level"], lang) if found["level"] else None,
    }
