"""`geo-ntm serve`: a taken port is refused with a message naming host and port (exit 2), and the URL
is printed only once the service answers on it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import httpx
import pytest

from cli.main import main
from tests.support.local_service import wait_until_serving


def test_a_taken_port_is_exit_2_naming_host_and_port(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--host", "127.0.0.1", "--port", str(port)]) == 2
    out, err = capsys.readouterr()
    assert f"error: cannot listen on 127.0.0.1:{port}" in err and "--port" in err
    assert "geo_ntm map" not in out  # no URL that would not answer


def test_an_unknown_host_is_exit_2(capsys):
    assert main(["serve", "--host", "no-such-host.invalid", "--port", "8000"]) == 2
    assert "error: cannot listen on no-such-host.invalid:8000" in capsys.readouterr().err


@pytest.mark.e2e
def test_the_url_is_printed_first_and_answers(tmp_path):
    env = {**os.environ, "GEO_NTM_DB": str(tmp_path / "store.gpkg"), "GEO_NTM_LOG_LEVEL": "INFO"}
    server = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "serve", "--host", "127.0.0.1", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        first = server.stdout.readline().strip()  # stderr too: no start-up log line comes before the URL
        assert first.startswith("geo_ntm map: http://127.0.0.1:") and first.endswith("/"), first
        url = first.removeprefix("geo_ntm map: ").rstrip("/")
        assert httpx.get(f"{url}/health", timeout=5).json()["status"] == "ok"  # answers at once, no waiting
        assert wait_until_serving(url, server, 5).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=10)
