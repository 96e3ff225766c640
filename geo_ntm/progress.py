"""What planners ask of one year's assessment of a province or district: which communes are one
or two criteria short of the next level (and which criteria they miss), and which criteria hold
most communes back. Both read a ``geo_ntm.views.commune_view`` frame."""

from __future__ import annotations

from collections import Counter

import pandas as pd

from geo_ntm.domain import LEVEL_ORDER
from geo_ntm.frameworks import all_frameworks


def _rank(level: str | None) -> int:
    return LEVEL_ORDER.index(level) + 1 if level in LEVEL_ORDER else 0


def _with_data(frame: pd.DataFrame) -> pd.DataFrame:
    """The assessed communes (xã) with data that year."""
    return frame[frame["assessed"].astype(bool) & frame["has_data"].astype(bool)]


def near_next_level(frame: pd.DataFrame, most: int = 2) -> list[dict]:
    """Communes that have not reached the level their figures are measured against (the next
    level for them) and miss 1..``most`` of its criteria, closest first. ``missing`` lists the
    criteria reported unmet or disputed (a count without detail lists none)."""
    found = []
    for r in _with_data(frame).itertuples(index=False):
        if pd.isna(r.criteria_met) or pd.isna(r.criteria_total) or _rank(r.level) >= _rank(r.target_level):
            continue
        short = int(r.criteria_total) - int(r.criteria_met)
        if 1 <= short <= most:
            found.append(
                {
                    "code": r.code,
                    "name": r.name,
                    "district": r.district,
                    "level": None if pd.isna(r.level) else r.level,
                    "next_level": r.target_level,
                    "framework": r.framework,
                    "criteria_met": int(r.criteria_met),
                    "criteria_total": int(r.criteria_total),
                    "short": short,
                    "missing": sorted({*r.criteria_unmet, *r.criteria_conflicting}),
                }
            )
    return sorted(found, key=lambda f: (f["short"], f["district"] or "", f["name"] or ""))


def most_unmet(frame: pd.DataFrame) -> list[dict]:
    """Per framework and criterion: how many communes did not meet it and on how many the sources
    disagree; the most often unmet first (criteria no commune missed are left out)."""
    data = _with_data(frame)
    unmet: Counter = Counter()
    disputed: Counter = Counter()
    for fw, numbers, conflicts in zip(
        data["framework"], data["criteria_unmet"], data["criteria_conflicting"], strict=True
    ):
        unmet.update((fw, n) for n in numbers)
        disputed.update((fw, n) for n in conflicts)
    frameworks = all_frameworks()
    rows = []
    for fw, n in unmet.keys() | disputed.keys():
        criterion = frameworks[fw].criterion(n) if fw in frameworks else None
        rows.append(
            {
                "framework": fw,
                "criterion": n,
                "name_vi": criterion.name_vi if criterion else None,
                "name_en": criterion.name_en if criterion else None,
                "communes": unmet[(fw, n)],
                "conflicting": disputed[(fw, n)],
                "communes_with_data": int((data["framework"] == fw).sum()),
            }
        )
    return sorted(rows, key=lambda r: (-r["communes"], -r["conflicting"], r["framework"], r["criterion"]))
