"""The OGC API - Features tests' service: a real uvicorn server in a subprocess (GDAL's HTTP calls
hold the GIL, so the server cannot share the test's process) on a store holding the 2009 boundaries,
the Bến Tre city statuses and the city's lineage (vintages 2009-04-01, 2013-04-05, 2020-02-01);
started once for the package."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import httpx
import pytest

from boundaries.vintages import import_lineage
from geo_ntm.status_import.importer import import_status_file
from geo_ntm.store import open_store
from tests.support.local_service import free_port, wait_until_serving


@pytest.fixture(scope="package")
def ogc_store(tmp_path_factory, boundaries_2009_template, data_dir) -> str:
    path = tmp_path_factory.mktemp("ogc") / "store.gpkg"
    shutil.copy(boundaries_2009_template, path)
    with open_store(str(path)) as store:
        assert import_status_file(store, data_dir / "samples" / "status_ben_tre_city_long.csv").ok
        import_lineage(store, resources.files("boundaries") / "examples" / "ben_tre_city_lineage.csv")
    return str(path)


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


@pytest.fixture(scope="package")
def server(ogc_store, tmp_path_factory):
    srv = Server(ogc_store, tmp_path_factory.mktemp("uvicorn") / "access.log")
    yield srv
    srv.stop()


@pytest.fixture(scope="package")
def http(server):
    with httpx.Client(base_url=server.url, timeout=60) as client:
        yield client
