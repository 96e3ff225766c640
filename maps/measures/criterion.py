"""``tc<N>``: one criterion of a commune, met, unmet, or disputed between sources. Statuses of
single criteria are never carried between units."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from geo_ntm.errors import NotFoundError
from geo_ntm.frameworks import get_framework
from maps.commune import Commune
from maps.i18n import texts
from maps.measures.base import NO_DATA, Measure

if TYPE_CHECKING:
    from geo_ntm.frameworks import Framework
    from geo_ntm.store import Store

_TC = re.compile(r"tc0*(\d{1,3})")


@dataclass(frozen=True)
class Criterion(Measure):
    """Criterion ``number`` of the framework of each commune."""

    number: int

    kind: ClassVar[str] = "criterion"
    group: ClassVar[str] = "group_criteria"
    #: ColorBrewer Dark2 (colour-blind safe).
    fills: ClassVar[dict[str, str]] = {"met": "#1b9e77", "unmet": "#d95f02", "conflict": "#7570b3"}

    @property
    def name(self) -> str:
        return f"tc{self.number}"

    @classmethod
    def parse(cls, text: str, criteria_total: int) -> Measure | None:
        """``tc<N>`` (leading zeros allowed) with N in 1..``criteria_total``."""
        match = _TC.fullmatch(text)
        return cls(int(match[1])) if match and 1 <= int(match[1]) <= criteria_total else None

    @classmethod
    def hint(cls, criteria_total: int) -> str:
        return f"tc1..tc{criteria_total} for a single criterion"

    @classmethod
    def offered(cls, store: Store, year: int, framework: Framework) -> list[Measure]:
        """Every criterion of ``framework``."""
        return [cls(c.number) for c in framework.criteria]

    @classmethod
    def text_keys(cls) -> tuple[str, ...]:
        return ("measure.tc", "measure.tc_named", "heading.tc", *(f"class.{k}" for k in cls.fills))

    def fixed_key(self, c: Commune) -> str:
        """Conflicting or unmet as the commune's lists say (even when only some criteria were
        reported); met only when the lists are complete."""
        if self.number in c.conflicting:
            return "conflict"
        if self.number in c.unmet:
            return "unmet"
        if c.met is None or c.total is None:
            return NO_DATA
        # A count without the list of unmet criteria does not say which ones are met.
        detailed = c.met + len(c.unmet) + len(c.conflicting) >= c.total
        return "met" if detailed and self.number <= c.total else NO_DATA

    def title(self, lang: str, framework: str | None = None, year: int | None = None) -> str:
        """ "Tiêu chí 5: Trường học", with the criterion's name when ``framework`` gives it."""
        t = texts(lang)
        if named := criterion_name(framework, self.number, lang):
            return t["measure.tc_named"].format(n=self.number, name=named)
        return t["measure.tc"].format(n=self.number)

    def heading(self, lang: str, framework: str | None = None, year: int | None = None) -> str:
        """ "Tiêu chí số 5: Trường học", with the name when the communes share one framework."""
        heading = texts(lang)["heading.tc"].format(n=self.number)
        named = criterion_name(framework, self.number, lang)
        return f"{heading}: {named}" if named else heading


def criterion_name(framework: str | None, number: int, lang: str) -> str | None:
    """The name of criterion ``number`` of ``framework`` in ``lang``; None when unknown."""
    if not framework:
        return None
    try:
        criterion = get_framework(framework).criterion(number)
    except (NotFoundError, KeyError):
        return None
    return criterion.name_vi if lang == "vi" else criterion.name_en
