"""Concurrent readers and a writer, on each backend: an import is one transaction, so a reader on
another connection sees the data before the import or after it, never a mix, and a failed import
leaves no trace, not even for a reader watching while it runs.

A writer thread imports through its own store while a reader repeatedly counts through another;
every count must be the value before or the value after (before only, when the import fails).
Readers inside ``Store.snapshot()`` (what an API request does) see more: all their reads, many
statements, are one state, the whole state before or the whole state after, during every kind of
import (boundaries, lineage, statuses, layers)."""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from importlib import resources

import geopandas as gpd
import numpy as np
import psycopg
import pytest
import shapely

from boundaries.importer import import_boundaries
from boundaries.vintages import import_lineage
from geo_ntm.domain import AdminTier, LayerKind
from geo_ntm.errors import GeoNtmError
from geo_ntm.infrastructure.layers import import_layer
from geo_ntm.status_import.importer import import_status_file
from geo_ntm.store import ImportRecord, Store, open_store

LINEAGE = resources.files("boundaries") / "examples" / "ben_tre_city_lineage.csv"
NEW_DAY = dt.date(2015, 1, 1)
RECORD = ImportRecord("boundaries", "test", 0, 0)


def _counts(store: Store) -> dict[str, int | None]:
    """What the reader sees: counts of one statement each, and the units of the vintage starting on
    ``NEW_DAY`` (None while ``vintages()`` does not list it; 0 would be a vintage seen without its units)."""
    new = [v for v in store.vintages() if v.valid_from == NEW_DAY]
    return {
        "vintages": len(store.vintages()),
        "units of the new vintage": len(store.units(new[0].vintage_id, geometry=False)) if new else None,
        "imports": len(store.imports()),
        "lineage events": len(store.lineage_events()),
        "statuses": len(store.statuses()),
        "statuses of 2020 on the 2009 city": len(store.statuses(_city_2009(store), 2020)),
    }


def _city_2009(store: Store) -> list[int]:
    return store.units(store.vintages()[0].vintage_id, AdminTier.COMMUNE, district_code="81101", geometry=False)[
        "unit_id"
    ].tolist()


def _read_while_writing(location: str, write: Callable[[Store], object]) -> tuple[dict, list[dict], dict, Exception]:
    """Counts before, the counts a reader saw while ``write(store)`` ran in a thread on its own
    store, the counts after, and the writer's exception (None if it succeeded)."""
    failed = []

    def writer():
        with open_store(location) as store:
            try:
                write(store)
            except Exception as exc:  # the test decides whether a failure was expected
                failed.append(exc)

    with open_store(location) as reader:
        before, seen = _counts(reader), []
        thread = threading.Thread(target=writer)
        thread.start()
        while thread.is_alive():
            seen.append(_counts(reader))
        thread.join()
        return before, seen, _counts(reader), (failed or [None])[0]


def _assert_before_or_after(before: dict, seen: list[dict], after: dict) -> None:
    for key in before:
        values = {s[key] for s in seen}
        assert values <= {before[key], after[key]}, f"a reader saw {key} = {values}: neither before nor after"


def _national_units(store: Store):
    """The 11,929 units of the 2009 vintage, ready to be stored again as another vintage."""
    return store.units(store.vintages()[0].vintage_id).drop(columns=["unit_id", "vintage_id"])


def test_reader_sees_a_boundary_import_whole_or_not_at_all(store_2009, db_location):
    units = _national_units(store_2009)
    before, seen, after, failed = _read_while_writing(
        db_location, lambda s: s.add_vintage("2015 copy", NEW_DAY, "test", units, RECORD)
    )
    assert failed is None
    assert (before["vintages"], after["vintages"]) == (1, 2)
    assert after["units of the new vintage"] == len(units) == 63 + 703 + 11163
    _assert_before_or_after(before, seen, after)
    assert len(seen) >= 3  # the reader kept reading while the transaction was open


def test_reader_sees_a_lineage_import_whole_or_not_at_all(store_2009, db_location, data_dir):
    assert import_status_file(store_2009, data_dir / "samples" / "status_ben_tre_city_long.csv").ok
    before, seen, after, failed = _read_while_writing(db_location, lambda s: import_lineage(s, LINEAGE))
    assert failed is None
    # two derived vintages, three events, and the 2020 statuses moved to the 2020 units at once
    assert (after["vintages"], after["lineage events"]) == (3, 3)
    assert before["statuses of 2020 on the 2009 city"] == 6 * 19 and after["statuses of 2020 on the 2009 city"] == 0
    assert after["statuses"] == before["statuses"]
    _assert_before_or_after(before, seen, after)
    assert seen


def test_failed_imports_leave_no_trace(store_2009, db_location, data_dir):
    assert import_status_file(store_2009, data_dir / "samples" / "status_ben_tre_city_long.csv").ok
    import_lineage(store_2009, LINEAGE)
    units = _national_units(store_2009)
    event = store_2009.lineage_events()[-1]
    fresh = type(event)(**{**event.__dict__, "event_id": "new-event", "effective_date": NEW_DAY})
    failing = {
        "vintage date already stored": lambda s: s.add_vintage("again", dt.date(2009, 4, 1), "test", units, RECORD),
        "lineage event already stored": lambda s: import_lineage(s, LINEAGE),
        # the event and a whole vintage of 11,929 units are written before the second vintage fails
        "second derived vintage already stored": lambda s: s.add_lineage(
            RECORD, [fresh], [("new", NEW_DAY, "test", units), ("again", dt.date(2020, 2, 1), "test", units)]
        ),
    }
    for case, write in failing.items():
        before, seen, after, failed = _read_while_writing(db_location, write)
        assert isinstance(failed, GeoNtmError) and "already stored" in str(failed), case
        assert after == before and all(s == before for s in seen), case


# -- one snapshot per reader: several statements, one state ---------------------------------------
def _state(store: Store) -> dict[str, object]:
    """What one request may read, in many statements (the first and the last read the same thing):
    inside ``store.snapshot()`` it must be one state of the data, before an import or after it."""
    vintages = store.vintages()
    new = [v for v in vintages if v.valid_from == NEW_DAY]
    layers = store.layers()
    return {
        "imports": len(store.imports()),
        "vintages": len(vintages),
        "units of the new vintage": len(store.units(new[0].vintage_id, geometry=False)) if new else None,
        "lineage events": len(store.lineage_events()),
        "statuses": len(store.statuses()),
        "statuses of 2020 on the 2009 city": len(store.statuses(_city_2009(store), 2020)),
        "layers": len(layers),
        "features of the last layer": len(store.layer_features(layers[-1].layer_id, attributes=("name",)))
        if layers
        else None,
        "imports again": len(store.imports()),
        "vintages again": len(store.vintages()),
    }


def _read_snapshots_while_writing(
    location: str, write: Callable[[Store], object], readers: int = 2
) -> tuple[dict, list[dict], dict]:
    """The state before, the states ``readers`` threads saw (each on its own store, one snapshot per
    read of the whole state) while ``write(store)`` ran in a thread on its own store, the state after."""
    failed: list[BaseException] = []
    seen: list[dict] = []
    done = threading.Event()

    def writer():
        try:
            with open_store(location) as store:
                write(store)
        except BaseException as exc:  # reported below
            failed.append(exc)
        finally:
            done.set()

    def reader():
        try:
            with open_store(location) as store:
                while not done.is_set():
                    with store.snapshot():
                        seen.append(_state(store))
        except BaseException as exc:
            failed.append(exc)

    with open_store(location) as store:
        before = _state(store)
    threads = [threading.Thread(target=reader) for _ in range(readers)]
    for t in threads:
        t.start()
    writing = threading.Thread(target=writer)
    writing.start()
    for t in [writing, *threads]:
        t.join()
    assert not failed, failed
    with open_store(location) as store:
        after = _state(store)
    return before, seen, after


def _only_before_or_after(before: dict, seen: list[dict], after: dict) -> None:
    assert before != after
    mixed = [s for s in seen if s not in (before, after)]
    assert not mixed, f"{len(mixed)} of {len(seen)} snapshots were neither before nor after: {mixed[0]}"
    assert len(seen) >= 3, "the readers did not read while the import ran"
    print(f"{len(seen)} snapshots: {sum(s == before for s in seen)} before, {sum(s == after for s in seen)} after")


def test_snapshots_see_a_boundary_import_whole_or_not_at_all(db_location, data_dir):
    before, seen, after = _read_snapshots_while_writing(
        db_location,
        lambda s: import_boundaries(s, data_dir / "vn_admin_2009.gpkg", NEW_DAY, measure_quality=False),
    )
    assert (before["vintages"], after["vintages"], after["units of the new vintage"]) == (1, 2, 63 + 703 + 11163)
    _only_before_or_after(before, seen, after)


def test_snapshots_see_a_lineage_import_whole_or_not_at_all(store_2009, db_location, data_dir):
    assert import_status_file(store_2009, data_dir / "samples" / "status_ben_tre_city_long.csv").ok
    before, seen, after = _read_snapshots_while_writing(db_location, lambda s: import_lineage(s, LINEAGE))
    assert (before["statuses of 2020 on the 2009 city"], after["statuses of 2020 on the 2009 city"]) == (6 * 19, 0)
    assert after["vintages"] == 3
    _only_before_or_after(before, seen, after)


def test_a_reader_process_sees_an_import_by_another_process_whole_or_not_at_all(store_2009, db_location, data_dir):
    """Processes, not threads: the workers of ``geo-ntm serve --workers N`` read while a command
    (here ``geo-ntm lineage import``) or another worker imports."""
    assert import_status_file(store_2009, data_dir / "samples" / "status_ben_tre_city_long.csv").ok
    with open_store(db_location) as store:
        before = _state(store)
    command = [sys.executable, "-m", "cli.main", "--db", db_location, "lineage", "import", str(LINEAGE)]
    writer = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen = []
    with open_store(db_location) as store:
        while writer.poll() is None:
            with store.snapshot():
                seen.append(_state(store))
    assert writer.wait() == 0, writer.stderr.read() if writer.stderr else None
    with open_store(db_location) as store:
        after = _state(store)
    assert (before["vintages"], after["vintages"]) == (1, 3)
    _only_before_or_after(before, seen, after)


def test_snapshots_see_a_status_import_whole_or_not_at_all(db_location, data_dir):
    path = data_dir / "samples" / "status_ben_tre_city_long.csv"
    before, seen, after = _read_snapshots_while_writing(db_location, lambda s: import_status_file(s, path))
    assert before["statuses"] == 0 and after["statuses"] > 0
    _only_before_or_after(before, seen, after)


def test_snapshots_see_a_layer_import_whole_or_not_at_all(db_location, tmp_path):
    path = tmp_path / "wells.gpkg"
    rng = np.random.default_rng(11)
    points = shapely.points(rng.uniform(104.0, 108.0, 20_000), rng.uniform(9.0, 22.0, 20_000))
    gpd.GeoDataFrame({"name": [f"w{i}" for i in range(len(points))]}, geometry=points, crs=4326).to_file(
        path, layer="wells"
    )
    before, seen, after = _read_snapshots_while_writing(
        db_location, lambda s: import_layer(s, path, "wells", LayerKind.WATER_POINTS, dt.date(2020, 1, 1))
    )
    assert (before["layers"], after["layers"], after["features of the last layer"]) == (0, 1, 20_000)
    _only_before_or_after(before, seen, after)


def test_a_snapshot_holds_across_a_commit_and_a_write_in_it_is_seen(store_2009, db_location):
    """Deterministic: a commit by another connection between two reads of one snapshot is unseen
    until the snapshot ends; a write inside a snapshot works, and the reads after it see it."""
    units = _national_units(store_2009).iloc[:50]
    with open_store(db_location) as reader, open_store(db_location) as writer:
        with reader.snapshot():
            assert len(reader.vintages()) == 1
            writer.add_vintage("other", NEW_DAY, "test", units, RECORD)
            with reader.snapshot():  # nested: the same snapshot
                assert len(reader.vintages()) == 1 and len(reader.imports()) == 1
            reader.add_vintage("mine", dt.date(2016, 1, 1), "test", units, RECORD)  # ends the snapshot
            assert [v.name for v in reader.vintages()][1:] == ["other", "mine"]
            writer.add_vintage("third", dt.date(2017, 1, 1), "test", units, RECORD)
            assert len(reader.vintages()) == 3  # a new snapshot began after the write
        assert len(reader.vintages()) == 4
        _assert_idle(reader)


def _assert_idle(store: Store) -> None:
    """No transaction is left open on the store's connection."""
    conn = store._conn  # type: ignore[attr-defined]
    if isinstance(conn, sqlite3.Connection):
        assert not conn.in_transaction
    else:
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE


def test_a_failed_read_or_write_in_a_snapshot_leaves_the_connection_idle(store_2009):
    with pytest.raises(GeoNtmError, match="already stored"), store_2009.snapshot():
        store_2009.vintages()
        store_2009.add_vintage("again", dt.date(2009, 4, 1), "test", _national_units(store_2009).iloc[:1], RECORD)
    _assert_idle(store_2009)
    with pytest.raises(Exception, match="no_such_table"), store_2009.snapshot():
        store_2009._rows("SELECT * FROM no_such_table")
    _assert_idle(store_2009)
    assert len(store_2009.vintages()) == 1
