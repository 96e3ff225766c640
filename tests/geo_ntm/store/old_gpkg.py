"""A GeoPackage store file as geo_ntm wrote it at schema version 5, when the feature tables' keys were
all named ``fid``: the frozen DDL of ``gpkg_schema_5.sql`` and a few rows of every kind, written with
plain sqlite3 as the old store did (GeoPackage header, WAL, foreign keys, R-tree triggers)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import shapely

from geo_ntm.store import gpkg_geometry as gg
from geo_ntm.store.gpkg import register_gpkg_functions

SCHEMA_5 = Path(__file__).with_name("gpkg_schema_5.sql")
#: The old store's units: (fid, level, code, parent code, box); each box holds the next.
UNITS = [
    (10, "province", "83", None, (105.0, 10.0, 107.0, 12.0)),
    (11, "district", "831", "83", (105.0, 10.0, 106.0, 11.0)),
    (12, "commune", "83101", "831", (105.0, 10.0, 105.5, 10.5)),
]
ROADS = [shapely.LineString([(105.1, 10.1), (105.2, 10.2)]), shapely.LineString([(106.5, 11.5), (106.6, 11.6)])]


def unit_geometry(box: tuple[float, float, float, float]) -> shapely.MultiPolygon:
    return shapely.MultiPolygon([shapely.box(*box)])


def make_schema_5_store(path: Path) -> None:
    """Write a schema-5 store at ``path``: one vintage of ``UNITS``, a status and a summary of the
    commune, a road layer of ``ROADS``, the commune's partition cell and its road km."""
    conn = sqlite3.connect(path, isolation_level=None)
    register_gpkg_functions(conn)
    conn.execute("PRAGMA application_id = 1196444487")
    conn.execute("PRAGMA user_version = 10400")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.executescript(SCHEMA_5.read_text(encoding="utf-8"))
    conn.execute(
        "INSERT INTO imports VALUES (1, 'boundaries', 'old.gpkg', '2024-01-02T03:04:05+00:00', 3, 3, '{}', 'cli')"
    )
    conn.execute("INSERT INTO vintages VALUES (1, 'old 2009', '2009-04-01', 'old.gpkg', 1)")
    blobs = gg.encode_many([unit_geometry(box) for *_, box in UNITS], 4326)
    conn.executemany(
        "INSERT INTO units (fid, geom, vintage_id, level, code, name, parent_code, province_code)"
        " VALUES (?, ?, 1, ?, ?, ?, ?, '83')",
        [
            (fid, blob, level, code, f"Unit {code}", parent)
            for (fid, level, code, parent, _), blob in zip(UNITS, blobs, strict=True)
        ],
    )
    conn.execute("INSERT INTO criterion_statuses VALUES (1, 12, 2020, 'ntm_2021', 'commune', 3, 1, 'old.csv', 2, 1)")
    conn.execute(
        "INSERT INTO status_summaries VALUES (1, 12, 2020, 'ntm_2021', 'commune', 19, 19, 1, 'QĐ 1',"
        " '2020-12-01', 'old.csv', 2, 1)"
    )
    conn.execute("INSERT INTO layers VALUES (1, 'roads', 'roads', '2020-01-01', 'osm', 'EPSG:4326', 2, '{}', 1, NULL)")
    conn.executemany(
        "INSERT INTO layer_features (fid, geom, layer_id, road_class) VALUES (?, ?, 1, 'commune')",
        list(zip((7, 8), gg.encode_many(ROADS, 4326), strict=True)),
    )
    conn.execute("INSERT INTO partitions VALUES (1, '2024-01-02T03:04:05+00:00', '{}')")
    conn.execute(
        "INSERT INTO unit_partition (fid, geom, unit_id, vintage_id) VALUES (5, ?, 12, 1)",
        gg.encode_many([unit_geometry(UNITS[2][4])], 4326),
    )
    conn.execute("INSERT INTO road_km_runs VALUES (1, 1, '2024-01-02T03:04:05+00:00')")
    conn.execute("INSERT INTO road_km VALUES (1, 1, 12, 'commune', 'asphalt', 1.5)")
    conn.close()
