"""The entry points of OGC API - Features: the landing page and the conformance classes.

``/`` stays the planner's HTML page; its JSON landing page is served when ``f=json`` or an
``Accept`` header preferring JSON asks for it (GDAL sends ``Accept: application/json``), and an
HTML landing page with the OGC links at ``/?f=html`` (the ``LandingPage`` middleware)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from api.errors import error_response
from api.ogc import html, media, tiles
from api.ogc.media import FParam, base_url, encodings, link, names_html, twin_links, wants
from api.ogc.query import refuse_unknown
from geo_ntm.errors import InputError

router = APIRouter()

#: The CQL2 1.0 classes the filters pass (``geo_ntm.filters``; each tested on both stores in
#: ``tests/api/ogc/test_cql2_conformance.py``).
CQL2_CONFORMANCE = [
    f"http://www.opengis.net/spec/cql2/1.0/conf/{name}"
    for name in (
        "basic-cql2",
        "cql2-text",
        "cql2-json",
        "advanced-comparison-operators",
        "case-insensitive-comparison",
        "accent-insensitive-comparison",
        "basic-spatial-functions",
        "basic-spatial-functions-plus",
        "spatial-functions",
    )
]
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
    *CQL2_CONFORMANCE,
    *tiles.CONFORMANCE,
]


def landing_document(base: str) -> dict:
    """The landing page: what the service is, and links to its definition, conformance and collections."""
    return {
        "title": "geo_ntm — Bản đồ nông thôn mới / New Rural Development maps",
        "description": (
            "Ranh giới hành chính và kết quả xây dựng nông thôn mới theo xã, theo OGC API - Features. "
            "Administrative units of Vietnam with each commune's NTM criteria status, served as OGC API "
            "- Features (GeoJSON, HTML; CRS84, WGS 84 and VN-2000; CQL2 filters) with downloads."
        ),
        "links": [
            *encodings(f"{base}/", "document"),
            link("service-desc", media.OPENAPI30, f"{base}/api", "API definition (OpenAPI 3.0)"),
            link("service-doc", media.HTML, f"{base}/docs", "API documentation"),
            *twin_links(
                ("conformance", media.REL_CONFORMANCE), media.JSON, f"{base}/conformance", "Conformance classes"
            ),
            *twin_links(("data", media.REL_DATA), media.JSON, f"{base}/collections", "Collections"),
            link(tiles.REL_TILING_SCHEMES, media.JSON, f"{base}/tileMatrixSets", "Tile matrix sets (vector tiles)"),
            link("alternate", media.HTML, f"{base}/planner", "Bản đồ / The planner's map page"),
        ],
    }


class LandingPage:
    """ASGI middleware answering ``GET /`` with the OGC landing page when JSON is asked (``f=json``,
    an Accept header preferring JSON, or one that does not name HTML: ``*/*`` from a program such
    as OWSLib, or none) or ``f=html``; browsers (their Accept names HTML) go on to the planner's page."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"] == "/" and scope["method"] in ("GET", "HEAD"):
            request = Request(scope)
            f = request.query_params.get("f")
            program = not names_html(request.headers.get("accept", ""))
            if f in ("json", "html") or (f is None and (program or wants(request, None, default="page") == "json")):
                doc = landing_document(base_url(request))
                response: Response
                try:
                    refuse_unknown(request.query_params.keys(), ("f",))
                    response = HTMLResponse(html.landing(doc, base_url(request))) if f == "html" else JSONResponse(doc)
                except InputError as exc:
                    response = error_response(400, "InvalidParameterValue", str(exc))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


@router.get("/conformance", summary="Conformance classes")
def conformance(request: Request, f: FParam = None) -> Response:
    """The conformance classes the service implements (Features Parts 1, 2 and 3, CQL2 text; Tiles)."""
    base = base_url(request)
    doc = {"conformsTo": CONFORMANCE, "links": encodings(f"{base}/conformance")}
    if wants(request, f) == "html":
        return HTMLResponse(html.conformance(doc, base))
    return JSONResponse(doc)
