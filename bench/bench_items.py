"""Items pages one at a time, before and after a change: the time of each request alone (no
concurrent clients), and whether both checkouts give the same answers, on both stores.

    python bench/bench_items.py --before-tree /path/to/old/checkout   # writes bench/results/items_sequential.json

Each store is loaded once with the demo (``geo-ntm demo``: the real 2009 and 2025 boundaries and
the status samples; PostGIS in a throwaway cluster, ``tests.support.pg_cluster``). Then, for each
checkout (``--before-tree``, and this one), a child process with that checkout on its
``PYTHONPATH`` makes the application (``api.app.create_app``) and asks every URL of ``URLS``
through Starlette's TestClient (the whole application: dependencies, snapshot, encoding), twice to
warm up, then ``--repeat`` times in a row, timing each. It also records each answer's
``numberMatched``, ``numberReturned`` and a SHA-1 of the body without its ``timeStamp``: the
answers of the two checkouts must be identical (same features, same order, same properties).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from provenance import git_state

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
#: The items asked: issue 14's targets, deep offsets, every collection, a filter and a box.
URLS = [
    "/collections/communes/items?province=Bến Tre&year=2020&limit=100",
    "/collections/communes/items?year=2020&limit=1000&offset=2000",
    "/collections/communes/items?limit=10&offset=0",
    "/collections/communes/items?limit=10&offset=3000",
    "/collections/communes/items?year=2020&limit=10&offset=11000&vintage=2009-04-01",
    "/collections/communes/items?province=Bến Tre&year=2020&limit=100&offset=100",
    "/collections/communes/items?year=2020&limit=1000&offset=10500",
    "/collections/units/items?year=2020&limit=50&offset=700",
    "/collections/units/items?year=2020&province=Bến Tre&limit=20&offset=5",
    "/collections/districts/items?year=2020&limit=20&offset=600",
    "/collections/communes/items?year=2020&limit=7&offset=4&filter=name LIKE 'Xã Phú%'",
    "/collections/communes/items?year=2020&province=Bến Tre&limit=7&offset=4&level=ntm",
    "/collections/communes/items?year=2020&limit=5&offset=2&bbox=106.3,10.2,106.5,10.3",
]


def child(db: str, repeat: int) -> dict:
    """In the checkout on ``PYTHONPATH``: per URL, the answer's fingerprint and the times."""
    os.environ["GEO_NTM_DB"] = db
    from fastapi.testclient import TestClient

    from api.app import create_app

    found = {}
    with TestClient(create_app()) as client:
        for url in URLS:
            for _ in range(2):
                client.get(url)
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                answer = client.get(url)
                times.append(time.perf_counter() - started)
            body = answer.json()
            body.pop("timeStamp", None)
            found[url] = {
                "status": answer.status_code,
                "numberMatched": body.get("numberMatched"),
                "numberReturned": body.get("numberReturned"),
                "sha1": hashlib.sha1(json.dumps(body, sort_keys=True).encode()).hexdigest(),
                "bytes": len(answer.content),
                "median_ms": round(statistics.median(times) * 1000, 1),
                "min_ms": round(min(times) * 1000, 1),
                "max_ms": round(max(times) * 1000, 1),
            }
    return found


def _measure(tree: Path, db: str, repeat: int) -> dict:
    env = {**os.environ, "PYTHONPATH": f"{tree}{os.pathsep}{HERE}", "GEO_NTM_LOG_LEVEL": "WARNING"}
    done = subprocess.run(
        [sys.executable, str(HERE / "bench_items.py"), "--child", db, "--repeat", str(repeat)],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the measure in {tree} failed: {done.stderr}")
    return json.loads(done.stdout.splitlines()[-1])


def run(before: Path, repeat: int, stores: list[str], out: Path) -> dict:
    """Load the stores, measure both checkouts on each, compare their answers, write ``out``."""
    sys.path.insert(0, str(REPO))
    from bench_api import load_demo, store_locations  # here only: it puts this checkout on the path

    work = Path(tempfile.mkdtemp(prefix="geo_ntm_bench_items_"))
    results: dict = {
        "what": "items requests one at a time (TestClient, the whole application), before and after",
        "repeat": repeat,
        "urls": URLS,
        "started": dt.datetime.now().isoformat(timespec="seconds"),
        "load_average_before": os.getloadavg(),
        "trees": {"before": git_state(before), "after": git_state(REPO)},
        "stores": {},
    }
    with store_locations(work) as new_store:
        for store in stores:
            db = new_store(store)
            load_demo(db)
            sides = {side: _measure(tree, db, repeat) for side, tree in (("before", before), ("after", REPO))}
            same = {url: sides["before"][url]["sha1"] == sides["after"][url]["sha1"] for url in URLS}
            results["stores"][store] = {**sides, "identical": same}
            print(store, "identical" if all(same.values()) else f"DIFFERENT: {same}", flush=True)
            for url in URLS:
                b, a = sides["before"][url], sides["after"][url]
                print(f"  {b['median_ms']:8} -> {a['median_ms']:8} ms  {url}", flush=True)
    results["load_average_after"] = os.getloadavg()
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="items pages one at a time, before and after a change")
    p.add_argument("--before-tree", type=Path, help="the checkout before the change")
    p.add_argument("--repeat", type=int, default=20)
    p.add_argument("--stores", nargs="+", default=["gpkg", "postgis"], choices=["gpkg", "postgis"])
    p.add_argument("--out", type=Path, default=HERE / "results" / "items_sequential.json")
    p.add_argument("--child", metavar="DB", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.repeat)))
        return 0
    if args.before_tree is None:
        p.error("--before-tree is required")
    results = run(args.before_tree.resolve(), args.repeat, args.stores, args.out)
    return 0 if all(all(s["identical"].values()) for s in results["stores"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
