"""The shared-server store: PostgreSQL with PostGIS (``GEO_NTM_DB=postgresql://user@host/db``).

Geometries are PostGIS ``geometry`` columns (SRID 4326) with GiST indexes, so QGIS and ogr2ogr
read the tables directly, and bounding-box filters run in the database. The schema is created and
migrated by ``postgis_migrations`` when the store opens. Every import is one transaction (writers
take an advisory lock, one at a time, as SQLite does), bulk rows go in with COPY, and the reads of
a ``snapshot()`` (an API request) are one REPEATABLE READ READ ONLY transaction, so a reader sees
the data before or after an import, never a mix; a failed import leaves nothing behind. A server
that cannot be reached raises ``StoreUnavailableError`` (the API answers 503).

The queries are those of ``sql.SqlStore``; this module gives PostgreSQL's dialect and the
connections. A long-running process (the API) opens its stores from a ``PostgisPool``: one
``psycopg_pool.ConnectionPool`` per process, each store borrowing a connection and giving it back
on ``close``, so requests do not connect (and check the schema) each time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypedDict

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import psycopg_pool
import shapely
from psycopg.conninfo import conninfo_to_dict
from psycopg.pq import TransactionStatus

from geo_ntm.errors import GeoNtmError, StoreBusyError, StoreUnavailableError
from geo_ntm.store import filter_sql, mvt, postgis_migrations, rows
from geo_ntm.store.base import BBox
from geo_ntm.store.sql import SqlStore

log = logging.getLogger(__name__)

SRID = 4326
#: SQLSTATEs of a server that answers but takes no connection now (starting up, shutting down, full).
_NOT_NOW = {"57P03", "53300"}
_WRITE_LOCK = 0x67656F5F6E746E  # advisory lock serialising geo_ntm writers


class _ConnectArgs(TypedDict):
    """The keyword arguments of every connection (typed, so that ``psycopg.connect`` checks them)."""

    autocommit: bool
    connect_timeout: int
    application_name: str


_CONNECT: _ConnectArgs = {"autocommit": True, "connect_timeout": 10, "application_name": "geo_ntm"}


class PostgisDialect:
    """PostgreSQL with PostGIS geometry columns and GiST indexes (see ``dialect.Dialect``)."""

    #: REPEATABLE READ: the snapshot is taken at the first statement and kept to the end; READ
    #: ONLY: a write by mistake fails instead of escaping the write lock.
    read_snapshot = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
    filters: filter_sql.FilterDialect = filter_sql.PostgresFilters()

    def sql(self, query: str) -> str:
        return query.replace("%", "%%").replace("?", "%s")  # psycopg reads %s marks

    def any_of(self, column: str) -> str:
        return f"{column} = ANY(?)"

    def list_value(self, values: Sequence[int | str]) -> list:
        return list(values)

    def encode_geometries(self, geoms: np.ndarray) -> list[str | None]:
        """Hex EWKB with SRID 4326, the text form COPY reads into a geometry column."""
        geoms = shapely.set_srid(np.asarray(geoms, dtype=object), SRID)
        return shapely.to_wkb(geoms, hex=True, include_srid=True).tolist()

    def select_geometry(self, column: str) -> str:
        return f"ST_AsBinary({column})"

    def decode_geometries(self, values: Sequence) -> np.ndarray:
        return shapely.from_wkb(list(values))

    def envelope_filter(self, table: str, key: str, geom: str, bbox: BBox) -> tuple[str, list]:
        """``&&`` compares envelopes through the GiST index."""
        return f"{geom} && ST_MakeEnvelope(?, ?, ?, ?, {SRID})", list(bbox)

    def intersects_filter(self, geom: str, bbox: BBox) -> tuple[str, list]:
        """The box as a geometry of its own dimension: a degenerate box (a point asked for by a
        lookup) stays a valid point, where ST_MakeEnvelope would give an invalid polygon."""
        return f"ST_Intersects({geom}, ST_Envelope(ST_MakeLine(ST_Point(?, ?, {SRID}), ST_Point(?, ?, {SRID}))))", list(
            bbox
        )

    def vector_tile_query(self) -> str:
        """``ST_AsMVT`` of ``ST_AsMVTGeom`` (the properties' JSON keys become the tile's attributes)."""
        return (
            f"SELECT ST_AsMVT(t, ?, {mvt.EXTENT}, 'geom') FROM ("
            f" SELECT ST_AsMVTGeom(ST_Transform(g.geom, 3857), ST_TileEnvelope(?, ?, ?), {mvt.EXTENT}, {mvt.BUFFER},"
            " true) AS geom, p.value AS properties"
            " FROM generalised_units g JOIN units u ON u.unit_id = g.unit_id"
            " JOIN jsonb_each(CAST(? AS jsonb)) p ON p.key = u.code"
            " WHERE g.vintage_id = ? AND g.tier = ? AND g.band = ?"
            f" AND g.geom && ST_MakeEnvelope(?, ?, ?, ?, {SRID})) t WHERE t.geom IS NOT NULL"
        )

    @contextmanager
    def write(self, conn: psycopg.Connection) -> Iterator[psycopg.Cursor]:
        """A transaction holding the advisory write lock: writers wait for each other."""
        with conn.transaction(), conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_WRITE_LOCK,))
            yield cur

    def insert_id(self, cur: psycopg.Cursor, query: str, params: Sequence, key: str) -> int:
        row = cur.execute(f"{query} RETURNING {key}", params).fetchone()
        if row is None:
            raise GeoNtmError(f"the insert returned no {key}: {query}")
        return row[0]

    def insert_many(self, cur: psycopg.Cursor, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
        """COPY: the fastest bulk load, inside the write transaction."""
        with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def features_written(self, cur: psycopg.Cursor, table: str, bounds: Sequence[float]) -> None:
        return None  # PostGIS keeps no per-table extent

    def upgrade(self, conn: psycopg.Connection) -> int:
        return postgis_migrations.upgrade(conn)


def _describe(url: str) -> str:
    """``url`` without its password, for messages."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "a malformed postgresql:// URL"
    host = str(parts.get("host", "localhost")) + (f":{parts['port']}" if "port" in parts else "")
    user = f"{parts['user']}@" if "user" in parts else ""
    return f"postgresql://{user}{host}/{parts.get('dbname', '')}"


def _open_error(url: str, exc: psycopg.Error) -> GeoNtmError:
    """The error for a failed connection to ``url``: ``StoreUnavailableError`` when the server could
    not be reached (no answer: refused, timed out, unknown host; or it takes no connection now),
    whose ``message`` names no server (the details, logged here, do); else a ``GeoNtmError`` naming
    the store (a database that does not exist, a refused login: the operator must act)."""
    described = f"cannot open the store {_describe(url)}: {exc}".strip()
    if isinstance(exc, psycopg.OperationalError) and (exc.sqlstate is None or exc.sqlstate in _NOT_NOW):
        log.warning("the database is not reachable: %s", described)
        return StoreUnavailableError([described])
    return GeoNtmError(described)


class PostgisStore(SqlStore):
    """Store backend on a PostgreSQL database with the PostGIS extension."""

    def __init__(self, url: str, pool: PostgisPool | None = None):
        """A store on its own connection to ``url`` (the schema created or migrated first), or
        (``pool``) on a connection borrowed from the pool until ``close``."""
        self._pool = pool
        self.url = url  # where the store is: what another process opens the same store with
        dialect = PostgisDialect()
        if pool is not None:
            super().__init__(pool.borrow(), dialect, pool.schema_version)
            return
        try:
            conn = psycopg.connect(url, **_CONNECT)
        except psycopg.Error as exc:
            raise _open_error(url, exc) from exc
        try:
            version = dialect.upgrade(conn)
        except psycopg.Error as exc:
            conn.close()
            raise GeoNtmError(
                f"cannot create or upgrade the schema of {_describe(url)} (nothing was changed): {exc}".strip()
            ) from exc
        except GeoNtmError:
            conn.close()
            raise
        super().__init__(conn, dialect, version)

    def layer_feature_batches(
        self,
        layer_id: int,
        attributes: tuple[str, ...] = rows.FEATURE_ATTRIBUTES,
        size: int = 100_000,
        ids: range | None = None,
    ) -> Iterator[gpd.GeoDataFrame]:
        """A binary server-side cursor (``DECLARE``: PostgreSQL sends ``size`` rows a fetch, the WKB
        as bytes, no hex text to parse), in a transaction of its own or in the snapshot's (as a
        savepoint)."""
        where, params = self._batch_filter(layer_id, ids)
        query = self.dialect.sql(self._features_query(attributes, where))
        size = rows.checked_batch_size(size)
        with self._conn.transaction(), self._conn.cursor(name="geo_ntm_batches", binary=True) as cur:
            cur.execute(query, params)
            names: list[str] | None = None
            while batch := cur.fetchmany(size):
                names = names or [c[0] for c in cur.description or ()]
                yield self._decoded(pd.DataFrame.from_records(batch, columns=names, coerce_float=True))

    def close(self) -> None:
        if self._pool is None:
            self._conn.close()
        elif self._conn is not None:
            conn, self._conn = self._conn, None
            try:  # the pool gets it back idle, even from inside a snapshot
                if conn.info.transaction_status in (TransactionStatus.INTRANS, TransactionStatus.INERROR):
                    conn.rollback()
            finally:
                self._pool.give_back(conn)  # a broken connection too: the pool discards it


class PostgisPool:
    """One pool of at most ``size`` connections to ``url``, shared by the stores a process opens
    with ``store()`` (each API request borrows one connection and gives it back when done).

    The schema is created or migrated once, when the pool is made; connections are opened on
    demand (one at first), checked when borrowed (a connection the server dropped is replaced) and
    rolled back if returned inside a transaction. A borrower waits up to ``timeout`` seconds for a
    free connection."""

    def __init__(self, url: str, size: int, timeout: float = 30.0):
        if size < 1:
            raise GeoNtmError(f"a connection pool needs at least one connection, not {size}")
        with PostgisStore(url) as first:  # creates or migrates the schema; a clear error if unreachable
            self.schema_version = first.schema_version
        self.url = url
        self.size = size
        self._pool = psycopg_pool.ConnectionPool(
            url,
            kwargs=dict(_CONNECT),
            min_size=1,
            max_size=size,
            timeout=timeout,
            name="geo_ntm",
            check=psycopg_pool.ConnectionPool.check_connection,
            open=True,
        )

    def store(self) -> PostgisStore:
        """A store on a borrowed connection; ``close()`` gives it back."""
        return PostgisStore(self.url, pool=self)

    def borrow(self) -> psycopg.Connection:
        try:
            return self._pool.getconn()
        except psycopg_pool.PoolTimeout as exc:
            raise StoreBusyError(
                f"no connection to the store became free or could be opened "
                f"within {self._pool.timeout:g} s (pool of {self.size}); try again shortly, or raise "
                f"GEO_NTM_DB_POOL_SIZE: {exc}"
            ) from exc

    def give_back(self, conn: psycopg.Connection) -> None:
        self._pool.putconn(conn)

    def stats(self) -> dict[str, int]:
        """The pool's counters (``pool_size``, ``pool_available``, ``requests_waiting`` …)."""
        return self._pool.get_stats()

    def close(self) -> None:
        self._pool.close()
