"""Vector tiles on both stores: the time of a warm tile, p50/p99 over ``--requests`` requests at
zooms 8 and 12 on one province, computed (the response cache off) and from the response cache;
and what the demo load spends generalising the boundaries for the tiles.

    python bench/bench_tiles.py                    # writes bench/results/tiles.json
    python bench/bench_tiles.py --stores gpkg --requests 50
    python bench/bench_tiles.py --stores gpkg --gpkg var/geo_ntm.gpkg   # a store the demo loaded already

Each store is loaded with the demo (``geo-ntm demo``: the real 2009 and 2025 boundaries, each
generalised for the tiles, and the status samples) and served by a real ``geo-ntm serve``
(uvicorn, one process) in a subprocess, as ``bench_api.py`` does, twice: with
``GEO_NTM_RESPONSE_CACHE_MB=0`` (every tile computed) and with the default cache; the PostGIS
store lives in a throwaway cluster (``tests.support.pg_cluster``). The time until the first tile
set says the tiles are ready is recorded too (0 when the demo generalised them). The tiles are
those of the communes of Bến Tre (2009 boundaries) in 2020 meeting the province's box: every tile
holding communes is asked once to warm it, then ``--requests`` requests cycle over them, one at a
time (one client: the latency is the server's time plus a loopback round trip). Tiles of the box
holding no commune (204) are counted, not timed."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import multiprocessing
import os
import platform
import re
import tempfile
import time
from pathlib import Path

import httpx
from bench_api import REPO, Service, _percentile, load_demo, store_locations
from provenance import git_state

PROVINCE, YEAR = "811", 2020  # Tỉnh Bến Tre in the 2009 boundaries; statuses of Thành phố Bến Tre in 2020
ZOOMS = (8, 12)
STORES = ("gpkg", "postgis")
#: The two services each store is measured on: every tile computed, and the response cache on.
CACHES = {"computed": "0", "cached": "128"}


def tiles_of(box: tuple[float, float, float, float], z: int) -> list[tuple[int, int]]:
    """(row, col) of the WebMercatorQuad tiles at zoom ``z`` meeting a lon/lat box."""

    def col(lon: float) -> int:
        return int((lon + 180) / 360 * 2**z)

    def row(lat: float) -> int:
        return int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * 2**z)

    minx, miny, maxx, maxy = box
    return [(y, x) for y in range(row(maxy), row(miny) + 1) for x in range(col(minx), col(maxx) + 1)]


def _box(client: httpx.Client) -> tuple[float, float, float, float]:
    """The province's box, from its feature."""
    feature = client.get(f"/collections/provinces/items/{PROVINCE}", params={"year": YEAR}).raise_for_status().json()
    coords = [c for part in _rings(feature["geometry"]) for c in part]
    xs, ys = [c[0] for c in coords], [c[1] for c in coords]
    return min(xs), min(ys), max(xs), max(ys)


def _rings(geometry: dict) -> list[list]:
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    return [ring for polygon in polygons for ring in polygon]


def generalise(client: httpx.Client) -> float:
    """Seconds from the first tile set request of the boundaries (which starts the job generalising
    them) to the job's end, polled every half second."""
    started = time.perf_counter()
    meta = client.get("/collections/communes/tiles/WebMercatorQuad", params={"year": YEAR}).raise_for_status().json()
    if "job" in meta:
        while (state := client.get(meta["job"]).json()["state"]) not in ("done", "failed"):
            time.sleep(0.5)
        assert state == "done", client.get(meta["job"]).text
    return round(time.perf_counter() - started, 1)


def measure(client: httpx.Client, z: int, tiles: list[tuple[int, int]], requests: int) -> dict:
    """Warm the tiles of zoom ``z``, then time ``requests`` requests cycling over those with communes."""
    full, sizes = [], []
    for y, x in tiles:
        r = client.get(f"/collections/communes/tiles/WebMercatorQuad/{z}/{y}/{x}", params={"year": YEAR})
        assert r.status_code in (200, 204), r.text
        if r.status_code == 200:
            full.append((y, x))
            sizes.append(len(r.content))
    times = []
    for i in range(requests):
        y, x = full[i % len(full)]
        started = time.perf_counter()
        r = client.get(f"/collections/communes/tiles/WebMercatorQuad/{z}/{y}/{x}", params={"year": YEAR})
        times.append((time.perf_counter() - started) * 1000)
        assert r.status_code == 200
    return {
        "tiles_in_box": len(tiles),
        "tiles_with_communes": len(full),
        "empty_tiles_204": len(tiles) - len(full),
        "requests": requests,
        "p50_ms": round(_percentile(times, 50), 1),
        "p99_ms": round(_percentile(times, 99), 1),
        "max_ms": round(max(times), 1),
        "tile_bytes": {"min": min(sizes), "median": sorted(sizes)[len(sizes) // 2], "max": max(sizes)},
    }


def _service(db: str, cache_mb: str, log: Path) -> Service:
    """``geo-ntm serve`` of ``db`` with ``GEO_NTM_RESPONSE_CACHE_MB=cache_mb``."""
    before = os.environ.get("GEO_NTM_RESPONSE_CACHE_MB")
    os.environ["GEO_NTM_RESPONSE_CACHE_MB"] = cache_mb  # Service passes the environment on
    try:
        return Service(db, 10, log)
    finally:
        if before is None:
            del os.environ["GEO_NTM_RESPONSE_CACHE_MB"]
        else:
            os.environ["GEO_NTM_RESPONSE_CACHE_MB"] = before


def run(stores=STORES, requests: int = 200, out: Path | None = None, gpkg: Path | None = None, log=print) -> dict:
    """Load each store (``gpkg``: a GeoPackage store the demo loaded already), serve it, time the
    warm tiles computed and cached; write ``out``."""
    work = Path(tempfile.mkdtemp(prefix="geo_ntm_bench_tiles_"))
    results: dict = {
        "what": "time of a vector tile of the communes of Bến Tre (2009 boundaries, statuses of 2020), warm "
        "(each asked once before), computed (GEO_NTM_RESPONSE_CACHE_MB=0) and from the response cache, one "
        "client on 127.0.0.1; the demo load's time and its generalisation of each vintage for the tiles",
        "province": PROVINCE,
        "year": YEAR,
        "server": "geo-ntm serve (uvicorn, one process), GEO_NTM_LOG_LEVEL=WARNING",
        "git": git_state(REPO),
        "started": dt.datetime.now().isoformat(timespec="seconds"),
        "load_average_before": os.getloadavg(),
        "machine": {"cpus": multiprocessing.cpu_count(), "python": platform.python_version()},
        "note": "2 cores shared with PostgreSQL, the client and other work running at the same time",
        "runs": {},
    }
    with store_locations(work) as new_store:
        for store in stores:
            run: dict = {}
            if store == "gpkg" and gpkg is not None:
                db = str(gpkg)
                run["demo"] = f"loaded before the run ({gpkg.name}); its demo output says its generalisation time"
            else:
                db = new_store(store)
                run["demo_seconds"], output = load_demo(db)
                run["demo_generalisation_seconds"] = [
                    int(n) for n in re.findall(r"^generalised in (\d+) s", output, re.M)
                ]
                spent = run["demo_generalisation_seconds"]
                log(f"{store}: demo loaded in {run['demo_seconds']} s, of which generalising {spent} s")
            for cache, mb in CACHES.items():
                service = _service(db, mb, work / f"serve_{store}_{cache}.log")
                try:
                    with httpx.Client(base_url=service.url, timeout=600) as client:
                        box = _box(client)
                        run.setdefault("tiles_ready_seconds", generalise(client))
                        for z in ZOOMS:
                            run[f"{cache}_z{z}"] = measure(client, z, tiles_of(box, z), requests)
                            log(f"{store} {cache} z{z}: {json.dumps(run[f'{cache}_z{z}'])}")
                finally:
                    service.stop()
            results["runs"][store] = run
    results["load_average_after"] = os.getloadavg()
    results["finished"] = dt.datetime.now().isoformat(timespec="seconds")
    if out is not None:
        out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        log(f"wrote {out}")
    return results


def main(argv: list[str] | None = None) -> int:
    """Command line: ``--stores``, ``--requests``, ``--out``, ``--gpkg``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stores", default=",".join(STORES), help="gpkg, postgis or both (comma-separated)")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per zoom")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "tiles.json")
    parser.add_argument("--gpkg", type=Path, help="a GeoPackage store the demo loaded already (no demo load)")
    args = parser.parse_args(argv)
    run(tuple(args.stores.split(",")), args.requests, args.out, args.gpkg)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
