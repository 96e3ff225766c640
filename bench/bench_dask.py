"""The local engine against the Dask engine (2 worker processes on this machine) on a water
question with SYNTHETIC household points: wall time and peak memory (RSS) of every process, and
the per-partition figures a scaling plan needs (compute time, bytes sent). Results: JSON in
bench/results/.

    python bench/bench_dask.py prepare --provinces 801,803,... --households 4000000 --pipes 20000
    python bench/bench_dask.py run [--repeats 1] [--distance 200]
    python bench/bench_dask.py figures bench/results/dask_HOUSEHOLDS_DATE.json   # the partitions measured again

``prepare`` writes var/bench_dask/ (the real 2009 communes of the provinces, a SYNTHETIC
population raster and the SYNTHETIC ``reach`` layers of ``make_synthetic.py``) and imports them
into a GeoPackage store once (partition built). ``run`` answers ``geo-ntm coverage water
--households-layer households`` on a fresh copy of that store per engine and repeat, each
command a process of its own watched by psutil (the Dask workers are its children), then
measures the partitions in this process (``partition_figures``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import pickle
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import make_synthetic  # noqa: E402
from fresh import TreeMemory  # noqa: E402

from geo_ntm.domain import LayerKind  # noqa: E402
from geo_ntm.settings import Settings  # noqa: E402

WORK = ROOT / "var" / "bench_dask"
STORE = WORK / "store.gpkg"
DAY = dt.date(2020, 6, 30)
MEKONG = "801,803,805,807,809,811,813,815,816,817,819,821,823"


def prepare(provinces: list[str], households: int, pipes: int) -> dict:
    """The SYNTHETIC layers over the provinces' communes, imported into ``STORE``."""
    import geopandas as gpd

    from boundaries.importer import import_boundaries
    from geo_ntm.infrastructure.layers import import_layer
    from geo_ntm.infrastructure.partition import partition_cells
    from geo_ntm.store import open_store

    WORK.mkdir(parents=True, exist_ok=True)
    STORE.unlink(missing_ok=True)
    source = Settings.from_env().data_dir / "vn_admin_2009.gpkg"
    boundaries = WORK / "boundaries.gpkg"
    where = "province_id IN ({})".format(", ".join(f"'{p}'" for p in provinces))
    for layer in ("provinces", "districts", "communes"):
        gpd.read_file(source, layer=layer, where=where).to_file(boundaries, layer=layer, engine="pyogrio")
    communes = make_synthetic.read_communes(boundaries)
    timings = {}
    started = time.perf_counter()
    grid, transform, crs = make_synthetic.synthetic_population(communes, 0.01)
    make_synthetic.write_population(WORK / "population.tif", grid, transform, crs)
    make_synthetic.write_reach(communes, households, WORK / "reach.gpkg", n_lines=pipes)
    timings["generate_s"] = time.perf_counter() - started
    started = time.perf_counter()
    with open_store(str(STORE)) as store:
        import_boundaries(store, boundaries, dt.date(2009, 4, 1), measure_quality=False)
        import_layer(store, WORK / "population.tif", "population", LayerKind.POPULATION, DAY)
        for kind in ("water_lines", "water_points", "households"):
            layer_started = time.perf_counter()
            import_layer(store, WORK / "reach.gpkg", kind, LayerKind(kind), DAY, source_layer=kind)
            timings[f"import_{kind}_s"] = round(time.perf_counter() - layer_started, 1)
        partition_cells(store, store.vintages()[0])
    timings["import_s"] = time.perf_counter() - started
    info = {"provinces": provinces, "communes": len(communes), "households": households, "pipes": pipes, **timings}
    (WORK / "prepared.json").write_text(json.dumps(info, indent=1))
    return info


def watched(command: list[str]) -> dict:
    """Run ``command``; its wall time and the peak RSS of it and of each child process (MB), with
    the peak memory of them all together (``fresh.TreeMemory``)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with TreeMemory(process.pid) as memory:
        out, err = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"{command} failed ({process.returncode}): {err[-2000:]}")
    roles = {
        pid: ("command" if pid == process.pid else " ".join(line[-2:])[-60:], mb)
        for pid, (line, mb) in memory.by_process.items()
    }
    rss = sorted((mb for _, mb in roles.values()), reverse=True)
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "peak_rss_mb_per_process": rss,
        "peak_rss_mb_largest": rss[0] if rss else None,
        "peak_rss_mb_by_process": {f"{pid} {role}": mb for pid, (role, mb) in roles.items()},
        "peak_pss_tree_mb": memory.peak_pss_mb,
        "totals": json.loads(out.splitlines()[0]),
    }


def partition_figures(distance: float) -> dict:
    """Per partition of the question: its communes, the time to read its box from the store (in
    this process, one after the other: on the cluster each worker reads its own), the households
    read, the bytes a task carries (pickled partition: communes, box, store location) and the
    bytes the features read would take pickled (what the engine shipped before workers read
    themselves); its compute time (read included) on one worker process of a 2-worker
    ``LocalCluster``; what is sent once."""
    import cloudpickle
    from distributed import Client, LocalCluster, get_task_stream

    from geo_ntm.infrastructure import dask_engine
    from geo_ntm.infrastructure.coverage import place_communes
    from geo_ntm.infrastructure.queries import coverage
    from geo_ntm.infrastructure.reach import cells_around
    from geo_ntm.store import open_store, store_location
    from tests.support.questions import coverage_request

    copy = WORK / "figures.gpkg"
    shutil.copy(STORE, copy)
    with open_store(str(copy)) as store:
        request = coverage_request(store, "water", year=2020, distance=distance, households_layer="households")
        vintage = request.where.vintage
        units = place_communes(store, request.where)
        cells = cells_around(store, vintage, units)
        keys = dask_engine.partition_keys(units, cells)
        unit_cells = dict(zip(cells["unit_id"], np.asarray(cells.geometry.array), strict=True))
        reads = tuple((store.layer_named(n), ()) for n in ("water_lines", "water_points", "households"))
        location, version = store_location(store), store.content_version()
        parts = []
        for key in dict.fromkeys(keys):
            rows = np.flatnonzero(keys == key)
            part_units = units.iloc[rows].reset_index(drop=True)
            box = dask_engine.partition_box(part_units, unit_cells, distance)
            part = dask_engine._Partition(str(key), part_units, location, version, box, reads)
            started = time.perf_counter()
            features = part.features()
            parts.append(
                {
                    "key": str(key),
                    "read_s": round(time.perf_counter() - started, 3),
                    "communes": len(rows),
                    "households_read": len(features[reads[2][0].layer_id]),
                    "bytes_carried": len(cloudpickle.dumps(part)),
                    "bytes_of_features_read": len(pickle.dumps(features)),
                }
            )
            del features
        once = {
            "cells_bytes": len(pickle.dumps(cells[["unit_id", "code", "geometry"]])),
            "raster_bytes": len(store.layer_raster(store.layer_named("population").layer_id)),
        }
        with (
            LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None) as cluster,
            Client(cluster) as client,
        ):
            with get_task_stream(client) as stream:
                started = time.perf_counter()
                coverage(store, request, engine=dask_engine.engine_on(client))
                wall = time.perf_counter() - started
            tasks = [t for t in stream.data if _task_name(t["key"]).startswith("_water_part")]
    compute = sorted(sum(s["stop"] - s["start"] for s in t["startstops"] if s["action"] == "compute") for t in tasks)
    carried = sorted(p["bytes_carried"] for p in parts)
    features = sorted(p["bytes_of_features_read"] for p in parts)
    reading = sorted(p["read_s"] for p in parts)
    return {
        "partitions": len(parts),
        "wall_s": round(wall, 2),
        "read_s": {"sum": round(sum(reading), 2), "max": reading[-1]},
        "compute_s_read_included": {
            "sum": round(sum(compute), 2),
            "min": round(compute[0], 3),
            "median": round(float(np.median(compute)), 3),
            "max": round(compute[-1], 3),
        },
        "bytes_carried_per_task": {"sum": sum(carried), "median": int(np.median(carried)), "max": carried[-1]},
        "bytes_of_features_read": {"sum": sum(features), "median": int(np.median(features)), "max": features[-1]},
        "sent_once_to_each_worker": once,
        "parts": parts,
    }


def _task_name(key) -> str:
    """The name of a task's key (a partition's key is ``(name, partition number)``)."""
    return str(key[0] if isinstance(key, tuple) else key)


def run(repeats: int, distance: float) -> dict:
    """Each engine ``repeats`` times, alternating, on a fresh copy of the store."""
    base = [sys.executable, "-m", "cli.main"]
    question = ["coverage", "water", "--year", "2020", "--distance", str(distance), "--households-layer", "households"]
    results: dict[str, list] = {"local": [], "dask": []}
    for _ in range(repeats):
        for engine in ("local", "dask"):
            copy = WORK / f"{engine}.gpkg"
            shutil.copy(STORE, copy)
            out = WORK / f"{engine}.csv"
            results[engine].append(watched([*base, "--db", str(copy), *question, "--engine", engine, "-o", str(out)]))
    same = _same_csv(WORK / "local.csv", WORK / "dask.csv")
    return {"runs": results, "dask_equals_local_1e-9": same}


def _same_csv(a: Path, b: Path) -> bool:
    import pandas as pd

    left, right = pd.read_csv(a, encoding="utf-8-sig"), pd.read_csv(b, encoding="utf-8-sig")
    try:
        pd.testing.assert_frame_equal(right, left, check_exact=False, rtol=1e-9, atol=1e-9)
    except AssertionError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="what", required=True)
    pr = sub.add_parser("prepare")
    pr.add_argument("--provinces", default=MEKONG, help="2009 province codes, comma separated")
    pr.add_argument("--households", type=int, default=4_000_000)
    pr.add_argument("--pipes", type=int, default=20_000, help="SYNTHETIC water line segments")
    ru = sub.add_parser("run")
    ru.add_argument("--repeats", type=int, default=1)
    ru.add_argument("--distance", type=float, default=200.0)
    fi = sub.add_parser("figures", help="measure the partitions again into the run's JSON (FILE)")
    fi.add_argument("file", type=Path)
    args = p.parse_args(argv)
    if args.what == "prepare":
        print(json.dumps(prepare(args.provinces.split(","), args.households, args.pipes), indent=1))
        return 0
    if args.what == "figures":
        result = json.loads(args.file.read_text())
        result |= {"load_before_figures": os.getloadavg(), "partition_figures": partition_figures(result["distance_m"])}
        args.file.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
        print(json.dumps(result["partition_figures"], indent=1))
        return 0
    result = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1)},
        "load_before": os.getloadavg(),
        "prepared": json.loads((WORK / "prepared.json").read_text()),
        "distance_m": args.distance,
        **run(args.repeats, args.distance),
        "partition_figures": partition_figures(args.distance),
        "load_after": os.getloadavg(),
    }
    households = result["prepared"]["households"]
    out = ROOT / "bench" / "results" / f"dask_{households}_{dt.date.today().isoformat()}.json"
    out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "partition_figures"}, indent=1, ensure_ascii=False))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
