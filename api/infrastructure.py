"""Infrastructure layers and spatial questions: stored layers, per-commune coverage tables
(roads ...) and which unit a point lies in."""

from __future__ import annotations

import io
from typing import Annotated

import shapely
from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import BoundariesDep, DateParam, StoreDep, VintageParam, YearParam, parse_date
from geo_ntm.domain import AdminLevel
from geo_ntm.errors import NotFoundError
from geo_ntm.infrastructure.queries import CoverageRequest, coverage

router = APIRouter()


@router.get("/layers")
def layers(store: StoreDep) -> dict:
    """Every stored infrastructure layer."""
    return {"layers": [{"id": x.layer_id, "name": x.name, "kind": x.kind.value, "date": x.valid_date.isoformat(),
                        "features": x.feature_count, "crs": x.crs, "source": x.source} for x in store.layers()]}


@router.get("/coverage/{measure}")
def coverage_table(measure: str, store: StoreDep, province: str | None = None, district: str | None = None,
                   year: YearParam = None, date: DateParam = None, vintage: VintageParam = None,
                   layer: str | None = None,
                   f: Annotated[str, Query(pattern="^(json|csv)$", description="json or csv")] = "json"):
    """Per-commune figures of ``measure`` (``roads``: km by class and surface, hardened shares,
    indicators 2.1-2.4) for a province, a district or the whole country."""
    table, totals = coverage(store, CoverageRequest(measure, province, district, parse_date(date), year, vintage, layer))
    rows = table.drop(columns="geometry")
    if f == "csv":
        buffer = io.StringIO()
        rows.to_csv(buffer, index=False)
        return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8")
    rows = rows.astype(object).where(rows.notna(), None)
    return {"totals": totals, "communes": rows.to_dict(orient="records")}


@router.get("/lookup")
def lookup(store: StoreDep, vintage: BoundariesDep, lon: Annotated[float, Query(ge=-180, le=180)],
           lat: Annotated[float, Query(ge=-90, le=90)]) -> dict:
    """The commune, district and province a point lies in, in the boundaries asked (``date``,
    ``year`` or ``vintage``). Where overlapping polygons both hold the point, the smaller one is
    given (the partition's rule) and the others are listed in ``also``."""
    point = shapely.Point(lon, lat)
    found = store.units(vintage.vintage_id, bbox=(lon, lat, lon, lat))
    found = found[found.covers(point)]
    if found.empty:
        raise NotFoundError(f"the point {lon}, {lat} lies in no unit of the boundaries {vintage.name}")
    answer: dict = {"lon": lon, "lat": lat, "vintage": vintage.name}
    for level in AdminLevel:
        hits = found[found["level"] == level.value].sort_values(["area_ha", "code"])
        units = [{"code": r.code, "name": r.name, "unit_type": r.unit_type} for r in hits.itertuples()]
        answer[level.value] = units[0] if units else None
        if len(units) > 1:
            answer.setdefault("also", {})[level.value] = units[1:]
    return answer
