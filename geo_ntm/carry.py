"""Carry the NTM assessment of one year from the units of an old boundary vintage onto the units
of a new vintage, by a named rule that the caller chooses and the output states.

The old and new units are matched by ``geo_ntm.crosswalk.crosswalk``. Only real pairs count.
Slivers (overlaps under ``sliver_tolerance`` of both units) never count. Only old xã are assessed.
Old wards and towns count as "not assessed", never as "not reached". Rules (``RULES``):

- ``all``: the parts of a new unit are the old units that make up more than ``sliver_tolerance``
  of its area. The new unit reaches the highest level L that every assessed part reached (a part
  at ``ntm_nang_cao`` also counts as ``ntm``). If any assessed part has no data, the level is
  unknown (``has_data`` False), unless a part with data reached no level at all: then the new
  unit reached none either (``has_data`` True). An old ward or town making up more than the
  tolerance has no level, so a new unit with such a part reaches none once its xã parts are known
  (the rule is "every old unit"). A new unit whose parts are all not assessed gets ``assessed``
  False. ``criteria_met`` is the area-weighted mean over the assessed parts,
  rounded to 2 decimals, and is given only when every assessed part has a count.
- ``share_area``: ``share`` is the fraction of the new unit's area that lay in old assessed
  units that reached at least ``rule.level``. ``share_known`` is the fraction in assessed units
  with data, and ``share_assessed`` the fraction in assessed units. Area that no old unit of the
  frame covers counts as unknown.
- ``share_population``: the same fractions of the population. Each old unit's population is
  spread evenly over its area (a pair holds old population x ``share_of_old``). They are computed
  over the old units whose population is known. ``population_known`` is the fraction of the new
  unit's area that lay in such units.

Every rule adds ``carry_rule``, ``carried_from_year``, ``old_units`` (the old codes the rule
counted, largest part first), ``assessed_parts`` and ``parts_with_data`` (how many of them were
assessed xã, and assessed xã with data), and ``coverage`` (the fraction of the new unit's area
covered by real pairs). A ``coverage`` well below 1 means that the old frame leaves out part of
the new unit. The ``all`` rule judges only the parts it has.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from geo_ntm.crosswalk import crosswalk
from geo_ntm.domain import LEVEL_ORDER, LEVELS
from geo_ntm.errors import InputError

RULES = ("all", "share_area", "share_population")
#: Rank of each NTM level; 0 is "assessed, with data, no level reached".
_RANK = {level: i + 1 for i, level in enumerate(LEVEL_ORDER)}
_LEVEL_OF_RANK = {rank: level for level, rank in _RANK.items()}
_OLD_COLUMNS = ("code", "name", "year", "assessed", "has_data", "level", "criteria_met", "geometry")


@dataclass(frozen=True)
class CarryRule:
    """How to carry an old assessment onto new units (see the module docstring)."""

    name: str
    level: str = "ntm"  # the level the share rules count
    sliver_tolerance: float = 0.01

    def __post_init__(self):
        if self.name not in RULES:
            raise InputError(f"unknown carry rule {self.name!r}: use one of {', '.join(RULES)}")
        if self.level not in LEVELS:
            raise InputError(f"unknown NTM level {self.level!r}: use one of {', '.join(LEVEL_ORDER)}")
        if not 0 <= self.sliver_tolerance < 1:
            raise InputError(f"sliver tolerance must be a share between 0 and 1, got {self.sliver_tolerance}")


def parse_rule(text: str, level: str = "ntm", sliver_tolerance: float = 0.01) -> CarryRule:
    """The rule named ``text`` (case and ``-``/``_`` ignored); InputError lists the valid names."""
    name = str(text).strip().lower().replace("-", "_")
    return CarryRule(name, str(level).strip().lower(), sliver_tolerance)


def carry(old: gpd.GeoDataFrame, new: gpd.GeoDataFrame, rule: CarryRule) -> gpd.GeoDataFrame:
    """One row per unit of ``new`` (its columns and geometry) with the assessment of ``old``
    carried by ``rule``.

    ``old`` is a ``commune_view`` frame for one year. ``new`` needs ``code``, ``name`` and a
    geometry. Its columns that the rule writes are replaced. A ``level`` column without an
    ``admin_level`` column is renamed ``admin_level``, as ``commune_view`` does."""
    year = _year(old)
    needed = _OLD_COLUMNS + (("population",) if rule.name == "share_population" else ())
    missing = [c for c in needed if c not in old.columns]
    if missing:
        raise InputError(f"old units lack the column(s) {', '.join(missing)} that rule {rule.name!r} needs")
    for frame, which in ((old, "old"), (new, "new")):
        if frame["code"].duplicated().any():
            raise InputError(
                f"{which} unit codes repeat: "
                + ", ".join(sorted(set(frame.loc[frame["code"].duplicated(), "code"].astype(str))))
            )

    pairs = crosswalk(old, new, sliver_tolerance=rule.sliver_tolerance).pairs.join(_statuses(old), on="old_code")
    pairs = pairs.sort_values(["new_code", "share_of_new"], ascending=[True, False])
    coverage = pairs.groupby("new_code")["share_of_new"].sum().clip(upper=1.0)
    if rule.name == "all":
        pairs = pairs[pairs["share_of_new"] > rule.sliver_tolerance]
    by_new = pairs.groupby("new_code")
    carried = pd.DataFrame(
        {
            "old_units": by_new["old_code"].agg(list),
            "assessed_parts": by_new["assessed"].sum(),
            "parts_with_data": by_new["known"].sum(),
            "coverage": coverage,
        }
    )
    carried = carried.join(_by_level(pairs) if rule.name == "all" else _by_share(pairs, rule))
    carried = carried.reindex(new["code"].to_numpy())

    carried["old_units"] = carried["old_units"].map(lambda v: v if isinstance(v, list) else [])
    for column in ("assessed_parts", "parts_with_data"):
        carried[column] = carried[column].fillna(0).astype(int)
    carried["coverage"] = carried["coverage"].fillna(0.0)
    if rule.name == "all":
        carried["assessed"] = (carried["assessed_parts"] > 0) | (carried["old_units"].str.len() == 0)
        carried["has_data"] = carried["has_data"].fillna(False).astype(bool)
    else:  # a unit no old unit covers: 0 of its area is known; its population share is undefined
        fill = 0.0 if rule.name == "share_area" else float("nan")
        for column in ("share", "share_known", "share_assessed"):
            carried[column] = carried[column].fillna(fill)
        if rule.name == "share_population":
            carried["population_known"] = carried["population_known"].fillna(0.0)

    if "level" in new.columns and "admin_level" not in new.columns:
        new = new.rename(columns={"level": "admin_level"})
    out = new.drop(columns=[c for c in carried.columns if c in new.columns])
    out["carry_rule"] = rule.name
    out["carried_from_year"] = year
    for column in carried.columns:
        out[column] = carried[column].to_numpy()
    return out


def _year(old: pd.DataFrame) -> int:
    years = old["year"].dropna().unique() if "year" in old.columns else []
    if len(years) != 1:
        raise InputError(
            "old units must hold the assessment of exactly one year (a commune_view with a year); "
            f"found years: {', '.join(map(str, sorted(years))) or 'none'}"
        )
    return int(years[0])


def _statuses(old: pd.DataFrame) -> pd.DataFrame:
    """Per old code: ``assessed``, ``known`` (assessed with data), ``rank`` of the level reached
    (0 none, NaN unknown or not assessed) and ``criteria_met`` as float."""
    rank = old["level"].map(_RANK)
    odd = old["level"].notna() & rank.isna()
    if odd.any():
        raise InputError(
            f"old units have unknown NTM levels {sorted(set(old.loc[odd, 'level']))}; "
            f"levels are {', '.join(LEVEL_ORDER)}"
        )
    assessed = old["assessed"].astype(bool)
    known = assessed & old["has_data"].astype(bool)
    return pd.DataFrame(
        {
            "assessed": assessed.to_numpy(),
            "known": known.to_numpy(),
            "rank": rank.fillna(0).where(known).to_numpy(dtype=float),
            "criteria_met": old["criteria_met"].astype(float).to_numpy(),
        },
        index=old["code"].to_numpy(),
    )


def _by_level(pairs: pd.DataFrame) -> pd.DataFrame:
    """Rule ``all`` per new code: ``level``, ``has_data``, ``criteria_met``."""
    urban_part = (~pairs["assessed"]).groupby(pairs["new_code"]).any()
    parts = pairs[pairs["assessed"]]
    group = parts["new_code"]
    lowest = parts["rank"].groupby(group).min()  # lowest level among the parts with data
    complete = parts["known"].groupby(group).all()
    has_data = complete | (lowest == 0)  # a part that reached nothing decides even if others lack data
    # an old ward or town making up more than the tolerance has no level: once the xã parts are
    # known, the new unit reaches none
    lowest = lowest.where(~urban_part.reindex(lowest.index, fill_value=False), 0)
    area = parts["shared_ha"].groupby(group).sum()
    weighted = (parts["criteria_met"] * parts["shared_ha"]).groupby(group).sum() / area
    counted = parts["criteria_met"].notna().groupby(group).all()
    return pd.DataFrame(
        {
            "level": lowest.where(complete).map(_LEVEL_OF_RANK),
            "has_data": has_data,
            "criteria_met": weighted.round(2).where(counted),
        }
    )


def _by_share(pairs: pd.DataFrame, rule: CarryRule) -> pd.DataFrame:
    """Rules ``share_area`` / ``share_population`` per new code: ``share``, ``share_known``,
    ``share_assessed`` (and ``population_known``)."""
    group = pairs["new_code"]
    # Old polygons may overlap a little: when their parts add up to more than the new unit,
    # divide by that sum so that the shares stay within 0..1.
    area = pairs["share_of_new"].groupby(group).sum().clip(lower=1.0)
    if rule.name == "share_area":
        weight, total = pairs["share_of_new"], area
    else:
        weight = pairs["population"]  # NaN where the old population is unknown: left out
        total = weight.groupby(group).sum()
        total = total.where(total > 0)

    shares = pd.DataFrame(
        {
            "share": _fraction(weight, pairs["rank"] >= _RANK[rule.level], group, total),
            "share_known": _fraction(weight, pairs["known"], group, total),
            "share_assessed": _fraction(weight, pairs["assessed"], group, total),
        }
    )
    if rule.name == "share_population":
        shares["population_known"] = _fraction(pairs["share_of_new"], pairs["population"].notna(), group, area)
    return shares


def _fraction(weight: pd.Series, mask: pd.Series, group: pd.Series, total: pd.Series) -> pd.Series:
    """Per group: the sum of ``weight`` where ``mask`` holds (NaN weights left out), over ``total``."""
    return weight.where(mask, 0.0).groupby(group).sum() / total


def carry_indicator(
    old: gpd.GeoDataFrame,
    new: gpd.GeoDataFrame,
    column: str,
    *,
    how: str = "mean",
    weight: str = "area",
    sliver_tolerance: float = 0.01,
) -> pd.DataFrame:
    """Carry the indicator ``column`` of the old units onto the new ones.

    ``how="sum"`` (counts: households, km of road) spreads each old value over the old unit evenly
    by area and adds up the pieces; ``how="mean"`` (rates, shares) averages the old values weighted
    by the shared area (``weight="area"``) or by the population living there, each old unit's
    population spread evenly over its area (``weight="population"``). Slivers never count.
    Returns, per new code: the value and ``known`` (the fraction of the new unit's area whose old
    unit had a value)."""
    if how not in ("mean", "sum") or weight not in ("area", "population"):
        raise InputError(f"carry an indicator with how=mean|sum and weight=area|population, not {how}/{weight}")
    missing = [
        c
        for c in ("code", "name", column) + (("population",) if weight == "population" else ())
        if c not in old.columns
    ]
    if missing:
        raise InputError(f"old units lack the column(s) {', '.join(missing)}")
    pairs = crosswalk(old, new, sliver_tolerance=sliver_tolerance).pairs
    pairs = pairs.join(old.set_index("code")[column].astype(float).rename("value"), on="old_code")
    group = pairs["new_code"]
    valued = pairs["value"].notna()
    if how == "sum":
        value = (pairs["value"] * pairs["share_of_old"]).where(valued).groupby(group).sum(min_count=1)
    else:
        w = pairs["shared_ha"] if weight == "area" else pairs["population"]
        w = w.where(valued & w.notna(), 0.0)
        value = (pairs["value"].fillna(0.0) * w).groupby(group).sum() / w.groupby(group).sum().replace(
            0.0, float("nan")
        )
    known = pairs["share_of_new"].where(valued, 0.0).groupby(group).sum().clip(upper=1.0)
    result = pd.DataFrame({column: value, "known": known}).reindex(new["code"].to_numpy())
    result["known"] = result["known"].fillna(0.0)
    result.index.name = "code"
    return result
