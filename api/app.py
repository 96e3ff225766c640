"""The geo_ntm HTTP service: the planner's map page and GeoJSON collections of units with their
NTM assessment. Errors are JSON ``{"code": ..., "description": ...}`` with a 4xx status."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.features import feature, feature_collection
from api.page import control_page
from geo_ntm.domain import AdminLevel, Vintage
from geo_ntm.errors import GeoNtmError, InputError, NotFoundError
from geo_ntm.places import find_unit
from geo_ntm.settings import Settings
from geo_ntm.store import BBox, Store, open_store
from geo_ntm.views import commune_view, unit_view
from maps.assets import leaflet_dist, served
from maps.province_map import province_map_html

COLLECTIONS = {
    "provinces": (AdminLevel.PROVINCE, "Tỉnh, thành phố / Provinces"),
    "districts": (AdminLevel.DISTRICT, "Huyện, quận, thị xã, thành phố / Districts"),
    "communes": (AdminLevel.COMMUNE, "Xã, phường, thị trấn với kết quả NTM / Communes with NTM status"),
}
MAX_LIMIT = 10_000


def _error(status: int, code: str, description: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"code": code, "description": description})


def get_store(request: Request) -> Iterator[Store]:
    """One store connection per request, on the store the application was created for."""
    store = open_store(request.app.state.settings.db)
    try:
        yield store
    finally:
        store.close()


StoreDep = Annotated[Store, Depends(get_store)]


def parse_bbox(text: str | None) -> BBox | None:
    """``minlon,minlat,maxlon,maxlat`` in EPSG:4326, checked."""
    if text is None:
        return None
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise InputError(f"bbox {text!r} must be four numbers: minlon,minlat,maxlon,maxlat") from None
    if len(values) != 4:
        raise InputError(f"bbox {text!r} must have four numbers (minlon,minlat,maxlon,maxlat), not {len(values)}")
    minx, miny, maxx, maxy = values
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise InputError(f"bbox {text!r} is not a valid lon/lat box (min <= max, lon within ±180, lat within ±90)")
    return values


def create_app(settings: Settings | None = None) -> FastAPI:
    """The FastAPI application on the store named by ``settings.db``."""
    settings = settings or Settings.from_env()
    app = FastAPI(title="geo_ntm", description="Bản đồ nông thôn mới / New Rural Development maps and API",
                  version="0.1.0")

    app.state.settings = settings

    @app.exception_handler(NotFoundError)
    async def _not_found(request: Request, exc: NotFoundError):
        return _error(404, "NotFound", str(exc))

    @app.exception_handler(GeoNtmError)
    async def _bad_input(request: Request, exc: GeoNtmError):
        return _error(400, "InvalidParameterValue", str(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:]) or e['loc'][0]}: {e['msg']}" for e in exc.errors())
        return _error(400, "InvalidParameterValue", f"invalid request parameters: {problems}")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        code = "NotFound" if exc.status_code == 404 else "HTTPError"
        detail = exc.detail if exc.status_code != 404 else f"no such resource: {request.url.path}"
        return _error(exc.status_code, code, str(detail))

    def vintage_for(store: Store, year: int | None) -> Vintage:
        if year is not None:
            return store.vintage_for_year(year)
        return store.vintage_on(dt.date.today())

    @app.get("/health")
    def health(store: StoreDep) -> dict:
        return {"status": "ok", "vintages": [v.name for v in store.vintages()]}

    @app.get("/collections")
    def collections(request: Request) -> dict:
        base = str(request.base_url).rstrip("/")
        return {"collections": [
            {"id": cid, "title": title, "itemType": "feature",
             "links": [{"rel": "items", "type": "application/geo+json", "href": f"{base}/collections/{cid}/items"}]}
            for cid, (_, title) in COLLECTIONS.items()]}

    def level_of(collection_id: str) -> AdminLevel:
        if collection_id not in COLLECTIONS:
            raise NotFoundError(f"no collection {collection_id!r}; collections are {', '.join(COLLECTIONS)}")
        return COLLECTIONS[collection_id][0]

    @app.get("/collections/{collection_id}/items")
    def items(
        collection_id: str,
        request: Request,
        store: StoreDep,
        province: str | None = None,
        district: str | None = None,
        year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
        bbox: str | None = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> JSONResponse:
        level = level_of(collection_id)
        vintage = vintage_for(store, year)
        scope: dict = {}
        if province:
            prov = find_unit(store.unit_records(vintage.vintage_id, AdminLevel.PROVINCE), province, "province")
            scope["province_code"] = prov.province_code
            if district and level is not AdminLevel.PROVINCE:
                districts = [u for u in store.unit_records(vintage.vintage_id, AdminLevel.DISTRICT)
                             if u.province_code == prov.province_code]
                scope["district_code"] = find_unit(districts, district, f"district of {prov.name}").code
        elif district:
            raise InputError("district needs its province: add province=... to the query")

        def view(**filters):
            if level is AdminLevel.COMMUNE:
                return commune_view(store, vintage, year, **scope, **filters)
            return unit_view(store, vintage, level, **scope, **filters)

        box = parse_bbox(bbox)
        if box is None:
            matched = len(store.units(vintage.vintage_id, level, geometry=False, **scope))
            frame = view(limit=limit, offset=offset)
        else:  # the R-tree preselects by envelope; the exact test needs the geometries
            frame = view(bbox=box)
            matched = len(frame)
            frame = frame.iloc[offset:offset + limit]
        links = [{"rel": "self", "type": "application/geo+json", "href": str(request.url)}]
        if offset + limit < matched:
            links.append({"rel": "next", "type": "application/geo+json",
                          "href": str(request.url.include_query_params(offset=offset + limit, limit=limit))})
        body = feature_collection(frame, level, number_matched=matched, links=links)
        return JSONResponse(body, media_type="application/geo+json")

    @app.get("/collections/{collection_id}/items/{code}")
    def item(collection_id: str, code: str, store: StoreDep,
             year: Annotated[int | None, Query(ge=1990, le=2100)] = None) -> JSONResponse:
        level = level_of(collection_id)
        vintage = vintage_for(store, year)
        frame = (commune_view(store, vintage, year, codes=[code]) if level is AdminLevel.COMMUNE
                 else unit_view(store, vintage, level, codes=[code]))
        if frame.empty:
            raise NotFoundError(f"no unit with code {code!r} in collection {collection_id!r} "
                                f"(boundaries {vintage.name})")
        return JSONResponse(feature(next(frame.itertuples(index=False)), level), media_type="application/geo+json")

    @app.get("/", response_class=HTMLResponse)
    def index(store: StoreDep, province: str | None = None, district: str | None = None,
              year: int | None = None, measure: str = "criteria_met", lang: str = "vi") -> HTMLResponse:
        return HTMLResponse(control_page(store, province=province, district=district, year=year,
                                         measure=measure, lang=lang))

    @app.get("/map.html", response_class=HTMLResponse)
    def map_page(store: StoreDep, province: str, year: int, district: str | None = None,
                 measure: str = "criteria_met", lang: str = "vi") -> HTMLResponse:
        from geo_ntm.places import resolve_scope

        scope = resolve_scope(store, store.vintage_for_year(year), province, district)
        return HTMLResponse(province_map_html(store, scope, year, measure, lang=lang, assets=served("/static")))

    app.mount("/static/leaflet", StaticFiles(directory=leaflet_dist(settings.assets_dir)), name="leaflet")
    return app
