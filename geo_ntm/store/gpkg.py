"""The embedded store: one GeoPackage file (SQLite), the default for one person and the demo.

Why GeoPackage: it is a single file, an OGC standard that QGIS, ArcGIS and ogr2ogr open
directly (the ``units`` layer shows every vintage's boundaries), and SQLite gives real
transactions, so an import is atomic and a reader (WAL mode) sees the old data or the new,
never a mix. Feature rows are written through Python's sqlite3 inside one transaction; the
spec's R-tree triggers are kept working by registering the ``ST_*`` functions they call.

The queries are those of ``sql.SqlStore``; this module gives SQLite's dialect and opens the file.
The schema is in ``gpkg_schema``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyogrio.raw import open_arrow

from geo_ntm.errors import GeoNtmError
from geo_ntm.store import filter_sql, gpkg_schema, rows
from geo_ntm.store import gpkg_geometry as gg
from geo_ntm.store.base import BBox
from geo_ntm.store.sql import SqlStore


class GeoPackageDialect:
    """SQLite with GeoPackage geometry blobs and R-tree indexes (see ``dialect.Dialect``)."""

    #: Deferred: the first read pins the snapshot (WAL mode) and takes no lock that blocks a writer.
    read_snapshot = "BEGIN"
    filters: filter_sql.FilterDialect = filter_sql.SqliteFilters()

    def sql(self, query: str) -> str:
        return query  # sqlite3 reads ? marks

    def any_of(self, column: str) -> str:
        return f"{column} IN (SELECT value FROM json_each(?))"

    def list_value(self, values: Sequence[int | str]) -> str:
        return json.dumps(list(values))

    def encode_geometries(self, geoms: np.ndarray) -> list[bytes | None]:
        return gg.encode_many(geoms, gpkg_schema.SRS_ID)

    def select_geometry(self, column: str) -> str:
        return column

    def decode_geometries(self, values: Sequence) -> np.ndarray:
        return gg.decode_many(values)

    def envelope_filter(self, table: str, key: str, geom: str, bbox: BBox) -> tuple[str, list]:
        """The table's R-tree (``rtree_<table>_geom``, ids are the keys) preselects by envelope."""
        condition = (
            f"{key} IN (SELECT id FROM rtree_{table}_geom WHERE minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ?)"
        )
        return condition, [bbox[2], bbox[0], bbox[3], bbox[1]]

    def intersects_filter(self, geom: str, bbox: BBox) -> None:
        return None  # plain SQLite has no geometry functions: the store tests the geometries it reads

    def vector_tile_query(self) -> None:
        return None  # no MVT encoder in SQLite: the store encodes the shapes it reads (mvt.encode)

    @contextmanager
    def write(self, conn: sqlite3.Connection) -> Iterator[sqlite3.Cursor]:
        """``BEGIN IMMEDIATE`` takes SQLite's write lock at once (another writer waits up to the
        connection's timeout); WAL mode lets readers go on reading the last commit meanwhile."""
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn.cursor()
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def insert_id(self, cur: sqlite3.Cursor, query: str, params: Sequence, key: str) -> int:
        cur.execute(query, params)
        if cur.lastrowid is None:
            raise GeoNtmError(f"the insert gave no row id for {key}: {query}")
        return cur.lastrowid  # the INTEGER PRIMARY KEY ``key`` is the rowid

    def insert_many(self, cur: sqlite3.Cursor, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
        cur.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", rows)

    def features_written(self, cur: sqlite3.Cursor, table: str, bounds: Sequence[float]) -> None:
        """Widen the table's extent in ``gpkg_contents`` (GIS clients zoom to it) and mark its change."""
        minx, miny, maxx, maxy = (float(b) for b in bounds)
        cur.execute(
            """UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now'),
               min_x = min(coalesce(min_x, ?), ?), min_y = min(coalesce(min_y, ?), ?),
               max_x = max(coalesce(max_x, ?), ?), max_y = max(coalesce(max_y, ?), ?)
               WHERE table_name = ?""",
            (minx, minx, miny, miny, maxx, maxx, maxy, maxy, table),
        )

    def upgrade(self, conn: sqlite3.Connection) -> int:
        if not gpkg_schema.is_current(conn):
            with self.write(conn) as cur:
                gpkg_schema.upgrade(cur)
        return gpkg_schema.SCHEMA_VERSION


def register_gpkg_functions(conn: sqlite3.Connection) -> None:
    """The SQL functions the GeoPackage R-tree triggers call (GDAL provides them in its own
    connections; plain sqlite3 does not)."""
    conn.create_function("ST_IsEmpty", 1, gg.is_empty, deterministic=True)
    for i, fn in enumerate(("ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY")):
        conn.create_function(fn, 1, lambda b, i=i: (gg.envelope(b) or (None,) * 4)[i], deterministic=True)


def _connect(path: Path) -> sqlite3.Connection:
    """An autocommit connection to the file at ``path`` (made if missing), marked as a GeoPackage
    in its header, in WAL mode, with foreign keys enforced and the R-tree trigger functions."""
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    except sqlite3.Error as exc:
        raise GeoNtmError(f"cannot open the store {path}: {exc}") from exc
    register_gpkg_functions(conn)
    filter_sql.register(conn)
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version != 0 and not 10200 <= version < 20000:
        conn.close()
        raise GeoNtmError(f"{path} is not a geo_ntm GeoPackage store (user_version {version})")
    if version == 0:  # mark a new file as a GeoPackage in its header before WAL mode defers writes
        conn.execute("PRAGMA application_id = 1196444487")  # 'GPKG'
        conn.execute("PRAGMA user_version = 10400")  # GeoPackage 1.4
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


class GeoPackageStore(SqlStore):
    """Store backend on one GeoPackage file; its schema is created or upgraded on open."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = _connect(self.path)
        dialect = GeoPackageDialect()
        super().__init__(conn, dialect, dialect.upgrade(conn))

    def layer_feature_batches(
        self,
        layer_id: int,
        attributes: tuple[str, ...] = rows.FEATURE_ATTRIBUTES,
        size: int = 100_000,
        ids: range | None = None,
    ) -> Iterator[gpd.GeoDataFrame]:
        """GDAL's GeoPackage driver reads the feature table as Arrow batches (``pyogrio``), its
        geometry blobs turned into WKB in C: a national layer reads about three times faster than
        through the SQLite cursor, in one read transaction of its own (the last committed layer:
        a layer's features are written once)."""
        attributes = rows.checked_attributes(attributes)
        size = rows.checked_batch_size(size)
        where = _inlined(*self._batch_filter(layer_id, ids))
        layer = {"layer": "layer_features", "columns": list(attributes), "where": where}
        with open_arrow(self.path, **layer, batch_size=size, return_fids=True, use_pyarrow=True) as (meta, reader):
            for batch in reader:
                frame = batch.to_pandas()
                geoms = shapely.from_wkb(frame.pop(meta["geometry_name"]).to_numpy())
                yield gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"))


def _inlined(where: str, params: list[int]) -> str:
    """``where`` with its ``?`` marks replaced by the integers ``params`` (GDAL's attribute filter
    takes no parameters)."""
    parts = where.split("?")
    return "".join(f"{part}{int(value)}" for part, value in zip(parts, params, strict=False)) + parts[-1]
