"""``level``: the highest NTM level a commune reached, and its change between years (up, same,
down). Carried by the rule ``all``."""

from __future__ import annotations

from typing import ClassVar

from geo_ntm.domain import LEVEL_ORDER
from maps.commune import Commune
from maps.i18n import level_label, texts
from maps.measures.change import Changing

_RANK: dict[str | None, int] = {None: 0, **{level: i + 1 for i, level in enumerate(LEVEL_ORDER)}}


class Level(Changing):
    """The level reached, highest first, then "not reached"."""

    name: ClassVar[str] = "level"
    kind: ClassVar[str] = "level"
    group: ClassVar[str] = "group_assessment"
    #: Sequential ColorBrewer YlGn.
    fills: ClassVar[dict[str, str]] = {
        "ntm_kieu_mau": "#005a32",
        "ntm_nang_cao": "#41ab5d",
        "ntm": "#addd8e",
        "not_reached": "#ffffcc",
    }
    #: Diverging ColorBrewer PRGn (colour-blind safe).
    change_fills: ClassVar[dict[str, str]] = {"up": "#1b7837", "same": "#f7f7f7", "down": "#762a83"}
    carried_by: ClassVar[tuple[str, ...]] = ("all",)

    @classmethod
    def text_keys(cls) -> tuple[str, ...]:
        return tuple(k for k in super().text_keys() if k.removeprefix("class.") not in LEVEL_ORDER)

    def fixed_key(self, c: Commune) -> str:
        return c.level or "not_reached"

    def fixed_classes(self, totals: set[int], lang: str) -> list[tuple[str, str]]:
        """The levels by their names (``geo_ntm.domain.LEVELS``), then "not reached"."""
        return [(lv, level_label(lv, lang)) for lv in reversed(LEVEL_ORDER)] + [
            ("not_reached", texts(lang)["class.not_reached"])
        ]

    def change_key(self, c: Commune) -> str:
        step = _RANK[c.level] - _RANK[c.before_level]
        return "up" if step > 0 else "down" if step < 0 else "same"
