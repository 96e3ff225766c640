"""Derive, for each commune and year, the criteria met and the level reached from the reported
statuses. Rules (documented in the README):

- Wards (phường), towns (thị trấn) and flagged polygons are not assessed: never "0 criteria".
- Figures are measured against the highest level with data that year (e.g. ntm_nang_cao).
- A criterion reported both met and unmet (two sources disagree) is a conflict: it is not
  counted as met and is listed in ``criteria_conflicting``.
- ``criteria_met`` is known when every criterion of the framework was reported (or a count
  was reported); otherwise it is None and only the unmet criteria are listed.
- The level reached is the highest level recognised by a decision or with all criteria met.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from geo_ntm.domain import LEVEL_ORDER, Assessment, CriterionStatus, StatusSummary, Unit
from geo_ntm.frameworks import all_frameworks


def _level_rank(level: str) -> int:
    return LEVEL_ORDER.index(level) if level in LEVEL_ORDER else -1


def _pick_framework(candidates: set[str], year: int) -> str:
    """Prefer the framework whose programme years include ``year``."""
    known = all_frameworks()
    in_force = sorted(f for f in candidates if f in known and known[f].years[0] <= year <= known[f].years[1])
    return (in_force or sorted(candidates))[0]


def assess_unit(
    unit: Unit, year: int, statuses: Iterable[CriterionStatus], summaries: Iterable[StatusSummary]
) -> Assessment:
    """The assessment of one unit in one year from its statuses and summaries of that year."""
    if not unit.assessed:
        return Assessment(unit_id=unit.unit_id, year=year, assessed=False)
    by_group: dict[tuple[str, str], dict[int, set[bool]]] = defaultdict(lambda: defaultdict(set))
    for status in statuses:
        by_group[(status.framework_id, status.level)][status.criterion].add(status.met)
    sums_by_group: dict[tuple[str, str], list[StatusSummary]] = defaultdict(list)
    for summary in summaries:
        sums_by_group[(summary.framework_id, summary.level)].append(summary)
    groups = set(by_group) | set(sums_by_group)
    if not groups:
        return Assessment(unit_id=unit.unit_id, year=year, assessed=True)

    frameworks = all_frameworks()
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
        needed = frameworks[fw_id].criteria_total if fw_id in frameworks else len(criteria)
        if len(criteria) >= needed and all(v == {True} for v in criteria.values()):
            reached.add(level)
    reached |= recognized

    top_level = max((lv for _, lv in groups), key=_level_rank)
    framework_id = _pick_framework({fw for fw, lv in groups if lv == top_level}, year)
    key = (framework_id, top_level)
    total = frameworks[framework_id].criteria_total if framework_id in frameworks else None
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
    )


def assess_units(
    units: Iterable[Unit], year: int, statuses: Iterable[CriterionStatus], summaries: Iterable[StatusSummary]
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
    return {u.unit_id: assess_unit(u, year, st[u.unit_id], su[u.unit_id]) for u in units}
