"""The interface of a map measure, and what every measure shares.

A measure is what a choropleth colours. Each one owns how it is named, its value for a commune,
its classes (fixed categories with their fills, or numbers classed by a scheme), its legend
heading and title, its tooltip lines, its unit, its texts (keys of ``maps.i18n``), whether it has a
change between years, and on which boundaries it can be drawn. Nothing outside ``maps.measures``
asks which measure it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

import geopandas as gpd

from maps.commune import Commune
from maps.i18n import texts

if TYPE_CHECKING:
    from geo_ntm.frameworks import Framework
    from geo_ntm.store import Store
    from geo_ntm.where import Where

DEFAULT_CRITERIA_TOTAL = 19
NO_DATA, NOT_ASSESSED = "no_data", "not_assessed"
HATCH_ID = "ntm-not-assessed-hatch"
SCHEMES = ("standard", "quantiles", "equal_interval", "natural_breaks")
#: Fills of the classes every measure shares: greys outside the scale, the hatch for "not assessed".
OUTSIDE_FILLS = {NO_DATA: "#bdbdbd", NOT_ASSESSED: f"url(#{HATCH_ID})"}


class Measure:
    """What a map shows. Subclasses set the class attributes and override what differs; the
    defaults fit a class of one measure (built without arguments) with a fixed name, fixed classes
    and texts ``measure.<name>`` and ``heading.<name>``.

    ``name``, ``unit``, ``fills`` and ``table_value`` are read-only: a class of one measure sets
    them as class constants (``name: ClassVar[str] = "level"``), a class of many measures
    (``tc<N>``, the indicators, a change) computes them from the measure's fields."""

    #: The kind the page is told (``/map/data``'s ``measure.kind``).
    kind: ClassVar[str]
    #: The page's group of the measure list (a key of ``maps.i18n.ui_texts``).
    group: ClassVar[str]
    #: The classifications it accepts, the default first.
    schemes: ClassVar[tuple[str, ...]] = SCHEMES[:1]
    #: The carry rules whose carried assessment gives this measure: () for one never carried,
    #: None for one computed on the boundaries drawn, carried or not.
    carried_by: ClassVar[tuple[str, ...] | None] = ()
    #: True for a measure that exists only on carried boundaries.
    needs_carry: ClassVar[bool] = False
    #: True for a measure of a province or district by its communes (``maps.measures.aggregate``).
    aggregate: ClassVar[bool] = False
    #: The heading of the table's class column (a key of ``maps.i18n.ui_texts``).
    class_column: ClassVar[str] = "col_class"

    @property
    def name(self) -> str:
        """The measure's name as asked and sent (``level``, ``tc5``, ``roads:km_total``)."""
        raise NotImplementedError(f"{type(self).__name__} sets no name")

    @property
    def unit(self) -> str:
        """How its numbers are written (see ``maps.i18n.format_number``)."""
        return "number"

    @property
    def fills(self) -> Mapping[str, str]:
        """The fill of each fixed class, best or highest first (the legend's order)."""
        return {}

    @property
    def table_value(self) -> bool:
        """True when the planner's table shows its value in a column of its own."""
        return False

    @classmethod
    def parse(cls, text: str, criteria_total: int) -> Measure | None:
        """The measure of this class named ``text`` (lower case, stripped), None when ``text``
        names none of them; ``criteria_total`` bounds the criterion numbers."""
        measure = cls()
        return measure if text == measure.name else None

    @classmethod
    def hint(cls, criteria_total: int) -> str:
        """How the error for an unknown measure names the measures of this class."""
        return cls().name

    @classmethod
    def offered(cls, store: Store, year: int, framework: Framework) -> list[Measure]:
        """The measures of this class the page offers in ``year`` (``framework`` in force)."""
        return [cls()]

    @classmethod
    def text_keys(cls) -> tuple[str, ...]:
        """The keys of ``maps.i18n.texts`` the measures of this class use."""
        measure = cls()
        return (f"measure.{measure.name}", f"heading.{measure.name}", *(f"class.{k}" for k in measure.fills))

    @classmethod
    def offered_on(cls, carried: bool) -> bool:
        """Whether the page offers the measure on carried boundaries (``carried``) or on the
        boundaries of the status year."""
        return cls.carried_by != () if carried else not cls.needs_carry

    @classmethod
    def carried_with(cls, rule: str) -> bool:
        """Whether statuses carried by ``rule`` give this measure."""
        return cls.carried_by is None or rule in cls.carried_by

    def value(self, c: Commune) -> float | None:
        """The number the measure maps for ``c`` (None for categories and where unknown)."""
        return c.value

    def classed_value(self, c: Commune) -> float | None:
        """The number that places ``c`` in a numeric class (None: no data)."""
        return self.value(c)

    def fixed_key(self, c: Commune) -> str:
        """The fixed class of an assessed commune with data (measures that accept ``standard``)."""
        raise NotImplementedError(f"measure {self.name!r} has no fixed classes")

    def fixed_classes(self, totals: set[int], lang: str) -> list[tuple[str, str]]:
        """(class key, label) of every fixed class, best first; ``totals`` are the criteria totals
        of the communes mapped."""
        t = texts(lang)
        return [(k, t[f"class.{k}"]) for k in self.fills]

    def title(self, lang: str, framework: str | None = None, year: int | None = None) -> str:
        """The map's title ("Mức đạt chuẩn nông thôn mới"); ``framework`` is the one framework of
        the communes mapped, if one, ``year`` the later year of a change."""
        return texts(lang)[f"measure.{self.name}"]

    def heading(self, lang: str, framework: str | None = None, year: int | None = None) -> str:
        """The legend's heading (arguments as for ``title``)."""
        return texts(lang)[f"heading.{self.name}"]

    def tooltip_extra(self, c: Commune, lang: str) -> tuple[str, ...]:
        """Tooltip lines (HTML) of the measure beyond the commune's figures."""
        return ()

    def properties(self, c: Commune) -> dict:
        """Feature properties of the measure beyond those every map has."""
        return {}

    def load(self, store: Store, frame: gpd.GeoDataFrame, where: Where, lang: str) -> list[str]:
        """Add to ``frame`` the columns the measure needs beyond the assessment; the sources of
        what it added, as the map's source line names them."""
        return []

    def about(self) -> dict:
        """What ``/map/data`` tells the page about the measure."""
        return {"id": self.name, "kind": self.kind, "unit": self.unit, "schemes": list(self.schemes)}
