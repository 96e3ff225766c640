"""Peak memory and time of a status import against its file size, CSV and XLSX, up to the upload
limit (50 MB) or Excel's last row. The files are SYNTHETIC: rows of the real 2009 communes
(``../shared/data/vn_admin_2009.gpkg``) with made-up years, criteria and statuses; every row's
source column says ``SYNTHETIC``. They are written under ``var/`` (not committed).

    python bench/bench_imports.py                        # writes bench/results/imports.json
    python bench/bench_imports.py --rows 10000 100000 --formats csv
    PYTHONPATH=/other/checkout python bench/bench_imports.py --code /other/checkout --out before.json

Each import runs in a fresh process (its peak RSS is its own) as a dry run on a GeoPackage store
holding the 2009 vintage: read, check, match and merge every row, store nothing. ``growth_mb``
is the peak resident size (MiB) less the resident size just before the import.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_BOUNDARIES = Path(os.environ.get("GEO_NTM_DATA_DIR", ROOT.parent / "shared" / "data")) / "vn_admin_2009.gpkg"
HEADER = ["province", "district", "commune", "year", "framework", "level", "criterion", "status", "source"]

#: Run in a fresh process: import one file (dry run), print the figures as JSON.
_MEASURE = """
import json, resource, sys, time
from geo_ntm.store import open_store
from geo_ntm.status_import.importer import import_status_file
store = open_store(sys.argv[1])
store.vintages()
page = resource.getpagesize()
with open("/proc/self/statm") as statm:
    before = int(statm.read().split()[1]) * page / 2**20  # resident now, MiB
started = time.perf_counter()
try:
    report = import_status_file(store, sys.argv[2], dry_run=True)
    outcome = {"rows_read": report.rows_read, "matched": report.matched, "invalid": len(report.invalid)}
except Exception as exc:
    outcome = {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": round(seconds, 2), "rss_before_mb": round(before, 1),
                  "peak_rss_mb": round(peak / 1024, 1), "growth_mb": round(peak / 1024 - before, 1), **outcome}))
"""


def _rows(communes, n: int):
    """``n`` SYNTHETIC long-layout rows: commune after commune, 19 criteria, years from 2011."""
    import numpy as np

    rng = np.random.default_rng(2009)
    met = rng.random(n) < 0.6
    places = list(zip(communes["province_name"], communes["district_name"], communes["commune_name"], strict=True))
    per_year = len(places) * 19
    for i in range(n):
        year, rest = divmod(i, per_year)
        commune, criterion = divmod(rest, 19)
        province, district, name = places[commune]
        yield [
            province,
            district,
            name,
            2011 + year,
            "qd1980_2016",
            "ntm",
            criterion + 1,
            "đạt" if met[i] else "chưa đạt",
            "SYNTHETIC",
        ]


def write_file(path: Path, communes, n: int) -> None:
    """A SYNTHETIC status file of ``n`` rows (CSV or XLSX by the suffix)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".csv":
        import csv

        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(HEADER)
            writer.writerows(_rows(communes, n))
        return
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("SYNTHETIC")
    ws.append(HEADER)
    for row in _rows(communes, n):
        ws.append(row)
    wb.save(path)


def _store(path: Path, boundaries: Path) -> None:
    from boundaries.importer import import_boundaries
    from geo_ntm.store import open_store

    path.parent.mkdir(parents=True, exist_ok=True)
    with open_store(str(path)) as store:
        if store.vintages():
            return
        import_boundaries(store, boundaries, dt.date(2009, 4, 1), measure_quality=False)


def measure(store: Path, file: Path, code: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(code)}
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(store), str(file)], capture_output=True, text=True, env=env, cwd=code
    )
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, nargs="+", default=[10_000, 50_000, 200_000, 500_000])
    p.add_argument("--formats", nargs="+", default=["csv", "xlsx"], choices=["csv", "xlsx"])
    p.add_argument("--boundaries", type=Path, default=DEFAULT_BOUNDARIES)
    p.add_argument("--work", type=Path, default=ROOT / "var" / "bench_imports", help="where the files go")
    p.add_argument("--code", type=Path, default=ROOT, help="the checkout whose importer is measured")
    p.add_argument("--out", type=Path, default=HERE / "results" / "imports.json")
    args = p.parse_args(argv)

    sys.path[:0] = [str(HERE), str(ROOT)]
    from make_synthetic import read_communes
    from provenance import git_state

    store = args.work / "store_2009.gpkg"
    _store(store, args.boundaries)
    communes = read_communes(args.boundaries)
    results: dict = {
        "what": "peak RSS of a status import (dry run) against file size; SYNTHETIC rows of the real 2009 communes",
        "code": {"path": str(args.code), **git_state(args.code)},
        "started": dt.datetime.now().isoformat(timespec="seconds"),
        "runs": [],
    }
    for fmt in args.formats:
        for n in args.rows:
            file = args.work / f"SYNTHETIC_status_{n}.{fmt}"
            if not file.exists():
                started = time.perf_counter()
                write_file(file, communes, n)
                print(f"wrote {file.name} in {time.perf_counter() - started:.0f} s", flush=True)
            run = {
                "format": fmt,
                "rows": n,
                "file_mb": round(file.stat().st_size / 1e6, 2),
                **measure(store, file, args.code),
            }
            print(json.dumps(run, ensure_ascii=False), flush=True)
            results["runs"].append(run)
    results["finished"] = dt.datetime.now().isoformat(timespec="seconds")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
