"""Road length per commune by class and surface, the hardened share of each class, and the
criterion 2 indicators evaluated against the framework's thresholds.

Pieces are cut at the borders of the vintage's partition (``partition``), each given to one
commune (``clip``), and measured on the WGS 84 ellipsoid (``geodesy``). A whole layer is split
into parts by feature id, each read by a process (or thread) of its own in chunks of
``CHUNK_FEATURES`` features, each chunk clipped and measured (``road_km``, the unit of work of any
engine): memory stays flat whatever the layer's size, and the cores share the work."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd

from geo_ntm.domain import HARDENED, ROAD_CLASSES, SURFACES, Layer, Vintage
from geo_ntm.infrastructure import parallel
from geo_ntm.infrastructure.clip import NEAREST_MAX_DEG, CellIndex, clip_lines
from geo_ntm.infrastructure.coverage import align_to_units, unit_table
from geo_ntm.infrastructure.parallel import forked_map, ordered_map
from geo_ntm.infrastructure.partition import partition_cells
from geo_ntm.infrastructure.thresholds import Thresholds, load_thresholds
from geo_ntm.job_progress import report_progress
from geo_ntm.store import Store, open_store, store_location

log = logging.getLogger(__name__)

#: Features read, clipped and measured together when a whole layer is computed (about 30 MB a
#: chunk of synthetic roads; ``parallel.WORKERS`` chunks are clipped at once).
CHUNK_FEATURES = 50_000
#: Feature ids a worker process (or thread) reads and sums before it returns its km, about 7 MB
#: a part, whatever the part's size; several parts a worker even out their speeds.
PART_FEATURES = 250_000


def road_km(
    features: gpd.GeoDataFrame, cells: gpd.GeoDataFrame, index: CellIndex | None = None
) -> tuple[np.ndarray, float]:
    """Km per (cell, class, surface) as an array shaped (cells, classes, surfaces), and the km
    outside every cell, of road ``features`` (``road_class``, ``surface``, geometry) in the
    partition ``cells`` (in code order; ``index``: their ``CellIndex``, when one is already built).
    Every feature is clipped on its own, so the km of a layer are the sum of this over any split
    of its features."""
    n, c, s = len(cells), len(ROAD_CLASSES), len(SURFACES)
    if features.empty or not n:
        return np.zeros((n, c, s)), 0.0
    pieces = clip_lines(features.geometry.array, index or CellIndex(cells.geometry.array))
    cls = pd.Categorical(features["road_class"].fillna("unknown"), categories=ROAD_CLASSES).codes
    surf = pd.Categorical(features["surface"].fillna("unknown"), categories=SURFACES).codes
    cls, surf = np.where(cls < 0, c - 1, cls), np.where(surf < 0, s - 1, surf)
    inside = pieces.cell >= 0
    key = (pieces.cell[inside] * c + cls[pieces.line[inside]]) * s + surf[pieces.line[inside]]
    km = np.bincount(key, weights=pieces.metres[inside] / 1000, minlength=n * c * s).reshape(n, c, s)
    return km, float(pieces.metres[~inside].sum() / 1000)


def road_table(
    units: gpd.GeoDataFrame, km: np.ndarray, framework_id: str | None, thresholds: Thresholds | None = None
) -> gpd.GeoDataFrame:
    """Per commune: km in total, by class, by class and surface, the hardened share of each class,
    and indicators 2.1-2.4 (value, threshold, its source, verdict). ``km`` is aligned with ``units``."""
    thresholds = thresholds or load_thresholds()
    cols: dict[str, np.ndarray] = {"km_total": km.sum(axis=(1, 2))}
    by_class = km.sum(axis=2)
    hard = np.isin(SURFACES, sorted(HARDENED))
    for i, cls in enumerate(ROAD_CLASSES):
        cols[f"km_{cls}"] = by_class[:, i]
    for i, cls in enumerate(ROAD_CLASSES):
        for j, surface in enumerate(SURFACES):
            cols[f"km_{cls}_{surface}"] = km[:, i, j]
    with np.errstate(invalid="ignore", divide="ignore"):
        for i, cls in enumerate(ROAD_CLASSES):
            cols[f"hardened_share_{cls}"] = km[:, i, hard].sum(axis=1) / by_class[:, i]
        unknown = SURFACES.index("unknown")
        for ind in thresholds.of_topic("roads"):
            rows = [ROAD_CLASSES.index(c) for c in ind.classes]
            total = by_class[:, rows].sum(axis=1)
            share = km[:, rows][:, :, np.isin(SURFACES, sorted(ind.surfaces))].sum(axis=(1, 2)) / total
            unknown_share = km[:, rows, unknown].sum(axis=1) / total
            cols |= thresholds.columns(ind, framework_id, units["province_code"], share, unknown_share)
    return unit_table(units, cols, framework=framework_id)


def road_coverage(
    store: Store,
    vintage: Vintage,
    layer: Layer,
    units: gpd.GeoDataFrame,
    framework_id: str | None,
    thresholds: Thresholds | None = None,
    whole_vintage: bool = False,
) -> tuple[gpd.GeoDataFrame, dict]:
    """``road_table`` for ``units`` (communes of ``vintage``) from a stored road layer, and totals.

    The layer and the partition never change, so the km of the whole layer per commune are
    computed once, when the whole vintage is asked (``whole_vintage``), stored, and summed from
    the store for every later question. Until then only the roads and partition cells around
    ``units`` are read and clipped; the result for a commune is the same either way."""
    stored = store.road_km(layer.layer_id, vintage.vintage_id)
    if stored is None and whole_vintage:
        stored = _store_layer_km(store, vintage, layer)
    aligned = _scope_km(store, vintage, layer, units) if stored is None else _stored_km(units, stored)
    table = road_table(units, aligned, framework_id, thresholds)
    totals = {
        "communes": len(units),
        "km_total": float(aligned.sum()),
        **{f"km_{c}": float(aligned[:, i].sum()) for i, c in enumerate(ROAD_CLASSES)},
        "layer": layer.name,
        "layer_date": layer.valid_date.isoformat(),
        "vintage": vintage.name,
    }
    return table, totals


def _scope_km(store: Store, vintage: Vintage, layer: Layer, units: gpd.GeoDataFrame) -> np.ndarray:
    """``road_km`` of ``units`` from the roads and cells around them."""
    minx, miny, maxx, maxy = units.total_bounds
    pad = NEAREST_MAX_DEG
    features = store.layer_features(
        layer.layer_id, bbox=(minx - pad, miny - pad, maxx + pad, maxy + pad), attributes=("road_class", "surface")
    )
    if len(features):
        minx, miny, maxx, maxy = features.total_bounds
    cells = partition_cells(store, vintage, bbox=(minx - pad, miny - pad, maxx + pad, maxy + pad))
    km, _ = road_km(features, cells)
    return align_to_units(units, cells["unit_id"], km)


def _store_layer_km(store: Store, vintage: Vintage, layer: Layer) -> pd.DataFrame:
    """Compute the km of the whole layer per commune, class and surface, and store them."""
    log.info("computing the km of road layer %s per commune of vintage %s (once)", layer.name, vintage.name)
    report_progress(0.15, f"reading the commune partition of {vintage.name} (built once per vintage)")
    cells = partition_cells(store, vintage)
    report_progress(0.4, f"reading, clipping and measuring the road layer {layer.name} in {len(cells):,} communes")
    km, _ = layer_km(store, layer, cells)
    report_progress(0.9, "storing the km per commune")
    cell, cls, surface = np.nonzero(km)
    table = pd.DataFrame(
        {
            "unit_id": cells["unit_id"].to_numpy()[cell],
            "road_class": np.asarray(ROAD_CLASSES)[cls],
            "surface": np.asarray(SURFACES)[surface],
            "km": km[cell, cls, surface],
        }
    )
    store.add_road_km(layer.layer_id, vintage.vintage_id, table)
    return table


def layer_km(
    store: Store, layer: Layer, cells: gpd.GeoDataFrame, chunk: int = CHUNK_FEATURES
) -> tuple[np.ndarray, float]:
    """``road_km`` of a whole stored layer, read ``chunk`` features at a time and summed in the
    order of the features (so the same answer, to the rounding of the sums, for any ``chunk`` and
    any number of workers); progress is reported from 0.4 to 0.9.

    Where this process may fork (``parallel.forking``: the command line), the feature ids are split
    into parts (``feature_parts``), each read from a store of its own (the layer as committed) and
    clipped in a forked worker process. Elsewhere (a service job: a daemonic process under its own
    memory ceiling) the layer is read from ``store`` and its chunks clipped on threads."""
    index = CellIndex(cells.geometry.array)  # built once: the processes inherit it, the threads share it
    attributes = ("road_class", "surface")
    if parallel.forking():
        location = store_location(store)
        parts = feature_parts(store.layer_feature_ids(layer.layer_id), PART_FEATURES, chunk)

        def part_km(ids: range) -> tuple[np.ndarray, float]:
            with open_store(location) as own:
                batches = own.layer_feature_batches(layer.layer_id, attributes, chunk, ids=ids)
                return _summed((road_km(features, cells, index) for features in batches), len(cells))

        results, total, unit, on = forked_map(part_km, parts), len(parts), "parts", "processes"
    else:
        batches = store.layer_feature_batches(layer.layer_id, attributes, chunk)
        results = ordered_map(lambda features: road_km(features, cells, index), batches)
        total, unit, on = -(-layer.feature_count // chunk), "chunks", "threads"

    def progress(done: int) -> None:
        report_progress(0.4 + 0.5 * done / total, f"road layer {layer.name}: {done} of {total} {unit} done")

    km, outside = _summed(results, len(cells), progress)
    log.info("road layer %s: clipped and measured in %d %s on %d %s", layer.name, total, unit, parallel.WORKERS, on)
    return km, outside


def _summed(results: Iterable[tuple[np.ndarray, float]], cells: int, progress=None) -> tuple[np.ndarray, float]:
    """The sums, in their order, of ``road_km``'s (km, km outside) of ``cells`` cells;
    ``progress(n)`` after the n-th."""
    km, outside = np.zeros((cells, len(ROAD_CLASSES), len(SURFACES))), 0.0
    for done, (part, part_outside) in enumerate(results, start=1):
        km += part
        outside += part_outside
        if progress is not None:
            progress(done)
    return km, outside


def feature_parts(ids: range, size: int, least: int) -> list[range]:
    """``ids`` cut into consecutive ranges of about ``size`` ids, and into at least
    ``parallel.WORKERS`` ranges (every worker gets a share) of at least ``least`` ids."""
    if not len(ids):
        return []
    count = max(-(-len(ids) // size), min(parallel.WORKERS, -(-len(ids) // least)))
    edges = np.linspace(ids.start, ids.stop, count + 1).round().astype(int)
    return [range(a, b) for a, b in itertools.pairwise(edges.tolist())]


def _stored_km(units: gpd.GeoDataFrame, stored: pd.DataFrame) -> np.ndarray:
    """The stored km as an array (units, classes, surfaces) in the order of ``units``."""
    km = np.zeros((len(units), len(ROAD_CLASSES), len(SURFACES)))
    row = pd.Index(units["unit_id"]).get_indexer(stored["unit_id"])
    mine = row >= 0
    cls = pd.Index(ROAD_CLASSES).get_indexer(stored["road_class"])[mine]
    surface = pd.Index(SURFACES).get_indexer(stored["surface"])[mine]
    np.add.at(km, (row[mine], cls, surface), stored["km"].to_numpy()[mine])
    return km
