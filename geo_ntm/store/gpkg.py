"""The embedded store: one GeoPackage file (SQLite), the default for one person and the demo.

Why GeoPackage: it is a single file, an OGC standard that QGIS, ArcGIS and ogr2ogr open
directly (the ``units`` layer shows every vintage's boundaries), and SQLite gives real
transactions, so an import is atomic and a reader (WAL mode) sees the old data or the new,
never a mix. Feature rows are written through Python's sqlite3 inside one transaction; the
spec's R-tree triggers are kept working by registering the ``ST_*`` functions they call.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from geo_ntm.domain import CriterionStatus, LineageEvent, StatusSummary, Vintage
from geo_ntm.errors import GeoNtmError
from geo_ntm.domain import Layer
from geo_ntm.store import gpkg_geometry as gg
from geo_ntm.store import rows
from geo_ntm.store.base import BBox, DataExtent, ImportRecord, Store

SRS_ID = 4326
SCHEMA_VERSION = 5

_GPKG_CORE = """
CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY, organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES
 ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
 ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system'),
 ('WGS 84 geodetic', 4326, 'EPSG', 4326,
  'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]',
  'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid');
CREATE TABLE IF NOT EXISTS gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE, description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER);
CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name));
CREATE TABLE IF NOT EXISTS gpkg_extensions (
  table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL,
  CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
"""

def _feature_table_sql(table: str, geometry_type: str, description: str) -> str:
    """Registration, R-tree and R-tree triggers of a GeoPackage feature table (column ``geom``)."""
    return f"""
INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, srs_id)
  VALUES ('{table}', 'features', '{table}', '{description}', 4326);
INSERT OR IGNORE INTO gpkg_geometry_columns VALUES ('{table}', 'geom', '{geometry_type}', 4326, 0, 0);
INSERT OR IGNORE INTO gpkg_extensions VALUES
  ('{table}', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');
CREATE VIRTUAL TABLE IF NOT EXISTS rtree_{table}_geom USING rtree(id, minx, maxx, miny, maxy);
CREATE TRIGGER IF NOT EXISTS rtree_{table}_geom_insert AFTER INSERT ON {table}
  WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom))
  BEGIN INSERT OR REPLACE INTO rtree_{table}_geom VALUES
    (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER IF NOT EXISTS rtree_{table}_geom_delete AFTER DELETE ON {table}
  WHEN old.geom NOT NULL
  BEGIN DELETE FROM rtree_{table}_geom WHERE id = OLD.fid; END;
"""


_SCHEMA = """
CREATE TABLE IF NOT EXISTS vintages (
  vintage_id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, valid_from TEXT NOT NULL UNIQUE,
  source TEXT NOT NULL, import_id INTEGER);
CREATE TABLE IF NOT EXISTS units (
  fid INTEGER PRIMARY KEY AUTOINCREMENT, geom MULTIPOLYGON,
  vintage_id INTEGER NOT NULL REFERENCES vintages(vintage_id), level TEXT NOT NULL, code TEXT NOT NULL,
  name TEXT, name_short TEXT, unit_type TEXT, parent_code TEXT, province_code TEXT, district_code TEXT,
  population REAL, area_ha REAL, flag TEXT,
  UNIQUE (vintage_id, level, code));
CREATE INDEX IF NOT EXISTS units_scope ON units (vintage_id, level, province_code, district_code);
CREATE TABLE IF NOT EXISTS imports (
  import_id INTEGER PRIMARY KEY, kind TEXT NOT NULL, source_file TEXT NOT NULL, imported_at TEXT NOT NULL,
  rows_read INTEGER NOT NULL, rows_stored INTEGER NOT NULL, report TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS criterion_statuses (
  id INTEGER PRIMARY KEY, unit_id INTEGER NOT NULL REFERENCES units(fid), year INTEGER NOT NULL,
  framework_id TEXT NOT NULL, level TEXT NOT NULL, criterion INTEGER NOT NULL, met INTEGER NOT NULL,
  source TEXT, row_number INTEGER, import_id INTEGER REFERENCES imports(import_id));
CREATE INDEX IF NOT EXISTS criterion_statuses_unit_year ON criterion_statuses (unit_id, year);
CREATE TABLE IF NOT EXISTS status_summaries (
  id INTEGER PRIMARY KEY, unit_id INTEGER NOT NULL REFERENCES units(fid), year INTEGER NOT NULL,
  framework_id TEXT NOT NULL, level TEXT NOT NULL, criteria_met INTEGER NOT NULL, criteria_total INTEGER NOT NULL,
  recognized INTEGER NOT NULL, decision TEXT, decision_date TEXT,
  source TEXT, row_number INTEGER, import_id INTEGER REFERENCES imports(import_id));
CREATE INDEX IF NOT EXISTS status_summaries_unit_year ON status_summaries (unit_id, year);
CREATE TABLE IF NOT EXISTS lineage_events (
  id INTEGER PRIMARY KEY, import_id INTEGER NOT NULL REFERENCES imports(import_id), event_id TEXT NOT NULL,
  effective_date TEXT NOT NULL, legal_act TEXT NOT NULL, kind TEXT NOT NULL, before TEXT NOT NULL, after TEXT NOT NULL,
  after_name TEXT NOT NULL, after_type TEXT NOT NULL, parent_after TEXT, note TEXT, line INTEGER NOT NULL,
  UNIQUE (event_id, effective_date));
INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description)
  VALUES ('vintages', 'attributes', 'vintages', 'Boundary vintages and their start dates'),
         ('imports', 'attributes', 'imports', 'Audit trail of imports'),
         ('criterion_statuses', 'attributes', 'criterion_statuses', 'Reported NTM criterion statuses'),
         ('status_summaries', 'attributes', 'status_summaries', 'Reported criteria counts and recognitions'),
         ('lineage_events', 'attributes', 'lineage_events', 'Legal changes of units (merges, renames, transfers)');
""" + _feature_table_sql("units", "MULTIPOLYGON", "Administrative units of every boundary vintage")




# Schema version 3: infrastructure layers (vector features in one feature table, rasters as
# GeoTIFF blobs so the store stays one file) and the clean partition of each vintage's communes.
_SCHEMA_LAYERS = """
CREATE TABLE IF NOT EXISTS layers (
  layer_id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, valid_date TEXT NOT NULL,
  source TEXT NOT NULL, crs TEXT NOT NULL, feature_count INTEGER NOT NULL, summary TEXT NOT NULL,
  import_id INTEGER REFERENCES imports(import_id), raster BLOB);
CREATE TABLE IF NOT EXISTS layer_features (
  fid INTEGER PRIMARY KEY AUTOINCREMENT, geom GEOMETRY, layer_id INTEGER NOT NULL REFERENCES layers(layer_id),
  road_class TEXT, surface TEXT, kind TEXT, name TEXT, properties TEXT);
CREATE INDEX IF NOT EXISTS layer_features_layer ON layer_features (layer_id);
CREATE TABLE IF NOT EXISTS partitions (
  vintage_id INTEGER PRIMARY KEY REFERENCES vintages(vintage_id), built_at TEXT NOT NULL, report TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS unit_partition (
  fid INTEGER PRIMARY KEY AUTOINCREMENT, geom MULTIPOLYGON, unit_id INTEGER NOT NULL UNIQUE REFERENCES units(fid),
  vintage_id INTEGER NOT NULL REFERENCES vintages(vintage_id));
CREATE INDEX IF NOT EXISTS unit_partition_vintage ON unit_partition (vintage_id);
INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description)
  VALUES ('layers', 'attributes', 'layers', 'Infrastructure layers: name, kind, date, source (rasters as GeoTIFF)'),
         ('partitions', 'attributes', 'partitions', 'How each vintage partition was built');""" + \
    _feature_table_sql("layer_features", "GEOMETRY", "Features of the infrastructure layers") + \
    _feature_table_sql("unit_partition", "MULTIPOLYGON",
                       "Communes of each vintage cleaned into a partition: the owner of every point")


# Schema version 5: the km of each road layer per commune of a vintage, computed once.
_SCHEMA_ROAD_KM = """
CREATE TABLE IF NOT EXISTS road_km_runs (
  layer_id INTEGER NOT NULL REFERENCES layers(layer_id), vintage_id INTEGER NOT NULL REFERENCES vintages(vintage_id),
  computed_at TEXT NOT NULL, PRIMARY KEY (layer_id, vintage_id));
CREATE TABLE IF NOT EXISTS road_km (
  layer_id INTEGER NOT NULL, vintage_id INTEGER NOT NULL, unit_id INTEGER NOT NULL REFERENCES units(fid),
  road_class TEXT NOT NULL, surface TEXT NOT NULL, km REAL NOT NULL,
  PRIMARY KEY (layer_id, vintage_id, unit_id, road_class, surface),
  FOREIGN KEY (layer_id, vintage_id) REFERENCES road_km_runs (layer_id, vintage_id));
INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description)
  VALUES ('road_km_runs', 'attributes', 'road_km_runs', 'Road layers whose km per commune are stored'),
         ('road_km', 'attributes', 'road_km', 'Km of a road layer per commune of a vintage, by class and surface');
"""


def _register_gpkg_functions(conn: sqlite3.Connection) -> None:
    """The SQL functions the GeoPackage R-tree triggers call (GDAL provides them in its own
    connections; plain sqlite3 does not)."""
    conn.create_function("ST_IsEmpty", 1, gg.is_empty, deterministic=True)
    for i, fn in enumerate(("ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY")):
        conn.create_function(fn, 1, lambda b, i=i: (gg.envelope(b) or (None,) * 4)[i], deterministic=True)


def _rtree_filter(table: str, fid: str) -> str:
    """SQL selecting the rows of ``table`` whose envelope meets a box (see ``_rtree_params``)."""
    return f"{fid} IN (SELECT id FROM rtree_{table}_geom WHERE minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ?)"


def _rtree_params(bbox: BBox) -> list[float]:
    return [bbox[2], bbox[0], bbox[3], bbox[1]]


def _geoframe(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    """``frame`` with its GeoPackage ``geom`` blobs decoded into an EPSG:4326 geometry column."""
    geoms = gg.decode_many(frame.pop("geom"))
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"))


class GeoPackageStore(Store):
    """Store backend on one GeoPackage file."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        except sqlite3.Error as exc:
            raise GeoNtmError(f"cannot open the store {self.path}: {exc}") from exc
        _register_gpkg_functions(self._conn)
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if version != 0 and not 10200 <= version < 20000:
            raise GeoNtmError(f"{self.path} is not a geo_ntm GeoPackage store (user_version {version})")
        if version == 0:  # mark a new file as a GeoPackage in its header before WAL mode defers writes
            self._conn.execute("PRAGMA application_id = 1196444487")  # 'GPKG'
            self._conn.execute("PRAGMA user_version = 10400")  # GeoPackage 1.4
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._create_or_upgrade()

    def _create_or_upgrade(self) -> None:
        """Create the schema, or add what a newer schema version has (every statement is idempotent)."""
        has_meta = self._conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'geo_ntm_meta'").fetchone()
        if has_meta and self._conn.execute(
                "SELECT value FROM geo_ntm_meta WHERE key = 'schema_version'").fetchone()[0] == str(SCHEMA_VERSION):
            return
        with self._transaction() as cur:
            for statement in (_GPKG_CORE + _SCHEMA + _SCHEMA_LAYERS + _SCHEMA_ROAD_KM).split(";\n"):
                if statement.strip():
                    cur.execute(statement)
            if "actor" not in {r[1] for r in cur.execute("PRAGMA table_info(imports)")}:  # schema 4
                cur.execute("ALTER TABLE imports ADD COLUMN actor TEXT")
            cur.execute("CREATE TABLE IF NOT EXISTS geo_ntm_meta (key TEXT PRIMARY KEY, value TEXT)")
            cur.execute("INSERT OR REPLACE INTO geo_ntm_meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))

    @property
    def schema_version(self) -> int:
        return SCHEMA_VERSION

    def _transaction(self):
        conn = self._conn

        class _Tx:
            def __enter__(self_inner):
                conn.execute("BEGIN IMMEDIATE")
                return conn.cursor()

            def __exit__(self_inner, exc_type, exc, tb):
                conn.execute("ROLLBACK" if exc_type else "COMMIT")
                return False

        return _Tx()

    def _insert_import(self, cur: sqlite3.Cursor, record: ImportRecord) -> int:
        cur.execute(f"INSERT INTO imports ({rows.IMPORT_COLUMNS}) VALUES (?,?,?,?,?,?,?)", rows.import_row(record))
        return cur.lastrowid

    # -- vintages ----------------------------------------------------------------------------
    def _insert_vintage(self, cur: sqlite3.Cursor, name: str, valid_from: dt.date, source: str,
                        units: gpd.GeoDataFrame, import_id: int) -> int:
        if cur.execute("SELECT 1 FROM vintages WHERE name = ? OR valid_from = ?", (name, valid_from.isoformat())).fetchone():
            raise rows.duplicate_vintage(name, valid_from)
        cur.execute(
            "INSERT INTO vintages (name, valid_from, source, import_id) VALUES (?,?,?,?)",
            (name, valid_from.isoformat(), source, import_id),
        )
        vintage_id = cur.lastrowid
        columns = rows.UNIT_ATTRIBUTES
        blobs = [gg.encode(g, SRS_ID) for g in units.geometry]
        cur.executemany(
            f"INSERT INTO units (vintage_id, geom, {', '.join(columns)}) VALUES (?, ?, {', '.join('?' * len(columns))})",
            ((vintage_id, blob, *row) for blob, row in zip(blobs, rows.attribute_rows(units, columns))),
        )
        self._extend_extent(cur, "units", units.total_bounds)
        return vintage_id

    def _vintage(self, vintage_id: int) -> Vintage:
        return next(v for v in self.vintages() if v.vintage_id == vintage_id)

    def add_vintage(self, name, valid_from, source, units, record) -> Vintage:
        with self._transaction() as cur:
            vintage_id = self._insert_vintage(cur, name, valid_from, source, units, self._insert_import(cur, record))
        return self._vintage(vintage_id)

    def add_lineage(self, record, events, derived) -> list[Vintage]:
        with self._transaction() as cur:
            import_id = self._insert_import(cur, record)
            for e in events:
                if cur.execute("SELECT 1 FROM lineage_events WHERE event_id = ? AND effective_date = ?",
                               (e.event_id, e.effective_date.isoformat())).fetchone():
                    raise rows.duplicate_event(e)
                cur.execute(f"INSERT INTO lineage_events (import_id, {rows.EVENT_COLUMNS})"
                            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", (import_id, *rows.event_row(e)))
            ids = [self._insert_vintage(cur, name, valid_from, source, units, import_id)
                   for name, valid_from, source, units in derived]
            self._repoint_statuses(cur, ids)
        return [self._vintage(i) for i in ids]

    def _repoint_statuses(self, cur: sqlite3.Cursor, derived_ids: list[int]) -> None:
        """Statuses belong to the vintage in force on 31 December of their year. A derived vintage
        keeps the codes of its base, so statuses of the years it now covers (``rows.years_covered``)
        move to its unit of the same level and code; statuses of units that no longer exist stay."""
        starts = [(dt.date.fromisoformat(r[1]), r[0]) for r in
                  cur.execute("SELECT vintage_id, valid_from FROM vintages ORDER BY valid_from").fetchall()]
        for vintage_id, first, last in rows.years_covered(starts, derived_ids):
            for table in ("criterion_statuses", "status_summaries"):
                cur.execute(
                    f"""UPDATE {table} SET unit_id = (
                          SELECT n.fid FROM units n JOIN units o ON o.fid = {table}.unit_id
                          WHERE n.vintage_id = :vd AND n.level = o.level AND n.code = o.code)
                        WHERE year BETWEEN :first AND :last AND EXISTS (
                          SELECT 1 FROM units n JOIN units o ON o.fid = {table}.unit_id
                          WHERE n.vintage_id = :vd AND n.level = o.level AND n.code = o.code AND o.vintage_id != :vd)""",
                    {"vd": vintage_id, "first": first, "last": last},
                )

    def lineage_events(self, code=None) -> list[LineageEvent]:
        found = self._conn.execute(f"SELECT {rows.EVENT_COLUMNS} FROM lineage_events ORDER BY effective_date, id")
        return rows.events_naming([rows.event_from_row(r) for r in found], code)

    def vintages(self) -> list[Vintage]:
        found = self._conn.execute("SELECT vintage_id, name, valid_from, source FROM vintages ORDER BY valid_from")
        return rows.chain_vintages(found.fetchall())

    def units(
        self,
        vintage_id,
        level=None,
        *,
        province_code=None,
        district_code=None,
        codes=None,
        bbox: BBox | None = None,
        geometry=True,
        limit=None,
        offset=0,
    ) -> gpd.GeoDataFrame:
        where, params = ["vintage_id = ?"], [vintage_id]
        for column, value in (("level", level.value if level else None), ("province_code", province_code),
                              ("district_code", district_code)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if codes is not None:
            where.append(f"code IN ({', '.join('?' * len(codes))})")
            params.extend(codes)
        if bbox is not None:  # the R-tree preselects by envelope; the exact test below needs the geometries
            where.append(_rtree_filter("units", "fid"))
            params.extend(_rtree_params(bbox))
        read_geometry = geometry or bbox is not None
        page = f" LIMIT {int(limit)} OFFSET {int(offset)}" if limit is not None and bbox is None else ""
        sql = (f"SELECT fid AS unit_id, vintage_id, {', '.join(rows.UNIT_ATTRIBUTES)}{', geom' if read_geometry else ''}"
               f" FROM units WHERE {' AND '.join(where)} ORDER BY {rows.UNIT_ORDER}{page}")
        frame = pd.read_sql_query(sql, self._conn, params=params)
        geoms = gg.decode_many(frame.pop("geom")) if read_geometry else [None] * len(frame)
        result = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(list(geoms), crs="EPSG:4326"))
        if bbox is not None:
            # the box as a geometry of its own dimension: a degenerate box stays a valid point
            box = shapely.envelope(shapely.linestrings([bbox[:2], bbox[2:]]))
            result = result[result.intersects(box)]
            result = result.iloc[offset:None if limit is None else offset + limit].reset_index(drop=True)
            if not geometry:
                result["geometry"] = gpd.GeoSeries([None] * len(result), crs="EPSG:4326")
        return result

    # -- statuses ----------------------------------------------------------------------------
    def add_statuses(self, record, statuses: Sequence[CriterionStatus], summaries: Sequence[StatusSummary]) -> int:
        with self._transaction() as cur:
            import_id = self._insert_import(cur, record)
            cur.executemany(f"INSERT INTO criterion_statuses ({rows.STATUS_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)",
                            (rows.status_row(s, import_id) for s in statuses))
            cur.executemany(f"INSERT INTO status_summaries ({rows.SUMMARY_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                            (rows.summary_row(s, import_id) for s in summaries))
        return import_id

    def _select(self, table: str, columns: str, unit_ids, year) -> list[tuple]:
        query = rows.unit_year_query(table, columns, unit_ids, year, "?",
                                     "unit_id IN (SELECT value FROM json_each(?))", json.dumps)
        return [] if query is None else self._conn.execute(*query).fetchall()

    def statuses(self, unit_ids=None, year=None) -> list[CriterionStatus]:
        found = self._select("criterion_statuses", rows.STATUS_COLUMNS, unit_ids, year)
        return [rows.status_from_row(r) for r in found]

    def summaries(self, unit_ids=None, year=None) -> list[StatusSummary]:
        found = self._select("status_summaries", rows.SUMMARY_COLUMNS, unit_ids, year)
        return [rows.summary_from_row(r) for r in found]

    def data_extent(self) -> list[DataExtent]:
        found = self._conn.execute(
            """SELECT u.vintage_id, u.province_code, s.year, count(*), min(s.import_id)
               FROM (SELECT unit_id, year, import_id FROM criterion_statuses
                     UNION ALL SELECT unit_id, year, import_id FROM status_summaries) s
               JOIN units u ON u.fid = s.unit_id
               GROUP BY u.vintage_id, u.province_code, s.year ORDER BY u.vintage_id, u.province_code, s.year"""
        ).fetchall()
        return [DataExtent(*r) for r in found]

    def imports(self) -> list[ImportRecord]:
        found = self._conn.execute(f"SELECT import_id, {rows.IMPORT_COLUMNS} FROM imports ORDER BY import_id")
        return [rows.import_from_row(r) for r in found]

    # -- infrastructure layers ---------------------------------------------------------------
    def _extend_extent(self, cur: sqlite3.Cursor, table: str, bounds) -> None:
        minx, miny, maxx, maxy = (float(b) for b in bounds)
        cur.execute(
            """UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now'),
               min_x = min(coalesce(min_x, ?), ?), min_y = min(coalesce(min_y, ?), ?),
               max_x = max(coalesce(max_x, ?), ?), max_y = max(coalesce(max_y, ?), ?)
               WHERE table_name = ?""",
            (minx, minx, miny, miny, maxx, maxx, maxy, maxy, table),
        )

    def add_layer(self, name, kind, valid_date, source, crs, features, raster, summary, record) -> Layer:
        count = len(features) if features is not None else 0
        with self._transaction() as cur:
            if cur.execute("SELECT 1 FROM layers WHERE name = ?", (name,)).fetchone():
                raise rows.duplicate_layer(name)
            import_id = self._insert_import(cur, record)
            cur.execute(
                "INSERT INTO layers (name, kind, valid_date, source, crs, feature_count, summary, import_id, raster)"
                " VALUES (?,?,?,?,?,?,?,?,?)",
                (name, kind.value, valid_date.isoformat(), source, crs, count, rows.to_json(summary), import_id,
                 raster),
            )
            layer_id = cur.lastrowid
            if count:
                columns = rows.FEATURE_ATTRIBUTES
                blobs = gg.encode_many(features.geometry.array, SRS_ID)
                cur.executemany(
                    f"INSERT INTO layer_features (layer_id, geom, {', '.join(columns)}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    ((layer_id, blob, *row) for blob, row in zip(blobs, rows.attribute_rows(features, columns))),
                )
                self._extend_extent(cur, "layer_features", features.total_bounds)
        return self.layer_named(str(layer_id))

    def layers(self) -> list[Layer]:
        found = self._conn.execute(f"SELECT {rows.LAYER_COLUMNS} FROM layers ORDER BY layer_id")
        return [rows.layer_from_row(r) for r in found]

    def layer_features(self, layer_id, bbox=None, attributes=rows.FEATURE_ATTRIBUTES) -> gpd.GeoDataFrame:
        where, params = "layer_id = ?", [layer_id]
        if bbox is not None:
            where += " AND " + _rtree_filter("layer_features", "fid")
            params += _rtree_params(bbox)
        columns = "".join(f"{c}, " for c in rows.checked_attributes(attributes))
        frame = pd.read_sql_query(f"SELECT fid AS feature_id, {columns}geom"
                                  f" FROM layer_features WHERE {where} ORDER BY fid", self._conn, params=params)
        return _geoframe(frame)

    def layer_raster(self, layer_id) -> bytes:
        row = self._conn.execute("SELECT raster FROM layers WHERE layer_id = ?", (layer_id,)).fetchone()
        if row is None or row[0] is None:
            raise GeoNtmError(f"layer {layer_id} is not a raster layer")
        return bytes(row[0])

    def partition(self, vintage_id, bbox=None) -> gpd.GeoDataFrame | None:
        if not self._conn.execute("SELECT 1 FROM partitions WHERE vintage_id = ?", (vintage_id,)).fetchone():
            return None
        where, params = "p.vintage_id = ?", [vintage_id]
        if bbox is not None:
            where += " AND " + _rtree_filter("unit_partition", "p.fid")
            params += _rtree_params(bbox)
        frame = pd.read_sql_query(f"SELECT p.unit_id, u.code, p.geom FROM unit_partition p JOIN units u"
                                  f" ON u.fid = p.unit_id WHERE {where} ORDER BY u.code", self._conn, params=params)
        return _geoframe(frame)

    def add_partition(self, vintage_id, cells, report) -> None:
        with self._transaction() as cur:
            if cur.execute("SELECT 1 FROM partitions WHERE vintage_id = ?", (vintage_id,)).fetchone():
                return
            cur.execute("INSERT INTO partitions VALUES (?, ?, ?)",
                        (vintage_id, rows.now(), rows.to_json(report)))
            blobs = gg.encode_many(cells.geometry.array, SRS_ID)
            cur.executemany("INSERT INTO unit_partition (geom, unit_id, vintage_id) VALUES (?, ?, ?)",
                            ((blob, int(u), vintage_id) for blob, u in zip(blobs, cells["unit_id"])))
            self._extend_extent(cur, "unit_partition", cells.total_bounds)

    def road_km(self, layer_id, vintage_id) -> pd.DataFrame | None:
        key = (layer_id, vintage_id)
        if not self._conn.execute("SELECT 1 FROM road_km_runs WHERE layer_id = ? AND vintage_id = ?", key).fetchone():
            return None
        return pd.read_sql_query("SELECT unit_id, road_class, surface, km FROM road_km WHERE layer_id = ?"
                                 " AND vintage_id = ? ORDER BY unit_id, road_class, surface", self._conn, params=key)

    def add_road_km(self, layer_id, vintage_id, table) -> None:
        with self._transaction() as cur:
            key = (layer_id, vintage_id)
            if cur.execute("SELECT 1 FROM road_km_runs WHERE layer_id = ? AND vintage_id = ?", key).fetchone():
                return
            cur.execute("INSERT INTO road_km_runs VALUES (?, ?, ?)", (*key, rows.now()))
            cur.executemany("INSERT INTO road_km VALUES (?, ?, ?, ?, ?, ?)",
                            ((*key, *r) for r in rows.road_km_rows(table)))

    def close(self) -> None:
        self._conn.close()
