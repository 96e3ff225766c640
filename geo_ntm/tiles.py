"""Vector tiles of a vintage's units: the zoom bands, the generalisation of the units per band, and
one tile of a tier.

Tiles must not open slivers or gaps between neighbours at any zoom, so the units are never
simplified one by one. Each vintage is generalised once (``ensure_generalised``) and stored:

1. the communes' clean partition (``geo_ntm.infrastructure.partition``: overlaps and gaps of the
   source removed, shared borders identical), built once per vintage and shared with the
   infrastructure figures;
2. for each zoom band, ``shapely.coverage_simplify`` (GEOS >= 3.12) simplifies the whole
   partition as one coverage in EPSG:3857, to about one screen pixel at the band's finest zoom:
   a shared border is simplified once, so both neighbours keep the same edge;
3. districts and provinces are the unions (``coverage_union_all``) of their simplified communes,
   so an outline and the communes inside it agree exactly at every zoom. A district or province
   with no commune in the vintage (a file of one province's communes with every province) keeps
   its own polygon, simplified alone.

Tiles then clip the stored shapes (PostGIS ``ST_AsMVT``, the GeoPackage ``mapbox-vector-tile``):
both backends serve the same shapes."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from geo_ntm.domain import AdminTier, Vintage
from geo_ntm.geometry import as_multipolygon, make_polygonal
from geo_ntm.infrastructure.partition import partition_cells
from geo_ntm.store import Store
from geo_ntm.store.mvt import ORIGIN, Tile

log = logging.getLogger(__name__)

#: The zooms tiles are served at (WebMercatorQuad tile matrices); clients overzoom beyond.
MIN_ZOOM, MAX_ZOOM = 0, 14
_TO_MERCATOR = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
_TO_LONLAT = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)
_BUILDING = threading.Lock()  # one generalisation at a time in a process


def pixel_metres(z: int) -> float:
    """The size of one screen pixel of a 256-pixel tile at zoom ``z``, in EPSG:3857 metres."""
    return 2 * ORIGIN / 256 / 2**z


@dataclass(frozen=True)
class ZoomBand:
    """Zooms ``min_zoom``..``max_zoom`` served from one generalisation, simplified with
    ``tolerance`` EPSG:3857 metres (0: the clean partition as it is)."""

    band: int
    min_zoom: int
    max_zoom: int
    tolerance: float


#: One screen pixel at each band's finest zoom: below what a reader sees there.
BANDS = (
    ZoomBand(0, 0, 5, pixel_metres(5)),
    ZoomBand(1, 6, 7, pixel_metres(7)),
    ZoomBand(2, 8, 9, pixel_metres(9)),
    ZoomBand(3, 10, 11, pixel_metres(11)),
    ZoomBand(4, 12, MAX_ZOOM, 0.0),
)


def band_of(z: int) -> ZoomBand:
    """The zoom band serving zoom ``z`` (``MIN_ZOOM``..``MAX_ZOOM``)."""
    return next(b for b in BANDS if b.min_zoom <= z <= b.max_zoom)


def _to(transformer: Transformer, geoms: np.ndarray) -> np.ndarray:
    return shapely.transform(geoms, transformer.transform, interleaved=False)


def _multi(geoms: np.ndarray) -> np.ndarray:
    return np.array(
        [as_multipolygon(g) if g.geom_type in ("Polygon", "MultiPolygon") else make_polygonal(g) for g in geoms],
        dtype=object,
    )


def generalise(
    cells: gpd.GeoDataFrame, communes: pd.DataFrame, parents: dict[AdminTier, gpd.GeoDataFrame]
) -> tuple[gpd.GeoDataFrame, dict]:
    """The generalised shapes (``unit_id``, ``tier``, ``band``, ``geometry`` in EPSG:4326) of every
    band: of the partition ``cells`` (``unit_id``, ``geometry``) of the communes (``unit_id``,
    ``province_code``, ``district_code``), and of the ``parents`` (district and province units with
    ``unit_id``, ``code``, ``geometry``) as unions of their communes; and a report of the build."""
    started = time.perf_counter()
    cells = cells[~cells.geometry.is_empty].reset_index(drop=True)
    parent_of = communes.set_index("unit_id")
    mercator = _to(_TO_MERCATOR, cells.geometry.to_numpy())
    frames, vertices = [], {}
    for band in BANDS:
        shapes = shapely.coverage_simplify(mercator, band.tolerance) if band.tolerance else mercator
        pieces = [(cells["unit_id"].to_numpy(), AdminTier.COMMUNE, shapes)]
        for tier, units in parents.items():
            column = f"{tier.value}_code"
            owner = parent_of.loc[cells["unit_id"], column].to_numpy()
            known = set(units["code"])
            unions = {
                code: shapely.coverage_union_all(shapes[owner == code]) for code in pd.unique(owner) if code in known
            }
            own = units[~units["code"].isin(list(unions))]
            alone = _to(_TO_MERCATOR, own.geometry.to_numpy())
            if band.tolerance and len(alone):
                alone = shapely.simplify(alone, band.tolerance, preserve_topology=False)
            ids = units.set_index("code").loc[list(unions), "unit_id"].to_numpy() if unions else np.array([], int)
            pieces.append((ids, tier, np.array(list(unions.values()), dtype=object)))
            pieces.append((own["unit_id"].to_numpy(), tier, alone))
        for ids, tier, geoms in pieces:
            kept = ~shapely.is_empty(geoms) if len(geoms) else np.array([], bool)
            if kept.any():
                frames.append(
                    gpd.GeoDataFrame(
                        {"unit_id": ids[kept], "tier": tier.value, "band": band.band},
                        geometry=gpd.GeoSeries(_multi(_to(_TO_LONLAT, geoms[kept])), crs="EPSG:4326"),
                    )
                )
        vertices[band.band] = int(shapely.get_num_coordinates(shapes).sum())
    shapes = pd.concat(frames, ignore_index=True)
    report = {
        "method": "shapely.coverage_simplify of the commune partition per zoom band (EPSG:3857); "
        "districts and provinces as unions of their simplified communes",
        "bands": [
            {
                "band": b.band,
                "zooms": [b.min_zoom, b.max_zoom],
                "tolerance_m": round(b.tolerance, 1),
                "commune_vertices": vertices[b.band],
            }
            for b in BANDS
        ],
        "communes": len(cells),
        "seconds": round(time.perf_counter() - started, 1),
    }
    return gpd.GeoDataFrame(shapes, geometry="geometry", crs="EPSG:4326"), report


def ensure_generalised(store: Store, vintage: Vintage) -> None:
    """Generalise ``vintage`` and store the shapes, unless done before (its commune partition is
    built and stored first when missing). Takes seconds to a minute for a national vintage, once."""
    if store.generalisation(vintage.vintage_id) is not None:
        return
    with _BUILDING:
        if store.generalisation(vintage.vintage_id) is not None:
            return
        communes = store.units(vintage.vintage_id, AdminTier.COMMUNE, geometry=False)
        parents = {
            tier: store.units(vintage.vintage_id, tier)[["unit_id", "code", "geometry"]]
            for tier in (AdminTier.DISTRICT, AdminTier.PROVINCE)
        }
        if communes.empty:
            cells = gpd.GeoDataFrame({"unit_id": []}, geometry=gpd.GeoSeries([], crs="EPSG:4326"))
        else:
            cells = partition_cells(store, vintage)
        log.info("generalising vintage %s for vector tiles (once per vintage)", vintage.name)
        shapes, report = generalise(cells, communes[["unit_id", "province_code", "district_code"]], parents)
        log.info("generalised: %s", report)
        store.add_generalised(vintage.vintage_id, shapes, report)


def vector_tile(
    store: Store,
    vintage: Vintage,
    tier: AdminTier,
    tile: Tile,
    layer: str,
    properties: Callable[[list[str]], Mapping[str, Mapping]],
) -> bytes:
    """The Mapbox Vector Tile of ``tier``'s units of ``vintage`` in ``tile`` (zoom ``MIN_ZOOM``..
    ``MAX_ZOOM``), from the generalised shapes of its zoom band (built on first use), with the
    properties ``properties`` gives for the codes in the tile; b'' when the tile holds no unit."""
    ensure_generalised(store, vintage)
    return store.vector_tile(vintage.vintage_id, tier, band_of(tile.z).band, tile, layer, properties)
