"""The whole-layer road computation reads the layer in parts by feature id, each in chunks: the
parts and chunks hold exactly the layer's features, and the km per commune depend neither on the
chunk size nor on the parts, nor on processes or threads computing them (real 2009 Bến Tre
communes, SYNTHETIC roads; on both stores)."""

from __future__ import annotations

import datetime as dt
import itertools
import logging

import numpy as np
import pandas as pd
import pytest
import shapely

from boundaries.importer import import_boundaries
from geo_ntm.domain import LayerKind
from geo_ntm.errors import GeoNtmError
from geo_ntm.infrastructure import parallel, roads
from geo_ntm.infrastructure.layers import import_layer
from geo_ntm.infrastructure.partition import partition_cells
from geo_ntm.infrastructure.roads import feature_parts, layer_km, road_km
from geo_ntm.job_progress import reporting_to
from geo_ntm.store import open_store

ATTRIBUTES = ("road_class", "surface")


@pytest.fixture(scope="module")
def roads_db(backend, new_location, ben_tre_files) -> str:
    """Bến Tre's 2009 boundaries, its partition and 5,000 SYNTHETIC roads, on each backend."""
    location = new_location(backend, with_2009=False)
    with open_store(location) as store:
        import_boundaries(store, ben_tre_files["boundaries"], dt.date(2009, 4, 1), measure_quality=False)
        import_layer(store, ben_tre_files["roads"], "synthetic_roads", LayerKind.ROADS, dt.date(2020, 6, 30))
        partition_cells(store, store.vintages()[0])
    return location


@pytest.mark.parametrize("size", [7, 333, 1_000_000])  # 7: 715 batches, the last one short
def test_the_batches_are_the_layer(roads_db, size):
    with open_store(roads_db) as store:
        layer = store.layer_named("synthetic_roads").layer_id
        whole = store.layer_features(layer, attributes=ATTRIBUTES)
        batches = list(store.layer_feature_batches(layer, ATTRIBUTES, size))
    assert len(whole) == 5000 and len(batches) == -(-5000 // size)
    assert all(len(b) <= size for b in batches) and all(b.crs == whole.crs for b in batches)
    joined = pd.concat(batches, ignore_index=True)
    assert list(joined.columns) == list(whole.columns)
    assert joined.drop(columns="geometry").equals(whole.drop(columns="geometry"))
    assert shapely.equals_identical(joined.geometry.array, whole.geometry.array).all()


def test_parts_by_feature_id_are_the_layer(roads_db):
    with open_store(roads_db) as store:
        layer = store.layer_named("synthetic_roads").layer_id
        whole = store.layer_features(layer, attributes=ATTRIBUTES)
        ids = store.layer_feature_ids(layer)
        parts = feature_parts(ids, 1800, 1000)  # 3 parts
        read = [pd.concat(store.layer_feature_batches(layer, ATTRIBUTES, 500, ids=part)) for part in parts]
        assert store.layer_feature_ids(layer + 1) == range(0)  # no such layer: no ids
        with pytest.raises(GeoNtmError, match="ranges of step 1"):
            next(store.layer_feature_batches(layer, ATTRIBUTES, 500, ids=range(ids.start, ids.stop, 2)))
    assert ids == range(whole["feature_id"].min(), whole["feature_id"].max() + 1)
    assert len(parts) == 3 and parts[0].start == ids.start and parts[-1].stop == ids.stop
    assert all(a.stop == b.start for a, b in itertools.pairwise(parts))
    assert [len(r) for r in read] == [1667, 1666, 1667]
    assert pd.concat(read, ignore_index=True).drop(columns="geometry").equals(whole.drop(columns="geometry"))


def test_batches_inside_a_snapshot_and_a_bad_size(roads_db):
    with open_store(roads_db) as store, store.snapshot():
        layer = store.layer_named("synthetic_roads").layer_id
        first = next(store.layer_feature_batches(layer, ATTRIBUTES, 10))
        assert len(first) == 10 and store.layer_named("synthetic_roads").layer_id == layer  # the snapshot goes on
        with pytest.raises(GeoNtmError, match="at least one row"):
            next(store.layer_feature_batches(layer, ATTRIBUTES, 0))


@pytest.mark.parametrize(
    ("chunk", "part", "on", "done"),
    [
        (97, 1_000_000, "processes", "2 parts"),  # one part would do: one per worker instead
        (1000, 1300, "processes", "4 parts"),
        (1000, 1300, "threads", "5 chunks"),  # a service job: chunks of the layer on threads
    ],
)
def test_the_km_do_not_depend_on_the_chunks_or_parts(roads_db, chunk, part, on, done, monkeypatch, caplog):
    monkeypatch.setattr(parallel, "WORKERS", 2)
    monkeypatch.setattr(roads, "PART_FEATURES", part)
    if on == "threads":  # as in a job worker of the service, a daemonic process
        monkeypatch.setattr(parallel, "forking", lambda: False)
    with open_store(roads_db) as store:
        layer = store.layer_named("synthetic_roads")
        cells = partition_cells(store, store.vintages()[0])
        whole, whole_outside = road_km(store.layer_features(layer.layer_id, attributes=ATTRIBUTES), cells)
        reports: list[tuple[float, str]] = []
        with caplog.at_level(logging.INFO, logger=roads.__name__), reporting_to(lambda *r: reports.append(r)):
            km, outside = layer_km(store, layer, cells, chunk)
    assert whole.sum() > 3000 and whole_outside > 0  # Bến Tre's roads, some running out to sea
    assert np.allclose(km, whole, rtol=1e-9, atol=0) and outside == pytest.approx(whole_outside, rel=1e-9)
    assert ((km > 0) == (whole > 0)).all()
    assert f"in {done} on 2 {on}" in caplog.text
    count, unit = done.split()
    n = int(count)
    assert [f for f, _ in reports] == pytest.approx([0.4 + 0.5 * k / n for k in range(1, n + 1)])
    assert reports[-1][1] == f"road layer synthetic_roads: {n} of {n} {unit} done"


def test_a_failing_part_fails_the_layer_clearly(roads_db, monkeypatch):
    monkeypatch.setattr(parallel, "WORKERS", 2)
    monkeypatch.setattr(roads, "PART_FEATURES", 1300)

    def broken(features, cells, index=None):
        raise ValueError(f"cannot clip features {features['feature_id'].min()}-{features['feature_id'].max()}")

    monkeypatch.setattr(roads, "road_km", broken)  # the forked processes inherit the patch
    with open_store(roads_db) as store:
        layer = store.layer_named("synthetic_roads")
        with pytest.raises(ValueError, match="cannot clip features"):
            layer_km(store, layer, partition_cells(store, store.vintages()[0]))
