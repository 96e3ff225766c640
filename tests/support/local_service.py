"""Processes the tests and benchmarks start on 127.0.0.1: a free port, and waiting for the
service to answer."""

from __future__ import annotations

import socket
import subprocess
import time


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
