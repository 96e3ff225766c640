"""``target_progress``: each commune's status against its earliest target in the year
(``geo_ntm.targets.progress``: reached, on track, behind, overdue); communes without a target (or
without the year's figures) are "no data", and the map's source line says when no target is
loaded. Only on the boundaries of the year: targets name the units of their own boundaries."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import geopandas as gpd

from geo_ntm.targets import commune_status, progress
from maps.commune import Commune
from maps.i18n import texts
from maps.measures.base import NO_DATA, Measure

if TYPE_CHECKING:
    from geo_ntm.store import Store
    from geo_ntm.where import Where

#: The classes, best first; a commune's ``value`` is its index here.
_KEYS = ("target_reached", "target_on_track", "target_behind", "target_overdue")


class TargetProgress(Measure):
    """Reached, on track, behind, overdue (ColorBrewer RdYlGn, four classes)."""

    name: ClassVar[str] = "target_progress"
    kind: ClassVar[str] = "target_progress"
    group: ClassVar[str] = "group_assessment"
    fills: ClassVar[dict[str, str]] = dict(zip(_KEYS, ("#1a9641", "#a6d96a", "#fdae61", "#d7191c"), strict=True))

    def value(self, c: Commune) -> float | None:
        return None  # a category: the class says it

    def fixed_key(self, c: Commune) -> str:
        return NO_DATA if c.value is None else _KEYS[int(c.value)]

    def load(self, store: Store, frame: gpd.GeoDataFrame, where: Where, lang: str) -> list[str]:
        """The ``value`` column: the index of each commune's status in ``_KEYS`` (None: no target or
        no figures); ``has_data`` where it has one."""
        assert where.province is not None and where.year is not None  # a map is of a province and year
        t = texts(lang)
        found = progress(store, where.province, where.year)
        statuses = commune_status(found)
        frame["value"] = [
            float(_KEYS.index(f"target_{statuses[c]}")) if f"target_{statuses.get(c)}" in _KEYS else None
            for c in frame["code"]
        ]
        frame["value"] = frame["value"].astype(float)
        frame["has_data"] = frame["value"].notna()
        if not found.targets_loaded:
            return [t["map.no_target"].format(province=found.province)]
        return [t["map.targets"].format(sources="; ".join(sorted({c.source for c in found.communes})) or "-")]
