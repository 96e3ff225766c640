"""The stock desktop GIS, Debian 12's QGIS 3.22 (``python3-qgis``), against the test service
(``conftest.py``): with its default settings it loads the communes of a province without a year in
the URL (the collection's default year, numeric status fields), filters them with a subset string
and draws the GeoPackage download with the style the download carries. QGIS runs in the system
Python (``qgis322_client.py``), once for the module: it starts slowly."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from maps.measures.base import NOT_ASSESSED
from maps.styles import CLASS_FIELD, style_classes
from tests.api.ogc.support import CITY_XA_2020

pytestmark = pytest.mark.e2e  # QGIS reads the uvicorn subprocess (the `server` fixture)
#: Debian's Python, the one python3-qgis installs QGIS's bindings for.
SYSTEM_PYTHON = "/usr/bin/python3"
CLIENT = Path(__file__).with_name("qgis322_client.py")
#: Bến Tre: its first communes by code (Thành phố Bến Tre's) carry the statuses of 2020.
PROVINCE = "811"


def qgis_missing() -> str | None:
    """Why QGIS cannot run here, or None when ``/usr/bin/python3`` imports ``qgis.core``."""
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        return f"{SYSTEM_PYTHON} not found"
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import qgis.core"], capture_output=True, text=True, check=False)
    if probe.returncode:
        return "QGIS's Python bindings are not installed (`make qgis` installs Debian's python3-qgis)"
    return None


@pytest.fixture(scope="module")
def qgis(server, http, tmp_path_factory) -> dict:
    """What QGIS 3.22 found (``qgis322_client.main``), run once on the service and a GeoPackage
    download of the province's communes without a year."""
    reason = qgis_missing()
    if reason:
        pytest.skip(reason)
    got = http.get("/collections/communes/download", params={"format": "gpkg", "province": PROVINCE})
    assert got.status_code == 200, got.text
    gpkg = tmp_path_factory.mktemp("qgis") / "communes.gpkg"
    gpkg.write_bytes(got.content)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run(
        [SYSTEM_PYTHON, str(CLIENT), server.url, PROVINCE, str(gpkg)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def matched(http, **params) -> int:
    """numberMatched of the service's own answer for the province's communes."""
    answer = http.get("/collections/communes/items", params={"limit": 1, "province": PROVINCE, **params})
    return answer.json()["numberMatched"]


def test_qgis_is_3_22(qgis):
    assert qgis["qgis"].startswith("3.22.")


def test_qgis_loads_the_communes_of_the_default_year_with_numeric_fields(qgis, http):
    loaded = qgis["loaded"]
    assert loaded["valid"]
    assert loaded["feature_count"] == loaded["features"] == matched(http) == matched(http, year=2020) > 100
    # QGIS 3.22 types the fields from the first page (not /schema): they carry the 2020 statuses
    assert loaded["types"]["criteria_met"] == loaded["types"]["criteria_total"] == "Integer"
    assert loaded["types"]["year"] == "Integer" and loaded["types"]["population"] == "Real"
    assert loaded["types"]["assessed"] == "Boolean" and loaded["types"]["name"] == "String"
    assert loaded["years"] == [2020] and loaded["criteria_met_max"] == 19


def test_qgis_filters_with_a_subset_string(qgis, http):
    filtered = qgis["filtered"]
    assert filtered["accepted"] and filtered["valid"]
    expected = matched(http, year=2020, filter="criteria_met >= 19")
    assert filtered["feature_count"] == filtered["features"] == expected
    assert set(filtered["names"]) >= CITY_XA_2020 and filtered["years"] == [2020]


def test_qgis_draws_the_download_with_its_style(qgis):
    styled = qgis["styled"]
    assert styled["valid"] and styled["renderer"] == "categorizedSymbol" and styled["field"] == CLASS_FIELD
    classes = style_classes("vi")
    categories = styled["categories"]
    assert [(c["value"], c["label"]) for c in categories] == [(s.key, s.label) for s in classes]
    for category, style in zip(categories, classes, strict=True):
        if style.key == NOT_ASSESSED:
            assert not category["solid"]  # hatched, as the planner's map draws it
        else:
            assert category["solid"] and category["color"] == style.fill
    fills = {c["value"]: c["color"] for c in categories}
    # every feature is drawn with its class's colour; the city's six communes of 2020 are not grey
    assert all(drawn.split("=")[1] == fills[drawn.split("=")[0]] for drawn in styled["drawn"])
    assert sum(n for drawn, n in styled["drawn"].items() if not drawn.startswith(("no_data", NOT_ASSESSED))) >= 6
