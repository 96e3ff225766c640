"""The coverage questions the CLI and the API answer: which boundaries, which communes, which
layers, then the per-commune table of one measure (roads, population, water, facilities)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import geopandas as gpd

from geo_ntm.errors import InputError
from geo_ntm.infrastructure.coverage import framework_of_year, query_day, scope_communes
from geo_ntm.infrastructure.model import LayerKind
from geo_ntm.infrastructure.population import population_coverage
from geo_ntm.infrastructure.roads import road_coverage
from geo_ntm.store import Store

MEASURES = {"roads": LayerKind.ROADS, "population": LayerKind.POPULATION}


@dataclass(frozen=True)
class CoverageRequest:
    """One coverage question: the measure, where, when and from which layers."""

    measure: str
    province: str | None = None
    district: str | None = None
    day: dt.date | None = None
    year: int | None = None
    vintage: str | None = None
    layer: str | None = None  # the layer measured (default: the latest of its kind on the day)


def coverage(store: Store, request: CoverageRequest) -> tuple[gpd.GeoDataFrame, dict]:
    """The per-commune table and the totals of ``request``."""
    if request.measure not in MEASURES:
        raise InputError(f"unknown coverage measure {request.measure!r}; one of {', '.join(MEASURES)}")
    day = query_day(request.day, request.year)
    vintage = store.resolve_vintage(vintage=request.vintage, day=request.day, year=request.year)
    units = scope_communes(store, vintage, request.province, request.district)
    framework = framework_of_year(day.year)
    layer = _layer(store, request.layer, MEASURES[request.measure], day)
    if request.measure == "roads":
        table, totals = road_coverage(store, vintage, layer, units, framework)
    else:
        table, totals = population_coverage(store, vintage, layer, units)
    return table, {"measure": request.measure, "day": day.isoformat(), "framework": framework, **totals}


def _layer(store: Store, name: str | None, kind: LayerKind, day: dt.date):
    if name is None:
        return store.latest_layer(kind, day)
    layer = store.layer_named(name)
    if layer.kind is not kind:
        raise InputError(f"layer {layer.name!r} holds {layer.kind.value}, not {kind.value}")
    return layer
