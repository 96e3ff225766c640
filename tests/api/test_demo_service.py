"""`make run` end to end: load the demo into a fresh store, start the real service on
127.0.0.1, ask it for the health, the page and the map, and stop it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.local_service import free_port, wait_until_serving

pytestmark = pytest.mark.e2e  # starts the service as a subprocess

GEO_NTM = [sys.executable, "-m", "cli.main"]


@pytest.fixture
def demo_env(backend, empty_db_location, tmp_path, data_dir) -> dict[str, str]:
    """GEO_NTM_DB: a GeoPackage file in a folder that does not exist yet, or an empty PostGIS database."""
    db = str(tmp_path / "var" / "geo_ntm.gpkg") if backend == "gpkg" else empty_db_location
    return {**os.environ, "GEO_NTM_DB": db, "GEO_NTM_DATA_DIR": str(data_dir), "GEO_NTM_PORT": str(free_port())}


# The README's command, on the embedded store only: PostGIS imports the national boundaries in
# test_import and serves in test_serve_workers, and this run on it took 32 s of make test's budget.
@pytest.mark.parametrize("backend", ["gpkg"])
def test_demo_then_serve(demo_env, backend):
    loaded = subprocess.run([*GEO_NTM, "demo"], env=demo_env, capture_output=True, text=True, timeout=300)
    assert loaded.returncode == 0, loaded.stderr
    assert "communes (commune): 11163 units read" in loaded.stdout and "result: OK, stored" in loaded.stdout
    assert "wards (commune): 3321 units read" in loaded.stdout  # the units of 1 July 2025 beside them
    assert backend == "postgis" or Path(demo_env["GEO_NTM_DB"]).is_file()
    again = subprocess.run([*GEO_NTM, "demo"], env=demo_env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "boundaries of 2009-04-01 already loaded" in again.stdout
    assert "boundaries of 2025-07-01 already loaded" in again.stdout
    assert "stored 0 criterion statuses and 0 summaries" in again.stdout  # idempotent

    serving = {**demo_env, "GEO_NTM_JOB_WAIT_SECONDS": "0"}  # a job's question answers 202 at once
    server = subprocess.Popen(
        [*GEO_NTM, "serve"], env=serving, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    base = f"http://127.0.0.1:{demo_env['GEO_NTM_PORT']}"
    try:
        assert server.stdout.readline().strip() == f"geo_ntm map: {base}/"
        health = wait_until_serving(base, server, 30)
        assert health.json()["status"] == "ok"
        page = httpx.get(f"{base}/", headers={"Accept": "text/html,*/*;q=0.8"}, timeout=10)  # as a browser asks
        assert page.status_code == 200 and "Tỉnh Bến Tre" in page.text
        items = httpx.get(f"{base}/collections/communes/items/8110125", params={"year": 2020}, timeout=10).json()
        assert items["properties"]["criteria_met"] == 19
        vintages = httpx.get(f"{base}/vintages", timeout=10).json()
        assert [v["valid_from"] for v in vintages["vintages"]] == ["2009-04-01", "2025-07-01"]
        options = httpx.get(f"{base}/map/options", params={"province": "86", "year": 2026}, timeout=30).json()
        assert options["province"] == "86" and options["districts"] == [] and len(options["provinces"]) == 34
        # the first tile of a vintage starts the job generalising its shapes (once): 202 and its job
        tile_url = f"{base}/collections/communes/tiles/WebMercatorQuad/10/483/814"  # Tỉnh Vĩnh Long
        tile = httpx.get(tile_url, params={"year": 2026}, timeout=30)
        assert tile.status_code == 202 and tile.headers["location"].startswith("/jobs/")
    finally:
        server.terminate()
        server.wait(timeout=10)
