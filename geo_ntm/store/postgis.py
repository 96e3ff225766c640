"""The shared-server store: PostgreSQL with PostGIS (``GEO_NTM_DB=postgresql://user@host/db``).

Geometries are PostGIS ``geometry`` columns (SRID 4326) with GiST indexes, so QGIS and ogr2ogr
read the tables directly, and bounding-box filters run in the database. The schema is created and
migrated by ``postgis_migrations`` when the store opens. Every import is one transaction (writers
take an advisory lock, one at a time, as SQLite does), bulk rows go in with COPY, and every read
is one statement, so a reader sees the data before or after an import, never a mix; a failed
import leaves nothing behind.

A long-running process (the API) opens its stores from a ``PostgisPool``: one
``psycopg_pool.ConnectionPool`` per process, each store borrowing a connection and giving it back
on ``close``, so requests do not connect (and check the schema) each time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import psycopg_pool
import shapely
from psycopg.conninfo import conninfo_to_dict

from geo_ntm.domain import Vintage
from geo_ntm.errors import GeoNtmError, StoreBusyError
from geo_ntm.domain import Layer
from geo_ntm.store import postgis_migrations, rows
from geo_ntm.store.base import BBox, DataExtent, ImportRecord, Store

SRID = 4326
_WRITE_LOCK = 0x67656F5F6E746E  # advisory lock serialising geo_ntm writers
_ENVELOPE = f"ST_MakeEnvelope(%s, %s, %s, %s, {SRID})"
# The exact test uses the box as a geometry of its own dimension: a degenerate box (a point asked
# for by a lookup) stays a valid point, where ST_MakeEnvelope would give an invalid polygon.
_BOX = f"ST_Envelope(ST_MakeLine(ST_Point(%s, %s, {SRID}), ST_Point(%s, %s, {SRID})))"
_CONNECT = {"autocommit": True, "connect_timeout": 10, "application_name": "geo_ntm"}


def _ewkb(geoms) -> list[str | None]:
    """Hex EWKB with SRID 4326, the text form COPY reads into a geometry column."""
    geoms = shapely.set_srid(np.asarray(geoms, dtype=object), SRID)
    return shapely.to_wkb(geoms, hex=True, include_srid=True).tolist()


def _frame(cur: psycopg.Cursor, geometry: bool) -> gpd.GeoDataFrame:
    """The result of ``cur`` as a GeoDataFrame; a last column ``geom`` holds WKB when ``geometry``."""
    names = [c.name for c in cur.description]
    frame = pd.DataFrame.from_records(cur.fetchall(), columns=names, coerce_float=True)
    geoms = shapely.from_wkb(frame.pop("geom").tolist()) if geometry else [None] * len(frame)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(list(geoms), crs=f"EPSG:{SRID}"))


def _describe(url: str) -> str:
    """``url`` without its password, for messages."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "a malformed postgresql:// URL"
    host = parts.get("host", "localhost") + (f":{parts['port']}" if "port" in parts else "")
    user = f"{parts['user']}@" if "user" in parts else ""
    return f"postgresql://{user}{host}/{parts.get('dbname', '')}"


class PostgisStore(Store):
    """Store backend on a PostgreSQL database with the PostGIS extension."""

    def __init__(self, url: str, pool: "PostgisPool | None" = None):
        """A store on its own connection to ``url``, or (``pool``) on a connection borrowed from
        the pool until ``close``."""
        self._pool = pool
        if pool is not None:
            self._conn = pool.borrow()
            self._version = pool.schema_version
            return
        try:
            self._conn = psycopg.connect(url, **_CONNECT)
        except psycopg.Error as exc:
            raise GeoNtmError(f"cannot open the store {_describe(url)}: {exc}".strip()) from exc
        try:
            self._version = postgis_migrations.upgrade(self._conn)
        except psycopg.Error as exc:
            self._conn.close()
            raise GeoNtmError(f"cannot create or upgrade the schema of {_describe(url)} (nothing was changed): "
                              f"{exc}".strip()) from exc
        except GeoNtmError:
            self._conn.close()
            raise

    @property
    def schema_version(self) -> int:
        return self._version

    @contextmanager
    def _write(self) -> Iterator[psycopg.Cursor]:
        """One write transaction; writers wait for each other."""
        with self._conn.transaction(), self._conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_WRITE_LOCK,))
            yield cur

    @staticmethod
    def _copy(cur: psycopg.Cursor, table: str, columns: str, values: Iterable[Sequence]) -> None:
        """Bulk insert of ``values`` into ``columns`` (comma-separated) of ``table``."""
        with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)

    def _insert_import(self, cur: psycopg.Cursor, record: ImportRecord) -> int:
        return cur.execute(f"INSERT INTO imports ({rows.IMPORT_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s)"
                           " RETURNING import_id", rows.import_row(record)).fetchone()[0]

    # -- vintages ----------------------------------------------------------------------------
    def _insert_vintage(self, cur: psycopg.Cursor, name: str, valid_from: dt.date, source: str,
                        units: gpd.GeoDataFrame, import_id: int) -> int:
        if cur.execute("SELECT 1 FROM vintages WHERE name = %s OR valid_from = %s", (name, valid_from)).fetchone():
            raise rows.duplicate_vintage(name, valid_from)
        vintage_id = cur.execute("INSERT INTO vintages (name, valid_from, source, import_id) VALUES (%s, %s, %s, %s)"
                                 " RETURNING vintage_id", (name, valid_from, source, import_id)).fetchone()[0]
        attributes = rows.attribute_rows(units, rows.UNIT_ATTRIBUTES)
        self._copy(cur, "units", f"vintage_id, geom, {', '.join(rows.UNIT_ATTRIBUTES)}",
                   ((vintage_id, geom, *attrs) for geom, attrs in zip(_ewkb(units.geometry.array), attributes)))
        return vintage_id

    def _vintage(self, vintage_id: int) -> Vintage:
        return next(v for v in self.vintages() if v.vintage_id == vintage_id)

    def add_vintage(self, name, valid_from, source, units, record):
        with self._write() as cur:
            vintage_id = self._insert_vintage(cur, name, valid_from, source, units, self._insert_import(cur, record))
        return self._vintage(vintage_id)

    def add_lineage(self, record, events, derived):
        with self._write() as cur:
            import_id = self._insert_import(cur, record)
            for e in events:
                if cur.execute("SELECT 1 FROM lineage_events WHERE event_id = %s AND effective_date = %s",
                               (e.event_id, e.effective_date)).fetchone():
                    raise rows.duplicate_event(e)
                cur.execute(f"INSERT INTO lineage_events (import_id, {rows.EVENT_COLUMNS})"
                            f" VALUES ({', '.join(['%s'] * 12)})", (import_id, *rows.event_row(e)))
            ids = [self._insert_vintage(cur, name, valid_from, source, units, import_id)
                   for name, valid_from, source, units in derived]
            self._repoint_statuses(cur, ids)
        return [self._vintage(i) for i in ids]

    def _repoint_statuses(self, cur: psycopg.Cursor, derived_ids: list[int]) -> None:
        """Statuses of the years a derived vintage covers move to its unit of the same level and
        code (see ``rows.years_covered``); those of units that no longer exist stay."""
        starts = [(r[1], r[0]) for r in cur.execute("SELECT vintage_id, valid_from FROM vintages ORDER BY valid_from")]
        for vintage_id, first, last in rows.years_covered(starts, derived_ids):
            for table in ("criterion_statuses", "status_summaries"):
                cur.execute(
                    f"""UPDATE {table} t SET unit_id = n.unit_id
                        FROM units o JOIN units n ON n.level = o.level AND n.code = o.code
                        WHERE o.unit_id = t.unit_id AND n.vintage_id = %(vd)s AND o.vintage_id <> %(vd)s
                          AND t.year BETWEEN %(first)s AND %(last)s""",
                    {"vd": vintage_id, "first": first, "last": last},
                )

    def lineage_events(self, code=None):
        found = self._conn.execute(f"SELECT {rows.EVENT_COLUMNS} FROM lineage_events ORDER BY effective_date, id")
        return rows.events_naming([rows.event_from_row(r) for r in found], code)

    def vintages(self):
        found = self._conn.execute("SELECT vintage_id, name, valid_from, source FROM vintages ORDER BY valid_from")
        return rows.chain_vintages(found.fetchall())

    def units(self, vintage_id, level=None, *, province_code=None, district_code=None, codes=None,
              bbox: BBox | None = None, geometry=True, limit=None, offset=0) -> gpd.GeoDataFrame:
        where, params = ["vintage_id = %s"], [vintage_id]
        for column, value in (("level", level.value if level else None), ("province_code", province_code),
                              ("district_code", district_code)):
            if value is not None:
                where.append(f"{column} = %s")
                params.append(value)
        if codes is not None:
            where.append("code = ANY(%s)")
            params.append(list(codes))
        if bbox is not None:
            where.append(f"geom && {_ENVELOPE} AND ST_Intersects(geom, {_BOX})")
            params.extend([*bbox, *bbox])
        page = ""
        if limit is not None:
            page = " LIMIT %s OFFSET %s"
            params.extend([int(limit), int(offset)])
        columns = ", ".join(["unit_id", "vintage_id", *rows.UNIT_ATTRIBUTES] + (["ST_AsBinary(geom) AS geom"]
                                                                                 if geometry else []))
        with self._conn.cursor() as cur:
            cur.execute(f"SELECT {columns} FROM units WHERE {' AND '.join(where)} ORDER BY {rows.UNIT_ORDER}{page}",
                        params)
            return _frame(cur, geometry)

    # -- statuses ----------------------------------------------------------------------------
    def add_statuses(self, record, statuses, summaries) -> int:
        with self._write() as cur:
            import_id = self._insert_import(cur, record)
            self._copy(cur, "criterion_statuses", rows.STATUS_COLUMNS,
                       (rows.status_row(s, import_id) for s in statuses))
            self._copy(cur, "status_summaries", rows.SUMMARY_COLUMNS,
                       (rows.summary_row(s, import_id) for s in summaries))
        return import_id

    def _select(self, table: str, columns: str, unit_ids, year) -> list[tuple]:
        query = rows.unit_year_query(table, columns, unit_ids, year, "%s", "unit_id = ANY(%s)", list)
        return [] if query is None else self._conn.execute(*query).fetchall()

    def statuses(self, unit_ids=None, year=None):
        found = self._select("criterion_statuses", rows.STATUS_COLUMNS, unit_ids, year)
        return [rows.status_from_row(r) for r in found]

    def summaries(self, unit_ids=None, year=None):
        found = self._select("status_summaries", rows.SUMMARY_COLUMNS, unit_ids, year)
        return [rows.summary_from_row(r) for r in found]

    def data_extent(self) -> list[DataExtent]:
        found = self._conn.execute(
            """SELECT u.vintage_id, u.province_code, s.year, count(*), min(s.import_id)
               FROM (SELECT unit_id, year, import_id FROM criterion_statuses
                     UNION ALL SELECT unit_id, year, import_id FROM status_summaries) s
               JOIN units u ON u.unit_id = s.unit_id
               GROUP BY u.vintage_id, u.province_code, s.year ORDER BY u.vintage_id, u.province_code, s.year""")
        return [DataExtent(*r) for r in found]

    def imports(self) -> list[ImportRecord]:
        found = self._conn.execute(f"SELECT import_id, {rows.IMPORT_COLUMNS} FROM imports ORDER BY import_id")
        return [rows.import_from_row(r) for r in found]

    # -- infrastructure layers ---------------------------------------------------------------
    def add_layer(self, name, kind, valid_date, source, crs, features, raster, summary, record) -> Layer:
        count = len(features) if features is not None else 0
        with self._write() as cur:
            if cur.execute("SELECT 1 FROM layers WHERE name = %s", (name,)).fetchone():
                raise rows.duplicate_layer(name)
            import_id = self._insert_import(cur, record)
            layer_id = cur.execute(
                "INSERT INTO layers (name, kind, valid_date, source, crs, feature_count, summary, import_id, raster)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING layer_id",
                (name, kind.value, valid_date, source, crs, count, rows.to_json(summary), import_id, raster),
            ).fetchone()[0]
            if count:
                geoms = _ewkb(features.geometry.array)
                attributes = rows.attribute_rows(features, rows.FEATURE_ATTRIBUTES)
                self._copy(cur, "layer_features", f"layer_id, geom, {', '.join(rows.FEATURE_ATTRIBUTES)}",
                           ((layer_id, geom, *attrs) for geom, attrs in zip(geoms, attributes)))
        return self.layer_named(str(layer_id))

    def layers(self) -> list[Layer]:
        found = self._conn.execute(f"SELECT {rows.LAYER_COLUMNS} FROM layers ORDER BY layer_id")
        return [rows.layer_from_row(r) for r in found]

    def layer_features(self, layer_id, bbox=None, attributes=rows.FEATURE_ATTRIBUTES) -> gpd.GeoDataFrame:
        where, params = "layer_id = %s", [layer_id]
        if bbox is not None:
            where += f" AND geom && {_ENVELOPE}"
            params += list(bbox)
        with self._conn.cursor() as cur:
            columns = "".join(f"{c}, " for c in rows.checked_attributes(attributes))
            cur.execute(f"SELECT feature_id, {columns}ST_AsBinary(geom) AS geom"
                        f" FROM layer_features WHERE {where} ORDER BY feature_id", params)
            return _frame(cur, geometry=True)

    def layer_raster(self, layer_id) -> bytes:
        row = self._conn.execute("SELECT raster FROM layers WHERE layer_id = %s", (layer_id,)).fetchone()
        if row is None or row[0] is None:
            raise GeoNtmError(f"layer {layer_id} is not a raster layer")
        return bytes(row[0])

    def partition(self, vintage_id, bbox=None) -> gpd.GeoDataFrame | None:
        if not self._conn.execute("SELECT 1 FROM partitions WHERE vintage_id = %s", (vintage_id,)).fetchone():
            return None
        where, params = "p.vintage_id = %s", [vintage_id]
        if bbox is not None:
            where += f" AND p.geom && {_ENVELOPE}"
            params += list(bbox)
        with self._conn.cursor() as cur:
            cur.execute(f"SELECT p.unit_id, u.code, ST_AsBinary(p.geom) AS geom FROM unit_partition p"
                        f" JOIN units u ON u.unit_id = p.unit_id WHERE {where} ORDER BY u.code", params)
            return _frame(cur, geometry=True)

    def add_partition(self, vintage_id, cells, report) -> None:
        with self._write() as cur:
            if cur.execute("SELECT 1 FROM partitions WHERE vintage_id = %s", (vintage_id,)).fetchone():
                return
            cur.execute("INSERT INTO partitions VALUES (%s, %s, %s)", (vintage_id, rows.now(), rows.to_json(report)))
            self._copy(cur, "unit_partition", "geom, unit_id, vintage_id",
                       ((geom, int(u), vintage_id) for geom, u in zip(_ewkb(cells.geometry.array), cells["unit_id"])))

    def road_km(self, layer_id, vintage_id) -> pd.DataFrame | None:
        key = (layer_id, vintage_id)
        if not self._conn.execute("SELECT 1 FROM road_km_runs WHERE layer_id = %s AND vintage_id = %s",
                                  key).fetchone():
            return None
        with self._conn.cursor() as cur:
            cur.execute("SELECT unit_id, road_class, surface, km FROM road_km WHERE layer_id = %s AND vintage_id = %s"
                        " ORDER BY unit_id, road_class, surface", key)
            return pd.DataFrame.from_records(cur.fetchall(), columns=["unit_id", "road_class", "surface", "km"])

    def add_road_km(self, layer_id, vintage_id, table) -> None:
        with self._write() as cur:
            key = (layer_id, vintage_id)
            if cur.execute("SELECT 1 FROM road_km_runs WHERE layer_id = %s AND vintage_id = %s", key).fetchone():
                return
            cur.execute("INSERT INTO road_km_runs VALUES (%s, %s, %s)", (*key, rows.now()))
            self._copy(cur, "road_km", "layer_id, vintage_id, unit_id, road_class, surface, km",
                       ((*key, *r) for r in rows.road_km_rows(table)))

    def close(self) -> None:
        if self._pool is None:
            self._conn.close()
        elif self._conn is not None:
            conn, self._conn = self._conn, None
            self._pool.give_back(conn)


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
            url, kwargs=_CONNECT, min_size=1, max_size=size, timeout=timeout, name="geo_ntm",
            check=psycopg_pool.ConnectionPool.check_connection, open=True)

    def store(self) -> PostgisStore:
        """A store on a borrowed connection; ``close()`` gives it back."""
        return PostgisStore(self.url, pool=self)

    def borrow(self) -> psycopg.Connection:
        try:
            return self._pool.getconn()
        except psycopg_pool.PoolTimeout as exc:
            raise StoreBusyError(f"no connection to the store {_describe(self.url)} became free or could be opened "
                                 f"within {self._pool.timeout:g} s (pool of {self.size}); try again shortly, or raise "
                                 f"GEO_NTM_DB_POOL_SIZE: {exc}") from exc

    def give_back(self, conn: psycopg.Connection) -> None:
        self._pool.putconn(conn)

    def stats(self) -> dict[str, int]:
        """The pool's counters (``pool_size``, ``pool_available``, ``requests_waiting`` …)."""
        return self._pool.get_stats()

    def close(self) -> None:
        self._pool.close()
