"""The data version (``Store.data_version``), on both backends: every write transaction raises it,
whatever it writes (an import, a write that records no import), and a refused write leaves it."""

from __future__ import annotations

import datetime as dt

import pytest

from geo_ntm.errors import GeoNtmError
from geo_ntm.store import open_store
from tests.geo_ntm.store.test_store_lookups import RECORD, _province


def test_every_write_raises_the_data_version(empty_db_location):
    with open_store(empty_db_location) as store:
        start = store.data_version()
        assert start.number >= 1 and start.changed_at.tzinfo is not None
        store.add_vintage("first", dt.date(2009, 4, 1), "test", _province(), RECORD)
        after_vintage = store.data_version()
        assert after_vintage.number == start.number + 1 and after_vintage.changed_at >= start.changed_at
        store.add_data_flags([])  # a write leaving no import row behind
        assert store.data_version().number == start.number + 2
        with pytest.raises(GeoNtmError, match="already stored"):  # refused: nothing stored, the version stays
            store.add_vintage("first", dt.date(2013, 4, 5), "test", _province(), RECORD)
        assert store.data_version().number == start.number + 2
        with store.snapshot():  # a write inside a request's snapshot, and its reads after it
            before = store.data_version().number
            store.add_data_flags([])
            assert store.data_version().number == before + 1
    with open_store(empty_db_location) as again:  # kept in the store, seen by another connection
        assert again.data_version().number == start.number + 3
