"""GeoJSON encoding of unit views for the collections endpoints."""

from __future__ import annotations

import json
import math

import geopandas as gpd
import shapely

from geo_ntm.domain import AdminLevel

_COMMON = ("code", "name", "unit_type", "province")
PROPERTIES = {
    AdminLevel.PROVINCE: (*_COMMON, "population", "area_ha"),
    AdminLevel.DISTRICT: (*_COMMON, "population", "area_ha"),
    AdminLevel.COMMUNE: (*_COMMON, "district", "population", "area_ha", "flag", "assessed", "year", "framework",
                         "level", "criteria_met", "criteria_total", "criteria_unmet", "criteria_conflicting"),
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
CARRIED = ("carry_rule", "carried_from_year", "old_units", "assessed_parts", "parts_with_data", "coverage",
           "share", "share_known", "share_assessed", "population_known")


def feature(row, level: AdminLevel) -> dict:
    """One GeoJSON Feature whose id is the source code of the unit."""
    props = {"admin_level": level.value} | {name: _plain(getattr(row, name)) for name in PROPERTIES[level]}
    props |= {name: _plain(getattr(row, name)) for name in CARRIED if hasattr(row, name)}
    geometry = json.loads(shapely.to_geojson(row.geometry)) if row.geometry is not None else None
    return {"type": "Feature", "id": row.code, "geometry": geometry, "properties": props}
