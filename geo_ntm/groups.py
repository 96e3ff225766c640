"""Import commune groups (nhóm 1/2/3 of QĐ 51/2025/QĐ-TTg) and the classifications kept apart from
them (khu vực I/II/III of NĐ 272/2025, loại of NĐ 307/2025) from a CSV or XLSX file.

Columns (Vietnamese or English names, any order; the header is found among the first rows):
``province``, ``code`` (GSO commune code) or ``commune`` (name, matched in the province by the
status import's rules), ``group``, ``decision``, ``decision_date``, ``numbering_source`` and,
optional, ``source``, ``ethnic_area`` with ``ethnic_area_act`` and ``ethnic_area_date``,
``admin_class`` with ``admin_class_act`` and ``admin_class_date``. A row is matched in the
boundaries in force in its decision's year.

2025 drafts of QĐ 51 numbered the groups the other way round (group 1 the poorest, group 3 the
urbanising communes), so a file must say whose numbering it follows: a file without a
``numbering_source`` column is refused with that reason, a row without one is invalid.

As the status import: every problem is reported at once; nothing is stored while any row has a
problem, unless ``skip_unmatched`` (then the good rows are); ``dry_run`` stores nothing."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from geo_ntm.assessment import is_assessed
from geo_ntm.domain import (
    CLASSIFICATION_VALUES,
    NTM_GROUPS,
    ClassificationKind,
    CommuneGroup,
    UnitClassification,
)
from geo_ntm.errors import InputError
from geo_ntm.import_report import ImportReport
from geo_ntm.status_import.cells import Issue, cell_text, parse_date
from geo_ntm.status_import.matching import UnitMatcher
from geo_ntm.status_import.reading import HEADER_SEARCH_ROWS, RawRow, tables
from geo_ntm.store import Store
from geo_ntm.text import fold

#: Folded column names of each field.
FIELD_ALIASES = {
    "province": ("province", "tinh", "tinh thanh pho", "ten tinh"),
    "code": ("code", "commune code", "gso code", "ma", "ma xa", "ma don vi"),
    "commune": ("commune", "xa", "ten xa", "xa phuong", "ten don vi"),
    "group": ("group", "ntm group", "nhom", "nhom xa"),
    "decision": ("decision", "quyet dinh", "so quyet dinh", "van ban"),
    "decision_date": ("decision date", "ngay quyet dinh", "ngay ban hanh"),
    "numbering_source": ("numbering source", "nguon danh so", "nguon danh so nhom", "can cu danh so"),
    "source": ("source", "nguon", "nguon so lieu"),
    "ethnic_area": ("ethnic area", "khu vuc", "khu vuc dtts"),
    "ethnic_area_act": ("ethnic area act", "van ban khu vuc", "quyet dinh khu vuc"),
    "ethnic_area_date": ("ethnic area date", "ngay khu vuc"),
    "admin_class": ("admin class", "loai", "phan loai", "loai don vi hanh chinh"),
    "admin_class_act": ("admin class act", "van ban phan loai", "quyet dinh phan loai"),
    "admin_class_date": ("admin class date", "ngay phan loai"),
}
_BY_ALIAS = {alias: name for name, aliases in FIELD_ALIASES.items() for alias in aliases}
_REQUIRED = ("group", "decision", "decision_date")
#: Why a file must name its numbering (the reason a file without one is refused).
NUMBERING_REASON = (
    "2025 drafts of QĐ 51 numbered the commune groups the other way round (the July 2025 draft's "
    "nhóm 1 is the final text's nhóm 3), so a group file must state whose numbering it follows: add a "
    "numbering_source column (Nguồn đánh số), e.g. 'QĐ 51/2025/QĐ-TTg'"
)
_CLASS_PREFIXES = {ClassificationKind.ETHNIC_AREA: ("khu vuc", "kv"), ClassificationKind.ADMIN_CLASS: ("loai",)}


@dataclass(kw_only=True)
class GroupImportReport(ImportReport):
    """What a groups import read, matched and stored."""

    import_kind: ClassVar[str] = "groups"

    sheet: str | None = None
    matched: int = 0
    groups_stored: int = 0
    classifications_stored: int = 0
    by_group: dict[int, int] = field(default_factory=dict)  # rows matched per group
    unmatched: list[Issue] = field(default_factory=list)
    ambiguous: list[Issue] = field(default_factory=list)
    invalid: list[Issue] = field(default_factory=list)
    skipped: int = 0  # rows with problems left out (skip_unmatched)

    @property
    def problems(self) -> list[Issue]:
        return [*self.invalid, *self.unmatched, *self.ambiguous]

    def lines(self) -> list[str]:
        """Counts first, then every problem and warning with its row."""
        if self.stored:
            done = f"stored {self.groups_stored} groups and {self.classifications_stored} classifications"
        else:
            done = "dry run, stored nothing" if self.dry_run else "stored nothing"
        out = [
            f"{self.source_file}: {self.rows_read} rows read, {self.matched} matched; {done}",
            "per group: " + (", ".join(f"nhóm {g}: {n}" for g, n in sorted(self.by_group.items())) or "none"),
        ]
        for title, issues in (
            ("invalid", self.invalid),
            ("unmatched", self.unmatched),
            ("ambiguous", self.ambiguous),
            ("warning", self.warnings),
        ):
            out += [f"{title}: {_issue_text(i)}" for i in issues]
        if self.skipped:
            out.append(f"skipped {self.skipped} rows with problems")
        return out


def _issue_text(issue: Issue) -> str:
    """'row N (place): message; candidates: ...' for the terminal."""
    text = f"row {issue.row}" + (f" ({issue.place})" if issue.place else "") + f": {issue.message}"
    if issue.candidates:
        text += "; candidates: " + ", ".join(f"{c['name']} ({c.get('code')})" for c in issue.candidates)
    return text


@dataclass(frozen=True)
class _Header:
    row_index: int
    fields: dict[str, int]


def _find_header(rows: list[RawRow]) -> _Header | None:
    """The first row naming a group column and a code or commune column."""
    for i, (_, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        fields: dict[str, int] = {}
        for col, cell in enumerate(cells):
            name = _BY_ALIAS.get(fold(cell_text(cell)).replace("_", " "))
            if name and name not in fields:
                fields[name] = col
        if "group" in fields and ("code" in fields or "commune" in fields):
            return _Header(i, fields)
    return None


def _read_table(path: Path, sheet: str | None) -> tuple[str | None, _Header, list[RawRow]]:
    for name, rows in tables(path, sheet):
        head = list(itertools.islice(rows, HEADER_SEARCH_ROWS))
        header = _find_header(head)
        if header is not None:
            return name, header, [*head[header.row_index + 1 :], *rows]
    raise InputError(
        f"{path}: no header row found in the first {HEADER_SEARCH_ROWS} rows; expected the columns "
        "province, code or commune, group, decision, decision_date, numbering_source"
    )


def _parse_group(text: str | None) -> int:
    key = fold(text).removeprefix("nhom").strip()
    if key not in {str(g) for g in NTM_GROUPS}:
        raise ValueError("is not an NTM group: write 1, 2 or 3 (nhóm 1/2/3 of QĐ 51/2025)")
    return int(key)


def _parse_class(kind: ClassificationKind, text: str) -> str:
    key = fold(text)
    for prefix in _CLASS_PREFIXES[kind]:
        key = key.removeprefix(prefix).strip()
    for value in CLASSIFICATION_VALUES[kind]:
        if key == fold(value):
            return value
    raise ValueError(f"is not a {kind.value} class: write one of {', '.join(CLASSIFICATION_VALUES[kind])}")


@dataclass(frozen=True)
class _Row:
    row: int
    place: str
    province: str | None
    code: str | None
    commune: str | None
    group: int
    decision: str
    decision_date: dt.date
    numbering_source: str
    source: str | None
    classes: tuple[tuple[ClassificationKind, str, str, dt.date], ...]


def _parse_row(number: int, get, report: GroupImportReport) -> _Row | None:
    """A data row as a ``_Row``, or None after adding its problem to ``report.invalid``."""
    place = " / ".join(t for t in (get("province"), get("commune") or get("code")) if t)  # no districts since 2025
    problems: list[str] = []

    def parsed(name: str, parse, required: bool = True):
        text = get(name)
        if text is None:
            if required:
                problems.append(f"{name} is empty")
            return None
        try:
            return parse(text)
        except ValueError as exc:
            problems.append(f"{name} {text!r} {exc}")
            return None

    group = parsed("group", _parse_group)
    decision = parsed("decision", str)
    decision_date = parsed("decision_date", parse_date)
    numbering = get("numbering_source")
    if numbering is None:
        problems.append("numbering_source is empty: " + NUMBERING_REASON)
    if get("code") is None and (get("commune") is None or get("province") is None):
        problems.append("give the commune's code, or its name and province")
    classes = []
    for kind in ClassificationKind:
        value = parsed(kind.value, lambda t, k=kind: _parse_class(k, t), required=False)
        if value is None:
            continue
        act, act_date = parsed(f"{kind.value}_act", str), parsed(f"{kind.value}_date", parse_date)
        if act and act_date:
            classes.append((kind, value, act, act_date))
    if problems or group is None or decision is None or decision_date is None or numbering is None:
        report.invalid.append(Issue(number, "; ".join(problems), place=place))
        return None
    ethnic = next((c[1] for c in classes if c[0] is ClassificationKind.ETHNIC_AREA), None)
    if group == 3 and ethnic == "I":
        report.warnings.append(
            Issue(number, "nhóm 3 is for communes of khu vực II or III (QĐ 51/2025), not khu vực I", place=place)
        )
    return _Row(
        number,
        place,
        get("province"),
        get("code"),
        get("commune"),
        group,
        decision,
        decision_date,
        numbering,
        get("source"),
        tuple(classes),
    )


def import_groups_file(
    store: Store,
    path: str | Path,
    *,
    sheet: str | None = None,
    dry_run: bool = False,
    skip_unmatched: bool = False,
    actor: str | None = None,
    source_name: str | None = None,
) -> GroupImportReport:
    """Read, match and (unless ``dry_run`` or a problem) store a groups file; InputError when the
    file cannot be used at all (no header, no ``numbering_source`` column: ``NUMBERING_REASON``)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"groups file {path} does not exist")
    sheet_name, header, data = _read_table(path, sheet)
    missing = [name for name in _REQUIRED if name not in header.fields]
    if "numbering_source" not in header.fields:
        raise InputError(f"{path}: refused: no numbering_source column. {NUMBERING_REASON}")
    if missing:
        raise InputError(f"{path}: no column for " + ", ".join(missing))
    report = GroupImportReport(source_file=source_name or str(path), sheet=sheet_name, dry_run=dry_run)
    parsed: list[_Row] = []
    for number, cells in data:
        texts = [cell_text(c) for c in cells]
        if not any(texts):
            continue
        report.rows_read += 1

        def get(name: str, texts=texts) -> str | None:
            col = header.fields.get(name)
            return texts[col] if col is not None and col < len(texts) else None

        row = _parse_row(number, get, report)
        if row is not None:
            parsed.append(row)
    groups, classifications = _match(store, parsed, report)
    report.matched = len(groups)
    for g in groups:
        report.by_group[g.group] = report.by_group.get(g.group, 0) + 1
    report.skipped = len(report.problems) if skip_unmatched else 0
    if dry_run or (report.problems and not skip_unmatched) or not groups:
        return report
    report.groups_stored, report.classifications_stored = len(groups), len(classifications)
    report.rows_stored = len(groups)
    report.stored = True
    store.add_groups(report.record(actor), groups, classifications)
    return report


def _match(
    store: Store, rows: list[_Row], report: GroupImportReport
) -> tuple[list[CommuneGroup], list[UnitClassification]]:
    """Match each row to its commune in the boundaries of its decision's year; fills the report's
    unmatched, ambiguous and invalid (a commune given two groups on one date) rows."""
    matcher = UnitMatcher(store)
    groups: list[CommuneGroup] = []
    classifications: list[UnitClassification] = []
    seen: dict[tuple[int, dt.date], _Row] = {}
    for r in rows:
        year = r.decision_date.year
        # a GSO code is looked up as a code by the matcher (leading zeros lost in a spreadsheet too)
        m = matcher.match(year, r.province, None, r.code or r.commune or "")
        if m.unit is None:
            issue = Issue(r.row, m.reason or "not matched", place=r.place, candidates=m.candidates)
            (report.ambiguous if m.problem == "ambiguous" else report.unmatched).append(issue)
            continue
        unit = m.unit
        earlier = seen.setdefault((unit.unit_id, r.decision_date), r)
        if earlier is not r and earlier.group != r.group:
            report.invalid.append(
                Issue(
                    r.row,
                    f"{unit.name} is given nhóm {r.group} here and nhóm {earlier.group} on row {earlier.row} "
                    f"for the same date {r.decision_date.isoformat()}",
                    place=r.place,
                )
            )
            continue
        if not is_assessed(unit):
            report.warnings.append(Issue(r.row, f"matched {unit.name}, which is not a xã", place=r.place))
        groups.append(
            CommuneGroup(unit.unit_id, r.group, r.decision, r.decision_date, r.numbering_source, r.source, r.row)
        )
        classifications += [
            UnitClassification(unit.unit_id, kind, value, act, act_date, r.source, r.row)
            for kind, value, act, act_date in r.classes
        ]
    return groups, classifications
