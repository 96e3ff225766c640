"""``geo-ntm serve --workers 2`` in a subprocess on 127.0.0.1, on each store: the URL is printed once
both workers serve, both answer, and a background job started on one is answered by ``GET
/jobs/{id}`` on any of them, even once every process that knew it in memory is gone (each worker
killed in turn and restarted by the supervisor: the states are in the folder the workers share).
The world is the hand-made one of ``tests/geo_ntm/infrastructure/reach_world.py`` (TEST data)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.jobs import answer_of

WATER = {"province": "999", "year": 2020, "distance": 250, "households_layer": "households"}


def _workers(pid: int) -> list[int]:
    """The uvicorn worker processes of the supervisor ``pid`` (spawned children)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(c) for c in children if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]


def _replaced(pid: int, dead: int, url: str, seconds: float = 120) -> list[int]:
    """The workers once the supervisor has replaced ``dead`` and the service answers again."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        workers = _workers(pid)
        if len(workers) == 2 and dead not in workers:
            try:
                if all(httpx.get(f"{url}/health", timeout=10).status_code == 200 for _ in range(4)):
                    return workers
            except httpx.HTTPError:
                pass
        time.sleep(0.5)
    raise AssertionError(f"worker {dead} was not replaced within {seconds} s")


@pytest.mark.e2e
def test_two_workers_answer_every_job_url(backend, new_location, tmp_path, world):
    location = world.stored(new_location(backend, with_2009=False), tmp_path)
    env = {**os.environ, "GEO_NTM_JOB_WAIT_SECONDS": "0", "GEO_NTM_LOG_LEVEL": "WARNING"}
    env.pop("GEO_NTM_JOBS_DIR", None)  # serve makes one for its run
    serve = ["serve", "--host", "127.0.0.1", "--port", "0", "--workers", "2"]
    with open(tmp_path / "serve.log", "w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "--db", location, *serve],
            env=env,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
    try:
        first = server.stdout.readline().strip()
        assert first.startswith("geo_ntm map: http://127.0.0.1:") and first.endswith("(2 worker processes)"), (
            first,
            (tmp_path / "serve.log").read_text(),
        )
        url = first.removeprefix("geo_ntm map: ").split("/ ")[0]
        workers = _workers(server.pid)
        assert len(workers) == 2
        started = httpx.get(f"{url}/coverage/water", params=WATER, timeout=60)
        assert started.status_code == 202
        job_url = url + started.headers["Location"]
        while (state := httpx.get(job_url, timeout=30)).json()["state"] not in ("done", "failed"):
            assert state.status_code == 200  # new connections: either worker answers, never 404
            time.sleep(0.1)
        assert state.json()["state"] == "done"
        original = list(workers)
        for dead in original:  # every process that held the job in memory goes
            os.kill(dead, signal.SIGKILL)
            workers = _replaced(server.pid, dead, url)
        assert not set(original) & set(workers)
        for _ in range(6):
            again = httpx.get(job_url, timeout=30)
            assert again.status_code == 200 and again.json()["state"] == "done", again.text
        with httpx.Client(base_url=url, timeout=60) as client:
            answer = answer_of(client, started).json()
        assert answer["totals"] and answer["communes"]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    assert server.returncode == 0
    assert not _leftover_workers(workers)


def _leftover_workers(pids: list[int]) -> list[int]:
    """Those of ``pids`` still running after the supervisor stopped."""
    return [p for p in pids if Path(f"/proc/{p}").exists() and "Z" not in _status(p)]


def _status(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return "Z"
