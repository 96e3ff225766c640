"""Hostile and implausible status files (issue 11): a merged range down to Excel's last row, a
declared dimension of the whole sheet, years 99999 / -5 / 1e300, a CSV field over Python's csv
limit, a 0/0 criteria count, and the row, cell and shared-string ceilings. Each is read in
bounded time and memory or refused naming the row or field, and the store is left as it was."""

from __future__ import annotations

import re
import resource
import time
import zipfile

import openpyxl
import pytest

from geo_ntm.errors import InputError
from geo_ntm.status_import.importer import import_status_file
from geo_ntm.status_import.reading import read_status_file

HEADER = ["Tỉnh", "Huyện", "Xã", "Năm", "Bộ tiêu chí", "Cấp", "Tiêu chí 1"]
BEN_TRE = "Bến Tre,Thành phố Bến Tre"
LONG_HEADER = "province,district,commune,year,framework,level,criterion,status,source"


def _counts(store) -> tuple[int, int, int]:
    return len(store.imports()), len(store.statuses()), len(store.summaries())


def _workbook(path, rows, *, merges=(), dimension=None, strings=None):
    """A small workbook whose first sheet's XML gets ``merges`` (and a declared ``dimension``)
    written in directly: openpyxl itself would create every merged cell."""
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    wb.save(path)
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    if merges:
        cells = "".join(f'<mergeCell ref="{m}"/>' for m in merges)
        xml = xml.replace("</sheetData>", f'</sheetData><mergeCells count="{len(merges)}">{cells}</mergeCells>')
    if dimension:
        xml = re.sub(r'<dimension ref="[^"]*"', f'<dimension ref="{dimension}"', xml)
    parts["xl/worksheets/sheet1.xml"] = xml.encode()
    if strings:  # openpyxl writes inline strings; Excel writes a shared-strings part
        parts["xl/sharedStrings.xml"] = strings.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


def test_a_merged_range_down_to_the_last_row_costs_only_the_rows_held(tmp_path):
    rows = [HEADER] + [["Bến Tre", "Thành phố Bến Tre", "Phú Hưng", 2020, "qd1980_2016", "ntm", "Đạt"]] * 3
    bomb = _workbook(tmp_path / "bomb.xlsx", rows, merges=["A2:A1048576", "B2:XFD1048576"], dimension="A1:XFD1048576")
    assert bomb.stat().st_size < 10_000
    rss, started = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, time.perf_counter()
    sheet = read_status_file(bomb)
    assert time.perf_counter() - started < 5  # was 55 s and 2.7 GB
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss < 100_000  # KiB
    assert sheet.rows_read == 3 and [r.province for r in sheet.rows] == ["Bến Tre"] * 3


def test_merged_cells_are_filled_down_over_the_rows_held(tmp_path):
    rows = [
        HEADER,
        ["Bến Tre", "Thành phố Bến Tre", "Phú Hưng", 2020, "qd1980_2016", "ntm", "Đạt"],
        [None, None, "Phú Nhuận", None, "qd1980_2016", "ntm", "x"],
    ]
    path = _workbook(tmp_path / "merged.xlsx", rows, merges=["A2:A3", "B2:B3", "D2:D3", "A10:A20"])
    sheet = read_status_file(path)
    assert [(r.province, r.district, r.commune, r.year) for r in sheet.rows] == [
        ("Bến Tre", "Thành phố Bến Tre", "Phú Hưng", 2020),
        ("Bến Tre", "Thành phố Bến Tre", "Phú Nhuận", 2020),
    ]


@pytest.mark.parametrize("year", ["99999", "-5", "1e300"])
def test_implausible_years_are_invalid_naming_the_row_and_column(store_2009, tmp_path, year):
    path = tmp_path / "years.csv"
    path.write_text(f"{LONG_HEADER}\n{BEN_TRE},Phú Hưng,{year},qd1980_2016,ntm,1,đạt,A\n", encoding="utf-8")
    before = _counts(store_2009)
    report = import_status_file(store_2009, path)
    (issue,) = report.invalid
    assert (issue.row, issue.column, issue.value) == (2, "year", year)
    assert "not a plausible year (between 1945 and 2100)" in issue.message
    assert not report.stored and _counts(store_2009) == before


def test_a_csv_field_over_the_csv_limit_names_the_row(store_2009, tmp_path):
    path = tmp_path / "huge.csv"
    path.write_text(
        f'{LONG_HEADER}\n{BEN_TRE},Phú Hưng,2020,qd1980_2016,ntm,1,đạt,"{"A" * 140_000}"\n', encoding="utf-8"
    )
    before = _counts(store_2009)
    with pytest.raises(InputError, match=r"huge.csv: row 2 cannot be read as CSV: field larger than field limit"):
        import_status_file(store_2009, path)
    assert _counts(store_2009) == before


def test_a_zero_criteria_total_is_invalid(tmp_path):
    path = tmp_path / "counts.csv"
    lines = [
        "Tỉnh,Huyện,Xã,Năm,Bộ tiêu chí,Cấp,Số tiêu chí đạt,Tổng số tiêu chí",
        f"{BEN_TRE},Phú Nhuận,2020,qd1980_2016,ntm,0/0,",
        f"{BEN_TRE},Phú Hưng,2020,qd1980_2016,ntm,0,0",
        f"{BEN_TRE},Bình Phú,2020,qd1980_2016,ntm,17/19,",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    sheet = read_status_file(path)
    assert {(i.row, i.column) for i in sheet.invalid} == {(2, "Số tiêu chí đạt"), (3, "Tổng số tiêu chí")}
    assert all("criteria total below 1" in i.message for i in sheet.invalid)
    assert [(r.counts.criteria_met, r.counts.criteria_total) for r in sheet.rows if r.counts] == [(17, 19)]


def test_row_cell_and_shared_string_ceilings_are_settings(tmp_path, monkeypatch):
    path = tmp_path / "long.csv"
    path.write_text(
        LONG_HEADER + "\n" + "".join(f"{BEN_TRE},Phú Hưng,2020,qd1980_2016,ntm,{c},đạt,A\n" for c in range(1, 11)),
        encoding="utf-8",
    )
    assert len(read_status_file(path).rows) == 10
    monkeypatch.setenv("GEO_NTM_MAX_SHEET_ROWS", "5")
    with pytest.raises(InputError, match=r"row 6 is beyond the ceiling of 5 rows per sheet \(GEO_NTM_MAX_SHEET_ROWS\)"):
        read_status_file(path)
    monkeypatch.delenv("GEO_NTM_MAX_SHEET_ROWS")
    monkeypatch.setenv("GEO_NTM_MAX_SHEET_CELLS", "40")
    with pytest.raises(InputError, match=r"row 5 brings the cells read to over the ceiling of 40"):
        read_status_file(path)
    monkeypatch.delenv("GEO_NTM_MAX_SHEET_CELLS")
    sst = (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>'
        + "x" * 2000
        + "</t></si></sst>"
    )
    book = _workbook(tmp_path / "b.xlsx", [HEADER], strings=sst)
    monkeypatch.setenv("GEO_NTM_MAX_XLSX_STRINGS_MB", "0.001")
    with pytest.raises(InputError, match=r"shared strings take 0.0 MB uncompressed, over the ceiling of 0.001 MB"):
        read_status_file(book)
