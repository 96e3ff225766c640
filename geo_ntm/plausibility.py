"""Where an imported geometry can lie: checks every import (boundaries, infrastructure layers)
runs before storing, so that a file read in the wrong CRS, with swapped or absurd coordinates,
is refused with the reason instead of landing in the sea."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import shapely

from geo_ntm.errors import InputError

#: The earliest day a vintage, a legal change or a status can date from (the Democratic Republic of
#: Vietnam was proclaimed in 1945): an earlier one is a typing error.
EARLIEST_DATE = dt.date(1945, 1, 1)

#: Vietnam's extent in lon/lat with a margin (its land border and the islands it administers):
#: a layer landing wholly outside it was read in the wrong CRS or with swapped coordinates.
VIETNAM_EXTENT = (101.5, 5.5, 118.0, 24.0)
#: How messages name that extent.
EXTENT_TEXT = (
    f"Vietnam's extent (lon {VIETNAM_EXTENT[0]}..{VIETNAM_EXTENT[2]}, lat {VIETNAM_EXTENT[1]}..{VIETNAM_EXTENT[3]})"
)


def lonlat_checked(
    frame: gpd.GeoDataFrame, where: object, features: list[str] | None = None
) -> tuple[gpd.GeoDataFrame, str | None, np.ndarray]:
    """``frame`` in EPSG:4326 once its coordinates passed every check (before and after any
    reprojection: ``coordinate_error``; not wholly outside Vietnam: ``extent_error``), the CRS it
    was reprojected from (None when it was lon/lat already) and which of its features lie wholly
    outside Vietnam's extent (each import decides whether that refuses or warns). InputError, naming
    ``where`` and the first ``features``, otherwise."""
    refused = coordinate_error(frame.geometry, where, features)
    if refused:
        raise InputError(refused)
    reprojected_from = None
    if not frame.crs.equals("EPSG:4326"):
        reprojected_from = frame.crs.to_string()
        frame = frame.to_crs(4326)
        refused = coordinate_error(frame.geometry, f"{where} (reprojected from {reprojected_from})", features)
        if refused:
            raise InputError(refused)
    bounds = shapely.bounds(np.asarray(frame.geometry.array))
    outside = _outside(bounds)
    refused = extent_error(bounds, outside, where, reprojected_from)
    if refused:
        raise InputError(refused)
    return frame, reprojected_from, outside


def _span(bounds: np.ndarray) -> str:
    return (
        f"x {np.nanmin(bounds[:, 0]):.6g} to {np.nanmax(bounds[:, 2]):.6g}, "
        f"y {np.nanmin(bounds[:, 1]):.6g} to {np.nanmax(bounds[:, 3]):.6g}"
    )


def coordinate_error(geoms: gpd.GeoSeries, where: object, features: list[str] | None = None) -> str | None:
    """Why the coordinates of ``geoms`` (in their declared CRS, before any reprojection) cannot be
    right, or None: non-finite values, or lon/lat beyond +/-180/90 in a geographic CRS (projected
    metres read as degrees: a GeoJSON without a "crs" member is EPSG:4326). ``features`` (one
    label per geometry) name the first offenders."""
    bounds = shapely.bounds(np.asarray(geoms.array))
    finite = np.isfinite(bounds).all(axis=1) | np.isnan(bounds).all(axis=1)  # NaN bounds: empty geometry
    bad = ~finite
    reason = "has non-finite coordinates"
    if not bad.any() and geoms.crs is not None and geoms.crs.is_geographic:
        bad = (np.abs(bounds[:, [0, 2]]) > 180).any(axis=1) | (np.abs(bounds[:, [1, 3]]) > 90).any(axis=1)
        reason = (
            f"has coordinates outside longitude -180..180 / latitude -90..90 of its CRS {geoms.crs.to_string()} "
            f"({_span(bounds)}); projected coordinates (metres) need their CRS declared (ogr2ogr -a_srs, "
            "e.g. EPSG:3405 for VN-2000 / UTM 48N)"
        )
        lon, lat = bounds[:, [1, 3]], bounds[:, [0, 2]]
        swapped = (lon >= VIETNAM_EXTENT[0]) & (lon <= VIETNAM_EXTENT[2]) & (lat >= VIETNAM_EXTENT[1])
        if bad.any() and swapped[bad].all() and (lat[bad] <= VIETNAM_EXTENT[3]).all():
            reason += "; or its longitude and latitude are swapped (y looks like Vietnam's longitudes)"
    if not bad.any():
        return None
    first = np.flatnonzero(bad)[:5]
    shown = [features[i] for i in first] if features else [f"feature #{i + 1}" for i in first]
    return f"{where} {reason}: {int(bad.sum())} features, first {', '.join(shown)}"


def _outside(bounds: np.ndarray) -> np.ndarray:
    """Which of the geometries of ``bounds`` (EPSG:4326) lie wholly outside ``VIETNAM_EXTENT``."""
    x0, y0, x1, y1 = VIETNAM_EXTENT
    return (bounds[:, 2] < x0) | (bounds[:, 0] > x1) | (bounds[:, 3] < y0) | (bounds[:, 1] > y1)


def extent_error(bounds: np.ndarray, outside: np.ndarray, where: object, reprojected_from: str | None) -> str | None:
    """Why a layer (EPSG:4326, after any reprojection; its features' ``bounds`` and which lie
    ``outside``) lying wholly outside Vietnam's extent is refused, or None when some of it lies inside."""
    if len(outside) == 0 or not outside.all():
        return None
    hint = (
        f" after reprojection from {reprojected_from}; are its coordinates really in {reprojected_from}?"
        if reprojected_from
        else "; are its coordinates lon/lat (EPSG:4326), in this order?"
    )
    return (
        f"{where} lies wholly outside {EXTENT_TEXT}: lon {np.min(bounds[:, 0]):.6g}..{np.max(bounds[:, 2]):.6g}, "
        f"lat {np.min(bounds[:, 1]):.6g}..{np.max(bounds[:, 3]):.6g}{hint}"
    )
