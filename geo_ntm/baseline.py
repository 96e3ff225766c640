"""The baseline from before the merger (issue 13 §4): for each commune of new boundaries (the
units of 1 July 2025), the former communes it was made of and the share of its area and of its
population that lay in former xã recognised at each NTM level on the day before the new
boundaries, with the former units' decisions.

This is history, never the new commune's recognition: a decision is about the unit it names, so
the new commune's own ``recognised_level`` stays what its own decisions say (none, until one is
taken on it).

- Former communes: the communes of the boundaries in force on ``as_of`` (by default the day
  before the new boundaries start: 30 June 2025 for the 2025 reform) overlapping the new one, by
  ``geo_ntm.crosswalk.crosswalk``; slivers (under 1% of both units) are left out.
- Recognised at level L: a former xã whose recognition at L or a higher level held on ``as_of``
  (``geo_ntm.assessment.held_recognitions`` for the year of ``as_of``, leaving out decisions dated
  after ``as_of``). The decisions of a former unit are those stored for its unit or for a unit of
  the same code in an earlier stored vintage. Wards, towns and xã without a decision count as
  not recognised; their area stays in the whole.
- Area share: the part of the new commune's area inside recognised former xã (parts summed over
  1 are scaled to 1, as old polygons may overlap a little).
- Population share: the boundary file's population of each former unit (the 2009 census column of
  the 2009 file) is split by area share (even density inside each former unit) and summed; the share
  is over the former units whose population is known (``population_known``: the fraction of the
  area with a known population). It is an estimate, not a count of the population on 30 June 2025.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from geo_ntm.assessment import held_recognitions
from geo_ntm.crosswalk import crosswalk
from geo_ntm.domain import LEVEL_ORDER, AdminTier, Recognition, UnitType, Vintage
from geo_ntm.errors import InputError
from geo_ntm.store import Store

#: What every view of a baseline says of itself.
NOTE_VI = "Trước sáp nhập (lịch sử của các xã cũ), không phải công nhận của xã mới"
NOTE_EN = "Before the merger (history of the former communes), not the new commune's recognition"


@dataclass(frozen=True)
class FormerUnit:
    """One former commune of a new commune: its part of the new one and its recognition then."""

    code: str
    name: str | None
    unit_type: str | None
    shared_ha: float
    share_of_new: float  # fraction of the new commune's area
    share_of_old: float  # fraction of the former unit's area
    population: float | None  # the former unit's population x share_of_old; None when unknown
    recognised_level: str | None  # the highest level held on ``as_of``
    decisions: tuple[Recognition, ...]  # the decisions holding then, lowest level first


@dataclass(frozen=True)
class Baseline:
    """A new commune's former communes and the shares recognised at each level before the merger."""

    code: str
    name: str | None
    vintage: str  # the new boundaries
    former_vintage: str  # the boundaries in force on ``as_of``
    as_of: dt.date
    former: tuple[FormerUnit, ...]  # largest part first
    area_share: dict[str, float]  # level -> share of the area in former xã recognised at it or higher
    population_share: dict[str, float | None]  # the same of the population (None: none known)
    population_known: float  # fraction of the area whose former unit has a population
    coverage: float  # fraction of the new commune's area covered by former communes

    def to_dict(self) -> dict:
        """JSON-ready, labelled as history (``history`` True, ``note_vi``/``note_en``)."""
        return {
            "history": True,
            "note_vi": NOTE_VI,
            "note_en": NOTE_EN,
            "code": self.code,
            "name": self.name,
            "vintage": self.vintage,
            "former_vintage": self.former_vintage,
            "as_of": self.as_of.isoformat(),
            "area_share": self.area_share,
            "population_share": self.population_share,
            "population_known": self.population_known,
            "population_note": "former units' boundary-file population split by area share (even density)",
            "coverage": self.coverage,
            "former_units": [
                {
                    "code": f.code,
                    "name": f.name,
                    "unit_type": f.unit_type,
                    "shared_ha": f.shared_ha,
                    "share_of_new": f.share_of_new,
                    "share_of_old": f.share_of_old,
                    "population": f.population,
                    "recognised_level": f.recognised_level,
                    "decisions": [
                        {
                            "level": r.level,
                            "year": r.year,
                            "decision": r.decision,
                            "decision_date": r.decision_date.isoformat() if r.decision_date else None,
                            "issuing_body": r.issuing_body,
                            "source": r.source,
                        }
                        for r in f.decisions
                    ],
                }
                for f in self.former
            ],
        }


def baseline(
    store: Store,
    new_vintage: Vintage,
    codes: str | Sequence[str] | None = None,
    *,
    province_code: str | None = None,
    as_of: dt.date | None = None,
    sliver_tolerance: float = 0.01,
) -> list[Baseline]:
    """The baseline of the communes ``codes`` (one code, several, or None: all) of ``new_vintage``,
    optionally of one province, from the boundaries and recognitions in force on ``as_of`` (default:
    the day before ``new_vintage`` starts). See the module docstring for the rules."""
    as_of = as_of or new_vintage.valid_from - dt.timedelta(days=1)
    if as_of >= new_vintage.valid_from:
        raise InputError(
            f"a baseline is of the time before the boundaries {new_vintage.name} (from "
            f"{new_vintage.valid_from.isoformat()}); {as_of.isoformat()} is not before them"
        )
    former_vintage = store.vintage_on(as_of)  # NotFoundError when no boundaries were in force then
    wanted = [codes] if isinstance(codes, str) else list(codes) if codes is not None else None
    new = store.units(new_vintage.vintage_id, AdminTier.COMMUNE, codes=wanted, province_code=province_code)
    if wanted is not None and len(new) < len(set(wanted)):
        missing = sorted(set(wanted) - set(new["code"]))
        raise InputError(f"no commune with code(s) {', '.join(missing)} in the boundaries {new_vintage.name}")
    if new.empty:
        return []
    old = store.units(former_vintage.vintage_id, AdminTier.COMMUNE, bbox=tuple(new.total_bounds))
    pairs = crosswalk(old, new, sliver_tolerance=sliver_tolerance).pairs
    old = old.set_index("code")
    held = _held(store, former_vintage, old, as_of)
    rank = {code: LEVEL_ORDER.index(level) + 1 for code, level in _top(held).items()}
    by_new = {code: part for code, part in pairs.groupby("new_code")}
    empty = pairs.iloc[:0]
    return [
        _one(
            row,
            by_new.get(row.code, empty).sort_values("share_of_new", ascending=False),
            old,
            held,
            rank,
            (new_vintage, former_vintage, as_of),
        )
        for row in new.itertuples(index=False)
    ]


def commune_baseline(store: Store, vintage: Vintage, code: str) -> Baseline | None:
    """The baseline of one commune of ``vintage``; None when no boundaries are stored before it."""
    if not any(v.valid_from < vintage.valid_from for v in store.vintages()):
        return None
    return baseline(store, vintage, code)[0]


def _held(store: Store, former: Vintage, old: pd.DataFrame, as_of: dt.date) -> dict[str, dict[str, Recognition]]:
    """Per former code: the recognitions holding on ``as_of`` by level, from the decisions stored for
    its unit or for a unit of the same code in an earlier vintage."""
    codes = [str(c) for c in old.index]
    code_of: dict[int, str] = {}
    for vintage in store.vintages():
        if vintage.valid_from <= former.valid_from and codes:
            units = store.units(vintage.vintage_id, AdminTier.COMMUNE, codes=codes, geometry=False)
            code_of.update(zip(units["unit_id"].astype(int), units["code"].astype(str), strict=True))
    by_code: dict[str, list[Recognition]] = {}
    for r in store.recognitions(list(code_of), up_to_year=as_of.year):
        if r.decision_date is None or r.decision_date <= as_of:
            by_code.setdefault(code_of[r.unit_id], []).append(r)
    return {code: held_recognitions(events, as_of.year) for code, events in by_code.items()}


def _top(held: dict[str, dict[str, Recognition]]) -> dict[str, str]:
    """Per code, the highest level held (codes holding none left out)."""
    return {
        code: max(known, key=LEVEL_ORDER.index)
        for code, by_level in held.items()
        if (known := [lv for lv in by_level if lv in LEVEL_ORDER])
    }


def _one(
    row: Any,
    part: pd.DataFrame,
    old: pd.DataFrame,
    held: dict[str, dict[str, Recognition]],
    rank: dict[str, int],
    when: tuple[Vintage, Vintage, dt.date],
) -> Baseline:
    """The baseline of one new commune (``row``) from its crosswalk pairs ``part``; ``when`` is the
    new vintage, the former one and the day of the baseline."""
    new_vintage, former_vintage, as_of = when
    xa = part["old_code"].map(lambda c: old.at[c, "unit_type"] == UnitType.XA.value and pd.isna(old.at[c, "flag"]))
    ranks = part["old_code"].map(lambda c: rank.get(c, 0)).where(xa, 0)
    area_total = max(float(part["share_of_new"].sum()), 1.0)
    population = part["population"] if "population" in part.columns else pd.Series(float("nan"), index=part.index)
    known = population.notna()
    pop_total = float(population[known].sum())
    area_share, population_share = {}, {}
    for i, level in enumerate(LEVEL_ORDER, start=1):
        at = ranks >= i
        area_share[level] = round(float(part["share_of_new"][at].sum()) / area_total, 6)
        population_share[level] = round(float(population[at & known].sum()) / pop_total, 6) if pop_total > 0 else None
    former = tuple(
        FormerUnit(
            code=str(p.old_code),
            name=p.old_name,
            unit_type=old.at[p.old_code, "unit_type"],
            shared_ha=round(float(p.shared_ha), 2),
            share_of_new=round(float(p.share_of_new), 6),
            share_of_old=round(float(p.share_of_old), 6),
            population=None if pd.isna(pop) else round(float(pop), 1),
            recognised_level=_top({p.old_code: held.get(p.old_code, {})}).get(p.old_code),
            decisions=tuple(sorted(held.get(p.old_code, {}).values(), key=lambda r: LEVEL_ORDER.index(r.level))),
        )
        for p, pop in zip(part.itertuples(index=False), population, strict=True)
    )
    return Baseline(
        code=str(row.code),
        name=row.name,
        vintage=new_vintage.name,
        former_vintage=former_vintage.name,
        as_of=as_of,
        former=former,
        area_share=area_share,
        population_share=population_share,
        population_known=round(float(part["share_of_new"][known].sum()) / area_total, 6),
        coverage=round(min(float(part["share_of_new"].sum()), 1.0), 6),
    )
