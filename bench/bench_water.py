"""Benchmark of the national water coverage (criterion 17.1) on SYNTHETIC water layers and
population over the real 2009 communes.

    python bench/bench_water.py [--pipes 200000] [--points 20000] [--resolution 0.01] [--distances 200 1000]

Stages, each in a fresh process so its time, CPU time (user + sys, all threads) and peak memory
(max RSS) are its own, with the 1-minute load average before and after: generate the water
network, supply points and population raster (``make_synthetic.py``); import them and the 2009
boundaries into a new GeoPackage store; build the commune partition (once per vintage); then for
each distance ``coverage water`` for the whole country, cold (nothing of it stored: the reach of
every commune is computed and stored), and the same question for one province afterwards (summed
from the stored answer).
Writes ``bench/results/water_national.json``.
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
DAY = dt.date(2020, 6, 30)


def _loadavg() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def _stage(name: str, args: dict) -> dict:
    """Run one stage; returns its result with seconds, CPU seconds and peak RSS (MB) of this process
    and the load."""
    load = _loadavg()
    started = time.perf_counter()
    result = STAGES[name](**args)
    result["seconds"] = round(time.perf_counter() - started, 2)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["cpu_seconds"] = round(usage.ru_utime + usage.ru_stime, 2)  # user + sys of this process (all threads)
    result["peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)
    result["loadavg_1min"] = [load, _loadavg()]
    return result


def _generate(
    boundaries: str, pipes: int, points: int, resolution: float, seed: int, water: str, population: str
) -> dict:
    sys.path.insert(0, str(HERE))
    from make_synthetic import read_communes, synthetic_population, synthetic_water_network, write_population

    communes = read_communes(Path(boundaries))
    lines, supply = synthetic_water_network(communes, pipes, points, seed)
    lines.to_file(water, layer="lines", driver="GPKG")
    supply.to_file(water, layer="points", driver="GPKG")
    grid, transform, crs = synthetic_population(communes, resolution, seed)
    write_population(Path(population), grid, transform, crs)
    return {"pipes": len(lines), "points": len(supply), "raster": list(grid.shape)}


def _import(db: str, boundaries: str, water: str, population: str) -> dict:
    from boundaries.importer import import_boundaries
    from geo_ntm.domain import LayerKind
    from geo_ntm.infrastructure.layers import import_layer
    from geo_ntm.store import open_store

    with open_store(db) as store:
        if not store.vintages():
            import_boundaries(store, Path(boundaries), dt.date(2009, 4, 1), measure_quality=False)
        for name, kind in (("lines", LayerKind.WATER_LINES), ("points", LayerKind.WATER_POINTS)):
            import_layer(store, water, f"synthetic_water_{name}", kind, DAY, source_layer=name)
        import_layer(store, population, "synthetic_population", LayerKind.POPULATION, DAY)
    return {}


def _partition(db: str) -> dict:
    from geo_ntm.infrastructure.partition import partition_cells
    from geo_ntm.store import open_store

    with open_store(db) as store:
        cells = partition_cells(store, store.vintages()[0])
    return {"cells": len(cells)}


def _national(db: str, distance: float) -> dict:
    from geo_ntm.infrastructure.queries import CoverageRequest, coverage
    from geo_ntm.store import open_store
    from geo_ntm.where import resolve_where

    with open_store(db) as store:
        table, totals = coverage(store, CoverageRequest("water", resolve_where(store, year=2020), distance=distance))
        started = time.perf_counter()
        province, _ = coverage(
            store, CoverageRequest("water", resolve_where(store, year=2020, province="811"), distance=distance)
        )
        later = time.perf_counter() - started
    same = table.set_index("code").loc[province["code"], "population_within"].to_numpy()
    return {
        "communes": len(table),
        "population": totals["population"],
        "population_within": totals["population_within"],
        "population_within_share": totals["population_within_share"],
        "later_province_seconds": round(later, 2),
        "later_province_max_difference": float(abs(province["population_within"].to_numpy() - same).max()),
    }


STAGES = {"generate": _generate, "import": _import, "partition": _partition, "national_water": _national}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="national water coverage benchmark (SYNTHETIC data)")
    p.add_argument("--pipes", type=int, default=200_000)
    p.add_argument("--points", type=int, default=20_000)
    p.add_argument("--resolution", type=float, default=0.01, help="population raster cell (degrees)")
    p.add_argument("--distances", type=float, nargs="+", default=[200.0, 1000.0])
    p.add_argument("--seed", type=int, default=2009)
    p.add_argument("--boundaries", type=Path, help="the 2009 file (default: make_synthetic's)")
    p.add_argument("--workdir", type=Path, help="where the store and inputs go (default: a temporary folder)")
    p.add_argument("--json", type=Path, default=HERE / "results" / "water_national.json")
    args = p.parse_args(argv)
    sys.path.insert(0, str(HERE))
    from make_synthetic import DEFAULT_BOUNDARIES
    from provenance import git_state

    work = args.workdir or Path(tempfile.mkdtemp(prefix="geo_ntm_bench_"))
    work.mkdir(parents=True, exist_ok=True)
    db, water, population = str(work / "store.gpkg"), str(work / "water.gpkg"), str(work / "population.tif")
    boundaries = str(args.boundaries or DEFAULT_BOUNDARIES)
    stages: list[tuple[str, str, dict]] = [
        ("generate", "generate", {"pipes": args.pipes, "points": args.points, "resolution": args.resolution}),
        ("import", "import", {"db": db, "boundaries": boundaries, "water": water, "population": population}),
        ("partition", "partition", {"db": db}),
    ]
    stages[0][2].update(boundaries=boundaries, seed=args.seed, water=water, population=population)
    stages += [(f"national_water_{d:g}m", "national_water", {"db": db, "distance": d}) for d in args.distances]
    results = {
        "data": "SYNTHETIC water network, supply points and population over the real 2009 communes "
        "(bench/make_synthetic.py)",
        "pipes": args.pipes,
        "points": args.points,
        "resolution_deg": args.resolution,
        "seed": args.seed,
        "git": git_state(HERE.parent),
        "machine": {
            "cpus": multiprocessing.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "stages": {},
    }
    for label, name, kwargs in stages:
        results["stages"][label] = in_fresh_process(_stage, name, kwargs)
        print(f"{label}: {json.dumps(results['stages'][label])}", flush=True)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
