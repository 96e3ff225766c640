"""GeoJSON encoding of unit views for the collections endpoints and the downloads: the properties of
each tier, one feature per unit (its id is the unit's code), geometries in the CRS asked, their
exterior rings counter-clockwise and holes clockwise as written (RFC 7946 3.1.6)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator

import geopandas as gpd
import pandas as pd
import shapely

from api.ogc.crs import CRS84, to_crs
from api.ogc.media import HTML
from geo_ntm.domain import AdminTier, Vintage
from geo_ntm.views import GROUP_COLUMNS, RECOGNITION_COLUMNS

_COMMON = ("code", "name", "unit_type", "province")
#: The status fields every tier carries (a unit's own assessment of the year).
_STATUS = (
    "assessed",
    "year",
    "framework",
    "level",
    "criteria_met",
    "criteria_total",
    "criteria_unmet",
    "criteria_conflicting",
    "all_criteria_met_not_recognised",
    *RECOGNITION_COLUMNS,
)
PROPERTIES = {
    AdminTier.PROVINCE: (*_COMMON, "population", "area_ha", *_STATUS, "completed_task"),
    AdminTier.DISTRICT: (*_COMMON, "population", "area_ha", *_STATUS, "completed_task"),
    AdminTier.COMMUNE: (*_COMMON, "district", "population", "area_ha", "flag", *_STATUS, *GROUP_COLUMNS),
}


def _plain(value):
    """JSON-safe value: NaN/NA -> None, numpy scalars -> Python."""
    if value is None:
        return None
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    try:
        if value is gpd.pd.NA:
            return None
    except TypeError:
        pass
    return value


#: Properties of a commune whose assessment was carried from other boundaries (geo_ntm.carry).
CARRIED = (
    "carry_rule",
    "carried_from_year",
    "old_units",
    "assessed_parts",
    "parts_with_data",
    "coverage",
    "share",
    "share_known",
    "share_assessed",
    "population_known",
)


def feature(row, level: AdminTier) -> dict:
    """One GeoJSON Feature whose id is the source code of the unit, its rings oriented as RFC 7946 asks."""
    props = {"admin_level": level.value} | {name: _plain(getattr(row, name)) for name in PROPERTIES[level]}
    props |= {name: _plain(getattr(row, name)) for name in CARRIED if hasattr(row, name)}
    geometry = None
    if row.geometry is not None:
        geometry = json.loads(shapely.to_geojson(shapely.orient_polygons(row.geometry, exterior_cw=False)))
    return {"type": "Feature", "id": row.code, "geometry": geometry, "properties": props}


def property_frame(frame: pd.DataFrame, level: AdminTier) -> pd.DataFrame:
    """The properties of the features of one level, as the filters see them."""
    columns = [c for c in (*PROPERTIES[level], *CARRIED) if c in frame.columns]
    props = pd.DataFrame({c: frame[c] for c in columns}, index=frame.index)
    props["admin_level"] = level.value
    return props


def encode_features(
    frames: list[tuple[AdminTier, gpd.GeoDataFrame]], crs: str, item_url: str | None = None
) -> Iterator[dict]:
    """GeoJSON features of the frames, geometries in ``crs``; with ``item_url``, each links its HTML page."""
    for lv, frame in frames:
        if crs != CRS84 and len(frame):
            frame = frame.copy()
            frame["geometry"] = to_crs(frame.geometry, crs).values
        for row in frame.itertuples(index=False):
            f = feature(row, lv)
            if item_url:
                f["links"] = [{"rel": "self", "type": HTML, "href": f"{item_url}/{row.code}?f=html"}]
            yield f


def vintage_document(v: Vintage) -> dict:
    """The boundaries a response is drawn on: name and validity (``valid_to`` None while in force)."""
    return {
        "name": v.name,
        "valid_from": v.valid_from.isoformat(),
        "valid_to": v.valid_to.isoformat() if v.valid_to else None,
    }
