"""Crosswalk between two boundary vintages: for every (old unit, new unit) pair whose interiors
overlap, the shared area and what share of each unit it is.

Areas are computed in one Albers equal-area projection fitted to both frames
(``geo_ntm.geometry.equal_area_crs``), so they are areas on the WGS 84 ellipsoid, never degrees.

Slivers: two sources rarely draw a common border identically, so a unit overlaps its neighbours
across that border by a thin strip. A pair whose shared area is below ``sliver_tolerance`` of the
old unit's area AND of the new unit's area is such a sliver; it is reported in ``slivers``, not in
``pairs``, and is not a real transfer of territory. A pair above the tolerance on either side is
real (a small unit entirely inside a big one is 100% of the small one).

Population (when the old frame has the column) is spread evenly over each old unit's area:
``population`` = old population x ``share_of_old``; ``population_share`` = that population as a
share of all the population the real pairs put into the same new unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import IO

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_ntm.errors import InputError
from geo_ntm.export_safety import write_safe_csv
from geo_ntm.geometry import equal_area_crs

PAIR_COLUMNS = ["old_code", "old_name", "new_code", "new_name", "shared_ha", "share_of_old", "share_of_new"]
POPULATION_COLUMNS = ["population", "population_share"]


@dataclass(frozen=True)
class Crosswalk:
    """Overlaps between an old and a new set of units.

    ``pairs`` and ``slivers`` have the columns ``PAIR_COLUMNS`` (plus ``POPULATION_COLUMNS`` when
    the old units have a population), sorted by old code and decreasing shared area.
    ``coverage_of_old`` has one row per old unit: ``old_code``, ``old_name``, ``old_ha``,
    ``covered_ha`` (area covered by any new unit, overlaps between new units counted once),
    ``coverage`` (covered_ha / old_ha), ``pairs_share`` (sum of ``share_of_old`` over its real
    pairs) and ``slivers_share`` (the same over its slivers).
    """

    pairs: pd.DataFrame
    slivers: pd.DataFrame
    coverage_of_old: pd.DataFrame
    sliver_tolerance: float
    crs: str  # PROJ string of the equal-area projection the areas were computed in

    def to_csv(self, path: str | Path | IO[str]) -> None:
        """Write pairs and slivers to one CSV (UTF-8), with a ``sliver`` column true/false (names a
        spreadsheet would run as formulas neutralised: ``geo_ntm.export_safety``)."""
        table = pd.concat([self.pairs.assign(sliver=False), self.slivers.assign(sliver=True)], ignore_index=True)
        write_safe_csv(table, path, float_format="%.6g")


def _checked(frame: gpd.GeoDataFrame, which: str) -> gpd.GeoDataFrame:
    missing = [c for c in ("code", "name") if c not in frame.columns]
    if missing:
        raise InputError(
            f"{which} units lack the column(s) {', '.join(missing)}; columns are {', '.join(map(str, frame.columns))}"
        )
    if frame.crs is None:
        raise InputError(f"{which} units have no coordinate reference system; expected EPSG:4326")
    if frame.geometry.is_empty.any() or frame.geometry.isna().any():
        raise InputError(
            f"{which} units have empty geometries: "
            + ", ".join(map(str, frame.loc[frame.geometry.is_empty | frame.geometry.isna(), "code"]))
        )
    return frame.to_crs(4326) if not frame.crs.equals("EPSG:4326") else frame


def _projected(frame: gpd.GeoDataFrame, crs) -> np.ndarray:
    geoms = np.asarray(frame.geometry.to_crs(crs).array)
    return np.where(shapely.is_valid(geoms), geoms, shapely.make_valid(geoms))


def crosswalk(
    old: gpd.GeoDataFrame,
    new: gpd.GeoDataFrame,
    *,
    sliver_tolerance: float = 0.01,
    population_column: str | None = "population",
) -> Crosswalk:
    """Shared area (ha) and shares of every overlapping (old, new) pair; slivers kept apart."""
    if not 0 <= sliver_tolerance < 1:
        raise InputError(f"sliver tolerance must be a share between 0 and 1, got {sliver_tolerance}")
    old, new = _checked(old, "old"), _checked(new, "new")
    minx, miny, _, _ = np.minimum(old.total_bounds, new.total_bounds)
    _, _, maxx, maxy = np.maximum(old.total_bounds, new.total_bounds)
    crs = equal_area_crs((minx, miny, maxx, maxy))
    old_geoms, new_geoms = _projected(old, crs), _projected(new, crs)
    old_ha, new_ha = shapely.area(old_geoms) / 1e4, shapely.area(new_geoms) / 1e4

    old_idx, new_idx = shapely.STRtree(new_geoms).query(old_geoms, predicate="intersects")
    pieces = shapely.intersection(old_geoms[old_idx], new_geoms[new_idx])
    shared_ha = shapely.area(pieces) / 1e4
    keep = shared_ha > 0  # borders that only touch share no area
    old_idx, new_idx, pieces, shared_ha = old_idx[keep], new_idx[keep], pieces[keep], shared_ha[keep]

    table = pd.DataFrame(
        {
            "old_code": old["code"].to_numpy()[old_idx],
            "old_name": old["name"].to_numpy()[old_idx],
            "new_code": new["code"].to_numpy()[new_idx],
            "new_name": new["name"].to_numpy()[new_idx],
            "shared_ha": shared_ha,
            "share_of_old": shared_ha / old_ha[old_idx],
            "share_of_new": shared_ha / new_ha[new_idx],
        }
    )
    is_sliver = ((table["share_of_old"] < sliver_tolerance) & (table["share_of_new"] < sliver_tolerance)).to_numpy()
    if population_column and population_column in old.columns:
        population = pd.to_numeric(old[population_column], errors="coerce").to_numpy(dtype=float)
        table["population"] = population[old_idx] * table["share_of_old"]
        real_total = table["population"].where(~is_sliver).groupby(table["new_code"]).transform("sum")
        table["population_share"] = (table["population"] / real_total).where(~is_sliver)

    coverage = _coverage(old, old_ha, old_idx, pieces, table["share_of_old"].to_numpy(), is_sliver)
    order = ["old_code", "shared_ha"]
    pairs = table[~is_sliver].sort_values(order, ascending=[True, False], ignore_index=True)
    slivers = table[is_sliver].sort_values(order, ascending=[True, False], ignore_index=True)
    return Crosswalk(pairs, slivers, coverage, sliver_tolerance, crs.srs)


def _coverage(
    old: gpd.GeoDataFrame,
    old_ha: np.ndarray,
    old_idx: np.ndarray,
    pieces: np.ndarray,
    share_of_old: np.ndarray,
    is_sliver: np.ndarray,
) -> pd.DataFrame:
    """Per old unit: the area covered by the union of its overlaps, and its summed shares."""
    covered = np.zeros(len(old))
    order = np.argsort(old_idx, kind="stable")
    groups, starts = np.unique(old_idx[order], return_index=True)
    for i, chunk in zip(groups, np.split(pieces[order], starts[1:]), strict=True):
        covered[i] = shapely.area(shapely.union_all(chunk)) / 1e4
    n = len(old)
    return pd.DataFrame(
        {
            "old_code": old["code"].to_numpy(),
            "old_name": old["name"].to_numpy(),
            "old_ha": old_ha,
            "covered_ha": covered,
            "coverage": covered / old_ha,
            "pairs_share": np.bincount(old_idx[~is_sliver], share_of_old[~is_sliver], minlength=n),
            "slivers_share": np.bincount(old_idx[is_sliver], share_of_old[is_sliver], minlength=n),
        }
    )
