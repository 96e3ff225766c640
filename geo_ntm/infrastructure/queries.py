"""The coverage questions the CLI and the API answer: which boundaries, which communes, which
layers, then the per-commune table of one topic (roads, population, water, facilities) or
the communes whose reported criteria 2 and 17 disagree with those measures (discrepancies)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import geopandas as gpd
import pandas as pd

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
from geo_ntm.job_progress import report_progress
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
class Engine:
    """Where the road, water and facility answers are computed: functions with the signatures of
    ``road_coverage``, ``water_coverage`` and ``facility_coverage`` (those: this process, the
    ``local`` engine; ``dask_engine.opened_engine``: a Dask cluster, same answers)."""

    roads: Callable = road_coverage
    water: Callable = water_coverage
    facilities: Callable = facility_coverage


LOCAL = Engine()


@dataclass(frozen=True)
class _Communes:
    """The communes a question is about, with the day and the framework of that day's year, and
    the engine computing the answer."""

    where: Where
    units: gpd.GeoDataFrame
    framework: str | None
    engine: Engine = field(default=LOCAL)

    @property
    def day(self) -> dt.date:
        return self.where.day

    @property
    def vintage(self) -> Vintage:
        return self.where.vintage


def _roads(store: Store, r: CoverageRequest, s: _Communes, thresholds: Thresholds):
    layer = _layer(store, r.layer, LayerKind.ROADS, s.day)
    return s.engine.roads(store, s.vintage, layer, s.units, s.framework, thresholds, whole_vintage=r.where.national)


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
    return s.engine.water(
        store, s.vintage, s.units, layers, distance, s.framework, thresholds, whole_vintage=r.where.national
    )


def _facilities(store: Store, r: CoverageRequest, s: _Communes, thresholds: Thresholds):
    distance = None if r.distance is None else checked_distance(r.distance, "facility reach")
    population = None if distance is None else _layer(store, r.population_layer, LayerKind.POPULATION, s.day)
    return s.engine.facilities(
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


def checked_request(store: Store, request: CoverageRequest) -> None:
    """Refuse at once what no computation could answer (InputError or NotFoundError): an unknown
    topic, an option the topic does not take, a distance out of range, a layer that is not stored or
    holds another kind. What only the computation finds (no layer of a kind on the day, ...) is not
    checked here."""
    if request.topic not in TOPICS:
        raise InputError(f"unknown coverage topic {request.topic!r}; one of {', '.join(TOPICS)}")
    options = TOPICS[request.topic][1]
    stray = [o for o in _OPTIONS if getattr(request, o) is not None and o not in options]
    if stray:
        named = "; ".join(f"--{o.replace('_', '-')} / {o}=" for o in stray)
        raise InputError(
            f"{request.topic} coverage does not take {named}" + (f" (it takes {', '.join(options)})" if options else "")
        )
    if request.topic == "facilities" and request.kind is not None and request.distance is None:
        raise InputError(
            f"a facility kind ({request.kind!r}) asks for the people within a distance of it: add a "
            "distance in metres (--distance / distance=)"
        )
    if request.topic == "water" or request.distance is not None:
        checked_distance(request.distance, "facility reach" if request.topic == "facilities" else "water coverage")
    for option, kind in _LAYER_KINDS[request.topic].items():
        name = getattr(request, option)
        if name is not None:
            _layer(store, name, kind, request.where.day)


def question_text(request: CoverageRequest, thresholds: Thresholds) -> str:
    """What the answer to ``request`` depends on besides the stored data, as one canonical text:
    the key of its stored answer (``Store.computed_result``) and of its background job."""
    where = request.where
    return json.dumps(
        {
            "topic": request.topic,
            "vintage": where.vintage.vintage_id,
            "day": where.day.isoformat(),
            "province": where.province.code if where.province else None,
            "district": where.district.code if where.district else None,
            **{o: getattr(request, o) for o in ("layer", *_OPTIONS) if o != "distance"},
            "distance": None if request.distance is None else float(request.distance),
            "thresholds": hashlib.sha256(_canonical(thresholds).encode()).hexdigest()[:16],
        },
        sort_keys=True,
        ensure_ascii=False,
    )


def _canonical(value) -> str:
    """A text of ``value`` the same in every process (``repr`` of a set depends on the process's
    string hashing): dataclasses by their fields, mappings and sets sorted."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        inner = ", ".join(f"{f.name}={_canonical(getattr(value, f.name))}" for f in dataclasses.fields(value))
        return f"{type(value).__name__}({inner})"
    if isinstance(value, dict):
        return "{" + ", ".join(sorted(f"{_canonical(k)}: {_canonical(v)}" for k, v in value.items())) + "}"
    if isinstance(value, set | frozenset):
        return "{" + ", ".join(sorted(_canonical(v) for v in value)) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_canonical(v) for v in value) + "]"
    return repr(value)


def stored_coverage(
    store: Store, request: CoverageRequest, thresholds: Thresholds | None = None
) -> tuple[pd.DataFrame, dict] | None:
    """The stored answer to ``request`` on the store's current data (the per-commune table without
    geometry, and the totals), or None while it has not been computed."""
    return store.computed_result(question_text(request, thresholds or load_thresholds()), store.content_version())


def coverage(
    store: Store, request: CoverageRequest, thresholds: Thresholds | None = None, engine: Engine = LOCAL
) -> tuple[gpd.GeoDataFrame, dict]:
    """The per-commune table and the totals of ``request``; verdicts use ``thresholds`` (default:
    the shipped ones; the CLI and the API add the ``GEO_NTM_THRESHOLDS`` file). An answer stored
    on the current data is read back; otherwise it is computed by ``engine`` (roads, water and
    facilities; the same answer from every engine) and stored for later questions."""
    checked_request(store, request)
    thresholds = thresholds or load_thresholds()
    question, version = question_text(request, thresholds), store.content_version()
    where = request.where
    report_progress(0.05, "reading the communes")
    communes = _Communes(where, place_communes(store, where), framework_of_year(where.day.year), engine)
    stored = store.computed_result(question, version)
    if stored is not None:
        rows, totals = stored
        by_unit = communes.units.set_index("unit_id").geometry
        geometry = by_unit.reindex(rows["unit_id"].to_numpy()).reset_index(drop=True)
        return gpd.GeoDataFrame(rows, geometry=geometry, crs=communes.units.crs), totals
    report_progress(0.1, f"computing the {request.topic} coverage of {len(communes.units)} communes")
    table, totals = TOPICS[request.topic][0](store, request, communes, thresholds)
    totals = {"topic": request.topic, "day": where.day.isoformat(), "framework": communes.framework, **totals}
    report_progress(0.95, "storing the answer")
    store.add_computed_result(question, version, request.topic, pd.DataFrame(table.drop(columns="geometry")), totals)
    return table, totals


#: The options of ``CoverageRequest`` besides ``layer``; a topic takes those of ``TOPICS``.
_OPTIONS = ("distance", "kind", "points_layer", "households_layer", "population_layer")
#: The layers a topic's question may name, and the kind each must hold.
_WATER_LAYERS = {
    "points_layer": LayerKind.WATER_POINTS,
    "households_layer": LayerKind.HOUSEHOLDS,
    "population_layer": LayerKind.POPULATION,
}
_LAYER_KINDS: dict[str, dict[str, LayerKind]] = {
    "roads": {"layer": LayerKind.ROADS},
    "population": {"layer": LayerKind.POPULATION},
    "water": {"layer": LayerKind.WATER_LINES, **_WATER_LAYERS},
    "facilities": {"layer": LayerKind.FACILITIES, "population_layer": LayerKind.POPULATION},
    "discrepancies": {"layer": LayerKind.ROADS, **_WATER_LAYERS},
}


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
