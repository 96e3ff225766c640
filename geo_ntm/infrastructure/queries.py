"""The coverage questions the CLI and the API answer: which boundaries, which communes, which
layers, then the per-commune table of one topic (roads, population, water, facilities) or
the communes whose reported criteria 2 and 17 disagree with those measures (discrepancies)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import geopandas as gpd

from geo_ntm.domain import Layer, LayerKind, Vintage
from geo_ntm.errors import InputError, NotFoundError
from geo_ntm.infrastructure.coverage import framework_of_year, place_communes
from geo_ntm.infrastructure.discrepancy import discrepancy_coverage
from geo_ntm.infrastructure.facilities import facility_coverage
from geo_ntm.infrastructure.population import population_coverage
from geo_ntm.infrastructure.reach import checked_distance
from geo_ntm.infrastructure.roads import road_coverage
from geo_ntm.infrastructure.thresholds import Thresholds, load_thresholds
from geo_ntm.infrastructure.water import WaterLayers, water_coverage
from geo_ntm.store import Store
from geo_ntm.where import Where


@dataclass(frozen=True)
class CoverageRequest:
    """One coverage question: the topic, where and when (the boundaries, the day, the place;
    no province is the whole country), from which layers and, for water and facilities, within
    which distance."""

    topic: str
    where: Where
    layer: str | None = None  # the layer measured: roads, population, water lines or facilities
    distance: float | None = None  # metres: water and facilities
    kind: str | None = None  # facilities: the kind whose reach is measured (default: any)
    points_layer: str | None = None  # water: supply points
    population_layer: str | None = None  # water and facilities: the population raster
    # every layer above not named is the latest of its kind on the day (for water: the lines and
    # the points if there are any, at least one of the two)
    households_layer: str | None = None  # water: household points, used only when named (17.1 is
    # then a share of households rather than of people)


@dataclass(frozen=True)
class _Communes:
    """The communes a question is about, with the day and the framework of that day's year."""

    where: Where
    units: gpd.GeoDataFrame
    framework: str | None

    @property
    def day(self) -> dt.date:
        return self.where.day

    @property
    def vintage(self) -> Vintage:
        return self.where.vintage


def _roads(store: Store, r: CoverageRequest, s: _Communes, thresholds: Thresholds):
    layer = _layer(store, r.layer, LayerKind.ROADS, s.day)
    return road_coverage(store, s.vintage, layer, s.units, s.framework, thresholds, whole_vintage=r.where.national)


def _population(store: Store, r: CoverageRequest, s: _Communes, thresholds: Thresholds):
    return population_coverage(store, s.vintage, _layer(store, r.layer, LayerKind.POPULATION, s.day), s.units)


def _water(store: Store, r: CoverageRequest, s: _Communes, thresholds: Thresholds):
    distance = checked_distance(r.distance, "water coverage")
    lines = _optional_layer(store, r.layer, LayerKind.WATER_LINES, s.day)
    points = _optional_layer(store, r.points_layer, LayerKind.WATER_POINTS, s.day)
    if lines is None and points is None:
        raise NotFoundError(
            f"no water_lines or water_points layer dated on or before {s.day.isoformat()}; "
            "run 'geo-ntm layers import --kind water_lines' (or water_points) first"
        )
    households = None if r.households_layer is None else _layer(store, r.households_layer, LayerKind.HOUSEHOLDS, s.day)
    layers = WaterLayers(_layer(store, r.population_layer, LayerKind.POPULATION, s.day), lines, points, households)
    return water_coverage(store, s.vintage, s.units, layers, distance, s.framework, thresholds)


def _facilities(store: Store, r: CoverageRequest, s: _Communes, thresholds: Thresholds):
    if r.kind is not None and r.distance is None:
        raise InputError(
            f"a facility kind ({r.kind!r}) asks for the people within a distance of it: add a "
            "distance in metres (--distance / distance=)"
        )
    distance = None if r.distance is None else checked_distance(r.distance, "facility reach")
    population = None if distance is None else _layer(store, r.population_layer, LayerKind.POPULATION, s.day)
    return facility_coverage(
        store, s.vintage, s.units, _layer(store, r.layer, LayerKind.FACILITIES, s.day), population, r.kind, distance
    )


def _discrepancies(store: Store, r: CoverageRequest, s: _Communes, thresholds: Thresholds):
    """Criterion 2 against the roads (``layer``), criterion 17 against the water coverage when a
    distance is given; a check without its layers is skipped and said so in the totals."""
    tables, skipped = {}, {}
    try:
        tables["roads"] = _roads(store, r, s, thresholds)[0]
    except NotFoundError as exc:
        skipped["roads"] = str(exc)
    if r.distance is None:
        skipped["water"] = "no distance given (--distance / distance=): criterion 17 is not checked"
    else:
        try:
            tables["water"] = _water(store, replace(r, layer=None), s, thresholds)[0]
        except NotFoundError as exc:
            skipped["water"] = str(exc)
    if not tables:
        raise NotFoundError("nothing to compare the reported statuses with: " + "; ".join(skipped.values()))
    return discrepancy_coverage(store, s.vintage, s.units, s.day.year, tables, r.where.national, skipped)


#: Measure -> how it is computed, and the options of ``CoverageRequest`` it takes beyond ``layer``.
TOPICS = {
    "roads": (_roads, ()),
    "population": (_population, ()),
    "water": (_water, ("distance", "points_layer", "households_layer", "population_layer")),
    "facilities": (_facilities, ("distance", "kind", "population_layer")),
    "discrepancies": (_discrepancies, ("distance", "points_layer", "households_layer", "population_layer")),
}


def coverage(
    store: Store, request: CoverageRequest, thresholds: Thresholds | None = None
) -> tuple[gpd.GeoDataFrame, dict]:
    """The per-commune table and the totals of ``request``; verdicts use ``thresholds`` (default:
    the shipped ones; the CLI and the API add the ``GEO_NTM_THRESHOLDS`` file)."""
    if request.topic not in TOPICS:
        raise InputError(f"unknown coverage topic {request.topic!r}; one of {', '.join(TOPICS)}")
    compute, options = TOPICS[request.topic]
    stray = [
        o
        for o in ("distance", "kind", "points_layer", "households_layer", "population_layer")
        if getattr(request, o) is not None and o not in options
    ]
    if stray:
        named = "; ".join(f"--{o.replace('_', '-')} / {o}=" for o in stray)
        raise InputError(
            f"{request.topic} coverage does not take {named}" + (f" (it takes {', '.join(options)})" if options else "")
        )
    where = request.where
    communes = _Communes(where, place_communes(store, where), framework_of_year(where.day.year))
    table, totals = compute(store, request, communes, thresholds or load_thresholds())
    return table, {"topic": request.topic, "day": where.day.isoformat(), "framework": communes.framework, **totals}


def _layer(store: Store, name: str | None, kind: LayerKind, day: dt.date) -> Layer:
    if name is None:
        return store.latest_layer(kind, day)
    layer = store.layer_named(name)
    if layer.kind is not kind:
        raise InputError(f"layer {layer.name!r} holds {layer.kind.value}, not {kind.value}")
    return layer


def _optional_layer(store: Store, name: str | None, kind: LayerKind, day: dt.date) -> Layer | None:
    """The layer named, else the latest of ``kind`` on ``day``, else None."""
    if name is not None:
        return _layer(store, name, kind, day)
    try:
        return store.latest_layer(kind, day)
    except NotFoundError:
        return None
