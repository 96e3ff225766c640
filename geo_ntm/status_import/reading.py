"""Read a criterion-status table (CSV or XLSX) into canonical rows.

The header row is found among the first rows by recognising column names in Vietnamese or
English; the layout (wide, long or counts) follows from the columns found. Every cell is parsed
and checked here, so later steps only see typed, valid rows; each problem is an ``Issue`` that
carries the row number a person sees in Excel or a text editor (header included).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from geo_ntm.domain import LEVELS, Framework
from geo_ntm.errors import GeoNtmError, InputError
from geo_ntm.frameworks import all_frameworks, get_framework
from geo_ntm.text import fold, nfc

HEADER_SEARCH_ROWS = 30

#: Canonical fields and the (folded) column names that stand for them.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "province": ("province", "tinh", "ten tinh", "tinh thanh pho", "tinh thanh"),
    "district": ("district", "huyen", "quan", "ten huyen", "quan huyen", "huyen thi xa thanh pho",
                 "huyen thi xa", "don vi cap huyen"),
    "commune": ("commune", "ward", "xa", "ten xa", "xa phuong", "xa phuong thi tran", "ten xa phuong",
                "ten don vi"),
    "year": ("year", "nam", "nam danh gia", "nam bao cao"),
    "framework": ("framework", "framework id", "bo tieu chi"),
    "level": ("level", "cap", "muc", "cap do", "muc do"),
    "criterion": ("criterion", "tieu chi", "tieu chi so", "so tieu chi"),
    "status": ("status", "result", "tinh trang", "ket qua", "danh gia"),
    "source": ("source", "nguon", "nguon so lieu"),
    "criteria_met": ("criteria met", "so tieu chi dat", "tieu chi dat", "so tc dat"),
    "criteria_total": ("criteria total", "tong so tieu chi", "tong tieu chi", "tong so tc"),
    "recognized": ("recognized", "recognised", "cong nhan", "da cong nhan"),
    "decision": ("decision", "quyet dinh", "so quyet dinh", "so qd", "qd cong nhan"),
    "decision_date": ("decision date", "ngay quyet dinh", "ngay cong nhan", "ngay qd"),
}
_FIELD_BY_ALIAS = {alias: name for name, aliases in FIELD_ALIASES.items() for alias in aliases}
#: "TC1", "TC 1", "TC01", "Tiêu chí 1", "Tiêu chí số 1: Quy hoạch", "criterion 1" (folded).
_TC_COLUMN = re.compile(r"^(?:tc|tieu chi|criterion)\s*(?:so\s*)?(\d{1,2})\b")

_MET = {"dat", "x", "1", "yes", "co", "met", "true"}
_UNMET = {"chua dat", "khong dat", "0", "no", "khong", "not met", "false"}
_RECOGNIZED = {"yes", "co", "x", "1", "true", "da cong nhan", "cong nhan"}
_NOT_RECOGNIZED = {"no", "khong", "0", "false", "chua", "chua cong nhan"}
_LEVEL_BY_NAME = {fold(name): level for level, labels in LEVELS.items() for name in (level, *labels)}
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
_DMY_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_FRACTION = re.compile(r"^(\d+)\s*/\s*(\d+)$")
_WORDS = re.compile(r"[\w\s]+")


@dataclass(frozen=True)
class Issue:
    """A problem (or a remark) about one spreadsheet row."""

    row: int
    message: str
    column: str | None = None  # the column header as written
    value: str | None = None  # the cell as written
    place: str | None = None  # "province / district / commune" as written
    candidates: tuple[dict, ...] = ()  # closest or competing units: name, district, province, code


@dataclass(frozen=True)
class CriterionValue:
    """One reported criterion of a row."""

    criterion: int
    met: bool
    column: str


@dataclass(frozen=True)
class Counts:
    """The 'counts' layout: criteria met out of a total, with the recognition decision."""

    criteria_met: int
    criteria_total: int
    recognized: bool
    decision: str | None
    decision_date: dt.date | None


def place_label(province: str | None, district: str | None, commune: str | None) -> str:
    """"province / district / commune" as written in the sheet."""
    return " / ".join(p or "—" for p in (province, district, commune))


@dataclass(frozen=True)
class Place:
    """The names of a row whose values are invalid, still matched so that every problem of the
    file is reported at once."""

    row: int
    year: int
    province: str | None
    district: str | None
    commune: str

    @property
    def place(self) -> str:
        return place_label(self.province, self.district, self.commune)


@dataclass(frozen=True)
class SheetRow:
    """One valid data row: where, when, which framework and level, and what was reported."""

    row: int
    province: str | None
    district: str | None
    commune: str
    year: int
    framework_id: str
    level: str
    source: str | None
    values: tuple[CriterionValue, ...] = ()  # wide and long layouts
    counts: Counts | None = None  # counts layout

    @property
    def place(self) -> str:
        return place_label(self.province, self.district, self.commune)


@dataclass
class Sheet:
    """Everything read from one status file."""

    sheet: str | None  # worksheet name (XLSX)
    header_row: int
    layout: str  # "wide", "long" or "counts"
    ignored_columns: list[str]  # headers not recognised (or repeated)
    rows_read: int = 0  # data rows below the header, blank and note rows included
    rows_skipped_blank: int = 0
    rows_skipped_notes: int = 0  # rows with text but no commune (titles, notes, totals)
    rows: list[SheetRow] = field(default_factory=list)
    invalid: list[Issue] = field(default_factory=list)
    invalid_places: list[Place] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)


@dataclass(frozen=True)
class _Header:
    row_index: int
    fields: dict[str, int]  # canonical field -> column index
    criteria: dict[int, int]  # criterion number -> column index (wide layout)
    labels: list[str | None]
    ignored: list[str]

    @property
    def layout(self) -> str | None:
        if self.criteria:
            return "wide"
        if "criterion" in self.fields and "status" in self.fields:
            return "long"
        if "criteria_met" in self.fields:
            return "counts"
        return None


# -- reading cells ----------------------------------------------------------------------------

RawRow = tuple[int, list[object]]  # (row number as a person sees it, cell values)


def _cell_text(value: object) -> str | None:
    """A cell as NFC text: whole floats without '.0', dates as ISO, blanks as None."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    return nfc(value)


def _where(path: Path, sheet: str | None) -> str:
    return f"{path}" + (f" (sheet {sheet!r})" if sheet else "")


def _csv_rows(text: str, delimiter: str) -> list[RawRow]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows, line = [], 1
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
    import openpyxl  # noqa: PLC0415 - only needed for workbooks

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


def _read_header(row_index: int, cells: list[object]) -> _Header:
    fields: dict[str, int] = {}
    criteria: dict[int, int] = {}
    labels = [_cell_text(c) for c in cells]
    ignored = []
    for col, label in enumerate(labels):
        if label is None:
            continue
        key = fold(label)
        name = _FIELD_BY_ALIAS.get(key)
        tc = _TC_COLUMN.match(key)
        if name and name not in fields:
            fields[name] = col
        elif name is None and tc and int(tc.group(1)) not in criteria:
            criteria[int(tc.group(1))] = col
        else:
            ignored.append(label)
    return _Header(row_index, fields, criteria, labels, ignored)


def _find_header(rows: list[RawRow]) -> _Header | None:
    """The first row among the first ``HEADER_SEARCH_ROWS`` naming a commune column and a layout."""
    for i, (_, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        header = _read_header(i, cells)
        if "commune" in header.fields and header.layout:
            return header
    return None


# -- parsing values ---------------------------------------------------------------------------
# Each parser takes a cell's text (None when empty) and raises ValueError with the end of a
# sentence that starts with the column name and the value.


def _parse_int(text: str | None) -> int:
    if text is None:
        raise ValueError("is empty")
    try:
        number = float(text)
    except ValueError:
        raise ValueError("is not a number") from None
    if not number.is_integer():
        raise ValueError("is not a whole number")
    return int(number)


def _parse_count(text: str | None) -> tuple[int, int | None]:
    """Criteria met, written "16" or "16/19" (then with its total)."""
    fraction = _FRACTION.match(text or "")
    if fraction:
        return int(fraction.group(1)), int(fraction.group(2))
    return _parse_int(text), None


@functools.lru_cache(maxsize=4096)
def _word_key(text: str | None) -> str | None:
    """The folded value of a cell made of words only ("đạt?" is not "đạt")."""
    return fold(text) if text is not None and _WORDS.fullmatch(text) else None


def _parse_status(text: str | None) -> bool:
    key = _word_key(text)
    if key in _MET:
        return True
    if key in _UNMET:
        return False
    raise ValueError("is empty" if text is None else
                     "is not a status; use Đạt (or x, 1, yes, met) or Chưa đạt (or không đạt, 0, no, not met)")


def _parse_recognized(text: str | None) -> bool:
    key = _word_key(text)
    if text is None or key in _NOT_RECOGNIZED:
        return False
    if key in _RECOGNIZED:
        return True
    raise ValueError("is not a yes/no value; use yes/có/x/1 or no/không/0, or leave it empty")


def _parse_date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    iso, dmy = _ISO_DATE.match(text), _DMY_DATE.match(text)
    if not (iso or dmy):
        raise ValueError("is not a date; write it as dd/mm/yyyy or yyyy-mm-dd")
    year, month, day = (iso.group(1), iso.group(2), iso.group(3)) if iso else (dmy.group(3), dmy.group(2), dmy.group(1))
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        raise ValueError("is not a valid date") from None


def _has_criterion(framework: Framework, number: int) -> bool:
    return any(c.number == number for c in framework.criteria)


def _not_a_criterion(framework: Framework) -> str:
    numbers = [c.number for c in framework.criteria]
    return f"is not a criterion of {framework.framework_id} (criteria {min(numbers)}-{max(numbers)})"


def _parse_criterion(text: str | None, framework: Framework) -> int:
    tc = _TC_COLUMN.match(fold(text))
    number = int(tc.group(1)) if tc else _parse_int(text)
    if not _has_criterion(framework, number):
        raise ValueError(_not_a_criterion(framework))
    return number


def _parse_framework(text: str | None, default: str | None) -> Framework:
    chosen = (text or default or "").strip().lower()
    if not chosen:
        raise ValueError("is empty and no default framework was given")
    try:
        return get_framework(chosen)
    except GeoNtmError:
        raise ValueError(f"is not a known framework; known: {', '.join(all_frameworks())}") from None


def _parse_level(text: str | None, default: str | None, framework: Framework) -> str:
    chosen = text or default
    if not chosen:
        raise ValueError("is empty and no default level was given")
    level = _LEVEL_BY_NAME.get(fold(chosen))
    if level not in framework.levels:
        raise ValueError(f"is not a level of {framework.framework_id}; its levels: {', '.join(framework.levels)}")
    return level


# -- rows ---------------------------------------------------------------------------------------


class _RowCheck:
    """Collects the problems of one row while its cells are parsed."""

    def __init__(self, number: int, place: str):
        self.number = number
        self.place = place
        self.issues: list[Issue] = []

    def fail(self, label: str, text: str | None, message: str) -> None:
        shown = f" {text!r}" if text is not None else ""
        self.issues.append(Issue(self.number, f"{label}{shown} {message}", label, text, self.place))

    def parse(self, label: str, text: str | None, parser, *args):
        """``parser(text, *args)``, or None after recording its complaint."""
        try:
            return parser(text, *args)
        except ValueError as exc:
            self.fail(label, text, str(exc))
            return None


class _RowReader:
    """Turns the data rows below a header into ``SheetRow``s, invalid rows and warnings."""

    def __init__(self, sheet: Sheet, header: _Header, default_framework: str | None, default_level: str | None):
        self.sheet = sheet
        self.header = header
        self.default_framework = default_framework
        self.default_level = default_level

    def label(self, name: str) -> str:
        col = self.header.fields.get(name)
        return self.header.labels[col] if col is not None else name

    def get(self, texts: list[str | None], name: str) -> str | None:
        col = self.header.fields.get(name)
        return texts[col] if col is not None and col < len(texts) else None

    def read(self, number: int, cells: list[object]) -> None:
        texts = [_cell_text(c) for c in cells]
        commune = self.get(texts, "commune")
        if commune is None:
            if any(texts):
                self.sheet.rows_skipped_notes += 1
            else:
                self.sheet.rows_skipped_blank += 1
            return
        province, district = self.get(texts, "province"), self.get(texts, "district")
        check = _RowCheck(number, place_label(province, district, commune))
        year = check.parse(self.label("year"), self.get(texts, "year"), _parse_int)
        framework = check.parse(self.label("framework"), self.get(texts, "framework"), _parse_framework,
                                self.default_framework)
        level = values = counts = None
        if framework:
            level = check.parse(self.label("level"), self.get(texts, "level"), _parse_level, self.default_level,
                                framework)
            if self.sheet.layout == "counts":
                counts = self._counts(texts, framework, check)
            else:
                values = self._values(texts, framework, check)
        if check.issues:
            self.sheet.invalid.extend(check.issues)
            if year is not None:
                self.sheet.invalid_places.append(Place(number, year, province, district, commune))
            return
        row = SheetRow(number, province, district, commune, year, framework.framework_id, level,
                       self.get(texts, "source"), values or (), counts)
        if self.sheet.layout == "wide":
            self._check_wide_count(row, texts)
        self.sheet.rows.append(row)

    def _values(self, texts: list[str | None], framework: Framework, check: _RowCheck) -> tuple[CriterionValue, ...]:
        if self.sheet.layout == "long":
            criterion = check.parse(self.label("criterion"), self.get(texts, "criterion"), _parse_criterion, framework)
            met = check.parse(self.label("status"), self.get(texts, "status"), _parse_status)
            return (CriterionValue(criterion, met, self.label("status")),) if not check.issues else ()
        values = []
        for number, col in sorted(self.header.criteria.items()):
            label, text = self.header.labels[col], texts[col] if col < len(texts) else None
            if text is None:
                continue  # not reported
            if not _has_criterion(framework, number):
                check.fail(label, None, _not_a_criterion(framework))
                continue
            met = check.parse(label, text, _parse_status)
            if met is not None:
                values.append(CriterionValue(number, met, label))
        return tuple(values)

    def _counts(self, texts: list[str | None], framework: Framework, check: _RowCheck) -> Counts:
        met_label, met_text = self.label("criteria_met"), self.get(texts, "criteria_met")
        met, stated_total = check.parse(met_label, met_text, _parse_count) or (None, None)
        total_text = self.get(texts, "criteria_total")
        total = (check.parse(self.label("criteria_total"), total_text, _parse_int) if total_text
                 else stated_total or framework.criteria_total)
        if met is not None and total is not None and not 0 <= met <= total:
            check.fail(met_label, met_text, f"must be between 0 and the criteria total ({total})")
        recognized = check.parse(self.label("recognized"), self.get(texts, "recognized"), _parse_recognized)
        decision_date = check.parse(self.label("decision_date"), self.get(texts, "decision_date"), _parse_date)
        return Counts(met, total, recognized, self.get(texts, "decision"), decision_date)

    def _check_wide_count(self, row: SheetRow, texts: list[str | None]) -> None:
        if not row.values:
            self.sheet.warnings.append(Issue(row.row, "no criterion column is filled in", place=row.place))
            return
        text = self.get(texts, "criteria_met")
        met = sum(v.met for v in row.values)
        try:
            agrees = text is None or _parse_count(text)[0] == met
        except ValueError:
            agrees = False
        if not agrees:
            label = self.label("criteria_met")
            self.sheet.warnings.append(Issue(
                row.row, f"{label} says {text} but {met} of the {len(row.values)} criterion columns filled in are met",
                label, text, row.place))


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


def read_status_file(path: str | Path, *, sheet: str | None = None, default_framework: str | None = None,
                     default_level: str | None = None) -> Sheet:
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
        header = _find_header(rows)
        if header is None:
            tried.append(name)
            continue
        return _read_rows(path, name, rows, header, default_framework, default_level)
    sheets = [name for name in tried if name]
    where = f"{path} (sheet{'s' if len(sheets) > 1 else ''} {', '.join(map(repr, sheets))})" if sheets else str(path)
    raise InputError(
        f"{where}: no header row found in the first {HEADER_SEARCH_ROWS} rows; expected a commune column "
        "(Xã / commune) and either TC1..TC19 columns, Tiêu chí + Tình trạng (criterion + status), "
        "or Số tiêu chí đạt (criteria_met)"
    )


def _read_rows(path: Path, sheet_name: str | None, rows: list[RawRow], header: _Header,
               default_framework: str | None, default_level: str | None) -> Sheet:
    where = _where(path, sheet_name)
    missing = [name for name, default in (("year", None), ("framework", default_framework),
                                            ("level", default_level)) if name not in header.fields and not default]
    if missing:
        hint = {"year": "Năm / year", "framework": "Bộ tiêu chí / framework (or give a default framework)",
                "level": "Cấp / level (or give a default level)"}
        raise InputError(f"{where}: no column for " + "; ".join(hint[m] for m in missing),
                         [f"header on row {rows[header.row_index][0]}: "
                          + ", ".join(label for label in header.labels if label)])
    data = rows[header.row_index + 1:]
    while data and not any(_cell_text(c) for c in data[-1][1]):
        data.pop()
    sheet = Sheet(sheet_name, rows[header.row_index][0], header.layout, header.ignored, rows_read=len(data))
    reader = _RowReader(sheet, header, default_framework, default_level)
    for number, cells in data:
        reader.read(number, cells)
    return sheet
