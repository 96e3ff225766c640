"""Units joined to their names of parents and to their own assessment of a year (communes,
districts, provinces: ``status_view``): the one table that maps, reports, downloads and the API
present."""

from __future__ import annotations

import datetime as dt
from collections import namedtuple
from dataclasses import dataclass
from pathlib import PurePath

import geopandas as gpd
import pandas as pd

from geo_ntm.assessment import assess_units, completed_task, is_assessed
from geo_ntm.carry import CarryRule, carry
from geo_ntm.domain import (
    AdminTier,
    ClassificationKind,
    CriterionStatus,
    IndicatorStatus,
    Recognition,
    StatusSummary,
    Unit,
    Vintage,
)
from geo_ntm.filters import Expr
from geo_ntm.frameworks import all_frameworks
from geo_ntm.store import BBox, Store
from geo_ntm.store.base import unit_from_row
from geo_ntm.where import Where

#: Columns of the recognition holding in the year (None without one).
RECOGNITION_COLUMNS = (
    "recognised_level",
    "recognition_decision",
    "recognition_date",
    "recognition_year",
    "recognition_framework",
)
#: Columns a commune view adds to the unit columns.
ASSESSMENT_COLUMNS = (
    "year",
    "assessed",
    "has_data",
    "framework",
    "target_level",
    "level",
    "criteria_met",
    "criteria_total",
    "criteria_unmet",
    "criteria_conflicting",
    "met_criteria",
    "recognized_levels",
    "decisions",
    "criteria_level",
    "all_criteria_met_not_recognised",
    *RECOGNITION_COLUMNS,
)
#: Columns of the commune group and classifications in force (None without one; issue 13 §2).
GROUP_COLUMNS = ("ntm_group", "ntm_group_decision", "ntm_group_date", "ethnic_area", "admin_class")


def _names(store: Store, vintage: Vintage, level: AdminTier, codes: pd.Series) -> pd.Series:
    """The names of the units of ``level`` whose codes are ``codes`` (missing: NaN)."""
    return codes.map(store.unit_names(vintage.vintage_id, level, codes.dropna().unique().tolist()))


def unit_view(
    store: Store,
    vintage: Vintage,
    level: AdminTier,
    *,
    province_code: str | None = None,
    district_code: str | None = None,
    codes: list[str] | None = None,
    bbox: BBox | None = None,
    limit: int | None = None,
    offset: int = 0,
    geometry: bool = True,
    expr: Expr | None = None,
) -> gpd.GeoDataFrame:
    """Units of one level with the names of their province and district (read for these units
    only); ``expr``, a filter on the unit columns (``Store.units``), is run by the store."""
    frame = store.units(
        vintage.vintage_id,
        level,
        province_code=province_code,
        district_code=district_code,
        codes=codes,
        bbox=bbox,
        limit=limit,
        offset=offset,
        geometry=geometry,
        expr=expr,
    )
    frame["province"] = _names(store, vintage, AdminTier.PROVINCE, frame["province_code"])
    frame["district"] = (
        _names(store, vintage, AdminTier.DISTRICT, frame["district_code"]) if level is AdminTier.COMMUNE else None
    )
    return frame


def commune_view(store: Store, vintage: Vintage, year: int | None, **filters) -> gpd.GeoDataFrame:
    """Communes (with ``unit_view`` filters) and, when ``year`` is given, their assessment, with
    the columns ``with_groups`` adds.

    The unit's administrative level is in ``admin_level``; ``level`` is the NTM level reached."""
    return status_view(store, vintage, AdminTier.COMMUNE, year, groups=True, **filters)


def _group_columns(store: Store, ids: list[int], year: int | None) -> dict[str, object]:
    """The values of ``GROUP_COLUMNS`` for the communes ``ids`` (see ``with_groups``)."""
    day = dt.date(year, 12, 31) if year is not None else dt.date.today()
    groups = store.unit_groups(ids, day)
    classes = store.unit_classifications(ids, day)
    columns: dict[str, object] = {
        "ntm_group": pd.array([groups[u].group if u in groups else None for u in ids], dtype="Int64"),
        "ntm_group_decision": [groups[u].decision if u in groups else None for u in ids],
        "ntm_group_date": [groups[u].decision_date.isoformat() if u in groups else None for u in ids],
    }
    for kind in ClassificationKind:
        columns[kind.value] = [c.value if (c := classes.get(u, {}).get(kind)) else None for u in ids]
    return columns


def with_groups(store: Store, frame: gpd.GeoDataFrame, year: int | None) -> gpd.GeoDataFrame:
    """``frame`` (communes with ``unit_id``) with ``GROUP_COLUMNS``: the NTM group (nhóm 1/2/3, its
    decision and date), the ethnic-minority area (khu vực) and the administrative class (loại) in
    force on 31 December of ``year`` (today without a year), each from its own act."""
    for name, values in _group_columns(store, [int(u) for u in frame["unit_id"]], year).items():
        frame[name] = values
    return frame


#: The unit columns ``unit_from_row`` reads, as one light row type.
_UnitRow = namedtuple(
    "_UnitRow",
    "unit_id vintage_id level code name name_short unit_type parent_code province_code district_code flag",
)


def _units(frame: pd.DataFrame) -> list[Unit]:
    """The ``Unit`` of each row of a unit frame, read column by column."""
    columns = [frame[name].tolist() for name in _UnitRow._fields]
    return [unit_from_row(_UnitRow._make(values)) for values in zip(*columns, strict=True)]


def status_view(
    store: Store, vintage: Vintage, tier: AdminTier, year: int | None, *, groups: bool = False, **filters
) -> gpd.GeoDataFrame:
    """Units of ``tier`` (with ``unit_view`` filters) and, when ``year`` is given, their own
    assessment (a district's or province's from its own statuses and recognitions, never from its
    communes'), with ``completed_task``: the level recognised is "hoàn thành nhiệm vụ xây dựng NTM"
    for the unit's type (``geo_ntm.assessment.completed_task``); with ``groups`` (communes), the
    columns of ``with_groups`` last.

    The unit's administrative level is in ``admin_level``; ``level`` is the NTM level reached.
    The columns are added to the units' frame at once (a column set on a GeoDataFrame costs a
    copy's worth of checks: a small page spent most of its time there)."""
    frame = unit_view(store, vintage, tier, **filters)
    units = _units(frame)
    assessed = [is_assessed(u) for u in units]
    completed = [False] * len(units)
    if year is None:
        rows: list[dict[str, object]] = [{"year": None, "assessed": a, "has_data": False} for a in assessed]
    else:
        ids = [u.unit_id for u in units]
        found = assess_units(
            units,
            year,
            store.statuses(ids, year),
            store.summaries(ids, year),
            store.recognitions(ids, year),
            store.indicator_statuses(ids, year),
        )
        frameworks = all_frameworks()
        rows = []
        for i, u in enumerate(units):
            a = found[u.unit_id]
            completed[i] = completed_task(u, a, frameworks)
            rows.append({"year": year, "assessed": a.assessed, "met_criteria": sorted(a.met_criteria), **a.figures()})
    frame.columns = ["admin_level" if c == "level" else c for c in frame.columns]  # "level": the NTM level now
    extra = pd.DataFrame(rows, columns=list(ASSESSMENT_COLUMNS), index=frame.index)
    if tier is not AdminTier.COMMUNE:
        extra["completed_task"] = completed
    for column in ("criteria_unmet", "criteria_conflicting", "met_criteria", "recognized_levels", "decisions"):
        extra[column] = extra[column].map(lambda v: v if isinstance(v, list) else [])
    extra["criteria_met"] = extra["criteria_met"].astype("Int64")
    extra["criteria_total"] = extra["criteria_total"].astype("Int64")
    if groups:
        for name, values in _group_columns(store, [u.unit_id for u in units], year).items():
            extra[name] = values
    return gpd.GeoDataFrame(pd.concat([frame, extra], axis=1), geometry="geometry", crs=frame.crs)


def assessment_view(store: Store, where: Where, rule: CarryRule | None = None, **filters) -> gpd.GeoDataFrame:
    """Communes of ``where`` (its boundaries and place; ``filters`` narrow it further) with the
    assessment of its year: their own when the boundaries are that year's, else carried from that
    year's boundaries by ``rule`` (default ``all``).

    A carried view has the columns of ``geo_ntm.carry.carry`` (``carry_rule``, ``share`` ...),
    empty per-criterion lists and no recognition: a criterion is not carried between units, and a
    recognition decision is about the unit it names."""
    filters = {**where.place_filters, **filters}
    year = where.year
    if where.own_boundaries:
        return commune_view(store, where.vintage, year, **filters)
    rule = rule or CarryRule("all")
    new = unit_view(store, where.vintage, AdminTier.COMMUNE, **filters)
    if new.empty:
        return new
    old = commune_view(store, where.statuses_vintage, year, bbox=tuple(new.total_bounds))
    carried = carry(old, new, rule)
    carried["year"] = year
    carried["framework"] = old["framework"].dropna().iloc[0] if old["framework"].notna().any() else None
    carried["criteria_total"] = pd.array([pd.NA] * len(carried), dtype="Int64")
    for column in ("criteria_unmet", "criteria_conflicting", "met_criteria"):
        carried[column] = [[] for _ in range(len(carried))]
    for column in (*RECOGNITION_COLUMNS, "criteria_level"):
        carried[column] = None
    carried["all_criteria_met_not_recognised"] = False
    with_groups(store, carried, year)
    if rule.name != "all":
        carried["assessed"] = carried["share_assessed"] > 0
        carried["has_data"] = carried["share_known"] > 0
        carried["level"] = None
        carried["criteria_met"] = pd.NA
    return carried


# -- what a download adds to each row: indicator values and the source of each status ------------
@dataclass(frozen=True)
class IndicatorColumn:
    """One indicator's column of a download: its id (``"2.1"``), column name (``ind_2_1``) and
    the units of measure its values were reported in (``"%"``; several joined by ``"; "``)."""

    indicator_id: str
    column: str
    unit: str | None


@dataclass(frozen=True)
class StatusDetails:
    """Per row of a view, in its order: the reported indicator values (one column per indicator,
    ``IndicatorColumn``), the source of each criterion status (``tc<N>_src``: import, file and row;
    several ';'-joined when sources conflict) and ``sources``, the distinct sources the file or
    decision named, of the statuses, counts, indicators and recognitions of the unit's year."""

    table: pd.DataFrame
    indicators: tuple[IndicatorColumn, ...]


def indicator_column(indicator_id: str) -> str:
    """The download column of an indicator: ``"17.1"`` -> ``ind_17_1``."""
    return "ind_" + "_".join(indicator_id.replace("-", ".").split("."))


def indicator_order(indicator_id: str) -> tuple:
    """A sort key of indicator ids by their numbers: 2.1 < 2.2 < 17.1 < 17.10."""
    return (*(int(p) if p.isdigit() else 10**6 for p in indicator_id.split(".")), indicator_id)


def status_details(store: Store, frame: pd.DataFrame, year: int | None) -> StatusDetails:
    """The ``StatusDetails`` of the rows of ``frame`` (a view with ``unit_id``, ``framework`` and
    ``target_level``) for ``year``; empty without a year. An indicator reported with different
    values for one unit (conflicting sources) is left empty."""
    index = pd.RangeIndex(len(frame))
    if year is None or frame.empty or "framework" not in frame.columns:
        return StatusDetails(pd.DataFrame(index=index), ())
    ids = [int(u) for u in frame["unit_id"]]
    levels = frame["target_level"] if "target_level" in frame.columns else [None] * len(frame)  # carried: none
    wanted = {
        u: (fw, lv if isinstance(lv, str) else None) for u, fw, lv in zip(ids, frame["framework"], levels, strict=True)
    }

    def counted(s) -> bool:  # of the row's framework (and level, when it has one)
        fw, lv = wanted.get(s.unit_id, (None, None))
        return s.framework_id == fw and (lv is None or s.level == lv)

    files = {r.import_id: PurePath(r.source_file).name for r in store.imports()}  # never a server's folder
    statuses = [s for s in store.statuses(ids, year) if counted(s)]
    indicators = [s for s in store.indicator_statuses(ids, year) if counted(s)]
    named: dict[int, set[str]] = {}
    reported: list[CriterionStatus | IndicatorStatus | StatusSummary | Recognition] = [
        *statuses,
        *indicators,
        *store.summaries(ids, year),
        *store.recognitions(ids, year),
    ]
    for r in reported:
        if r.source and r.year == year:  # a recognition of an earlier year is named by its decision
            named.setdefault(r.unit_id, set()).add(r.source)
    origin: dict[tuple[int, int], list[str]] = {}
    for status in statuses:
        where = f"import {status.import_id}: {files.get(status.import_id, '?')}" + (
            f", row {status.row_number}" if status.row_number else ""
        )
        origin.setdefault((status.unit_id, status.criterion), []).append(where)
    values: dict[tuple[int, str], set[float]] = {}
    units: dict[str, set[str]] = {}
    for s in indicators:
        units.setdefault(s.indicator_id, set())
        if s.value is not None:
            values.setdefault((s.unit_id, s.indicator_id), set()).add(float(s.value))
        if s.value_unit:
            units[s.indicator_id].add(s.value_unit)
    columns = tuple(
        IndicatorColumn(i, indicator_column(i), "; ".join(sorted(units[i])) or None)
        for i in sorted(units, key=indicator_order)
    )
    table: dict[str, list] = {}
    for c in columns:
        found = [values.get((u, c.indicator_id), set()) for u in ids]
        table[c.column] = [next(iter(v)) if len(v) == 1 else None for v in found]
    for n in sorted({n for _, n in origin}):
        table[f"tc{n}_src"] = ["; ".join(origin[(u, n)]) if (u, n) in origin else None for u in ids]
    table["sources"] = ["; ".join(sorted(named[u])) if u in named else None for u in ids]
    return StatusDetails(pd.DataFrame(table, index=index), columns)
