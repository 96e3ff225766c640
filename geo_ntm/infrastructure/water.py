"""Reach of water supply per commune: the people (population raster) and the households
(household points, when a layer is given) within a distance of the water network or of a supply
point, and indicator 17.1 (households using hygienic and clean water) approximated by that share.

Distances, reach zones and points follow ``reach``; people are zonal sums (``population``)."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np

from geo_ntm.domain import Layer, Vintage
from geo_ntm.infrastructure.coverage import align_to_units, described, share, unit_table
from geo_ntm.infrastructure.reach import (
    assign_points,
    cell_zones,
    cells_around,
    people_within,
    points_within,
    read_around,
)
from geo_ntm.infrastructure.thresholds import Thresholds
from geo_ntm.store import Store


@dataclass(frozen=True)
class WaterLayers:
    """The layers a water question reads: the network and/or the supply points (at least one),
    the population raster, and household points if any."""

    population: Layer
    lines: Layer | None = None
    points: Layer | None = None
    households: Layer | None = None


def household_reach(
    points: np.ndarray, cells: gpd.GeoDataFrame, sources: np.ndarray, distance: float
) -> tuple[np.ndarray, np.ndarray, int]:
    """Households per cell, households within ``distance`` of ``sources`` per cell, and the
    households outside every cell (measured only for the cells ``in_scope``)."""
    geoms = np.asarray(cells.geometry.array)
    owner = assign_points(points, geoms)
    counted = owner >= 0
    counted[counted] = cells["in_scope"].to_numpy()[owner[counted]]
    zones = np.where(counted, cell_zones(geoms)[np.maximum(owner, 0)], 0)
    within = points_within(points, zones, sources, distance)
    n = len(geoms)
    return (
        np.bincount(owner[counted], minlength=n),
        np.bincount(owner[counted & within], minlength=n),
        int((owner < 0).sum()),
    )


def water_coverage(
    store: Store,
    vintage: Vintage,
    units: gpd.GeoDataFrame,
    layers: WaterLayers,
    distance: float,
    framework_id: str | None,
    thresholds: Thresholds,
) -> tuple[gpd.GeoDataFrame, dict]:
    """Per commune of ``units``: people, and households when a household layer is given, within
    ``distance`` metres of the water network or a supply point, and indicator 17.1; totals."""
    cells = cells_around(store, vintage, units)
    sources = np.concatenate(
        [
            np.asarray(read_around(store, x, cells, distance).geometry.array, dtype=object)
            for x in (layers.lines, layers.points)
            if x is not None
        ]
    )
    cols, people = people_within(store, layers.population, units, cells, sources, distance)
    totals = {"communes": len(units), "distance_m": distance, **people}
    basis = "population"
    if layers.households is not None:
        points = np.asarray(read_around(store, layers.households, cells).geometry.array, dtype=object)
        count, within, outside = household_reach(points, cells, sources, distance)
        cols["households"] = align_to_units(units, cells["unit_id"], count).astype(int)
        cols["households_within"] = align_to_units(units, cells["unit_id"], within).astype(int)
        cols["households_within_share"] = share(cols["households_within"], cols["households"])
        totals |= {
            "households": int(cols["households"].sum()),
            "households_within": int(cols["households_within"].sum()),
            "households_within_share": share(cols["households_within"].sum(), cols["households"].sum()),
            "households_outside_every_commune": outside,
        }
        basis = "households"
    for indicator in thresholds.of_topic("water"):
        cols |= thresholds.columns(indicator, framework_id, units["province_code"], cols[f"{basis}_within_share"])
        totals[f"{indicator.column}_basis"] = f"{basis} within {distance:g} m of the water network or a supply point"
    roles = {
        "water_lines": layers.lines,
        "water_points": layers.points,
        "households": layers.households,
        "population": layers.population,
    }
    return unit_table(units, cols, framework=framework_id), {**totals, **described(roles), "vintage": vintage.name}
