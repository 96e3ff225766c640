"""The cells of a status table: what a row reports, and the parsers that turn a cell's text into
a typed value or a complaint.

Each parser takes a cell's text (None when empty) and raises ValueError with the end of a
sentence that starts with the column name and the value; ``RowCheck`` turns those into ``Issue``s
that carry the row number a person sees in Excel or a text editor."""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from geo_ntm.domain import LEVELS, Framework, RecognitionKind
from geo_ntm.errors import GeoNtmError
from geo_ntm.frameworks import get_framework
from geo_ntm.plausibility import EARLIEST_DATE
from geo_ntm.text import fold, nfc

#: "TC1", "TC 1", "TC01", "Tiêu chí 1", "Tiêu chí số 1: Quy hoạch", "criterion 1" (folded). An
#: indicator label ("TC 19.2") folds to "tc 19 2": ``indicator_label`` is asked first.
TC_COLUMN = re.compile(r"^(?:tc|tieu chi|criterion)\s*(?:so\s*)?(\d{1,2})\b")
#: An indicator (chỉ tiêu) label, on the text without diacritics but with its dots: "TC17.1",
#: "TC 19.2", "Tiêu chí 17.1", "Chỉ tiêu 17.1", "indicator 17.1" and, where ``bare``, "17.1" or
#: "17.1 Tỷ lệ hộ ..."; an optional unit in brackets at the end ("TC17.1 (%)").
_INDICATOR = re.compile(
    r"^(?P<prefix>(?:tc|tieu chi|chi tieu|criterion|indicator)\s*(?:so\s*)?)?"
    r"(?P<criterion>\d{1,2})\.(?P<number>\d{1,2})(?![\d.,])(?:[\s:.)-].*)?$"
)
_HEADER_UNIT = re.compile(r"\(([^()]+)\)\s*$")
#: A number as written, with its unit: "95,9%", "95.9", "57,621 km", "1.234,5 triệu đồng".
_NUMBER = re.compile(r"^(?P<number>[+-]?\d+(?:[.,]\d+)*)\s*(?P<unit>[^\d\s].*)?$")
#: Units counting things: their values are whole, so "1,234 hộ" is 1234 (thousands grouping).
COUNT_UNITS = frozenset({"ho", "nguoi", "thon", "ap", "households", "people", "persons"})

_MET = {"dat", "x", "1", "yes", "co", "met", "true"}
_UNMET = {"chua dat", "khong dat", "0", "no", "khong", "not met", "false"}
_RECOGNIZED = {"yes", "co", "x", "1", "true", "da cong nhan", "cong nhan"}
_NOT_RECOGNIZED = {"no", "khong", "0", "false", "chua", "chua cong nhan"}
#: Level names as reports write them, besides the ids and labels of ``LEVELS`` (folded).
_LEVEL_WORDS = {
    "ntm": (
        "nong thon moi",
        "dat chuan nong thon moi",
        "xa ntm",
        "xa dat chuan ntm",
        # a thị xã, provincial thành phố or province: its ntm level (Framework.completion_types)
        "hoan thanh nhiem vu",
        "hoan thanh nhiem vu xay dung ntm",
        "hoan thanh nhiem vu xay dung nong thon moi",
    ),
    "ntm_nang_cao": ("nang cao", "nong thon moi nang cao", "dat chuan ntm nang cao", "xa ntm nang cao"),
    "ntm_kieu_mau": ("kieu mau", "nong thon moi kieu mau", "dat chuan ntm kieu mau", "xa ntm kieu mau"),
    "ntm_hien_dai": ("hien dai", "nong thon moi hien dai", "dat chuan ntm hien dai", "xa ntm hien dai"),
}
_LEVEL_BY_NAME = {
    fold(name): level for level, labels in LEVELS.items() for name in (level, *labels, *_LEVEL_WORDS[level])
}
#: Recognition events by their folded names (an empty cell is a recognition).
_KIND_BY_NAME = {
    fold(name): kind
    for kind, names in (
        (RecognitionKind.RECOGNISED, ("recognised", "recognized", "cong nhan", "cong nhan moi", "dat chuan")),
        (RecognitionKind.RE_RECOGNISED, ("re_recognised", "re-recognised", "re-recognized", "cong nhan lai")),
        (RecognitionKind.REVOKED, ("revoked", "revocation", "thu hoi", "thu hoi quyet dinh", "huy cong nhan")),
    )
    for name in names
}
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
class IndicatorValue:
    """One reported indicator of a row: met or not, and/or a value with its unit."""

    indicator_id: str  # "17.1"
    criterion: int
    met: bool | None
    value: float | None
    unit: str | None
    column: str


@dataclass(frozen=True)
class Counts:
    """The 'counts' layout: criteria met out of a total, with the recognition decision."""

    criteria_met: int
    criteria_total: int
    recognized: bool
    decision: str | None
    decision_date: dt.date | None


@dataclass(frozen=True)
class Recognised:
    """A recognition decision a row reports (the recognitions layout, or a recognised counts row)."""

    kind: RecognitionKind
    decision: str | None
    decision_date: dt.date | None
    issuing_body: str | None = None


def place_label(province: str | None, district: str | None, commune: str | None) -> str:
    """ "province / district / commune" as written in the sheet."""
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
    framework_id: str | None  # None only for a recognition that names no framework
    level: str
    source: str | None
    values: tuple[CriterionValue, ...] = ()  # criterion by criterion (wide and long layouts)
    counts: Counts | None = None  # criteria met out of a total (counts layout)
    recognition: Recognised | None = None  # a decision (recognitions layout, recognised counts rows)
    indicators: tuple[IndicatorValue, ...] = ()  # indicator by indicator (wide and long layouts)

    @property
    def place(self) -> str:
        return place_label(self.province, self.district, self.commune)

    @property
    def criteria_framework(self) -> str:
        """The framework of the criteria the row reports (every row reporting criteria has one)."""
        if self.framework_id is None:
            raise ValueError(f"row {self.row} reports criteria but names no framework")
        return self.framework_id


def cell_text(value: object) -> str | None:
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


# -- parsers ------------------------------------------------------------------------------------


def parse_int(text: str | None) -> int:
    """A whole number; "16.0" is one, "16.5" is not."""
    if text is None:
        raise ValueError("is empty")
    try:
        number = float(text)
    except ValueError:
        raise ValueError("is not a number") from None
    if not number.is_integer():
        raise ValueError("is not a whole number")
    return int(number)


#: The years a status may be reported for: from the earliest date of any unit to 2100.
YEARS = (EARLIEST_DATE.year, 2100)


def parse_year(text: str | None) -> int:
    """A year between ``YEARS`` ("2020", "2020.0"); 99999, -5 or 1e300 are complaints."""
    year = parse_int(text)
    if not YEARS[0] <= year <= YEARS[1]:
        raise ValueError(f"is not a plausible year (between {YEARS[0]} and {YEARS[1]})")
    return year


def parse_count(text: str | None) -> tuple[int, int | None]:
    """Criteria met, written "16" or "16/19" (then with its total)."""
    fraction = _FRACTION.match(text or "")
    if fraction:
        return int(fraction.group(1)), int(fraction.group(2))
    return parse_int(text), None


@functools.lru_cache(maxsize=4096)
def _word_key(text: str | None) -> str | None:
    """The folded value of a cell made of words only ("đạt?" is not "đạt")."""
    return fold(text) if text is not None and _WORDS.fullmatch(text) else None


def parse_status(text: str | None) -> bool:
    """Met (Đạt, x, 1, yes, met) or unmet (Chưa đạt, không đạt, 0, no, not met); anything else,
    an empty cell included, is a complaint."""
    key = _word_key(text)
    if key in _MET:
        return True
    if key in _UNMET:
        return False
    raise ValueError(
        "is empty"
        if text is None
        else "is not a status; use Đạt (or x, 1, yes, met) or Chưa đạt (or không đạt, 0, no, not met)"
    )


def parse_recognized(text: str | None) -> bool:
    """Recognised (yes/có/x/1) or not (no/không/0, or an empty cell)."""
    key = _word_key(text)
    if text is None or key in _NOT_RECOGNIZED:
        return False
    if key in _RECOGNIZED:
        return True
    raise ValueError("is not a yes/no value; use yes/có/x/1 or no/không/0, or leave it empty")


def parse_recognition_kind(text: str | None) -> RecognitionKind:
    """Recognised (công nhận; an empty cell too), re-recognised (công nhận lại) or revoked (thu hồi)."""
    if text is None:
        return RecognitionKind.RECOGNISED
    kind = _KIND_BY_NAME.get(fold(text))
    if kind is None:
        raise ValueError("is not a recognition event; use công nhận (recognised), công nhận lại or thu hồi (revoked)")
    return kind


def parse_date(text: str | None) -> dt.date | None:
    """A date written dd/mm/yyyy or yyyy-mm-dd; None for an empty cell."""
    if text is None:
        return None
    iso, dmy = _ISO_DATE.match(text), _DMY_DATE.match(text)
    if iso:
        year, month, day = iso.group(1), iso.group(2), iso.group(3)
    elif dmy:
        year, month, day = dmy.group(3), dmy.group(2), dmy.group(1)
    else:
        raise ValueError("is not a date; write it as dd/mm/yyyy or yyyy-mm-dd")
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        raise ValueError("is not a valid date") from None


def has_criterion(framework: Framework, number: int) -> bool:
    """Whether ``framework`` has a criterion numbered ``number``."""
    return any(c.number == number for c in framework.criteria)


def not_a_criterion(framework: Framework) -> str:
    """The complaint about a criterion number ``framework`` does not have."""
    if not framework.criteria_known:
        return (
            f"cannot be checked: the criteria of {framework.framework_id} ({framework.legal_act}) are not known "
            "from a cited source; report criteria met out of a total, or the recognition (counts layout)"
        )
    numbers = [c.number for c in framework.criteria]
    return f"is not a criterion of {framework.framework_id} (criteria {min(numbers)}-{max(numbers)})"


def parse_criterion(text: str | None, framework: Framework) -> int:
    """A criterion number of ``framework``, written "3", "TC3" or "Tiêu chí 3"."""
    tc = TC_COLUMN.match(fold(text))
    number = int(tc.group(1)) if tc else parse_int(text)
    if not has_criterion(framework, number):
        raise ValueError(not_a_criterion(framework))
    return number


def _plain(text: str) -> str:
    """Lower case without diacritics (đ as d), keeping dots, commas and brackets."""
    decomposed = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).strip()


def indicator_label(text: str | None, *, bare: bool = False) -> tuple[int, str, str | None] | None:
    """(criterion, indicator id, unit in brackets or None) of a label such as "TC 19.2",
    "Chỉ tiêu 17.1 (%)" or, when ``bare``, "17.1"; None when it names no indicator."""
    if not text:
        return None
    match = _INDICATOR.match(_plain(text))
    if match is None or (match["prefix"] is None and not bare):
        return None
    unit = _HEADER_UNIT.search(text)
    criterion = int(match["criterion"])
    return criterion, f"{criterion}.{int(match['number'])}", nfc(unit.group(1)) if unit else None


def _number(text: str, unit: str | None) -> float:
    """A number written with a decimal comma (Vietnamese) or point; see docs/status-files.md.

    Both separators: the last is the decimal one ("1.234,5", "1,234.5"). One kind, repeated:
    thousands ("1.234.567"). One separator once: the decimal one ("95,9", "57,621" = 57.621),
    except in a count (``COUNT_UNITS``: hộ, người ...), whose values are whole: "1,234 hộ" = 1234."""
    commas, dots = text.count(","), text.count(".")
    if commas and dots:
        decimal = "," if text.rfind(",") > text.rfind(".") else "."
        if text.count(decimal) > 1:
            raise ValueError("is not a number (two decimal separators)")
        thousands = "." if decimal == "," else ","
        whole, fraction = text.split(decimal)
        groups = whole.lstrip("+-").split(thousands)
        if any(len(g) != 3 for g in groups[1:]):
            raise ValueError(f"is not a number (groups of thousands are of three digits; {thousands!r} is one)")
        return float(whole.replace(thousands, "") + "." + fraction)
    separator = "," if commas else "." if dots else None
    if separator is None:
        return float(text)
    parts = text.split(separator)
    grouped = len(parts) > 2 or (fold(unit) in COUNT_UNITS and len(parts[1]) == 3)
    if grouped:
        if any(len(p) != 3 for p in parts[1:]):
            raise ValueError("is not a number (groups of thousands are of three digits)")
        return float("".join(parts))
    return float(parts[0] + "." + parts[1])


def parse_indicator_value(
    text: str | None, column_unit: str | None = None
) -> tuple[bool | None, float | None, str | None]:
    """(met, value, unit) of an indicator cell: a status (Đạt, Chưa đạt ...) or a number with an
    optional unit ("95,9%", "57,621 km"; else the column's unit). A unit that contradicts the
    column's, a share over 100% or anything else is a complaint."""
    if text is None:
        raise ValueError("is empty")
    key = _word_key(text)
    if key in _MET or key in _UNMET:
        return key in _MET, None, None
    match = _NUMBER.match(text)
    if match is None:
        raise ValueError("is neither a status (Đạt / Chưa đạt) nor a number with its unit (95,9% or 57,621 km)")
    written = nfc(match["unit"])
    if written and re.search(r"\d", written):
        raise ValueError("is not a number with its unit: write only the value and its unit (95,9%)")
    if written and column_unit and _plain(written) != _plain(column_unit):
        raise ValueError(f"has the unit {written!r} but its column is in {column_unit!r}")
    unit = written or column_unit
    value = _number(match["number"], unit)
    if fold(unit) in COUNT_UNITS and not value.is_integer():
        raise ValueError(f"is not a whole number of {unit}")
    if unit == "%" and not 0 <= value <= 100:
        raise ValueError("is a share outside 0-100%")
    return None, value, unit


def parse_framework(text: str | None, default: str | None, frameworks: dict[str, Framework]) -> Framework:
    """The framework named in the cell, else the default one, among ``frameworks``."""
    chosen = (text or default or "").strip().lower()
    if not chosen:
        raise ValueError("is empty and no default framework was given")
    try:
        return get_framework(chosen, frameworks)
    except GeoNtmError:
        raise ValueError(f"is not a known framework; known: {', '.join(frameworks)}") from None


def outside_period(year: int, framework: Framework) -> str | None:
    """The remark on a status year outside ``framework``'s programme years, or None."""
    first, last = framework.years
    if first <= year <= last:
        return None
    return (
        f"{year} is outside the period of {framework.framework_id} ({first}-{last}, {framework.legal_act}); "
        "check the framework column"
    )


def parse_level(text: str | None, default: str | None, framework: Framework | None) -> str:
    """A level of ``framework`` (of any framework when None) by any of its names (ntm, NTM nâng
    cao, kiểu mẫu ...), else the default."""
    chosen = text or default
    if not chosen:
        raise ValueError("is empty and no default level was given")
    level = _LEVEL_BY_NAME.get(fold(chosen))
    if framework is None:
        if level is None:
            raise ValueError(f"is not a level; levels: {', '.join(LEVELS)} (or NTM, nâng cao, kiểu mẫu)")
        return level
    if level not in framework.levels:
        raise ValueError(f"is not a level of {framework.framework_id}; its levels: {', '.join(framework.levels)}")
    return level


class RowCheck:
    """Collects the problems of one row while its cells are parsed."""

    def __init__(self, number: int, place: str):
        self.number = number
        self.place = place
        self.issues: list[Issue] = []

    def fail(self, label: str, text: str | None, message: str) -> None:
        """Record that the cell ``text`` under ``label`` is wrong: the column, value and why."""
        shown = f" {text!r}" if text is not None else ""
        self.issues.append(Issue(self.number, f"{label}{shown} {message}", label, text, self.place))

    def parse(self, label: str, text: str | None, parser: Callable, *args):
        """``parser(text, *args)``, or None after recording its complaint."""
        try:
            return parser(text, *args)
        except ValueError as exc:
            self.fail(label, text, str(exc))
            return None
