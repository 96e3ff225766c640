"""Per-commune road length by class: geo_ntm against the tools a GIS analyst would otherwise use,
on a SYNTHETIC road network over the real 2009 communes, in one run on one machine.

    python bench/bench_anchors.py --segments 2000000                       # the whole country
    python bench/bench_anchors.py --segments 20000 --province 811          # Bến Tre only
    python bench/bench_anchors.py --segments 3000 --province 811 --engines geo_ntm_gpkg duckdb

Input, written once by the ``generate`` stage: the network (``make_synthetic.py``) as GeoPackage
(``roads.gpkg``) and GeoParquet (``roads.parquet``, converted by DuckDB from the GeoPackage), and
the real 2009 communes (``GEO_NTM_DATA_DIR``/vn_admin_2009.gpkg; with ``--province`` only that
province's units) as GeoPackage and GeoParquet. Output of every engine: km per commune code and
road class (the OSM ``highway`` tag mapped to the class the way the shipped ``osm`` mapping does).

Engines, each stage in a fresh process (its time and peak memory are its own: the peak RSS of the
process, and the peak PSS of the process and its children summed, ``fresh.TreeMemory``: geo_ntm
forks its workers):

- ``geo_ntm_gpkg`` / ``geo_ntm_postgis``: geo_ntm on its embedded store / on PostGIS; stages
  import (boundaries + road layer), partition (once per vintage), and the measured road table
  (``coverage(store, roads)``: read the roads and cells from the store, clip, measure, tabulate,
  and store the km per commune, which a national question does the first time), then the same
  question again (``stored_seconds``: the stored km summed, as every later question is answered).
- ``postgis_sql``: load both files into PostGIS with GiST indexes, then the hand-written query
  ``sum(ST_Length(ST_Intersection(road, commune)::geography))``. Its answer is the REFERENCE.
- ``geopandas``: read both files, ``geopandas.overlay(how="intersection")`` and ``dissolve`` by
  commune and class, lengths in one UTM zone (``estimate_utm_crs``: 48N for the whole country).
- ``duckdb``: DuckDB with its spatial extension loaded from the installed
  ``duckdb_extension_spatial`` package (no download), ``ST_Intersection`` +
  ``ST_Length_Spheroid`` (which wants latitude first: ``ST_FlipCoordinates``).

The anchors clip against the original commune polygons, which overlap (a road in an overlap counts
for both) and leave gaps; geo_ntm clips against its cleaned partition and gives pieces just off
the coast to the nearest commune. So there are two references, both PostGIS geography lengths:
``reference_raw`` (the ``postgis_sql`` answer, on the original polygons) and ``reference_cells``
(the same query on geo_ntm's partition cells exported from a geo_ntm store, plus geo_ntm's
near-coast rule written in SQL: a part outside every cell counts for its nearest cell when all its
vertices lie within 0.01° of it). geo_ntm does not say which of several equally near cells is the
nearest (a road leaving one commune for the sea and entering the next touches both; the order of
shapely's STRtree decides), and that choice decides where such a part counts and whether it counts,
so ``vs_reference_cells_untied`` leaves aside the communes a tied part touches: the like-with-like
figure. Every engine is compared with every reference: the largest relative difference per commune
(km of all classes) and per commune and class, over those with more than 1 m of road in the
reference.

PostGIS: ``--pg-admin-url`` names a server where databases with PostGIS can be created;
without it a throwaway cluster is started (``tests.support.pg_cluster``, Debian's PostgreSQL +
PostGIS). Peak memory of a PostGIS stage is that of the client process and, separately, the peak
RSS (VmHWM) of the server backend that ran the query (shared buffers it touched included).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from fresh import in_fresh_process
from provenance import git_state

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))  # tests.support: the throwaway PostGIS cluster and local services
ENGINES = ("geo_ntm_gpkg", "geo_ntm_postgis", "postgis_sql", "geopandas", "duckdb")
ROAD_DATE = dt.date(2020, 6, 30)
VINTAGE_DATE = dt.date(2009, 4, 1)
MIN_KM = 0.001  # communes (and commune-classes) with more than 1 m of road are compared
NEAREST_MAX_DEG = 0.01  # geo_ntm's near-coast rule (geo_ntm.infrastructure.clip.NEAREST_MAX_DEG)


# -- helpers shared by the stages -------------------------------------------------------------
def _synthetic():
    sys.path.insert(0, str(HERE))
    import make_synthetic

    return make_synthetic


def highway_classes() -> dict[str, str]:
    """OSM ``highway`` value -> geo_ntm road class, for the values the synthetic network uses
    (those of the shipped ``osm`` mapping)."""
    from geo_ntm.infrastructure.mapping import get_mapping

    section = get_mapping("osm").sections["class"]
    return {spec[2]: section.lookup(spec[2]) for spec in _synthetic().CLASSES.values()}


def boundaries_file(data_dir: Path | None = None) -> Path:
    from geo_ntm.settings import Settings

    return (data_dir or Settings.from_env().data_dir) / "vn_admin_2009.gpkg"


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _backend_peak_mb(pid: int) -> float | None:
    """Peak RSS (VmHWM) of a local PostgreSQL backend, in MB, if /proc shows it."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def _duckdb():
    """A DuckDB connection with the spatial extension loaded from the installed package's file."""
    import duckdb
    import duckdb_extension_spatial

    found = sorted(Path(duckdb_extension_spatial.__file__).parent.glob("extensions/*/spatial.duckdb_extension"))
    if not found:
        raise RuntimeError("the duckdb-extension-spatial package holds no spatial.duckdb_extension file")
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    con.execute(f"LOAD '{found[-1]}'")
    return con


def _write_result(path: str, frame) -> dict:
    """Write a long table (code, road_class, km) as CSV; its totals."""
    frame = frame[["code", "road_class", "km"]].sort_values(["code", "road_class"])
    frame.to_csv(path, index=False)
    return {
        "km_total": float(frame["km"].sum()),
        "communes_with_roads": int(frame.loc[frame.km > MIN_KM, "code"].nunique()),
    }


def code_fingerprint() -> str:
    """A hash of geo_ntm's and boundaries' Python sources as they are on disk now (others may be
    editing the checkout while a benchmark runs: each stage records what it imported)."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted([*REPO.glob("geo_ntm/**/*.py"), *REPO.glob("boundaries/**/*.py")]):
        digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def _loadavg() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def _stage(name: str, args: dict) -> dict:
    """Run one stage; returns its result with the seconds and peak RSS (MB) of this process and of
    its largest child, the 1-minute load average of the machine before and after, and the
    fingerprint of the code (``in_fresh_process`` adds the peak memory of the process tree)."""
    code, load = code_fingerprint(), _loadavg()
    started = time.perf_counter()
    result = STAGES[name](**args)
    result["process_seconds"] = round(time.perf_counter() - started, 2)
    result["peak_rss_mb"] = _peak_rss_mb()
    result["children_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
    result["loadavg_1min"] = [load, _loadavg()]
    result["code"] = code if code == code_fingerprint() else f"{code} (changed while it ran)"
    return result


# -- input ------------------------------------------------------------------------------------
def _generate(work: str, segments: int, seed: int, province: str | None, boundaries: str) -> dict:
    import geopandas as gpd

    from geo_ntm.infrastructure.geodesy import geodesic_lengths

    synthetic = _synthetic()
    work_dir = Path(work)
    communes = synthetic.read_communes(Path(boundaries), province)
    roads = synthetic.synthetic_roads(communes, segments, seed)
    roads.to_file(work_dir / "roads.gpkg", layer="synthetic_roads", driver="GPKG")
    units = work_dir / "boundaries.gpkg"
    for layer in ("provinces", "districts", "communes"):  # the units geo_ntm imports and the anchors clip by
        where = f"province_id = '{province}'" if province else None
        gpd.read_file(boundaries, layer=layer, where=where).to_file(units, layer=layer, driver="GPKG")
    con = _duckdb()
    con.execute(
        f"COPY (SELECT * FROM ST_Read('{work_dir / 'roads.gpkg'}')) TO '{work_dir / 'roads.parquet'}' (FORMAT parquet)"
    )
    con.execute(
        f"COPY (SELECT * FROM ST_Read('{units}', layer='communes')) TO '{work_dir / 'communes.parquet'}'"
        " (FORMAT parquet)"
    )
    return {
        "segments": len(roads),
        "communes": len(communes),
        "km_network": float(geodesic_lengths(roads.geometry.array).sum() / 1000),
    }


# -- geo_ntm on both stores -------------------------------------------------------------------
def _geo_ntm_import(db: str, work: str) -> dict:
    from boundaries.importer import import_boundaries
    from geo_ntm.domain import LayerKind
    from geo_ntm.infrastructure.layers import import_layer
    from geo_ntm.store import open_store

    started = time.perf_counter()
    with open_store(db) as store:
        import_boundaries(store, Path(work) / "boundaries.gpkg", VINTAGE_DATE, measure_quality=False)
        boundaries_done = time.perf_counter()
        report = import_layer(store, Path(work) / "roads.gpkg", "synthetic_roads", LayerKind.ROADS, ROAD_DATE)
    done = time.perf_counter()
    return {
        "stored": report.rows_stored,
        "boundaries_seconds": round(boundaries_done - started, 2),
        "layer_seconds": round(done - boundaries_done, 2),
    }


def _geo_ntm_partition(db: str) -> dict:
    from geo_ntm.infrastructure.partition import partition_cells
    from geo_ntm.store import open_store

    started = time.perf_counter()
    with open_store(db) as store:
        cells = partition_cells(store, store.vintages()[0])
    return {"cells": len(cells), "seconds": round(time.perf_counter() - started, 2)}


def _forget_road_km(db: str) -> None:
    """Delete the stored km per commune and the stored answers, so that the next road question is
    a first one again (``--rounds``)."""
    statements = ["DELETE FROM road_km", "DELETE FROM road_km_runs", "DELETE FROM computed_results"]
    if db.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(db, autocommit=True) as conn, conn.transaction():
            for sql in statements:
                conn.execute(sql)
        return
    import sqlite3

    with sqlite3.connect(db) as conn:
        for sql in statements:
            conn.execute(sql)
    conn.close()


def _geo_ntm_roads(db: str, out: str, forget: bool = False) -> dict:
    import pandas as pd

    from geo_ntm.domain import ROAD_CLASSES
    from geo_ntm.infrastructure.queries import CoverageRequest, coverage
    from geo_ntm.store import open_store
    from geo_ntm.where import resolve_where

    if forget:
        _forget_road_km(db)
    with open_store(db) as store:
        backend_pid = _service_backend(db)
        started = time.perf_counter()
        table, _ = coverage(
            store, CoverageRequest("roads", resolve_where(store, year=2020))
        )  # clips, then stores the km
        seconds = time.perf_counter() - started
        peak = _peak_rss_mb()
        server = _backend_peak_mb(backend_pid) if backend_pid else None
        started = time.perf_counter()
        again, _ = coverage(store, CoverageRequest("roads", resolve_where(store, year=2020)))  # sums the stored km
        stored_seconds = time.perf_counter() - started
    columns = [f"km_{cls}" for cls in ROAD_CLASSES]
    stored_max_diff = float((again[columns] - table[columns]).abs().to_numpy().max())
    long = pd.concat(
        [pd.DataFrame({"code": table["code"], "road_class": cls, "km": table[f"km_{cls}"]}) for cls in ROAD_CLASSES]
    )
    try:
        from geo_ntm.infrastructure.parallel import WORKERS as threads
    except ImportError:
        threads = 1
    return {
        "seconds": round(seconds, 2),
        "compute_peak_rss_mb": peak,
        "server_backend_peak_rss_mb": server,
        "stored_seconds": round(stored_seconds, 2),
        "stored_max_abs_diff_km": stored_max_diff,
        "communes": len(table),
        "threads": threads,
        **_write_result(out, long),
    }


def _service_backend(db: str) -> int | None:
    """The backend pid of the (one) geo_ntm connection to a PostGIS store, else None."""
    if not db.startswith("postgresql://"):
        return None
    import psycopg

    with psycopg.connect(db, autocommit=True) as conn:
        found = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'geo_ntm'"
        ).fetchall()
    return found[0][0] if len(found) == 1 else None


# -- PostGIS: the hand-written query, and the reference on geo_ntm's cells --------------------
def _copy_frame(conn, table: str, frame, columns: list[str]) -> None:
    import shapely

    geoms = shapely.to_wkb(shapely.set_srid(frame.geometry.array, 4326), hex=True, include_srid=True)
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}, geom) FROM STDIN") as copy:
        for *values, geom in zip(*(frame[c].tolist() for c in columns), geoms, strict=True):
            copy.write_row((*values, geom))


def _postgis_load(url: str, work: str) -> dict:
    """Roads and communes from the same files into PostGIS, GiST indexes, statistics."""
    import geopandas as gpd
    import psycopg

    started = time.perf_counter()
    roads = gpd.read_file(Path(work) / "roads.gpkg", layer="synthetic_roads", columns=["seg_id", "highway"])
    communes = gpd.read_file(Path(work) / "boundaries.gpkg", layer="communes", columns=["commune_id"])
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE highway_class (highway text PRIMARY KEY, road_class text NOT NULL)")
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO highway_class VALUES (%s, %s)", list(highway_classes().items()))
        conn.execute("CREATE TABLE roads (seg_id bigint PRIMARY KEY, highway text, geom geometry(LineString, 4326))")
        conn.execute("CREATE TABLE communes (commune_id text PRIMARY KEY, geom geometry(MultiPolygon, 4326))")
        _copy_frame(conn, "roads", roads, ["seg_id", "highway"])
        _copy_frame(conn, "communes", communes, ["commune_id"])
        loaded = time.perf_counter()
        conn.execute("CREATE INDEX ON roads USING gist (geom)")
        conn.execute("CREATE INDEX ON communes USING gist (geom)")
        conn.execute("VACUUM ANALYZE roads")
        conn.execute("VACUUM ANALYZE communes")
    done = time.perf_counter()
    return {
        "roads": len(roads),
        "communes": len(communes),
        "copy_seconds": round(loaded - started, 2),
        "index_seconds": round(done - loaded, 2),
        "seconds": round(done - started, 2),
    }


RAW_QUERY = """
SELECT c.commune_id AS code, h.road_class, sum(ST_Length(ST_Intersection(r.geom, c.geom)::geography)) / 1000 AS km
FROM roads r
JOIN communes c ON ST_Intersects(r.geom, c.geom)
JOIN highway_class h USING (highway)
GROUP BY c.commune_id, h.road_class"""


def _run_query(url: str, sql: str, out: str, prepare: list[str] = (), after: list[str] = ()) -> dict:
    """Run ``prepare`` then the query ``sql`` (code, road_class, km) on one connection: its seconds,
    its plan's parallel workers, the backend's peak RSS, and the answer written to ``out``; the rows
    of the ``after`` queries (untimed, same session) under ``after``."""
    import pandas as pd
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        started = time.perf_counter()
        for statement in prepare:
            conn.execute(statement)
        prepared = time.perf_counter()
        plan = conn.execute(f"EXPLAIN (FORMAT JSON) {sql}").fetchone()[0]
        query_started = time.perf_counter()
        rows = conn.execute(sql).fetchall()
        done = time.perf_counter()
        server = _backend_peak_mb(pid)
        extra = [conn.execute(q).fetchall() for q in after]
    frame = pd.DataFrame(rows, columns=["code", "road_class", "km"])
    workers = [n.get("Workers Planned", 0) for n in _plan_nodes(plan[0]["Plan"])]
    return {
        "seconds": round((prepared - started) + (done - query_started), 2),
        "prepare_seconds": round(prepared - started, 2),
        "query_seconds": round(done - query_started, 2),
        "parallel_workers_planned": max(workers, default=0),
        "server_backend_peak_rss_mb": server,
        **_write_result(out, frame),
        **({"after": extra} if after else {}),
    }


def _plan_nodes(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from _plan_nodes(child)


def _postgis_sql(url: str, out: str) -> dict:
    return _run_query(url, RAW_QUERY, out)


CELLS_PREPARE = [
    "DROP TABLE IF EXISTS ref_pieces, ref_partial, ref_outside, ref_nearest",
    # pieces of every road inside every cell it meets (unlogged tables: the SELECT may run in parallel)
    """CREATE UNLOGGED TABLE ref_pieces AS
       SELECT r.seg_id, r.highway, c.code, ST_Intersection(r.geom, c.geom) AS geom
       FROM roads r JOIN cells c ON ST_Intersects(r.geom, c.geom)""",
    # roads the cells do not cover whole (the planar length of their pieces short of theirs)
    """CREATE UNLOGGED TABLE ref_partial AS
       SELECT r.seg_id, r.highway, r.geom FROM roads r
       LEFT JOIN (SELECT seg_id, sum(ST_Length(geom)) AS covered FROM ref_pieces GROUP BY seg_id) p USING (seg_id)
       WHERE coalesce(p.covered, 0) < ST_Length(r.geom) * (1 - 1e-9)""",
    # their parts outside every cell, one linestring each
    """CREATE UNLOGGED TABLE ref_outside AS
       SELECT p.seg_id, p.highway, (ST_Dump(ST_CollectionExtract(
                ST_Difference(p.geom, coalesce(u.geom, 'SRID=4326;POLYGON EMPTY'::geometry)), 2))).geom AS geom
       FROM ref_partial p
       LEFT JOIN LATERAL (SELECT ST_Union(c.geom) AS geom FROM cells c WHERE ST_Intersects(c.geom, p.geom)) u
         ON true""",
    # geo_ntm's near-coast rule: a part counts for its nearest cell when all its vertices lie within
    # 0.01° of that cell. geo_ntm does not say which of several equally near cells is "its nearest"
    # (a road leaving one commune for the sea and entering the next touches both: distance 0), and
    # the choice decides where the part counts and whether it counts at all; here the lowest code,
    # and ``tied`` lists them all so that the comparison can leave those communes aside.
    f"""CREATE UNLOGGED TABLE ref_nearest AS
       SELECT o.seg_id, o.highway, o.geom, t.tied, t.tied[1] AS code,
              (SELECT max(ST_Distance(d.geom, c.geom)) FROM ST_DumpPoints(o.geom) d, cells c
               WHERE c.code = t.tied[1]) <= {NEAREST_MAX_DEG} AS counts
       FROM ref_outside o
       CROSS JOIN LATERAL (SELECT min(ST_Distance(c.geom, o.geom)) AS dist FROM cells c
                           WHERE ST_DWithin(c.geom, o.geom, {NEAREST_MAX_DEG})) n
       CROSS JOIN LATERAL (SELECT array_agg(c.code ORDER BY c.code) AS tied FROM cells c
                           WHERE ST_DWithin(c.geom, o.geom, n.dist + 1e-12)) t
       WHERE n.dist IS NOT NULL""",
]
CELLS_QUERY = """
SELECT p.code, h.road_class, sum(ST_Length(p.geom::geography)) / 1000 AS km
FROM (SELECT code, highway, geom FROM ref_pieces UNION ALL SELECT code, highway, geom FROM ref_nearest WHERE counts) p
JOIN highway_class h USING (highway)
GROUP BY p.code, h.road_class"""
TIES_QUERY = """
SELECT DISTINCT array_to_string(tied, ' ') FROM ref_nearest WHERE cardinality(tied) > 1"""
TIES_KM_QUERY = """
SELECT count(*), coalesce(sum(ST_Length(geom::geography)), 0) / 1000 FROM ref_nearest WHERE cardinality(tied) > 1"""


def _reference_cells(url: str, store: str, out: str, ties_out: str) -> dict:
    """geo_ntm's partition cells exported from a geo_ntm store into PostGIS, then the reference
    query on them (with the near-coast rule in SQL)."""
    import psycopg

    from geo_ntm.store import open_store

    started = time.perf_counter()
    with open_store(store) as s:
        cells = s.partition(s.vintages()[0].vintage_id)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS cells")
        conn.execute("CREATE TABLE cells (code text PRIMARY KEY, geom geometry(MultiPolygon, 4326))")
        _copy_frame(conn, "cells", cells, ["code"])
        conn.execute("CREATE INDEX ON cells USING gist (geom)")
        conn.execute("VACUUM ANALYZE cells")
    export = time.perf_counter() - started
    result = _run_query(url, CELLS_QUERY, out, CELLS_PREPARE, after=[TIES_QUERY, TIES_KM_QUERY])
    ties, [(tied_parts, tied_km)] = result.pop("after")
    Path(ties_out).write_text("".join(f"{codes}\n" for (codes,) in ties), encoding="utf-8")
    tied_codes = {code for (codes,) in ties for code in codes.split()}
    with psycopg.connect(url, autocommit=True) as conn:
        network_km = conn.execute("SELECT coalesce(sum(ST_Length(geom::geography)), 0) / 1000 FROM roads").fetchone()[0]
    return {
        **result,
        "export_seconds": round(export, 2),
        "cells": len(cells),
        "km_network_geography": network_km,
        "near_coast_ties": {"parts": tied_parts, "km": tied_km, "communes": len(tied_codes)},
    }


# -- geopandas and DuckDB -------------------------------------------------------------------
def _geopandas(work: str, out: str) -> dict:
    import geopandas as gpd

    started = time.perf_counter()
    roads = gpd.read_file(Path(work) / "roads.gpkg", layer="synthetic_roads", columns=["seg_id", "highway"])
    communes = gpd.read_file(Path(work) / "boundaries.gpkg", layer="communes", columns=["commune_id"])
    roads["road_class"] = roads["highway"].map(highway_classes())
    crs = communes.estimate_utm_crs()
    roads, communes = roads.to_crs(crs), communes.to_crs(crs)
    read = time.perf_counter()
    pieces = gpd.overlay(roads[["seg_id", "road_class", "geometry"]], communes, how="intersection", keep_geom_type=True)
    pieces["km"] = pieces.length / 1000
    overlaid = time.perf_counter()
    table = pieces.dissolve(by=["commune_id", "road_class"], aggfunc={"km": "sum"}).reset_index()
    done = time.perf_counter()
    return {
        "seconds": round(done - started, 2),
        "read_project_seconds": round(read - started, 2),
        "overlay_seconds": round(overlaid - read, 2),
        "dissolve_seconds": round(done - overlaid, 2),
        "crs": crs.to_string(),
        "crs_name": crs.name,
        **_write_result(out, table.rename(columns={"commune_id": "code"})),
    }


DUCKDB_QUERY = """
SELECT c.commune_id AS code, h.road_class,
       sum(ST_Length_Spheroid(ST_FlipCoordinates(ST_Intersection(r.geom, c.geom)))) / 1000 AS km
FROM roads r
JOIN communes c ON ST_Intersects(r.geom, c.geom)
JOIN highway_class h USING (highway)
GROUP BY ALL"""


def _duckdb_engine(work: str, out: str) -> dict:
    import duckdb
    import pandas as pd

    started = time.perf_counter()
    con = _duckdb()
    con.execute("CREATE TABLE highway_class (highway VARCHAR, road_class VARCHAR)")
    con.executemany("INSERT INTO highway_class VALUES (?, ?)", list(highway_classes().items()))
    con.execute(f"CREATE TABLE roads AS SELECT seg_id, highway, geom FROM '{Path(work) / 'roads.parquet'}'")
    con.execute(f"CREATE TABLE communes AS SELECT commune_id, geom FROM '{Path(work) / 'communes.parquet'}'")
    loaded = time.perf_counter()
    rows = con.execute(DUCKDB_QUERY).fetchall()
    done = time.perf_counter()
    plan = "\n".join(r[1] for r in con.execute(f"EXPLAIN {DUCKDB_QUERY}").fetchall())
    return {
        "seconds": round(done - started, 2),
        "load_seconds": round(loaded - started, 2),
        "query_seconds": round(done - loaded, 2),
        "threads": con.execute("SELECT current_setting('threads')").fetchone()[0],
        "spatial_join_operator": "SPATIAL_JOIN" in plan,
        "duckdb": duckdb.__version__,
        **_write_result(out, pd.DataFrame(rows, columns=["code", "road_class", "km"])),
    }


STAGES = {
    "generate": _generate,
    "geo_ntm_import": _geo_ntm_import,
    "geo_ntm_partition": _geo_ntm_partition,
    "geo_ntm_roads": _geo_ntm_roads,
    "postgis_load": _postgis_load,
    "postgis_sql": _postgis_sql,
    "reference_cells": _reference_cells,
    "geopandas": _geopandas,
    "duckdb": _duckdb_engine,
}


# -- comparison -------------------------------------------------------------------------------
def compare(answer_csv: Path, reference_csv: Path, leave_out: set[str] = frozenset()) -> dict:
    """The largest relative differences of an answer against a reference, per commune (all
    classes) and per commune and class, over those with more than 1 m of road in the reference
    (and not in ``leave_out``)."""
    import pandas as pd

    def table(path):
        frame = pd.read_csv(path, dtype={"code": str})
        return frame.pivot_table(index="code", columns="road_class", values="km", aggfunc="sum", fill_value=0.0)

    ans, ref = table(answer_csv), table(reference_csv)
    index, columns = ans.index.union(ref.index), ans.columns.union(ref.columns)
    index = index.difference(pd.Index(sorted(leave_out)))
    ans, ref = (t.reindex(index=index, columns=columns, fill_value=0.0) for t in (ans, ref))
    out = {"communes_left_out": len(leave_out)} if leave_out else {}
    for name, a, r in (("commune", ans.sum(axis=1), ref.sum(axis=1)), ("commune_class", ans.stack(), ref.stack())):
        compared = r > MIN_KM
        rel = (a[compared] - r[compared]).abs() / r[compared]
        worst = rel.idxmax() if len(rel) else None
        out[name] = {
            "compared": int(compared.sum()),
            "max_rel_diff": float(rel.max()) if len(rel) else 0.0,
            "at": (list(worst) if isinstance(worst, tuple) else worst),
            "over_1e-4": int((rel > 1e-4).sum()),
            "p50_rel_diff": float(rel.median()) if len(rel) else 0.0,
            "only_in_answer": int(((a > MIN_KM) & ~compared).sum()),
        }
        if worst is not None:
            out[name]["at_km"] = {"answer": float(a[worst]), "reference": float(r[worst])}
    out["km_total"] = {"answer": float(ans.values.sum()), "reference": float(ref.values.sum())}
    return out


# -- the run ----------------------------------------------------------------------------------
class _Postgres:
    """Databases for the run: on ``admin_url``'s server, or on a throwaway cluster."""

    def __init__(self, admin_url: str | None):
        self.cluster = None
        if admin_url is None:
            from tests.support.pg_cluster import PostgisCluster, server_bindir

            bindir = server_bindir()
            if bindir is None:
                raise RuntimeError("no PostgreSQL server installed (initdb, pg_ctl); give --pg-admin-url")
            self.cluster = PostgisCluster(bindir)
            self.cluster.start_with_postgis()
            admin_url = self.cluster.url("postgres")
        self.admin_url = admin_url
        self.created: list[str] = []

    def database(self, name: str) -> str:
        import psycopg

        name = f"{name}_{os.getpid()}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        url = self.admin_url.rsplit("/", 1)[0] + f"/{name}"
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            version = conn.execute("SELECT postgis_lib_version(), current_setting('server_version')").fetchone()
        self.versions = {"postgis": version[0], "postgresql": version[1]}
        self.created.append(name)
        return url

    def close(self) -> None:
        import psycopg

        if self.cluster is not None:
            self.cluster.stop()
            return
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            for name in self.created:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(
    segments: int,
    province: str | None = None,
    engines: tuple[str, ...] = ENGINES,
    seed: int = 2009,
    workdir: Path | None = None,
    out: Path | None = None,
    pg_admin_url: str | None = None,
    data_dir: Path | None = None,
    log=print,
    rounds: int = 0,
    references: bool = True,
) -> dict:
    """The whole benchmark; returns (and writes to ``out``, if given) the results.

    With ``rounds``, the first road question of each geo_ntm store and the DuckDB query run in
    that many rounds, back to back in each (``geo_ntm_gpkg``, ``duckdb``, ``geo_ntm_postgis``;
    the stored km forgotten before each), and the first round's answers are the ones compared.
    Without ``references`` the PostGIS reference stages are left out (timing runs)."""
    unknown = set(engines) - set(ENGINES)
    if unknown:
        raise ValueError(f"unknown engines {sorted(unknown)}; known: {', '.join(ENGINES)}")
    work = Path(workdir or tempfile.mkdtemp(prefix="geo_ntm_anchors_"))
    work.mkdir(parents=True, exist_ok=True)
    results = {
        "data": "SYNTHETIC road network over the real 2009 communes (bench/make_synthetic.py)",
        "scope": f"province {province}" if province else "national",
        "segments": segments,
        "seed": seed,
        "git": git_state(REPO),
        "code": code_fingerprint(),
        "started": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": {
            "cpus": multiprocessing.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "note": "2 cores shared with other workers running at the same time: times are upper bounds",
        "stages": {},
        "engines": {},
    }
    pg = _Postgres(pg_admin_url)  # the references are PostGIS geography lengths, whatever the engines
    try:

        def stage(label: str, name: str, **kwargs) -> dict:
            result = in_fresh_process(_stage, name, kwargs)
            results["stages"][label] = result
            log(f"{label}: {json.dumps(result)}")
            return result

        generated = stage(
            "generate",
            "generate",
            work=str(work),
            segments=segments,
            seed=seed,
            province=province,
            boundaries=str(boundaries_file(data_dir)),
        )
        results["communes"] = generated["communes"]
        answers: dict[str, Path] = {}
        ref_url = pg.database("anchors")
        results["postgres"] = pg.versions
        if references:
            stage("postgis_load", "postgis_load", url=ref_url, work=str(work))
            answers["reference_raw"] = work / "reference_raw.csv"
            ref = stage("postgis_sql", "postgis_sql", url=ref_url, out=str(answers["reference_raw"]))
        if "postgis_sql" in engines and references:
            results["engines"]["postgis_sql"] = {
                **ref,
                "load_seconds": results["stages"]["postgis_load"]["seconds"],
            }
            answers["postgis_sql"] = answers["reference_raw"]
        stores: dict[str, str] = {}
        for backend in ("gpkg", "postgis"):
            engine = f"geo_ntm_{backend}"
            if engine not in engines:
                continue
            db = str(work / "store.gpkg") if backend == "gpkg" else pg.database("geo_ntm_store")
            if backend == "gpkg" and Path(db).exists():
                Path(db).unlink()
            imported = stage(f"{engine}_import", "geo_ntm_import", db=db, work=str(work))
            built = stage(f"{engine}_partition", "geo_ntm_partition", db=db)
            stores[engine] = db
            answers[engine] = work / f"{engine}.csv"
            measured = {} if rounds else stage(f"{engine}_roads", "geo_ntm_roads", db=db, out=str(answers[engine]))
            results["engines"][engine] = {
                **measured,
                "import_seconds": imported["process_seconds"],
                "partition_seconds": built["seconds"],
            }
            if references and "reference_cells" not in answers:  # the partition of the first geo_ntm store
                answers["reference_cells"] = work / "reference_cells.csv"
                stage(
                    "reference_cells",
                    "reference_cells",
                    url=ref_url,
                    store=db,
                    out=str(answers["reference_cells"]),
                    ties_out=str(work / "reference_cells_ties.txt"),
                )
        if rounds:
            _rounds(rounds, stores, engines, work, answers, results, stage)
        for engine, name in (("geopandas", "geopandas"), ("duckdb", "duckdb")):
            if engine in engines and not (rounds and engine == "duckdb"):
                answers[engine] = work / f"{engine}.csv"
                results["engines"][engine] = stage(engine, name, work=str(work), out=str(answers[engine]))
    finally:
        pg.close()
    references = [r for r in ("reference_raw", "reference_cells") if r in answers]
    tied = set((work / "reference_cells_ties.txt").read_text().split()) if "reference_cells" in answers else set()
    for engine, entry in results["engines"].items():
        for ref in references:
            entry[f"vs_{ref}"] = compare(answers[engine], answers[ref])
        if "reference_cells" in answers:
            # geo_ntm gives a near-coast piece equally near several communes to one of them, unsaid
            # which (and counts it or not by that one): compare leaving those communes aside
            entry["vs_reference_cells_untied"] = compare(answers[engine], answers["reference_cells"], tied)
    if "reference_cells" in answers and "reference_raw" in answers:
        results["reference_cells_vs_raw"] = compare(answers["reference_cells"], answers["reference_raw"])
    results["finished"] = dt.datetime.now().isoformat(timespec="seconds")
    results["summary"] = summary(results)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        log(f"wrote {out}")
    return results


def _rounds(rounds: int, stores: dict, engines, work: Path, answers: dict, results: dict, stage) -> None:
    """``rounds`` rounds of the first road question on each geo_ntm store beside the DuckDB query,
    back to back; per round the seconds, peak RSS and load, and each geo_ntm/DuckDB ratio."""
    order = [e for e in ("geo_ntm_gpkg", "duckdb", "geo_ntm_postgis") if e in engines]
    results["rounds"] = []
    for r in range(rounds):
        entry: dict = {}
        for engine in order:
            out = work / (f"{engine}.csv" if r == 0 else f"{engine}_round{r + 1}.csv")
            if engine == "duckdb":
                measured = stage(f"duckdb_round{r + 1}", "duckdb", work=str(work), out=str(out))
            else:
                measured = stage(
                    f"{engine}_roads_round{r + 1}", "geo_ntm_roads", db=stores[engine], out=str(out), forget=True
                )
            if r == 0:
                answers[engine] = out
                results["engines"][engine] = {**results["engines"].get(engine, {}), **measured}
            entry[engine] = {
                "seconds": measured["seconds"],
                "peak_rss_mb": measured.get("compute_peak_rss_mb", measured["peak_rss_mb"]),
                "peak_pss_tree_mb": measured["peak_pss_tree_mb"],
                "peak_rss_tree_mb": measured["peak_rss_tree_mb"],
                "loadavg_1min": measured["loadavg_1min"],
                "km_total": measured["km_total"],
            }
        if "duckdb" in entry:
            for engine in ("geo_ntm_gpkg", "geo_ntm_postgis"):
                if engine in entry:
                    entry[f"{engine}_vs_duckdb"] = round(entry[engine]["seconds"] / entry["duckdb"]["seconds"], 3)
        results["rounds"].append(entry)
    for engine in ("geo_ntm_gpkg", "geo_ntm_postgis"):
        ratios = [e[f"{engine}_vs_duckdb"] for e in results["rounds"] if f"{engine}_vs_duckdb" in e]
        if ratios:
            results[f"{engine}_vs_duckdb_median"] = float(statistics.median(ratios))


def summary(results: dict) -> list[dict]:
    """One row per engine: seconds, peak memory, total km, and the largest relative differences
    (per commune and class / per commune) with the reference on the raw polygons and with the
    reference on geo_ntm's cells (all communes; without those a tied near-coast piece touches)."""
    rows = []
    for engine, e in results["engines"].items():
        row = {
            "engine": engine,
            "seconds": e["seconds"],
            "peak_rss_mb": e.get("compute_peak_rss_mb", e["peak_rss_mb"]),
            "peak_pss_tree_mb": e.get("peak_pss_tree_mb"),
            "server_backend_peak_rss_mb": e.get("server_backend_peak_rss_mb"),
            "km_total": round(e["km_total"], 3),
        }
        for ref in ("reference_raw", "reference_cells", "reference_cells_untied"):
            if f"vs_{ref}" in e:
                row[f"vs_{ref}"] = [
                    e[f"vs_{ref}"]["commune_class"]["max_rel_diff"],
                    e[f"vs_{ref}"]["commune"]["max_rel_diff"],
                ]
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="per-commune road km by class: geo_ntm vs GIS anchors (SYNTHETIC data)")
    p.add_argument("--segments", type=int, default=2_000_000)
    p.add_argument("--province", help="one province code of the 2009 file (Bến Tre: 811); default the whole country")
    p.add_argument("--engines", nargs="+", default=list(ENGINES), choices=ENGINES)
    p.add_argument("--seed", type=int, default=2009)
    p.add_argument("--workdir", type=Path, help="where the inputs, stores and answers go (default: a temporary folder)")
    p.add_argument("--out", type=Path, help="output JSON (default bench/results/anchors_<segments>[_<province>].json)")
    p.add_argument(
        "--pg-admin-url",
        help="a PostgreSQL server with PostGIS where databases may be created (default: start a throwaway cluster)",
    )
    p.add_argument(
        "--rounds",
        type=int,
        default=0,
        help="time the first geo_ntm road question and DuckDB back to back this many times (median ratio)",
    )
    p.add_argument("--no-references", action="store_true", help="leave out the PostGIS reference stages")
    args = p.parse_args(argv)
    out = args.out or HERE / "results" / f"anchors_{args.segments}{'_' + args.province if args.province else ''}.json"
    results = run(
        args.segments,
        args.province,
        tuple(args.engines),
        args.seed,
        args.workdir,
        out,
        args.pg_admin_url,
        rounds=args.rounds,
        references=not args.no_references,
    )
    for row in results["summary"]:
        print(json.dumps(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
