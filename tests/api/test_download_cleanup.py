"""A download's temporary folder is removed however the request ends: sent, or the client gone
before the first byte (issue 11: 7 folders, 26 MB left behind). A real uvicorn on 127.0.0.1 with its
own temporary folder, and raw sockets that close as soon as the request is sent."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time

import httpx
import pytest

from tests.support.local_service import free_port, wait_until_serving

PATHS = [
    "/collections/communes/download?format=xlsx&province=B%E1%BA%BFn%20Tre",
    "/collections/communes/download?format=gpkg&province=B%E1%BA%BFn%20Tre",
    "/collections/communes/download?format=shp&province=B%E1%BA%BFn%20Tre",
]


@pytest.fixture(scope="module")
def service(tmp_path_factory, boundaries_2009_template):
    folder = tmp_path_factory.mktemp("cleanup")
    shutil.copy(boundaries_2009_template, folder / "store.gpkg")
    temp = folder / "tmp"
    temp.mkdir()
    port = free_port()
    env = {**os.environ, "GEO_NTM_DB": str(folder / "store.gpkg"), "TMPDIR": str(temp)}
    command = [sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app", "--host", "127.0.0.1"]
    with open(folder / "uvicorn.log", "w") as log:
        process = subprocess.Popen([*command, "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_serving(f"http://127.0.0.1:{port}", process, 30)
        yield port, temp
    finally:
        process.terminate()
        process.wait(10)


def _downloads(temp) -> list[str]:
    return sorted(p.name for p in temp.iterdir() if p.name.startswith("geo_ntm_download_"))


def _hang_up(port: int, path: str) -> None:
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    # closed before a byte of the answer was read


def test_no_temp_folder_is_left_behind(service):
    port, temp = service
    before = _downloads(temp)
    for path in PATHS * 2:
        _hang_up(port, path)
    for path in PATHS:  # a complete download too, once the others were asked
        assert httpx.get(f"http://127.0.0.1:{port}{path}", timeout=120).status_code == 200
    deadline = time.monotonic() + 60
    while _downloads(temp) != before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _downloads(temp) == before
