"""The Dask engine against the local one on a real ``LocalCluster`` of two worker processes: the
same road, water and facility answers (to 1e-9) and the same stored rows on both stores, and a
worker killed mid-job survived (the job completes) or failing clearly with nothing stored.

Data: the real 2009 communes of Bến Tre with SYNTHETIC layers from ``bench/make_synthetic.py``
(roads, population, water lines and points, households, facilities)."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import signal
import sys
from pathlib import Path

import cloudpickle
import numpy as np
import pandas as pd
import psutil
import pytest
from distributed import Client, LocalCluster, WorkerPlugin

from boundaries.importer import import_boundaries
from cli.main import main
from geo_ntm.domain import LayerKind
from geo_ntm.errors import GeoNtmError, InputError
from geo_ntm.infrastructure.coverage import place_communes
from geo_ntm.infrastructure.dask_engine import (
    DaskJobError,
    _forget_store,
    _Partition,
    _worker_store,
    engine_on,
    opened_engine,
    partition_keys,
)
from geo_ntm.infrastructure.layers import import_layer
from geo_ntm.infrastructure.partition import partition_cells
from geo_ntm.infrastructure.queries import LOCAL, coverage, question_text
from geo_ntm.infrastructure.thresholds import load_thresholds
from geo_ntm.settings import Settings, SettingsError
from geo_ntm.store import open_store, store_location
from tests.support.questions import coverage_request

DAY = dt.date(2020, 6, 30)
HOUSEHOLDS = 8_000

cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the worker plugin below, on the workers


@pytest.fixture(scope="module")
def cluster():
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None) as local,
        Client(local) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def layer_files(tmp_path_factory, ben_tre_files, synthetic) -> dict[str, Path]:
    """SYNTHETIC population, water, households and facilities over Bến Tre's communes."""
    folder = tmp_path_factory.mktemp("dask_layers")
    communes = synthetic.read_communes(ben_tre_files["boundaries"])
    population = folder / "population.tif"
    synthetic.write_population(population, *synthetic.synthetic_population(communes, 0.01, seed=3))
    reach = folder / "reach.gpkg"
    synthetic.write_reach(communes, HOUSEHOLDS, reach, seed=5, n_lines=600)
    return {"population": population, "reach": reach, **ben_tre_files}


def _built(location: str, files: dict[str, Path]) -> str:
    with open_store(location) as store:
        import_boundaries(store, files["boundaries"], dt.date(2009, 4, 1), measure_quality=False)
        import_layer(store, files["roads"], "roads", LayerKind.ROADS, DAY)
        import_layer(store, files["population"], "population", LayerKind.POPULATION, DAY)
        for kind in ("water_lines", "water_points", "households", "facilities"):
            import_layer(store, files["reach"], kind, LayerKind(kind), DAY, source_layer=kind)
        partition_cells(store, store.vintages()[0])
    return location


@pytest.fixture(scope="module")
def stores(backend, new_location, layer_files) -> tuple[str, str]:
    """Two identical stores on ``backend``: one answered by the local engine, one by Dask."""
    return tuple(_built(new_location(backend, with_2009=False), layer_files) for _ in range(2))


class _Killer(WorkerPlugin):
    """Kills its worker's process (SIGKILL) when a task of ``prefix`` starts, ``times`` times in
    all (counted in files of ``folder``, shared by the workers and their replacements)."""

    def __init__(self, folder: str, prefix: str, times: int):
        self.folder, self.prefix, self.times = folder, prefix, times

    def transition(self, key, start, finish, **kwargs):
        name = key[0] if isinstance(key, tuple) else key  # a partition's task: (name, partition number)
        if finish == "executing" and str(name).startswith(self.prefix):
            done = len(os.listdir(self.folder))
            if done < self.times:
                Path(self.folder, str(done)).touch()
                os.kill(os.getpid(), signal.SIGKILL)


def _killing(client, tmp_path, prefix: str, times: int):
    folder = tmp_path / "killed"
    folder.mkdir()
    client.register_plugin(_Killer(str(folder), prefix, times), name="killer")
    return folder


def _assert_same(local: tuple, dask: tuple) -> None:
    (table, totals), (other, other_totals) = local, dask
    a, b = pd.DataFrame(table.drop(columns="geometry")), pd.DataFrame(other.drop(columns="geometry"))
    pd.testing.assert_frame_equal(b, a, check_exact=False, rtol=1e-9, atol=1e-9)
    assert list(other_totals) == list(totals)
    for key, value in totals.items():
        if isinstance(value, float):
            assert other_totals[key] == pytest.approx(value, rel=1e-9, abs=1e-9), key
        else:
            assert other_totals[key] == value, key


def test_a_job_whose_workers_keep_dying_fails_clearly_and_stores_nothing(stores, cluster, tmp_path):
    """Every attempt of a road partition kills its worker: past the scheduler's allowed failures
    the job fails naming the partition, and neither the km nor the answer are stored."""
    _, location = stores
    folder = _killing(cluster, tmp_path, "_road_part", times=100)
    try:
        with open_store(location) as store:
            request = coverage_request(store, "roads", year=2020)
            version = store.content_version()
            with pytest.raises(DaskJobError, match=r"the Dask job failed on partition .*nothing was stored"):
                coverage(store, request, engine=engine_on(cluster))
            layer = store.layer_named("roads")
            assert store.road_km(layer.layer_id, store.vintages()[0].vintage_id) is None
            assert store.computed_result(question_text(request, load_thresholds()), version) is None
            assert store.content_version() == version
    finally:
        cluster.unregister_worker_plugin("killer")
    assert len(os.listdir(folder)) >= 2  # the task was tried again on a new worker before failing
    cluster.wait_for_workers(1, timeout=120)  # the nannies restart the killed workers (the next tests need one)


@pytest.mark.parametrize(
    "measure, options",
    [
        ("roads", {}),
        ("water", {"distance": 200.0}),
        ("water", {"distance": 500.0, "households_layer": "households"}),
        ("facilities", {"distance": 500.0, "kind": "school"}),
        ("facilities", {}),
    ],
)
def test_the_dask_answer_and_stored_rows_are_the_local_ones(stores, cluster, measure, options):
    """The whole vintage (Bến Tre, in blocks of 0.5°) answered by each engine on its own store:
    the same table and totals, the same stored answer and (roads) the same km per commune."""
    answers, stored = [], []
    for location, engine in zip(stores, [None, engine_on(cluster)], strict=True):
        with open_store(location) as store:
            request = coverage_request(store, measure, year=2020, **options)
            answers.append(coverage(store, request) if engine is None else coverage(store, request, engine=engine))
            answer = store.computed_result(question_text(request, load_thresholds()), store.content_version())
            vintage_id = store.vintages()[0].vintage_id
            km = store.road_km(store.layer_named("roads").layer_id, vintage_id)
            reach = None
            if measure == "water":  # the people within reach per commune, stored per layers and distance
                sources = "lines={};points={};population={}".format(
                    *(store.layer_named(n).layer_id for n in ("water_lines", "water_points", "population"))
                )
                reach = store.water_reach(sources, vintage_id, options["distance"])
            stored.append((answer[0], km, reach))
            keys = partition_keys(place_communes(store, request.where), partition_cells(store, store.vintages()[0]))
    assert len(set(keys)) > 1  # more than one partition was sent
    _assert_same(*answers)
    assert answers[0][1].get("km_total", 1) > 0 and answers[0][1].get("population_within", 1) > 0
    pd.testing.assert_frame_equal(stored[1][0], stored[0][0], check_exact=False, rtol=1e-9, atol=1e-9)
    if measure == "water":
        assert len(stored[0][2]) > 0
        pd.testing.assert_frame_equal(stored[1][2], stored[0][2], check_exact=False, rtol=1e-9, atol=1e-9)
    if measure == "roads":  # the km per commune, class and surface, stored once per layer and vintage
        assert len(stored[0][1]) > 0
        pd.testing.assert_frame_equal(stored[1][1], stored[0][1], check_exact=False, rtol=1e-9, atol=1e-9)


def test_a_district_question_on_dask_equals_the_local_one(stores, cluster):
    """A scope smaller than the vintage: the km are computed for it, not stored."""
    with open_store(stores[0]) as store:
        units = place_communes(store, coverage_request(store, "roads", year=2020).where)
        district = str(units["district_code"].iloc[0])
        request = coverage_request(store, "water", year=2020, province="811", district=district, distance=300.0)
        local = coverage(store, request)
    with open_store(stores[1]) as store:
        _assert_same(local, coverage(store, request, engine=engine_on(cluster)))
        assert len(local[0]) < len(units)


def test_a_worker_killed_mid_job_is_survived_with_the_right_answer_or_a_clear_failure(stores, cluster, tmp_path):
    """The first water partition to start kills its worker. The scheduler runs it again on the
    other (or the restarted) worker and the answer is the local engine's, stored; or, when the
    scheduler has let go of the partition's task meanwhile (``FutureCancelledError``, which
    dask.distributed gives now and then when a worker dies), the job fails naming the partition
    and nothing is stored: never a half-stored answer."""
    request_options = {"distance": 750.0, "households_layer": "households"}
    with open_store(stores[0]) as store:
        local = coverage(store, coverage_request(store, "water", year=2020, **request_options))
    folder = _killing(cluster, tmp_path, "_water_part", times=1)
    failed = None
    try:
        with open_store(stores[1]) as store:
            request = coverage_request(store, "water", year=2020, **request_options)
            question = question_text(request, load_thresholds())
            try:
                answer = coverage(store, request, engine=engine_on(cluster))
            except DaskJobError as exc:
                failed = exc
            stored = store.computed_result(question, store.content_version())
    finally:
        cluster.unregister_worker_plugin("killer")
    assert len(os.listdir(folder)) == 1  # a worker was killed
    if failed is not None:
        assert re.search(r"the Dask job failed on partition .*nothing was stored", str(failed)), failed
        assert stored is None
        return
    _assert_same(local, answer)
    assert stored is not None and len(stored[0]) == len(local[0])
    np.testing.assert_allclose(stored[0]["households_within"], local[0]["households_within"])


def test_workers_read_their_partitions_themselves(stores, cluster, monkeypatch):
    """The client reads no feature (its store's ``layer_features`` refuses): each worker reads
    its partition's box from the store itself, and the answer is the local engine's; what a task
    carries is its communes and a box, not features."""
    request_options = {"distance": 400.0, "households_layer": "households"}
    with open_store(stores[0]) as store:
        local = coverage(store, coverage_request(store, "water", year=2020, **request_options))
    with open_store(stores[1]) as store:
        request = coverage_request(store, "water", year=2020, **request_options)
        units = place_communes(store, request.where)
        reads = tuple((store.layer_named(n), ()) for n in ("water_lines", "water_points", "households"))
        part = _Partition("all", units, store_location(store), store.content_version(), (104, 9, 107, 11), reads)
        features = part.features()  # what a worker reads, here in this process
        _forget_store(part.location)
        households = features[reads[2][0].layer_id]
        assert len(households) == HOUSEHOLDS
        beyond_communes = len(cloudpickle.dumps(part)) - len(cloudpickle.dumps(units))
        assert beyond_communes < 2_000 < len(cloudpickle.dumps(features)) / 100, beyond_communes

        def refused(*args, **kwargs):
            raise AssertionError("the client read features")

        monkeypatch.setattr(type(store), "layer_features", refused)
        _assert_same(local, coverage(store, request, engine=engine_on(cluster)))


def test_a_worker_whose_store_connection_broke_opens_it_again(stores):
    """The store a worker thread keeps open has lost its connection: the partition is read
    through a newly opened one, the same features."""
    with open_store(stores[1]) as store:
        units = place_communes(store, coverage_request(store, "roads", year=2020).where)
        reads = ((store.layer_named("households"), ()),)
        part = _Partition("0", units, store_location(store), store.content_version(), (104, 9, 107, 11), reads)
    first = part.features()[reads[0][0].layer_id]
    kept = _worker_store(part.location)
    kept._conn.close()  # as a database server restart would leave it
    again = part.features()[reads[0][0].layer_id]
    assert _worker_store(part.location) is not kept
    assert len(first) == HOUSEHOLDS and again["feature_id"].tolist() == first["feature_id"].tolist()
    _forget_store(part.location)  # this test process is no worker: close what it opened


def test_a_store_changed_under_a_job_fails_the_partition(stores):
    with open_store(stores[1]) as store:
        part = _Partition("0", place_communes(store, coverage_request(store, "roads", year=2020).where),
                          store_location(store), store.content_version() - 1, (104, 9, 107, 11), ())  # fmt: skip
        with pytest.raises(GeoNtmError, match="the store changed during the Dask job"):
            part.features()
        _forget_store(part.location)


def test_an_input_error_of_a_partition_is_raised_as_it_is(stores, cluster):
    with open_store(stores[1]) as store:
        request = coverage_request(store, "facilities", year=2020, distance=100.0, kind="cinema")
        version = store.content_version()
        with pytest.raises(InputError, match="no facility of kind 'cinema'"):
            coverage(store, request, engine=engine_on(cluster))
        assert store.computed_result(question_text(request, load_thresholds()), version) is None


def test_the_cli_on_a_scheduler_and_the_engine_setting(stores, cluster, tmp_path, capsys, monkeypatch):
    """``--engine dask --scheduler ADDRESS`` answers as the local command; ``GEO_NTM_ENGINE=dask``
    with ``GEO_NTM_DASK_SCHEDULER`` does the same without options; a scheduler without the dask
    engine is refused (exit 2), nothing written."""
    question = ["coverage", "facilities", "--year", "2020", "--distance", "300", "--kind", "school"]
    outputs = [tmp_path / f"{n}.csv" for n in ("local", "dask", "setting")]
    assert main(["--db", stores[0], *question, "-o", str(outputs[0])]) == 0
    address = cluster.scheduler.address
    assert main(["--db", stores[1], *question, "--engine", "dask", "--scheduler", address, "-o", str(outputs[1])]) == 0
    monkeypatch.setenv("GEO_NTM_ENGINE", "dask")
    monkeypatch.setenv("GEO_NTM_DASK_SCHEDULER", address)
    assert main(["--db", stores[1], *question[:-2], "-o", str(outputs[2])]) == 0  # another question: computed
    local, dask = (pd.read_csv(p, encoding="utf-8-sig") for p in outputs[:2])
    pd.testing.assert_frame_equal(dask, local, check_exact=False, rtol=1e-9, atol=1e-9)
    assert local["population_within"].sum() > 0 and len(pd.read_csv(outputs[2], encoding="utf-8-sig")) == len(local)
    monkeypatch.setenv("GEO_NTM_ENGINE", "local")
    refused = tmp_path / "refused.csv"
    assert main(["--db", stores[1], *question, "--scheduler", address, "-o", str(refused)]) == 2
    assert "add --engine dask" in capsys.readouterr().err and not refused.exists()


def test_without_a_scheduler_a_local_cluster_is_started_and_closed(stores):
    """``opened_engine("dask")``: a cluster of worker processes on 127.0.0.1 for the question,
    gone afterwards; the answer is the local one."""
    with open_store(stores[0]) as store:
        request = coverage_request(store, "facilities", year=2020, distance=150.0)
        local = coverage(store, request)
    before = _workers()  # the module's cluster among them
    with open_store(stores[1]) as store, opened_engine("dask") as engine:
        workers = _workers() - before
        answer = coverage(store, request, engine=engine)
    assert len(workers) >= 2  # the nanny and worker processes of the local cluster
    assert not workers & _workers()
    _assert_same(local, answer)


def _workers() -> set[int]:
    """This process's children that run Dask (not multiprocessing's resource tracker, which stays)."""
    found = set()
    for child in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if "resource_tracker" not in " ".join(child.cmdline()):
                found.add(child.pid)
    return found


@pytest.mark.parametrize(
    "env, error",
    [
        ({"GEO_NTM_ENGINE": "spark"}, "GEO_NTM_ENGINE='spark' is not valid"),
        ({"GEO_NTM_ENGINE": "local", "GEO_NTM_DASK_SCHEDULER": "tcp://127.0.0.1:1"}, None),
    ],
)
def test_the_engine_settings(env, error):
    """A bad engine is refused naming the variable; a scheduler is ignored by the local engine."""
    if error:
        with pytest.raises(SettingsError, match=re.escape(error)):
            Settings.from_env(env)
        return
    settings = Settings.from_env(env)
    assert (settings.engine, settings.dask_scheduler) == ("local", "tcp://127.0.0.1:1")
    with opened_engine(settings.engine) as engine:
        assert engine is LOCAL
    with pytest.raises(InputError, match="add --engine dask"), opened_engine("local", settings.dask_scheduler):
        pass
