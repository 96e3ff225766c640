"""Metric measures on lon/lat geometries: geodesic lengths on the WGS 84 ellipsoid (vectorised),
and the local UTM zone for distances and buffers."""

from __future__ import annotations

import numpy as np
import shapely
from pyproj import CRS, Geod

from geo_ntm.infrastructure.parallel import threaded

_GEOD = Geod(ellps="WGS84")


def geodesic_lengths(geoms) -> np.ndarray:
    """Length in metres of each (multi)line, as the sum of the geodesics between consecutive
    vertices (what ``Geod.geometry_length`` gives), computed for all geometries at once."""
    geoms = np.asarray(geoms, dtype=object)
    if (shapely.get_type_id(geoms) == shapely.GeometryType.LINESTRING).all():
        parts, owner = geoms, np.arange(len(geoms))  # nothing to split (the usual case, and faster)
    else:
        parts, owner = shapely.get_parts(geoms, return_index=True)
    coords, part = shapely.get_coordinates(parts, return_index=True)
    same = part[1:] == part[:-1]  # consecutive vertices of one part
    if not same.any():
        return np.zeros(len(geoms))
    a, b = coords[:-1][same], coords[1:][same]
    dist = threaded(lambda a, b: _GEOD.inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])[2], a, b)
    per_part = np.bincount(part[:-1][same], weights=dist, minlength=len(parts))
    return np.bincount(owner, weights=per_part, minlength=len(geoms))


def utm_epsg(lon, lat=16.0) -> np.ndarray:
    """The EPSG codes of the WGS 84 UTM zones of points (vectorised)."""
    zone = np.floor((np.asarray(lon, dtype=float) + 180) / 6).astype(int) + 1
    return np.where(np.asarray(lat) >= 0, 32600, 32700) + zone


def utm_crs(lon: float, lat: float = 16.0) -> CRS:
    """The WGS 84 UTM zone of a point (Vietnam spans zones 48N and 49N, with islands in 50N)."""
    return CRS.from_epsg(int(utm_epsg(lon, lat)))
