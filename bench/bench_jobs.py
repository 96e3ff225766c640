"""Which reads of the service still take more than a few seconds, and how fast a long computation
leaves the request (issue 14): on a GeoPackage demo store (``geo-ntm demo``: the real 2009
boundaries and the status samples) with a SYNTHETIC national road network of ``--segments``
segments (``make_synthetic.synthetic_roads``, layer ``synthetic_roads``), served by a real
``geo-ntm serve`` (uvicorn, one process) on 127.0.0.1.

    PYTHONPATH=$PWD python bench/bench_jobs.py --segments 200000   # writes bench/results/jobs.json

Measured, each once (a first question is first only once), with ``GEO_NTM_JOB_WAIT_SECONDS=0``:
``first_road_question_cold_service``: ``GET /coverage/roads?year=2020`` (the whole country) as the
service's first request: the time to its 202, then the job's time to done (polled every 0.2 s;
it builds the vintage's partition too), then the same question again, answered from the store;
``first_road_question_new_layer``: the same after a new national road layer was imported into the
running service's store (``layer=synthetic_roads_again``);
``downloads``: ``GET /collections/communes/download?format=F`` of the whole country's communes (the
2009 boundaries, 10,000+ polygons), each format, time to the whole body and its size;
``map_data_national``: ``GET /map/data?year=2020`` without a province, which the page does not offer
(the answer's status and description are recorded).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import httpx
from bench_api import Service, _geo_ntm
from provenance import git_state

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
ROAD_DATE = dt.date(2020, 6, 30)
FORMATS = ("geojson", "gpkg", "shp", "csv", "xlsx")


def _timed(client: httpx.Client, path: str) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = client.get(path)
    return response, round(time.perf_counter() - started, 3)


def _store(work: Path, segments: int, seed: int) -> str:
    """The demo store with the synthetic national roads as a layer."""
    sys.path.insert(0, str(REPO))
    sys.path.insert(0, str(HERE))
    from make_synthetic import read_communes, synthetic_roads

    from geo_ntm.domain import LayerKind
    from geo_ntm.infrastructure.layers import import_layer
    from geo_ntm.settings import Settings
    from geo_ntm.store import open_store

    db = str(work / "jobs.gpkg")
    _geo_ntm(db, "demo")
    roads = synthetic_roads(read_communes(Settings.from_env().data_dir / "vn_admin_2009.gpkg"), segments, seed)
    roads.to_file(work / "roads.gpkg", layer="synthetic_roads", driver="GPKG")
    with open_store(db) as store:
        import_layer(store, work / "roads.gpkg", "synthetic_roads", LayerKind.ROADS, ROAD_DATE)
    return db


def _first_question(client: httpx.Client, path: str) -> dict:
    """A question not answered before: the time to its first answer (202), the job's time to done,
    and the time of the same question again (answered from the store)."""
    first, to_202 = _timed(client, path)
    started = time.perf_counter()
    state = first.json()
    while state.get("state") in ("queued", "running"):
        time.sleep(0.2)
        state = client.get(first.headers["Location"]).json()
    job_seconds = round(time.perf_counter() - started, 2)
    again, from_store = _timed(client, path)
    return {
        "path": path,
        "first_status": first.status_code,
        "seconds_to_first_answer": to_202,
        "job_state": state.get("state"),
        "job_error": state.get("error"),
        "job_seconds_after_202": job_seconds,
        "again_status": again.status_code,
        "again_seconds": from_store,
        "again_mb": round(len(again.content) / 1e6, 1),
        "communes": len(again.json().get("communes", [])) if again.status_code == 200 else None,
    }


def _new_layer(db: str, work: Path) -> None:
    """The same synthetic network imported again under another name: a new national layer (and a
    new content version) for a service already running."""
    from geo_ntm.domain import LayerKind
    from geo_ntm.infrastructure.layers import import_layer
    from geo_ntm.store import open_store

    with open_store(db) as store:
        import_layer(store, work / "roads.gpkg", "synthetic_roads_again", LayerKind.ROADS, ROAD_DATE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=2009)
    parser.add_argument("--json", default=str(HERE / "results" / "jobs.json"))
    args = parser.parse_args(argv)
    os.environ["GEO_NTM_JOB_WAIT_SECONDS"] = "0"  # the time to 202 itself, not the wait for the job
    with tempfile.TemporaryDirectory(prefix="geo_ntm_bench_jobs_") as folder:
        work = Path(folder)
        started = time.perf_counter()
        db = _store(work, args.segments, args.seed)
        prepared = round(time.perf_counter() - started, 1)
        service = Service(db, 10, work / "serve.log")
        try:
            with httpx.Client(base_url=service.url, timeout=1800) as client:
                cold = _first_question(client, "/coverage/roads?year=2020")  # the service's first request
                _new_layer(db, work)
                warm = _first_question(client, "/coverage/roads?year=2020&layer=synthetic_roads_again")
                downloads = {}
                for f in FORMATS:
                    answer, seconds = _timed(client, f"/collections/communes/download?format={f}")
                    downloads[f] = {"status": answer.status_code, "seconds": seconds, "mb": len(answer.content) / 1e6}
                national_map, seconds = _timed(client, "/map/data?year=2020")
        finally:
            service.stop()
    result = {
        "what": "SYNTHETIC national road layer over the real 2009 communes; demo statuses; GeoPackage store",
        "segments": args.segments,
        "seed": args.seed,
        "store_prepared_seconds": prepared,
        "first_road_question_cold_service": cold,
        "first_road_question_new_layer": warm,
        "downloads": downloads,
        "map_data_national": {
            "status": national_map.status_code,
            "seconds": seconds,
            "description": national_map.json().get("description") if national_map.status_code >= 400 else None,
        },
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "loadavg": os.getloadavg()[0]},
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "git": git_state(REPO),
    }
    Path(args.json).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
