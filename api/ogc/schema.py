"""What a collection's features hold (OGC API - Features Part 3 and GDAL's field types):
``/collections/{collectionId}/queryables`` and ``/collections/{collectionId}/schema``, JSON Schemas
built from the collection's queryables."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from api.deps import StoreDep
from api.ogc import html
from api.ogc.catalog import today_default_year
from api.ogc.collections import registry
from api.ogc.media import GEOJSON, JSON, SCHEMA_JSON, FParam, accept_q, base_url, link, wants

router = APIRouter()
JSON_SCHEMA = "https://json-schema.org/draft/2020-12/schema"


def schema_media(request: Request) -> str:
    """The media type of a JSON Schema answer: ``application/schema+json``, unless the ``Accept``
    header rates ``application/json`` (or GeoJSON) above it. GDAL up to 3.6 asks the queryables
    with ``Accept: application/geo+json, application/json`` and refuses any other Content-Type
    (``ERROR 1: Unexpected Content-Type``) on every ``-where``."""
    accept = request.headers.get("accept", "")
    if not accept:
        return SCHEMA_JSON
    q_json = max(accept_q(accept, JSON), accept_q(accept, GEOJSON))
    return JSON if q_json > accept_q(accept, SCHEMA_JSON) else SCHEMA_JSON


@router.get("/collections/{collectionId}/queryables", summary="Queryable properties (JSON Schema)")
def queryables(collectionId: str, request: Request, f: FParam = None) -> Response:
    """The properties a filter may name, with their types; ``geometry`` is listed but not filterable."""
    collection = registry.collection(collectionId)
    url = f"{base_url(request)}/collections/{collectionId}"
    doc = {
        "$schema": JSON_SCHEMA,
        "$id": f"{url}/queryables",
        "type": "object",
        "title": f"{collection.title} — queryables",
        "properties": {name: {"type": q.type, "title": q.title} for name, q in collection.queryables.items()}
        | {"geometry": {"format": "geometry-multipolygon", "title": "Ranh giới / Boundary"}},
        "additionalProperties": False,
        "links": [link("self", SCHEMA_JSON, f"{url}/queryables"), link("collection", JSON, url)],
    }
    if wants(request, f) == "html":
        return HTMLResponse(html.queryables(doc, base_url(request)))
    return JSONResponse(doc, media_type=schema_media(request))


@router.get("/collections/{collectionId}/schema", summary="JSON Schema of the features (GeoJSON)")
def schema(collectionId: str, request: Request, store: StoreDep) -> Response:
    """The GeoJSON Feature schema of a collection, with typed properties (GDAL's OAPIF driver
    reads the field types from it); ``year`` carries as ``default`` the status year shown without
    ``year`` on today's boundaries, when they hold statuses."""
    collection = registry.collection(collectionId)
    props: dict[str, dict] = {name: {"type": q.type, "title": q.title} for name, q in collection.queryables.items()}
    default_year = today_default_year(request, store, collection)
    if "year" in props and default_year is not None:
        props["year"]["default"] = default_year
    props |= {
        name: {"type": "array", "items": {"type": "integer"}, "title": title}
        for name, title in collection.arrays.items()
    }
    doc = {
        "$schema": JSON_SCHEMA,
        "$id": f"{base_url(request)}/collections/{collectionId}/schema",
        "title": collection.title,
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": "string", "title": "Mã đơn vị / Unit code"},
            "geometry": {"type": "object", "title": "MultiPolygon"},
            "properties": {"type": "object", "properties": props},
        },
    }
    return JSONResponse(doc, media_type=schema_media(request))
