"""Derive, for each commune and year, the criteria met and the level reached from the reported
statuses. Rules (documented in the README):

- Wards (phường), towns (thị trấn) and flagged polygons are not assessed: never "0 criteria".
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
- The level reached is the highest level recognised by a decision or with all criteria met.
- A criterion not reported itself is derived from its indicators (chỉ tiêu) when the framework
  lists every indicator of it (``indicators_complete``) and each is reported met or unmet (one
  value, no conflict): met when all are met. It is listed in ``criteria_derived``. A derived
  status never overrides a reported one: when they disagree the criterion is conflicting.
  Where a framework's indicators are not all known from a cited source, nothing is derived.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from geo_ntm.domain import LEVEL_ORDER, Assessment, CriterionStatus, Framework, IndicatorStatus, StatusSummary, Unit
from geo_ntm.frameworks import all_frameworks


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


def assess_unit(
    unit: Unit,
    year: int,
    statuses: Iterable[CriterionStatus],
    summaries: Iterable[StatusSummary],
    frameworks: dict[str, Framework] | None = None,
    indicators: Iterable[IndicatorStatus] = (),
) -> Assessment:
    """The assessment of one unit in one year from its statuses, summaries and indicator statuses
    of that year, with ``frameworks`` (default: ``all_frameworks()``; a caller assessing many
    units reads it once)."""
    if not unit.assessed:
        return Assessment(unit_id=unit.unit_id, year=year, assessed=False)
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
        return Assessment(unit_id=unit.unit_id, year=year, assessed=True)

    reached: set[str] = set()
    recognized: set[str] = set()
    decisions: list[str] = []
    for (_, level), sums in sums_by_group.items():
        for s in sums:
            if s.recognized:
                recognized.add(level)
                if s.decision:
                    decisions.append(s.decision + (f" ({s.decision_date.isoformat()})" if s.decision_date else ""))
            if s.criteria_met >= s.criteria_total:
                reached.add(level)
    for (fw_id, level), criteria in by_group.items():
        fw = frameworks.get(fw_id)
        if fw is not None and not fw.criteria_known:
            continue  # nothing to check the criteria against
        needed = fw.criteria_total if fw is not None else len(criteria)
        if len(criteria) >= needed and all(v == {True} for v in criteria.values()):
            reached.add(level)
    reached |= recognized

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
        recognized_levels=tuple(sorted(recognized, key=_level_rank)),
        decisions=tuple(decisions),
        met_criteria=met,
        criteria_derived=tuple(sorted(derived.get(key, ()))),
    )


def assess_units(
    units: Iterable[Unit],
    year: int,
    statuses: Iterable[CriterionStatus],
    summaries: Iterable[StatusSummary],
    indicators: Iterable[IndicatorStatus] = (),
) -> dict[int, Assessment]:
    """Assessments of many units, keyed by unit id (statuses of other years are ignored)."""
    st: dict[int, list[CriterionStatus]] = defaultdict(list)
    for status in statuses:
        if status.year == year:
            st[status.unit_id].append(status)
    su: dict[int, list[StatusSummary]] = defaultdict(list)
    for summary in summaries:
        if summary.year == year:
            su[summary.unit_id].append(summary)
    ind: dict[int, list[IndicatorStatus]] = defaultdict(list)
    for indicator in indicators:
        if indicator.year == year:
            ind[indicator.unit_id].append(indicator)
    frameworks = all_frameworks()
    return {u.unit_id: assess_unit(u, year, st[u.unit_id], su[u.unit_id], frameworks, ind[u.unit_id]) for u in units}
