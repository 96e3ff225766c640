"""Read a criterion-status table (CSV or XLSX) into canonical rows.

The header row is found among the first rows by recognising column names in Vietnamese or
English; the layout follows from the columns found (the first of ``layouts.LAYOUTS`` that
accepts them). Every cell is parsed and checked here, so later steps only see typed, valid rows;
each problem is an ``Issue`` that carries the row number a person sees in Excel or a text editor
(header included).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import itertools
import re
import zipfile
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from geo_ntm.domain import AdminTier
from geo_ntm.errors import GeoNtmError, InputError
from geo_ntm.frameworks import all_frameworks, get_framework
from geo_ntm.settings import Settings
from geo_ntm.status_import import layouts
from geo_ntm.status_import.cells import (
    TC_COLUMN,
    Issue,
    Place,
    RowCheck,
    SheetRow,
    cell_text,
    indicator_label,
    outside_period,
    parse_framework,
    parse_level,
    parse_year,
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
    "level": ("level", "cap", "muc", "cap do", "muc do", "muc dat chuan", "muc cong nhan"),
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
    tier: AdminTier = AdminTier.COMMUNE  # the units the rows name (no commune column: districts or provinces)
    rows_read: int = 0  # data rows below the header, blank and note rows included
    rows_skipped_blank: int = 0
    rows_skipped_notes: int = 0  # rows with text but no commune (titles, notes, totals)
    rows: list[SheetRow] = field(default_factory=list)
    invalid: list[Issue] = field(default_factory=list)
    invalid_places: list[Place] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)


# -- reading cells ----------------------------------------------------------------------------
#
# Rows are streamed: a CSV line by line, a worksheet row by row (openpyxl's read-only mode), so an
# import holds the rows it keeps, not the file. Each table is bounded before and while it is read:
# rows (GEO_NTM_MAX_SHEET_ROWS), cells (GEO_NTM_MAX_SHEET_CELLS) and a workbook's shared strings
# (GEO_NTM_MAX_XLSX_STRINGS_MB, held in memory by any XLSX reader).

RawRow = tuple[int, list[object]]  # (row number as a person sees it, cell values)

#: A merged range in a worksheet's XML (``<mergeCell ref="B3:B4"/>``, any namespace prefix).
_MERGE_CELL = re.compile(rb"<(?:[\w.-]+:)?mergeCell\s[^>]*?\bref=\"([A-Za-z]{1,3}\d{1,7}(?::[A-Za-z]{1,3}\d{1,7})?)\"")
_EXCEL_COLUMNS = 16_384


def _where(path: Path, sheet: str | None) -> str:
    return f"{path}" + (f" (sheet {sheet!r})" if sheet else "")


@dataclass(frozen=True)
class _Limits:
    rows: int
    cells: int
    strings_mb: float

    @classmethod
    def from_settings(cls) -> _Limits:
        s = Settings.from_env()
        return cls(s.max_sheet_rows, s.max_sheet_cells, s.max_xlsx_strings_mb)


def _bounded(rows: Iterable[RawRow], where: str, limits: _Limits) -> Iterator[RawRow]:
    """``rows``, refused (InputError naming the row) once they pass the row or cell ceiling."""
    cells = 0
    for number, values in rows:
        if number > limits.rows:
            raise InputError(
                f"{where}: row {number} is beyond the ceiling of {limits.rows:,} rows per sheet "
                "(GEO_NTM_MAX_SHEET_ROWS); split the file"
            )
        cells += len(values)
        if cells > limits.cells:
            raise InputError(
                f"{where}: row {number} brings the cells read to over the ceiling of {limits.cells:,} per sheet "
                "(GEO_NTM_MAX_SHEET_CELLS); split the file or delete unused columns"
            )
        yield number, values


def _csv_rows(path: Path, delimiter: str) -> Iterator[RawRow]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        line = 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # a field over csv.field_size_limit() (131,072 characters), a NUL ...
                raise InputError(f"{path}: row {line} cannot be read as CSV: {exc}") from None
            yield line, list[object](cells)
            line = reader.line_num + 1  # a quoted cell may span lines: the next row starts after it


def _check_utf8(path: Path) -> None:
    """Refuse a file that is not UTF-8, naming the first undecodable byte (read in chunks)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            pending = len(decoder.getstate()[0])  # bytes of a character cut by the previous chunk
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                offset += exc.start - pending
                raise InputError(
                    f"{path} is not UTF-8 text (undecodable byte at offset {offset}); save it from Excel as "
                    "'CSV UTF-8 (Comma delimited)' or import the .xlsx workbook itself"
                ) from None
            offset += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise InputError(f"{path} is not UTF-8 text (it ends inside a character)") from None


def _merged_ranges(archive: zipfile.ZipFile, part: str, where: str, limits: _Limits) -> list[tuple[int, int, int]]:
    """The vertically merged ranges of a worksheet as (first row, last row, column), read from its
    XML in chunks (read-only worksheets do not give them; they follow the cells in the file)."""
    refs: list[bytes] = []
    tail = b""
    with archive.open(part) as xml:
        for chunk in iter(lambda: xml.read(1 << 20), b""):
            buffer, last = tail + chunk, 0
            for match in _MERGE_CELL.finditer(buffer):
                refs.append(match.group(1))
                last = match.end()
            if len(refs) > limits.rows:
                raise InputError(f"{where}: more than {limits.rows:,} merged ranges (GEO_NTM_MAX_SHEET_ROWS)")
            tail = buffer[max(last, len(buffer) - 512) :]
    from openpyxl.utils.cell import range_boundaries  # openpyxl is imported by XLSX imports only

    ranges = []
    for ref in refs:
        try:
            min_col, min_row, _, max_row = range_boundaries(ref.decode())
        except ValueError:
            continue
        if min_row is not None and max_row is not None and min_col is not None and max_row > min_row:
            if min_col > _EXCEL_COLUMNS:
                raise InputError(f"{where}: merged range {ref.decode()} lies beyond Excel's last column")
            ranges.append((min_row, max_row, min_col))
    return ranges


def _filled_down(rows: Iterable[tuple[object, ...]], merged: list[tuple[int, int, int]]) -> Iterator[RawRow]:
    """Rows numbered from 1, with the top cell of each vertically merged range written into the
    rows below it. Only rows the sheet holds are filled: a range declared down to row 1,048,576
    costs nothing past the last row."""
    starts: dict[int, list[tuple[int, int]]] = {}
    for min_row, max_row, col in merged:
        starts.setdefault(min_row, []).append((col, max_row))
    active: dict[int, tuple[object, int]] = {}  # column -> (top value, last row)
    for number, values in enumerate(rows, start=1):
        cells = list(values)
        if active:
            for col, (value, last) in list(active.items()):
                if last < number:
                    del active[col]
                    continue
                if len(cells) < col:
                    cells.extend([None] * (col - len(cells)))
                cells[col - 1] = value
        for col, last in starts.get(number, ()):
            active[col] = (cells[col - 1] if col <= len(cells) else None, last)
        yield number, cells


def _guarded(rows: Iterable[tuple[object, ...]], path: Path) -> Iterator[tuple[object, ...]]:
    """A worksheet's rows; a broken part found while streaming is an InputError."""
    try:
        yield from rows
    except Exception as exc:  # openpyxl raises XML, zipfile and its own errors
        raise InputError(f"cannot read {path} as an Excel workbook (.xlsx): {exc}") from None


def _xlsx_sheets(path: Path, limits: _Limits) -> Iterator[tuple[str, Iterator[RawRow]]]:
    """Every worksheet's rows (streamed), with vertically merged cells filled down."""
    import openpyxl
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    try:
        with zipfile.ZipFile(path) as archive:
            strings = sum(i.file_size for i in archive.infolist() if i.filename.lower().endswith("sharedstrings.xml"))
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"cannot read {path} as an Excel workbook (.xlsx): {exc}") from None
    if strings > limits.strings_mb * 1e6:
        raise InputError(
            f"{path}: its shared strings take {strings / 1e6:,.1f} MB uncompressed, over the ceiling of "
            f"{limits.strings_mb:g} MB (GEO_NTM_MAX_XLSX_STRINGS_MB)"
        )
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, XML and its own errors
        raise InputError(f"cannot read {path} as an Excel workbook (.xlsx): {exc}") from None
    try:
        for ws in workbook.worksheets:
            if not isinstance(ws, ReadOnlyWorksheet):  # chartsheets have no cells
                continue
            where = _where(path, ws.title)
            ws.reset_dimensions()  # the declared dimension (A1:XFD1048576) would pad every row
            merged = _merged_ranges(workbook._archive, ws._worksheet_path, where, limits)
            rows = _guarded(ws.iter_rows(values_only=True), path)
            yield ws.title, _bounded(_filled_down(rows, merged), where, limits)
    except InputError:
        raise
    except Exception as exc:  # a broken part found while streaming
        raise InputError(f"cannot read {path} as an Excel workbook (.xlsx): {exc}") from None
    finally:
        workbook.close()


# -- the header ---------------------------------------------------------------------------------


def _field_by_alias() -> dict[str, str]:
    """Folded column name -> canonical field, for the shared fields and every registered layout's."""
    aliases = {**FIELD_ALIASES, **layouts.layout_fields()}
    return {alias: name for name, names in aliases.items() for alias in names}


def _read_header(row_index: int, cells: list[object], field_by_alias: dict[str, str]) -> Header:
    fields: dict[str, int] = {}
    criteria: dict[int, int] = {}
    indicators: dict[str, tuple[int, int, str | None]] = {}
    labels = [cell_text(c) for c in cells]
    ignored = []
    for col, label in enumerate(labels):
        if label is None:
            continue
        key = fold(label)
        name = field_by_alias.get(key)
        indicator = indicator_label(label) if name is None else None
        tc = TC_COLUMN.match(key) if indicator is None else None
        if name and name not in fields:
            fields[name] = col
        elif indicator and indicator[1] not in indicators:
            indicators[indicator[1]] = (col, indicator[0], indicator[2])
        elif name is None and tc and int(tc.group(1)) not in criteria:
            criteria[int(tc.group(1))] = col
        else:
            ignored.append(label)
    return Header(row_index, fields, criteria, labels, ignored, indicators)


#: The column that names a row's unit, by tier: a file without a commune column names districts,
#: one without a district column either names provinces.
UNIT_COLUMNS = {AdminTier.COMMUNE: "commune", AdminTier.DISTRICT: "district", AdminTier.PROVINCE: "province"}


def unit_tier(header: Header) -> AdminTier | None:
    """The tier of the units a header's rows name (its lowest unit column), None without one."""
    return next((tier for tier, name in UNIT_COLUMNS.items() if name in header.fields), None)


def _find_header(rows: list[RawRow]) -> tuple[Header, StatusLayout] | None:
    """The first row among the first ``HEADER_SEARCH_ROWS`` naming a unit column (commune, else
    district, else province) and the columns of a layout, with that layout."""
    field_by_alias = _field_by_alias()
    for i, (_, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        header = _read_header(i, cells, field_by_alias)
        layout = layouts.detect_layout(header) if unit_tier(header) else None
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
        self.frameworks = all_frameworks()  # read once: it reads the settings and a folder

    def read(self, number: int, raw: list[object]) -> None:
        cells = Cells(self.header, [cell_text(c) for c in raw])
        commune = cells.get(UNIT_COLUMNS[self.sheet.tier])  # the unit's name, whatever its tier
        if commune is None:
            if any(cells.texts):
                self.sheet.rows_skipped_notes += 1
            else:
                self.sheet.rows_skipped_blank += 1
            return
        province = cells.get("province")
        district = cells.get("district") if self.sheet.tier is AdminTier.COMMUNE else None
        check = RowCheck(number, place_label(province, district, commune))
        layout = self.sheet.layout
        year = self._year(cells, check)
        framework = level = reported = None
        named = bool(cells.get("framework") or self.default_framework) or "framework" not in layout.optional
        if named:
            framework = cells.parse(check, "framework", parse_framework, self.default_framework, self.frameworks)
        if framework or not named:
            level = cells.parse(check, "level", parse_level, self.default_level, framework)
            reported = layout.read(cells, framework, check)
            year = year if year is not None else reported.year
        if check.issues:
            self.sheet.invalid.extend(check.issues)
            if year is not None:
                self.sheet.invalid_places.append(Place(number, year, province, district, commune))
            return
        if level is None or reported is None or year is None:  # set whenever the row has no problem
            raise ValueError(f"row {number} has no year, level or reported values but no problem was recorded")
        row = SheetRow(
            number,
            province,
            district,
            commune,
            year,
            framework.framework_id if framework else None,
            level,
            cells.get("source"),
            reported.values,
            reported.counts,
            reported.recognition,
            reported.indicators,
        )
        period = outside_period(year, framework) if framework else None
        if period:
            label = cells.label("year")
            self.sheet.warnings.append(Issue(number, f"{label} {period}", label, cells.get("year"), row.place))
        self.sheet.warnings.extend(self.sheet.layout.validate(row, cells))
        self.sheet.rows.append(row)

    def _year(self, cells: Cells, check: RowCheck) -> int | None:
        """The year cell; None (the layout then gives the year) when the layout may do without a
        year column and the header has none."""
        if "year" not in self.header.fields and "year" in self.sheet.layout.optional:
            return None
        return cells.parse(check, "year", parse_year)


# -- entry point --------------------------------------------------------------------------------


def _candidates(path: Path, sheet: str | None, limits: _Limits) -> Generator[tuple[str | None, Iterator[RawRow]]]:
    """The tables a file may hold: one per CSV delimiter, or one per worksheet, each streamed."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        if sheet is not None:
            raise InputError(f"{path} is a CSV file; the sheet option only applies to .xlsx workbooks")
        _check_utf8(path)
        for delimiter in (",", ";", "\t"):
            yield None, _bounded(_csv_rows(path, delimiter), str(path), limits)
        return
    if suffix in (".xlsx", ".xlsm"):
        names = []
        for name, rows in _xlsx_sheets(path, limits):
            names.append(name)
            if sheet is None or name == sheet:
                yield name, rows
                if sheet is not None:
                    return
        if sheet is not None:
            raise InputError(f"{path} has no sheet {sheet!r}; its sheets: {', '.join(names)}")
        return
    raise InputError(f"{path}: unsupported file type {suffix or '(none)'!r}; give a .csv (UTF-8) or .xlsx file")


def tables(path: str | Path, sheet: str | None = None) -> Generator[tuple[str | None, Iterator[RawRow]]]:
    """The tables a CSV (one per delimiter) or XLSX file (one per worksheet, or ``sheet``) may hold,
    each streamed as numbered rows within the GEO_NTM_MAX_SHEET_* ceilings; InputError when the
    file does not exist or cannot be read. Other imports (commune groups, targets) read their files
    through it, with the same rules as a status file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"file {path} does not exist")
    return _candidates(path, sheet, _Limits.from_settings())


def read_status_file(
    path: str | Path,
    *,
    sheet: str | None = None,
    default_framework: str | None = None,
    default_level: str | None = None,
) -> Sheet:
    """Read a status table into canonical rows; raises InputError if the file cannot be used at all.
    Rows are streamed: memory grows with the rows kept, not with the file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"status file {path} does not exist")
    if default_framework:
        try:
            get_framework(default_framework)
        except GeoNtmError as exc:
            raise InputError(f"{path}: default framework: {exc}") from None
    tried = []
    with contextlib.closing(_candidates(path, sheet, _Limits.from_settings())) as candidates:
        for name, rows in candidates:
            head = list(itertools.islice(rows, HEADER_SEARCH_ROWS))
            found = _find_header(head)
            if found is None:
                tried.append(name)
                getattr(rows, "close", lambda: None)()  # the file it streams from
                continue
            header, layout = found
            data = itertools.chain(head[header.row_index + 1 :], rows)
            return _read_rows(path, name, head, data, header, layout, default_framework, default_level)
    sheets = [name for name in tried if name]
    where = f"{path} (sheet{'s' if len(sheets) > 1 else ''} {', '.join(map(repr, sheets))})" if sheets else str(path)
    raise InputError(
        f"{where}: no header row found in the first {HEADER_SEARCH_ROWS} rows; expected a commune column "
        "(Xã / commune; or Huyện / district, Tỉnh / province for district or province rows) and "
        f"{layouts.columns_hint()}"
    )


def _read_rows(
    path: Path,
    sheet_name: str | None,
    head: list[RawRow],
    data: Iterable[RawRow],
    header: Header,
    layout: StatusLayout,
    default_framework: str | None,
    default_level: str | None,
) -> Sheet:
    where = _where(path, sheet_name)
    missing = [
        name
        for name, default in (("year", None), ("framework", default_framework), ("level", default_level))
        if name not in header.fields and not default and name not in layout.optional
    ]
    if missing:
        hint = {
            "year": "Năm / year",
            "framework": "Bộ tiêu chí / framework (or give a default framework)",
            "level": "Cấp / level (or give a default level)",
        }
        raise InputError(
            f"{where}: no column for " + "; ".join(hint[m] for m in missing),
            [f"header on row {head[header.row_index][0]}: " + ", ".join(label for label in header.labels if label)],
        )
    tier = unit_tier(header)
    if tier is None:  # _find_header takes only a header with a unit column
        raise ValueError(f"{where}: the header has no unit column")
    sheet = Sheet(sheet_name, head[header.row_index][0], layout, header.ignored, tier)
    reader = _RowReader(sheet, header, default_framework, default_level)
    blank = 0  # blank rows not yet counted: those at the end of the table are not rows read
    for number, cells in data:
        if not any(cell_text(c) for c in cells):
            blank += 1
            continue
        sheet.rows_read += blank + 1
        sheet.rows_skipped_blank += blank
        blank = 0
        reader.read(number, cells)
    return sheet
