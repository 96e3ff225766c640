"""Coordinate reference systems of OGC API - Features Part 2 (CRS by reference): CRS84, EPSG:4326
(latitude first) and VN-2000 (EPSG:4756 geographic, latitude first; UTM 48N/49N EPSG:3405/3406; the
provincial 3° TM zones EPSG:5899 and 9205–9218). Geometries are stored in CRS84 and reprojected on
the way out; a ``bbox`` in another CRS is turned into a lon/lat box on the way in."""

from __future__ import annotations

from functools import cache

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Transformer

from geo_ntm.errors import InputError

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/"
#: EPSG codes served besides CRS84: WGS 84, VN-2000 geographic, VN-2000 / UTM 48N and 49N, and the
#: VN-2000 / TM-3 zones (3° zones with the provincial central meridians).
EPSG_CODES = (4326, 4756, 3405, 3406, 5899, *range(9205, 9219))
SUPPORTED_CRS = [CRS84, *(f"{EPSG_URI}{code}" for code in EPSG_CODES)]


@cache
def pyproj_crs(uri: str) -> CRS:
    """The pyproj CRS of a supported URI (built once per URI)."""
    return CRS.from_user_input("OGC:CRS84" if uri == CRS84 else f"EPSG:{uri.rsplit('/', 1)[1]}")


def parse_crs(text: str | None, name: str = "crs") -> str:
    """A CRS parameter (URI, ``EPSG:n``, ``[EPSG:n]`` or ``CRS84``) as one of the supported URIs."""
    if text is None or text.strip() == "":
        return CRS84
    t = text.strip().strip("[]")
    upper = t.upper()
    if upper in ("CRS84", "OGC:CRS84", "HTTP://WWW.OPENGIS.NET/DEF/CRS/OGC/1.3/CRS84"):
        return CRS84
    code = None
    if upper.startswith("EPSG:"):
        code = t[5:]
    elif t.startswith(EPSG_URI) or t.startswith(EPSG_URI.replace("http:", "https:")):
        code = t.rsplit("/", 1)[1]
    uri = f"{EPSG_URI}{code}" if code and code.isdigit() else None
    if uri not in SUPPORTED_CRS:
        raise InputError(f"{name} {text!r} is not supported; use one of: {', '.join(SUPPORTED_CRS)}")
    return uri


def _north_first(uri: str) -> bool:
    """Whether the CRS's authority axis order puts latitude/northing first (EPSG:4326, 4756)."""
    return pyproj_crs(uri).axis_info[0].direction.lower() == "north"


def to_crs(geometry: gpd.GeoSeries, uri: str) -> gpd.GeoSeries:
    """Geometries in CRS84 reprojected to ``uri``, coordinates in the CRS's own axis order."""
    if uri == CRS84:
        return geometry
    out = geometry.set_crs("OGC:CRS84", allow_override=True).to_crs(pyproj_crs(uri))  # x = lon/easting
    if _north_first(uri):
        out = gpd.GeoSeries(shapely.transform(out.values, lambda c: c[:, ::-1]), index=out.index, crs=out.crs)
    return out


def geometry_to_crs84(geometry: shapely.Geometry, uri: str) -> shapely.Geometry:
    """A geometry in ``uri`` (its own axis order, as ``bbox`` and ``filter-crs`` give it) in CRS84."""
    if uri == CRS84:
        return geometry
    if _north_first(uri):
        geometry = shapely.transform(geometry, lambda c: c[:, ::-1])  # lat,lon -> lon,lat
    if uri == f"{EPSG_URI}4326":
        return geometry
    transformer = Transformer.from_crs(pyproj_crs(uri), "OGC:CRS84", always_xy=True)
    return shapely.transform(geometry, lambda c: np.column_stack(transformer.transform(c[:, 0], c[:, 1])))


def parse_bbox_crs(text: str | None, bbox_crs: str | None) -> tuple[float, float, float, float] | None:
    """``bbox`` (4 or 6 numbers, in the axis order of ``bbox-crs``, default CRS84) as a lon/lat box."""
    if text is None:
        if bbox_crs is not None:
            raise InputError("bbox-crs is given without a bbox")
        return None
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise InputError(f"bbox {text!r} must be numbers separated by commas") from None
    if len(values) == 6:
        values = [values[0], values[1], values[3], values[4]]
    if len(values) != 4:
        raise InputError(
            f"bbox {text!r} must have four numbers (minx,miny,maxx,maxy; or six with heights), not {len(values)}"
        )
    uri = parse_crs(bbox_crs, "bbox-crs")
    a1, b1, a2, b2 = values
    if _north_first(uri):
        a1, b1, a2, b2 = b1, a1, b2, a2  # lat,lon,lat,lon -> lon,lat,lon,lat
    if a1 > a2 or b1 > b2:
        raise InputError(f"bbox {text!r}: the lower corner must come first (min <= max on each axis)")
    if uri not in (CRS84, f"{EPSG_URI}4326"):
        transformer = Transformer.from_crs(pyproj_crs(uri), "OGC:CRS84", always_xy=True)
        a1, b1, a2, b2 = transformer.transform_bounds(a1, b1, a2, b2, densify_pts=21)
    if not (-180 <= a1 <= a2 <= 180 and -90 <= b1 <= b2 <= 90):
        raise InputError(f"bbox {text!r} is not a valid box in {uri}")
    return (a1, b1, a2, b2)


def content_crs(uri: str) -> dict[str, str]:
    """The ``Content-Crs`` header of a response whose geometries are in ``uri``."""
    return {"Content-Crs": f"<{uri}>"}
