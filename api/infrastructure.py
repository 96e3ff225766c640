"""Infrastructure layers and spatial questions: stored layers, per-commune coverage tables
(roads, population, water, facilities) and which unit a point lies in."""

from __future__ import annotations

import io
from typing import Annotated

import shapely
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from api.background import ACCEPTED, accepted, stored_or_started
from api.deps import BoundariesDep, StoreDep, WhereDep
from api.jobs import Job
from geo_ntm.domain import AdminTier
from geo_ntm.errors import NotFoundError
from geo_ntm.export_safety import write_safe_csv
from geo_ntm.infrastructure.queries import CoverageRequest
from geo_ntm.infrastructure.thresholds import load_thresholds

router = APIRouter()


@router.get("/layers")
def layers(store: StoreDep) -> dict:
    """Every stored infrastructure layer."""
    return {
        "layers": [
            {
                "id": x.layer_id,
                "name": x.name,
                "kind": x.kind.value,
                "date": x.valid_date.isoformat(),
                "features": x.feature_count,
                "crs": x.crs,
                "source": x.source,
            }
            for x in store.layers()
        ]
    }


@router.get("/coverage/{topic}", responses=ACCEPTED)
def coverage_table(
    topic: str,
    request: Request,
    store: StoreDep,
    where: WhereDep,
    layer: Annotated[
        str | None,
        Query(
            description="the layer measured: roads, population, water "
            "lines or facilities (default: the latest of its kind)"
        ),
    ] = None,
    distance: Annotated[float | None, Query(description="water, facilities: reach in metres")] = None,
    kind: Annotated[str | None, Query(description="facilities: the kind whose reach is measured")] = None,
    points_layer: Annotated[str | None, Query(description="water: supply points")] = None,
    households_layer: Annotated[str | None, Query(description="water: household points (used only when named)")] = None,
    population_layer: Annotated[str | None, Query(description="water, facilities: population")] = None,
    f: Annotated[str, Query(pattern="^(json|csv)$", description="json or csv")] = "json",
):
    """Per-commune figures of ``topic`` for a province, a district or the whole country:
    ``roads`` (km by class and surface, hardened shares, indicators 2.1-2.4), ``population``,
    ``water`` (people and households within ``distance`` of the network or a supply point,
    indicator 17.1), ``facilities`` (counts by kind; people within ``distance`` of a ``kind``),
    ``discrepancies`` (reported criteria 2 and 17 of ``year`` against those indicators). A
    question not answered before is computed by a background job: 202 with ``Location: /jobs/{id}``
    when it takes longer than ``GEO_NTM_JOB_WAIT_SECONDS``."""
    asked = CoverageRequest(
        topic,
        where,
        layer,
        distance=distance,
        kind=kind,
        points_layer=points_layer,
        population_layer=population_layer,
        households_layer=households_layer,
    )
    answer = stored_or_started(request, store, asked, load_thresholds(request.app.state.settings.thresholds_file))
    if isinstance(answer, Job):
        return accepted(request, answer)
    rows, totals = answer
    if f == "csv":
        buffer = io.StringIO()
        write_safe_csv(rows, buffer)
        return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8")
    rows = rows.astype(object).where(rows.notna(), None)
    # plain JSON values already: written as they are (a national table through FastAPI's encoder
    # took 1.7 s of the 2.8 s its answer took, bench/results/jobs.json)
    return JSONResponse({"totals": totals, "communes": rows.to_dict(orient="records")})


@router.get("/lookup")
def lookup(
    store: StoreDep,
    boundaries: BoundariesDep,
    lon: Annotated[float, Query(ge=-180, le=180)],
    lat: Annotated[float, Query(ge=-90, le=90)],
) -> dict:
    """The commune, district and province a point lies in, in the boundaries asked (``date``,
    ``year`` or ``vintage``). Where overlapping polygons both hold the point, the smaller one is
    given (the partition's rule) and the others are listed in ``also``."""
    point = shapely.Point(lon, lat)
    vintage = boundaries.vintage
    found = store.units(vintage.vintage_id, bbox=(lon, lat, lon, lat))
    found = found[found.covers(point)]
    if found.empty:
        raise NotFoundError(f"the point {lon}, {lat} lies in no unit of the boundaries {vintage.name}")
    answer: dict = {"lon": lon, "lat": lat, "vintage": vintage.name}
    for level in AdminTier:
        hits = found[found["level"] == level.value].sort_values(["area_ha", "code"])
        units = [{"code": r.code, "name": r.name, "unit_type": r.unit_type} for r in hits.itertuples()]
        answer[level.value] = units[0] if units else None
        if len(units) > 1:
            answer.setdefault("also", {})[level.value] = units[1:]
    return answer
