"""What the communes of each province or district add up to in a year (issue 14 §1): how many
there are, how many the programme assesses, how many have data, how many are recognised at each
level, and the criteria they meet on average. The national map and the district maps of a province
colour their units by these tallies, never by the unit's own status (``geo_ntm.views.status_view``).

One pass over the communes' assessment without geometry (``geo_ntm.views.status_view``): the
polygons drawn are the provinces' or districts' own."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from geo_ntm.domain import LEVEL_ORDER, AdminTier, levels_held
from geo_ntm.store import Store
from geo_ntm.views import status_view
from geo_ntm.where import Where


@dataclass(frozen=True)
class Tally:
    """The communes of one province or district in a year. ``assessed`` counts the units the
    programme assesses (xã, not phường or thị trấn); every share is of those."""

    communes: int = 0
    assessed: int = 0
    with_data: int = 0  # assessed, with a status, count or recognition holding in the year
    #: Assessed communes recognised by a decision at each level or above it (a xã NTM nâng cao is a xã NTM).
    recognised: dict[str, int] = field(default_factory=dict)
    criteria_met_sum: int = 0
    criteria_met_count: int = 0  # assessed communes with a count of criteria met
    framework: str | None = None  # the one framework of the communes with data (None: none or several)

    def recognised_share(self, level: str) -> float | None:
        """The share of the assessed communes recognised at ``level`` (None without any assessed)."""
        return self.recognised.get(level, 0) / self.assessed if self.assessed else None

    @property
    def data_share(self) -> float | None:
        """The share of the assessed communes with data of the year (a status, count or recognition)."""
        return self.with_data / self.assessed if self.assessed else None

    @property
    def mean_criteria_met(self) -> float | None:
        """The criteria met on average by the assessed communes with data (None without any)."""
        return self.criteria_met_sum / self.criteria_met_count if self.criteria_met_count else None

    def as_dict(self) -> dict:
        """The tally as JSON properties: counts, shares per level and the mean criteria met."""
        return {
            "communes": self.communes,
            "communes_assessed": self.assessed,
            "communes_with_data": self.with_data,
            "recognised": {level: self.recognised.get(level, 0) for level in LEVEL_ORDER},
            "mean_criteria_met": self.mean_criteria_met,
        }


def commune_tallies(store: Store, where: Where, tier: AdminTier) -> dict[str, Tally]:
    """The ``Tally`` of the communes of every province (``tier`` province: keyed by province code)
    or district (keyed by district code) of ``where``'s place and boundaries in its status year."""
    if tier is AdminTier.COMMUNE:
        raise ValueError("communes are tallied by province or district")
    frame = status_view(
        store, where.vintage, AdminTier.COMMUNE, where.status_year, geometry=False, **where.place_filters
    )
    key = "province_code" if tier is AdminTier.PROVINCE else "district_code"
    return tallies(frame, key)


def tallies(communes: pd.DataFrame, key: str) -> dict[str, Tally]:
    """The ``Tally`` of the communes (``status_view``'s columns) of each value of column ``key``,
    counted column-wise in one pass."""
    assessed = communes["assessed"].astype(bool)
    with_data = assessed & communes["has_data"].astype(bool)
    met = communes["criteria_met"].astype("Float64").where(with_data)
    counts = pd.DataFrame(
        {
            "key": communes[key].astype(str),
            "assessed": assessed,
            "with_data": with_data,
            "met_sum": met.fillna(0),
            "met_count": met.notna(),
        }
    )
    recognised = communes["recognised_level"].where(assessed)
    held = recognised.map(lambda level: levels_held(level) if isinstance(level, str) else frozenset())
    for level in LEVEL_ORDER:
        counts[level] = held.map(lambda found, level=level: level in found)
    frameworks = communes["framework"].where(with_data)
    one_framework = frameworks.groupby(counts["key"]).agg(lambda f: f.dropna().unique())
    sums = counts.groupby("key", sort=False).agg(["sum", "size"])
    return {
        str(code): Tally(
            communes=int(row[("assessed", "size")]),
            assessed=int(row[("assessed", "sum")]),
            with_data=int(row[("with_data", "sum")]),
            recognised={level: int(row[(level, "sum")]) for level in LEVEL_ORDER if row[(level, "sum")]},
            criteria_met_sum=int(row[("met_sum", "sum")]),
            criteria_met_count=int(row[("met_count", "sum")]),
            framework=str(one_framework[code][0]) if len(one_framework[code]) == 1 else None,
        )
        for code, row in sums.iterrows()
    }
