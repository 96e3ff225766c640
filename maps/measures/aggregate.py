"""The measures of a province or district by its communes (``geo_ntm.aggregate``): the share of
its communes recognised at a level (``recognised_<level>``), the share with data of the year
(``with_data``) and the criteria they meet on average (``mean_criteria_met``). They colour the
national map (provinces) and the district maps of a province, never a commune map (a commune has
no communes)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import geopandas as gpd

from geo_ntm.aggregate import Tally, commune_tallies
from geo_ntm.domain import LEVEL_ORDER, AdminTier
from maps.commune import Commune
from maps.i18n import format_number, level_label, texts
from maps.measures.base import NO_DATA, SCHEMES, Measure
from maps.measures.share import Share, quarter

if TYPE_CHECKING:
    from geo_ntm.frameworks import Framework
    from geo_ntm.store import Store
    from geo_ntm.where import Where


class Aggregate(Measure):
    """A figure of the communes of each unit mapped: ``load`` tallies them (a commune is "assessed"
    when the programme assesses it: xã, not phường or thị trấn) and a unit with no assessed commune
    is "not assessed", one without a commune with data "no data"."""

    aggregate: ClassVar[bool] = True
    group: ClassVar[str] = "group_aggregate"
    unit: ClassVar[str] = "share"
    schemes: ClassVar[tuple[str, ...]] = SCHEMES
    fills: ClassVar[dict[str, str]] = dict(Share.fills)
    carried_by: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def text_keys(cls) -> tuple[str, ...]:
        return (f"measure.{cls.kind}", f"heading.{cls.kind}", *(f"class.{k}" for k in cls.fills))

    def classed_value(self, c: Commune) -> float | None:
        return self.value(c) if c.has_data else None

    def fixed_key(self, c: Commune) -> str:
        value = self.value(c)
        return NO_DATA if value is None else quarter(value)

    def known(self, tally: Tally) -> bool:
        """Whether the measure has a value for a unit with communes assessed: one has data."""
        return tally.with_data > 0

    def properties(self, c: Commune) -> dict:
        """The unit's tally: counts of communes, recognised per level, mean criteria met."""
        return c.tally.as_dict() if c.tally is not None else {}

    def load(self, store: Store, frame: gpd.GeoDataFrame, where: Where, lang: str) -> list[str]:
        """The ``tally`` of each unit's communes in the year, ``assessed`` (it has communes the
        programme assesses), ``has_data`` (one of them has data) and the communes' one framework."""
        tier = AdminTier(frame["admin_level"].iloc[0])
        tallies = commune_tallies(store, where, tier)
        key = "province_code" if tier is AdminTier.PROVINCE else "code"
        found = [tallies.get(str(code)) for code in frame[key]]
        frame["tally"] = found
        frame["assessed"] = [t is not None and t.assessed > 0 for t in found]
        frame["has_data"] = [t is not None and self.known(t) for t in found]
        frame["framework"] = [t.framework if t is not None else None for t in found]
        with_data = sum(t.with_data for t in found if t is not None)
        return [texts(lang)["map.aggregate_source"].format(n=format_number(with_data, "number", lang))]


class RecognisedShare(Aggregate):
    """``recognised_<level>``: the share of the assessed communes recognised by a decision at the
    level or one nested in it (a xã NTM nâng cao counts as a xã NTM)."""

    kind: ClassVar[str] = "recognised_share"

    def __init__(self, level: str = "ntm") -> None:
        self.level = level

    @property
    def name(self) -> str:
        return f"recognised_{self.level}"

    @classmethod
    def parse(cls, text: str, criteria_total: int) -> Measure | None:
        level = text.removeprefix("recognised_")
        return cls(level) if text.startswith("recognised_") and level in LEVEL_ORDER else None

    @classmethod
    def hint(cls, criteria_total: int) -> str:
        return f"recognised_<level> (level {', '.join(LEVEL_ORDER)})"

    @classmethod
    def offered(cls, store: Store, year: int, framework: Framework) -> list[Measure]:
        return [cls(level) for level in framework.levels]

    def value(self, c: Commune) -> float | None:
        return c.tally.recognised_share(self.level) if c.tally is not None else None

    def title(self, lang: str, framework: str | None = None, year: int | None = None) -> str:
        return texts(lang)["measure.recognised_share"].format(level=level_label(self.level, lang))

    def heading(self, lang: str, framework: str | None = None, year: int | None = None) -> str:
        return texts(lang)["heading.recognised_share"].format(level=level_label(self.level, lang))


class DataShare(Aggregate):
    """``with_data``: the share of the assessed communes with a status of the year."""

    name: ClassVar[str] = "with_data"
    kind: ClassVar[str] = "with_data"

    def value(self, c: Commune) -> float | None:
        return c.tally.data_share if c.tally is not None else None

    def known(self, tally: Tally) -> bool:
        """Known wherever communes are assessed: none with data is a share of 0."""
        return tally.assessed > 0


class MeanCriteriaMet(Aggregate):
    """``mean_criteria_met``: the criteria the assessed communes with data meet on average,
    classed by a numeric scheme (equal intervals by default)."""

    name: ClassVar[str] = "mean_criteria_met"
    kind: ClassVar[str] = "mean_criteria_met"
    unit: ClassVar[str] = "number"
    schemes: ClassVar[tuple[str, ...]] = ("equal_interval", "quantiles", "natural_breaks")
    fills: ClassVar[dict[str, str]] = {}

    @classmethod
    def text_keys(cls) -> tuple[str, ...]:
        return ("measure.mean_criteria_met", "heading.mean_criteria_met")

    def value(self, c: Commune) -> float | None:
        return c.tally.mean_criteria_met if c.tally is not None else None
