"""Population per commune: the zonal sum of a population raster (any CRS) over the vintage's
partition, with cells cut by a border weighted by the share of their area on each side.

Cells no border touches go whole to the commune holding their centre; cells a border touches
are intersected exactly with the communes around them (area shares computed in the raster's
CRS, where the cell is a rectangle). The partition has no overlaps, so every person is counted
at most once; the people outside every commune are returned apart."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import rasterio
import rasterio.features
import rasterio.windows
import shapely
from rasterio.io import MemoryFile

from geo_ntm.domain import Layer, Vintage
from geo_ntm.errors import InputError
from geo_ntm.infrastructure.coverage import UNIT_FIELDS, align_to_units
from geo_ntm.infrastructure.layers import RASTER_STRIP_CELLS, raster_ceiling_error
from geo_ntm.infrastructure.partition import partition_cells
from geo_ntm.store import Store


def zonal_sums(geotiff: bytes, zones: gpd.GeoDataFrame) -> tuple[np.ndarray, float]:
    """People in each of ``zones`` (non-overlapping polygons, any CRS) and the people of the
    raster window around them that no zone holds. The window is read in strips of rows, so memory
    stays flat whatever the raster's size (cells are independent: the sums add up)."""
    with MemoryFile(geotiff) as memory, memory.open() as src:
        if not src.transform.is_rectilinear:
            raise InputError("rotated population rasters are not supported; warp it north-up first (gdalwarp)")
        refused = raster_ceiling_error("the population raster", src.width, src.height, src.block_shapes[0])
        if refused:
            raise InputError(refused)
        polys = np.asarray(zones.to_crs(src.crs).geometry.array)
        w = rasterio.windows.from_bounds(*shapely.total_bounds(polys), transform=src.transform)
        col0, row0 = max(0, int(np.floor(w.col_off))), max(0, int(np.floor(w.row_off)))
        col1 = min(src.width, int(np.ceil(w.col_off + w.width)))
        row1 = min(src.height, int(np.ceil(w.row_off + w.height)))
        if col1 <= col0 or row1 <= row0:  # the zones lie outside the raster
            return np.zeros(len(polys)), 0.0
        sums, outside = np.zeros(len(polys)), 0.0
        strip = max(1, RASTER_STRIP_CELLS // (col1 - col0))
        for row in range(row0, row1, strip):
            window = rasterio.windows.Window(col0, row, col1 - col0, min(strip, row1 - row))
            values = src.read(1, window=window, masked=True).filled(0).astype("float64")
            part, rest = _weighted_sums(values, src.window_transform(window), polys)
            sums += part
            outside += rest
    return sums, outside


def _weighted_sums(values: np.ndarray, transform, polys: np.ndarray) -> tuple[np.ndarray, float]:
    shape, n = values.shape, len(polys)
    owner = rasterio.features.rasterize(
        ((p, i + 1) for i, p in enumerate(polys) if not p.is_empty),
        out_shape=shape,
        transform=transform,
        fill=0,
        dtype="int32",
    )
    edge = rasterio.features.rasterize(
        ((shapely.boundary(p), 1) for p in polys if not p.is_empty),
        out_shape=shape,
        transform=transform,
        fill=0,
        all_touched=True,
        dtype="uint8",
    ).astype(bool)
    whole = (owner > 0) & ~edge
    sums = np.bincount(owner[whole] - 1, weights=values[whole], minlength=n).astype(float)
    rows, cols = np.nonzero(edge & (values != 0))
    if len(rows):
        x0, y0 = transform.c + transform.a * cols, transform.f + transform.e * rows  # north-up grid
        x1, y1 = x0 + transform.a, y0 + transform.e
        boxes = shapely.box(np.minimum(x0, x1), np.minimum(y0, y1), np.maximum(x0, x1), np.maximum(y0, y1))
        box_i, poly_j = shapely.STRtree(polys).query(boxes, predicate="intersects")
        share = shapely.area(shapely.intersection(boxes[box_i], polys[poly_j])) / shapely.area(boxes[box_i])
        sums += np.bincount(poly_j, weights=share * values[rows[box_i], cols[box_i]], minlength=n)
    return sums, float(values.sum() - sums.sum())


def population_coverage(
    store: Store, vintage: Vintage, layer: Layer, units: gpd.GeoDataFrame
) -> tuple[gpd.GeoDataFrame, dict]:
    """People per commune of ``units`` from a stored population raster, and totals."""
    cells = partition_cells(store, vintage, bbox=tuple(units.total_bounds))
    sums, _ = zonal_sums(store.layer_raster(layer.layer_id), cells)
    people = align_to_units(units, cells["unit_id"], sums)
    table = units[UNIT_FIELDS].assign(population=people, population_2009=units["population"])
    totals = {
        "communes": len(units),
        "population": float(people.sum()),
        "layer": layer.name,
        "layer_date": layer.valid_date.isoformat(),
        "vintage": vintage.name,
    }
    return gpd.GeoDataFrame(table, geometry=units.geometry, crs=units.crs), totals
