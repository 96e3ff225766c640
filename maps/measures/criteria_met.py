"""``criteria_met``: how many criteria a commune met, in the planners' standard classes or by a
numeric scheme, and its change between years (gains and losses). Carried by the rule ``all``."""

from __future__ import annotations

from typing import ClassVar

from maps.commune import Commune
from maps.i18n import texts
from maps.measures.base import DEFAULT_CRITERIA_TOTAL, NO_DATA, SCHEMES
from maps.measures.change import Changing


class CriteriaMet(Changing):
    """All met, 15 to all but one, 10 to 14, below 10."""

    name: ClassVar[str] = "criteria_met"
    kind: ClassVar[str] = "criteria_met"
    group: ClassVar[str] = "group_assessment"
    schemes: ClassVar[tuple[str, ...]] = SCHEMES
    #: Sequential ColorBrewer YlGn.
    fills: ClassVar[dict[str, str]] = {
        "all_met": "#238443",
        "15_top": "#78c679",
        "10_14": "#c2e699",
        "below_10": "#ffffcc",
    }
    #: Diverging ColorBrewer PRGn (colour-blind safe).
    change_fills: ClassVar[dict[str, str]] = {
        "gain_5": "#1b7837",
        "gain_1": "#a6dba0",
        "no_change": "#f7f7f7",
        "loss": "#9970ab",
    }
    change_table_value: ClassVar[bool] = True
    carried_by: ClassVar[tuple[str, ...]] = ("all",)

    @classmethod
    def text_keys(cls) -> tuple[str, ...]:
        return (*super().text_keys(), "class.all_met_any", "class.15_any")

    def value(self, c: Commune) -> float | None:
        return None if c.met is None else float(c.met)

    def classed_value(self, c: Commune) -> float | None:
        return self.value(c) if c.has_data else None

    def fixed_key(self, c: Commune) -> str:
        if c.met is None or c.total is None:
            return NO_DATA
        if c.met >= c.total:
            return "all_met"
        return "15_top" if c.met >= 15 else "10_14" if c.met >= 10 else "below_10"

    def fixed_classes(self, totals: set[int], lang: str) -> list[tuple[str, str]]:
        """The labels name the criteria total when the communes share one."""
        t = texts(lang)
        # One framework per map is the rule; with several totals the labels cannot show them.
        total = max(totals, default=DEFAULT_CRITERIA_TOTAL) if len(totals) <= 1 else None
        return [
            ("all_met", t["class.all_met"].format(total=total) if total else t["class.all_met_any"]),
            ("15_top", t["class.15_top"].format(top=total - 1) if total else t["class.15_any"]),
            ("10_14", t["class.10_14"]),
            ("below_10", t["class.below_10"]),
        ]

    def change_key(self, c: Commune) -> str:
        if c.met is None or c.before_met is None:
            return NO_DATA
        gain = c.met - c.before_met
        return "gain_5" if gain >= 5 else "gain_1" if gain > 0 else "no_change" if gain == 0 else "loss"

    def change_value(self, c: Commune) -> float | None:
        return None if c.met is None or c.before_met is None else float(c.met - c.before_met)
