"""Metric measures on lon/lat geometries: geodesic lengths on the WGS 84 ellipsoid (vectorised),
and the local UTM zone for distances and buffers.

A geodesic between two vertices a few kilometres apart is, to 1e-12, the arc of the circle of
the ellipsoid's curvature in its direction: its length is the chord ``c`` between the two points
(in Earth-centred coordinates, every difference written as a product so that nothing cancels)
plus ``c³ / 24R²``, ``R`` the radius of curvature in that direction (Euler's formula at the first
point). Against GeographicLib (``pyproj.Geod``) that is within 2e-8 m or 1e-10 of the length
(GeographicLib rounds to about 1e-9 m itself) up to ``SHORT_CHORD_M`` (10 km); longer pairs are
measured by ``pyproj.Geod.inv``. It costs a few numpy operations per pair where GeographicLib
solves the inverse problem iteratively: about half the time."""

from __future__ import annotations

import numpy as np
import shapely
from pyproj import CRS, Geod

from geo_ntm.infrastructure.parallel import threaded

_GEOD = Geod(ellps="WGS84")
_A, _E2 = _GEOD.a, _GEOD.es
#: Vertex pairs whose chord is longer than this (metres) are measured by ``pyproj.Geod.inv``.
SHORT_CHORD_M = 10_000.0


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
    dist = threaded(segment_lengths, coords[:-1][same], coords[1:][same])
    per_part = np.bincount(part[:-1][same], weights=dist, minlength=len(parts))
    return np.bincount(owner, weights=per_part, minlength=len(geoms))


def segment_lengths(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Geodesic distance in metres on the WGS 84 ellipsoid from each point of ``a`` to the point
    in the same row of ``b`` (lon, lat columns in degrees): see the module's docstring."""
    lat_a, half_dlat = np.radians(a[:, 1]), np.radians(b[:, 1] - a[:, 1]) / 2
    dlon = b[:, 0] - a[:, 0]  # exact for near points; across the antimeridian the short way:
    dlon = np.radians(np.where(np.abs(dlon) > 180, dlon - np.copysign(360, dlon), dlon))
    sin_a, cos_a = np.sin(lat_a), np.cos(lat_a)
    sin_b, cos_b = np.sin(lat_a + 2 * half_dlat), np.cos(lat_a + 2 * half_dlat)
    sin_half = np.sin(half_dlat)
    mid = lat_a + half_dlat
    d_sin, d_cos = 2 * np.cos(mid) * sin_half, -2 * np.sin(mid) * sin_half  # sin(b) - sin(a), cos(b) - cos(a)
    w_a, w_b = 1 - _E2 * sin_a * sin_a, 1 - _E2 * sin_b * sin_b
    root_a, root_b = np.sqrt(w_a), np.sqrt(w_b)
    n_a, n_b = _A / root_a, _A / root_b  # radii of curvature in the prime vertical
    d_n = _A * _E2 * d_sin * (sin_a + sin_b) / (root_a * root_b * (root_a + root_b))  # n_b - n_a
    # b minus a in Earth-centred coordinates turned about the axis to put a at longitude 0, every
    # difference written as a product (no cancellation: exact to a few ulps of the chord itself)
    radial = n_b * d_cos + cos_a * d_n - n_b * cos_b * 2 * np.sin(dlon / 2) ** 2
    east = n_b * cos_b * np.sin(dlon)
    axial = (1 - _E2) * (n_b * d_sin + sin_a * d_n)
    chord2 = radial * radial + east * east + axial * axial
    m_a = n_a * (1 - _E2) / w_a  # radius of curvature in the meridian
    north, east_arc = m_a * 2 * half_dlat, n_a * cos_a * dlon
    square = north * north + east_arc * east_arc
    with np.errstate(invalid="ignore", divide="ignore"):
        curvature = np.where(square > 0, (north * north / m_a + east_arc * east_arc / n_a) / square, 0.0)  # Euler
    dist = np.sqrt(chord2) * (1 + chord2 * curvature * curvature / 24)
    far = chord2 > SHORT_CHORD_M**2
    if far.any():
        dist[far] = _GEOD.inv(a[far, 0], a[far, 1], b[far, 0], b[far, 1])[2]
    return dist


def utm_epsg(lon, lat=16.0) -> np.ndarray:
    """The EPSG codes of the WGS 84 UTM zones of points (vectorised)."""
    zone = np.floor((np.asarray(lon, dtype=float) + 180) / 6).astype(int) + 1
    return np.where(np.asarray(lat) >= 0, 32600, 32700) + zone


def utm_crs(lon: float, lat: float = 16.0) -> CRS:
    """The WGS 84 UTM zone of a point (Vietnam spans zones 48N and 49N, with islands in 50N)."""
    return CRS.from_epsg(int(utm_epsg(lon, lat)))
