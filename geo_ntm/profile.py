"""What the store says about one commune: in one year, every criterion of its framework with its
status (met, unmet, conflicting, no data, or derived from its indicators) and the sources that
reported it, and the indicators reported with their values and units; its recognition decisions;
its level in every year with data; the baseline of its former communes before a merger
(``geo_ntm.baseline``, labelled as history). Also where the statuses of many units come from (a map's
source line)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence

import pandas as pd

from geo_ntm.assessment import assess_unit
from geo_ntm.baseline import commune_baseline
from geo_ntm.domain import (
    AdminTier,
    Assessment,
    ClassificationKind,
    CriterionStatus,
    IndicatorStatus,
    Recognition,
    StatusSummary,
    Threshold,
    Unit,
    Vintage,
)
from geo_ntm.errors import NotFoundError
from geo_ntm.frameworks import all_frameworks
from geo_ntm.indicator_sets import ThresholdBook, threshold_book
from geo_ntm.infrastructure.coverage import framework_of_year
from geo_ntm.store import Store
from geo_ntm.store.base import unit_from_row
from geo_ntm.views import unit_view

_Year = tuple[Unit, Vintage, list[CriterionStatus], list[StatusSummary], list[IndicatorStatus]]


def commune_profile(store: Store, vintage: Vintage, code: str, year: int) -> dict:
    """The profile of the commune ``code`` of ``vintage`` in ``year``, with its history.

    A year's statuses belong to the unit with this code in the vintage in force on 31 December of
    that year (the same unit, or the one it continued as after a rename or a merger it survived)."""
    frame = unit_view(store, vintage, AdminTier.COMMUNE, codes=[code], geometry=False)
    if frame.empty:
        raise NotFoundError(f"no commune with code {code!r} in the boundaries {vintage.name}")
    row = next(frame.itertuples(index=False))
    unit = unit_from_row(row)
    years, recognitions = _years(store, code)
    own, own_vintage, statuses, summaries, indicators = years.get(
        year, (unit, store.vintage_for_year(year), [], [], [])
    )
    assessment = assess_unit(own, year, statuses, summaries, recognitions, indicators=indicators)
    groups = _groups(store, unit.unit_id, dt.date(year, 12, 31))
    group = groups["ntm_group"]["group"] if groups["ntm_group"] else None
    return {
        "code": unit.code,
        "name": unit.name,
        "unit_type": unit.unit_type.value if unit.unit_type else None,
        "district": row.district,
        "province": row.province,
        "district_code": unit.district_code,
        "province_code": unit.province_code,
        "vintage": vintage.name,
        "population": None if pd.isna(row.population) else float(row.population),
        "assessed": assessment.assessed,
        "year": year,
        "statuses_vintage": own_vintage.name,
        **groups,
        **assessment.figures(),
        "criteria": _criteria(assessment, statuses, year) if assessment.assessed else [],
        "criteria_derived": list(assessment.criteria_derived),
        "reported_indicators": _indicators(indicators, threshold_book(store.indicator_sets()), group),
        "reported_counts": [
            {
                "level": s.level,
                "framework": s.framework_id,
                "criteria_met": s.criteria_met,
                "criteria_total": s.criteria_total,
                "recognized": s.recognized,
                "decision": s.decision,
                "decision_date": s.decision_date.isoformat() if s.decision_date else None,
                "source": s.source,
            }
            for s in summaries
        ],
        "recognitions": [
            {
                "year": r.year,
                "level": r.level,
                "event": r.kind.value,
                "framework": r.framework_id,
                "decision": r.decision,
                "decision_date": r.decision_date.isoformat() if r.decision_date else None,
                "issuing_body": r.issuing_body,
                "source": r.source,
            }
            for r in sorted(recognitions, key=lambda r: (r.year, r.decision_date or dt.date.min))
        ],
        "history": [
            {"year": y, "vintage": v.name, **assess_unit(u, y, st, su, recognitions, indicators=ind).figures()}
            for y, (u, v, st, su, ind) in sorted(years.items())
        ]
        if assessment.assessed
        else [],
        # history of the former communes before the merger, never this commune's recognition
        "baseline": None if (before := commune_baseline(store, vintage, code)) is None else before.to_dict(),
    }


def _years(store: Store, code: str) -> tuple[dict[int, _Year], list[Recognition]]:
    """Per year with data: the unit holding that year's statuses, its vintage, the statuses and
    the summaries; and the recognitions of every unit with this code (a recognition holds in later
    years, whatever their boundaries)."""
    found: dict[int, _Year] = {}
    recognitions: list[Recognition] = []
    for vintage in store.vintages():
        for unit in (
            unit_from_row(r)
            for r in store.units(vintage.vintage_id, AdminTier.COMMUNE, codes=[code], geometry=False).itertuples(
                index=False
            )
        ):
            statuses, summaries = store.statuses([unit.unit_id]), store.summaries([unit.unit_id])
            own = store.recognitions([unit.unit_id])
            recognitions.extend(own)
            indicators = store.indicator_statuses([unit.unit_id])
            years_with_data = {s.year for s in statuses} | {s.year for s in summaries} | {r.year for r in own}
            for year in years_with_data | {i.year for i in indicators}:
                if store.vintage_for_year(year) == vintage:
                    found[year] = (
                        unit,
                        vintage,
                        [s for s in statuses if s.year == year],
                        [s for s in summaries if s.year == year],
                        [i for i in indicators if i.year == year],
                    )
    return found, recognitions


def _criteria(a: Assessment, statuses: list[CriterionStatus], year: int) -> list[dict]:
    """Every criterion of the framework measured that year (the one in force without data)."""
    framework = all_frameworks().get(a.framework_id or framework_of_year(year) or "")
    if framework is None:
        return []
    reported: dict[int, dict[tuple[bool, str | None], None]] = {}
    for s in statuses:
        if s.framework_id == framework.framework_id and (a.target_level is None or s.level == a.target_level):
            reported.setdefault(s.criterion, {})[(s.met, s.source)] = None
    rows = []
    for c in framework.criteria:
        sources = list(reported.get(c.number, {}))
        values = {met for met, _ in sources}
        status = (
            "no_data" if not values else "conflicting" if len(values) > 1 else "met" if values == {True} else "unmet"
        )
        rows.append(
            {
                "number": c.number,
                "name_vi": c.name_vi,
                "name_en": c.name_en,
                "status": status,
                "sources": [{"met": met, "source": source} for met, source in sources],
            }
        )
    return rows


def _groups(store: Store, unit_id: int, day: dt.date) -> dict:
    """The commune's NTM group (``ntm_group``: the group, its decision, date and numbering source)
    and its classifications (``ethnic_area``, ``admin_class``: value, act, date) in force on
    ``day``, each None without one; the group and the classes come from separate acts."""
    group = store.unit_groups([unit_id], day).get(unit_id)
    classes = store.unit_classifications([unit_id], day).get(unit_id, {})
    out: dict[str, dict | None] = {
        "ntm_group": None
        if group is None
        else {
            "group": group.group,
            "decision": group.decision,
            "decision_date": group.decision_date.isoformat(),
            "numbering_source": group.numbering_source,
            "source": group.source,
        }
    }
    for kind in ClassificationKind:
        c = classes.get(kind)
        out[kind.value] = (
            None
            if c is None
            else {"value": c.value, "act": c.act, "act_date": c.act_date.isoformat(), "source": c.source}
        )
    return out


def _indicators(indicators: list[IndicatorStatus], book: ThresholdBook, group: int | None) -> list[dict]:
    """The reported indicators of the year, by id, each report with its status, value and unit
    (names where the framework lists the indicator), and its verdict against the threshold of the
    commune's ``group`` in the stored indicator sets ("unknown" without a threshold or a group)."""
    frameworks = all_frameworks()
    rows = []
    for i in sorted(indicators, key=lambda i: (tuple(int(n) for n in i.indicator_id.split(".")), i.row_number or 0)):
        fw = frameworks.get(i.framework_id)
        named = next((d for d in fw.indicators if d.indicator_id == i.indicator_id), None) if fw else None
        rows.append(
            {
                "indicator": i.indicator_id,
                "criterion": i.criterion,
                "framework": i.framework_id,
                "level": i.level,
                "name_vi": named.name_vi if named else None,
                "name_en": named.name_en if named else None,
                "met": i.met,
                "value": i.value,
                "unit": i.value_unit,
                "source": i.source,
                "threshold": _threshold_text(book.threshold(i.framework_id, i.indicator_id, group)),
                "verdict": book.verdict(i, group),
            }
        )
    return rows


def _threshold_text(threshold: Threshold | None) -> str | None:
    """ ">= 90", "<= 3.5" or "yes/no"; None without a threshold."""
    if threshold is None:
        return None
    if threshold.value is None:
        return threshold.comparison.value
    return f"{threshold.comparison.value} {threshold.value:g}"


def status_sources(store: Store, unit_ids: Sequence[int], year: int) -> list[str]:
    """The sources of the statuses and counts of ``unit_ids`` in ``year`` and of the recognitions
    holding then, the most used first."""
    reported: list[CriterionStatus | StatusSummary | Recognition] = [
        *store.statuses(unit_ids, year),
        *store.summaries(unit_ids, year),
        *store.recognitions(unit_ids, year),
    ]
    counted = Counter(s.source for s in reported if s.source)
    return [source for source, _ in counted.most_common()]
