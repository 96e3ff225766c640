"""Concurrent readers and a writer, on each backend: an import is one transaction, so a reader on
another connection sees the data before the import or after it, never a mix, and a failed import
leaves no trace, not even for a reader watching while it runs.

A writer thread imports through its own store while a reader repeatedly counts through another;
every count must be the value before or the value after (before only, when the import fails)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from importlib import resources

from boundaries.vintages import import_lineage
from geo_ntm.domain import AdminTier
from geo_ntm.errors import GeoNtmError
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
