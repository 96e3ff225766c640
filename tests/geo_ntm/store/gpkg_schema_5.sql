-- The DDL of a geo_ntm GeoPackage store at schema version 5, frozen as geo_ntm wrote it (from
-- geo_ntm/store/gpkg.py before the feature tables' keys were renamed from fid): the upgrade test
-- builds an old store file from it. Never edit it to follow the current schema.
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
INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, srs_id)
  VALUES ('units', 'features', 'units', 'Administrative units of every boundary vintage', 4326);
INSERT OR IGNORE INTO gpkg_geometry_columns VALUES ('units', 'geom', 'MULTIPOLYGON', 4326, 0, 0);
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
         ('partitions', 'attributes', 'partitions', 'How each vintage partition was built');
INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, srs_id)
  VALUES ('layer_features', 'features', 'layer_features', 'Features of the infrastructure layers', 4326);
INSERT OR IGNORE INTO gpkg_geometry_columns VALUES ('layer_features', 'geom', 'GEOMETRY', 4326, 0, 0);
INSERT OR IGNORE INTO gpkg_extensions VALUES
  ('layer_features', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');
CREATE VIRTUAL TABLE IF NOT EXISTS rtree_layer_features_geom USING rtree(id, minx, maxx, miny, maxy);
CREATE TRIGGER IF NOT EXISTS rtree_layer_features_geom_insert AFTER INSERT ON layer_features
  WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom))
  BEGIN INSERT OR REPLACE INTO rtree_layer_features_geom VALUES
    (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER IF NOT EXISTS rtree_layer_features_geom_delete AFTER DELETE ON layer_features
  WHEN old.geom NOT NULL
  BEGIN DELETE FROM rtree_layer_features_geom WHERE id = OLD.fid; END;
INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, srs_id)
  VALUES ('unit_partition', 'features', 'unit_partition', 'Communes of each vintage cleaned into a partition: the owner of every point', 4326);
INSERT OR IGNORE INTO gpkg_geometry_columns VALUES ('unit_partition', 'geom', 'MULTIPOLYGON', 4326, 0, 0);
INSERT OR IGNORE INTO gpkg_extensions VALUES
  ('unit_partition', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');
CREATE VIRTUAL TABLE IF NOT EXISTS rtree_unit_partition_geom USING rtree(id, minx, maxx, miny, maxy);
CREATE TRIGGER IF NOT EXISTS rtree_unit_partition_geom_insert AFTER INSERT ON unit_partition
  WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom))
  BEGIN INSERT OR REPLACE INTO rtree_unit_partition_geom VALUES
    (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER IF NOT EXISTS rtree_unit_partition_geom_delete AFTER DELETE ON unit_partition
  WHEN old.geom NOT NULL
  BEGIN DELETE FROM rtree_unit_partition_geom WHERE id = OLD.fid; END;
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
ALTER TABLE imports ADD COLUMN actor TEXT;
CREATE TABLE IF NOT EXISTS geo_ntm_meta (key TEXT PRIMARY KEY, value TEXT);
INSERT OR REPLACE INTO geo_ntm_meta VALUES ('schema_version', '5');
