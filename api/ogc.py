"""OGC API - Features: landing page, conformance, the OpenAPI 3.0 definition, collections with
their extent and CRSs, queryables, items and single features in GeoJSON and HTML.

- Part 1 Core, GeoJSON, HTML, OpenAPI 3.0: ``bbox``, ``datetime`` (an instant = the boundary
  vintage in force that day), ``limit``/``offset`` paging with ``next``/``prev`` links, and
  equality filters on properties as query parameters (``?unit_type=xa&name=...``).
- Part 2 CRS by reference: ``crs`` and ``bbox-crs`` for CRS84, EPSG:4326 (latitude first) and
  VN-2000 (EPSG:4756 geographic, latitude first; UTM 48N/49N EPSG:3405/3406; the provincial
  3° TM zones EPSG:5899 and 9205–9218), with a ``Content-Crs`` header.
- Part 3 Filtering: ``filter`` in CQL2 text (``api.cql2``) on the queryables of the collection.

``/`` stays the planner's HTML page; its JSON landing page is served when ``f=json`` or an
``Accept`` header preferring JSON asks for it (GDAL sends ``Accept: application/json``), and an
HTML landing page with the OGC links at ``/?f=html``."""

from __future__ import annotations

import copy
import datetime as dt
import json
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated

import geopandas as gpd
import pandas as pd
import shapely
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pyproj import CRS, Transformer

from api import cql2, ogc_html
from api.collections import COLLECTIONS, MAX_LIMIT, _levels, _view
from api.deps import DistrictParam, ProvinceParam, StoreDep, YearParam, carry_rule, parse_date
from api.features import CARRIED, PROPERTIES, feature
from geo_ntm.carry import CarryRule
from geo_ntm.domain import AdminLevel, Vintage
from geo_ntm.errors import InputError, NotFoundError
from geo_ntm.store import Store
from geo_ntm.where import Where, resolve_where

router = APIRouter()

GEOJSON = "application/geo+json"
JSON = "application/json"
HTML = "text/html"
OPENAPI30 = "application/vnd.oai.openapi+json;version=3.0"
SCHEMA_JSON = "application/schema+json"
REL_CONFORMANCE = "http://www.opengis.net/def/rel/ogc/1.0/conformance"
REL_DATA = "http://www.opengis.net/def/rel/ogc/1.0/data"
REL_QUERYABLES = "http://www.opengis.net/def/rel/ogc/1.0/queryables"

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
]

# -- coordinate reference systems -------------------------------------------------------------
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
_EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
#: EPSG codes served besides CRS84: WGS 84, VN-2000 geographic, VN-2000 / UTM 48N and 49N, and the
#: VN-2000 / TM-3 zones (3° zones with the provincial central meridians).
EPSG_CODES = (4326, 4756, 3405, 3406, 5899, *range(9205, 9219))
SUPPORTED_CRS = [CRS84, *(f"{_EPSG}{code}" for code in EPSG_CODES)]


@lru_cache(maxsize=None)
def _crs(uri: str) -> CRS:
    return CRS.from_user_input("OGC:CRS84" if uri == CRS84 else f"EPSG:{uri.rsplit('/', 1)[1]}")


def parse_crs(text: str | None, name: str = "crs") -> str:
    """A CRS parameter (URI, ``EPSG:n``, ``[EPSG:n]`` or ``CRS84``) as one of the supported URIs."""
    if text is None or text.strip() == "":
        return CRS84
    t = text.strip().strip("[]")
    upper = t.upper()
    if upper in ("CRS84", "OGC:CRS84", "HTTP://WWW.OPENGIS.NET/DEF/CRS/OGC/1.3/CRS84"):
        return CRS84
    code = None
    if upper.startswith("EPSG:"):
        code = t[5:]
    elif t.startswith(_EPSG) or t.startswith(_EPSG.replace("http:", "https:")):
        code = t.rsplit("/", 1)[1]
    uri = f"{_EPSG}{code}" if code and code.isdigit() else None
    if uri not in SUPPORTED_CRS:
        raise InputError(f"{name} {text!r} is not supported; use one of: {', '.join(SUPPORTED_CRS)}")
    return uri


def _north_first(uri: str) -> bool:
    """Whether the CRS's authority axis order puts latitude/northing first (EPSG:4326, 4756)."""
    return _crs(uri).axis_info[0].direction.lower() == "north"


def to_crs(geometry: gpd.GeoSeries, uri: str) -> gpd.GeoSeries:
    """Geometries in CRS84 reprojected to ``uri``, coordinates in the CRS's own axis order."""
    if uri == CRS84:
        return geometry
    out = geometry.set_crs("OGC:CRS84", allow_override=True).to_crs(_crs(uri))  # x = lon/easting
    if _north_first(uri):
        out = gpd.GeoSeries(shapely.transform(out.values, lambda c: c[:, ::-1]), index=out.index, crs=out.crs)
    return out


def parse_bbox_crs(text: str | None, bbox_crs: str | None) -> tuple[float, float, float, float] | None:
    """``bbox`` (4 or 6 numbers, in the axis order of ``bbox-crs``, default CRS84) as a lon/lat box."""
    if text is None:
        if bbox_crs is not None:
            raise InputError("bbox-crs is given without a bbox")
        return None
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise InputError(f"bbox {text!r} must be numbers separated by commas") from None
    if len(values) == 6:
        values = [values[0], values[1], values[3], values[4]]
    if len(values) != 4:
        raise InputError(f"bbox {text!r} must have four numbers (minx,miny,maxx,maxy; or six with heights), "
                         f"not {len(values)}")
    uri = parse_crs(bbox_crs, "bbox-crs")
    a1, b1, a2, b2 = values
    if _north_first(uri):
        a1, b1, a2, b2 = b1, a1, b2, a2  # lat,lon,lat,lon -> lon,lat,lon,lat
    if a1 > a2 or b1 > b2:
        raise InputError(f"bbox {text!r}: the lower corner must come first (min <= max on each axis)")
    if uri not in (CRS84, f"{_EPSG}4326"):
        transformer = Transformer.from_crs(_crs(uri), "OGC:CRS84", always_xy=True)
        a1, b1, a2, b2 = transformer.transform_bounds(a1, b1, a2, b2, densify_pts=21)
    if not (-180 <= a1 <= a2 <= 180 and -90 <= b1 <= b2 <= 90):
        raise InputError(f"bbox {text!r} is not a valid box in {uri}")
    return (a1, b1, a2, b2)


# -- content negotiation ----------------------------------------------------------------------
def _accept_q(accept: str, media: str) -> float:
    best, specificity = 0.0, -1
    main = media.split("/")[0]
    for part in accept.split(","):
        fields = [p.strip() for p in part.split(";")]
        rng = fields[0].lower()
        q = 1.0
        for p in fields[1:]:
            if p.startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 0.0
        spec = 2 if rng == media else 1 if rng == f"{main}/*" else 0 if rng == "*/*" else -1
        if spec > specificity:
            best, specificity = q, spec
    return best


def wants(request: Request, f: str | None, default: str = "json") -> str:
    """``json`` or ``html``: the ``f`` parameter, else the ``Accept`` header, else ``default``."""
    if f:
        if f.lower() in ("json", "geojson", "application/json", GEOJSON):
            return "json"
        if f.lower() in ("html", HTML):
            return "html"
        raise InputError(f"f={f!r}: available encodings are json and html")
    accept = request.headers.get("accept", "")
    if not accept:
        return default
    q_json = max(_accept_q(accept, JSON), _accept_q(accept, GEOJSON))
    q_html = _accept_q(accept, HTML)
    if q_json == q_html:
        return default
    return "json" if q_json > q_html else "html"


FParam = Annotated[str | None, Query(description="encoding: json or html (default: from the Accept header)")]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


# -- landing page (middleware: "/" is the planner's page by default) ---------------------------
def landing_document(base: str) -> dict:
    return {
        "title": "geo_ntm — Bản đồ nông thôn mới / New Rural Development maps",
        "description": ("Ranh giới hành chính và kết quả xây dựng nông thôn mới theo xã, theo OGC API - Features. "
                        "Administrative units of Vietnam with each commune's NTM criteria status, served as OGC API "
                        "- Features (GeoJSON, HTML; CRS84, WGS 84 and VN-2000; CQL2 filters) with downloads."),
        "links": [
            {"rel": "self", "type": JSON, "title": "This document (JSON)", "href": f"{base}/?f=json"},
            {"rel": "alternate", "type": HTML, "title": "This document (HTML)", "href": f"{base}/?f=html"},
            {"rel": "service-desc", "type": OPENAPI30, "title": "API definition (OpenAPI 3.0)", "href": f"{base}/api"},
            {"rel": "service-doc", "type": HTML, "title": "API documentation", "href": f"{base}/docs"},
            {"rel": "conformance", "type": JSON, "title": "Conformance classes", "href": f"{base}/conformance"},
            {"rel": REL_CONFORMANCE, "type": JSON, "title": "Conformance classes", "href": f"{base}/conformance"},
            {"rel": "data", "type": JSON, "title": "Collections", "href": f"{base}/collections"},
            {"rel": REL_DATA, "type": JSON, "title": "Collections", "href": f"{base}/collections"},
            {"rel": "alternate", "type": HTML, "title": "Bản đồ / The planner's map page", "href": f"{base}/"},
        ],
    }


class LandingPage:
    """ASGI middleware answering ``GET /`` with the OGC landing page when JSON (``f=json`` or an
    Accept header preferring JSON) or ``f=html`` is asked; everything else goes on to the app."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"] == "/" and scope["method"] in ("GET", "HEAD"):
            request = Request(scope)
            f = request.query_params.get("f")
            if f in ("json", "html") or (f is None and wants(request, None, default="page") == "json"):
                doc = landing_document(_base(request))
                response = (HTMLResponse(ogc_html.landing(doc, _base(request))) if f == "html"
                            else JSONResponse(doc))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def install(app) -> None:
    """Add the OGC API router, the JSON landing page and the OpenAPI 3.0 definition to ``app``."""
    from api import downloads
    app.include_router(router)
    app.include_router(downloads.router)
    app.add_middleware(LandingPage)


@router.get("/conformance", summary="Conformance classes")
def conformance(request: Request, f: FParam = None) -> Response:
    doc = {"conformsTo": CONFORMANCE,
           "links": [{"rel": "self", "type": JSON, "href": f"{_base(request)}/conformance?f=json"},
                     {"rel": "alternate", "type": HTML, "href": f"{_base(request)}/conformance?f=html"}]}
    if wants(request, f) == "html":
        return HTMLResponse(ogc_html.conformance(doc, _base(request)))
    return JSONResponse(doc)


# -- queryables ---------------------------------------------------------------------------------
_UNIT_TYPES = {"code": ("string", "Mã đơn vị (mã của nguồn ranh giới) / Unit code"),
               "name": ("string", "Tên đầy đủ / Full name"),
               "unit_type": ("string", "Loại đơn vị (xa, phuong, thi_tran, huyen, quan, thi_xa, thanh_pho, tinh) "
                                       "/ Unit type"),
               "province": ("string", "Tên tỉnh / Province name"),
               "admin_level": ("string", "Cấp hành chính (province, district, commune) / Administrative level"),
               "population": ("number", "Dân số trong tệp ranh giới / Population of the boundary file"),
               "area_ha": ("number", "Diện tích (ha) / Area in hectares")}
_COMMUNE_TYPES = {"district": ("string", "Tên huyện / District name"),
                  "flag": ("string", "Cờ: unnamed, not_admin_unit / Flag"),
                  "assessed": ("boolean", "Là xã được đánh giá NTM / A commune assessed for NTM"),
                  "year": ("integer", "Năm của kết quả / Status year"),
                  "framework": ("string", "Bộ tiêu chí / Criteria framework"),
                  "level": ("string", "Mức đạt (ntm, ntm_nang_cao, ...) / NTM level reached"),
                  "criteria_met": ("integer", "Số tiêu chí đạt / Criteria met"),
                  "criteria_total": ("integer", "Tổng số tiêu chí / Criteria in the framework"),
                  "carry_rule": ("string", "Quy tắc chuyển kết quả / Carry rule"),
                  "carried_from_year": ("integer", "Năm của kết quả được chuyển / Year carried from"),
                  "coverage": ("number", "Tỷ lệ diện tích có đơn vị cũ / Share of area covered by old units"),
                  "share": ("number", "Tỷ lệ đạt (quy tắc share_*) / Share that reached the level"),
                  "share_known": ("number", "Tỷ lệ có dữ liệu / Share with data"),
                  "share_assessed": ("number", "Tỷ lệ được đánh giá / Share assessed")}


def queryable_types(collection_id: str) -> dict[str, str]:
    """Queryable property -> ``string`` | ``number`` | ``integer`` | ``boolean``."""
    types = {k: v[0] for k, v in _UNIT_TYPES.items()}
    if collection_id in ("communes", "units"):
        types |= {k: v[0] for k, v in _COMMUNE_TYPES.items()}
    return types


@router.get("/collections/{collectionId}/queryables", summary="Queryable properties (JSON Schema)")
def queryables(collectionId: str, request: Request, f: FParam = None) -> Response:
    _levels(collectionId, None)
    base = _base(request)
    described = _UNIT_TYPES | (_COMMUNE_TYPES if collectionId in ("communes", "units") else {})
    doc = {"$schema": "https://json-schema.org/draft/2020-12/schema",
           "$id": f"{base}/collections/{collectionId}/queryables", "type": "object",
           "title": f"{COLLECTIONS[collectionId][1]} — queryables",
           "properties": {name: {"type": kind, "title": title} for name, (kind, title) in described.items()}
           | {"geometry": {"format": "geometry-multipolygon", "title": "Ranh giới / Boundary"}},
           "additionalProperties": False,
           "links": [{"rel": "self", "type": SCHEMA_JSON, "href": f"{base}/collections/{collectionId}/queryables"},
                     {"rel": "collection", "type": JSON, "href": f"{base}/collections/{collectionId}"}]}
    if wants(request, f) == "html":
        return HTMLResponse(ogc_html.queryables(doc, base))
    return JSONResponse(doc, media_type=SCHEMA_JSON)


_ARRAYS = {"criteria_unmet": "Tiêu chí chưa đạt / Unmet criteria",
           "criteria_conflicting": "Tiêu chí mâu thuẫn / Criteria with conflicting sources"}


@router.get("/collections/{collectionId}/schema", summary="JSON Schema of the features (GeoJSON)")
def schema(collectionId: str, request: Request) -> Response:
    """The GeoJSON Feature schema of a collection, with typed properties (GDAL's OAPIF driver
    reads the field types from it)."""
    _levels(collectionId, None)
    described = _UNIT_TYPES | (_COMMUNE_TYPES if collectionId in ("communes", "units") else {})
    props = {name: {"type": kind, "title": title} for name, (kind, title) in described.items()}
    if collectionId in ("communes", "units"):
        props |= {name: {"type": "array", "items": {"type": "integer"}, "title": title}
                  for name, title in _ARRAYS.items()}
    doc = {"$schema": "https://json-schema.org/draft/2020-12/schema",
           "$id": f"{_base(request)}/collections/{collectionId}/schema",
           "title": COLLECTIONS[collectionId][1], "type": "object", "required": ["type", "geometry", "properties"],
           "properties": {"type": {"type": "string", "enum": ["Feature"]},
                          "id": {"type": "string", "title": "Mã đơn vị / Unit code"},
                          "geometry": {"type": "object", "title": "MultiPolygon"},
                          "properties": {"type": "object", "properties": props}}}
    return JSONResponse(doc, media_type=SCHEMA_JSON)


# -- collections ------------------------------------------------------------------------------
@lru_cache(maxsize=32)
def _extent(db: str, vintage_ids: tuple[int, ...]) -> tuple[float, float, float, float]:
    from geo_ntm.store import open_store
    with open_store(db) as store:
        bounds = [store.units(v, AdminLevel.PROVINCE).total_bounds for v in vintage_ids]
    frame = pd.DataFrame(bounds)
    return (float(frame[0].min()), float(frame[1].min()), float(frame[2].max()), float(frame[3].max()))


def collection_document(request: Request, store: Store, collection_id: str) -> dict:
    base = _base(request)
    vintages = store.vintages()
    bbox = _extent(str(request.app.state.settings.db), tuple(v.vintage_id for v in vintages)) if vintages else None
    url = f"{base}/collections/{collection_id}"
    links = [
        {"rel": "self", "type": JSON, "title": "This collection (JSON)", "href": f"{url}?f=json"},
        {"rel": "alternate", "type": HTML, "title": "This collection (HTML)", "href": f"{url}?f=html"},
        {"rel": "items", "type": GEOJSON, "title": "Features (GeoJSON)", "href": f"{url}/items"},
        {"rel": "items", "type": HTML, "title": "Features (HTML)", "href": f"{url}/items?f=html"},
        {"rel": REL_QUERYABLES, "type": SCHEMA_JSON, "title": "Queryables", "href": f"{url}/queryables"},
        {"rel": "queryables", "type": SCHEMA_JSON, "title": "Queryables", "href": f"{url}/queryables"},
        {"rel": "describedby", "type": SCHEMA_JSON, "title": "Schema of the features (GeoJSON)",
         "href": f"{url}/schema"},
    ]
    from api.downloads import FORMATS  # the download formats, one enclosure link each
    links += [{"rel": "enclosure", "type": media, "title": f"Download ({fmt})", "href": f"{url}/download?format={fmt}"}
              for fmt, (media, _) in FORMATS.items()]
    return {
        "id": collection_id, "title": COLLECTIONS[collection_id][1],
        "description": ("Ranh giới theo ngày (datetime/date), kết quả NTM theo năm (year). "
                        "Boundaries of the day asked (datetime/date), NTM status of the year asked (year)."),
        "itemType": "feature",
        "extent": {"spatial": {"bbox": [list(bbox) if bbox else [-180, -90, 180, 90]], "crs": CRS84},
                   "temporal": {"interval": [[vintages[0].valid_from.isoformat() + "T00:00:00Z" if vintages else None,
                                              None]],
                                "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}},
        "crs": SUPPORTED_CRS, "storageCrs": CRS84,
        "links": links,
    }


@router.get("/collections", summary="The feature collections")
def collections(request: Request, store: StoreDep, f: FParam = None) -> Response:
    base = _base(request)
    doc = {"links": [{"rel": "self", "type": JSON, "href": f"{base}/collections?f=json"},
                     {"rel": "alternate", "type": HTML, "href": f"{base}/collections?f=html"}],
           "collections": [collection_document(request, store, cid) for cid in COLLECTIONS],
           "crs": SUPPORTED_CRS}
    if wants(request, f) == "html":
        return HTMLResponse(ogc_html.collections(doc, base))
    return JSONResponse(doc)


@router.get("/collections/{collectionId}", summary="One collection: extent, CRSs, links")
def collection(collectionId: str, request: Request, store: StoreDep, f: FParam = None) -> Response:
    _levels(collectionId, None)
    doc = collection_document(request, store, collectionId)
    if wants(request, f) == "html":
        return HTMLResponse(ogc_html.collection(doc, _base(request)))
    return JSONResponse(doc)


# -- the feature query shared by items and downloads -------------------------------------------
def parse_datetime(text: str) -> tuple[dt.date | None, dt.date | None]:
    """An RFC 3339 instant or interval (``a/b``, ``../b``, ``a/..``) as (start, end) days."""
    def day(part: str) -> dt.date | None:
        part = part.strip()
        if part in ("", ".."):
            return None
        try:
            return dt.date.fromisoformat(part[:10])
        except ValueError:
            raise InputError(f"datetime {text!r}: {part!r} is not a date or date-time (RFC 3339)") from None
    if "/" in text:
        start, end = text.split("/", 1)
        return day(start), day(end)
    d = day(text)
    if d is None:
        raise InputError(f"datetime {text!r} is not a date or date-time")
    return d, d


def datetime_boundaries(store: Store, datetime_: str, *, date: str | None,
                        vintage: str | None) -> tuple[Vintage, dt.date | None]:
    """The boundaries an OGC ``datetime`` asks for and its day: the vintage in force on that
    instant; an interval is accepted when one vintage is in force over all of it."""
    if date or vintage:
        raise InputError("datetime and date/vintage both name the boundaries: give only one")
    start, end = parse_datetime(datetime_)
    if start == end:
        return store.vintage_on(start), start
    if start and end and start > end:
        raise InputError(f"datetime {datetime_!r}: the interval ends before it starts")
    overlapping = [v for v in store.vintages()
                   if (end is None or v.valid_from <= end) and (start is None or v.valid_to is None
                                                                 or v.valid_to > start)]
    if len(overlapping) == 1:
        return overlapping[0], end or start
    if not overlapping:
        raise NotFoundError(f"no boundary vintage is in force during {datetime_}")
    raise InputError(f"datetime {datetime_!r} spans {len(overlapping)} boundary vintages "
                     f"({', '.join(v.valid_from.isoformat() for v in overlapping)}); ask for one instant")


#: Parameters of the items and download endpoints that are not property filters.
STANDARD_PARAMS = {"year", "date", "vintage", "datetime", "rule", "rule_level", "sliver_tolerance", "province",
                   "district", "level", "bbox", "bbox-crs", "crs", "filter", "filter-lang", "filter-crs", "limit",
                   "offset", "f", "format", "geometry"}


@dataclass
class FeatureQuery:
    """The features a request asks for: collection, levels, where and when, carry rule, filters, CRS."""

    collection: str
    levels: list[AdminLevel]
    where: Where
    rule: CarryRule | None
    box: tuple[float, float, float, float] | None
    expr: tuple | None
    crs: str

    @property
    def filtered(self) -> bool:
        return self.expr is not None or self.box is not None

    @property
    def place(self) -> list[str]:
        """Short names of the province and district asked."""
        return [u.name_short or u.name or u.code for u in (self.where.province, self.where.district) if u is not None]


def _typed(name: str, kind: str, text: str):
    if kind in ("integer", "number"):
        try:
            return int(text) if kind == "integer" or text.lstrip("-").isdigit() else float(text)
        except ValueError:
            raise InputError(f"{name}={text!r}: {name} is a number") from None
    if kind == "boolean":
        if text.lower() in ("true", "1", "yes"):
            return True
        if text.lower() in ("false", "0", "no"):
            return False
        raise InputError(f"{name}={text!r}: {name} is true or false")
    return unicodedata.normalize("NFC", text)


def feature_query(
    collectionId: str,
    request: Request,
    store: StoreDep,
    rule: Annotated[CarryRule | None, Depends(carry_rule)],
    year: YearParam = None,
    date: Annotated[str | None, Query(description="boundaries in force on this day, YYYY-MM-DD")] = None,
    vintage: Annotated[str | None, Query(description="boundary vintage by id, name or start date")] = None,
    datetime_: Annotated[str | None, Query(alias="datetime", description=(
        "boundaries in force at this instant (RFC 3339 date or date-time); an interval only within one "
        "vintage"))] = None,
    province: ProvinceParam = None,
    district: DistrictParam = None,
    level: Annotated[str | None, Query(description=(
        "units: the administrative level (province, district, commune); communes: the NTM level reached"))] = None,
    bbox: Annotated[str | None, Query(description="minx,miny,maxx,maxy in bbox-crs (default CRS84: lon/lat)")] = None,
    bbox_crs: Annotated[str | None, Query(alias="bbox-crs", description="CRS of bbox (URI)")] = None,
    crs: Annotated[str | None, Query(description="CRS of the response geometries (URI); default CRS84")] = None,
    filter_: Annotated[str | None, Query(alias="filter", description=(
        "CQL2 text on the queryables, e.g. criteria_met >= 15 AND unit_type = 'xa'"))] = None,
    filter_lang: Annotated[str | None, Query(alias="filter-lang", description="cql2-text (cql-text accepted)",
                                             json_schema_extra={"enum": ["cql2-text", "cql-text"]})] = None,
    filter_crs: Annotated[str | None, Query(alias="filter-crs", description="only CRS84 (no spatial filters)")] = None,
) -> FeatureQuery:
    """The features a request asks for: collection, boundaries, status year, place, bbox and
    property filters (query parameters and CQL2 ``filter``), and the response CRS."""
    types = queryable_types(collectionId)
    expressions = []
    if collectionId == "communes" and level is not None:  # on communes, level is the NTM level reached
        expressions.append(cql2.equality("level", level))
        level = None
    levels = _levels(collectionId, level)
    if filter_lang is not None and filter_lang not in ("cql2-text", "cql-text"):
        raise InputError(f"filter-lang={filter_lang!r}: only cql2-text is supported")
    if filter_crs is not None and parse_crs(filter_crs, "filter-crs") != CRS84:
        raise InputError("filter-crs: the filters have no geometries; only CRS84 is accepted")
    for key, value in request.query_params.items():
        if key in STANDARD_PARAMS:
            continue
        if key not in types:
            raise InputError(f"unknown parameter {key!r}; parameters are {', '.join(sorted(STANDARD_PARAMS))} and "
                             f"the queryables {', '.join(sorted(types))}")
        expressions.append(cql2.equality(key, _typed(key, types[key], value)))
    if filter_:
        node = cql2.parse(filter_)
        unknown = cql2.properties(node) - set(types)
        if unknown:
            raise InputError(f"filter: unknown propert{'ies' if len(unknown) > 1 else 'y'} "
                             f"{', '.join(repr(u) for u in sorted(unknown))}; "
                             f"queryables are {', '.join(sorted(types))}")
        expressions.append(node)
    if datetime_ is None:
        boundaries, day = vintage, parse_date(date)
    else:
        boundaries, day = datetime_boundaries(store, datetime_, date=date, vintage=vintage)
    where = resolve_where(store, vintage=boundaries, day=day, year=year, province=province, district=district)
    return FeatureQuery(collectionId, levels, where, rule, parse_bbox_crs(bbox, bbox_crs),
                        cql2.conjunction(expressions), parse_crs(crs))


QueryDep = Annotated[FeatureQuery, Depends(feature_query)]


def property_frame(frame: pd.DataFrame, level: AdminLevel) -> pd.DataFrame:
    """The properties of the features of one level, as the filters see them."""
    columns = [c for c in (*PROPERTIES[level], *CARRIED) if c in frame.columns]
    props = pd.DataFrame({c: frame[c] for c in columns}, index=frame.index)
    props["admin_level"] = level.value
    return props


def _level_scope(scope: dict, level: AdminLevel) -> dict:
    return {k: v for k, v in scope.items() if level is not AdminLevel.PROVINCE or k != "district_code"}


def run(store: Store, q: FeatureQuery, *, limit: int | None = None, offset: int = 0
        ) -> tuple[int, list[tuple[AdminLevel, gpd.GeoDataFrame]]]:
    """(numberMatched, [(level, frame)]) of a query, paged across levels when ``limit`` is given.
    Geometries are in CRS84."""
    matched, frames, skip, left = 0, [], offset, limit
    types = queryable_types(q.collection)
    for lv in q.levels:
        if not q.filtered and limit is not None:  # the store pages; no view beyond the page
            n = len(store.units(q.where.vintage.vintage_id, lv, geometry=False, **_level_scope(q.where.place_filters, lv)))
            frame = (_view(store, q.where, lv, q.rule, limit=left, offset=skip)
                     if left > 0 and skip < n else None)
        else:
            frame = _view(store, q.where, lv, q.rule, bbox=q.box)
            if q.expr is not None and len(frame):
                frame = frame[cql2.select(q.expr, property_frame(frame, lv), types)]
            n = len(frame)
            if limit is not None:
                frame = frame.iloc[skip:skip + left] if left > 0 else frame.iloc[0:0]
        matched += n
        if frame is not None and len(frame):
            frames.append((lv, frame))
            if left is not None:
                left -= len(frame)
        skip = max(0, skip - n)
    return matched, frames


def encode_features(frames: list[tuple[AdminLevel, gpd.GeoDataFrame]], crs: str, item_url: str | None = None):
    """GeoJSON features of the frames, geometries in ``crs``."""
    for lv, frame in frames:
        if crs != CRS84 and len(frame):
            frame = frame.copy()
            frame["geometry"] = to_crs(frame.geometry, crs).values
        for row in frame.itertuples(index=False):
            f = feature(row, lv)
            if item_url:
                f["links"] = [{"rel": "self", "type": HTML, "href": f"{item_url}/{row.code}?f=html"}]
            yield f


def _content_crs(crs: str) -> dict:
    return {"Content-Crs": f"<{crs}>"}


def _vintage_doc(v: Vintage) -> dict:
    return {"name": v.name, "valid_from": v.valid_from.isoformat(),
            "valid_to": v.valid_to.isoformat() if v.valid_to else None}


@router.get("/collections/{collectionId}/items", summary="Features of a collection (GeoJSON or HTML)")
def items(
    collectionId: str,
    request: Request,
    store: StoreDep,
    q: QueryDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="features per page")] = 100,
    offset: Annotated[int, Query(ge=0, description="features skipped")] = 0,
    f: FParam = None,
) -> Response:
    """Features of a collection for the boundaries asked (``datetime``, ``date``, ``vintage`` or
    ``year``), with the NTM status of ``year``, filtered and paged."""
    encoding = wants(request, f)
    matched, frames = run(store, q, limit=limit, offset=offset)
    url = request.url
    item_url = f"{_base(request)}/collections/{collectionId}/items"
    features = list(encode_features(frames, q.crs, item_url if encoding == "html" else None))
    links = [{"rel": "self", "type": GEOJSON if encoding == "json" else HTML, "href": str(url)},
             {"rel": "alternate", "type": HTML if encoding == "json" else GEOJSON,
              "href": str(url.include_query_params(f="html" if encoding == "json" else "json"))},
             {"rel": "collection", "type": JSON, "href": f"{_base(request)}/collections/{collectionId}"}]
    kind = GEOJSON if encoding == "json" else HTML
    if offset + limit < matched:
        links.append({"rel": "next", "type": kind, "title": "Trang sau / Next page",
                      "href": str(url.include_query_params(offset=offset + limit, limit=limit))})
    if offset > 0:
        links.append({"rel": "prev", "type": kind, "title": "Trang trước / Previous page",
                      "href": str(url.include_query_params(offset=max(0, offset - limit), limit=limit))})
    body = {"type": "FeatureCollection", "numberMatched": matched, "numberReturned": len(features),
            "timeStamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "links": links,
            "features": features, "vintage": _vintage_doc(q.where.vintage)}
    if encoding == "html":
        return HTMLResponse(ogc_html.items(body, COLLECTIONS[collectionId][1], _base(request)),
                            headers=_content_crs(q.crs))
    return JSONResponse(body, media_type=GEOJSON, headers=_content_crs(q.crs))


@router.get("/collections/{collectionId}/items/{featureId}", summary="One feature by the unit's code")
def item(collectionId: str, featureId: str, request: Request, store: StoreDep, q: QueryDep,
         f: FParam = None) -> Response:
    """One unit by the boundary source's code (same boundaries, year and crs parameters)."""
    encoding = wants(request, f)
    for lv in q.levels:
        frame = _view(store, q.where, lv, q.rule, codes=[featureId])
        if not frame.empty:
            doc = next(encode_features([(lv, frame)], q.crs))
            url = request.url
            doc["links"] = [
                {"rel": "self", "type": GEOJSON if encoding == "json" else HTML, "href": str(url)},
                {"rel": "alternate", "type": HTML if encoding == "json" else GEOJSON,
                 "href": str(url.include_query_params(f="html" if encoding == "json" else "json"))},
                {"rel": "collection", "type": JSON, "href": f"{_base(request)}/collections/{collectionId}"}]
            if encoding == "html":
                return HTMLResponse(ogc_html.item(doc, _base(request)), headers=_content_crs(q.crs))
            return JSONResponse(doc, media_type=GEOJSON, headers=_content_crs(q.crs))
    raise NotFoundError(f"no unit with code {featureId!r} in collection {collectionId!r} "
                        f"(boundaries {q.where.vintage.name})")


# -- the API definition (OpenAPI 3.0) ---------------------------------------------------------
def _to_30(node):
    """A FastAPI (OpenAPI 3.1 / JSON Schema 2020-12) fragment rewritten as OpenAPI 3.0."""
    if isinstance(node, list):
        return [_to_30(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: _to_30(v) for k, v in node.items()}
    for key in ("anyOf", "oneOf"):
        options = node.get(key)
        if isinstance(options, list) and {"type": "null"} in options:
            rest = [o for o in options if o != {"type": "null"}]
            del node[key]
            node["nullable"] = True
            if len(rest) == 1:
                node = {**rest[0], **node} if "$ref" not in rest[0] else {"allOf": rest, **node}
            elif rest:
                node[key] = rest
    if isinstance(node.get("type"), list):
        types = [t for t in node["type"] if t != "null"]
        if len(types) < len(node["type"]):
            node["nullable"] = True
        node["type"] = types[0] if len(types) == 1 else types
        if isinstance(node["type"], list):
            node.pop("type")
    if "const" in node:
        node["enum"] = [node.pop("const")]
    if "contentMediaType" in node:  # an uploaded file: 3.0 writes it as a binary string
        node.pop("contentMediaType")
        node["format"] = "binary"
    if isinstance(node.get("examples"), list):
        examples = node.pop("examples")
        if examples:
            node["example"] = examples[0]
    for bound, plain in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(node.get(bound), int | float) and not isinstance(node.get(bound), bool):
            node[plain] = node.pop(bound)
            node[bound] = True
    return node


def openapi30(app) -> dict:
    """The application's API definition as OpenAPI 3.0.3, with one items path per collection
    listing its queryables as query parameters (GDAL reads them to send filters to the server)."""
    doc = _to_30(copy.deepcopy(app.openapi()))
    doc["openapi"] = "3.0.3"
    paths = doc["paths"]
    root = paths.get("/", {}).get("get")
    if root:  # "/" also answers the landing page as JSON
        root.setdefault("responses", {}).setdefault("200", {"description": "OK"}).setdefault("content", {})[JSON] = {
            "schema": {"type": "object"}}
        root["description"] = ((root.get("description") or "") +
                               "\n\nWith f=json or Accept: application/json: the OGC API landing page.")
    generic = paths.get("/collections/{collectionId}/items", {}).get("get")
    if generic:
        for cid in COLLECTIONS:
            op = copy.deepcopy(generic)
            op["operationId"] = f"items_{cid}"
            op["summary"] = f"{COLLECTIONS[cid][1]}: features"
            op["parameters"] = [p for p in op.get("parameters", []) if p.get("in") != "path"]
            kinds = {"string": "string", "number": "number", "integer": "integer", "boolean": "boolean"}
            op["parameters"] += [{"name": name, "in": "query", "required": False, "style": "form", "explode": False,
                                  "description": f"features whose {name} equals this value",
                                  "schema": {"type": kinds[kind]}}
                                 for name, kind in queryable_types(cid).items()
                                 if name not in STANDARD_PARAMS]
            paths[f"/collections/{cid}/items"] = {"get": op}
    return doc


@router.get("/api", summary="The API definition (OpenAPI 3.0)", include_in_schema=True)
def api_definition(request: Request, f: FParam = None) -> Response:
    if wants(request, f) == "html":
        return RedirectResponse(f"{_base(request)}/docs")
    return Response(json.dumps(openapi30(request.app), ensure_ascii=False), media_type=OPENAPI30)
