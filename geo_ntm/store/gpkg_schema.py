"""The GeoPackage store's schema: the GeoPackage core tables, the store's tables (feature tables
registered with their R-tree index and its triggers) and the upgrade of a file of an older schema.

Every statement is idempotent (``IF NOT EXISTS``, ``INSERT OR IGNORE``), so creating and upgrading
are one script run in one transaction; what cannot be written so (added columns, renamed keys) is
done by ``upgrade`` before the script. The tables and columns are those of the PostGIS store."""

from __future__ import annotations

import sqlite3

SRS_ID = 4326
SCHEMA_VERSION = 16

#: The integer primary key of each feature table, named as in PostGIS (GDAL and QGIS find it by its
#: type; before schema 6 every one was named ``fid``).
FEATURE_KEYS = {
    "units": "unit_id",
    "layer_features": "feature_id",
    "unit_partition": "id",
    "generalised_units": "id",
}

_GPKG_CORE = """
CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY, organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES
 ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
 ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system'),
 ('WGS 84 geodetic', 4326, 'EPSG', 4326,
  'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],'
  || 'AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],'
  || 'UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],'
  || 'AUTHORITY["EPSG","4326"]]',
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
    """Registration, R-tree and R-tree triggers of a GeoPackage feature table (column ``geom``, key
    ``FEATURE_KEYS[table]``)."""
    key = FEATURE_KEYS[table]
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
    (NEW.{key}, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER IF NOT EXISTS rtree_{table}_geom_delete AFTER DELETE ON {table}
  WHEN old.geom NOT NULL
  BEGIN DELETE FROM rtree_{table}_geom WHERE id = OLD.{key}; END;
"""


_SCHEMA = """
CREATE TABLE IF NOT EXISTS vintages (
  vintage_id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, valid_from TEXT NOT NULL UNIQUE,
  source TEXT NOT NULL, import_id INTEGER);
CREATE TABLE IF NOT EXISTS units (
  unit_id INTEGER PRIMARY KEY AUTOINCREMENT, geom MULTIPOLYGON,
  vintage_id INTEGER NOT NULL REFERENCES vintages(vintage_id), level TEXT NOT NULL, code TEXT NOT NULL,
  name TEXT, name_short TEXT, unit_type TEXT, parent_code TEXT, province_code TEXT, district_code TEXT,
  population REAL, area_ha REAL, flag TEXT,
  UNIQUE (vintage_id, level, code));
CREATE INDEX IF NOT EXISTS units_scope ON units (vintage_id, level, province_code, district_code);
CREATE TABLE IF NOT EXISTS imports (
  import_id INTEGER PRIMARY KEY, kind TEXT NOT NULL, source_file TEXT NOT NULL, imported_at TEXT NOT NULL,
  rows_read INTEGER NOT NULL, rows_stored INTEGER NOT NULL, report TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS criterion_statuses (
  id INTEGER PRIMARY KEY, unit_id INTEGER NOT NULL REFERENCES units(unit_id), year INTEGER NOT NULL,
  framework_id TEXT NOT NULL, level TEXT NOT NULL, criterion INTEGER NOT NULL, met INTEGER NOT NULL,
  source TEXT, row_number INTEGER, import_id INTEGER REFERENCES imports(import_id));
CREATE INDEX IF NOT EXISTS criterion_statuses_unit_year ON criterion_statuses (unit_id, year);
CREATE TABLE IF NOT EXISTS status_summaries (
  id INTEGER PRIMARY KEY, unit_id INTEGER NOT NULL REFERENCES units(unit_id), year INTEGER NOT NULL,
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
_SCHEMA_LAYERS = (
    """
CREATE TABLE IF NOT EXISTS layers (
  layer_id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, valid_date TEXT NOT NULL,
  source TEXT NOT NULL, crs TEXT NOT NULL, feature_count INTEGER NOT NULL, summary TEXT NOT NULL,
  import_id INTEGER REFERENCES imports(import_id), raster BLOB);
CREATE TABLE IF NOT EXISTS layer_features (
  feature_id INTEGER PRIMARY KEY AUTOINCREMENT, geom GEOMETRY, layer_id INTEGER NOT NULL REFERENCES layers(layer_id),
  road_class TEXT, surface TEXT, kind TEXT, name TEXT, properties TEXT);
CREATE INDEX IF NOT EXISTS layer_features_layer ON layer_features (layer_id);
CREATE TABLE IF NOT EXISTS partitions (
  vintage_id INTEGER PRIMARY KEY REFERENCES vintages(vintage_id), built_at TEXT NOT NULL, report TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS unit_partition (
  id INTEGER PRIMARY KEY AUTOINCREMENT, geom MULTIPOLYGON, unit_id INTEGER NOT NULL UNIQUE REFERENCES units(unit_id),
  vintage_id INTEGER NOT NULL REFERENCES vintages(vintage_id));
CREATE INDEX IF NOT EXISTS unit_partition_vintage ON unit_partition (vintage_id);
INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description)
  VALUES ('layers', 'attributes', 'layers', 'Infrastructure layers: name, kind, date, source (rasters as GeoTIFF)'),
         ('partitions', 'attributes', 'partitions', 'How each vintage partition was built');"""
    + _feature_table_sql("layer_features", "GEOMETRY", "Features of the infrastructure layers")
    + _feature_table_sql(
        "unit_partition", "MULTIPOLYGON", "Communes of each vintage cleaned into a partition: the owner of every point"
    )
)


# Schema version 5: the km of each road layer per commune of a vintage, computed once.
_SCHEMA_ROAD_KM = """
CREATE TABLE IF NOT EXISTS road_km_runs (
  layer_id INTEGER NOT NULL REFERENCES layers(layer_id), vintage_id INTEGER NOT NULL REFERENCES vintages(vintage_id),
  computed_at TEXT NOT NULL, PRIMARY KEY (layer_id, vintage_id));
CREATE TABLE IF NOT EXISTS road_km (
  layer_id INTEGER NOT NULL, vintage_id INTEGER NOT NULL, unit_id INTEGER NOT NULL REFERENCES units(unit_id),
  road_class TEXT NOT NULL, surface TEXT NOT NULL, km REAL NOT NULL,
  PRIMARY KEY (layer_id, vintage_id, unit_id, road_class, surface),
  FOREIGN KEY (layer_id, vintage_id) REFERENCES road_km_runs (layer_id, vintage_id));
INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description)
  VALUES ('road_km_runs', 'attributes', 'road_km_runs', 'Road layers whose km per commune are stored'),
         ('road_km', 'attributes', 'road_km', 'Km of a road layer per commune of a vintage, by class and surface');
"""

# Schema version 7: the answers of long computations (coverage tables), stored once per question and
# content version (the latest import: any import makes older answers stale) for every later request.
_SCHEMA_COMPUTED = """
CREATE TABLE IF NOT EXISTS computed_results (
  question TEXT NOT NULL, content_version INTEGER NOT NULL, topic TEXT NOT NULL, computed_at TEXT NOT NULL,
  totals TEXT NOT NULL, communes TEXT NOT NULL, PRIMARY KEY (question, content_version));
INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description)
  VALUES ('computed_results', 'attributes', 'computed_results', 'Answers of long computations per question');
"""
# Schema version 8: recognition events (a decision recognising, re-recognising or revoking a
# unit's level). A file of an older schema gets the recognitions its summaries reported.
_SCHEMA_RECOGNITIONS = """
CREATE TABLE IF NOT EXISTS recognitions (
  id INTEGER PRIMARY KEY, unit_id INTEGER NOT NULL REFERENCES units(unit_id), year INTEGER NOT NULL,
  level TEXT NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('recognised', 're_recognised', 'revoked')),
  framework_id TEXT, decision TEXT, decision_date TEXT, issuing_body TEXT,
  source TEXT, row_number INTEGER, import_id INTEGER REFERENCES imports(import_id));
CREATE INDEX IF NOT EXISTS recognitions_unit_year ON recognitions (unit_id, year);
INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description)
  VALUES ('recognitions', 'attributes', 'recognitions', 'Recognition decisions (recognised, re-recognised, revoked)');
"""
_COPY_RECOGNISED_SUMMARIES = """
INSERT INTO recognitions (unit_id, year, level, kind, framework_id, decision, decision_date, source, row_number,
  import_id)
SELECT unit_id, year, level, 'recognised', framework_id, decision, decision_date, source, row_number, import_id
FROM status_summaries WHERE recognized ORDER BY id"""

# Schema version 10: data flags, the contradictions found in the status data (issue 12 §5), kept
# with the units (JSON list), the rows of the file (JSON list) and the import that found them.
_SCHEMA_DATA_FLAGS = """
CREATE TABLE IF NOT EXISTS data_flags (
  flag_id INTEGER PRIMARY KEY, kind TEXT NOT NULL, year INTEGER NOT NULL, province_code TEXT, district_code TEXT,
  framework_id TEXT, level TEXT, units TEXT NOT NULL, message_vi TEXT NOT NULL, message_en TEXT NOT NULL,
  file_rows TEXT NOT NULL, source TEXT, import_id INTEGER REFERENCES imports(import_id));
CREATE INDEX IF NOT EXISTS data_flags_scope ON data_flags (year, province_code, district_code);
INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description)
  VALUES ('data_flags', 'attributes', 'data_flags', 'Contradictions found in the status data (data checks)');
"""


# Schema version 13: targets of the programme (issue 13 §5): a commune's target year for a level, a
# province's share of communes at a level by a year, with the source of each. Created if missing.
_SCHEMA_TARGETS = """
CREATE TABLE IF NOT EXISTS targets (
  id INTEGER PRIMARY KEY, unit_id INTEGER NOT NULL REFERENCES units(unit_id), level TEXT NOT NULL,
  year INTEGER NOT NULL, share REAL, baseline_year INTEGER, baseline_share REAL, source TEXT NOT NULL,
  row_number INTEGER, import_id INTEGER REFERENCES imports(import_id));
CREATE INDEX IF NOT EXISTS targets_unit ON targets (unit_id, level, year);
INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description)
  VALUES ('targets', 'attributes', 'targets', 'NTM targets: communes (target year), provinces (share by year)');
"""


# Schema version 9: reported indicators (chỉ tiêu) of a criterion, with their status and/or value.
# Created if missing, so a file of schema 6, 7 or 8 upgrades to it.
_SCHEMA_INDICATORS = """
CREATE TABLE IF NOT EXISTS indicator_statuses (
  id INTEGER PRIMARY KEY, unit_id INTEGER NOT NULL REFERENCES units(unit_id), year INTEGER NOT NULL,
  framework_id TEXT NOT NULL, level TEXT NOT NULL, criterion INTEGER NOT NULL, indicator_id TEXT NOT NULL,
  met INTEGER, value REAL, value_unit TEXT, source TEXT, row_number INTEGER,
  import_id INTEGER REFERENCES imports(import_id));
CREATE INDEX IF NOT EXISTS indicator_statuses_unit_year ON indicator_statuses (unit_id, year);
INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description)
  VALUES ('indicator_statuses', 'attributes', 'indicator_statuses',
          'Reported NTM indicator statuses and values (chỉ tiêu 2.1, 17.1 ...)');
"""

# Schema version 11: commune groups (nhóm 1/2/3 of QĐ 51/2025, with their decision and numbering
# source) and the unit classifications kept apart from them (khu vực, loại), each dated by its act.
_SCHEMA_GROUPS = """
CREATE TABLE IF NOT EXISTS commune_groups (
  id INTEGER PRIMARY KEY, unit_id INTEGER NOT NULL REFERENCES units(unit_id),
  ntm_group INTEGER NOT NULL CHECK (ntm_group IN (1, 2, 3)), decision TEXT NOT NULL, decision_date TEXT NOT NULL,
  numbering_source TEXT NOT NULL, source TEXT, row_number INTEGER, import_id INTEGER REFERENCES imports(import_id));
CREATE INDEX IF NOT EXISTS commune_groups_unit ON commune_groups (unit_id, decision_date);
CREATE TABLE IF NOT EXISTS unit_classifications (
  id INTEGER PRIMARY KEY, unit_id INTEGER NOT NULL REFERENCES units(unit_id),
  kind TEXT NOT NULL, value TEXT NOT NULL, act TEXT NOT NULL, act_date TEXT NOT NULL,
  source TEXT, row_number INTEGER, import_id INTEGER REFERENCES imports(import_id),
  CHECK ((kind = 'ethnic_area' AND value IN ('I', 'II', 'III'))
      OR (kind = 'admin_class' AND value IN ('I', 'II', 'III', 'đặc biệt'))));
CREATE INDEX IF NOT EXISTS unit_classifications_unit ON unit_classifications (unit_id, kind, act_date);
INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description)
  VALUES ('commune_groups', 'attributes', 'commune_groups', 'NTM commune groups (nhóm 1/2/3, QĐ 51/2025) by decision'),
         ('unit_classifications', 'attributes', 'unit_classifications',
          'Ethnic-minority area (khu vực) and administrative class (loại) of units, by act');
"""


# Schema version 12: indicator sets, a framework's indicators with thresholds per commune group
# (JSON list), from a ministry's or province's file; who loaded it and when is its import's.
_SCHEMA_INDICATOR_SETS = """
CREATE TABLE IF NOT EXISTS indicator_sets (
  set_id INTEGER PRIMARY KEY, framework_id TEXT NOT NULL, source_file TEXT NOT NULL, indicators TEXT NOT NULL,
  import_id INTEGER NOT NULL REFERENCES imports(import_id));
CREATE INDEX IF NOT EXISTS indicator_sets_framework ON indicator_sets (framework_id);
INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description)
  VALUES ('indicator_sets', 'attributes', 'indicator_sets',
          'NTM indicators with thresholds per commune group, as a ministry or province supplies them');
"""


# Schema version 14: the data version (one row), raised by every write transaction of the store: the
# ETags of the HTTP answers are built on it (api/caching.py), so any write makes them stale.
_SCHEMA_DATA_VERSION = """
CREATE TABLE IF NOT EXISTS data_version (
  id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL, changed_at TEXT NOT NULL);
INSERT OR IGNORE INTO data_version VALUES (1, 1, strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now'));
INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description)
  VALUES ('data_version', 'attributes', 'data_version', 'Version of the stored data, raised by every write');
"""
# Schema version 15: the generalised shapes of each vintage's units per zoom band (vector tiles,
# issue 14 §2), simplified as one coverage so neighbours keep their shared borders; built once.
_SCHEMA_GENERALISED = """
CREATE TABLE IF NOT EXISTS generalisations (
  vintage_id INTEGER PRIMARY KEY REFERENCES vintages(vintage_id), built_at TEXT NOT NULL, report TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS generalised_units (
  id INTEGER PRIMARY KEY AUTOINCREMENT, geom MULTIPOLYGON, unit_id INTEGER NOT NULL REFERENCES units(unit_id),
  vintage_id INTEGER NOT NULL REFERENCES vintages(vintage_id), tier TEXT NOT NULL, band INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS generalised_units_band ON generalised_units (vintage_id, tier, band);
INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description)
  VALUES ('generalisations', 'attributes', 'generalisations', 'How each vintage was generalised for tiles');
""" + _feature_table_sql("generalised_units", "MULTIPOLYGON", "Units of each vintage simplified per zoom band (tiles)")

# Schema version 16: the people within a distance of water sources per commune, computed once.
_SCHEMA_WATER_REACH = """
CREATE TABLE IF NOT EXISTS water_reach_runs (
  sources TEXT NOT NULL, vintage_id INTEGER NOT NULL REFERENCES vintages(vintage_id), distance_m REAL NOT NULL,
  computed_at TEXT NOT NULL, PRIMARY KEY (sources, vintage_id, distance_m));
CREATE TABLE IF NOT EXISTS water_reach (
  sources TEXT NOT NULL, vintage_id INTEGER NOT NULL, distance_m REAL NOT NULL,
  unit_id INTEGER NOT NULL REFERENCES units(unit_id), population REAL NOT NULL, population_within REAL NOT NULL,
  PRIMARY KEY (sources, vintage_id, distance_m, unit_id),
  FOREIGN KEY (sources, vintage_id, distance_m) REFERENCES water_reach_runs (sources, vintage_id, distance_m));
INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description)
  VALUES ('water_reach_runs', 'attributes', 'water_reach_runs', 'Water sources and distances whose reach is stored'),
         ('water_reach', 'attributes', 'water_reach', 'People per commune and within a distance of water sources');
"""


def upgrade(cur: sqlite3.Cursor) -> None:
    """Create the schema, or bring a file of an older schema to ``SCHEMA_VERSION`` keeping its data
    (``cur`` inside a write transaction)."""
    for table, key in FEATURE_KEYS.items():  # schema 6
        if _has_table(cur, table) and "fid" in _columns(cur, table):
            _rename_key(cur, table, key)
    older = _has_table(cur, "status_summaries") and not _has_table(cur, "recognitions")
    schema = (
        _GPKG_CORE
        + _SCHEMA
        + _SCHEMA_LAYERS
        + _SCHEMA_ROAD_KM
        + _SCHEMA_COMPUTED
        + _SCHEMA_RECOGNITIONS
        + _SCHEMA_INDICATORS
        + _SCHEMA_DATA_FLAGS
        + _SCHEMA_GROUPS
        + _SCHEMA_INDICATOR_SETS
        + _SCHEMA_TARGETS
        + _SCHEMA_DATA_VERSION
        + _SCHEMA_GENERALISED
        + _SCHEMA_WATER_REACH
    )
    for statement in schema.split(";\n"):
        if statement.strip():
            cur.execute(statement)
    if older:  # schema 8
        cur.execute(_COPY_RECOGNISED_SUMMARIES)
    if "actor" not in _columns(cur, "imports"):  # schema 4
        cur.execute("ALTER TABLE imports ADD COLUMN actor TEXT")
    cur.execute("CREATE TABLE IF NOT EXISTS geo_ntm_meta (key TEXT PRIMARY KEY, value TEXT)")
    cur.execute("INSERT OR REPLACE INTO geo_ntm_meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))


def is_current(conn: sqlite3.Connection) -> bool:
    """Whether the file's schema is at ``SCHEMA_VERSION`` (checked without a write transaction)."""
    if not _has_table(conn, "geo_ntm_meta"):
        return False
    found = conn.execute("SELECT value FROM geo_ntm_meta WHERE key = 'schema_version'").fetchone()
    return found is not None and found[0] == str(SCHEMA_VERSION)


def _rename_key(cur: sqlite3.Cursor, table: str, key: str) -> None:
    """Rename the feature table's key ``fid`` to ``key``. SQLite renames it in the table and in the
    foreign keys of other tables (``REFERENCES units(fid)`` becomes ``units(unit_id)``); the R-tree
    triggers are dropped first and created again, with the new name, by the schema script."""
    for event in ("insert", "delete"):
        cur.execute(f"DROP TRIGGER IF EXISTS rtree_{table}_geom_{event}")
    cur.execute(f"ALTER TABLE {table} RENAME COLUMN fid TO {key}")


def _has_table(cur: sqlite3.Cursor | sqlite3.Connection, table: str) -> bool:
    return cur.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone() is not None


def _columns(cur: sqlite3.Cursor, table: str) -> set[str]:
    return {r[1] for r in cur.execute(f"PRAGMA table_info({table})")}
