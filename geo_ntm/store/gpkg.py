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

from geo_ntm.domain import UNIT_COLUMNS, CriterionStatus, EventKind, LineageEvent, StatusSummary, UnitType, Vintage
from geo_ntm.errors import GeoNtmError
from geo_ntm.store import gpkg_geometry as gg
from geo_ntm.store.base import BBox, DataExtent, ImportRecord, Store

SRS_ID = 4326
SCHEMA_VERSION = 2

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
INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, srs_id)
  VALUES ('units', 'features', 'units', 'Administrative units of every boundary vintage', 4326);
INSERT OR IGNORE INTO gpkg_geometry_columns VALUES ('units', 'geom', 'MULTIPOLYGON', 4326, 0, 0);
INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description)
  VALUES ('vintages', 'attributes', 'vintages', 'Boundary vintages and their start dates'),
         ('imports', 'attributes', 'imports', 'Audit trail of imports'),
         ('criterion_statuses', 'attributes', 'criterion_statuses', 'Reported NTM criterion statuses'),
         ('status_summaries', 'attributes', 'status_summaries', 'Reported criteria counts and recognitions'),
         ('lineage_events', 'attributes', 'lineage_events', 'Legal changes of units (merges, renames, transfers)');
INSERT OR IGNORE INTO gpkg_extensions VALUES
  ('units', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');
CREATE VIRTUAL TABLE IF NOT EXISTS rtree_units_geom USING rtree(id, minx, maxx, miny, maxy);
CREATE TRIGGER IF NOT EXISTS rtree_units_geom_insert AFTER INSERT ON units
  WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom))
  BEGIN INSERT OR REPLACE INTO rtree_units_geom VALUES
    (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER IF NOT EXISTS rtree_units_geom_delete AFTER DELETE ON units
  WHEN old.geom NOT NULL
  BEGIN DELETE FROM rtree_units_geom WHERE id = OLD.fid; END;
"""


def _register_gpkg_functions(conn: sqlite3.Connection) -> None:
    """The SQL functions the GeoPackage R-tree triggers call (GDAL provides them in its own
    connections; plain sqlite3 does not)."""
    conn.create_function("ST_IsEmpty", 1, gg.is_empty, deterministic=True)
    for i, fn in enumerate(("ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY")):
        conn.create_function(fn, 1, lambda b, i=i: (gg.envelope(b) or (None,) * 4)[i], deterministic=True)


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
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if version != 0 and not 10200 <= version < 20000:
            raise GeoNtmError(f"{self.path} is not a geo_ntm GeoPackage store (user_version {version})")
        self._create_or_upgrade()

    def _create_or_upgrade(self) -> None:
        """Create the schema, or add what a newer schema version has (every statement is idempotent)."""
        has_meta = self._conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'geo_ntm_meta'").fetchone()
        if has_meta and self._conn.execute(
                "SELECT value FROM geo_ntm_meta WHERE key = 'schema_version'").fetchone()[0] == str(SCHEMA_VERSION):
            return
        with self._transaction() as cur:
            cur.execute("PRAGMA application_id = 1196444487")  # 'GPKG'
            cur.execute("PRAGMA user_version = 10400")  # GeoPackage 1.4
            for statement in (_GPKG_CORE + _SCHEMA).split(";\n"):
                if statement.strip():
                    cur.execute(statement)
            cur.execute("CREATE TABLE IF NOT EXISTS geo_ntm_meta (key TEXT PRIMARY KEY, value TEXT)")
            cur.execute("INSERT OR REPLACE INTO geo_ntm_meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))

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
        cur.execute(
            "INSERT INTO imports (kind, source_file, imported_at, rows_read, rows_stored, report) VALUES (?,?,?,?,?,?)",
            (
                record.kind,
                record.source_file,
                dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                record.rows_read,
                record.rows_stored,
                json.dumps(record.report, ensure_ascii=False, default=str),
            ),
        )
        return cur.lastrowid

    # -- vintages ----------------------------------------------------------------------------
    def _insert_vintage(self, cur: sqlite3.Cursor, name: str, valid_from: dt.date, source: str,
                        units: gpd.GeoDataFrame, import_id: int) -> int:
        if cur.execute("SELECT 1 FROM vintages WHERE name = ? OR valid_from = ?", (name, valid_from.isoformat())).fetchone():
            raise GeoNtmError(
                f"a boundary vintage named {name!r} or starting on {valid_from.isoformat()} is already stored"
            )
        cur.execute(
            "INSERT INTO vintages (name, valid_from, source, import_id) VALUES (?,?,?,?)",
            (name, valid_from.isoformat(), source, import_id),
        )
        vintage_id = cur.lastrowid
        columns = [c for c in UNIT_COLUMNS if c not in ("unit_id", "vintage_id", "geometry")]
        blobs = [gg.encode(g, SRS_ID) for g in units.geometry]
        values = units[columns].astype(object).where(units[columns].notna(), None).itertuples(index=False)
        cur.executemany(
            f"INSERT INTO units (vintage_id, geom, {', '.join(columns)}) VALUES (?, ?, {', '.join('?' * len(columns))})",
            ((vintage_id, blob, *row) for blob, row in zip(blobs, values)),
        )
        minx, miny, maxx, maxy = units.total_bounds
        cur.execute(
            """UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now'),
               min_x = min(coalesce(min_x, ?), ?), min_y = min(coalesce(min_y, ?), ?),
               max_x = max(coalesce(max_x, ?), ?), max_y = max(coalesce(max_y, ?), ?)
               WHERE table_name = 'units'""",
            (minx, minx, miny, miny, maxx, maxx, maxy, maxy),
        )
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
                    raise GeoNtmError(f"lineage event {e.event_id!r} of {e.effective_date.isoformat()} "
                                      f"({e.where}) is already stored")
                cur.execute(
                    "INSERT INTO lineage_events (import_id, event_id, effective_date, legal_act, kind, before, after,"
                    " after_name, after_type, parent_after, note, line) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    (import_id, e.event_id, e.effective_date.isoformat(), e.legal_act, e.kind.value,
                     ";".join(e.before), ";".join(e.after), ";".join(e.after_name),
                     ";".join(t.value for t in e.after_type), e.parent_after, e.note, e.line),
                )
            ids = [self._insert_vintage(cur, name, valid_from, source, units, import_id)
                   for name, valid_from, source, units in derived]
            self._repoint_statuses(cur, ids)
        return [self._vintage(i) for i in ids]

    def _repoint_statuses(self, cur: sqlite3.Cursor, derived_ids: list[int]) -> None:
        """Statuses belong to the vintage in force on 31 December of their year. A derived vintage
        keeps the codes of its base, so statuses of the years it now covers move to its unit of the
        same level and code; statuses of units that no longer exist stay where they are."""
        starts = [(dt.date.fromisoformat(r[1]), r[0]) for r in
                  cur.execute("SELECT vintage_id, valid_from FROM vintages ORDER BY valid_from").fetchall()]
        for i, (start, vintage_id) in enumerate(starts):
            if vintage_id not in derived_ids:
                continue
            # the years whose 31 December falls on or after the start and before the next vintage
            first, last = start.year, (starts[i + 1][0].year - 1) if i + 1 < len(starts) else 9999
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
        sql = ("SELECT event_id, effective_date, legal_act, kind, before, after, after_name, after_type, parent_after,"
               " note, line FROM lineage_events")
        rows = self._conn.execute(sql + " ORDER BY effective_date, id").fetchall()

        def codes(text):
            return tuple(c for c in text.split(";") if c)

        events = [LineageEvent(r[0], dt.date.fromisoformat(r[1]), r[2], EventKind(r[3]), codes(r[4]), codes(r[5]),
                               codes(r[6]), tuple(UnitType(t) for t in codes(r[7])), r[8], r[9], r[10]) for r in rows]
        return [e for e in events if code is None or code in e.before or code in e.after]

    def vintages(self) -> list[Vintage]:
        rows = self._conn.execute("SELECT vintage_id, name, valid_from, source FROM vintages ORDER BY valid_from").fetchall()
        starts = [dt.date.fromisoformat(r[2]) for r in rows]
        return [
            Vintage(r[0], r[1], starts[i], starts[i + 1] if i + 1 < len(rows) else None, r[3])
            for i, r in enumerate(rows)
        ]

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
        if bbox is not None:
            where.append("fid IN (SELECT id FROM rtree_units_geom WHERE minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ?)")
            params.extend([bbox[2], bbox[0], bbox[3], bbox[1]])
        order = "ORDER BY CASE level WHEN 'province' THEN 0 WHEN 'district' THEN 1 ELSE 2 END, code"
        page = f" LIMIT {int(limit)} OFFSET {int(offset)}" if limit is not None else ""
        attrs = [c for c in UNIT_COLUMNS if c not in ("unit_id", "geometry")]
        sql = f"SELECT fid AS unit_id, {', '.join(attrs)}{', geom' if geometry else ''} FROM units WHERE {' AND '.join(where)} {order}{page}"
        frame = pd.read_sql_query(sql, self._conn, params=params)
        geoms = gg.decode_many(frame.pop("geom")) if geometry else [None] * len(frame)
        result = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(list(geoms), crs="EPSG:4326"))
        if geometry and bbox is not None and len(result):
            result = result[result.intersects(shapely.box(*bbox))].reset_index(drop=True)
        return result

    # -- statuses ----------------------------------------------------------------------------
    def add_statuses(self, record, statuses: Sequence[CriterionStatus], summaries: Sequence[StatusSummary]) -> int:
        with self._transaction() as cur:
            import_id = self._insert_import(cur, record)
            cur.executemany(
                "INSERT INTO criterion_statuses (unit_id, year, framework_id, level, criterion, met, source, row_number, import_id)"
                " VALUES (?,?,?,?,?,?,?,?,?)",
                ((s.unit_id, s.year, s.framework_id, s.level, s.criterion, int(s.met), s.source, s.row_number, import_id)
                 for s in statuses),
            )
            cur.executemany(
                "INSERT INTO status_summaries (unit_id, year, framework_id, level, criteria_met, criteria_total,"
                " recognized, decision, decision_date, source, row_number, import_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                ((s.unit_id, s.year, s.framework_id, s.level, s.criteria_met, s.criteria_total, int(s.recognized),
                  s.decision, s.decision_date.isoformat() if s.decision_date else None, s.source, s.row_number, import_id)
                 for s in summaries),
            )
        return import_id

    def _select(self, table: str, columns: str, unit_ids, year) -> list[tuple]:
        where, params = [], []
        if year is not None:
            where.append("year = ?")
            params.append(int(year))
        if unit_ids is not None:
            ids = [int(u) for u in unit_ids]
            if not ids:
                return []
            where.append("unit_id IN (SELECT value FROM json_each(?))")
            params.append(json.dumps(ids))
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        return self._conn.execute(f"SELECT {columns} FROM {table} {clause} ORDER BY id", params).fetchall()

    def statuses(self, unit_ids=None, year=None) -> list[CriterionStatus]:
        rows = self._select(
            "criterion_statuses",
            "unit_id, year, framework_id, level, criterion, met, source, row_number, import_id",
            unit_ids,
            year,
        )
        return [CriterionStatus(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6], r[7], r[8]) for r in rows]

    def summaries(self, unit_ids=None, year=None) -> list[StatusSummary]:
        rows = self._select(
            "status_summaries",
            "unit_id, year, framework_id, level, criteria_met, criteria_total, recognized, decision, decision_date,"
            " source, row_number, import_id",
            unit_ids,
            year,
        )
        return [
            StatusSummary(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]), r[7],
                          dt.date.fromisoformat(r[8]) if r[8] else None, r[9], r[10], r[11])
            for r in rows
        ]

    def data_extent(self) -> list[DataExtent]:
        rows = self._conn.execute(
            """SELECT u.vintage_id, u.province_code, s.year, count(*), min(s.import_id)
               FROM (SELECT unit_id, year, import_id FROM criterion_statuses
                     UNION ALL SELECT unit_id, year, import_id FROM status_summaries) s
               JOIN units u ON u.fid = s.unit_id
               GROUP BY u.vintage_id, u.province_code, s.year ORDER BY u.vintage_id, u.province_code, s.year"""
        ).fetchall()
        return [DataExtent(*r) for r in rows]

    def imports(self) -> list[ImportRecord]:
        rows = self._conn.execute(
            "SELECT import_id, kind, source_file, imported_at, rows_read, rows_stored, report FROM imports ORDER BY import_id"
        ).fetchall()
        return [ImportRecord(r[1], r[2], r[4], r[5], json.loads(r[6]), r[0], r[3]) for r in rows]

    def close(self) -> None:
        self._conn.close()
