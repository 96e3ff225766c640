"""The map measures: what a choropleth can colour, one class per measure in its own module.

``parse_measure`` finds the measure a name asks for; ``offered_measures`` lists those the
planner's page offers; the interface is ``maps.measures.base.Measure``.

To add a measure:

1. Write ``maps/measures/<measure>.py`` with a subclass of ``Measure``: its ``name`` (or a
   ``parse`` for a family of names), ``kind``, ``group``, ``fills`` of its fixed classes and
   ``fixed_key`` (or ``schemes`` without ``standard`` and a ``value``), and override what differs
   from the defaults (unit, title and heading, tooltip lines, ``load`` for data beyond the
   assessment, ``carried_by``; derive from ``maps.measures.change.Changing`` for a change between
   years).
2. Add the class to ``REGISTRY`` below, where its names should be tried and the page should list it.
3. Add its texts (``text_keys``: ``measure.<name>``, ``heading.<name>``, ``class.<key>``) to both
   languages of ``maps.i18n``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from geo_ntm.errors import InputError
from maps.measures.aggregate import DataShare, MeanCriteriaMet, RecognisedShare
from maps.measures.base import DEFAULT_CRITERIA_TOTAL, Measure
from maps.measures.baseline_share import BaselineShare
from maps.measures.change import Change, Changing
from maps.measures.criteria_met import CriteriaMet
from maps.measures.criterion import Criterion
from maps.measures.figure import FigureMeasure
from maps.measures.level import Level
from maps.measures.share import Share
from maps.measures.target_progress import TargetProgress

if TYPE_CHECKING:
    from geo_ntm.frameworks import Framework
    from geo_ntm.store import Store

#: Every measure class, in the order names are tried and the page lists them.
REGISTRY: list[type[Measure]] = [
    Level,
    CriteriaMet,
    Share,
    BaselineShare,
    TargetProgress,
    RecognisedShare,
    DataShare,
    MeanCriteriaMet,
    Criterion,
    FigureMeasure,
]


def parse_measure(text: str, criteria_total: int = DEFAULT_CRITERIA_TOTAL) -> Measure:
    """The measure named ``text`` (case and surrounding blanks ignored; ``tc<N>`` with N in
    1..criteria_total); an InputError for anything else."""
    name = str(text).strip().lower()
    for cls in REGISTRY:
        if found := cls.parse(name, criteria_total):
            return found
    hints = [cls.hint(criteria_total) for cls in REGISTRY]
    raise InputError(f"unknown map measure {text!r}: use {', '.join(hints[:-1])}, or {hints[-1]}")


def offered_measures(
    store: Store, year: int, framework: Framework, carried: bool, aggregate: bool = False
) -> list[Measure]:
    """The measures the page offers in ``year`` (``framework`` in force), on carried boundaries
    (``carried``) or on those of the status year: of communes, or with ``aggregate`` those of
    provinces and districts by their communes (``maps.measures.aggregate``)."""
    return [
        m
        for cls in REGISTRY
        if cls.aggregate == aggregate and cls.offered_on(carried)
        for m in cls.offered(store, year, framework)
    ]


def carried_names(rule: str) -> list[str]:
    """The names of the measures the statuses carried by ``rule`` give (computed ones aside; each
    carried measure is the one measure of its class)."""
    return [cls().name for cls in REGISTRY if cls.carried_by and rule in cls.carried_by]


def aggregate_names() -> list[str]:
    """How the measures of provinces and districts by their communes are named."""
    return [cls.hint(DEFAULT_CRITERIA_TOTAL) for cls in REGISTRY if cls.aggregate]


def changing_names() -> list[str]:
    """The names of the measures that have a change between years."""
    return [cls.name for cls in REGISTRY if issubclass(cls, Changing)]


def changed_since(measure: Measure, year: int) -> Measure:
    """The change of ``measure`` from ``year``; an InputError for measures without one."""
    if isinstance(measure, Changing):
        return Change(measure, year)
    names = " or ".join(repr(n) for n in changing_names())
    raise InputError(f"a comparison of two years maps the change of {names}, not {measure.name!r}")
