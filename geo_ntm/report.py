"""The province progress report: per district and for the province, how many xã meet how many
criteria, which criteria they meet and at which level they are recognised.

Recognition is counted from decisions only (``recognised``: at least this level, a kiểu mẫu commune
counts also as nâng cao and NTM; ``recognised_exact``: exactly this level); a commune meeting every
criterion of a level without a decision at that level is counted in
``all_criteria_met_not_recognised``, never as recognised."""

from __future__ import annotations

import csv
import io

import pandas as pd

from geo_ntm.domain import LEVEL_ORDER
from geo_ntm.export_safety import safe_csv_row
from geo_ntm.store import Store
from geo_ntm.views import commune_view
from geo_ntm.where import Where


def _summarise(label: str, xa: pd.DataFrame, criteria_total: int) -> dict:
    with_data = xa[xa["has_data"]]
    rank = with_data["recognised_level"].map({lv: i for i, lv in enumerate(LEVEL_ORDER)}).fillna(-1)
    counted = with_data["criteria_met"].dropna()
    per_criterion = {
        str(n): int(sum(n in met for met in with_data["met_criteria"])) for n in range(1, criteria_total + 1)
    }
    return {
        "district": label,
        "communes": len(xa),
        "communes_with_data": len(with_data),
        "communes_without_data": int(len(xa) - len(with_data)),
        "all_criteria_met": int(
            sum(
                1
                for met, total in zip(counted, with_data.loc[counted.index, "criteria_total"], strict=True)
                if met == total
            )
        ),
        "recognised": {lv: int((rank >= i).sum()) for i, lv in enumerate(LEVEL_ORDER)},
        "recognised_exact": {lv: int((with_data["recognised_level"] == lv).sum()) for lv in LEVEL_ORDER},
        "all_criteria_met_not_recognised": int(with_data["all_criteria_met_not_recognised"].astype(bool).sum()),
        "level_reached": {lv: int((with_data["level"] == lv).sum()) for lv in LEVEL_ORDER},
        "avg_criteria_met": round(float(counted.mean()), 2) if len(counted) else None,
        "per_criterion": per_criterion,
    }


def province_report(store: Store, where: Where) -> dict:
    """Report for the province (or the one district) of ``where`` in its year, on its boundaries."""
    assert where.province is not None, "a report is about a province"
    frame = commune_view(store, where.vintage, where.year, geometry=False, **where.place_filters)
    xa = frame[frame["assessed"]]
    totals = xa["criteria_total"].dropna()
    criteria_total = int(totals.max()) if len(totals) else 19
    frameworks = sorted(set(xa["framework"].dropna()))
    districts = [
        _summarise(name, group, criteria_total)
        for (_, name), group in xa.groupby(["district_code", "district"], sort=True, dropna=False)
    ]
    total = _summarise(where.label, xa, criteria_total)
    total.pop("district")
    return {
        "province": where.province.name,
        "district": where.district.name if where.district else None,
        "year": where.year,
        "vintage": where.vintage.name,
        "frameworks": frameworks,
        "wards_and_towns_not_assessed": int((~frame["assessed"]).sum()),
        "districts": districts,
        "total": total,
    }


def report_csv(report: dict) -> str:
    """One CSV row per district plus a total row; per-criterion counts as columns tc1..tcN; names
    a spreadsheet would run as formulas are neutralised (``geo_ntm.export_safety``)."""
    rows = report["districts"] + [dict(report["total"], district="Tổng / Total")]
    n = len(rows[0]["per_criterion"]) if rows else 0
    header = (
        ["district", "communes", "communes_with_data", "communes_without_data", "all_criteria_met", "avg_criteria_met"]
        + [f"recognised_{lv}" for lv in LEVEL_ORDER]
        + [f"recognised_exact_{lv}" for lv in LEVEL_ORDER]
        + ["all_criteria_met_not_recognised"]
        + [f"tc{i}" for i in range(1, n + 1)]
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for r in rows:
        writer.writerow(
            safe_csv_row(
                [
                    r["district"],
                    r["communes"],
                    r["communes_with_data"],
                    r["communes_without_data"],
                    r["all_criteria_met"],
                    "" if r["avg_criteria_met"] is None else r["avg_criteria_met"],
                ]
                + [r["recognised"][lv] for lv in LEVEL_ORDER]
                + [r["recognised_exact"][lv] for lv in LEVEL_ORDER]
                + [r["all_criteria_met_not_recognised"]]
                + [r["per_criterion"][str(i)] for i in range(1, n + 1)]
            )
        )
    return out.getvalue()


def report_table(report: dict) -> str:
    """A plain-text table for the terminal: per district, the xã, those with data, with all
    criteria met, of those the ones not recognised, the average met, and the xã recognised at
    least at each level."""
    head = (
        f"{report['province']}{' / ' + report['district'] if report['district'] else ''} — {report['year']} "
        f"(boundaries {report['vintage']}; frameworks {', '.join(report['frameworks']) or '—'})"
    )
    lines = [
        head,
        f"{'district':32} {'xã':>4} {'data':>5} {'all met':>8} {'not rec':>8} {'avg':>6}   recognised (at least): "
        f"{'NTM':>4} {'NC':>4} {'KM':>4}",
    ]
    rows = report["districts"] + [dict(report["total"], district="Tổng / Total")]
    for r in rows:
        avg = "—" if r["avg_criteria_met"] is None else f"{r['avg_criteria_met']:.2f}"
        recognised = r["recognised"]
        lines.append(
            f"{(r['district'] or '—')[:32]:32} {r['communes']:>4} {r['communes_with_data']:>5} "
            f"{r['all_criteria_met']:>8} {r['all_criteria_met_not_recognised']:>8} {avg:>6}"
            f"{'':>26}{recognised['ntm']:>4} {recognised['ntm_nang_cao']:>4} {recognised['ntm_kieu_mau']:>4}"
        )
    return "\n".join(lines)
