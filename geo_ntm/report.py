"""The province progress report: per district and for the province, how many xã meet how many
criteria, which criteria they meet and at which level they are recognised. On boundaries from
1 July 2025 (no district tier) it has no district rows, only the province total.

Recognition is counted from decisions only (``recognised``: at least this level, a kiểu mẫu commune
counts also as nâng cao and NTM; ``recognised_exact``: exactly this level); a commune meeting every
criterion of a level without a decision at that level is counted in
``all_criteria_met_not_recognised``, never as recognised.

Beside the commune counts, each district's own status (``district_status``) and the province's
(``province_status``): the level recognised by a decision for the district or province itself, the
decision, its date, whether that level is "hoàn thành nhiệm vụ xây dựng NTM" (``completed_task``)
and its own criteria met; never derived from its communes.

The same figures split by NTM commune group (``groups``: nhóm 1, 2, 3 in force on 31 December of
the year, then the xã without a group), for the terminal and CSV with ``by_group``."""

from __future__ import annotations

import csv
import io

import pandas as pd

from geo_ntm.domain import LEVEL_ORDER, NTM_GROUPS, AdminTier, Framework, levels_held
from geo_ntm.export_safety import safe_csv_row
from geo_ntm.frameworks import all_frameworks
from geo_ntm.store import Store
from geo_ntm.views import commune_view, status_view
from geo_ntm.where import Where


def _summarise(label: str, xa: pd.DataFrame, framework: Framework | None) -> dict:
    """The figures of ``xa``: the counts of criteria only over the communes measured against
    ``framework`` (the report's), levels and recognitions over every commune with data."""
    with_data = xa[xa["has_data"]]
    measured = with_data[with_data["framework"] == (framework.framework_id if framework else None)]
    counted = measured["criteria_met"].dropna()
    numbers = [c.number for c in framework.criteria] if framework else []
    per_criterion = {str(n): int(sum(n in met for met in measured["met_criteria"])) for n in numbers}
    held = [levels_held(lv if isinstance(lv, str) else None) for lv in with_data["recognised_level"]]
    return {
        "district": label,
        "communes": len(xa),
        "communes_with_data": len(with_data),
        "communes_without_data": int(len(xa) - len(with_data)),
        "communes_other_frameworks": int(len(with_data) - len(measured)),
        "all_criteria_met": int(
            sum(
                1
                for met, total in zip(counted, measured.loc[counted.index, "criteria_total"], strict=True)
                if met == total
            )
        ),
        "recognised": {lv: sum(lv in h for h in held) for lv in LEVEL_ORDER},
        "recognised_exact": {lv: int((with_data["recognised_level"] == lv).sum()) for lv in LEVEL_ORDER},
        "all_criteria_met_not_recognised": int(with_data["all_criteria_met_not_recognised"].astype(bool).sum()),
        "level_reached": {lv: int((with_data["level"] == lv).sum()) for lv in LEVEL_ORDER},
        "avg_criteria_met": round(float(counted.mean()), 2) if len(counted) else None,
        "per_criterion": per_criterion,
    }


#: The label of the row of the xã without an NTM group.
NO_GROUP = "chưa xếp nhóm / no group"

#: The fields of a district's or province's own status in a report (``status_view`` columns).
OWN_STATUS = (
    "recognised_level",
    "recognition_decision",
    "recognition_date",
    "completed_task",
    "framework",
    "criteria_met",
    "criteria_total",
)


def _own_status(row: dict) -> dict:
    """A unit's own status in a report: the ``OWN_STATUS`` fields of its ``status_view`` row."""
    return {k: None if pd.isna(row[k]) else row[k] for k in OWN_STATUS} | {
        "criteria_met": None if pd.isna(row["criteria_met"]) else int(row["criteria_met"]),
        "criteria_total": None if pd.isna(row["criteria_total"]) else int(row["criteria_total"]),
    }


def _own_statuses(store: Store, where: Where) -> tuple[dict[str, dict], dict]:
    """The own statuses of the districts of ``where`` (by code) and of its province."""
    assert where.province is not None, "a report is about a province"
    scope = {"codes": [where.district.code]} if where.district else {"province_code": where.province.code}
    frame = status_view(store, where.vintage, AdminTier.DISTRICT, where.year, geometry=False, **scope)
    districts = {row["code"]: _own_status(row) for row in frame.to_dict("records")}
    (province,) = status_view(
        store, where.vintage, AdminTier.PROVINCE, where.year, geometry=False, codes=[where.province.code]
    ).to_dict("records")
    return districts, _own_status(province)


def _report_framework(xa: pd.DataFrame) -> Framework | None:
    """The framework a report counts criteria on: of the communes' own, a national one before a
    province's (so adding a province's set never changes the national figures), then the one most
    communes are measured against, then the first id."""
    counts = xa["framework"].dropna().value_counts()
    known = all_frameworks()
    present = [known[f] for f in counts.index if f in known]
    if not present:
        return None
    return min(present, key=lambda fw: (not fw.national, -int(counts[fw.framework_id]), fw.framework_id))


def province_report(store: Store, where: Where) -> dict:
    """Report for the province (or the one district) of ``where`` in its year, on its boundaries:
    criteria counted on one framework (``framework``), communes measured against another counted
    apart (``communes_other_frameworks``)."""
    assert where.province is not None, "a report is about a province"
    frame = commune_view(store, where.vintage, where.year, geometry=False, **where.place_filters)
    xa = frame[frame["assessed"]]
    framework = _report_framework(xa)
    frameworks = sorted(set(xa["framework"].dropna()))
    own, province_status = _own_statuses(store, where)
    districts = (
        [
            _summarise(name, group, framework) | {"district_status": own.get(code)}
            for (code, name), group in xa.groupby(["district_code", "district"], sort=True, dropna=False)
        ]
        if where.has_districts
        else []  # boundaries from 1 July 2025: province -> commune, the province total only
    )
    total = _summarise(where.label, xa, framework)
    total.pop("district")
    grouped = xa["ntm_group"]
    groups = [_summarise(f"nhóm {g}", xa[grouped == g], framework) | {"ntm_group": g} for g in NTM_GROUPS]
    if grouped.isna().any():
        groups.append(_summarise(NO_GROUP, xa[grouped.isna()], framework) | {"ntm_group": None})
    return {
        "province": where.province.name,
        "district": where.district.name if where.district else None,
        "year": where.year,
        "vintage": where.vintage.name,
        "framework": framework.framework_id if framework else None,
        "criteria_total": framework.criteria_total if framework and framework.criteria_known else None,
        "frameworks": frameworks,
        "wards_and_towns_not_assessed": int((~frame["assessed"]).sum()),
        "districts": districts,
        "groups": groups,
        "total": total,
        "province_status": province_status,
    }


def report_records(report: dict, by_group: bool = False) -> tuple[list[str], list[list]]:
    """The header and the rows of the report as a table: one row per district (``by_group``: per
    NTM group) plus a total row; per-criterion counts as columns tc1..tcN. The ``own_*`` columns
    are the district's own status, on the total row the province's (the district's in a report of
    one district). Values as they are (None where unknown): ``report_csv`` and spreadsheets format them."""
    rows = _rows(report, by_group)
    numbers = list(rows[0]["per_criterion"]) if rows else []  # the report framework's criterion numbers
    header = (
        ["district", "communes", "communes_with_data", "communes_without_data", "all_criteria_met", "avg_criteria_met"]
        + [f"recognised_{lv}" for lv in LEVEL_ORDER]
        + [f"recognised_exact_{lv}" for lv in LEVEL_ORDER]
        + ["all_criteria_met_not_recognised"]
        + [f"tc{n}" for n in numbers]
        + [f"own_{k}" for k in OWN_STATUS]
    )
    records = [
        [
            r["district"],
            r["communes"],
            r["communes_with_data"],
            r["communes_without_data"],
            r["all_criteria_met"],
            r["avg_criteria_met"],
        ]
        + [r["recognised"][lv] for lv in LEVEL_ORDER]
        + [r["recognised_exact"][lv] for lv in LEVEL_ORDER]
        + [r["all_criteria_met_not_recognised"]]
        + [r["per_criterion"][n] for n in numbers]
        + [(r.get("district_status") or {}).get(k) for k in OWN_STATUS]
        for r in rows
    ]
    return header, records


def report_csv(report: dict, by_group: bool = False) -> str:
    """``report_records`` as CSV: empty cells for None; names a spreadsheet would run as formulas
    are neutralised (``geo_ntm.export_safety``)."""
    header, records = report_records(report, by_group)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for record in records:
        writer.writerow(safe_csv_row([_csv_value(v) for v in record]))
    return out.getvalue()


def _rows(report: dict, by_group: bool = False) -> list[dict]:
    """The district rows (``by_group``: the group rows) and the total row, whose own status
    (``district_status``) is the province's, or the district's in a report of one district."""
    own = report.get("province_status")
    if report.get("district") and report["districts"]:
        own = report["districts"][0].get("district_status")
    rows = report["groups"] if by_group else report["districts"]
    return [*rows, dict(report["total"], district="Tổng / Total", district_status=own)]


def _own_text(status: dict | None) -> str:
    """A unit's own status in the terminal table: its level recognised, "(HTNV)" when that is
    hoàn thành nhiệm vụ, or "—"."""
    if not status or not status.get("recognised_level"):
        return "—"
    return status["recognised_level"] + (" (HTNV)" if status.get("completed_task") else "")


def _csv_value(value) -> object:
    """A status value in a CSV cell: empty for None."""
    return "" if value is None else value


def report_table(report: dict, by_group: bool = False) -> str:
    """A plain-text table for the terminal: per district (``by_group``: per NTM group), the xã,
    those with data, with all criteria met, of those the ones not recognised, the average met, and
    the xã recognised at least at each level; then the district's own level recognised (on the
    total row the province's), "(HTNV)" when it is hoàn thành nhiệm vụ."""
    head = (
        f"{report['province']}{' / ' + report['district'] if report['district'] else ''} — {report['year']} "
        f"(boundaries {report['vintage']}; criteria counted on {report['framework'] or '—'}; "
        f"frameworks {', '.join(report['frameworks']) or '—'})"
    )
    lines = [
        head,
        f"{'group' if by_group else 'district':32} "
        f"{'xã':>4} {'data':>5} {'all met':>8} {'not rec':>8} {'avg':>6}   recognised (at least): "
        f"{'NTM':>4} {'NC':>4} {'KM':>4}   own",
    ]
    for r in _rows(report, by_group):
        avg = "—" if r["avg_criteria_met"] is None else f"{r['avg_criteria_met']:.2f}"
        recognised = r["recognised"]
        lines.append(
            f"{(r['district'] or '—')[:32]:32} {r['communes']:>4} {r['communes_with_data']:>5} "
            f"{r['all_criteria_met']:>8} {r['all_criteria_met_not_recognised']:>8} {avg:>6}"
            f"{'':>26}{recognised['ntm']:>4} {recognised['ntm_nang_cao']:>4} {recognised['ntm_kieu_mau']:>4}"
            f"   {_own_text(r.get('district_status'))}"
        )
    return "\n".join(lines)
