"""An indicator computed from infrastructure layers (``roads:hardened_share_hamlet``,
``water:ind_17_1_value@500``; see ``maps.figures``), classed by a numeric scheme. It is
computed on the boundaries drawn, so any carry rule allows it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import geopandas as gpd

from maps.commune import Commune
from maps.figures import Figure, figure_values, offered, parse_figure
from maps.i18n import format_number, texts
from maps.measures.base import SCHEMES, Measure

if TYPE_CHECKING:
    from geo_ntm.frameworks import Framework
    from geo_ntm.store import Store
    from geo_ntm.where import Where


@dataclass(frozen=True)
class FigureMeasure(Measure):
    """The values of ``figure`` per commune (the frame's ``value`` column)."""

    figure: Figure

    kind: ClassVar[str] = "indicator"
    group: ClassVar[str] = "group_indicators"
    schemes: ClassVar[tuple[str, ...]] = SCHEMES[1:]
    carried_by: ClassVar[None] = None
    table_value: ClassVar[bool] = True

    @property
    def name(self) -> str:
        return self.figure.name

    @property
    def unit(self) -> str:
        return self.figure.unit

    @classmethod
    def parse(cls, text: str, criteria_total: int) -> Measure | None:
        """``<topic>:<column>[@<metres>]`` (see ``maps.figures.parse_figure``)."""
        indicator = parse_figure(text)
        return cls(indicator) if indicator else None

    @classmethod
    def hint(cls, criteria_total: int) -> str:
        return "an indicator such as roads:hardened_share_hamlet"

    @classmethod
    def offered(cls, store: Store, year: int, framework: Framework) -> list[Measure]:
        """The indicators of the layers the store holds for ``year``."""
        return [cls(i) for i in offered(store, year)]

    @classmethod
    def text_keys(cls) -> tuple[str, ...]:
        return ()  # the indicators' own texts: see maps.figures.Figure.label

    def title(self, lang: str, framework: str | None = None, year: int | None = None) -> str:
        return self.figure.label(lang)

    def heading(self, lang: str, framework: str | None = None, year: int | None = None) -> str:
        return self.figure.label(lang)

    def tooltip_extra(self, c: Commune, lang: str) -> tuple[str, ...]:
        return (f"{self.title(lang)}: {format_number(c.value, self.unit, lang)}",)

    def load(self, store: Store, frame: gpd.GeoDataFrame, where: Where, lang: str) -> list[str]:
        """The ``value`` column from the coverage table; the source is the layer and its date."""
        values, totals = figure_values(store, where, self.figure)
        frame["value"] = frame["code"].map(values).astype(float)
        return [texts(lang)["map.layer"].format(name=totals["layer"], day=totals["layer_date"])]
