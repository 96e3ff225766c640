"""Population per commune: the zonal sum of a population raster (any CRS) over the vintage's
partition, with cells cut by a border weighted by the share of their area on each side.

Each cell counts in a zone by the share of its area inside it, computed exactly in the raster's
CRS (where the cell is a rectangle) by exactextract's coverage fractions (C++; cells no border
touches count whole). The partition has no overlaps, so every person is counted
at most once; the people outside every commune are returned apart."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import rasterio
import rasterio.windows
import shapely
from exactextract import exact_extract
from exactextract.feature import Feature, FeatureSource
from exactextract.raster import RasterioRasterSource
from rasterio.io import MemoryFile

from geo_ntm.domain import Layer, Vintage
from geo_ntm.errors import InputError
from geo_ntm.infrastructure.coverage import UNIT_FIELDS, align_to_units
from geo_ntm.infrastructure.layers import RASTER_STRIP_CELLS, raster_ceiling_error
from geo_ntm.infrastructure.partition import partition_cells
from geo_ntm.store import Store


def zonal_sums(geotiff: bytes, zones: gpd.GeoDataFrame) -> tuple[np.ndarray, float]:
    """People in each of ``zones`` (non-overlapping polygons, any CRS) and the people of the
    raster window around them that no zone holds. exactextract reads each zone's own window of
    the raster, on the grid of the whole raster (a zone's sum does not depend on the other zones
    asked with it); the window total is read in strips of rows, so memory stays flat whatever the
    raster's size."""
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
        total, strip = 0.0, max(1, RASTER_STRIP_CELLS // (col1 - col0))
        for row in range(row0, row1, strip):
            window = rasterio.windows.Window(col0, row, col1 - col0, min(strip, row1 - row))
            total += float(src.read(1, window=window, masked=True).filled(0).astype("float64").sum())
        sums = np.zeros(len(polys))
        found = _Zones(polys)
        if found.count():
            table = exact_extract(RasterioRasterSource(src), found, ["sum"], include_cols=["index"], output="pandas")
            sums[table["index"].to_numpy(dtype=int)] = table["sum"].to_numpy(dtype=float)
    return sums, total - float(sums.sum())


class _Zone(Feature):
    """One zone handed to exactextract: its index and its WKB."""

    def __init__(self, index: int, wkb: bytes):
        Feature.__init__(self)
        self.index, self.wkb = index, wkb

    def geometry(self) -> bytes:
        return self.wkb

    def set_geometry_format(self) -> str:
        return "wkb"

    def get(self, name: str) -> int:
        return self.index

    def fields(self) -> list[str]:
        return ["index"]


class _Zones(FeatureSource):
    """The non-empty zones of an array of polygons, as exactextract reads them (WKB: no GeoJSON
    built in Python)."""

    def __init__(self, polys: np.ndarray):
        super().__init__()
        self.kept = np.flatnonzero(~shapely.is_empty(polys))
        self.wkb = shapely.to_wkb(polys[self.kept])

    def count(self) -> int:
        return len(self.kept)

    def __iter__(self):
        for i, wkb in zip(self.kept, self.wkb, strict=True):
            yield _Zone(int(i), wkb)

    def srs_wkt(self) -> None:
        return None


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
