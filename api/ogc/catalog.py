"""The collections' metadata: ``/collections`` and ``/collections/{collectionId}`` (title, extent,
CRSs, default status year, links to the items, queryables, schema and downloads), JSON or HTML;
and the status years stored (``status_years``), from which each collection's default year comes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from api.caching import NOT_MODIFIED, Conditional
from api.deps import StoreDep
from api.download_formats import FORMATS
from api.ogc import html, media
from api.ogc.collections import registry
from api.ogc.collections.base import Collection, Extent, StatusYears, default_year_text
from api.ogc.crs import CRS84, SUPPORTED_CRS
from api.ogc.media import FParam, base_url, encodings, link, twin_links, wants
from api.ogc.tiles import tiles_links
from geo_ntm.errors import NotFoundError
from geo_ntm.store import Store

router = APIRouter()
_EXTENTS_LOCK = threading.Lock()
_YEARS_LOCK = threading.Lock()


@dataclasses.dataclass(frozen=True)
class _KeptYears:
    version: int
    years: StatusYears


def status_years(request: Request, store: Store) -> StatusYears:
    """The status years of the request's store (``StatusYears``), read once per data version (any
    write raises it) and kept on the application (one store per application)."""
    version = store.data_version().number
    with _YEARS_LOCK:
        kept: _KeptYears | None = getattr(request.app.state, "ogc_status_years", None)
    if kept is None or kept.version != version:
        kept = _KeptYears(version, StatusYears.of(store))
        with _YEARS_LOCK:
            request.app.state.ogc_status_years = kept
    return kept.years


def today_default_year(request: Request, store: Store, collection: Collection) -> int | None:
    """The year a collection shows without ``year`` on today's boundaries and the whole country
    (None when no boundaries are stored or none of today's hold statuses)."""
    try:
        today = store.vintage_on(dt.date.today())
    except NotFoundError:
        return None
    return collection.default_year(status_years(request, store), today)


def cached_extent(request: Request, store: Store, collection: Collection) -> Extent:
    """A collection's own extent on the request's store: the union of its extent on each stored
    vintage, each computed once and kept on the application (one store per application) under the
    collection's id and the vintage's id, so adding boundaries computes the new vintage's only."""
    vintages = store.vintages()
    with _EXTENTS_LOCK:
        extents = getattr(request.app.state, "ogc_extents", None)
        if extents is None:
            extents = request.app.state.ogc_extents = {}
        known: dict[tuple[str, int], Extent] = dict(extents)
    found = []
    for v in vintages:  # two first requests may both compute one: the same value either way
        key = (collection.id, v.vintage_id)
        if key not in known:
            extents[key] = known[key] = collection.extent(store, v)
        found.append(known[key])
    return Extent.union(found)


def _links(url: str) -> list[dict]:
    """The links of a collection document: itself, its items, queryables, schema and downloads."""
    return [
        *encodings(url, "collection"),
        link("items", media.GEOJSON, f"{url}/items", "Features (GeoJSON)"),
        link("items", media.HTML, f"{url}/items?f=html", "Features (HTML)"),
        *twin_links((media.REL_QUERYABLES, "queryables"), media.SCHEMA_JSON, f"{url}/queryables", "Queryables"),
        # GDAL up to 3.6 (Debian 12, QGIS 3.22) reads the schema only under "describedBy", compared
        # case-sensitively; without it, it types the fields from the first page (nulls: String)
        *twin_links(("describedby", "describedBy"), media.SCHEMA_JSON, f"{url}/schema", "Schema of the features"),
        *(
            link("enclosure", media, f"{url}/download?format={fmt}", f"Download ({fmt})")
            for fmt, (media, _) in FORMATS.items()
        ),
    ]


def collection_document(request: Request, store: Store, collection: Collection) -> dict:
    """One collection as OGC API - Features describes it (the whole world when no boundaries are stored)."""
    extent = cached_extent(request, store, collection)
    start = extent.start.isoformat() + "T00:00:00Z" if extent.start else None
    default_year = today_default_year(request, store, collection)
    return {
        "id": collection.id,
        "title": collection.title,
        "description": f"{collection.description} {default_year_text(default_year)}",
        # not an OGC member: the status year shown without `year` on today's boundaries (None: none)
        "defaultYear": default_year,
        "itemType": "feature",
        "extent": {
            "spatial": {"bbox": [list(extent.bbox) if extent.bbox else [-180, -90, 180, 90]], "crs": CRS84},
            "temporal": {"interval": [[start, None]], "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"},
        },
        "crs": SUPPORTED_CRS,
        "storageCrs": CRS84,
        "links": [*_links(url := f"{base_url(request)}/collections/{collection.id}"), *tiles_links(collection, url)],
    }


@router.get("/collections", summary="The feature collections", dependencies=[Conditional], responses=NOT_MODIFIED)
def collections(request: Request, store: StoreDep, f: FParam = None) -> Response:
    """Every collection served, in the registry's order."""
    base = base_url(request)
    doc = {
        "links": encodings(f"{base}/collections"),
        "collections": [collection_document(request, store, c) for c in registry.served()],
        "crs": SUPPORTED_CRS,
    }
    if wants(request, f) == "html":
        return HTMLResponse(html.collections(doc, base))
    return JSONResponse(doc)


@router.get(
    "/collections/{collectionId}",
    summary="One collection: extent, CRSs, links",
    dependencies=[Conditional],
    responses=NOT_MODIFIED,
)
def collection(collectionId: str, request: Request, store: StoreDep, f: FParam = None) -> Response:
    """One collection's document (404 for an id not served)."""
    doc = collection_document(request, store, registry.collection(collectionId))
    if wants(request, f) == "html":
        return HTMLResponse(html.collection(doc, base_url(request)))
    return JSONResponse(doc)
