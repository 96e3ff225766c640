"""GeoJSON encoding of unit views for the collections endpoints and the downloads: the properties of
each tier, one feature per unit (its id is the unit's code), geometries in the CRS asked, their
exterior rings counter-clockwise and holes clockwise as written (RFC 7946 3.1.6)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator

import geopandas as gpd
import orjson
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


def _column(frame: pd.DataFrame, name: str) -> list:
    """The JSON-safe values of one column (``_plain``), read once as Python objects."""
    return [_plain(v) for v in frame[name].tolist()]


def _geometries(frame: gpd.GeoDataFrame) -> list[str | None]:
    """Each row's geometry as GeoJSON text (None without one), its rings oriented as RFC 7946
    asks, encoded by GEOS for the whole frame at once."""
    shapes = frame.geometry.to_numpy()
    return shapely.to_geojson(shapely.orient_polygons(shapes, exterior_cw=False)).tolist()


def _encoded(
    frames: list[tuple[AdminTier, gpd.GeoDataFrame]], crs: str, item_url: str | None, geometry: Callable[[str], object]
) -> Iterator[dict]:
    """The features of ``encode_features``, each geometry's GeoJSON text given to ``geometry``."""
    for lv, frame in frames:
        if not len(frame):
            continue
        if crs != CRS84:
            frame = frame.copy()
            frame["geometry"] = to_crs(frame.geometry, crs).values
        names = [*PROPERTIES[lv], *(c for c in CARRIED if c in frame.columns)]
        columns = [_column(frame, name) for name in names]
        codes = frame["code"].tolist()
        shapes = _geometries(frame)
        for i, code in enumerate(codes):
            props = {"admin_level": lv.value} | {name: values[i] for name, values in zip(names, columns, strict=True)}
            text = shapes[i]
            f = {
                "type": "Feature",
                "id": code,
                "geometry": None if text is None else geometry(text),
                "properties": props,
            }
            if item_url:
                f["links"] = [{"rel": "self", "type": HTML, "href": f"{item_url}/{code}?f=html"}]
            yield f


def property_frame(frame: pd.DataFrame, level: AdminTier) -> pd.DataFrame:
    """The properties of the features of one level, as the filters see them."""
    columns = [c for c in (*PROPERTIES[level], *CARRIED) if c in frame.columns]
    props = pd.DataFrame({c: frame[c] for c in columns}, index=frame.index)
    props["admin_level"] = level.value
    return props


def encode_features(
    frames: list[tuple[AdminTier, gpd.GeoDataFrame]], crs: str, item_url: str | None = None
) -> Iterator[dict]:
    """GeoJSON features of the frames (one per unit, its id the unit's code), geometries in
    ``crs``; with ``item_url``, each links its HTML page."""
    return _encoded(frames, crs, item_url, json.loads)


def encode_features_orjson(frames: list[tuple[AdminTier, gpd.GeoDataFrame]], crs: str) -> list[dict]:
    """``encode_features`` for ``orjson.dumps``: each geometry's GeoJSON text read by orjson,
    whose numbers it writes back as ``json`` does (the shortest text of each float), in a
    tenth of the time of ``json``."""
    return list(_encoded(frames, crs, None, orjson.loads))


def vintage_document(v: Vintage) -> dict:
    """The boundaries a response is drawn on: name and validity (``valid_to`` None while in force)."""
    return {
        "name": v.name,
        "valid_from": v.valid_from.isoformat(),
        "valid_to": v.valid_to.isoformat() if v.valid_to else None,
    }
