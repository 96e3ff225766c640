"""The features of a collection: ``/collections/{collectionId}/items`` (paged, GeoJSON or HTML)
and ``/collections/{collectionId}/items/{featureId}`` (one unit by its code). Both answer their
``self``, ``alternate``, paging, collection and queryables links in a ``Link`` header too (RFC 8288)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from api.caching import NOT_MODIFIED, Conditional
from api.deps import StoreDep
from api.ogc import html
from api.ogc.crs import content_crs
from api.ogc.features import encode_features, encode_features_orjson, vintage_document
from api.ogc.media import GEOJSON, HTML, REL_QUERYABLES, SCHEMA_JSON, FParam, base_url, link, self_links, wants
from api.ogc.query import QueryDep, run
from geo_ntm.errors import NotFoundError

router = APIRouter()
MAX_LIMIT = 10_000


#: Link relations sent in the ``Link`` header as well as in the body.
HEADER_RELS = ("self", "alternate", "next", "prev", "collection")


def _queryables_link(collection_url: str) -> dict:
    """The link to the collection's queryables, which OGC API - Features Part 3 asks of a
    filterable resource's ``Link`` header."""
    return link(REL_QUERYABLES, SCHEMA_JSON, f"{collection_url}/queryables")


def link_header(links: list[dict]) -> dict[str, str]:
    """The ``Link`` header of a response's ``HEADER_RELS`` and queryables links (RFC 8288), with the
    commas and semicolons of their URLs percent-encoded so that clients splitting the header on them
    read it."""
    parts = []
    for item in links:
        if item["rel"] in (*HEADER_RELS, REL_QUERYABLES):
            target = item["href"].replace(",", "%2C").replace(";", "%3B")
            parts.append(f'<{target}>; rel="{item["rel"]}"; type="{item["type"]}"')
    return {"Link": ", ".join(parts)} if parts else {}


def _page_links(request: Request, kind: str, matched: int, limit: int, offset: int) -> list[dict]:
    """``next`` and ``prev`` links of a page, when there is such a page."""
    url = request.url
    links = []
    if offset + limit < matched:
        links.append(
            link(
                "next", kind, str(url.include_query_params(offset=offset + limit, limit=limit)), "Trang sau / Next page"
            )
        )
    if offset > 0:
        links.append(
            link(
                "prev",
                kind,
                str(url.include_query_params(offset=max(0, offset - limit), limit=limit)),
                "Trang trước / Previous page",
            )
        )
    return links


@router.get(
    "/collections/{collectionId}/items",
    summary="Features of a collection (GeoJSON or HTML)",
    dependencies=[Conditional],
    responses=NOT_MODIFIED,
)
def items(
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
    collection_url = f"{base_url(request)}/collections/{q.collection.id}"
    if encoding == "html":
        features = list(encode_features(frames, q.crs, f"{collection_url}/items"))
    else:
        features = encode_features_orjson(frames, q.crs)
    links = self_links(request, encoding, collection_url)
    links += _page_links(request, GEOJSON if encoding == "json" else HTML, matched, limit, offset)
    body = {
        "type": "FeatureCollection",
        "numberMatched": matched,
        "numberReturned": len(features),
        "timeStamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "links": links,
        "features": features,
        "vintage": None if q.empty else vintage_document(q.where.vintage),
    }
    headers = content_crs(q.crs) | link_header([*links, _queryables_link(collection_url)])
    if encoding == "html":
        return HTMLResponse(html.items(body, q.collection.title, base_url(request)), headers=headers)
    return Response(orjson.dumps(body), media_type=GEOJSON, headers=headers)


@router.get(
    "/collections/{collectionId}/items/{featureId}",
    summary="One feature by the unit's code",
    dependencies=[Conditional],
    responses=NOT_MODIFIED,
)
def item(featureId: str, request: Request, store: StoreDep, q: QueryDep, f: FParam = None) -> Response:
    """One unit by the boundary source's code (same boundaries, year and crs parameters)."""
    encoding = wants(request, f)
    if q.empty:
        raise NotFoundError(f"no unit with code {featureId!r}: no boundaries were in force at the datetime asked")
    found = q.collection.feature(store, q.selection, featureId)
    if found is None:
        raise NotFoundError(
            f"no unit with code {featureId!r} in collection {q.collection.id!r} (boundaries {q.where.vintage.name})"
        )
    doc = next(encode_features([found], q.crs))
    doc["links"] = self_links(request, encoding, f"{base_url(request)}/collections/{q.collection.id}")
    headers = content_crs(q.crs) | link_header(doc["links"])
    if encoding == "html":
        return HTMLResponse(html.item(doc, base_url(request)), headers=headers)
    return JSONResponse(doc, media_type=GEOJSON, headers=headers)
