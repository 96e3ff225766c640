"""Load test of the HTTP service on both stores: requests per second and p50/p99 latency under
32 concurrent clients on 127.0.0.1.

    python bench/bench_api.py                      # writes bench/results/api.json
    python bench/bench_api.py --duration 5 --targets items --stores gpkg

Each store is loaded with the demo (``geo-ntm demo``: the real 2009 boundaries and the status
samples) and served by a real ``geo-ntm serve`` (uvicorn, one process) in a subprocess; the
PostGIS store lives in a throwaway cluster (``tests.support.pg_cluster``) unless
``--pg-admin-url`` names a server. Stores: ``gpkg``; ``postgis`` (the connection pool,
``GEO_NTM_DB_POOL_SIZE`` default 10); ``postgis_no_pool`` (``GEO_NTM_DB_POOL_SIZE=0``: a new
connection per request, the behaviour before the pool, for comparison).

Targets, for Bến Tre (a province with statuses) in 2020 unless said:
``items``: ``GET /collections/communes/items?province=Bến Tre&year=2020&limit=200`` (all 164
communes in one page, GeoJSON with their NTM assessment); ``items_province``: the same with
``limit=100`` (issue 14's target: one province's items with status attributes); ``items_national``:
a national page of 1,000 communes with their 2020 status (``year=2020&limit=1000&offset=2000``);
``items_offset``: a page of 10 communes deep in the level, today's boundaries (``limit=10&offset=3000``,
what cost the same whatever the offset while the handler read the whole level); ``map``: ``GET /map.html?province=Bến
Tre&year=2020``, the standalone folium map (HTML with the data inline); ``map_data``: ``GET
/map/data?province=Bến Tre&year=2020``, what the planner's page loads to draw the map (classified
GeoJSON with the legend).

The load generator is a Python asyncio + httpx client (``--clients`` tasks, each sending its next
request when the last one is answered, keep-alive connections) running on the same machine as
the server: what it spends is CPU the server did not get, so it is reported (``client_cpu_seconds``
beside ``server_cpu_seconds``). After a short warm-up, every answer received within
``--duration`` seconds counts; latency is from sending the request to reading the whole body.
Requests answered after the window (the clients stop sending at its end) do not count.
The server logs at WARNING (no access log).

``--workers N`` serves with ``geo-ntm serve --workers N`` (server CPU is then the sum of the
workers'); ``--server-tree PATH`` runs the server from another checkout of the project (its
``PYTHONPATH``), to measure the code before a change with the same load generator.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import multiprocessing
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
from provenance import git_state

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))  # tests.support: the throwaway PostGIS cluster and local services
BIN = Path(sys.executable).parent
TARGETS = {
    "items": "/collections/communes/items?province=Bến Tre&year=2020&limit=200",
    "items_province": "/collections/communes/items?province=Bến Tre&year=2020&limit=100",
    "items_national": "/collections/communes/items?year=2020&limit=1000&offset=2000",
    "items_offset": "/collections/communes/items?limit=10&offset=3000",
    "map": "/map.html?province=Bến Tre&year=2020",
    "map_data": "/map/data?province=Bến Tre&year=2020",
}
STORES = ("gpkg", "postgis", "postgis_no_pool")


def _percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation between closest ranks."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


async def _load(base: str, path: str, clients: int, duration: float, warmup: float) -> dict:
    """``clients`` concurrent loops of GET ``path``: ``warmup`` seconds, then ``duration`` seconds
    in which every answer received counts (as wrk counts), with its latency. ``answered`` counts
    every answer, warm-up and the last ones after the window included (what the server did while
    a CPU meter ran around the whole load); ``wire_bytes`` is the median body as sent (compressed
    when the server compressed it: httpx asks for gzip)."""
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    latencies, statuses, sizes, wire, encodings = [], {}, [], [], set()
    answered = 0
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as client:
        start = time.perf_counter()
        measure_from, stop_at = start + warmup, start + warmup + duration

        async def worker():
            nonlocal answered
            while time.perf_counter() < stop_at:
                sent = time.perf_counter()
                try:
                    response = await client.get(path)
                    status, size = response.status_code, len(response.content)
                    sent_bytes, encoding = response.num_bytes_downloaded, response.headers.get("content-encoding")
                    answered += 1
                except httpx.HTTPError as exc:
                    status, size, sent_bytes, encoding = type(exc).__name__, 0, 0, None
                done = time.perf_counter()
                if measure_from <= done <= stop_at:
                    latencies.append(done - sent)
                    statuses[str(status)] = statuses.get(str(status), 0) + 1
                    sizes.append(size)
                    wire.append(sent_bytes)
                    encodings.add(encoding or "identity")

        await asyncio.gather(*(worker() for _ in range(clients)))
    ok = statuses.get("200", 0)
    return {
        "requests": len(latencies),
        "ok": ok,
        "statuses": statuses,
        "rps": round(ok / duration, 2),
        "p50_ms": round(_percentile(latencies, 50) * 1000, 1),
        "p99_ms": round(_percentile(latencies, 99) * 1000, 1),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 1) if latencies else None,
        "max_ms": round(max(latencies) * 1000, 1) if latencies else None,
        "response_bytes": int(statistics.median(sizes)) if sizes else 0,
        "wire_bytes": int(statistics.median(wire)) if wire else 0,
        "content_encoding": sorted(encodings),
        "answered": answered,
    }


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its living children so far (from /proc): the
    workers of ``geo-ntm serve --workers N`` (not the job workers that have ended)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return own + sum(_cpu_seconds(int(c)) for c in children.read_text().split()) if children.exists() else own


def _client_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class _Watch:
    """Samples the service's connections to a PostGIS database (``pg_stat_activity``)."""

    def __init__(self, url: str | None):
        self.url, self.max, self.distinct = url, 0, set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True) if url else None

    def _run(self):
        import psycopg

        with psycopg.connect(self.url, autocommit=True, application_name="bench_watch") as conn:
            while not self._stop.wait(0.05):
                pids = [
                    r[0]
                    for r in conn.execute(
                        "SELECT pid FROM pg_stat_activity WHERE datname ="
                        " current_database() AND application_name = 'geo_ntm'"
                    )
                ]
                self.max = max(self.max, len(pids))
                self.distinct.update(pids)

    def __enter__(self):
        if self._thread:
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread:
            self._thread.join()

    def result(self) -> dict:
        return (
            {"server_connections_max": self.max, "server_connections_distinct": len(self.distinct)} if self.url else {}
        )


def _geo_ntm(db: str, *args: str, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "geo-ntm"), "--db", db, *args],
        env=env or os.environ.copy(),
        check=True,
        capture_output=True,
        text=True,
        **kwargs,
    )


@contextlib.contextmanager
def store_locations(work: Path) -> Iterator[Callable[[str], str]]:
    """Within it, a function giving the location of a new empty store of a kind: ``gpkg`` (a file
    in ``work``) or ``postgis`` (a database of one throwaway cluster, ``tests.support.pg_cluster``,
    started when first needed and stopped on leaving)."""
    from tests.support.pg_cluster import PostgisCluster, server_bindir

    cluster: PostgisCluster | None = None
    made = 0

    def new_store(kind: str) -> str:
        nonlocal cluster, made
        made += 1
        if kind == "gpkg":
            return str(work / f"demo_{made}.gpkg")
        if cluster is None:
            cluster = PostgisCluster(server_bindir())
            cluster.start_with_postgis()
        return cluster.create_database()

    try:
        yield new_store
    finally:
        if cluster is not None:
            cluster.stop()


def load_demo(db: str) -> tuple[float, str]:
    """``geo-ntm demo`` into the store at ``db``: its seconds and its output."""
    started = time.perf_counter()
    output = _geo_ntm(db, "demo").stdout
    return round(time.perf_counter() - started, 1), output


class ServerProcess:
    """A server on a free port of 127.0.0.1, in a subprocess writing to ``log``, once it answers
    ``GET /health`` (any status: tipg has no such path and answers 404). RuntimeError with the log
    when it exits or does not answer within ``wait`` seconds."""

    def __init__(self, argv_for_port, env: dict, log: Path, name: str, wait: float = 60, cwd: Path | None = None):
        from tests.support.local_service import free_port, wait_until_serving

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(log, "w")  # noqa: SIM115 - the server writes to it until stop() closes it
        self.process = subprocess.Popen(
            argv_for_port(self.port), env=env, stdout=self.log, stderr=subprocess.STDOUT, cwd=cwd
        )
        try:
            self.first_answer = wait_until_serving(self.url, self.process, wait)
        except RuntimeError as exc:
            self.stop()
            raise RuntimeError(f"{name} did not start ({exc}): {Path(log).read_text()}") from None

    def stop(self) -> None:
        """Terminate the server (kill it after 20 s) and close its log."""
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


class Service(ServerProcess):
    """``geo-ntm serve`` on a free port of 127.0.0.1, in a subprocess (``serve_args``: more options
    of ``geo-ntm serve``, e.g. ``--workers``), run from the checkout ``tree``."""

    def __init__(self, db: str, pool_size: int, log: Path, serve_args: tuple[str, ...] = (), tree: Path = REPO):
        env = {
            **os.environ,
            "GEO_NTM_LOG_LEVEL": "WARNING",
            "GEO_NTM_DB_POOL_SIZE": str(pool_size),
            "PYTHONPATH": str(tree),  # the checkout the server runs from (--server-tree)
        }
        # ``python -m`` puts the working directory first on sys.path, before PYTHONPATH: run it in
        # ``tree`` too, or the code of the directory the benchmark was started from is served
        super().__init__(
            lambda port: [
                sys.executable,
                "-m",
                "cli.main",
                "--db",
                db,
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                *serve_args,
            ],
            env,
            log,
            "geo-ntm serve",
            cwd=tree,
        )
        try:
            self.first_answer.raise_for_status()
        except httpx.HTTPStatusError as exc:
            self.stop()
            raise RuntimeError(f"geo-ntm serve did not start ({exc}): {Path(log).read_text()}") from None


def run(
    stores=STORES,
    targets=tuple(TARGETS),
    clients: int = 32,
    duration: float = 20.0,
    warmup: float = 3.0,
    workdir: Path | None = None,
    out: Path | None = None,
    pg_admin_url: str | None = None,
    pool_size: int = 10,
    log=print,
    workers: int = 1,
    server_tree: Path = REPO,
) -> dict:
    from tests.support.pg_cluster import PostgisCluster, server_bindir

    work = Path(workdir or tempfile.mkdtemp(prefix="geo_ntm_bench_api_"))
    work.mkdir(parents=True, exist_ok=True)
    results = {
        "what": "GET requests/s and latency of the geo_ntm service under concurrent clients on 127.0.0.1",
        "clients": clients,
        "duration_seconds": duration,
        "warmup_seconds": warmup,
        "targets": dict(TARGETS),
        "load_tool": f"Python asyncio + httpx {httpx.__version__}, one process on the same machine",
        "server": f"geo-ntm serve (uvicorn, {workers} worker process(es)), GEO_NTM_LOG_LEVEL=WARNING",
        "git": git_state(server_tree),
        "load_average_before": os.getloadavg(),
        "started": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": {
            "cpus": multiprocessing.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "note": "2 cores shared by the server, the load generator, PostgreSQL and other workers running at "
        "the same time: figures are lower bounds of what the service does on a quiet machine",
        "runs": {},
    }
    cluster = None
    pg_url = None
    try:
        locations = {}
        if "gpkg" in stores:
            locations["gpkg"] = str(work / "demo.gpkg")
        if {"postgis", "postgis_no_pool"} & set(stores):
            if pg_admin_url is None:
                cluster = PostgisCluster(server_bindir())
                cluster.start_with_postgis()
                pg_url = cluster.create_database()
            else:
                import psycopg

                with psycopg.connect(pg_admin_url, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "bench_api_{os.getpid()}" WITH (FORCE)')
                    conn.execute(f'CREATE DATABASE "bench_api_{os.getpid()}"')
                pg_url = pg_admin_url.rsplit("/", 1)[0] + f"/bench_api_{os.getpid()}"
                with psycopg.connect(pg_url, autocommit=True) as conn:
                    conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            locations["postgis"] = locations["postgis_no_pool"] = pg_url
        loaded = set()
        for store in stores:
            db = locations[store]
            if db not in loaded:
                started = time.perf_counter()
                _geo_ntm(db, "demo")
                loaded.add(db)
                log(f"{store}: demo loaded in {time.perf_counter() - started:.1f} s")
            size = 0 if store == "postgis_no_pool" else pool_size
            serve_args = ("--workers", str(workers)) if workers > 1 else ()
            service = Service(db, size, work / f"serve_{store}.log", serve_args, server_tree)
            try:
                for target in targets:
                    for _ in range(3):  # first requests fill caches (fonts, frameworks, the extent)
                        assert httpx.get(service.url + TARGETS[target], timeout=120).status_code == 200
                    server_cpu, client_cpu = _cpu_seconds(service.process.pid), _client_cpu()
                    with _Watch(db if store != "gpkg" else None) as watch:
                        measured = asyncio.run(_load(service.url, TARGETS[target], clients, duration, warmup))
                    measured["server_cpu_seconds"] = round(_cpu_seconds(service.process.pid) - server_cpu, 1)
                    measured["client_cpu_seconds"] = round(_client_cpu() - client_cpu, 1)
                    measured.update(watch.result())
                    if store != "gpkg":
                        measured["pool_size"] = size
                    results["runs"].setdefault(store, {})[target] = measured
                    log(f"{store} {target}: {json.dumps(measured)}")
            finally:
                service.stop()
    finally:
        if cluster is not None:
            cluster.stop()
        elif pg_url is not None:
            import psycopg

            with psycopg.connect(pg_admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "bench_api_{os.getpid()}" WITH (FORCE)')
    results["finished"] = dt.datetime.now().isoformat(timespec="seconds")
    results["load_average_after"] = os.getloadavg()
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        log(f"wrote {out}")
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="load test of the geo_ntm service on both stores")
    p.add_argument("--stores", nargs="+", default=list(STORES), choices=STORES)
    p.add_argument("--targets", nargs="+", default=list(TARGETS), choices=list(TARGETS))
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--duration", type=float, default=20.0, help="measured seconds per store and target")
    p.add_argument("--warmup", type=float, default=3.0, help="seconds of load before measuring")
    p.add_argument("--pool-size", type=int, default=10, help="GEO_NTM_DB_POOL_SIZE of the postgis run")
    p.add_argument("--workdir", type=Path)
    p.add_argument("--out", type=Path, default=HERE / "results" / "api.json")
    p.add_argument("--pg-admin-url", help="a PostgreSQL server with PostGIS (default: a throwaway cluster)")
    p.add_argument("--workers", type=int, default=1, help="geo-ntm serve --workers")
    p.add_argument("--server-tree", type=Path, default=REPO, help="the checkout the server runs from")
    args = p.parse_args(argv)
    run(
        tuple(args.stores),
        tuple(args.targets),
        args.clients,
        args.duration,
        args.warmup,
        args.workdir,
        args.out,
        args.pg_admin_url,
        args.pool_size,
        workers=args.workers,
        server_tree=args.server_tree.resolve(),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
