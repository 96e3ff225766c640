"""What lies within a distance of sources (water lines, supply points, facilities), commune by
commune, in metres.

- **Zones.** Partition cells are grouped by the UTM zone of their centroid
  (``geodesy.utm_epsg``) and each group is worked in that zone. A source is buffered there by D
  times the projection's scale factor at the source (UTM is conformal, so the buffer is D on the
  ground; UTM lengths are 0.9996 times the ground's on the central meridian, 1.001 at the edge),
  with ``QUAD_SEGS`` segments per quarter circle (the polygon's radius is at most 0.03% short).
- **Reach zones.** A cell's reach zone is the cell intersected with the union of the buffers
  that meet it (sources are buffered once per tile of ``BUFFER_TILE_DEG`` of cells; each cell's union
  is its own: small unions are cheap to build and to cut, as GEOS walks every vertex of both,
  and the zone does not depend on the other cells asked). Cells do not overlap, so neither do
  reach zones: nobody is counted twice, and the people in a cell's reach zone are at most the people of the cell.
- **Points** (households, facilities) go to the cell covering them (a point on a shared border:
  the first cell in code order); a point outside every cell goes to its nearest cell within
  ``clip.NEAREST_MAX_DEG`` (the rule for roads), else it is outside (-1).
- **Points within reach**: their distance to the nearest source, in the zone of their cell and
  scaled the same way, is at most D.
"""

from __future__ import annotations

import math
import threading

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Proj, Transformer

from geo_ntm.domain import Layer
from geo_ntm.errors import InputError
from geo_ntm.geometry import make_polygonal
from geo_ntm.infrastructure.clip import NEAREST_MAX_DEG, nearest_close_cell
from geo_ntm.infrastructure.coverage import align_to_units, share
from geo_ntm.infrastructure.geodesy import utm_epsg
from geo_ntm.infrastructure.partition import partition_cells
from geo_ntm.infrastructure.population import zonal_sums

#: The largest distance asked of a coverage question (100 km: beyond it "within reach" means nothing).
MAX_DISTANCE_M = 100_000.0
QUAD_SEGS = 32
#: Cells are grouped in tiles of this size by default (``cell_tiles``; the Dask engine's blocks).
TILE_DEG = 0.1
#: Sources are buffered once per tile of cells of this size (0.5°, 55 km), in the UTM zone of
#: the tile's cells; each cell then unions the buffers that meet it. The zones do not depend on
#: the tiling (the same polygons at 0.1°); larger tiles buffer fewer sources twice (0.1° tiles
#: buffered 1.5-1.9 times as many, and ``reach_zones`` took 12-29% longer).
BUFFER_TILE_DEG = 0.5
_METRES_PER_DEGREE = 111_320.0  # one degree of latitude, and of longitude at the equator (a little more)


def checked_distance(distance: float | None, what: str) -> float:
    """``distance`` in metres, refused when missing, negative or absurd."""
    if distance is None:
        raise InputError(f"{what} needs a distance in metres (--distance / distance=)")
    if not math.isfinite(distance) or not 0 <= distance <= MAX_DISTANCE_M:
        raise InputError(f"distance {distance:g} m is not usable: give metres between 0 and {MAX_DISTANCE_M:,.0f}")
    return float(distance)


def padded(bounds, metres: float = 0.0, degrees: float = 0.0) -> tuple[float, float, float, float]:
    """``bounds`` (lon/lat) grown by ``metres`` (in degrees of longitude at the box's highest
    latitude, the widest) plus ``degrees``."""
    minx, miny, maxx, maxy = bounds
    lat = min(max(abs(miny), abs(maxy)), 89.0)
    pad = metres / (_METRES_PER_DEGREE * math.cos(math.radians(lat))) * 1.01 + degrees
    return minx - pad, miny - pad, maxx + pad, maxy + pad


def cells_around(store, vintage, units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The partition cells of ``units`` (``in_scope``) and every cell that could be the nearest
    of a point within ``NEAREST_MAX_DEG`` of them."""
    first = partition_cells(store, vintage, bbox=padded(units.total_bounds, degrees=NEAREST_MAX_DEG))
    first = first.assign(in_scope=first["unit_id"].isin(units["unit_id"]).to_numpy())
    cells = partition_cells(store, vintage, bbox=padded(scope_bounds(first), degrees=2 * NEAREST_MAX_DEG))
    return cells.assign(in_scope=cells["unit_id"].isin(units["unit_id"]).to_numpy())


def scope_bounds(cells: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    """The bounds of the ``in_scope`` cells (a cell can reach beyond its commune's polygon: the
    partition gives it gaps and holes)."""
    return tuple(shapely.total_bounds(np.asarray(cells.geometry.array)[cells["in_scope"].to_numpy()]))


def read_around(store, layer, cells: gpd.GeoDataFrame, metres: float = 0.0) -> gpd.GeoDataFrame:
    """The features of a vector ``layer`` that could matter to the ``in_scope`` cells: those
    within ``metres`` (plus ``NEAREST_MAX_DEG``) of their box, so a commune's answer is the same
    whatever the scope asked."""
    return store.layer_features(layer.layer_id, bbox=padded(scope_bounds(cells), metres, NEAREST_MAX_DEG))


def near_scope(points: np.ndarray, cells: gpd.GeoDataFrame) -> np.ndarray:
    """Which ``points`` lie in the box ``read_around`` reads with no distance: those that may
    belong to the ``in_scope`` cells (the others matter only as sources within a distance)."""
    return shapely.intersects(shapely.box(*padded(scope_bounds(cells), degrees=NEAREST_MAX_DEG)), points)


class _Zone:
    """One UTM zone: lon/lat <-> metres, and the scale factor of the projection at points."""

    def __init__(self, epsg: int):
        crs = CRS.from_epsg(int(epsg))
        self._forward = Transformer.from_crs(4326, crs, always_xy=True)
        self._back = Transformer.from_crs(crs, 4326, always_xy=True)
        self._proj = Proj(crs)

    def to_metres(self, geoms: np.ndarray) -> np.ndarray:
        return shapely.transform(geoms, lambda xy: np.column_stack(self._forward.transform(xy[:, 0], xy[:, 1])))

    def to_lonlat(self, geoms: np.ndarray) -> np.ndarray:
        return shapely.transform(geoms, lambda xy: np.column_stack(self._back.transform(xy[:, 0], xy[:, 1])))

    def projected(self, metres: float, geoms: np.ndarray) -> np.ndarray:
        """``metres`` on the ground as a length in the projection, at each of ``geoms`` (lon/lat)."""
        xy = shapely.get_coordinates(shapely.centroid(geoms))
        return metres * np.asarray(self._proj.get_factors(xy[:, 0], xy[:, 1]).meridional_scale)


_zones = threading.local()  # each thread's ``_Zone`` per EPSG code


def _zone(epsg: int) -> _Zone:
    """The ``_Zone`` of ``epsg``, made once per thread (making one is a few milliseconds, and a
    national run asks for one per tile of cells)."""
    made = _zones.__dict__.setdefault("made", {})
    if epsg not in made:
        made[epsg] = _Zone(epsg)
    return made[epsg]


def cell_zones(cells: np.ndarray) -> np.ndarray:
    """The EPSG code of the UTM zone of each cell's centroid (0 for an empty cell)."""
    zones = np.zeros(len(cells), dtype=int)
    full = ~shapely.is_empty(cells)
    xy = shapely.get_coordinates(shapely.centroid(cells[full]))
    zones[full] = utm_epsg(xy[:, 0], xy[:, 1])
    return zones


def reach_zones(cells: np.ndarray, sources: np.ndarray, distance: float) -> np.ndarray:
    """Per cell (lon/lat polygons of a partition), the part within ``distance`` metres of
    ``sources`` (lon/lat lines or points): an empty polygon where none is near.

    A cell's zone is cut from the union of the buffers that meet it alone, taken in the order of
    their sources' WKB: it depends on the cell and its sources only, never on the other cells or
    sources asked with it, so any scope or engine gets the same polygon to the last bit (the
    zonal sums' coverage fractions are exact only to about 1e-8, so near-equal polygons would
    not do)."""
    reach = np.array([shapely.MultiPolygon()] * len(cells), dtype=object)
    if not len(sources) or not len(cells):
        return reach
    source_tree = shapely.STRtree(sources)
    for epsg, idx in cell_tiles(cells, BUFFER_TILE_DEG):
        near = source_tree.query(shapely.box(*padded(shapely.total_bounds(cells[idx]), distance)))
        if not len(near):
            continue
        near = near[np.argsort(shapely.to_wkb(sources[near]))]
        zone = _zone(epsg)
        buffers = shapely.buffer(
            zone.to_metres(sources[near]), zone.projected(distance, sources[near]), quad_segs=QUAD_SEGS
        )
        cell_i, buffer_j = shapely.STRtree(buffers).query(zone.to_metres(cells[idx]), predicate="intersects")
        order = np.lexsort((buffer_j, cell_i))
        cell_i, buffer_j = cell_i[order], buffer_j[order]
        first = np.flatnonzero(np.r_[True, np.diff(cell_i) > 0]) if len(cell_i) else np.zeros(0, dtype=int)
        unions = [shapely.union_all(buffers[group]) for group in np.split(buffer_j, first[1:])]
        met = idx[cell_i[first]]
        reach[met] = shapely.intersection(cells[met], _valid(zone.to_lonlat(np.array(unions, dtype=object))))
    odd = ~np.isin(shapely.get_type_id(reach), [3, 6])  # a touch along a border leaves lines or points
    reach[odd] = [make_polygonal(g) for g in reach[odd]]
    return reach


def _valid(polygons: np.ndarray) -> np.ndarray:
    """``polygons`` with those that are not valid repaired (``make_valid``): a union valid in
    metres can cross itself back in lon/lat where two of its edges pass within a rounding error
    of each other (seen once in 200,000 SYNTHETIC pipes nationally; GEOS then refuses to cut the
    cell). The valid ones are kept as they are, so zones stay the same to the last bit."""
    invalid = ~shapely.is_valid(polygons)
    polygons[invalid] = shapely.make_valid(polygons[invalid])
    return polygons


def cell_tiles(cells: np.ndarray, size: float = TILE_DEG) -> list[tuple[int, np.ndarray]]:
    """(EPSG code of the UTM zone, indices of the cells) per tile of ``size`` degrees of cell
    centroids (empty cells in none)."""
    zones = cell_zones(cells)
    full = np.flatnonzero(zones > 0)
    xy = shapely.get_coordinates(shapely.centroid(cells[full]))
    tiles = np.column_stack([zones[full], np.floor(xy / size).astype(int)])
    keys, group = np.unique(tiles, axis=0, return_inverse=True)
    return [(int(key[0]), full[group.ravel() == i]) for i, key in enumerate(keys)]


def assign_points(points: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """The index of the cell each point goes to (-1: outside every cell and not close to one)."""
    owner = np.full(len(points), -1)
    if not len(points) or not len(cells):
        return owner
    tree = shapely.STRtree(cells)
    point_i, cell_j = tree.query(points, predicate="intersects")
    order = np.lexsort((cell_j, point_i))  # the first cell in code order wins on a shared border
    point_i, first = np.unique(point_i[order], return_index=True)
    owner[point_i] = cell_j[order][first]
    rest = np.flatnonzero(owner < 0)
    owner[rest] = nearest_close_cell(points[rest], cells, tree)
    return owner


def points_within(points: np.ndarray, zones: np.ndarray, sources: np.ndarray, distance: float) -> np.ndarray:
    """Whether each point (lon/lat) is within ``distance`` metres of a source, measured in the
    UTM zone ``zones`` gives it (0: not measured, False)."""
    within = np.zeros(len(points), dtype=bool)
    if not len(sources):
        return within
    source_tree = shapely.STRtree(sources)
    for epsg in np.unique(zones[zones > 0]):
        idx = np.flatnonzero(zones == epsg)
        near = source_tree.query(shapely.box(*padded(shapely.total_bounds(points[idx]), distance)))
        if not len(near):
            continue
        zone = _zone(epsg)
        limit = zone.projected(distance, points[idx])
        (found, _), metres = shapely.STRtree(zone.to_metres(sources[near])).query_nearest(
            zone.to_metres(points[idx]), max_distance=max(limit.max(), 1e-6), return_distance=True, all_matches=False
        )
        within[idx[found]] = metres <= limit[found]
    return within


def population_within(
    raster: bytes, cells: np.ndarray, sources: np.ndarray, distance: float
) -> tuple[np.ndarray, np.ndarray]:
    """People per cell, and per cell the people within ``distance`` metres of ``sources`` (zonal
    sums of the raster over the cells and over their reach zones)."""
    if not len(cells):
        return np.zeros(0), np.zeros(0)
    people, _ = zonal_sums(raster, gpd.GeoDataFrame(geometry=cells, crs=4326))
    reach = reach_zones(cells, sources, distance)
    if shapely.is_empty(reach).all():
        return people, np.zeros(len(cells))
    reached, _ = zonal_sums(raster, gpd.GeoDataFrame(geometry=reach, crs=4326))
    return people, reached


def people_within(
    store, population: Layer, units: gpd.GeoDataFrame, cells: gpd.GeoDataFrame, sources: np.ndarray, distance: float
) -> tuple[dict, dict]:
    """Columns ``population``, ``population_within`` and ``population_within_share`` in the order
    of ``units`` (from ``population_within`` over the ``in_scope`` cells), and their totals."""
    scope = cells[cells["in_scope"]]
    people, reached = population_within(
        store.layer_raster(population.layer_id), np.asarray(scope.geometry.array), sources, distance
    )
    return people_columns(units, scope["unit_id"], people, reached)


def people_columns(units: gpd.GeoDataFrame, unit_ids, people: np.ndarray, reached: np.ndarray) -> tuple[dict, dict]:
    """``people_within``'s columns and totals from the people and the people within reach of the
    cells of ``unit_ids``."""
    cols = {
        "population": align_to_units(units, unit_ids, people),
        "population_within": align_to_units(units, unit_ids, reached),
    }
    cols["population_within_share"] = share(cols["population_within"], cols["population"])
    totals = {key: float(cols[key].sum()) for key in ("population", "population_within")}
    return cols, {**totals, "population_within_share": share(totals["population_within"], totals["population"])}
