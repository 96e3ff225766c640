"""Where the reported status of a criterion disagrees with what the layers measure.

Criterion 2 (transport) is measured by indicators 2.1-2.4 (road layers), criterion 17.1 (clean
water) by the water coverage. A criterion is *computed not met* when any of its measured
indicators is ``not_met``; it is *computed met* only when the indicators measure the whole
criterion (2: yes; 17: no, waste and cemeteries are not in a layer) and every one with roads or
people to judge is ``met``. Anything else (no threshold, unknown surfaces, no data) is
``unknown`` and never a discrepancy.

The reported side is the commune's status of that criterion in the year (met, not met or
conflicting, with the sources; derived from its reported indicators where the framework lists
them all, see ``geo_ntm.assessment``), or "met" when the commune reached the NTM level of the
year (every criterion met, or recognised) without per-criterion rows.

Reported indicators (2.1-2.4, 17.1) stand beside the computed ones under the same identifier:
``ind_<id>_reported`` (met, not met, conflicting, or no data when none, or only a value, was
reported), ``ind_<id>_reported_value`` (the value with its unit, as reported) and
``ind_<id>_discrepancy`` (the reported status against the computed verdict of that indicator)."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from geo_ntm.domain import CriterionStatus, IndicatorStatus, Vintage
from geo_ntm.infrastructure.coverage import UNIT_FIELDS
from geo_ntm.store import Store
from geo_ntm.views import commune_view

MET, NOT_MET, UNKNOWN, NO_DATA, CONFLICTING = "met", "not_met", "unknown", "no_data", "conflicting"
#: The two kinds of disagreement.
REPORTED_MET_COMPUTED_NOT = "reported_met_computed_not_met"
REPORTED_NOT_COMPUTED_MET = "reported_not_met_computed_met"


@dataclass(frozen=True)
class CriterionCheck:
    """A criterion and the computed indicators (``ind_<id>_verdict`` columns) that measure it."""

    criterion: int
    topic: str  # the coverage topic whose table holds the indicators
    indicators: tuple[str, ...]
    complete: bool  # the indicators measure the whole criterion

    def column(self, indicator: str) -> str:
        return "ind_" + indicator.replace(".", "_") + "_verdict"


CHECKS = (
    CriterionCheck(2, "roads", ("2.1", "2.2", "2.3", "2.4"), complete=True),
    CriterionCheck(17, "water", ("17.1",), complete=False),
)


def computed_verdict(verdicts: list[str], complete: bool) -> str:
    """One criterion's computed verdict from its indicators' verdicts (see the module rule)."""
    judged = [v for v in verdicts if v != NO_DATA]
    if NOT_MET in judged:
        return NOT_MET
    if complete and judged and all(v == MET for v in judged):
        return MET
    return UNKNOWN if judged else NO_DATA


def reported_status(criterion: int, met: list, unmet: list, conflicting: list, level) -> str:
    """A commune's reported status of ``criterion`` from its assessment columns."""
    if criterion in conflicting:
        return CONFLICTING
    if criterion in met:
        return MET
    if criterion in unmet:
        return NOT_MET
    return MET if isinstance(level, str) else NO_DATA


def agreement(reported: str, computed: str) -> str | None:
    """The kind of disagreement, or None when the two agree or cannot be compared."""
    if reported == MET and computed == NOT_MET:
        return REPORTED_MET_COMPUTED_NOT
    if reported == NOT_MET and computed == MET:
        return REPORTED_NOT_COMPUTED_MET
    return None


def reported_indicators(indicators: list[IndicatorStatus]) -> dict[tuple[int, str], tuple[str, str | None]]:
    """Per (unit, indicator id): the reported status (met, not met, conflicting; no data when
    only values were reported) and the reported values with their units ("95.9 %"; "; "-joined)."""
    found: dict[tuple[int, str], tuple[set[bool], dict[str, None]]] = {}
    for i in indicators:
        flags, values = found.setdefault((i.unit_id, i.indicator_id), (set(), {}))
        if i.met is not None:
            flags.add(i.met)
        if i.value is not None:
            values[f"{i.value:g}" + (f" {i.value_unit}" if i.value_unit else "")] = None
    return {
        key: (
            CONFLICTING if len(flags) > 1 else MET if flags == {True} else NOT_MET if flags else NO_DATA,
            "; ".join(values) or None,
        )
        for key, (flags, values) in found.items()
    }


def discrepancy_table(
    communes: pd.DataFrame,
    statuses: list[CriterionStatus],
    tables: dict[str, pd.DataFrame],
    indicator_statuses: list[IndicatorStatus] | None = None,
) -> gpd.GeoDataFrame:
    """Per commune of ``communes`` (a ``commune_view`` of the year, with geometry), for each check
    whose topic is in ``tables`` (coverage tables keyed by topic, rows by ``unit_id``): the
    reported status and its sources, the computed verdict and its indicators, the reported
    indicators (``indicator_statuses``, of the year) beside them, and the disagreements."""
    by_indicator = reported_indicators(indicator_statuses or [])
    sources: dict[tuple[int, int], set[str]] = {}
    for s in statuses:
        sources.setdefault((s.unit_id, s.criterion), set()).add(s.source or "")
    out = (
        communes[UNIT_FIELDS]
        .reset_index(drop=True)
        .assign(year=communes["year"].to_numpy(), level=communes["level"].to_numpy())
    )
    any_disagreement = pd.Series(False, index=out.index)
    for check in CHECKS:
        if check.topic not in tables:
            continue
        indicators = tables[check.topic].set_index("unit_id").reindex(out["unit_id"])
        prefix = f"tc{check.criterion}"
        reported = [
            reported_status(check.criterion, m, u, c, lv) if a else NO_DATA
            for m, u, c, lv, a in zip(
                communes["met_criteria"],
                communes["criteria_unmet"],
                communes["criteria_conflicting"],
                communes["level"],
                communes["assessed"],
                strict=True,
            )
        ]
        verdicts = indicators[[check.column(i) for i in check.indicators]].fillna(NO_DATA)
        computed = [computed_verdict(list(row), check.complete) for row in verdicts.itertuples(index=False)]
        out[f"{prefix}_reported"] = reported
        out[f"{prefix}_source"] = [
            "; ".join(sorted(sources.get((uid, check.criterion), ()))) or None for uid in out["unit_id"]
        ]
        out[f"{prefix}_computed"] = computed
        for indicator, column in zip(check.indicators, verdicts.columns, strict=True):
            key = "ind_" + indicator.replace(".", "_")
            out[f"{key}_value"] = indicators[f"{key}_value"].to_numpy()
            out[column] = verdicts[column].to_numpy()
            told = [by_indicator.get((uid, indicator), (NO_DATA, None)) for uid in out["unit_id"]]
            out[f"{key}_reported"] = [status for status, _ in told]
            out[f"{key}_reported_value"] = [value for _, value in told]
            out[f"{key}_discrepancy"] = [
                agreement(r, c) for r, c in zip(out[f"{key}_reported"], out[column], strict=True)
            ]
            any_disagreement |= out[f"{key}_discrepancy"].notna()
        out[f"{prefix}_discrepancy"] = [agreement(r, c) for r, c in zip(reported, computed, strict=True)]
        any_disagreement |= out[f"{prefix}_discrepancy"].notna()
    out["discrepancy"] = any_disagreement
    return gpd.GeoDataFrame(out, geometry=communes.geometry.reset_index(drop=True), crs=communes.crs)


def discrepancy_coverage(
    store: Store,
    vintage: Vintage,
    units: gpd.GeoDataFrame,
    year: int,
    tables: dict[str, pd.DataFrame],
    national: bool,
    skipped: dict[str, str],
) -> tuple[gpd.GeoDataFrame, dict]:
    """``discrepancy_table`` for the communes ``units`` in ``year`` (the whole country when
    ``national``), and totals: per criterion checked, communes compared and disagreeing."""
    communes = commune_view(
        store, vintage, year, codes=None if national else units["code"].tolist(), geometry=False
    )  # the geometry is the one of ``units``, already read
    communes = communes.set_index("unit_id", drop=False).loc[units["unit_id"]].reset_index(drop=True)
    communes = communes.assign(assessed=units["assessed"].to_numpy()).set_geometry(
        gpd.GeoSeries(units.geometry.to_numpy(), crs=units.crs)
    )
    statuses = [
        s for s in store.statuses(communes["unit_id"].tolist(), year) if s.criterion in {c.criterion for c in CHECKS}
    ]
    measured = {i for c in CHECKS for i in c.indicators}
    reported = [i for i in store.indicator_statuses(communes["unit_id"].tolist(), year) if i.indicator_id in measured]
    table = discrepancy_table(communes, statuses, tables, reported)
    totals: dict = {
        "communes": len(table),
        "year": year,
        "vintage": vintage.name,
        "discrepancies": int(table["discrepancy"].sum()),
        "not_checked": skipped,
    }
    for check in CHECKS:
        if check.topic in tables:
            prefix = f"tc{check.criterion}"
            kinds = table[f"{prefix}_discrepancy"].value_counts()
            totals[prefix] = {
                "reported": int((table[f"{prefix}_reported"] != NO_DATA).sum()),
                "compared": int(
                    (
                        (table[f"{prefix}_reported"].isin([MET, NOT_MET]))
                        & table[f"{prefix}_computed"].isin([MET, NOT_MET])
                    ).sum()
                ),
                **{kind: int(n) for kind, n in kinds.items()},
            }
            for indicator in check.indicators:
                key = "ind_" + indicator.replace(".", "_")
                told = table[f"{key}_reported"].isin([MET, NOT_MET])
                totals[key] = {
                    "reported": int((table[f"{key}_reported"] != NO_DATA).sum()),
                    "compared": int((told & table[check.column(indicator)].isin([MET, NOT_MET])).sum()),
                    **{kind: int(n) for kind, n in table[f"{key}_discrepancy"].value_counts().items()},
                }
    return table, totals
