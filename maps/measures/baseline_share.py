"""``baseline_recognised_share[_<level>]``: the share of a new commune's area that lay in former
xã recognised at the level (default ``ntm``) or higher before the merger (``geo_ntm.baseline``);
history of the former communes, never the new commune's recognition. The quarters of ``share`` or
a numeric scheme. Computed on the boundaries drawn, whatever the status year."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import geopandas as gpd

from geo_ntm.baseline import baseline
from geo_ntm.domain import LEVEL_ORDER
from maps.commune import Commune
from maps.i18n import level_label, texts
from maps.measures.base import NO_DATA, SCHEMES, Measure
from maps.measures.share import Share, quarter

if TYPE_CHECKING:
    from geo_ntm.frameworks import Framework
    from geo_ntm.store import Store
    from geo_ntm.where import Where

PREFIX = "baseline_recognised_share"


@dataclass(frozen=True)
class BaselineShare(Measure):
    """The share recognised at ``level`` before the merger, per new commune."""

    level: str = "ntm"

    kind: ClassVar[str] = "baseline_share"
    group: ClassVar[str] = "group_assessment"
    schemes: ClassVar[tuple[str, ...]] = SCHEMES
    carried_by: ClassVar[None] = None
    table_value: ClassVar[bool] = True

    @property
    def name(self) -> str:
        return PREFIX if self.level == "ntm" else f"{PREFIX}_{self.level}"

    @property
    def unit(self) -> str:
        return "share"

    @property
    def fills(self) -> dict[str, str]:
        return Share.fills

    @classmethod
    def parse(cls, text: str, criteria_total: int) -> Measure | None:
        """``baseline_recognised_share`` (``ntm``) or ``baseline_recognised_share_<level>`` (no ``:``,
        which names an indicator ``<topic>:<column>``)."""
        if text == PREFIX:
            return cls()
        level = text.removeprefix(f"{PREFIX}_")
        return cls(level) if level != text and level in LEVEL_ORDER else None

    @classmethod
    def hint(cls, criteria_total: int) -> str:
        return f"{PREFIX}[_{'|_'.join(LEVEL_ORDER)}] (before the merger)"

    @classmethod
    def offered(cls, store: Store, year: int, framework: Framework) -> list[Measure]:
        """Every level, where the boundaries of ``year`` have boundaries stored before them."""
        starts = [v.valid_from for v in store.vintages() if v.valid_from <= dt.date(year, 12, 31)]
        return [cls(level) for level in LEVEL_ORDER] if len(starts) > 1 else []

    @classmethod
    def text_keys(cls) -> tuple[str, ...]:
        return (f"measure.{PREFIX}", f"heading.{PREFIX}", f"map.{PREFIX}", *(f"class.{k}" for k in Share.fills))

    def title(self, lang: str, framework: str | None = None, year: int | None = None) -> str:
        return texts(lang)[f"measure.{PREFIX}"].format(level=level_label(self.level, lang))

    def heading(self, lang: str, framework: str | None = None, year: int | None = None) -> str:
        return texts(lang)[f"heading.{PREFIX}"].format(level=level_label(self.level, lang))

    def fixed_key(self, c: Commune) -> str:
        return NO_DATA if c.value is None else quarter(c.value)

    def load(self, store: Store, frame: gpd.GeoDataFrame, where: Where, lang: str) -> list[str]:
        """The ``value`` column: each commune's baseline share; ``has_data`` says whether former
        communes cover it, and every commune is drawn (a new ward's former xã are history too)."""
        assert where.province is not None  # a map is of a province
        found = {b.code: b for b in baseline(store, where.vintage, province_code=where.province.province_code)}
        frame["value"] = [found[c].area_share[self.level] if c in found else None for c in frame["code"]]
        frame["value"] = frame["value"].astype(float)
        frame["has_data"] = [c in found and found[c].coverage > 0 for c in frame["code"]]
        frame["assessed"] = True
        first = next(iter(found.values()), None)
        if first is None:
            return []
        return [texts(lang)[f"map.{PREFIX}"].format(vintage=first.former_vintage, day=first.as_of.isoformat())]
