"""The stock desktop client, Debian 12's GDAL 3.6 command-line tools (``gdal-bin``, what QGIS 3.22
reads the service with), against the test service (``conftest.py``): field types from the schema
and the default year without a year, ``-where`` without errors, GeoPackage downloads it opens without a warning, and the
examples of docs/service-and-ogc-api.md run as written."""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pyogrio
import pytest

from tests.api.ogc.support import CITY_XA_2020

pytestmark = [
    pytest.mark.e2e,  # every test reads the uvicorn subprocess (the `server` fixture)
    pytest.mark.skipif(
        shutil.which("ogrinfo") is None or shutil.which("ogr2ogr") is None,
        reason="GDAL's command-line tools are not installed (`make gdal` installs Debian's gdal-bin)",
    ),
]
DOC = Path(__file__).parents[3] / "docs" / "service-and-ogc-api.md"
#: Where the documentation's examples find the service.
DOC_URL = "http://127.0.0.1:8000"


def gdal(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """One GDAL command, its output captured (as text)."""
    return subprocess.run(args, capture_output=True, text=True, timeout=300, cwd=cwd, check=False)


def matched(http, **params) -> int:
    """numberMatched of the service's own answer to an items request."""
    return http.get("/collections/communes/items", params={"limit": 1, **params}).json()["numberMatched"]


def test_gdal_reads_the_field_types_from_the_schema_without_a_year(server):
    # the first page (Hà Nội's wards: no status) types nothing: the types come from /schema
    out = gdal("ogrinfo", "-so", f"OAPIF:{server.url}/collections/communes", "communes")
    assert out.returncode == 0 and "ERROR" not in out.stderr, out.stderr
    fields = dict(re.findall(r"^(\w+): (\S+)", out.stdout, re.MULTILINE))
    assert fields["criteria_met"] == "Integer" and fields["criteria_total"] == "Integer"
    assert fields["year"] == "Integer" and fields["population"] == "Real"
    assert fields["assessed"] == "Integer(Boolean)" and fields["name"] == "String"
    assert any(r.startswith("GET /collections/communes/schema") for r in server.requests())
    # the layer's description (QGIS shows it as the layer's abstract) names the year shown without one
    assert "Default on today's boundaries: year 2020." in out.stdout


def test_gdal_reads_the_default_year_without_a_year(server, http):
    # no `year` in the URL: the latest year with statuses on today's boundaries (2020), as year=2020
    url = f"OAPIF:{server.url}/?province=811"
    frame = pyogrio.read_dataframe(url, layer="communes", where="criteria_met >= 19")
    assert set(frame["name"]) == CITY_XA_2020 and set(frame["year"]) == {2020}
    assert frame["criteria_met"].dtype.kind == "i"
    assert len(frame) == matched(http, year=2020, filter="criteria_met >= 19")


def test_gdal_where_on_a_number_runs_without_error(server, http, tmp_path):
    out_file = tmp_path / "met.gpkg"
    out = gdal(
        "ogr2ogr",
        "-f",
        "GPKG",
        str(out_file),
        f"OAPIF:{server.url}/collections/communes?year=2020",
        "communes",
        "-where",
        "criteria_met >= 19",
    )
    assert out.returncode == 0, out.stderr
    assert "ERROR" not in out.stderr, out.stderr  # no "Unexpected Content-Type" from the queryables
    copied = pyogrio.read_dataframe(out_file)
    expected = matched(http, year=2020, filter="criteria_met >= 19")
    assert len(copied) == expected and expected >= len(CITY_XA_2020)
    assert set(copied["name"]) >= CITY_XA_2020 and copied["criteria_met"].min() >= 19


def test_queryables_and_schema_answer_json_to_a_client_that_accepts_only_json(http):
    gdal_accept = {"Accept": "application/geo+json, application/json"}
    for path in ("/collections/communes/queryables", "/collections/communes/schema"):
        assert http.get(path, headers=gdal_accept).headers["content-type"] == "application/json"
        assert http.get(path).headers["content-type"] == "application/schema+json"
        assert http.get(path, headers={"Accept": "*/*"}).headers["content-type"] == "application/schema+json"
        both = {"Accept": "application/schema+json, application/json;q=0.9"}
        assert http.get(path, headers=both).headers["content-type"] == "application/schema+json"


def test_downloaded_geopackage_is_1_2_and_opens_without_a_warning(http, tmp_path):
    got = http.get("/collections/communes/download", params={"format": "gpkg", "province": "811", "year": 2020})
    assert got.status_code == 200
    path = tmp_path / "communes.gpkg"
    path.write_bytes(got.content)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 10200
    out = gdal("ogrinfo", "-so", "-al", str(path))
    assert out.returncode == 0 and "Feature Count:" in out.stdout
    assert "Warning" not in out.stderr and "ERROR" not in out.stderr, out.stderr


def doc_examples() -> list[str]:
    """The shell commands of the documentation's GDAL example block (continuation lines joined)."""
    text = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, re.DOTALL)
    block = next(b for b in blocks if "OAPIF:" in b and "ogr2ogr" in b)
    return [line for line in block.replace("\\\n", " ").splitlines() if line.strip()]


def test_the_documented_gdal_examples_run_as_written(server, http, tmp_path):
    commands = doc_examples()
    assert [c.split()[0] for c in commands] == ["ogrinfo", "ogr2ogr"]
    for command in commands:
        out = subprocess.run(
            ["bash", "-c", command.replace(DOC_URL, server.url)],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,
            check=False,
        )
        assert out.returncode == 0 and "ERROR" not in out.stderr, (command, out.stderr)
        if command.startswith("ogrinfo"):
            count = int(re.search(r"Feature Count: (\d+)", out.stdout).group(1))
            assert count == matched(http, year=2020, filter="criteria_met >= 19") > 0
    city = pyogrio.read_dataframe(tmp_path / "city.gpkg")
    expected = matched(http, year=2020, filter="district = 'Thành phố Bến Tre' AND unit_type = 'xa'")
    assert len(city) == expected and set(city["name"]) >= CITY_XA_2020
    assert city.crs.to_epsg() == 3405 and 600_000 < city.geometry.centroid.x.mean() < 700_000
