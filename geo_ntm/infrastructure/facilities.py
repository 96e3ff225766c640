"""Facilities per commune: the count of each kind (schools, health stations, markets ...), and
the people within a distance of the nearest facility of a kind.

Points go to communes and distances are measured as ``reach`` says; people are zonal sums."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geo_ntm.domain import FACILITY_KINDS, Layer, Vintage
from geo_ntm.errors import InputError
from geo_ntm.infrastructure.coverage import align_to_units, described, unit_table
from geo_ntm.infrastructure.reach import assign_points, cells_around, near_scope, people_within, read_around
from geo_ntm.store import Store


def layer_kinds(layer: Layer, features: gpd.GeoDataFrame) -> dict[str, int]:
    """Facility kinds of a layer with their counts (recorded at import; for older layers, those
    of ``features``)."""
    recorded = layer.summary.get("kinds")
    if recorded is None:
        recorded = features["kind"].fillna("unknown").value_counts().to_dict()
    return {str(k): int(n) for k, n in recorded.items()}


def checked_kind(kind: str | None, layer: Layer, kinds: dict[str, int]) -> str | None:
    """``kind`` if the layer has facilities of it (or it is a shipped kind); else an error naming
    the kinds the layer has."""
    if kind is None or kind in kinds or kind in FACILITY_KINDS:
        return kind
    held = ", ".join(f"{k} ({n})" for k, n in sorted(kinds.items())) or "none"
    raise InputError(f"layer {layer.name!r} has no facility of kind {kind!r}; its kinds: {held}")


def facility_coverage(
    store: Store,
    vintage: Vintage,
    units: gpd.GeoDataFrame,
    facilities: Layer,
    population: Layer | None,
    kind: str | None,
    distance: float | None,
) -> tuple[gpd.GeoDataFrame, dict]:
    """Per commune of ``units``: facilities by kind and, when ``distance`` is given, the people
    within ``distance`` metres of a facility of ``kind`` (any kind when None); totals."""
    cells = cells_around(store, vintage, units)
    features = read_around(store, facilities, cells, distance or 0.0)
    held = layer_kinds(facilities, features)
    kind = checked_kind(kind, facilities, held)
    points = np.asarray(features.geometry.array, dtype=object)
    kind_of = features["kind"].fillna("unknown").to_numpy()
    near = near_scope(points, cells)  # features further away were read as sources of reach only
    owner = assign_points(points[near], np.asarray(cells.geometry.array))
    kinds = list(dict.fromkeys([*FACILITY_KINDS, *sorted(held), *sorted(set(kind_of))]))
    code = pd.Categorical(kind_of[near], categories=kinds).codes
    inside = owner >= 0
    counts = np.bincount(owner[inside] * len(kinds) + code[inside], minlength=len(cells) * len(kinds)).reshape(
        len(cells), len(kinds)
    )
    counts = align_to_units(units, cells["unit_id"], counts.astype(float)).astype(int)
    cols = {"facilities_total": counts.sum(axis=1), **{f"facilities_{k}": counts[:, i] for i, k in enumerate(kinds)}}
    totals = {
        "communes": len(units),
        "facilities_total": int(counts.sum()),
        **{f"facilities_{k}": int(counts[:, i].sum()) for i, k in enumerate(kinds)},
        "facilities_outside_every_commune": int((~inside).sum()),
        "kind": kind,
        "distance_m": distance,
    }
    if distance is not None:
        assert population is not None, "the people within a distance need a population layer"
        people, people_totals = people_within(
            store, population, units, cells, points if kind is None else points[kind_of == kind], distance
        )
        cols |= people
        totals |= people_totals
    layers = described({"facilities": facilities, "population": population if distance is not None else None})
    return unit_table(units, cols), {**totals, **layers, "vintage": vintage.name}
