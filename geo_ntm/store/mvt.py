"""Mapbox Vector Tiles of stored shapes: the tile grid (``Tile``, WebMercatorQuad) and the encoding in
Python (``encode``) for a backend without one in SQL (the GeoPackage); PostGIS encodes with
``ST_AsMVT`` (``dialect.Dialect.vector_tile_query``). Both clip the same stored shapes to the tile
and its buffer, on a grid of ``EXTENT`` units, so both backends serve the same tiles.

``mapbox-vector-tile`` (PyPI, kept by the tilezen project, MIT) encodes and decodes tiles with
Google's protobuf and repairs polygons the grid made invalid (pyclipper), as ``ST_AsMVTGeom`` does;
it is the one pure-Python MVT encoder in wide use (also what the tests decode tiles with)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import mapbox_vector_tile
import numpy as np
import shapely
from pyproj import Transformer

#: Half the width of the WebMercatorQuad square (EPSG:3857 metres).
ORIGIN = 20037508.342789244
#: Grid units across a tile, and the buffer kept around it (as ``ST_AsMVTGeom``'s defaults).
EXTENT = 4096
BUFFER = 64
_TO_MERCATOR = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)


@dataclass(frozen=True)
class Tile:
    """One tile of WebMercatorQuad: zoom ``z``, column ``x`` (from the west), row ``y`` (from the north)."""

    z: int
    x: int
    y: int

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(minx, miny, maxx, maxy) in EPSG:3857 metres."""
        size = 2 * ORIGIN / 2**self.z
        minx, maxy = -ORIGIN + self.x * size, ORIGIN - self.y * size
        return minx, maxy - size, minx + size, maxy

    @property
    def buffered(self) -> tuple[float, float, float, float]:
        """``bounds`` grown by the buffer on every side."""
        minx, miny, maxx, maxy = self.bounds
        margin = (maxx - minx) * BUFFER / EXTENT
        return minx - margin, miny - margin, maxx + margin, maxy + margin

    @property
    def lonlat_box(self) -> tuple[float, float, float, float]:
        """The buffered tile in longitude and latitude (EPSG:4326), to select shapes by envelope."""
        minx, miny, maxx, maxy = self.buffered
        return _lon(minx), _lat(miny), _lon(maxx), _lat(maxy)


def _lon(x: float) -> float:
    return max(-180.0, min(180.0, x / ORIGIN * 180.0))


def _lat(y: float) -> float:
    y = max(-ORIGIN, min(ORIGIN, y))
    return math.degrees(2 * math.atan(math.exp(y / ORIGIN * math.pi)) - math.pi / 2)


def encode(layer: str, codes: list[str], geoms: np.ndarray, properties: Mapping[str, Mapping], tile: Tile) -> bytes:
    """The tile with one layer named ``layer``: each shape (EPSG:4326) whose code has properties,
    clipped to the buffered tile, with those properties (None values left out, as MVT has no null).
    Shapes left empty by the clip are not encoded; no shape at all gives b''."""
    mercator = shapely.transform(geoms, _TO_MERCATOR.transform, interleaved=False)
    clipped = shapely.clip_by_rect(mercator, *tile.buffered)
    minx, miny, maxx, _ = tile.bounds
    scale = EXTENT / (maxx - minx)
    # on the tile's grid (y up: the encoder turns it down), snapped to whole units and kept valid,
    # exteriors clockwise (the encoder keeps the winding it is given; as ST_AsMVTGeom writes them)
    grid = shapely.set_precision(shapely.transform(clipped, lambda xy: (xy - (minx, miny)) * scale), 1.0)
    grid = shapely.orient_polygons(grid, exterior_cw=True)
    features = [
        {"geometry": g, "properties": {k: v for k, v in properties[code].items() if v is not None}}
        for code, g in zip(codes, grid, strict=True)
        if code in properties and not g.is_empty and g.area > 0
    ]
    if not features:
        return b""
    return mapbox_vector_tile.encode(
        [{"name": layer, "features": features}],
        default_options={
            "extents": EXTENT,
            "check_winding_order": False,  # oriented above, valid by set_precision
        },
    )
