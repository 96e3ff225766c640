"""Reach of water supply per commune: the people (population raster) and the households
(household points, when a layer is given) within a distance of the water network or of a supply
point, and indicator 17.1 (households using hygienic and clean water) approximated by that share.

Distances, reach zones and points follow ``reach``; people are zonal sums (``population``).

The layers and the partition never change, so the people per commune and those within a distance
are computed once for the whole country when the whole vintage is asked (``national_reach``: the
partition cells in tiles of ``CHUNK_DEG``, each tile with the sources around it read from
the store and worked on one of the threads of ``parallel``, so memory stays flat), stored per
(layers, distance, vintage), and summed for every later question of any scope. A commune's answer
is the same, to the rounding of the sums, whether its province or the country was computed."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_ntm.domain import Layer, Vintage
from geo_ntm.infrastructure.coverage import align_to_units, described, share, unit_table
from geo_ntm.infrastructure.parallel import ordered_map
from geo_ntm.infrastructure.partition import partition_cells
from geo_ntm.infrastructure.reach import (
    assign_points,
    cell_tiles,
    cell_zones,
    cells_around,
    padded,
    people_columns,
    points_within,
    population_within,
    read_around,
)
from geo_ntm.infrastructure.thresholds import Thresholds
from geo_ntm.job_progress import report_progress
from geo_ntm.store import Store

log = logging.getLogger(__name__)

#: The cells of a national run are worked in tiles of this size (degrees of their centroids), each
#: on one thread with the sources around it: a few hundred tiles, each holding little.
CHUNK_DEG = 0.5


@dataclass(frozen=True)
class WaterLayers:
    """The layers a water question reads: the network and/or the supply points (at least one),
    the population raster, and household points if any."""

    population: Layer
    lines: Layer | None = None
    points: Layer | None = None
    households: Layer | None = None

    @property
    def sources(self) -> tuple[Layer, ...]:
        """The layers whose features are the water sources (the lines, then the points)."""
        return tuple(x for x in (self.lines, self.points) if x is not None)

    @property
    def reach_key(self) -> str:
        """The layers a stored reach answer was computed from (``Store.water_reach``)."""
        ids = {"lines": self.lines, "points": self.points, "population": self.population}
        return ";".join(f"{k}={'' if x is None else x.layer_id}" for k, x in ids.items())


def tile_sources(store: Store, layers: WaterLayers, cells: np.ndarray, distance: float) -> np.ndarray:
    """The geometries of the water sources whose envelope meets the box of ``cells`` grown by
    ``distance`` metres: every source that can reach them."""
    box = padded(shapely.total_bounds(cells), distance)
    return np.concatenate(
        [
            np.asarray(store.layer_features(x.layer_id, bbox=box, attributes=()).geometry.array, dtype=object)
            for x in layers.sources
        ]
    )


def national_reach(store: Store, vintage: Vintage, layers: WaterLayers, distance: float) -> pd.DataFrame:
    """People and people within ``distance`` metres of the water sources per partition cell of
    the whole ``vintage`` (``unit_id``, ``population``, ``population_within``): tile by tile of
    ``CHUNK_DEG`` (``reach.cell_tiles``), each tile given the sources whose envelope meets its box grown by
    ``distance`` and computed by ``reach.population_within`` (the unit of work of any engine)."""
    cells = partition_cells(store, vintage)
    geoms = np.asarray(cells.geometry.array)
    raster = store.layer_raster(layers.population.layer_id)

    def tiles():
        for _, idx in cell_tiles(geoms, CHUNK_DEG):
            yield idx, tile_sources(store, layers, geoms[idx], distance)

    people, reached = np.zeros(len(geoms)), np.zeros(len(geoms))
    work = ordered_map(lambda tile: (tile[0], population_within(raster, geoms[tile[0]], tile[1], distance)), tiles())
    for idx, (tile_people, tile_reached) in work:
        people[idx], reached[idx] = tile_people, tile_reached
    return pd.DataFrame({"unit_id": cells["unit_id"].to_numpy(), "population": people, "population_within": reached})


def _stored_reach(
    store: Store, vintage: Vintage, layers: WaterLayers, distance: float, whole_vintage: bool
) -> pd.DataFrame | None:
    """The stored reach of ``layers`` and ``distance``; computed and stored first when the whole
    vintage is asked and it is not stored yet; else None."""
    stored = store.water_reach(layers.reach_key, vintage.vintage_id, distance)
    if stored is None and whole_vintage:
        log.info("computing the water reach (%g m) per commune of vintage %s (once)", distance, vintage.name)
        report_progress(0.2, f"computing the people within {distance:g} m of the water sources in every commune")
        stored = national_reach(store, vintage, layers, distance)
        report_progress(0.9, "storing the people within reach per commune")
        store.add_water_reach(layers.reach_key, vintage.vintage_id, distance, stored)
    return stored


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
    whole_vintage: bool = False,
) -> tuple[gpd.GeoDataFrame, dict]:
    """Per commune of ``units``: people, and households when a household layer is given, within
    ``distance`` metres of the water network or a supply point, and indicator 17.1; totals.

    The people per commune are summed from the stored national answer when there is one (computed
    and stored first when ``whole_vintage`` is asked); otherwise only the cells and sources around
    ``units`` are read and worked."""
    stored = _stored_reach(store, vintage, layers, distance, whole_vintage)
    if stored is None or layers.households is not None:
        cells = cells_around(store, vintage, units)
        sources = np.concatenate(
            [np.asarray(read_around(store, x, cells, distance).geometry.array, dtype=object) for x in layers.sources]
        )
    if stored is None:
        scope = cells[cells["in_scope"]]
        people, reached = population_within(
            store.layer_raster(layers.population.layer_id), np.asarray(scope.geometry.array), sources, distance
        )
        cols, people_totals = people_columns(units, scope["unit_id"], people, reached)
    else:
        cols, people_totals = people_columns(
            units, stored["unit_id"], stored["population"].to_numpy(), stored["population_within"].to_numpy()
        )
    totals = {"communes": len(units), "distance_m": distance, **people_totals}
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
