"""GeoJSON collections of units: provinces, districts, communes (with their NTM assessment for a
year) and units (every level) of the boundaries in force on a date."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from api.deps import BoundariesDep, RuleDep, StoreDep, YearParam, parse_bbox
from api.features import feature, feature_collection
from geo_ntm.carry import CarryRule
from geo_ntm.domain import AdminLevel, Vintage
from geo_ntm.errors import InputError, NotFoundError
from geo_ntm.places import find_unit
from geo_ntm.store import Store
from geo_ntm.views import assessment_view, unit_view

router = APIRouter()
COLLECTIONS = {
    "provinces": (AdminLevel.PROVINCE, "Tỉnh, thành phố / Provinces"),
    "districts": (AdminLevel.DISTRICT, "Huyện, quận, thị xã, thành phố / Districts"),
    "communes": (AdminLevel.COMMUNE, "Xã, phường, thị trấn với kết quả NTM / Communes with NTM status"),
    "units": (None, "Mọi đơn vị hành chính / Units of every level"),
}
MAX_LIMIT = 10_000
GEOJSON = "application/geo+json"


def _levels(collection_id: str, level: str | None) -> list[AdminLevel]:
    if collection_id not in COLLECTIONS:
        raise NotFoundError(f"no collection {collection_id!r}; collections are {', '.join(COLLECTIONS)}")
    fixed = COLLECTIONS[collection_id][0]
    if fixed is not None:
        return [fixed]
    if level is None:
        return list(AdminLevel)
    try:
        return [AdminLevel(level)]
    except ValueError:
        raise InputError(f"level {level!r} is not one of {', '.join(a.value for a in AdminLevel)}") from None


def _scope(store: Store, vintage: Vintage, province: str | None, district: str | None) -> dict:
    if not province:
        if district:
            raise InputError("district needs its province: add province=... to the query")
        return {}
    prov = find_unit(store.unit_records(vintage.vintage_id, AdminLevel.PROVINCE), province, "province")
    scope = {"province_code": prov.province_code}
    if district:
        districts = [u for u in store.unit_records(vintage.vintage_id, AdminLevel.DISTRICT)
                     if u.province_code == prov.province_code]
        scope["district_code"] = find_unit(districts, district, f"district of {prov.name}").code
    return scope


def _view(store: Store, vintage: Vintage, level: AdminLevel, year: int | None, rule: CarryRule | None = None,
          **filters):
    if level is AdminLevel.COMMUNE:
        return assessment_view(store, vintage, year, rule, **filters)
    if level is AdminLevel.PROVINCE:
        filters.pop("district_code", None)
    return unit_view(store, vintage, level, **filters)


@router.get("/collections")
def collections(request: Request) -> dict:
    base = str(request.base_url).rstrip("/")
    return {"collections": [
        {"id": cid, "title": title, "itemType": "feature",
         "links": [{"rel": "items", "type": GEOJSON, "href": f"{base}/collections/{cid}/items"}]}
        for cid, (_, title) in COLLECTIONS.items()]}


@router.get("/collections/{collection_id}/items")
def items(
    collection_id: str,
    request: Request,
    store: StoreDep,
    vintage: BoundariesDep,
    rule: RuleDep,
    year: YearParam = None,
    province: str | None = None,
    district: str | None = None,
    level: str | None = None,
    bbox: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> JSONResponse:
    """Features of a collection for the boundaries asked (``vintage``, ``date`` or ``year``)."""
    levels = _levels(collection_id, level)
    scope = _scope(store, vintage, province, district)
    box = parse_bbox(bbox)
    matched, frames, skip, left = 0, [], offset, limit
    for lv in levels:  # paging runs across the levels in order
        n = len(store.units(vintage.vintage_id, lv, geometry=False,
                            **{k: v for k, v in scope.items() if lv is not AdminLevel.PROVINCE or k != "district_code"}))
        if box is not None:  # the R-tree preselects by envelope; the exact test needs the geometries
            frame = _view(store, vintage, lv, year, rule, bbox=box, **scope)
            n, frame = len(frame), frame.iloc[skip:skip + left]
        elif left > 0 and skip < n:
            frame = _view(store, vintage, lv, year, rule, limit=left, offset=skip, **scope)
        else:
            frame = None
        matched += n
        if frame is not None and len(frame):
            frames.append((lv, frame))
            left -= len(frame)
        skip = max(0, skip - n)
    links = [{"rel": "self", "type": GEOJSON, "href": str(request.url)}]
    if offset + limit < matched:
        links.append({"rel": "next", "type": GEOJSON,
                      "href": str(request.url.include_query_params(offset=offset + limit, limit=limit))})
    body = feature_collection(frames, number_matched=matched, links=links)
    body["vintage"] = {"name": vintage.name, "valid_from": vintage.valid_from.isoformat(),
                       "valid_to": vintage.valid_to.isoformat() if vintage.valid_to else None}
    return JSONResponse(body, media_type=GEOJSON)


@router.get("/collections/{collection_id}/items/{code}")
def item(collection_id: str, code: str, store: StoreDep, vintage: BoundariesDep, rule: RuleDep,
         year: YearParam = None, level: str | None = None) -> JSONResponse:
    """One unit by the boundary source's code."""
    for lv in _levels(collection_id, level):
        frame = _view(store, vintage, lv, year, rule, codes=[code])
        if not frame.empty:
            return JSONResponse(feature(next(frame.itertuples(index=False)), lv), media_type=GEOJSON)
    raise NotFoundError(f"no unit with code {code!r} in collection {collection_id!r} (boundaries {vintage.name})")
