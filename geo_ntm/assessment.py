"""Derive, for each unit (commune, district, province) and year, the criteria met and the level
reached from the reported statuses. Rules (documented in the README):

- Wards (phường), towns (thị trấn), urban districts (quận) and flagged polygons are not assessed:
  never "0 criteria". Special zones (đặc khu, from 1 July 2025) are not assessed unless
  ``GEO_NTM_ASSESS_DAC_KHU`` is set: whether QĐ 51/2025 assesses them is unconfirmed. A district
  or province is assessed by the same rules as a commune, against the framework its statuses name
  (``applies_to`` district or province).
- Figures are measured against one framework, never a mix: the one asked for, else a national
  set before a province's own (so adding a province's set never changes the figures of a commune
  with national data), a set with known criteria before one without, the set in force that year
  before another, then the set with the highest level with data; within it, against the highest
  level with data that year (e.g. ntm_nang_cao of QĐ 318).
- A set whose criteria are not known (``criteria_known`` false) gives no counts of its own; a
  recognition at one of its levels still counts.
- A criterion reported both met and unmet (two sources disagree) is a conflict: it is not
  counted as met and is listed in ``criteria_conflicting``.
- ``criteria_met`` is known when every criterion of the framework was reported (or a count
  was reported); otherwise it is None and only the unmet criteria are listed.
- Recognition is a fact of its own: a unit is recognised at a level by a decision, never by meeting
  every criterion. The recognised level of a year is the highest level whose latest recognition
  event in or before that year is not a revocation: a recognition holds until revoked or
  superseded. ``criteria_level`` is the highest level with all criteria met that year, recognised
  or not.
- The level reached (``level``) is the highest level recognised or with all criteria met.
- A criterion not reported itself is derived from its indicators (chỉ tiêu) when the framework
  lists every indicator of it (``indicators_complete``) and each is reported met or unmet (one
  value, no conflict): met when all are met. It is listed in ``criteria_derived``. A derived
  status never overrides a reported one: when they disagree the criterion is conflicting.
  Where a framework's indicators are not all known from a cited source, nothing is derived.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from geo_ntm.domain import (
    LEVEL_ORDER,
    AdminTier,
    Assessment,
    CriterionStatus,
    Framework,
    IndicatorStatus,
    Recognition,
    RecognitionKind,
    StatusSummary,
    Unit,
    UnitType,
)
from geo_ntm.frameworks import all_frameworks
from geo_ntm.settings import dac_khu_assessed

#: The district types the NTM programme assesses: huyện (đạt chuẩn NTM), and thị xã and provincial
#: thành phố (hoàn thành nhiệm vụ xây dựng NTM); an urban district (quận) is not assessed.
_ASSESSED_DISTRICTS = (UnitType.HUYEN, UnitType.THI_XA, UnitType.THANH_PHO)


def is_assessed(unit: Unit) -> bool:
    """Whether the NTM programme assesses ``unit`` at its tier: a xã (never a ward, town or flagged
    polygon), a đặc khu only when ``GEO_NTM_ASSESS_DAC_KHU`` says so (unconfirmed under QĐ 51/2025),
    a huyện, thị xã or provincial thành phố (never a quận), any province."""
    if unit.flag is None and unit.level is AdminTier.COMMUNE and unit.unit_type is UnitType.DAC_KHU:
        return dac_khu_assessed()
    if unit.flag is not None or unit.level is AdminTier.COMMUNE:
        return unit.assessed
    return unit.level is AdminTier.PROVINCE or unit.unit_type in _ASSESSED_DISTRICTS


def completed_task(unit: Unit, assessment: Assessment, frameworks: dict[str, Framework]) -> bool:
    """Whether the level recognised is, for this unit, "hoàn thành nhiệm vụ xây dựng NTM": the
    decision's framework (else any set assessing the unit's tier) lists the unit's type in its
    ``completion_types`` and the level recognised is that set's ``ntm`` (its first) level."""
    if assessment.recognised_level != "ntm" or unit.unit_type is None:
        return False
    named = assessment.recognition.framework_id if assessment.recognition else None
    if named is not None and named in frameworks:
        sets = [frameworks[named]]
    else:
        sets = [f for f in frameworks.values() if f.applies_to is unit.level]
    return any(unit.unit_type in f.completion_types for f in sets)


def _level_rank(level: str) -> int:
    return LEVEL_ORDER.index(level) if level in LEVEL_ORDER else -1


def _pick_framework(groups: set[tuple[str, str]], year: int, frameworks: dict[str, Framework]) -> str:
    """The framework the figures are measured against, among those with data (``groups``:
    framework and level pairs); a framework's rank depends on itself only, so adding another
    (a province's own set) never changes which one a commune with national data is measured on."""

    def rank(framework_id: str) -> tuple:
        fw = frameworks.get(framework_id)
        top = max(_level_rank(lv) for f, lv in groups if f == framework_id)
        if fw is None:  # statuses of a framework no longer loaded: after every loaded one
            return (True, True, True, -top, framework_id)
        in_force = fw.years[0] <= year <= fw.years[1]
        return (not fw.national, not fw.criteria_known, not in_force, -top, framework_id)

    return min({f for f, _ in groups}, key=rank)


def derived_criteria(
    indicators: Iterable[IndicatorStatus], frameworks: dict[str, Framework]
) -> dict[tuple[str, str], dict[int, bool]]:
    """Per (framework, level): the criteria whose status follows from their indicators (see the
    module rule), met or not. Indicators reported with a value only are not judged."""
    reported: dict[tuple[str, str, int], dict[str, set[bool]]] = defaultdict(lambda: defaultdict(set))
    for i in indicators:
        if i.met is not None:
            reported[(i.framework_id, i.level, i.criterion)][i.indicator_id].add(i.met)
    derived: dict[tuple[str, str], dict[int, bool]] = defaultdict(dict)
    for (framework_id, level, criterion), found in reported.items():
        fw = frameworks.get(framework_id)
        if fw is None or criterion not in fw.indicators_complete:
            continue  # not every indicator of the criterion is known: nothing to derive
        needed = {i.indicator_id for i in fw.indicators if i.criterion == criterion}
        if needed <= set(found) and all(len(found[n]) == 1 for n in needed):
            derived[(framework_id, level)][criterion] = all(found[n] == {True} for n in needed)
    return derived


def held_recognitions(recognitions: Iterable[Recognition], year: int) -> dict[str, Recognition]:
    """Per level, the recognition holding in ``year``: the latest event for a year up to ``year``
    (by year, decision date, then the order given), unless it is a revocation."""
    latest: dict[str, Recognition] = {}
    events = sorted(
        (r for r in recognitions if r.year <= year),
        key=lambda r: (r.year, r.decision_date or dt.date.min),
    )  # stable: events of one year and date keep the order given
    for r in events:
        latest[r.level] = r
    return {level: r for level, r in latest.items() if r.kind is not RecognitionKind.REVOKED}


def _decision_text(r: Recognition) -> str:
    """ "694/QĐ-UBND-HC (2023-06-30)"."""
    return (r.decision or "?") + (f" ({r.decision_date.isoformat()})" if r.decision_date else "")


def _recognised_fields(recognitions: Iterable[Recognition], year: int) -> dict:
    """The recognition fields of an assessment: the levels held, their decisions and the highest."""
    held = held_recognitions(recognitions, year)
    levels = sorted(held, key=_level_rank)
    top = levels[-1] if levels else None
    return {
        "recognized_levels": tuple(levels),
        "decisions": tuple(_decision_text(held[lv]) for lv in levels if held[lv].decision),
        "recognised_level": top,
        "recognition": held[top] if top else None,
    }


def assess_unit(
    unit: Unit,
    year: int,
    statuses: Iterable[CriterionStatus],
    summaries: Iterable[StatusSummary],
    recognitions: Iterable[Recognition] = (),
    frameworks: dict[str, Framework] | None = None,
    indicators: Iterable[IndicatorStatus] = (),
) -> Assessment:
    """The assessment of one unit in one year from its statuses, summaries and indicator statuses
    of that year and its recognitions of that year and before (those of later years are ignored),
    with ``frameworks`` (default: ``all_frameworks()``; a caller assessing many units reads it once)."""
    if not is_assessed(unit):
        return Assessment(unit_id=unit.unit_id, year=year, assessed=False)
    recognitions = [r for r in recognitions if r.year <= year]
    recognised = _recognised_fields(recognitions, year)
    by_group: dict[tuple[str, str], dict[int, set[bool]]] = defaultdict(lambda: defaultdict(set))
    for status in statuses:
        by_group[(status.framework_id, status.level)][status.criterion].add(status.met)
    frameworks = all_frameworks() if frameworks is None else frameworks
    derived: dict[tuple[str, str], set[int]] = defaultdict(set)
    for key, criteria_derived in derived_criteria(indicators, frameworks).items():
        for number, is_met in criteria_derived.items():
            if number not in by_group[key]:
                derived[key].add(number)
            by_group[key][number].add(is_met)  # a reported status that disagrees makes a conflict
    sums_by_group: dict[tuple[str, str], list[StatusSummary]] = defaultdict(list)
    for summary in summaries:
        sums_by_group[(summary.framework_id, summary.level)].append(summary)
    groups = {key for key, criteria in by_group.items() if criteria} | set(sums_by_group)
    if not groups:
        top = recognised["recognised_level"]
        return Assessment(
            unit_id=unit.unit_id, year=year, assessed=True, has_data=bool(recognitions), level=top, **recognised
        )

    reached: set[str] = set()
    for (_, level), sums in sums_by_group.items():
        for s in sums:
            if s.criteria_met >= s.criteria_total:
                reached.add(level)
    for (fw_id, level), criteria in by_group.items():
        fw = frameworks.get(fw_id)
        if fw is not None and not fw.criteria_known:
            continue  # nothing to check the criteria against
        needed = fw.criteria_total if fw is not None else len(criteria)
        if len(criteria) >= needed and all(v == {True} for v in criteria.values()):
            reached.add(level)
    criteria_level = max(reached, key=_level_rank) if reached else None
    reached |= set(recognised["recognized_levels"])

    framework_id = _pick_framework(groups, year, frameworks)
    top_level = max((lv for fw, lv in groups if fw == framework_id), key=_level_rank)
    key = (framework_id, top_level)
    chosen = frameworks.get(framework_id)
    total = chosen.criteria_total if chosen is not None and chosen.criteria_known else None
    criteria = by_group.get(key, {})
    met = frozenset(n for n, v in criteria.items() if v == {True})
    unmet = tuple(sorted(n for n, v in criteria.items() if v == {False}))
    conflicting = tuple(sorted(n for n, v in criteria.items() if len(v) > 1))
    criteria_met = len(met) if total is not None and len(criteria) >= total else None
    if criteria_met is None and key in sums_by_group:
        counts = {s.criteria_met for s in sums_by_group[key]}
        criteria_met = counts.pop() if len(counts) == 1 else None
        total = sums_by_group[key][0].criteria_total
    return Assessment(
        unit_id=unit.unit_id,
        year=year,
        assessed=True,
        has_data=True,
        framework_id=framework_id,
        target_level=top_level,
        criteria_met=criteria_met,
        criteria_total=total,
        criteria_unmet=unmet,
        criteria_conflicting=conflicting,
        level=max(reached, key=_level_rank) if reached else None,
        met_criteria=met,
        criteria_level=criteria_level,
        criteria_derived=tuple(sorted(derived.get(key, ()))),
        **recognised,
    )


def assess_units(
    units: Iterable[Unit],
    year: int,
    statuses: Iterable[CriterionStatus],
    summaries: Iterable[StatusSummary],
    recognitions: Iterable[Recognition] = (),
    indicators: Iterable[IndicatorStatus] = (),
) -> dict[int, Assessment]:
    """Assessments of many units, keyed by unit id (statuses of other years are ignored, and
    recognitions of later years)."""
    st: dict[int, list[CriterionStatus]] = defaultdict(list)
    for status in statuses:
        if status.year == year:
            st[status.unit_id].append(status)
    su: dict[int, list[StatusSummary]] = defaultdict(list)
    for summary in summaries:
        if summary.year == year:
            su[summary.unit_id].append(summary)
    rec: dict[int, list[Recognition]] = defaultdict(list)
    for recognition in recognitions:
        rec[recognition.unit_id].append(recognition)
    ind: dict[int, list[IndicatorStatus]] = defaultdict(list)
    for indicator in indicators:
        if indicator.year == year:
            ind[indicator.unit_id].append(indicator)
    frameworks = all_frameworks()
    return {
        u.unit_id: assess_unit(u, year, st[u.unit_id], su[u.unit_id], rec[u.unit_id], frameworks, ind[u.unit_id])
        for u in units
    }
