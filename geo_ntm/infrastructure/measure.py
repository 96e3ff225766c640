"""Metric measures on lon/lat geometries: geodesic lengths on the WGS 84 ellipsoid (vectorised),
and the local UTM zone for distances and buffers."""

from __future__ import annotations

import numpy as np
import shapely
from pyproj import CRS, Geod

_GEOD = Geod(ellps="WGS84")


def geodesic_lengths(geoms) -> np.ndarray:
    """Length in metres of each (multi)line, as the sum of the geodesics between consecutive
    vertices (what ``Geod.geometry_length`` gives), computed for all geometries at once."""
    geoms = np.asarray(geoms, dtype=object)
    parts, owner = shapely.get_parts(geoms, return_index=True)
    coords, part = shapely.get_coordinates(parts, return_index=True)
    same = part[1:] == part[:-1]  # consecutive vertices of one part
    if not same.any():
        return np.zeros(len(geoms))
    a, b = coords[:-1][same], coords[1:][same]
    _, _, dist = _GEOD.inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    per_part = np.bincount(part[:-1][same], weights=dist, minlength=len(parts))
    return np.bincount(owner, weights=per_part, minlength=len(geoms))


def utm_crs(lon: float, lat: float = 16.0) -> CRS:
    """The WGS 84 UTM zone of a point (Vietnam spans zones 48N and 49N, with islands in 50N)."""
    zone = int((lon + 180) // 6) + 1
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)
