"""What a SQL backend tells the one SQL store (``sql.SqlStore``): the few points where SQLite
(GeoPackage) and PostgreSQL (PostGIS) differ. Every query is written once, in ``sql.py``; a new
backend (SpatiaLite, DuckDB …) is one module with a class following ``Dialect`` and a store
class that opens its connection and hands both to ``SqlStore``.

The connection and cursors a dialect receives are DB-API ones that also offer ``execute`` on the
connection returning the cursor (sqlite3 and psycopg 3 both do)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

import numpy as np

from geo_ntm.store.base import BBox
from geo_ntm.store.filter_sql import FilterDialect

#: A DB-API connection or cursor (``execute(sql, params)`` returns a cursor).
Connection = Any
Cursor = Any


class Dialect(Protocol):
    """The dialect points of one SQL backend. The store's tables, columns and keys are the same on
    every backend (``units.unit_id``, ``layer_features.feature_id``, ``unit_partition.id`` …), dates
    are passed as ISO text and geometries are EPSG:4326, in a column ``geom`` of each feature table."""

    #: The statement starting a read-only transaction (on a connection in autocommit mode) whose
    #: reads all see one snapshot of the data, from its first read until the connection's
    #: ``rollback()`` (``sql.SqlStore.snapshot``): a setting, not a dialect point.
    read_snapshot: str
    #: How property filters on unit columns are written (``filter_sql.condition``).
    filters: FilterDialect

    def sql(self, query: str) -> str:
        """``query``, written with ``?`` parameter marks (and no ``?`` or ``%`` in literals), in the
        backend's parameter style."""

    def any_of(self, column: str) -> str:
        """A condition: ``column`` equals one of a list given as one parameter (``list_value``), so
        that a long list is one parameter, not thousands of marks."""

    def list_value(self, values: Sequence[int | str]) -> object:
        """The parameter ``any_of`` reads (a JSON array text, a native array …)."""

    def encode_geometries(self, geoms: np.ndarray) -> list:
        """Values to store in a ``geom`` column for shapely geometries (None stays None)."""

    def select_geometry(self, column: str) -> str:
        """A select expression giving ``column`` in the form ``decode_geometries`` reads."""

    def decode_geometries(self, values: Sequence) -> np.ndarray:
        """Shapely geometries from the values of ``select_geometry`` (None stays None)."""

    def envelope_filter(self, table: str, key: str, geom: str, bbox: BBox) -> tuple[str, list]:
        """A condition and its parameters keeping the rows of ``table`` (its key column and geometry
        column written as ``key`` and ``geom`` in the query) whose envelope meets ``bbox``: a
        preselection by spatial index, exact for the envelope only."""

    def intersects_filter(self, geom: str, bbox: BBox) -> tuple[str, list] | None:
        """A condition and its parameters keeping the rows whose ``geom`` intersects ``bbox`` exactly
        (a degenerate box is a point or a line), or None when the backend cannot test it in SQL; the
        store then tests the geometries it read (and pages the result itself)."""

    def vector_tile_query(self) -> str | None:
        """A query (``?`` marks) giving one value, the Mapbox Vector Tile of the generalised shapes of
        one vintage, tier and zoom band in one tile (clipped to it and its buffer on a grid of
        ``mvt.EXTENT`` units, each with the properties given for its unit's code), or None when the
        backend encodes none in SQL: ``SqlStore`` then encodes the shapes it reads (``mvt.encode``).
        Its parameters in order: layer name, z, x, y, the properties (a JSON object text: code ->
        object), vintage id, tier, band, and the buffered tile's lon/lat box (4 values)."""

    def write(self, conn: Connection) -> AbstractContextManager[Cursor]:
        """One write transaction on ``conn`` yielding its cursor: committed when the block ends,
        rolled back on an exception. Writers wait for each other (one writer at a time), and readers
        on other connections see the data before or after, never a mix."""

    def insert_id(self, cur: Cursor, query: str, params: Sequence, key: str) -> int:
        """Run an INSERT ``query`` (already in the backend's parameter style) of one row; returns the
        value of its generated ``key`` column."""

    def insert_many(self, cur: Cursor, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
        """Bulk insert of ``rows`` (values of ``columns``, geometries already encoded) into ``table``."""

    def features_written(self, cur: Cursor, table: str, bounds: Sequence[float]) -> None:
        """Bookkeeping after feature rows with these ``bounds`` (minx, miny, maxx, maxy) were written
        to ``table`` in this transaction (a GeoPackage records each table's extent); may do nothing."""

    def upgrade(self, conn: Connection) -> int:
        """Create the schema on ``conn``, or migrate it to the version this code knows; returns that
        version. Safe to call on every open: a current schema is left alone."""
