"""The change of a measure between two years (``compare``): of the level reached (up, same, down)
or of the number of criteria met (gains and losses). The measure changed gives the classes, the
class of a commune and the number; the change adds the earlier year to the legend, the tooltip
and the features."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from maps.commune import Commune
from maps.i18n import format_number, level_label, texts
from maps.measures.base import NO_DATA, Measure


class Changing(Measure):
    """A measure with a change between years: its subclasses give the change's fills (best
    first) and the class of a commune whose earlier year has data. Each is a class of one measure,
    whose name is a class constant."""

    name: ClassVar[str]
    change_fills: ClassVar[Mapping[str, str]]
    #: True when the change is a number the planner's table shows.
    change_table_value: ClassVar[bool] = False

    @classmethod
    def text_keys(cls) -> tuple[str, ...]:
        return (*super().text_keys(), f"heading.change.{cls.name}", *(f"class.{k}" for k in cls.change_fills))

    def change_key(self, c: Commune) -> str:
        """The class of the change of ``c``, whose earlier year has data."""
        raise NotImplementedError

    def change_value(self, c: Commune) -> float | None:
        """The number of the change of ``c`` (None for categories and where unknown)."""
        return c.value


@dataclass(frozen=True)
class Change(Measure):
    """The change of ``base`` from ``compare`` (the earlier year) to the year mapped."""

    base: Changing
    compare: int

    kind: ClassVar[str] = "change"
    class_column: ClassVar[str] = "col_change"

    @property
    def name(self) -> str:
        return self.base.name

    @property
    def fills(self) -> Mapping[str, str]:
        return self.base.change_fills

    @property
    def table_value(self) -> bool:
        return self.base.change_table_value

    def value(self, c: Commune) -> float | None:
        return self.base.change_value(c)

    def fixed_key(self, c: Commune) -> str:
        return self.base.change_key(c) if c.before_has_data else NO_DATA

    def title(self, lang: str, framework: str | None = None, year: int | None = None) -> str:
        return self.heading(lang, framework, year)

    def heading(self, lang: str, framework: str | None = None, year: int | None = None) -> str:
        return texts(lang)[f"heading.change.{self.name}"].format(a=self.compare, b=year)

    def tooltip_extra(self, c: Commune, lang: str) -> tuple[str, ...]:
        """The earlier year's level and criteria met."""
        if not c.assessed:
            return ()
        t = texts(lang)
        if not c.before_has_data:
            return (f"{self.compare}: {t['class.no_data']}",)
        level = level_label(c.before_level, lang) if c.before_level else t["class.not_reached"]
        met = "–" if c.before_met is None else format_number(c.before_met, "number", lang)
        return (f"{self.compare}: {t['tip.criteria_met']} {met}; {t['tip.level']} {level}",)

    def properties(self, c: Commune) -> dict:
        return {
            "before_year": self.compare,
            "before_has_data": c.before_has_data,
            "before_level": c.before_level,
            "before_met": c.before_met,
        }
