"""Benchmark of the national road computation on a SYNTHETIC network over the real 2009 communes.

    python bench/bench_roads.py --segments 2000000 [--json bench/results/roads_2000000.json]

Stages, each in a fresh process so its time and peak memory (max RSS) are its own:
generate the network (``make_synthetic.py``) and write it as GeoPackage; import it as a layer;
build the commune partition (once per vintage); compute km by class and surface for all
11,163 communes. Prints the figures and writes them as JSON; the check compares the km given to
communes plus the km outside with the network's length.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

from fresh import in_fresh_process

HERE = Path(__file__).resolve().parent


def _stage(name: str, args: dict) -> dict:
    """Run one stage; returns its result with seconds and peak RSS (MB) of this process."""
    started = time.perf_counter()
    result = STAGES[name](**args)
    result["seconds"] = round(time.perf_counter() - started, 2)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return result


def _generate(segments: int, seed: int, roads: str) -> dict:
    sys.path.insert(0, str(HERE))
    from make_synthetic import read_communes, synthetic_roads

    frame = synthetic_roads(read_communes(), segments, seed)
    frame.to_file(roads, layer="synthetic_roads", driver="GPKG")
    return {"segments": len(frame)}


def _import(db: str, roads: str) -> dict:
    from boundaries.importer import import_boundaries
    from geo_ntm.domain import LayerKind
    from geo_ntm.infrastructure.layers import import_layer
    from geo_ntm.store import open_store

    sys.path.insert(0, str(HERE))
    from make_synthetic import DEFAULT_BOUNDARIES

    with open_store(db) as store:
        if not store.vintages():
            import_boundaries(store, DEFAULT_BOUNDARIES, dt.date(2009, 4, 1), measure_quality=False)
        report = import_layer(store, roads, "synthetic_roads", LayerKind.ROADS, dt.date(2020, 6, 30))
    return {"stored": report.rows_stored}


def _partition(db: str) -> dict:
    from geo_ntm.infrastructure.partition import partition_cells
    from geo_ntm.store import open_store

    with open_store(db) as store:
        cells = partition_cells(store, store.vintages()[0])
    return {"cells": len(cells)}


def _national(db: str) -> dict:
    from geo_ntm.infrastructure.clip import clip_lines
    from geo_ntm.infrastructure.geodesy import geodesic_lengths
    from geo_ntm.infrastructure.queries import CoverageRequest, coverage
    from geo_ntm.store import open_store
    from geo_ntm.where import resolve_where

    with open_store(db) as store:
        started = time.perf_counter()
        table, totals = coverage(store, CoverageRequest("roads", resolve_where(store, year=2020)))
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        roads = store.layer_features(store.layer_named("synthetic_roads").layer_id)
        cells = store.partition(store.vintages()[0].vintage_id)
    network = geodesic_lengths(roads.geometry.array).sum() / 1000
    pieces = clip_lines(roads.geometry.array, cells.geometry.array)
    outside = pieces.metres[pieces.cell < 0].sum() / 1000
    return {
        "communes": len(table),
        "coverage_seconds": round(seconds, 2),
        "coverage_peak_rss_mb": round(peak, 1),
        "km_in_communes": totals["km_total"],
        "km_outside": outside,
        "km_network": network,
        "relative_error": abs(totals["km_total"] + outside - network) / network,
    }


STAGES = {"generate": _generate, "import": _import, "partition": _partition, "national_roads": _national}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="national road computation benchmark (SYNTHETIC data)")
    p.add_argument("--segments", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=2009)
    p.add_argument("--workdir", type=Path, help="where the store and network go (default: a temporary folder)")
    p.add_argument("--json", type=Path, help="output JSON (default bench/results/roads_<segments>.json)")
    args = p.parse_args(argv)
    out = args.json or HERE / "results" / f"roads_{args.segments}.json"
    work = args.workdir or Path(tempfile.mkdtemp(prefix="geo_ntm_bench_"))
    work.mkdir(parents=True, exist_ok=True)
    db, roads = str(work / "store.gpkg"), str(work / "synthetic_roads.gpkg")
    stage_args = {
        "generate": {"segments": args.segments, "seed": args.seed, "roads": roads},
        "import": {"db": db, "roads": roads},
        "partition": {"db": db},
        "national_roads": {"db": db},
    }
    results = {
        "data": "SYNTHETIC road network over the real 2009 communes (bench/make_synthetic.py)",
        "segments": args.segments,
        "seed": args.seed,
        "machine": {
            "cpus": multiprocessing.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "stages": {},
    }
    for name, kwargs in stage_args.items():
        results["stages"][name] = in_fresh_process(_stage, name, kwargs)
        print(f"{name}: {json.dumps(results['stages'][name])}", flush=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
