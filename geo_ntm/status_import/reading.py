"""Read a criterion-status table (CSV or XLSX) into canonical rows.

The header row is found among the first rows by recognising column names in Vietnamese or
English; the layout follows from the columns found (the first of ``layouts.LAYOUTS`` that
accepts them). Every cell is parsed and checked here, so later steps only see typed, valid rows;
each problem is an ``Issue`` that carries the row number a person sees in Excel or a text editor
(header included).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from geo_ntm.errors import GeoNtmError, InputError
from geo_ntm.frameworks import get_framework
from geo_ntm.status_import import layouts
from geo_ntm.status_import.cells import (
    TC_COLUMN,
    Issue,
    Place,
    RowCheck,
    SheetRow,
    cell_text,
    parse_framework,
    parse_int,
    parse_level,
    place_label,
)
from geo_ntm.status_import.layouts.base import Cells, Header, StatusLayout
from geo_ntm.text import fold

HEADER_SEARCH_ROWS = 30

#: The fields every layout shares and the (folded) column names that stand for them; each layout
#: adds its own (``StatusLayout.fields``).
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "province": ("province", "tinh", "ten tinh", "tinh thanh pho", "tinh thanh"),
    "district": (
        "district",
        "huyen",
        "quan",
        "ten huyen",
        "quan huyen",
        "huyen thi xa thanh pho",
        "huyen thi xa",
        "don vi cap huyen",
    ),
    "commune": ("commune", "ward", "xa", "ten xa", "xa phuong", "xa phuong thi tran", "ten xa phuong", "ten don vi"),
    "year": ("year", "nam", "nam danh gia", "nam bao cao"),
    "framework": ("framework", "framework id", "bo tieu chi"),
    "level": ("level", "cap", "muc", "cap do", "muc do"),
    "source": ("source", "nguon", "nguon so lieu"),
    # read by the counts layout, and checked against the criteria of a wide row
    "criteria_met": ("criteria met", "so tieu chi dat", "tieu chi dat", "so tc dat"),
}


@dataclass
class Sheet:
    """Everything read from one status file."""

    sheet: str | None  # worksheet name (XLSX)
    header_row: int
    layout: StatusLayout
    ignored_columns: list[str]  # headers not recognised (or repeated)
    rows_read: int = 0  # data rows below the header, blank and note rows included
    rows_skipped_blank: int = 0
    rows_skipped_notes: int = 0  # rows with text but no commune (titles, notes, totals)
    rows: list[SheetRow] = field(default_factory=list)
    invalid: list[Issue] = field(default_factory=list)
    invalid_places: list[Place] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)


# -- reading cells ----------------------------------------------------------------------------

RawRow = tuple[int, list[object]]  # (row number as a person sees it, cell values)


def _where(path: Path, sheet: str | None) -> str:
    return f"{path}" + (f" (sheet {sheet!r})" if sheet else "")


def _csv_rows(text: str, delimiter: str) -> list[RawRow]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[RawRow] = []
    line = 1
    for cells in reader:
        rows.append((line, list(cells)))
        line = reader.line_num + 1  # a quoted cell may span lines: the next row starts after it
    return rows


def _decode(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path} is not UTF-8 text (undecodable byte at offset {exc.start}); save it from Excel as "
            "'CSV UTF-8 (Comma delimited)' or import the .xlsx workbook itself"
        ) from None


def _xlsx_sheets(path: Path) -> list[tuple[str, list[RawRow]]]:
    """Every worksheet's rows, with vertically merged cells filled down."""
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, XML and its own errors
        raise InputError(f"cannot read {path} as an Excel workbook (.xlsx): {exc}") from None
    sheets = []
    for ws in workbook.worksheets:
        grid = [list(values) for values in ws.iter_rows(values_only=True)]
        for merged in ws.merged_cells.ranges:
            # A cell merged over several rows (a district beside its communes) holds for every
            # row; cells merged across one row only (titles, notes) are left as they are.
            top = grid[merged.min_row - 1][merged.min_col - 1]
            for r in range(merged.min_row, merged.max_row):
                grid[r][merged.min_col - 1] = top
        sheets.append((ws.title, [(i + 1, cells) for i, cells in enumerate(grid)]))
    workbook.close()
    return sheets


# -- the header ---------------------------------------------------------------------------------


def _field_by_alias() -> dict[str, str]:
    """Folded column name -> canonical field, for the shared fields and every registered layout's."""
    aliases = {**FIELD_ALIASES, **layouts.layout_fields()}
    return {alias: name for name, names in aliases.items() for alias in names}


def _read_header(row_index: int, cells: list[object], field_by_alias: dict[str, str]) -> Header:
    fields: dict[str, int] = {}
    criteria: dict[int, int] = {}
    labels = [cell_text(c) for c in cells]
    ignored = []
    for col, label in enumerate(labels):
        if label is None:
            continue
        key = fold(label)
        name = field_by_alias.get(key)
        tc = TC_COLUMN.match(key)
        if name and name not in fields:
            fields[name] = col
        elif name is None and tc and int(tc.group(1)) not in criteria:
            criteria[int(tc.group(1))] = col
        else:
            ignored.append(label)
    return Header(row_index, fields, criteria, labels, ignored)


def _find_header(rows: list[RawRow]) -> tuple[Header, StatusLayout] | None:
    """The first row among the first ``HEADER_SEARCH_ROWS`` naming a commune column and the
    columns of a layout, with that layout."""
    field_by_alias = _field_by_alias()
    for i, (_, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        header = _read_header(i, cells, field_by_alias)
        layout = layouts.detect_layout(header) if "commune" in header.fields else None
        if layout:
            return header, layout
    return None


# -- rows ---------------------------------------------------------------------------------------


class _RowReader:
    """Turns the data rows below a header into ``SheetRow``s, invalid rows and warnings: the shared
    columns here, what the row reports through the sheet's layout."""

    def __init__(self, sheet: Sheet, header: Header, default_framework: str | None, default_level: str | None):
        self.sheet = sheet
        self.header = header
        self.default_framework = default_framework
        self.default_level = default_level

    def read(self, number: int, raw: list[object]) -> None:
        cells = Cells(self.header, [cell_text(c) for c in raw])
        commune = cells.get("commune")
        if commune is None:
            if any(cells.texts):
                self.sheet.rows_skipped_notes += 1
            else:
                self.sheet.rows_skipped_blank += 1
            return
        province, district = cells.get("province"), cells.get("district")
        check = RowCheck(number, place_label(province, district, commune))
        year = cells.parse(check, "year", parse_int)
        framework = cells.parse(check, "framework", parse_framework, self.default_framework)
        level = reported = None
        if framework:
            level = cells.parse(check, "level", parse_level, self.default_level, framework)
            reported = self.sheet.layout.read(cells, framework, check)
        if check.issues:
            self.sheet.invalid.extend(check.issues)
            if year is not None:
                self.sheet.invalid_places.append(Place(number, year, province, district, commune))
            return
        if level is None or reported is None:  # set whenever the row has no problem
            raise ValueError(f"row {number} has no level or reported values but no problem was recorded")
        row = SheetRow(
            number,
            province,
            district,
            commune,
            year,
            framework.framework_id,
            level,
            cells.get("source"),
            reported.values,
            reported.counts,
        )
        self.sheet.warnings.extend(self.sheet.layout.validate(row, cells))
        self.sheet.rows.append(row)


# -- entry point --------------------------------------------------------------------------------


def _candidates(path: Path, sheet: str | None) -> Iterable[tuple[str | None, list[RawRow]]]:
    """The tables a file may hold: one per CSV delimiter, or one per worksheet."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        if sheet is not None:
            raise InputError(f"{path} is a CSV file; the sheet option only applies to .xlsx workbooks")
        text = _decode(path)
        return [(None, _csv_rows(text, d)) for d in (",", ";", "\t")]
    if suffix in (".xlsx", ".xlsm"):
        sheets = _xlsx_sheets(path)
        if sheet is None:
            return sheets
        chosen = [s for s in sheets if s[0] == sheet]
        if not chosen:
            raise InputError(f"{path} has no sheet {sheet!r}; its sheets: {', '.join(name for name, _ in sheets)}")
        return chosen
    raise InputError(f"{path}: unsupported file type {suffix or '(none)'!r}; give a .csv (UTF-8) or .xlsx file")


def read_status_file(
    path: str | Path,
    *,
    sheet: str | None = None,
    default_framework: str | None = None,
    default_level: str | None = None,
) -> Sheet:
    """Read a status table into canonical rows; raises InputError if the file cannot be used at all."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"status file {path} does not exist")
    if default_framework:
        try:
            get_framework(default_framework)
        except GeoNtmError as exc:
            raise InputError(f"{path}: default framework: {exc}") from None
    tried = []
    for name, rows in _candidates(path, sheet):
        found = _find_header(rows)
        if found is None:
            tried.append(name)
            continue
        return _read_rows(path, name, rows, *found, default_framework, default_level)
    sheets = [name for name in tried if name]
    where = f"{path} (sheet{'s' if len(sheets) > 1 else ''} {', '.join(map(repr, sheets))})" if sheets else str(path)
    raise InputError(
        f"{where}: no header row found in the first {HEADER_SEARCH_ROWS} rows; expected a commune column "
        f"(Xã / commune) and {layouts.columns_hint()}"
    )


def _read_rows(
    path: Path,
    sheet_name: str | None,
    rows: list[RawRow],
    header: Header,
    layout: StatusLayout,
    default_framework: str | None,
    default_level: str | None,
) -> Sheet:
    where = _where(path, sheet_name)
    missing = [
        name
        for name, default in (("year", None), ("framework", default_framework), ("level", default_level))
        if name not in header.fields and not default
    ]
    if missing:
        hint = {
            "year": "Năm / year",
            "framework": "Bộ tiêu chí / framework (or give a default framework)",
            "level": "Cấp / level (or give a default level)",
        }
        raise InputError(
            f"{where}: no column for " + "; ".join(hint[m] for m in missing),
            [f"header on row {rows[header.row_index][0]}: " + ", ".join(label for label in header.labels if label)],
        )
    data = rows[header.row_index + 1 :]
    while data and not any(cell_text(c) for c in data[-1][1]):
        data.pop()
    sheet = Sheet(sheet_name, rows[header.row_index][0], layout, header.ignored, rows_read=len(data))
    reader = _RowReader(sheet, header, default_framework, default_level)
    for number, cells in data:
        reader.read(number, cells)
    return sheet
