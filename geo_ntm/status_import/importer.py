"""Import a criterion-status file: read it, match its rows to communes, merge duplicates, find
conflicts (within the file and with the store) and store everything (criterion statuses, counts
and recognition decisions) in one transaction.

Nothing is stored when any row is unmatched, ambiguous or invalid, unless ``skip_unmatched``;
conflicting reports are all kept, with their sources, and listed in the report.

A row whose commune is only found in another boundary vintage is matched (or explained) through
the stored lineage events (see ``matching``): a row matched that way counts as matched, is counted
in ``matched_through_lineage`` and gets a note naming each change and its legal act; a row whose
unit was merged into another stays unmatched, its reason tells the merger and the merged unit is
its candidate. District and province rows (a file without a commune column, a unit named as a
district or province, or a framework assessing them) are matched to the district or province and
stored like a commune's; a unit reported under a framework of another tier is an invalid row."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, TypeVar

from geo_ntm.assessment import is_assessed
from geo_ntm.data_flags import Records, new_flags
from geo_ntm.domain import AdminTier, CriterionStatus, DataFlag, IndicatorStatus, Recognition, StatusSummary, Unit
from geo_ntm.frameworks import all_frameworks
from geo_ntm.import_report import ImportReport
from geo_ntm.job_progress import report_progress
from geo_ntm.status_import.cells import Issue, Place, SheetRow
from geo_ntm.status_import.matching import UnitMatcher
from geo_ntm.status_import.reading import Sheet, read_status_file
from geo_ntm.store import Store
from geo_ntm.text import name_key

log = logging.getLogger(__name__)

#: A record ``_merge`` merges: a criterion status, a summary, a recognition or an indicator status.
_Record = TypeVar("_Record", CriterionStatus, StatusSummary, Recognition, IndicatorStatus)


@dataclass(frozen=True)
class Conflict:
    """Reports that disagree about one commune, year, framework, level and criterion."""

    unit: str  # "Xã Phú Hưng (Thành phố Bến Tre)"
    unit_id: int
    year: int
    framework_id: str | None  # None: recognitions that name no framework
    level: str
    criterion: int | None  # None: the reported counts or recognition disagree
    claims: tuple[dict, ...]  # {"value", "row" (this file) or "import_id" (stored), "source"}
    indicator: str | None = None  # "17.1": the reports of this indicator disagree


@dataclass(frozen=True)
class Note:
    """A remark shared by some rows (a district fallback, a changed unit type ...)."""

    rows: tuple[int, ...]
    message: str


@dataclass(kw_only=True)
class StatusImportReport(ImportReport):
    """What a status import read, matched, merged, found wrong and stored; ``ok`` when no row is
    unmatched, ambiguous or invalid. Its warnings are ``Issue``s, its notes ``Note``s."""

    import_kind: ClassVar[str] = "status"

    sheet: str | None = None
    layout: str | None = None
    header_row: int | None = None
    rows_skipped_blank: int = 0
    rows_skipped_notes: int = 0
    matched: int = 0  # data rows matched to a unit
    matched_through_lineage: int = 0  # of those, rows whose name is of another vintage (see the notes)
    merged_duplicates: int = 0  # reports repeated within the file
    already_stored: int = 0  # reports identical to ones already in the store
    statuses_stored: int = 0
    summaries_stored: int = 0
    indicators_stored: int = 0
    recognitions_stored: int = 0
    import_id: int | None = None
    vintages: dict[str, list[int]] = field(default_factory=dict)  # boundary vintage -> years matched on it
    unmatched: list[Issue] = field(default_factory=list)
    ambiguous: list[Issue] = field(default_factory=list)
    invalid: list[Issue] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    flags: list[DataFlag] = field(default_factory=list)  # data checks: contradictions kept as warnings

    @property
    def problems(self) -> list[Issue]:
        """The unmatched, ambiguous and invalid rows: nothing is stored while there are any, unless
        the import skips them."""
        return [*self.unmatched, *self.ambiguous, *self.invalid]

    def lines(self) -> list[str]:
        """Counts, then every problem row with its number, the conflicts and the notes."""
        where = self.source_file + (f", sheet {self.sheet!r}" if self.sheet else "")
        outcome = (
            (
                "stored"
                if self.ok
                else f"stored, skipping {_rows_text(sorted({i.row for i in self.problems}))} (problems below)"
            )
            if self.stored
            else "dry run, nothing stored"
            if self.dry_run
            else "NOTHING STORED: fix the rows below or import with --skip-unmatched"
        )
        lines = [
            f"Status import of {where}: {self.layout} layout, header on row {self.header_row}",
            f"  rows: {self.rows_read} read, {self.matched} matched"
            + (f" ({self.matched_through_lineage} through lineage)" if self.matched_through_lineage else "")
            + f", {self.rows_skipped_blank} blank and "
            f"{self.rows_skipped_notes} note rows skipped, {len(self.unmatched)} unmatched, "
            f"{len(self.ambiguous)} ambiguous, {len({i.row for i in self.invalid})} invalid",
            f"  reports: {self.merged_duplicates} duplicates merged, {self.already_stored} already stored, "
            f"{len(self.conflicts)} conflicts; stored {self.statuses_stored} criterion statuses, "
            f"{self.summaries_stored} summaries, {self.recognitions_stored} recognitions and "
            f"{self.indicators_stored} indicator statuses",
            f"  result: {'OK' if self.ok else 'PROBLEMS'}, {outcome}",
        ]
        for vintage, years in self.vintages.items():
            lines.append(f"  matched on the boundaries {vintage!r} for {', '.join(map(str, years))}")
        for title, issues in (
            ("Unmatched", self.unmatched),
            ("Ambiguous", self.ambiguous),
            ("Invalid", self.invalid),
            ("Warnings", self.warnings),
        ):
            if issues:
                lines.append(f"{title} ({len(issues)}):")
                lines.extend(f"  {_issue_text(i)}" for i in issues)
        if self.conflicts:
            lines.append(f"Conflicts ({len(self.conflicts)}), all reports kept:")
            lines.extend(f"  {_conflict_text(c)}" for c in self.conflicts)
        if self.flags:
            lines.append(f"Data checks / Kiểm tra dữ liệu ({len(self.flags)}), kept as warnings:")
            for f in self.flags:
                lines.append(f"  {f.kind.value}" + (f" ({_rows_text(f.rows)})" if f.rows else "") + f": {f.message_vi}")
                lines.append(f"    {f.message_en}")
        if self.notes:
            lines.append(f"Notes ({len(self.notes)}):")
            lines.extend(f"  {_rows_text(n.rows)}: {n.message}" for n in self.notes)
        return lines


def _rows_text(rows: Sequence[int]) -> str:
    """'row 4' or 'rows 2-5, 9'."""
    ranges: list[list[int]] = []
    for r in sorted(set(rows)):
        if ranges and r == ranges[-1][1] + 1:
            ranges[-1][1] = r
        else:
            ranges.append([r, r])
    shown = ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in ranges)
    return ("rows " if len(rows) > 1 else "row ") + shown


def _issue_text(issue: Issue) -> str:
    text = f"row {issue.row}"
    if issue.place:
        text += f" ({issue.place})"
    text += f": {issue.message}"
    if issue.candidates:
        text += "; candidates: " + ", ".join(
            c["name"] + (f" ({c['district']})" if c.get("district") else "") for c in issue.candidates
        )
    return text


def _claim_origin(claim: dict) -> str:
    origin = f"row {claim['row']}" if "row" in claim else f"stored by import {claim['import_id']}"
    return origin + (f", source: {claim['source']}" if claim.get("source") else "")


def _conflict_text(conflict: Conflict) -> str:
    what = (
        f"indicator {conflict.indicator}"
        if conflict.indicator
        else f"criterion {conflict.criterion}"
        if conflict.criterion is not None
        else "counts/recognition"
    )
    claims = " vs ".join(f"{c['value']} ({_claim_origin(c)})" for c in conflict.claims)
    return f"{conflict.unit}, {conflict.year}, {conflict.framework_id or '—'}/{conflict.level}, {what}: {claims}"


# -- building and merging records ---------------------------------------------------------------


def _statuses(row: SheetRow, unit: Unit) -> list[CriterionStatus]:
    return [
        CriterionStatus(
            unit.unit_id, row.year, row.criteria_framework, row.level, v.criterion, v.met, row.source, row.row
        )
        for v in row.values
    ]


def _indicators(row: SheetRow, unit: Unit) -> list[IndicatorStatus]:
    return [
        IndicatorStatus(
            unit.unit_id,
            row.year,
            row.criteria_framework,
            row.level,
            v.criterion,
            v.indicator_id,
            v.met,
            v.value,
            v.unit,
            row.source,
            row.row,
        )
        for v in row.indicators
    ]


def _indicator_key(s: IndicatorStatus) -> tuple:
    """A status is compared with statuses, a value with values: "met" and "95.9 %" do not conflict."""
    return (s.unit_id, s.year, s.framework_id, s.level, s.indicator_id, s.met is None)


def _indicator_value(s: IndicatorStatus) -> str:
    """ "met", "unmet", "95.9 %" or "unmet, 95.9 %"."""
    parts = [] if s.met is None else ["met" if s.met else "unmet"]
    if s.value is not None:
        parts.append(f"{s.value:g}" + (f" {s.value_unit}" if s.value_unit else ""))
    return ", ".join(parts)


def _summary(row: SheetRow, unit: Unit) -> StatusSummary:
    c = row.counts
    if c is None:
        raise ValueError(f"row {row.row} reports no counts to summarise")
    return StatusSummary(
        unit.unit_id,
        row.year,
        row.criteria_framework,
        row.level,
        c.criteria_met,
        c.criteria_total,
        c.recognized,
        c.decision,
        c.decision_date,
        row.source,
        row.row,
    )


def _recognition(row: SheetRow, unit: Unit) -> Recognition:
    r = row.recognition
    if r is None:
        raise ValueError(f"row {row.row} reports no recognition")
    return Recognition(
        unit.unit_id,
        row.year,
        row.level,
        r.kind,
        row.framework_id,
        r.decision,
        r.decision_date,
        r.issuing_body,
        row.source,
        row.row,
    )


def _status_key(s: CriterionStatus) -> tuple:
    return (s.unit_id, s.year, s.framework_id, s.level, s.criterion)


def _status_value(s: CriterionStatus) -> str:
    return "met" if s.met else "unmet"


def _summary_key(s: StatusSummary) -> tuple:
    return (s.unit_id, s.year, s.framework_id, s.level)


def _summary_value(s: StatusSummary) -> str:
    parts = [f"{s.criteria_met}/{s.criteria_total}"] + (["recognised"] if s.recognized else [])
    if s.decision or s.decision_date:
        parts.append(f"decision {s.decision or '?'} of {s.decision_date or '?'}")
    return ", ".join(parts)


def _recognition_key(r: Recognition) -> tuple:
    return (r.unit_id, r.year, r.level, r.kind)


def _recognition_value(r: Recognition) -> str:
    text = f"{r.kind.value}: decision {r.decision or '?'} of {r.decision_date or '?'}"
    return text + (f" by {r.issuing_body}" if r.issuing_body else "")


@dataclass
class _Merge:
    """The outcome of merging one kind of record with itself and with the store."""

    new: list = field(default_factory=list)
    duplicates: int = 0
    already_stored: int = 0
    conflicts: list[Conflict] = field(default_factory=list)


def _merge(
    records: list[_Record],
    stored: list[_Record],
    key: Callable[[_Record], Hashable],
    value: Callable[[_Record], str],
    unit_label: Callable[[int], str],
) -> _Merge:
    """Merge identical reports (within the file and with the store) and collect disagreements."""
    result = _Merge()
    in_store: dict[Hashable, list[_Record]] = defaultdict(list)
    for s in stored:
        in_store[key(s)].append(s)
    groups: dict[Hashable, list[_Record]] = defaultdict(list)
    for r in records:
        groups[key(r)].append(r)
    for k, group in groups.items():
        first_of_value: dict[str, _Record] = {}
        for r in group:
            first_of_value.setdefault(value(r), r)
        distinct = list(first_of_value.values())
        stored_values = {value(s) for s in in_store[k]}
        new = [r for r in distinct if value(r) not in stored_values]
        result.duplicates += len(group) - len(distinct)
        result.already_stored += len(distinct) - len(new)
        result.new.extend(new)
        if len(distinct) > 1 or (new and stored_values):
            claims = [{"value": value(r), "row": r.row_number, "source": r.source} for r in group]
            claims += [
                {"value": value(s), "import_id": s.import_id, "row_in_import": s.row_number, "source": s.source}
                for s in in_store[k]
            ]
            first = group[0]
            result.conflicts.append(
                Conflict(
                    unit_label(first.unit_id),
                    first.unit_id,
                    first.year,
                    first.framework_id,
                    first.level,
                    getattr(first, "criterion", None),
                    tuple(claims),
                    getattr(first, "indicator_id", None),
                )
            )
    return result


# -- the import ----------------------------------------------------------------------------------


#: How many rows the matching reports its progress after (``geo_ntm.job_progress``).
_REPORT_EVERY = 500


def _progress_text(read: int, looked_up: int, matched: int) -> str:
    """What the matching says of its rows so far (``geo_ntm.job_progress``)."""
    return f"rows: {read} read, {looked_up} looked up, {matched} matched"


def _match_rows(
    matcher: UnitMatcher, data: Sheet, report: StatusImportReport
) -> tuple[list[tuple[SheetRow, Unit]], dict[int, str]]:
    """Match every row (invalid ones too, to report all problems at once); fills the report's
    unmatched, ambiguous, warnings, notes and vintages; returns the valid matched rows and a
    label per matched unit."""
    matched: list[tuple[SheetRow, Unit]] = []
    labels: dict[int, str] = {}
    notes: dict[str, list[int]] = defaultdict(list)
    rows: list[SheetRow | Place] = [*data.rows, *data.invalid_places]
    frameworks = all_frameworks()  # read once: it reads the settings and the provinces' folder
    for done, row in enumerate(sorted(rows, key=lambda r: r.row)):
        if done % _REPORT_EVERY == 0:
            report_progress(0.1 + 0.6 * done / len(rows), _progress_text(data.rows_read, done, len(matched)))
        framework = frameworks.get(row.framework_id) if isinstance(row, SheetRow) and row.framework_id else None
        m = matcher.match(row.year, row.province, row.district, row.commune, framework, data.tier)
        if m.unit is None:
            if m.reason is None:
                raise ValueError(f"row {row.row}: the matcher gave neither a unit nor a reason")
            issue = Issue(row.row, m.reason, place=row.place, candidates=m.candidates)
            {"ambiguous": report.ambiguous, "tier": report.invalid}.get(m.problem or "", report.unmatched).append(issue)
        if m.unit is None or not isinstance(row, SheetRow):
            continue
        matched.append((row, m.unit))
        labels[m.unit.unit_id] = f"{m.unit.name} ({m.district})" if m.district else str(m.unit.name)
        if m.note:
            notes[m.note].append(row.row)
        if m.found_in:
            report.matched_through_lineage += 1
        if not is_assessed(m.unit):
            why = (
                "which is not a xã: wards and towns are not assessed on NTM criteria"
                if m.unit.level is AdminTier.COMMUNE
                else "which the NTM programme does not assess (an urban district or a flagged polygon)"
            )
            report.warnings.append(Issue(row.row, f"matched {m.unit.name}, {why}", place=row.place))
    report.matched = len(matched)
    report_progress(0.7, _progress_text(data.rows_read, len(rows), len(matched)) + "; comparing with the store")
    report.invalid.sort(key=lambda issue: issue.row)
    report.warnings.sort(key=lambda issue: issue.row)
    report.vintages = matcher.vintage_years()
    report.notes.extend(Note(tuple(rows), message) for message, rows in notes.items())
    return matched, labels


def _outside_province(store: Store, matched: list[tuple[SheetRow, Unit]]) -> list[Issue]:
    """The rows on a province's own framework whose commune lies in another province (the set's
    ``province``, by name or code); a row of a national framework is never one of them."""
    frameworks = all_frameworks()
    provinces: dict[int, dict[str, Unit]] = {}
    issues = []
    for row, unit in matched:
        framework = frameworks.get(row.framework_id) if row.framework_id else None
        scope = framework.province if framework else None
        if scope is None:
            continue
        if unit.vintage_id not in provinces:
            records = store.unit_records(unit.vintage_id, AdminTier.PROVINCE)
            provinces[unit.vintage_id] = {p.province_code or p.code: p for p in records}
        province = provinces[unit.vintage_id].get(unit.province_code or "")
        if province is not None and (
            scope in (province.code, province.province_code) or name_key(scope) == name_key(province.name)
        ):
            continue
        where = province.name if province else unit.province_code
        issues.append(
            Issue(
                row.row,
                f"framework {row.framework_id} is {scope}'s own; {unit.name} is in {where}",
                place=row.place,
            )
        )
    return issues


def import_status_file(
    store: Store,
    path: str | Path,
    *,
    sheet: str | None = None,
    dry_run: bool = False,
    skip_unmatched: bool = False,
    default_framework: str | None = None,
    default_level: str | None = None,
    actor: str | None = None,
    source_name: str | None = None,
) -> StatusImportReport:
    """Import a status CSV/XLSX (in any registered layout) and return the report.

    Raises InputError only if the file cannot be read at all; row problems go into the report,
    and then nothing is stored unless ``skip_unmatched``. ``actor`` (who) and ``source_name`` (the
    file name to record instead of ``path``) go into the audit trail of imports."""
    report_progress(0.0, f"reading {source_name or Path(path).name}")
    data = read_status_file(path, sheet=sheet, default_framework=default_framework, default_level=default_level)
    report = StatusImportReport(
        source_file=source_name or str(path),
        sheet=data.sheet,
        layout=data.layout.name,
        header_row=data.header_row,
        dry_run=dry_run,
        rows_read=data.rows_read,
        rows_skipped_blank=data.rows_skipped_blank,
        rows_skipped_notes=data.rows_skipped_notes,
        invalid=list(data.invalid),
        warnings=list(data.warnings),
    )
    if data.ignored_columns:
        report.notes.append(Note((data.header_row,), "columns ignored: " + ", ".join(data.ignored_columns)))
    log.info(
        "%s: %s layout, %d rows read (%d blank, %d notes), %d invalid",
        path,
        data.layout.name,
        data.rows_read,
        data.rows_skipped_blank,
        data.rows_skipped_notes,
        len({i.row for i in data.invalid}),
    )

    matched, labels = _match_rows(UnitMatcher(store), data, report)
    outside = _outside_province(store, matched)
    if outside:
        report.invalid.extend(outside)
        report.invalid.sort(key=lambda issue: issue.row)
        rows_outside = {issue.row for issue in outside}
        matched = [(row, unit) for row, unit in matched if row.row not in rows_outside]
    log.info(
        "%s: %d rows matched, %d unmatched, %d ambiguous",
        path,
        len(matched),
        len(report.unmatched),
        len(report.ambiguous),
    )

    unit_ids = sorted({u.unit_id for _, u in matched})
    statuses = _merge(
        [s for row, unit in matched for s in _statuses(row, unit)],
        store.statuses(unit_ids),
        _status_key,
        _status_value,
        labels.__getitem__,
    )
    summaries = _merge(
        [_summary(row, unit) for row, unit in matched if row.counts],
        store.summaries(unit_ids),
        _summary_key,
        _summary_value,
        labels.__getitem__,
    )
    recognitions = _merge(
        [_recognition(row, unit) for row, unit in matched if row.recognition],
        store.recognitions(unit_ids),
        _recognition_key,
        _recognition_value,
        labels.__getitem__,
    )
    indicators = _merge(
        [s for row, unit in matched for s in _indicators(row, unit)],
        store.indicator_statuses(unit_ids),
        _indicator_key,
        _indicator_value,
        labels.__getitem__,
    )
    merged = (statuses, summaries, recognitions, indicators)
    report.merged_duplicates = sum(m.duplicates for m in merged)
    report.already_stored = sum(m.already_stored for m in merged)
    report.conflicts = [c for m in merged for c in m.conflicts]
    units = {unit.unit_id: unit for _, unit in matched}
    report.flags = new_flags(store, Records(units, statuses.new, summaries.new, recognitions.new), all_frameworks())
    log.info(
        "%s: %d duplicates merged, %d already stored, %d conflicts",
        path,
        report.merged_duplicates,
        report.already_stored,
        len(report.conflicts),
    )

    if dry_run or not (report.ok or skip_unmatched):
        log.info("%s: nothing stored (%s)", path, "dry run" if dry_run else "rows with problems")
        return report
    report_progress(0.9, f"rows: {report.rows_read} read, {report.matched} matched; storing")
    report.stored = True
    report.statuses_stored, report.summaries_stored = len(statuses.new), len(summaries.new)
    report.recognitions_stored = len(recognitions.new)
    report.indicators_stored = len(indicators.new)
    report.rows_stored = (
        report.statuses_stored + report.summaries_stored + report.recognitions_stored + report.indicators_stored
    )
    report.import_id = store.add_statuses(
        report.record(actor), statuses.new, summaries.new, recognitions.new, indicators.new, report.flags
    )
    log.info(
        "%s: stored %d criterion statuses, %d summaries and %d recognitions (import %d)",
        path,
        report.statuses_stored,
        report.summaries_stored,
        report.recognitions_stored,
        report.import_id,
    )
    return report
