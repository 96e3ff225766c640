"""What the communes of each province or district add up to in a year (issue 14 §1): how many
there are, how many the programme assesses, how many have data, how many are recognised at each
level, and the criteria they meet on average. The national map and the district maps of a province
colour their units by these tallies, never by the unit's own status (``geo_ntm.views.status_view``).

One pass over the communes without geometry, assessing those with reported facts
(``commune_tallies``): the polygons drawn are the provinces' or districts' own."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from geo_ntm.assessment import assess_units, is_assessed
from geo_ntm.domain import LEVEL_ORDER, AdminTier, Assessment, levels_held
from geo_ntm.store import Store
from geo_ntm.store.base import unit_from_row
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
    or district (keyed by district code) of ``where``'s place and boundaries in its status year.

    The units are read without geometry and only those with a reported fact in the year (a status,
    count, recognition or indicator status) are assessed; the others are assessed or not by their
    type, with no data (what their assessment would say)."""
    if tier is AdminTier.COMMUNE:
        raise ValueError("communes are tallied by province or district")
    frame = store.units(where.vintage.vintage_id, AdminTier.COMMUNE, geometry=False, **where.place_filters)
    units = [unit_from_row(r) for r in frame.itertuples(index=False)]
    ids, year = [u.unit_id for u in units], where.status_year
    statuses, summaries = store.statuses(ids, year), store.summaries(ids, year)
    recognitions, indicators = store.recognitions(ids, year), store.indicator_statuses(ids, year)
    reported = (
        {f.unit_id for f in statuses}
        | {f.unit_id for f in summaries}
        | {f.unit_id for f in recognitions}
        | {f.unit_id for f in indicators}
    )
    reporting = [u for u in units if u.unit_id in reported]
    found = assess_units(reporting, year, statuses, summaries, recognitions, indicators)
    groups: dict[str, list[Assessment]] = defaultdict(list)
    for u in units:
        key = u.province_code if tier is AdminTier.PROVINCE else u.district_code
        groups[str(key)].append(found.get(u.unit_id) or Assessment(u.unit_id, year, assessed=is_assessed(u)))
    return {key: tally_of(assessments) for key, assessments in groups.items()}


def tally_of(assessments: list[Assessment]) -> Tally:
    """The ``Tally`` of the assessments of a province's or district's communes."""
    assessed = [a for a in assessments if a.assessed]
    with_data = [a for a in assessed if a.has_data]
    recognised: Counter[str] = Counter()
    for a in assessed:  # a decision counts with or without statuses of the year
        recognised.update(levels_held(a.recognised_level))
    met = [a.criteria_met for a in with_data if a.criteria_met is not None]
    frameworks = {a.framework_id for a in with_data if a.framework_id}
    return Tally(
        communes=len(assessments),
        assessed=len(assessed),
        with_data=len(with_data),
        recognised=dict(recognised),
        criteria_met_sum=sum(met),
        criteria_met_count=len(met),
        framework=frameworks.pop() if len(frameworks) == 1 else None,
    )
