"""Cost of the worst CQL2 filters the limits of ``api.cql2`` allow, on the national communes of the
demo store (GeoPackage: the real 2009 boundaries and the status samples, status year 2020).

    python bench/bench_filters.py                 # writes bench/results/filters.json
    python bench/bench_filters.py --db demo.gpkg  # an existing store (else the demo is loaded)

For each case: the time to parse the filter and to evaluate it on every commune (about 11,000,
with their NTM assessment), the best of ``--repeat`` runs, and the rows chosen; the time to build
the communes themselves (``build_seconds``, before any filter) is given once. The hostile cases of
issue 11 are refused by the limits (their time to refuse is given too). Only the filter runs here,
in-process: the HTTP answer adds the encoding of the page (``limit``) to these figures. Filters are
evaluated in Python on the rows read, the same on every store, so the GeoPackage stands for both.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from api import cql2  # noqa: E402
from api.ogc.collections.registry import collection  # noqa: E402
from api.ogc.features import property_frame  # noqa: E402
from geo_ntm.domain import AdminTier  # noqa: E402
from geo_ntm.store import open_store  # noqa: E402
from geo_ntm.where import resolve_where  # noqa: E402

ALLOWED = {
    "like_percent": "name LIKE '" + "%" * (cql2.MAX_PATTERN - 1) + "!'",
    "like_percent_underscore": "name LIKE '" + "%_" * (cql2.MAX_PATTERN // 2 - 1) + "!'",
    "ilike_percent_a": "name ILIKE '" + "%a" * (cql2.MAX_PATTERN // 2 - 1) + "!'",
    "in_list": "code IN (" + ", ".join(f"'{i}'" for i in range(cql2.MAX_IN_VALUES)) + ")",
    "deepest_nesting": "(" * (cql2.MAX_DEPTH - 1) + "name = 'x'" + ")" * (cql2.MAX_DEPTH - 1),
    "like_terms": " OR ".join(f"name LIKE '%{i}%'" for i in range(cql2.MAX_TERMS)),
    "computed_terms": " OR ".join(f"criteria_met = {i}" for i in range(cql2.MAX_TERMS)),
    "longest_and_chain": " AND ".join(f"name <> '{'x' * 60}'" for _ in range(cql2.MAX_TERMS)),
}
REFUSED = {
    "issue_like_9_percent": "name LIKE '%%%%%%%%%!'",  # allowed: 9 % are one
    "like_pattern_past_limit": "name LIKE '" + "%" * (cql2.MAX_PATTERN + 1) + "'",
    "in_4000": "code IN (" + ", ".join(f"'{i}'" for i in range(4000)) + ")",
    "nesting_400": "(" * 400 + "name = 'x'" + ")" * 400,
    "chain_1000": " OR ".join(["code = 'x'"] * 1000),
    "chain_10000": " AND ".join(["a=1"] * 10000),
}


def _best(run, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = run()
        best = min(best, time.perf_counter() - start)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", help="a store holding the demo (default: load it into a temporary file)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", default=str(REPO / "bench" / "results" / "filters.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or str(Path(tmp) / "demo.gpkg")
        if not args.db:
            subprocess.run([str(Path(sys.executable).parent / "geo-ntm"), "--db", db, "demo"], check=True)
        with open_store(db) as store:
            communes = collection("communes")
            where = resolve_where(store, vintage=None, day=None, year=2020, province=None, district=None)
            build, frame = _best(lambda: communes.frame(store, where, AdminTier.COMMUNE), 1)
    props = property_frame(frame, AdminTier.COMMUNE)
    types = communes.queryable_types
    results: dict = {
        "store": "gpkg (demo: national 2009 boundaries, status year 2020)",
        "communes": len(props),
        "build_seconds": round(build, 3),
        "limits": {
            "MAX_LENGTH": cql2.MAX_LENGTH,
            "MAX_TERMS": cql2.MAX_TERMS,
            "MAX_DEPTH": cql2.MAX_DEPTH,
            "MAX_IN_VALUES": cql2.MAX_IN_VALUES,
            "MAX_PATTERN": cql2.MAX_PATTERN,
        },
        "allowed": {},
        "refused": {},
        "git": subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True
        ).stdout.strip(),
        "started": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "note": "2 cores shared with other workers: figures are upper bounds of a quiet machine's",
    }
    print(f"{len(props)} communes built in {build:.2f} s")
    for name, text in ALLOWED.items():
        parse, node = _best(lambda text=text: cql2.parse(text), args.repeat)
        evaluate, mask = _best(lambda node=node: cql2.select(node, props, types), args.repeat)
        results["allowed"][name] = {
            "characters": len(text),
            "parse_seconds": round(parse, 4),
            "evaluate_seconds": round(evaluate, 4),
            "rows_chosen": int(mask.sum()),
        }
        print(f"{name:28} {len(text):5} chars  parse {parse:.4f} s  evaluate {evaluate:.4f} s  {int(mask.sum())} rows")
    for name, text in REFUSED.items():
        start = time.perf_counter()
        try:
            cql2.select(cql2.parse(text), props, types)
            outcome = "allowed"
        except cql2.Cql2Error as e:
            outcome = str(e)[-60:]
        seconds = time.perf_counter() - start
        results["refused"][name] = {"characters": len(text), "seconds": round(seconds, 4), "answer": outcome}
        print(f"{name:28} {len(text):5} chars  {seconds:.4f} s  {outcome}")
    Path(args.out).write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
