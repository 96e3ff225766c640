"""Cost of the worst filters the limits of ``geo_ntm.filters`` allow, on the national communes of the
demo store (the real 2009 boundaries and the status samples, status year 2020), on both stores.

    python bench/bench_filters.py                      # both stores; writes bench/results/filters.json
    python bench/bench_filters.py --stores gpkg        # the GeoPackage only
    python bench/bench_filters.py --db demo.gpkg       # an existing GeoPackage (else the demo is loaded)

The PostGIS store lives in a throwaway cluster (``tests.support.pg_cluster``). For each case and
store: the time to read the filter (``parse_seconds``) and to answer a page of 10 features of the
communes collection as ``/items`` does (``select_seconds``: the store runs the terms on unit
columns in SQL, and counts and pages when that is all; otherwise the communes' view with their
assessment is built and the rest evaluated on it), the best of ``--repeat`` runs, and the rows
matched. The hostile cases of issue 11 are refused by the limits (their time to refuse is given
too). The HTTP answer adds the encoding of the page to these figures.
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

from api.ogc.collections.base import Selection  # noqa: E402
from api.ogc.collections.registry import collection  # noqa: E402
from geo_ntm import filters  # noqa: E402
from geo_ntm.store import open_store  # noqa: E402
from geo_ntm.where import resolve_where  # noqa: E402

ALLOWED = {
    "like_percent": "name LIKE '" + "%" * (filters.MAX_PATTERN - 1) + "!'",
    "like_percent_underscore": "name LIKE '" + "%_" * (filters.MAX_PATTERN // 2 - 1) + "!'",
    "ilike_percent_a": "name ILIKE '" + "%a" * (filters.MAX_PATTERN // 2 - 1) + "!'",
    "in_list": "code IN (" + ", ".join(f"'{i}'" for i in range(filters.MAX_IN_VALUES)) + ")",
    "deepest_nesting": "(" * (filters.MAX_DEPTH - 1) + "name = 'x'" + ")" * (filters.MAX_DEPTH - 1),
    "like_terms": " OR ".join(f"name LIKE '%{i}%'" for i in range(filters.MAX_TERMS)),
    "computed_terms": " OR ".join(f"criteria_met = {i}" for i in range(filters.MAX_TERMS)),
    "casei_accenti_like": "CASEI(ACCENTI(name)) LIKE '" + "%a" * (filters.MAX_PATTERN // 2 - 1) + "!'",
    "store_and_computed": "ACCENTI(province) LIKE 'Tinh%' AND criteria_met >= 15",
    "longest_and_chain": " AND ".join(f"name <> '{'x' * 60}'" for _ in range(filters.MAX_TERMS)),
}
REFUSED = {
    "issue_like_9_percent": "name LIKE '%%%%%%%%%!'",  # allowed: 9 % are one
    "like_pattern_past_limit": "name LIKE '" + "%" * (filters.MAX_PATTERN + 1) + "'",
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


def _cases(store, repeat: int) -> dict:
    """Every case of ``ALLOWED`` and ``REFUSED`` on one open store."""
    communes = collection("communes")
    types = communes.queryable_types
    where = resolve_where(store, vintage=None, day=None, year=2020, province=None, district=None)
    out: dict = {"allowed": {}, "refused": {}}
    for name, text in ALLOWED.items():
        parse, expr = _best(lambda text=text: filters.parse_text(text, types), 3)
        selection = Selection(communes.tiers, where, None, None, expr)
        select, page = _best(lambda s=selection: communes.features(store, s, limit=10), repeat)
        held, rest = selection.split
        out["allowed"][name] = {
            "characters": len(text),
            "parse_seconds": round(parse, 4),
            "select_seconds": round(select, 4),
            "in_sql": "all" if rest is None else "none" if held is None else "part",
            "rows_matched": page[0],
        }
        print(f"  {name:28} {len(text):5} chars  parse {parse:.4f} s  select {select:.4f} s  {page[0]} rows")
    for name, text in REFUSED.items():
        start = time.perf_counter()
        try:
            expr = filters.parse_text(text, types)
            outcome = "allowed"
        except filters.FilterError as e:
            outcome = str(e)[-60:]
        seconds = time.perf_counter() - start
        out["refused"][name] = {"characters": len(text), "seconds": round(seconds, 4), "answer": outcome}
        print(f"  {name:28} {len(text):5} chars  {seconds:.4f} s  {outcome}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", help="a GeoPackage holding the demo (default: load it into a temporary file)")
    parser.add_argument("--stores", nargs="+", default=["gpkg", "postgis"], choices=["gpkg", "postgis"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", default=str(REPO / "bench" / "results" / "filters.json"))
    args = parser.parse_args()
    results: dict = {
        "what": "worst allowed filters on the national communes (demo: 2009 boundaries, status year 2020)",
        "limits": {
            "MAX_LENGTH": filters.MAX_LENGTH,
            "MAX_TERMS": filters.MAX_TERMS,
            "MAX_DEPTH": filters.MAX_DEPTH,
            "MAX_IN_VALUES": filters.MAX_IN_VALUES,
            "MAX_PATTERN": filters.MAX_PATTERN,
        },
        "filters": {**ALLOWED, **REFUSED},
        "stores": {},
        "git": subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True
        ).stdout.strip(),
        "started": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "note": "2 cores shared with other workers: figures are upper bounds of a quiet machine's",
    }
    geo_ntm = str(Path(sys.executable).parent / "geo-ntm")
    with tempfile.TemporaryDirectory() as tmp:
        cluster = None
        try:
            for name in args.stores:
                if name == "gpkg":
                    db = args.db or str(Path(tmp) / "demo.gpkg")
                else:
                    from tests.support.pg_cluster import PostgisCluster, server_bindir

                    cluster = PostgisCluster(server_bindir())
                    cluster.start_with_postgis()
                    db = cluster.create_database()
                if name == "postgis" or not args.db:
                    subprocess.run([geo_ntm, "--db", db, "demo"], check=True, capture_output=True)
                print(name)
                with open_store(db) as store:
                    results["stores"][name] = _cases(store, args.repeat)
        finally:
            if cluster is not None:
                cluster.stop()
    Path(args.out).write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
