"""OGC API - Tiles: vector tiles (Mapbox Vector Tiles) of the boundary collections with each
unit's NTM status, on the WebMercatorQuad tile matrix set.

- ``/tileMatrixSets`` and ``/tileMatrixSets/WebMercatorQuad``: the tile matrix set (its OGC
  definition, from ``morecantile``);
- ``/collections/{collectionId}/tiles``: the collection's tile sets (one, WebMercatorQuad);
- ``/collections/{collectionId}/tiles/WebMercatorQuad``: the tile set's metadata, with the tile
  URL template, zooms and layer (also as TileJSON 3.0 fields, for MapLibre);
- ``/collections/{collectionId}/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}``: one tile
  (OGC order: zoom, row = y, column = x). A tile holding no unit is ``204 No Content`` (the
  spec's /req/core/tc-error allows 204 or an empty tile); a zoom, row or column that is not an
  integer, or a zoom outside 0-14, is a 400, a row or column beyond the zoom's matrix a 404, both
  naming it. The first tile of a vintage starts (or joins) a background job generalising it
  (``api.background``): answered when it finishes within ``GEO_NTM_JOB_WAIT_SECONDS``, else
  ``202`` with the job's state and ``Location: /jobs/{id}``; the tile set's metadata starts it too.

The boundaries and status year are the items' (``year``, ``date``, ``vintage``); the shapes are the
vintage's generalisation of the tile's zoom band (``geo_ntm.tiles``)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Annotated, Any
from urllib.parse import urlencode

import morecantile
from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, Response

from api.background import JobState, accepted, finished_or_started, job_path
from api.caching import NOT_MODIFIED, Conditional
from api.deps import BoundariesDep, StoreDep
from api.jobs import Job
from api.ogc.collections import registry
from api.ogc.collections.base import Collection
from api.ogc.crs import CRS84
from api.ogc.features import _plain
from api.ogc.media import JSON, base_url, link
from geo_ntm.domain import AdminTier, Vintage
from geo_ntm.errors import NotFoundError
from geo_ntm.store import Store
from geo_ntm.store.mvt import Tile
from geo_ntm.tiles import MAX_ZOOM, MIN_ZOOM, ensure_generalised, vector_tile
from geo_ntm.where import Where

router = APIRouter()

MVT = "application/vnd.mapbox-vector-tile"
TMS_ID = "WebMercatorQuad"
TMS = morecantile.tms.get(TMS_ID)
REL_TILING_SCHEME = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"
REL_TILING_SCHEMES = "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes"
REL_TILESETS_VECTOR = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
]
#: The attributes of a tile's features (those the tier's view has): the unit, its status of the
#: year, its group; lists (criteria unmet ...) stay in the items, as MVT attributes are scalars.
TILE_PROPERTIES: Mapping[str, str] = {
    "code": "string",
    "name": "string",
    "unit_type": "string",
    "province_code": "string",
    "district_code": "string",
    "assessed": "boolean",
    "has_data": "boolean",
    "level": "string",
    "criteria_met": "integer",
    "criteria_total": "integer",
    "recognised_level": "string",
    "ntm_group": "integer",
    "share": "number",
}
_YEAR_PARAMS = ("year", "date", "vintage")


def has_tiles(collection: Collection) -> bool:
    """Whether a collection is served as tiles: one tier of units (not the mixed ``units``)."""
    return len(collection.tiers) == 1


def tiles_links(collection: Collection, url: str) -> list[dict]:
    """The link of a collection document (at ``url``) to its vector tile sets, if it has tiles."""
    return [link(REL_TILESETS_VECTOR, JSON, f"{url}/tiles", "Vector tiles")] if has_tiles(collection) else []


def _tiled(collection_id: str) -> Collection:
    """The collection of ``collection_id`` if it has tiles, else NotFoundError naming those that have."""
    collection = registry.collection(collection_id)
    tiled = [c.id for c in registry.served() if has_tiles(c)]
    if collection.id not in tiled:
        raise NotFoundError(f"collection {collection.id!r} has no tiles; tiles are served for {', '.join(tiled)}")
    return collection


def _tms(tms_id: str) -> None:
    if tms_id != TMS_ID:
        raise NotFoundError(f"no tile matrix set {tms_id!r}; tiles are served on {TMS_ID}")


def _query(request: Request) -> str:
    """The boundaries and year of the request (``year``, ``date``, ``vintage``) as a query string."""
    kept = [(k, v) for k, v in request.query_params.items() if k in _YEAR_PARAMS]
    return f"?{urlencode(kept)}" if kept else ""


def _tile_template(request: Request, collection: Collection) -> str:
    return f"{base_url(request)}/collections/{collection.id}/tiles/{TMS_ID}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}"


@router.get("/tileMatrixSets", summary="Tile matrix sets")
def tile_matrix_sets(request: Request) -> JSONResponse:
    """The tile matrix sets tiles are served on (WebMercatorQuad)."""
    url = f"{base_url(request)}/tileMatrixSets"
    return JSONResponse(
        {
            "tileMatrixSets": [
                {
                    "id": TMS_ID,
                    "title": TMS.title,
                    "uri": str(TMS.uri),
                    "links": [link("self", JSON, f"{url}/{TMS_ID}", TMS.title)],
                }
            ],
            "links": [link("self", JSON, url, "Tile matrix sets")],
        }
    )


@router.get("/tileMatrixSets/{tileMatrixSetId}", summary="One tile matrix set")
def tile_matrix_set(tileMatrixSetId: str) -> Response:
    """The OGC definition of a tile matrix set (Two Dimensional Tile Matrix Set 2.0, JSON)."""
    _tms(tileMatrixSetId)
    return Response(TMS.model_dump_json(exclude_none=True), media_type=JSON)


def _tileset_summary(request: Request, collection: Collection) -> dict:
    url = f"{base_url(request)}/collections/{collection.id}/tiles/{TMS_ID}"
    return {
        "title": f"{collection.title} ({TMS_ID})",
        "dataType": "vector",
        "crs": str(TMS.crs.root),
        "tileMatrixSetURI": str(TMS.uri),
        "links": [
            link("self", JSON, f"{url}{_query(request)}", "Tile set metadata"),
            link(REL_TILING_SCHEME, JSON, f"{base_url(request)}/tileMatrixSets/{TMS_ID}", TMS.title),
        ],
    }


@router.get("/collections/{collectionId}/tiles", summary="Tile sets of a collection")
def tilesets(collectionId: str, request: Request) -> JSONResponse:
    """The tile sets of a collection: vector tiles on WebMercatorQuad."""
    collection = _tiled(collectionId)
    url = f"{base_url(request)}/collections/{collection.id}/tiles"
    return JSONResponse(
        {"tilesets": [_tileset_summary(request, collection)], "links": [link("self", JSON, url, "Tile sets")]}
    )


@router.get(
    "/collections/{collectionId}/tiles/{tileMatrixSetId}",
    summary="Tile set metadata",
    dependencies=[Conditional],
    responses=NOT_MODIFIED,
)
def tileset(collectionId: str, tileMatrixSetId: str, request: Request, store: StoreDep, where: BoundariesDep) -> Any:
    """The tile set's metadata (OGC TileSet, with TileJSON 3.0 fields for MapLibre): the tile URL
    template, zooms, the layer and its attributes, the boundaries' bounds; ``generalised`` false
    and ``job`` (its state's path) while the boundaries' shapes are being made, which it starts."""
    collection = _tiled(collectionId)
    _tms(tileMatrixSetId)
    job = _generalising(request, store, where.vintage)  # so that the tiles are ready when asked
    summary = _tileset_summary(request, collection)
    template = _tile_template(request, collection)
    query = _query(request)
    bounds = _bounds(store, where)
    summary["links"].append(link("item", MVT, f"{template}{query}", "Vector tiles (Mapbox Vector Tile)"))
    summary["links"][-1]["templated"] = True
    layer = {
        "id": collection.id,
        "title": collection.title,
        "dataType": "vector",
        "geometryDimension": 2,
        "minTileMatrix": str(MIN_ZOOM),
        "maxTileMatrix": str(MAX_ZOOM),
        "propertiesSchema": {
            "type": "object",
            "properties": {name: {"type": kind} for name, kind in TILE_PROPERTIES.items()},
        },
    }
    tilejson = template.replace("{tileMatrix}", "{z}").replace("{tileRow}", "{y}").replace("{tileCol}", "{x}")
    return JSONResponse(
        {
            **summary,
            "boundaries": {"name": where.vintage.name, "valid_from": where.vintage.valid_from.isoformat()},
            "year": where.year,
            "generalised": job is None,
            **({"job": job_path(request, job)} if job is not None else {}),
            "layers": [layer],
            "boundingBox": {"lowerLeft": list(bounds[:2]), "upperRight": list(bounds[2:]), "crs": CRS84},
            "tilejson": "3.0.0",
            "tiles": [f"{tilejson}{query}"],
            "minzoom": MIN_ZOOM,
            "maxzoom": MAX_ZOOM,
            "bounds": list(bounds),
            "vector_layers": [
                {"id": collection.id, "minzoom": MIN_ZOOM, "maxzoom": MAX_ZOOM, "fields": dict(TILE_PROPERTIES)}
            ],
        }
    )


def _bounds(store: Store, where: Where) -> tuple[float, float, float, float]:
    """The CRS84 box of the boundaries' provinces."""
    box = store.units(where.vintage.vintage_id, AdminTier.PROVINCE).total_bounds
    if any(math.isnan(v) for v in box):
        return (-180.0, -85.0511, 180.0, 85.0511)
    return tuple(round(float(v), 5) for v in box)  # type: ignore[return-value]


def _within(name: str, value: int, z: int) -> int:
    """A tile row or column of zoom ``z``, checked against the matrix: NotFoundError (404) outside it."""
    if value >= 2**z:
        raise NotFoundError(f"{name} {value} is outside {TMS_ID} at tileMatrix {z}: {name} runs from 0 to {2**z - 1}")
    return value


ZoomPath = Annotated[int, Path(ge=MIN_ZOOM, le=MAX_ZOOM, description=f"zoom, {MIN_ZOOM} to {MAX_ZOOM}")]
RowPath = Annotated[int, Path(ge=0, description="tile row (y), from the north: 0 to 2^tileMatrix - 1")]
ColPath = Annotated[int, Path(ge=0, description="tile column (x), from the west: 0 to 2^tileMatrix - 1")]


@router.get(
    "/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}",
    summary="One vector tile (Mapbox Vector Tile)",
    response_class=Response,
    dependencies=[Conditional],
    responses={
        **NOT_MODIFIED,
        200: {"content": {MVT: {}}, "description": "The tile"},
        202: {"model": JobState, "description": "The boundaries are being generalised (once): the job's state"},
        204: {"description": "No unit in the tile"},
    },
)
def tile(
    collectionId: str,
    tileMatrixSetId: str,
    tileMatrix: ZoomPath,
    tileRow: RowPath,
    tileCol: ColPath,
    request: Request,
    store: StoreDep,
    where: BoundariesDep,
) -> Response:
    """One tile of a collection: its units in the tile with their status of ``year`` (one layer
    named after the collection); 204 when the tile holds none."""
    collection = _tiled(collectionId)
    _tms(tileMatrixSetId)
    z = tileMatrix
    y, x = _within("tileRow", tileRow, z), _within("tileCol", tileCol, z)
    job = _generalising(request, store, where.vintage)
    if job is not None:
        return accepted(request, job)
    tier = collection.tiers[0]
    body = vector_tile(store, where.vintage, tier, Tile(z, x, y), collection.id, _properties(store, collection, where))
    if not body:
        return Response(status_code=204)
    return Response(body, media_type=MVT)


def generalise_job(store: Store, vintage: Vintage) -> None:
    """Generalise ``vintage`` for the tiles and store the shapes (a background job)."""
    ensure_generalised(store, vintage)


def _generalising(request: Request, store: Store, vintage: Vintage) -> Job | None:
    """None when ``vintage`` is generalised (within ``GEO_NTM_JOB_WAIT_SECONDS`` of a job started
    or joined now if it was not), else the job still generalising it."""
    if store.generalisation(vintage.vintage_id) is not None:
        return None
    key = f"generalise {vintage.vintage_id} {vintage.name}"
    return finished_or_started(request, store, key, generalise_job, (vintage,))


def _properties(store: Store, collection: Collection, where: Where) -> Callable[[list[str]], dict[str, dict]]:
    """The tile attributes of the units of ``collection`` by code, for the codes asked."""
    tier = collection.tiers[0]

    def of(codes: list[str]) -> dict[str, dict]:
        carried = tier is AdminTier.COMMUNE and not where.own_boundaries  # carrying needs the geometries
        frame = collection.frame(store, where, tier, codes=codes, geometry=carried)
        columns = [c for c in TILE_PROPERTIES if c in frame.columns]
        return {str(row["code"]): {c: _plain(row[c]) for c in columns} for row in frame[columns].to_dict("records")}

    return of
