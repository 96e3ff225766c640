"""Processes the tests and benchmarks start on 127.0.0.1: a free port, and waiting for the
service to answer."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path


def free_port() -> int:
    """A TCP port of 127.0.0.1 free at the time of asking."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_serving(url: str, process: subprocess.Popen, seconds: float):
    """The service's answer (an ``httpx.Response``) to ``GET {url}/health`` once it gives one;
    RuntimeError when ``process`` ends or ``seconds`` pass first."""
    import httpx  # a test dependency: the service itself never waits for itself

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            return httpx.get(f"{url}/health", timeout=2)
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(
        f"the service at {url} did not answer within {seconds:g} s"
        + (f" (it exited with {process.returncode})" if process.poll() is not None else "")
    )


class Server:
    """The service run by uvicorn in a subprocess on 127.0.0.1 (GDAL's HTTP calls hold the GIL, so
    the server cannot share the test's process); its access log says what each client asked."""

    def __init__(self, db: str, log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = {**os.environ, "GEO_NTM_DB": db}
        # the child writes to its own copy of the file descriptor: ours can close once it has started
        with open(log, "w") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "--factory",
                    "api.app:create_app",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--log-level",
                    "info",
                ],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            assert wait_until_serving(self.url, self.process, 30).status_code == 200
        except RuntimeError as exc:
            self.stop()
            raise RuntimeError(f"{exc}: {log.read_text()}") from None

    def requests(self) -> list[str]:
        """The request lines ('GET /path?query') logged so far."""
        return re.findall(r'"(GET [^ ]+) HTTP', self.log.read_text())

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)
