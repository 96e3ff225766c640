"""Data checks (issue 12 §5): find the contradictions in the status data, to flag and keep them,
never to hide them or change a figure because of them.

- ``summary_disagrees``: a reported count ("19/19") against the criterion rows of the same commune,
  year, framework and level (more criteria met, or more unmet, than the count allows);
- ``recognised_with_unmet``: a recognition for a year whose rows of the same level (and framework,
  when the decision names one) report criteria unmet, or a count short of the total;
- ``not_assessed_unit``: a row for a ward or town (or a flagged polygon) under a framework assessing
  communes, which does not assess it;
- ``unit_gone``: a row for a unit merged away (its code before and not after a lineage event) on
  the day it speaks of: 31 December of its year, or a recognition's decision date;
- ``boundaries_behind``: a year's rows on units of a vintage that is not the one in force that year,
  or changed by lineage events between the vintage's start and that year; one flag per year,
  vintage and district, listing the units.

The checks run over the records given (an import's new rows with those already stored for the same
units, so a contradiction spanning imports is found); ``new_flags`` keeps those not stored yet."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from geo_ntm.domain import (
    LEVELS,
    AdminTier,
    CriterionStatus,
    DataFlag,
    DataFlagKind,
    FlaggedUnit,
    Framework,
    LineageEvent,
    Recognition,
    RecognitionKind,
    StatusSummary,
    Unit,
    Vintage,
)
from geo_ntm.store import Store

_Row = CriterionStatus | StatusSummary | Recognition


@dataclass(frozen=True)
class Records:
    """The status records a check looks at, with their units (every unit a record names)."""

    units: Mapping[int, Unit]
    statuses: Sequence[CriterionStatus] = ()
    summaries: Sequence[StatusSummary] = ()
    recognitions: Sequence[Recognition] = ()

    def all(self) -> list[_Row]:
        return [*self.statuses, *self.summaries, *self.recognitions]


def _flagged(unit: Unit) -> FlaggedUnit:
    return FlaggedUnit(unit.unit_id, unit.vintage_id, unit.code, unit.name)


def _evidence(rows: Iterable[_Row]) -> dict:
    """The rows of this file (records not stored yet) and the first source of the records."""
    rows = list(rows)
    return {
        "rows": tuple(sorted({r.row_number for r in rows if r.import_id is None and r.row_number is not None})),
        "source": next((r.source for r in rows if r.source), None),
    }


def _flag(
    kind: DataFlagKind, units: Sequence[Unit], year: int, vi: str, en: str, rows: Iterable[_Row], **kw
) -> DataFlag:
    first = units[0]
    return DataFlag(
        kind,
        tuple(_flagged(u) for u in units),
        year,
        vi,
        en,
        province_code=first.province_code,
        district_code=first.district_code,
        **kw,
        **_evidence(rows),
    )


def _detail(statuses: Iterable[CriterionStatus]) -> dict[tuple, dict[int, set[bool]]]:
    """Per (unit, year, framework, level): the values reported for each criterion."""
    found: dict[tuple, dict[int, set[bool]]] = defaultdict(lambda: defaultdict(set))
    for s in statuses:
        found[(s.unit_id, s.year, s.framework_id, s.level)][s.criterion].add(s.met)
    return found


def _numbers(criteria: Iterable[int]) -> str:
    return ", ".join(str(n) for n in sorted(criteria))


def _summaries_disagree(records: Records) -> list[DataFlag]:
    detail = _detail(records.statuses)
    flags = []
    for s in records.summaries:
        key = (s.unit_id, s.year, s.framework_id, s.level)
        criteria = detail.get(key)
        if not criteria:
            continue
        met = [n for n, v in criteria.items() if v == {True}]
        unmet = [n for n, v in criteria.items() if v == {False}]
        if len(met) <= s.criteria_met and len(unmet) <= s.criteria_total - s.criteria_met:
            continue
        unit = records.units[s.unit_id]
        rows: list[_Row] = [s, *(r for r in records.statuses if (r.unit_id, r.year, r.framework_id, r.level) == key)]
        flags.append(
            _flag(
                DataFlagKind.SUMMARY_DISAGREES,
                [unit],
                s.year,
                f"{unit.name}, {s.year}: báo cáo ghi {s.criteria_met}/{s.criteria_total} tiêu chí đạt, nhưng các dòng"
                f" chi tiết ghi {len(met)} tiêu chí đạt và {len(unmet)} chưa đạt ({_numbers(unmet) or '—'})",
                f"{unit.name}, {s.year}: the summary says {s.criteria_met}/{s.criteria_total} criteria met, the"
                f" criterion rows say {len(met)} met and {len(unmet)} unmet ({_numbers(unmet) or '—'})",
                rows,
                framework_id=s.framework_id,
                level=s.level,
            )
        )
    return flags


def _recognised_with_unmet(records: Records) -> list[DataFlag]:
    detail = _detail(records.statuses)
    flags = []
    for r in records.recognitions:
        if r.kind is RecognitionKind.REVOKED:
            continue
        unit = records.units[r.unit_id]
        for (unit_id, year, fw, level), criteria in detail.items():
            unmet = [n for n, v in criteria.items() if v == {False}]
            if (unit_id, year, level) != (r.unit_id, r.year, r.level) or r.framework_id not in (None, fw) or not unmet:
                continue
            rows: list[_Row] = [
                r,
                *(
                    s
                    for s in records.statuses
                    if (s.unit_id, s.year, s.framework_id, s.level) == (unit_id, year, fw, level)
                ),
            ]
            flags.append(
                _recognised_flag(
                    unit, r, fw, f"tiêu chí {_numbers(unmet)} chưa đạt", f"criteria {_numbers(unmet)} unmet", rows
                )
            )
        for s in records.summaries:
            same = (s.unit_id, s.year, s.level) == (r.unit_id, r.year, r.level) and r.framework_id in (
                None,
                s.framework_id,
            )
            if same and s.criteria_met < s.criteria_total:
                count = f"{s.criteria_met}/{s.criteria_total}"
                flags.append(
                    _recognised_flag(
                        unit, r, s.framework_id, f"chỉ {count} tiêu chí đạt", f"only {count} criteria met", [r, s]
                    )
                )
    return flags


def _recognised_flag(unit: Unit, r: Recognition, framework_id: str, vi: str, en: str, rows: list[_Row]) -> DataFlag:
    decision = r.decision or "?"
    level_vi, level_en = LEVELS.get(r.level, (r.level, r.level))
    return _flag(
        DataFlagKind.RECOGNISED_WITH_UNMET,
        [unit],
        r.year,
        f"{unit.name} được công nhận {level_vi} năm {r.year} (quyết định {decision}) nhưng {vi} cùng năm",
        f"{unit.name} is recognised {level_en} for {r.year} (decision {decision}) but has {en} that year",
        rows,
        framework_id=framework_id,
        level=r.level,
    )


def _not_assessed(records: Records, frameworks: Mapping[str, Framework]) -> list[DataFlag]:
    groups: dict[tuple, list[_Row]] = defaultdict(list)
    for row in records.all():
        unit = records.units[row.unit_id]
        fw_id = row.framework_id
        framework = frameworks.get(fw_id) if fw_id else None
        if unit.assessed or (framework is not None and framework.applies_to is not AdminTier.COMMUNE):
            continue
        groups[(row.unit_id, row.year, fw_id, row.level)].append(row)
    flags = []
    for (unit_id, year, fw_id, level), rows in groups.items():
        unit = records.units[unit_id]
        kind = unit.unit_type.label_vi if unit.unit_type else "đơn vị không phải xã"
        flags.append(
            _flag(
                DataFlagKind.NOT_ASSESSED_UNIT,
                [unit],
                year,
                f"{unit.name} ({kind}) có số liệu năm {year} theo bộ tiêu chí {fw_id or '—'}, bộ này không đánh giá"
                " phường, thị trấn",
                f"{unit.name} is not a xã but has {year} rows under {fw_id or '—'}, a set that does not assess wards"
                " or towns",
                rows,
                framework_id=fw_id,
                level=level,
            )
        )
    return flags


def _day_of(row: _Row) -> dt.date:
    """The day a row speaks of: a recognition's decision date, else 31 December of its year."""
    if isinstance(row, Recognition) and row.decision_date:
        return row.decision_date
    return dt.date(row.year, 12, 31)


def _changes(unit: Unit, vintage: Vintage, until: dt.date, events: Sequence[LineageEvent]) -> list[LineageEvent]:
    """The lineage events after the unit's vintage started, up to ``until``, changing the unit."""
    return [e for e in events if unit.code in e.before and vintage.valid_from < e.effective_date <= until]


def _gone_and_behind(records: Records, store: Store) -> list[DataFlag]:
    vintages = {v.vintage_id: v for v in store.vintages()}
    events = store.lineage_events()
    gone: dict[tuple, list[_Row]] = defaultdict(list)
    gone_by: dict[tuple, LineageEvent] = {}
    behind: dict[tuple, dict[int, list[_Row]]] = defaultdict(lambda: defaultdict(list))
    in_force: dict[int, int | None] = {}
    for row in records.all():
        unit = records.units[row.unit_id]
        vintage = vintages[unit.vintage_id]
        merged = [e for e in _changes(unit, vintage, _day_of(row), events) if unit.code not in e.after]
        if merged:
            key = (row.unit_id, row.year, row.framework_id, row.level)
            gone[key].append(row)
            gone_by[key] = merged[0]
        if row.year not in in_force:
            found = [v for v in vintages.values() if v.covers(dt.date(row.year, 12, 31))]
            in_force[row.year] = found[0].vintage_id if found else None
        changed = _changes(unit, vintage, dt.date(row.year, 12, 31), events)
        if in_force[row.year] != unit.vintage_id or changed:
            behind[(row.year, unit.vintage_id, unit.district_code)][row.unit_id].append(row)
    flags = []
    for (unit_id, year, fw_id, level), rows in gone.items():
        unit, e = records.units[unit_id], gone_by[(unit_id, year, fw_id, level)]
        day = _day_of(rows[0]).isoformat()
        flags.append(
            _flag(
                DataFlagKind.UNIT_GONE,
                [unit],
                year,
                f"{unit.name} không còn tồn tại ngày {day}: đã sáp nhập theo {e.legal_act} (hiệu lực"
                f" {e.effective_date.isoformat()})",
                f"{unit.name} no longer exists on {day}: merged by {e.legal_act} (in force"
                f" {e.effective_date.isoformat()})",
                rows,
                framework_id=fw_id,
                level=level,
            )
        )
    for (year, vintage_id, _), by_unit in behind.items():
        units = [records.units[u] for u in sorted(by_unit, key=lambda u: records.units[u].code)]
        names = ", ".join(u.name or u.code for u in units)
        vintage = vintages[vintage_id]
        flags.append(
            _flag(
                DataFlagKind.BOUNDARIES_BEHIND,
                units,
                year,
                f"Số liệu năm {year} nằm trên ranh giới {vintage.name!r} (từ {vintage.valid_from.isoformat()}),"
                f" không phản ánh các đơn vị năm {year}: {names}",
                f"The {year} rows lie on the boundaries {vintage.name!r} (from {vintage.valid_from.isoformat()}),"
                f" which do not reflect that year's units: {names}",
                [r for rows in by_unit.values() for r in rows],
            )
        )
    return flags


def find_flags(store: Store, records: Records, frameworks: Mapping[str, Framework]) -> list[DataFlag]:
    """Every contradiction of ``records`` (see the module docstring), in the order of the kinds."""
    return [
        *_summaries_disagree(records),
        *_recognised_with_unmet(records),
        *_not_assessed(records, frameworks),
        *_gone_and_behind(records, store),
    ]


def _not_stored(store: Store, records: Records, frameworks: Mapping[str, Framework]) -> list[DataFlag]:
    """The flags of ``records`` but for those already stored (a finding is stored once)."""
    years = {r.year for r in records.all()}
    known = {f.key for year in years for f in store.data_flags(year=year)}
    found: dict[tuple, DataFlag] = {}
    for flag in find_flags(store, records, frameworks):
        if flag.key not in known:
            found.setdefault(flag.key, flag)
    return list(found.values())


def new_flags(store: Store, new: Records, frameworks: Mapping[str, Framework]) -> list[DataFlag]:
    """The flags of ``new`` records (an import's) together with those stored for the same units,
    but for those already stored: a later import finding a contradiction again stores it once."""
    ids = sorted(new.units)
    records = Records(
        new.units,
        [*store.statuses(ids), *new.statuses],
        [*store.summaries(ids), *new.summaries],
        [*store.recognitions(ids), *new.recognitions],
    )
    return _not_stored(store, records, frameworks)


def check_stored(store: Store, province_code: str, frameworks: Mapping[str, Framework]) -> list[DataFlag]:
    """Check what is stored for the communes of a province (in every vintage) and store the flags
    not stored yet, e.g. after a lineage import left a year's rows on units merged away since;
    returns them."""
    units = {
        u.unit_id: u
        for v in store.vintages()
        for u in store.unit_records(v.vintage_id, AdminTier.COMMUNE, province_code=province_code)
    }
    ids = sorted(units)
    records = Records(units, store.statuses(ids), store.summaries(ids), store.recognitions(ids))
    found = _not_stored(store, records, frameworks)
    store.add_data_flags(found)
    return found
