"""The road, water and facility questions on a Dask cluster (``dask.distributed``), answered and
stored exactly as the local engine answers and stores them.

- **Partitions.** The communes asked are split on a grid: blocks of ``PARTITION_DEG`` degrees
  in one UTM zone (``partition_keys``), whole tiles of the grid ``reach`` works in. A task carries
  its partition's communes, the box of the features that can matter to them (the box of its
  communes and partition cells, grown by the distance asked and twice ``clip.NEAREST_MAX_DEG``)
  and the store's location (``store_location``: the GeoPackage file or the PostgreSQL URL); the
  worker opens the store once per worker thread (``_worker_store``) and reads its own box, so
  the features never pass through the client or the scheduler, and the reading is as parallel as
  the compute. The worker checks that the store's content version is the one the job started on
  (a store changed meanwhile fails the job: nothing mixed is stored). The commune partition and
  the population raster are read once by the client and put in the task graph once
  (``dask.delayed``): the scheduler gives them to the workers, again to one restarted after a
  death (data scattered to workers would die with them).
- **dask-geopandas** holds the partitioning: the communes asked become a
  ``dask_geopandas.GeoDataFrame`` indexed by partition number with one partition per key (its
  divisions), whose ``spatial_partitions`` are the boxes the workers read; ``map_partitions``
  runs the per-partition function on each, and the job is the list of those partitions'
  futures (``Client.compute``), collected as they complete.
- **Per partition** a worker runs the local engine's own function (``road_coverage``,
  ``water_coverage``, ``facility_coverage``) on the partition's communes against
  ``_PartitionStore``, which serves what the worker read the way the store serves it (envelope
  filter on a box). The answer of a commune depends only on the data around it (the local
  functions are written so), so it is the same whichever partition computes it (but for the
  order ``reach`` unions the same buffers in, see ``partition_keys``).
- **Gathered.** The per-commune rows are put back in the order of the communes asked; the totals
  are summed (shares recomputed from the sums). Road km are then stored per layer and vintage as
  the local engine stores them (``Store.add_road_km``) and the table built from them by
  ``road_coverage`` itself; ``queries.coverage`` stores the answer. Nothing is written before every
  partition succeeded: a failed job leaves the store as it was.
- **Failures.** A worker that dies has its tasks run again elsewhere (the scheduler's
  ``distributed.scheduler.allowed-failures``); past that, or on any error in a partition, the job
  fails with ``DaskJobError`` naming the partition (an ``InputError`` of the local functions,
  e.g. an unknown facility kind, is raised as it is).

Totals ``*_outside_every_commune`` (points outside every commune) are counted per partition and
summed: a point outside every commune but near two partitions' boxes is counted in each.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import multiprocessing
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_ntm.domain import ROAD_CLASSES, SURFACES, Layer, Vintage
from geo_ntm.errors import GeoNtmError, InputError
from geo_ntm.infrastructure.clip import NEAREST_MAX_DEG
from geo_ntm.infrastructure.coverage import share
from geo_ntm.infrastructure.facilities import facility_coverage
from geo_ntm.infrastructure.partition import partition_cells
from geo_ntm.infrastructure.queries import LOCAL, Engine
from geo_ntm.infrastructure.reach import TILE_DEG, cell_zones, cells_around, padded
from geo_ntm.infrastructure.roads import road_coverage
from geo_ntm.infrastructure.thresholds import Thresholds
from geo_ntm.infrastructure.water import WaterLayers, water_coverage
from geo_ntm.job_progress import report_progress
from geo_ntm.store import BBox, Store, open_store, store_location
from geo_ntm.store.base import FEATURE_ATTRIBUTES

log = logging.getLogger(__name__)

#: The side of a partition's block, in degrees: a whole number of ``reach.TILE_DEG`` tiles. Single
#: 0.1° tiles made 170 partitions of 938 communes in bench/bench_dask.py, each worker reading 3.1x
#: the households (the boxes overlap by the distance and twice ``NEAREST_MAX_DEG``) and 3.7x the
#: local compute in all; 1° blocks left two of seven partitions with 95% of the work.
TILES_PER_PARTITION = 5
PARTITION_DEG = TILES_PER_PARTITION * TILE_DEG
#: Totals that are the same for every partition (not summed).
_SHARED_NUMBERS = {"distance_m"}


class DaskJobError(GeoNtmError):
    """A partition of a Dask job failed (its worker died too often, or it raised)."""


def _imported():
    try:
        import dask
        import dask_geopandas
        import distributed
    except ImportError:  # pragma: no cover - the extra is installed wherever the tests run
        raise GeoNtmError("the dask engine needs the optional dependencies: pip install -e '.[dask]'") from None
    return dask, distributed, dask_geopandas


#: The engines a coverage question can be computed by.
ENGINES = ("local", "dask")


def _shared(value: Any) -> Any:
    """``value`` (the partition cells, the population raster) as a literal of the task graph, for
    every partition: the scheduler keeps it and gives it again to a worker started after one died,
    where data scattered to the workers is lost with the worker holding it."""
    dask, _, _ = _imported()
    return dask.delayed(value, pure=False)


@contextlib.contextmanager
def opened_engine(name: str = "local", scheduler: str | None = None) -> Iterator[Engine]:
    """The engine named (``ENGINES``): ``local`` (this process), or ``dask`` on the scheduler at
    ``scheduler`` or, when it is None, on a local cluster started and closed here."""
    if name not in ENGINES:
        raise InputError(f"unknown engine {name!r}; one of {', '.join(ENGINES)}")
    if name == "local":
        if scheduler:
            raise InputError(f"a Dask scheduler ({scheduler}) is given but the engine is local: add --engine dask")
        yield LOCAL
        return
    with dask_engine(scheduler) as engine:
        yield engine


@contextlib.contextmanager
def dask_engine(scheduler: str | None = None, workers: int | None = None) -> Iterator[Engine]:
    """An ``Engine`` computing on the Dask scheduler at ``scheduler`` (``tcp://host:8786``), or
    on a ``LocalCluster`` of ``workers`` processes (default: one per core) on 127.0.0.1, without
    dashboard, started here and closed on leaving. A daemonic process (a job worker of the
    service) may not start processes: its local cluster has ``workers`` threads instead."""
    _, distributed, _ = _imported()
    with contextlib.ExitStack() as stack:
        if scheduler:
            try:
                client = stack.enter_context(distributed.Client(scheduler, timeout="20s"))
            except OSError as exc:
                raise InputError(f"cannot reach the Dask scheduler {scheduler!r}: {exc}") from None
        else:
            cluster = stack.enter_context(
                distributed.LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    host="127.0.0.1",
                    dashboard_address=None,
                    # no dashboard; the scheduler's plain HTTP routes (health) on a free local port, not 8787
                    scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                    processes=not multiprocessing.current_process().daemon,
                )
            )
            client = stack.enter_context(distributed.Client(cluster))
        yield engine_on(client)


def engine_on(client) -> Engine:
    """An ``Engine`` computing on the Dask ``client``'s cluster (the caller keeps it open)."""
    return Engine(
        roads=lambda *args, **kwargs: dask_road_coverage(client, *args, **kwargs),
        water=lambda *args, **kwargs: dask_water_coverage(client, *args, **kwargs),
        facilities=lambda *args, **kwargs: dask_facility_coverage(client, *args, **kwargs),
    )


# -- what a worker gets: a partition to read from the store, served by the store's reading interface
@dataclass(frozen=True)
class _Partition:
    """One partition: its key, its communes, the store it reads from (``location`` at content
    version ``version``) and what it reads there: the features of each layer of ``reads`` (with
    those attributes) whose envelope meets ``box``."""

    key: str
    units: gpd.GeoDataFrame
    location: str
    version: int
    box: BBox
    reads: tuple[tuple[Layer, tuple[str, ...]], ...]

    def features(self) -> dict[int, gpd.GeoDataFrame]:
        """The partition's features by layer id, read from the store (on the worker) through the
        worker's open store, or a newly opened one if that fails (its connection broke since,
        e.g. the database server restarted)."""
        try:
            return self._read(_worker_store(self.location))
        except GeoNtmError:
            raise
        except Exception:
            _forget_store(self.location)
            return self._read(_worker_store(self.location))

    def _read(self, store: Store) -> dict[int, gpd.GeoDataFrame]:
        found = store.content_version()
        if found != self.version:
            raise GeoNtmError(
                f"the store changed during the Dask job (content version {found}, the job started on "
                f"{self.version}): nothing was stored; ask again"
            )
        return {x.layer_id: store.layer_features(x.layer_id, bbox=self.box, attributes=a) for x, a in self.reads}


@dataclass(frozen=True)
class _Job:
    """What the partitions of a job share: the store (``location`` at content version
    ``version``), the layers read (``reads``) and, by partition number, each partition's key and
    the box its worker reads."""

    location: str
    version: int
    reads: tuple[tuple[Layer, tuple[str, ...]], ...]
    keys: tuple[str, ...]
    boxes: tuple[BBox, ...]

    def partition(self, units: gpd.GeoDataFrame) -> _Partition:
        """The partition of ``units``, communes indexed by their partition number."""
        number = int(units.index[0])
        return _Partition(
            self.keys[number], units.reset_index(drop=True), self.location, self.version, self.boxes[number], self.reads
        )


#: What ``map_partitions`` gives per partition: one row holding the partition's result.
_RESULT_META = pd.DataFrame({"result": pd.Series(dtype=object)})


def _per_partition(work: Callable) -> Callable:
    """``work(partition, cells, *args)`` in the form dask-geopandas' ``map_partitions`` calls:
    on the partition's communes (indexed by partition number) and the job, its result in a
    one-row frame (``_RESULT_META``). The name stays ``work``'s (task keys begin with it)."""

    @functools.wraps(work)
    def on_partition(units: gpd.GeoDataFrame, job: _Job, cells, *args) -> pd.DataFrame:
        return pd.DataFrame({"result": [work(job.partition(units), cells, *args)]}, index=units.index[:1])

    return on_partition


_OPENED = threading.local()


def _worker_store(location: str) -> Store:
    """The store at ``location``, opened once per worker thread and kept open for its next tasks
    (closed with the thread: a store's connection is used by one thread)."""
    opened = getattr(_OPENED, "stores", None)
    if opened is None:
        opened = _OPENED.stores = {}
    if location not in opened:
        opened[location] = open_store(location)
    return opened[location]


def _forget_store(location: str) -> None:
    """Close and forget this worker thread's store at ``location`` (the next task opens it anew)."""
    store = getattr(_OPENED, "stores", {}).pop(location, None)
    if store is not None:
        with contextlib.suppress(Exception):  # a broken connection may refuse to close cleanly
            store.close()


class _PartitionStore:
    """The reads the local engine makes (``partition``, ``layer_features``, ``layer_raster``,
    ``road_km``, ``water_reach``), served from what the worker read with the store's envelope filter."""

    def __init__(self, part: _Partition, cells: gpd.GeoDataFrame, raster: bytes | None):
        self._cells, self._features, self._raster = cells, part.features(), raster

    def partition(self, vintage_id, bbox: BBox | None = None) -> gpd.GeoDataFrame:
        return _meeting(self._cells, bbox)

    def layer_features(self, layer_id, bbox: BBox | None = None, attributes=FEATURE_ATTRIBUTES) -> gpd.GeoDataFrame:
        frame = _meeting(self._features[layer_id], bbox)
        return frame[[c for c in ("feature_id", *attributes) if c in frame.columns] + [frame.geometry.name]]

    def layer_raster(self, layer_id) -> bytes:
        assert self._raster is not None, "a raster layer read by a partition is shipped with it"
        return self._raster

    def road_km(self, layer_id, vintage_id) -> None:
        return None  # a partition computes its km; the client stores them once all are in

    def water_reach(self, sources, vintage_id, distance) -> None:
        return None  # a partition computes its communes' reach (a national one is stored by the client)


def _meeting(frame: gpd.GeoDataFrame, bbox: BBox | None) -> gpd.GeoDataFrame:
    """The rows of ``frame`` whose envelope meets ``bbox`` (as the store's spatial index selects)."""
    if bbox is None:
        return frame
    b = shapely.bounds(np.asarray(frame.geometry.array))
    keep = (b[:, 0] <= bbox[2]) & (b[:, 2] >= bbox[0]) & (b[:, 1] <= bbox[3]) & (b[:, 3] >= bbox[1])
    return frame[keep].reset_index(drop=True)


@_per_partition
def _road_part(part: _Partition, cells, vintage, layer, framework_id, thresholds) -> np.ndarray:
    """Km per (commune, class, surface) of the partition's communes, by the local engine."""
    store = cast(Store, _PartitionStore(part, cells, None))
    table, _ = road_coverage(store, vintage, layer, part.units, framework_id, thresholds)
    return np.stack(
        [np.column_stack([table[f"km_{c}_{s}"].to_numpy() for s in SURFACES]) for c in ROAD_CLASSES], axis=1
    )


@_per_partition
def _water_part(part: _Partition, cells, raster, vintage, layers, distance, framework_id, thresholds):
    store = cast(Store, _PartitionStore(part, cells, raster))
    table, totals = water_coverage(store, vintage, part.units, layers, distance, framework_id, thresholds)
    return pd.DataFrame(table.drop(columns="geometry")), totals


@_per_partition
def _facility_part(part: _Partition, cells, raster, vintage, facilities, population, kind, distance):
    store = cast(Store, _PartitionStore(part, cells, raster))
    table, totals = facility_coverage(store, vintage, part.units, facilities, population, kind, distance)
    return pd.DataFrame(table.drop(columns="geometry")), totals


# -- the client's side ------------------------------------------------------------------------------
def dask_road_coverage(
    client,
    store: Store,
    vintage: Vintage,
    layer: Layer,
    units: gpd.GeoDataFrame,
    framework_id: str | None,
    thresholds: Thresholds | None = None,
    whole_vintage: bool = False,
) -> tuple[gpd.GeoDataFrame, dict]:
    """``roads.road_coverage`` computed on the cluster: the km of ``units`` per partition, then the
    table and totals by ``road_coverage`` from those km (stored per layer and vintage first when
    the whole vintage is asked, as the local engine stores them)."""
    if store.road_km(layer.layer_id, vintage.vintage_id) is None:
        report_progress(0.15, f"reading the commune partition of {vintage.name}")
        cells = partition_cells(store, vintage)  # a road reaching far needs the cells along it
        reads = [(layer, ("road_class", "surface"))]
        parts = _run(client, store, cells, units, reads, 0.0, _road_part, (vintage, layer, framework_id, thresholds))
        km = np.zeros((len(units), len(ROAD_CLASSES), len(SURFACES)))
        for rows, values in parts:
            km[rows] = values
        table = _km_rows(units, km)
        if whole_vintage:
            report_progress(0.9, "storing the km per commune")
            store.add_road_km(layer.layer_id, vintage.vintage_id, table)
        else:
            store = cast(Store, _KnownKm(store, table))
    return road_coverage(store, vintage, layer, units, framework_id, thresholds, whole_vintage)


def _km_rows(units: gpd.GeoDataFrame, km: np.ndarray) -> pd.DataFrame:
    """Km as the store keeps them: one row per (commune, class, surface) with km, in code order."""
    order = np.argsort(units["code"].to_numpy(), kind="stable")
    cell, cls, surface = np.nonzero(km[order])
    return pd.DataFrame(
        {
            "unit_id": units["unit_id"].to_numpy()[order][cell],
            "road_class": np.asarray(ROAD_CLASSES)[cls],
            "surface": np.asarray(SURFACES)[surface],
            "km": km[order][cell, cls, surface],
        }
    )


class _KnownKm:
    """``store`` with the km of a road layer already computed (not stored: a scope smaller than
    the vintage is not kept, as with the local engine)."""

    def __init__(self, store: Store, km: pd.DataFrame):
        self._store, self._km = store, km

    def road_km(self, layer_id, vintage_id) -> pd.DataFrame:
        return self._km

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def dask_water_coverage(
    client,
    store: Store,
    vintage: Vintage,
    units: gpd.GeoDataFrame,
    layers: WaterLayers,
    distance: float,
    framework_id: str | None,
    thresholds: Thresholds,
    whole_vintage: bool = False,
) -> tuple[gpd.GeoDataFrame, dict]:
    """``water.water_coverage`` computed on the cluster, partition by partition (the people within
    reach per commune stored per layers and distance first when the whole vintage is asked, as the
    local engine stores them; summed from the store once stored)."""
    if store.water_reach(layers.reach_key, vintage.vintage_id, distance) is not None:
        return water_coverage(store, vintage, units, layers, distance, framework_id, thresholds)
    vectors = [x for x in (layers.lines, layers.points, layers.households) if x is not None]
    raster = _shared(store.layer_raster(layers.population.layer_id))
    reads = [(x, ()) for x in vectors]
    parts = _run(
        client, store, cells_around(store, vintage, units), units, reads, distance, _water_part,
        (raster, vintage, layers, distance, framework_id, thresholds),
    )  # fmt: skip
    table, totals = _gathered(units, parts)
    if whole_vintage:
        report_progress(0.9, "storing the people within reach per commune")
        reach = pd.DataFrame({"unit_id": units["unit_id"].to_numpy()})
        reach["population"] = table["population"].to_numpy()
        reach["population_within"] = table["population_within"].to_numpy()
        store.add_water_reach(layers.reach_key, vintage.vintage_id, distance, reach)
    return table, totals


def dask_facility_coverage(
    client,
    store: Store,
    vintage: Vintage,
    units: gpd.GeoDataFrame,
    facilities: Layer,
    population: Layer | None,
    kind: str | None,
    distance: float | None,
) -> tuple[gpd.GeoDataFrame, dict]:
    """``facilities.facility_coverage`` computed on the cluster, partition by partition."""
    raster = None if population is None else _shared(store.layer_raster(population.layer_id))
    parts = _run(
        client, store, cells_around(store, vintage, units), units, [(facilities, ("kind",))], distance or 0.0,
        _facility_part,
        (raster, vintage, facilities, population, kind, distance),
    )  # fmt: skip
    return _gathered(units, parts)


def partition_keys(units: gpd.GeoDataFrame, cells: gpd.GeoDataFrame) -> np.ndarray:
    """The partition of each commune: the UTM zone of its partition cell's centroid and the block
    of ``TILES_PER_PARTITION`` x ``TILES_PER_PARTITION`` tiles of ``reach.TILE_DEG`` holding the
    centroid's tile ("zone:column:row"; "0" without a cell). ``reach`` unions the sources near
    the cells of one zone and tile: with whole tiles in each partition, a commune's reach zone is
    cut from the union of the same sources as in the local engine (``reach_zones`` unions them in
    the order its STRtree query gives, which depends on the whole set of sources read: in rare
    communes the last digits differ, 2.7e-7 of one commune's people within reach of 938 in
    bench/bench_dask.py)."""
    geoms = pd.Series(np.asarray(cells.geometry.array), index=cells["unit_id"].to_numpy())
    geoms = geoms.reindex(units["unit_id"].to_numpy()).to_numpy(dtype=object, copy=True)
    missing = pd.isna(geoms)
    geoms[missing] = shapely.MultiPolygon()
    zones = cell_zones(geoms)
    keys = np.full(len(geoms), "0", dtype=object)
    full = zones > 0
    tiles = np.floor(shapely.get_coordinates(shapely.centroid(geoms[full])) / TILE_DEG).astype(int)  # as reach
    block = tiles // TILES_PER_PARTITION
    keys[full] = [f"{z}:{x}:{y}" for z, (x, y) in zip(zones[full], block, strict=True)]
    return keys


def _run(
    client,
    store: Store,
    cells: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    reads: Sequence[tuple[Layer, tuple[str, ...]]],
    distance: float,
    work: Callable,
    args: tuple,
) -> list[tuple[np.ndarray, Any]]:
    """``work`` (a ``_per_partition`` function) on the cluster for every partition of ``units``:
    the communes as a dask-geopandas frame with one partition per key of ``partition_keys`` (its
    ``spatial_partitions``, the boxes the workers read) and ``map_partitions(work, job, cells,
    *args)``; ``cells``, the partition cells the local engine would read, are sent once to every
    worker; ``reads``, the vector layers each worker reads for its partition, with their
    attributes. The results with the rows of ``units`` each belongs to; every partition succeeds,
    or ``DaskJobError`` (nothing is left running)."""
    dask, distributed, dask_geopandas = _imported()
    shipped = _shared(cells[["unit_id", "code", cells.geometry.name]])
    numbers, keys = pd.factorize(partition_keys(units, cells))
    groups = [np.flatnonzero(numbers == n) for n in range(len(keys))]
    unit_cells = dict(zip(cells["unit_id"], np.asarray(cells.geometry.array), strict=True))
    boxes = tuple(partition_box(units.iloc[rows], unit_cells, distance) for rows in groups)
    job = _Job(store_location(store), store.content_version(), tuple(reads), tuple(map(str, keys)), boxes)
    frame = units.iloc[np.concatenate(groups)]
    frame.index = pd.Index(np.repeat(np.arange(len(groups)), [len(rows) for rows in groups]))
    with dask.config.set({"dataframe.convert-string": False}):  # the communes as the local engine has them
        parts = dask_geopandas.from_geopandas(frame, npartitions=1)
        if len(groups) > 1:
            parts = parts.repartition(divisions=[*range(len(groups)), len(groups) - 1])
    parts.spatial_partitions = gpd.GeoSeries(shapely.box(*np.asarray(boxes).T), crs=units.crs)
    answers = parts.map_partitions(
        work, job, shipped, *args, meta=_RESULT_META, token=f"{work.__name__}-{uuid.uuid4().hex}"
    )
    log.info("dask: %d partitions of %d communes on %s", len(groups), len(units), client.scheduler.address)
    futures = client.compute(answers.to_delayed())
    pending = {
        future.key: (rows, job.keys[n], future) for n, (rows, future) in enumerate(zip(groups, futures, strict=True))
    }
    results: list = []
    try:
        queue = distributed.as_completed(futures)
        while queue.count():
            _collect(queue, pending, results, len(groups))
    except BaseException:
        client.cancel([future for _, _, future in pending.values()])
        raise
    return results


def _collect(queue, pending: dict, results: list, total: int) -> None:
    """Wait for the next partition; its result into ``results``, or ``DaskJobError``."""
    future = next(queue)
    rows, key, _ = pending.pop(future.key)
    try:
        results.append((rows, future.result()["result"].iloc[0]))
    except GeoNtmError:
        raise  # InputError and the like: the local engine's own message
    except Exception as exc:
        raise DaskJobError(
            f"the Dask job failed on partition {key!r} ({type(exc).__name__}: {exc}); nothing was stored"
        ) from exc
    report_progress(0.2 + 0.7 * len(results) / total, f"{len(results)} of {total} partitions computed")


def partition_box(units: gpd.GeoDataFrame, unit_cells: dict, distance: float) -> BBox:
    """The box a partition's worker reads its features in, holding every box the local engine
    reads around its communes ``units``: the communes and their partition cells
    (``unit_cells``, by unit id), grown by ``distance`` and twice ``NEAREST_MAX_DEG``."""
    geoms = [*np.asarray(units.geometry.array), *(unit_cells[u] for u in units["unit_id"] if u in unit_cells)]
    return padded(shapely.total_bounds(np.asarray(geoms, dtype=object)), distance, 2 * NEAREST_MAX_DEG)


def _gathered(units: gpd.GeoDataFrame, parts: list[tuple[np.ndarray, Any]]) -> tuple[gpd.GeoDataFrame, dict]:
    """The per-partition tables in the order of ``units`` (with their geometry), and the totals."""
    order = np.concatenate([rows for rows, _ in parts])
    table = pd.concat([t for _, (t, _) in parts], ignore_index=True)
    table = table.iloc[np.argsort(order, kind="stable")].reset_index(drop=True)
    frame = gpd.GeoDataFrame(table, geometry=units.geometry.reset_index(drop=True), crs=units.crs)
    return frame, summed_totals([totals for _, (_, totals) in parts])


def summed_totals(parts: list[dict]) -> dict:
    """The totals of partitions as one: numbers summed, shares ``x_within_share`` recomputed as
    ``x_within / x``, everything else (layers, distance, vintage ...) the same in every partition."""
    first = parts[0]
    out: dict = {}
    for key, value in first.items():
        values = [p[key] for p in parts]
        if key.endswith("_within_share"):
            continue
        if isinstance(value, int | float) and not isinstance(value, bool) and key not in _SHARED_NUMBERS:
            out[key] = type(value)(sum(values))
        elif any(v != value for v in values):
            raise DaskJobError(f"partitions disagree on {key!r}: {sorted({repr(v) for v in values})}")
        else:
            out[key] = value
    for key in first:
        if key.endswith("_within_share"):
            base = key.removesuffix("_within_share")
            out[key] = share(out[f"{base}_within"], out[base])
    return {key: out[key] for key in first}
