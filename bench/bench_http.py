"""geo_ntm's OGC API - Features beside tipg serving the same communes from the same PostGIS
(issue 14 §4), in one run on this machine.

    python bench/bench_http.py                       # 4-10 minutes: bench/results/http_vs_tipg.json
    python bench/bench_http.py --label after         # adds a run under another label to the same file
    python bench/bench_http.py --duration 5 --no-pull

One throwaway PostgreSQL cluster with PostGIS (``tests.support.pg_cluster``) on 127.0.0.1 holds one
geo_ntm store, loaded with the geo-ntm CLI: the 2009 boundaries (``vn_admin_2009.gpkg``, no overlap
measures) and the status sample of Thành phố Bến Tre (``samples/status_ben_tre_city_long.csv``: 6
communes with all 19 criteria met in 2020). ``bench/tipg_communes.sql`` exposes the same 11,163
communes with their 2020 statuses to tipg as ``tipg_bench.communes`` (a table with a primary key
on ``code`` and indexes, the way tipg is usually deployed; ``--tipg-source view`` for a view over
the store's tables instead). Then ``geo-ntm serve`` and tipg (``uvicorn tipg.main:app``) start on
127.0.0.1 with the same number of worker processes (``--workers``, default 1) and 10 database
connections each, both logging at WARNING, and the run measures, for each:

- ``items``: one province's page with status attributes, Bến Tre (164 communes) limit 100, under
  ``--clients`` concurrent connections of ``wrk`` (C, ``--threads`` threads, keep-alive, asking
  for gzip; Debian's wrk 4.1: ``make wrk``, run by ``make bench-http``), after one answer checked with
  httpx (200, its features, its bytes) and ``--warmup`` seconds of unmeasured load:
  requests/s, p50/p75/p90/p99, wrk's errors (connect, read, write, timeout, status 400 or more),
  and the CPU per request of the server's processes and of PostgreSQL's (psutil, the whole
  process trees, reaped children included) and of wrk, over the measured load;
- ``national_page``: ``limit=1000`` from the start of the national list, one client, ``--pages``
  timed requests after one untimed;
- ``pull``: the whole collection with a default GDAL client, ``ogr2ogr -f GPKG out.gpkg
  OAPIF:{url}/collections/{id}`` (Debian bookworm's GDAL 3.6: ``make gdal``), wall time and the
  features written; ``--pull-timeout`` stops a pull that takes longer (recorded as such).

Before measuring, the first items page of each server must hold the same communes with the same
criteria met, or the run stops. The load generator, the servers and PostgreSQL share the
machine's cores (and with whatever else runs: the 1-minute load average is recorded before and
after every stage). The run fails with a message and exit status 1 when PostGIS, geo_ntm or
tipg cannot start.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import importlib.util
import json
import math
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
from bench_api import BIN, REPO, ServerProcess, Service, _geo_ntm
from provenance import git_state

HERE = Path(__file__).resolve().parent
YEAR = 2020
VINTAGE = "2009-04-01"
STATUS_SAMPLE = "status_ben_tre_city_long.csv"
TIPG_SCHEMA = "tipg_bench"
POOL_SIZE = 10  # database connections of each server (geo_ntm's pool, tipg's asyncpg pool)
ACCEPT_ENCODING = "gzip"  # what the load generator and the check ask for, as a browser would
WRK_TIMEOUT = "60s"  # wrk leaves an answer slower than this out of its latencies (as a timeout error)
#: The goals of issue 14 §4 this run measures.
TARGETS = {
    "items_p99_ms": "< 100 ms at 32 concurrent clients",
    "items_rps": "at least tipg's",
    "national_page_ms": "< 300 ms",
    "pull_seconds": "within 1.5x of tipg's",
}


@dataclass(frozen=True)
class Server:
    """What one server is asked: the paths of the benchmark's questions on it."""

    name: str
    collection: str  # path of the communes collection
    items: str  # one province's page with status attributes
    national_page: str  # a page of 1,000 communes from the national list


OURS = Server(
    "geo_ntm",
    "/collections/communes",
    f"/collections/communes/items?province=Bến Tre&year={YEAR}&limit=100",
    f"/collections/communes/items?year={YEAR}&limit=1000",
)
TIPG = Server(
    "tipg",
    f"/collections/{TIPG_SCHEMA}.communes",
    f"/collections/{TIPG_SCHEMA}.communes/items?province_code=811&limit=100",
    f"/collections/{TIPG_SCHEMA}.communes/items?limit=1000",
)


def _cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process, its reaped children and its living descendants."""
    process = psutil.Process(pid)
    times = process.cpu_times()
    total = times.user + times.system + times.children_user + times.children_system
    for child in process.children(recursive=True):
        try:
            child_times = child.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += child_times.user + child_times.system
    return total


class CpuMeter:
    """CPU seconds of the server's and of PostgreSQL's process trees between ``start`` and ``stop``."""

    def __init__(self, server_pid: int, postmaster_pid: int):
        self.pids = {"server": server_pid, "postgres": postmaster_pid}

    def start(self) -> CpuMeter:
        self._start = {name: _cpu(pid) for name, pid in self.pids.items()}
        return self

    def stop(self) -> dict[str, float]:
        return {name: _cpu(pid) - self._start[name] for name, pid in self.pids.items()}


def _load_avg() -> float:
    return round(os.getloadavg()[0], 2)


def _uptime() -> str:
    done = subprocess.run(["uptime"], capture_output=True, text=True)
    return done.stdout.strip()


def _postmaster_pid(cluster) -> int:
    return int((cluster.dir / "data" / "postmaster.pid").read_text().splitlines()[0])


def load_store(url: str, data_dir: Path, tipg_source: str, log=print) -> dict:
    """The 2009 boundaries and the Bến Tre sample into the geo_ntm store at ``url`` (geo-ntm CLI),
    and ``tipg_bench.communes`` (``tipg_source``: table or view) over them; seconds of each step."""
    import psycopg

    seconds = {}
    started = time.perf_counter()
    _geo_ntm(url, "boundaries", "import", "--vintage", VINTAGE, "--no-quality", str(data_dir / "vn_admin_2009.gpkg"))
    seconds["boundaries"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    _geo_ntm(url, "status", "import", str(data_dir / "samples" / STATUS_SAMPLE))
    seconds["statuses"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    sql = (HERE / "tipg_communes.sql").read_text(encoding="utf-8")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.format(relation=tipg_source.upper(), year=int(YEAR)))
        if tipg_source == "table":
            conn.execute(f"ALTER TABLE {TIPG_SCHEMA}.communes ADD PRIMARY KEY (code)")
            conn.execute(f"CREATE INDEX ON {TIPG_SCHEMA}.communes (province_code)")
            conn.execute(f"CREATE INDEX ON {TIPG_SCHEMA}.communes USING gist (geom)")
            conn.execute(f"ANALYZE {TIPG_SCHEMA}.communes")
    seconds[f"tipg_{tipg_source}"] = round(time.perf_counter() - started, 1)
    log(f"store loaded: {seconds}")
    return seconds


class Tipg(ServerProcess):
    """tipg (``uvicorn tipg.main:app``) serving the schema ``tipg_bench`` of the database at
    ``url``, started in ``workdir`` (tipg reads a ``.env`` of its working directory)."""

    def __init__(self, url: str, workers: int, workdir: Path):
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "TIPG_DB_SCHEMAS": json.dumps([TIPG_SCHEMA]),
            "TIPG_DB_MAX_CONN_SIZE": str(POOL_SIZE),
            f"TIPG_TABLE_CONFIG__{TIPG_SCHEMA}_communes__pk": "code",  # a view has no primary key to find
        }
        argv = [str(BIN / "uvicorn"), "tipg.main:app", "--host", "127.0.0.1", "--workers", str(workers)]
        argv += ["--log-level", "warning", "--no-access-log"]
        super().__init__(lambda port: [*argv, "--port", str(port)], env, workdir / "tipg.log", "tipg", cwd=workdir)
        answer = httpx.get(self.url + TIPG.collection, timeout=60)
        if answer.status_code != 200:
            self.stop()
            raise RuntimeError(f"tipg does not serve {TIPG.collection} ({answer.status_code}): {answer.text[:500]}")


def _serve_args(workers: int) -> tuple[str, ...]:
    """The ``geo-ntm serve`` options for ``workers`` processes (none for one where it has no --workers)."""
    has_workers = (
        "--workers" in subprocess.run([str(BIN / "geo-ntm"), "serve", "--help"], capture_output=True, text=True).stdout
    )
    if has_workers:
        return ("--workers", str(workers))
    if workers != 1:
        raise RuntimeError(f"geo-ntm serve has no --workers option on this commit: cannot run {workers} workers")
    return ()


def same_communes(urls: dict[str, str]) -> dict:
    """The first items page of each server: the same commune codes in the same order with the same
    criteria met, or RuntimeError."""
    pages = {}
    for server in (OURS, TIPG):
        answer = httpx.get(urls[server.name] + server.items, timeout=120)
        answer.raise_for_status()
        pages[server.name] = answer.json()
    found = {
        name: [(str(f["id"]), f["properties"].get("criteria_met")) for f in page["features"]]
        for name, page in pages.items()
    }
    matched = {name: page.get("numberMatched") for name, page in pages.items()}
    if found[OURS.name] != found[TIPG.name] or len(set(matched.values())) != 1:
        raise RuntimeError(f"geo_ntm and tipg do not answer the same communes: {matched}, {found}")
    return {
        "number_matched": matched[OURS.name],
        "number_returned": len(found[OURS.name]),
        "with_criteria_met": sum(met is not None for _, met in found[OURS.name]),
    }


def _wrk(url: str, path: str, clients: int, threads: int, seconds: float) -> tuple[dict, float]:
    """``wrk`` (C, keep-alive, asking for gzip as a browser does) with ``clients`` connections for
    ``seconds`` (whole seconds, at least 1: what wrk takes) on GET ``path``: wrk's summary
    (``wrk_report.lua``) and the CPU seconds wrk used."""
    argv = ["wrk", "-t", str(min(threads, clients)), "-c", str(clients), "-d", f"{max(1, math.ceil(seconds))}s"]
    argv += ["--timeout", WRK_TIMEOUT, "-H", f"Accept-Encoding: {ACCEPT_ENCODING}", "-s", str(HERE / "wrk_report.lua")]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk is the only child reaped meanwhile
    done = subprocess.run([*argv, str(httpx.URL(url + path))], capture_output=True, text=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    reports = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not reports:
        raise RuntimeError(f"wrk printed no summary: {done.stdout[-500:]} {done.stderr[-500:]}")
    return json.loads(reports[-1]), cpu


def measure_items(
    url: str, server: Server, meter: CpuMeter, clients: int, duration: float, warmup: float, threads: int
) -> dict:
    """Requests/s and latency of the province page under ``clients`` connections of wrk, after one
    checked answer (httpx: 200, its features, its size on the wire) and ``warmup`` seconds of
    unmeasured load; CPU per answer of the server, of PostgreSQL and of wrk (on the same cores)
    over the measured load only."""
    headers = {"Accept-Encoding": ACCEPT_ENCODING}
    for _ in range(3):  # the first answers fill the servers' caches; the last one is checked
        answer = httpx.get(url + server.items, headers=headers, timeout=120)
        answer.raise_for_status()
    if warmup > 0:
        _wrk(url, server.items, clients, threads, warmup)
    load_before = _load_avg()
    meter.start()
    summary, client_cpu = _wrk(url, server.items, clients, threads, duration)
    cpu = meter.stop()
    answered = max(summary["requests"], 1)
    latency = summary["latency_us"]
    return {
        "requests": summary["requests"],
        "seconds": round(summary["duration_us"] / 1e6, 2),
        "rps": round(summary["requests"] * 1e6 / summary["duration_us"], 1),
        **{f"{key}_ms": round(latency[key] / 1000, 1) for key in ("p50", "p75", "p90", "p99", "mean", "max")},
        "errors": summary["errors"],  # status: answers of 400 or more; timeout: none within WRK_TIMEOUT
        "number_returned": answer.json()["numberReturned"],
        "response_bytes": len(answer.content),
        "wire_bytes": answer.num_bytes_downloaded,
        "content_encoding": [answer.headers.get("content-encoding", "identity")],
        "wrk_bytes_per_answer": round(summary["bytes"] / answered),  # headers included
        "client_cpu_seconds": round(client_cpu, 2),
        "client_cpu_ms_per_request": round(client_cpu * 1000 / answered, 2),
        "server_cpu_seconds": round(cpu["server"], 2),
        "postgres_cpu_seconds": round(cpu["postgres"], 2),
        "server_cpu_ms_per_request": round(cpu["server"] * 1000 / answered, 2),
        "postgres_cpu_ms_per_request": round(cpu["postgres"] * 1000 / answered, 2),
        "load_before": load_before,
        "load_after": _load_avg(),
    }


def measure_national_page(url: str, server: Server, pages: int) -> dict:
    """One client asking for ``pages`` national pages of 1,000 communes, after one untimed."""
    seconds, answer = [], None
    with httpx.Client(base_url=url, timeout=120) as client:
        client.get(server.national_page).raise_for_status()
        for _ in range(pages):
            started = time.perf_counter()
            answer = client.get(server.national_page)
            answer.raise_for_status()
            seconds.append(time.perf_counter() - started)
    assert answer is not None
    return {
        "ms_median": round(statistics.median(seconds) * 1000, 1),
        "ms_min": round(min(seconds) * 1000, 1),
        "ms_max": round(max(seconds) * 1000, 1),
        "pages": pages,
        "number_returned": answer.json()["numberReturned"],
        "response_bytes": len(answer.content),
        "wire_bytes": answer.num_bytes_downloaded,
        "content_encoding": answer.headers.get("content-encoding", "identity"),
    }


def _fetched(stderr: str) -> list[str]:
    """The URLs GDAL fetched, from its ``CPL_DEBUG`` lines ``HTTP: Fetch(url)``."""
    return [line.split("Fetch(", 1)[1].rstrip(")") for line in stderr.splitlines() if line.startswith("HTTP: Fetch(")]


def _pages_fetched(stderr: str) -> tuple[int, int | None]:
    """Items pages GDAL fetched and its page size (``limit``)."""
    pages = [u for u in _fetched(stderr) if "/items" in u]
    limits = [int(u.split("limit=", 1)[1].split("&")[0]) for u in pages if "limit=" in u]
    return len(pages), (max(limits) if limits else None)


def _other_fetches(stderr: str) -> dict[str, int]:
    """The requests GDAL made besides items pages, by path (the collection, its schema ...): what
    it asks once, not per page."""
    found: dict[str, int] = {}
    for url in _fetched(stderr):
        if "/items" not in url:
            path = "/" + url.split("//", 1)[-1].split("/", 1)[-1].split("?", 1)[0]
            found[path] = found.get(path, 0) + 1
    return found


def measure_pull(url: str, server: Server, meter: CpuMeter, workdir: Path, timeout: float) -> dict:
    """``ogr2ogr -f GPKG out.gpkg OAPIF:{url}{collection}``: wall time, features written, pages
    fetched (GDAL's debug lines, which change nothing it asks), CPU."""
    import pyogrio

    out = workdir / f"pull_{server.name}.gpkg"
    out.unlink(missing_ok=True)
    argv = ["ogr2ogr", "-f", "GPKG", str(out), f"OAPIF:{url}{server.collection}"]
    load_before = _load_avg()
    meter.start()
    started = time.perf_counter()
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout, env={**os.environ, "CPL_DEBUG": "ON"}
        )
        returncode, stderr, stopped = done.returncode, done.stderr, None
    except subprocess.TimeoutExpired as exc:
        returncode, stopped = None, f"stopped after {timeout:g} s"
        stderr = exc.stderr.decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
    seconds = time.perf_counter() - started
    cpu = meter.stop()
    pages, page_size = _pages_fetched(stderr)
    errors = [line for line in stderr.splitlines() if line.startswith(("ERROR", "Warning"))]
    return {
        "command": f"ogr2ogr -f GPKG {out.name} OAPIF:http://127.0.0.1:PORT{server.collection}",
        "seconds": round(seconds, 1),
        "finished": returncode == 0,
        "returncode": returncode,
        "error": stopped or ("\n".join(errors[-5:]) if returncode else None),
        "features": pyogrio.read_info(out)["features"] if returncode == 0 else None,
        "pages_fetched": pages,
        "page_size": page_size,
        "other_requests": _other_fetches(stderr),
        "seconds_per_page": round(seconds / pages, 3) if pages else None,
        "server_cpu_seconds": round(cpu["server"], 1),
        "postgres_cpu_seconds": round(cpu["postgres"], 1),
        "load_before": load_before,
        "load_after": _load_avg(),
    }


def _versions(url: str) -> dict:
    import psycopg

    with psycopg.connect(url) as conn:
        postgres, postgis = conn.execute("SELECT current_setting('server_version'), postgis_lib_version()").fetchone()
    gdal = subprocess.run(["ogr2ogr", "--version"], capture_output=True, text=True) if shutil.which("ogr2ogr") else None
    packages = ("tipg", "fastapi", "starlette", "uvicorn", "asyncpg", "psycopg", "httpx", "psutil")
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True)  # exit status 1 with its usage
    return {
        "wrk": wrk.stdout.splitlines()[0] if wrk.stdout else None,
        "python": platform.python_version(),
        "postgresql": postgres,
        "postgis": postgis,
        "gdal": gdal.stdout.strip() if gdal else None,
        **{name: importlib.metadata.version(name) for name in packages},
    }


def _check_tools(pull: bool) -> None:
    if importlib.util.find_spec("tipg") is None:
        raise RuntimeError("tipg is not installed: pip install -e '.[bench]' (make install-test)")
    if pull and shutil.which("ogr2ogr") is None:
        raise RuntimeError("ogr2ogr is not installed: `make gdal` (Debian's gdal-bin), or run with --no-pull")
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk, the load generator, is not installed: `make wrk` (Debian's wrk, as root)")


def run(
    label: str = "before",
    clients: int = 32,
    duration: float = 20.0,
    warmup: float = 3.0,
    threads: int = 1,
    pages: int = 5,
    pull: bool = True,
    pull_timeout: float = 400.0,
    workers: int = 1,
    tipg_source: str = "table",
    data_dir: Path | None = None,
    workdir: Path | None = None,
    out: Path | None = None,
    log=print,
) -> dict:
    """One run of the benchmark; its result is also stored under ``label`` in ``out`` (other
    labels already there are kept)."""
    from geo_ntm.settings import Settings
    from tests.support.pg_cluster import PostgisCluster, server_bindir

    _check_tools(pull)
    data_dir = data_dir or Settings.from_env().data_dir
    work = Path(workdir or tempfile.mkdtemp(prefix="geo_ntm_bench_http_"))
    work.mkdir(parents=True, exist_ok=True)
    bindir = server_bindir()
    if bindir is None:
        raise RuntimeError("no PostgreSQL server installed (initdb, pg_ctl): `make postgis`")
    result: dict = {
        "label": label,
        "what": "geo_ntm's OGC API - Features beside tipg serving the same communes from the same PostGIS",
        "git": git_state(REPO),
        "started": dt.datetime.now().isoformat(timespec="seconds"),
        "uptime_before": _uptime(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "clients": clients,
        "duration_seconds": duration,
        "warmup_seconds": warmup,
        "load_generator": f"wrk, {threads} thread(s)",
        "workers": workers,
        "db_connections_per_server": POOL_SIZE,
        "tipg_source": tipg_source,
        "paths": {server.name: server.__dict__ for server in (OURS, TIPG)},
        "targets": TARGETS,
    }
    cluster = PostgisCluster(bindir)
    cluster.start_with_postgis()  # RuntimeError with the reason when it cannot
    servers: list[ServerProcess] = []
    try:
        url = cluster.create_database()
        result["versions"] = _versions(url)
        result["load_seconds"] = load_store(url, data_dir, tipg_source, log)
        servers.append(Service(url, POOL_SIZE, work / "geo_ntm.log", _serve_args(workers)))
        servers.append(Tipg(url, workers, work))
        urls = {OURS.name: servers[0].url, TIPG.name: servers[1].url}
        postmaster = _postmaster_pid(cluster)
        meters = {name: CpuMeter(s.process.pid, postmaster) for name, s in zip(urls, servers, strict=True)}
        result["same_communes"] = same_communes(urls)
        stages = {"items": {}, "national_page": {}, "pull": {}}
        for server in (OURS, TIPG):
            stages["items"][server.name] = measure_items(
                urls[server.name], server, meters[server.name], clients, duration, warmup, threads
            )
            log(f"items {server.name}: {json.dumps(stages['items'][server.name])}")
        for server in (OURS, TIPG):
            stages["national_page"][server.name] = measure_national_page(urls[server.name], server, pages)
            log(f"national page {server.name}: {json.dumps(stages['national_page'][server.name])}")
        if pull:
            for server in (TIPG, OURS):
                stages["pull"][server.name] = measure_pull(
                    urls[server.name], server, meters[server.name], work, pull_timeout
                )
                log(f"pull {server.name}: {json.dumps(stages['pull'][server.name])}")
        result.update(stages)
    finally:
        for server_process in servers:
            server_process.stop()
        cluster.stop()
        if workdir is None:  # the servers' logs and the pulled files, in a folder of our own
            shutil.rmtree(work, ignore_errors=True)
    result["finished"] = dt.datetime.now().isoformat(timespec="seconds")
    result["uptime_after"] = _uptime()
    if out is not None:
        stored = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {"runs": {}}
        stored["runs"][label] = result
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(stored, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        log(f"wrote {out} ({label})")
    return result


def _verdict(met: bool | None) -> str:
    return "—" if met is None else ("met" if met else "not met")


def _latencies(items: dict) -> str:
    """p50 / p90 / p99 of an items measure (no p90 in the runs before wrk)."""
    return " / ".join(f"{items[key]:g}" if key in items else "—" for key in ("p50_ms", "p90_ms", "p99_ms"))


def table(result: dict) -> str:
    """The Markdown table of one run: geo_ntm, tipg and the goal of issue 14 §4 for each measure."""
    items, page, pull = result["items"], result["national_page"], result.get("pull") or {}
    ours, theirs = items["geo_ntm"], items["tipg"]
    generator = result.get("load_generator", "one Python process, httpx")  # runs before wrk used httpx
    errors = [sum(entry["errors"].values()) if "errors" in entry else "—" for entry in (ours, theirs)]
    rows = [
        (
            "items of one province (Bến Tre, limit 100), 32 clients: requests/s",
            ours["rps"],
            theirs["rps"],
            TARGETS["items_rps"],
            ours["rps"] >= theirs["rps"],
        ),
        (
            "the same: p50 / p90 / p99 ms",
            _latencies(ours),
            _latencies(theirs),
            f"p99 {TARGETS['items_p99_ms']}",
            ours["p99_ms"] < 100,
        ),
        ("the same: answers in error (wrk: connect, read, write, timeout, status ≥ 400)", *errors, "", None),
        (
            "the same: CPU ms per request, server + PostgreSQL",
            f"{ours['server_cpu_ms_per_request']:g} + {ours['postgres_cpu_ms_per_request']:g}",
            f"{theirs['server_cpu_ms_per_request']:g} + {theirs['postgres_cpu_ms_per_request']:g}",
            "",
            None,
        ),
        (
            f"the same: CPU ms per request of the load generator ({generator}, same cores)",
            ours.get("client_cpu_ms_per_request", "—"),
            theirs.get("client_cpu_ms_per_request", "—"),
            "",
            None,
        ),
        (
            "the same: bytes sent (encoding)",
            f"{ours['wire_bytes']:,} ({', '.join(ours['content_encoding'])})",
            f"{theirs['wire_bytes']:,} ({', '.join(theirs['content_encoding'])})",
            "",
            None,
        ),
        (
            "a national page of 1,000 communes, one client: ms (median)",
            page["geo_ntm"]["ms_median"],
            page["tipg"]["ms_median"],
            TARGETS["national_page_ms"],
            page["geo_ntm"]["ms_median"] < 300,
        ),
    ]
    if pull:

        def seconds(entry: dict) -> str:
            done = f"{entry['seconds']:g}"
            fetched = f"{entry.get('pages_fetched')} pages of {entry.get('page_size')}"
            return f"{done} ({fetched})" if entry["finished"] else f"> {done} (stopped after {fetched})"

        ratio_met = pull["geo_ntm"]["finished"] and pull["geo_ntm"]["seconds"] <= 1.5 * pull["tipg"]["seconds"]
        rows.append(
            (
                "the national pull by ogr2ogr (GDAL 3.6, OAPIF, its defaults): seconds",
                seconds(pull["geo_ntm"]),
                seconds(pull["tipg"]),
                TARGETS["pull_seconds"],
                ratio_met,
            )
        )
    lines = [
        f"| measure | geo_ntm | tipg | goal | {result['label']} |",
        "|---|---|---|---|---|",
        *(f"| {m} | {o} | {t} | {g} | {_verdict(v)} |" for m, o, t, g, v in rows),
    ]
    loads = [entry[key] for stage in (items, pull) for entry in stage.values() for key in ("load_before", "load_after")]
    lines.append(
        f"\n{result['label']}: commit `{(result['git']['commit'] or '?')[:7]}`, {result['started']}, "
        f"{result['workers']} worker(s) each, 1-minute load average {min(loads):g}-{max(loads):g} during the "
        f"measures (`uptime` before: {result['uptime_before'].split('load average: ')[-1]})"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="geo_ntm beside tipg on the same communes from the same PostGIS")
    p.add_argument("--label", default="before", help="the run's name in the results file (before, after ...)")
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--duration", type=float, default=20.0, help="measured seconds of the items load per server")
    p.add_argument("--warmup", type=float, default=3.0, help="seconds of load before measuring")
    p.add_argument("--threads", type=int, default=1, help="threads of wrk, the load generator")
    p.add_argument("--pages", type=int, default=5, help="timed national pages of 1,000 per server")
    p.add_argument("--no-pull", dest="pull", action="store_false", help="leave out the ogr2ogr national pulls")
    p.add_argument("--pull-timeout", type=float, default=400.0, help="seconds after which a pull is stopped")
    p.add_argument("--workers", type=int, default=1, help="server processes of each service")
    p.add_argument("--tipg-source", choices=("table", "view"), default="table")
    p.add_argument("--workdir", type=Path)
    p.add_argument("--out", type=Path, default=HERE / "results" / "http_vs_tipg.json")
    p.add_argument("--table", action="store_true", help="print the Markdown table of every run in --out, run nothing")
    args = p.parse_args(argv)
    if args.table:
        runs = json.loads(args.out.read_text(encoding="utf-8"))["runs"]
        print("\n\n".join(table(result) for result in runs.values()))
        return 0
    try:
        run(
            args.label,
            args.clients,
            args.duration,
            args.warmup,
            args.threads,
            args.pages,
            args.pull,
            args.pull_timeout,
            args.workers,
            args.tipg_source,
            workdir=args.workdir,
            out=args.out,
        )
    except (RuntimeError, subprocess.CalledProcessError, httpx.HTTPError) as exc:
        detail = getattr(exc, "stderr", None) or ""
        print(f"bench_http: {exc}\n{detail}".rstrip(), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
