"""Metric geometry helpers: areas are computed in an equal-area projection fitted to the data's
extent (Albers on the WGS 84 ellipsoid), never in degrees."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS


def equal_area_crs(bounds: tuple[float, float, float, float]) -> CRS:
    """An Albers equal-area conic for lon/lat ``bounds`` (standard parallels at 1/6 and 5/6 of
    the latitude range, the usual rule), exact for areas on the ellipsoid."""
    minx, miny, maxx, maxy = bounds
    span = max(maxy - miny, 0.5)
    mid_lat, mid_lon = (miny + maxy) / 2, (minx + maxx) / 2
    lat_1, lat_2 = mid_lat - span / 3, mid_lat + span / 3
    return CRS.from_proj4(
        f"+proj=aea +lat_1={lat_1:.4f} +lat_2={lat_2:.4f} +lat_0={mid_lat:.4f} +lon_0={mid_lon:.4f} "
        "+ellps=WGS84 +towgs84=0,0,0 +units=m +no_defs"
    )


def to_equal_area(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """``geoms`` (any CRS with lon/lat or metres) projected to the equal-area CRS of their extent."""
    lonlat = geoms.to_crs(4326)
    return lonlat.to_crs(equal_area_crs(tuple(lonlat.total_bounds)))


def area_ha(geoms: gpd.GeoSeries) -> np.ndarray:
    """Area of each geometry in hectares, on the ellipsoid (equal-area projection)."""
    return shapely.area(np.asarray(to_equal_area(geoms).array)) / 10_000.0


def make_polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """Repair ``geom`` with ``make_valid`` and keep only its polygonal parts as a MultiPolygon."""
    fixed = shapely.make_valid(geom)
    parts = [p for p in shapely.get_parts(fixed) if isinstance(p, shapely.Polygon) and not p.is_empty]
    if not parts:
        for part in shapely.get_parts(fixed):  # a GeometryCollection nests its polygons
            parts.extend(p for p in shapely.get_parts(part) if isinstance(p, shapely.Polygon))
    return shapely.MultiPolygon(parts)


def as_multipolygon(geom: shapely.Geometry) -> shapely.Geometry:
    """Polygon -> MultiPolygon; MultiPolygons pass through."""
    return shapely.MultiPolygon([geom]) if isinstance(geom, shapely.Polygon) else geom
