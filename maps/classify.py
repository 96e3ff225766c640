"""The classes of every commune for a measure, and the legend (label, fill and count per
class). The folium page, the planner's JSON and the PNG export all classify here; the measures
(``maps.measures``) give their fixed classes, values and texts.

Measures with fixed categories class by them (``standard``); every number can also be classed by
quantiles, equal intervals or natural breaks (Fisher-Jenks) from mapclassify. Wards, towns and
unnamed polygons are "not assessed" whatever the measure, and take no part in the class breaks.
"""

from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass

import mapclassify
import numpy as np

from geo_ntm.errors import InputError
from maps.commune import Commune
from maps.i18n import format_number, texts
from maps.measures.base import NO_DATA, NOT_ASSESSED, OUTSIDE_FILLS, Measure

CLASS_COUNTS = range(3, 8)
_CLASSIFIERS = {
    "quantiles": mapclassify.Quantiles,
    "equal_interval": mapclassify.EqualInterval,
    "natural_breaks": mapclassify.FisherJenks,
}
#: Sequential ColorBrewer YlGnBu (colour-blind safe) for numeric classes, lowest first, per class count.
NUMERIC_FILLS = {
    3: ("#edf8b1", "#7fcdbb", "#2c7fb8"),
    4: ("#ffffcc", "#a1dab4", "#41b6c4", "#225ea8"),
    5: ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"),
    6: ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494"),
    7: ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84"),
}
#: The legend swatch of "not assessed" (CSS cannot use the SVG pattern of the polygons).
HATCH_CSS = "repeating-linear-gradient(45deg, #c4c4c4 0 2px, #f2f2f2 2px 5px)"


@dataclass(frozen=True)
class LegendEntry:
    """One row of a legend: ``fill`` for polygons, ``swatch`` for a CSS legend box."""

    key: str
    label: str
    fill: str
    count: int
    lower: float | None = None  # numeric classes: the values the class holds
    upper: float | None = None

    @property
    def swatch(self) -> str:
        return HATCH_CSS if self.key == NOT_ASSESSED else self.fill


@dataclass(frozen=True)
class Classification:
    """The class of every commune (in frame order) and the legend, best or highest class first."""

    measure: Measure
    scheme: str
    keys: tuple[str, ...]
    legend: tuple[LegendEntry, ...]
    heading: str

    def fill(self, key: str) -> str:
        return next(e.fill for e in self.legend if e.key == key)

    def label(self, key: str) -> str:
        return next(e.label for e in self.legend if e.key == key)


def classify(
    communes: list[Commune],
    measure: Measure,
    *,
    scheme: str | None = None,
    classes: int = 5,
    lang: str = "vi",
    framework: str | None = None,
    year: int | None = None,
) -> Classification:
    """Classes and legend of ``communes`` for ``measure``. ``framework`` (the one framework of the
    frame, if one) names the criterion in the heading; ``year`` is the later year of a change."""
    scheme = scheme or measure.schemes[0]
    if scheme not in measure.schemes:
        raise InputError(
            f"scheme: measure {measure.name!r} is classed by {' or '.join(measure.schemes)}, not {scheme!r}"
        )
    if classes not in CLASS_COUNTS:
        raise InputError(
            f"the number of classes must be {CLASS_COUNTS.start} to {CLASS_COUNTS.stop - 1}, not {classes}"
        )
    t = texts(lang)
    totals = {c.total for c in communes if c.has_data and c.total}
    if scheme == "standard":
        keys = tuple(fixed_class(measure, c) for c in communes)
        ranked = [(k, label, measure.fills[k], None, None) for k, label in measure.fixed_classes(totals, lang)]
    else:
        keys, ranked = _numeric(communes, measure, scheme, classes, lang)
    counts = Counter(keys)
    legend = tuple(LegendEntry(k, label, fill, counts[k], lo, hi) for k, label, fill, lo, hi in ranked)
    legend += tuple(LegendEntry(k, t[f"class.{k}"], fill, counts[k]) for k, fill in OUTSIDE_FILLS.items())
    return Classification(measure, scheme, keys, legend, measure.heading(lang, framework, year))


def fixed_class(measure: Measure, c: Commune) -> str:
    """The key of the class ``c`` falls in among ``measure``'s fixed classes (its standard scheme),
    or not assessed, or no data."""
    return _status(c) or measure.fixed_key(c)


def _status(c: Commune) -> str | None:
    """The class every measure shares: not assessed, or no data; None otherwise."""
    return NOT_ASSESSED if not c.assessed else None if c.has_data else NO_DATA


def _numeric(communes: list[Commune], measure: Measure, scheme: str, classes: int, lang: str):
    """Keys ``n1``.. (lowest first) by ``scheme`` over the assessed communes with a value, and the
    legend rows (key, label, fill, lower, upper), highest first."""
    values = [measure.classed_value(c) for c in communes]
    known = np.array([v for c, v in zip(communes, values, strict=True) if v is not None and c.assessed], dtype=float)
    if not len(known):
        return tuple(_status(c) or NO_DATA for c in communes), []
    k = min(classes, len(np.unique(known)))
    with warnings.catch_warnings():  # mapclassify warns when values repeat; the bins say what it did
        warnings.simplefilter("ignore")
        bins = np.unique(_CLASSIFIERS[scheme](known, k=k).bins) if k > 1 else np.array([known.max()])
    palette = NUMERIC_FILLS[max(len(bins), 3)]
    fills = palette[len(palette) - len(bins) :]
    keys = tuple(
        (_status(c) if not c.assessed else NO_DATA if v is None else f"n{int(np.searchsorted(bins, v - 1e-12)) + 1}")
        for c, v in zip(communes, values, strict=True)
    )
    lowers = [known.min(), *bins[:-1]]
    rows = [
        (f"n{i + 1}", _interval(lo, hi, measure.unit, lang), fills[i], float(lo), float(hi))
        for i, (lo, hi) in enumerate(zip(lowers, bins, strict=True))
    ]
    return keys, rows[::-1]


def _interval(lower: float, upper: float, unit: str, lang: str) -> str:
    """ "a – b": a class holds the values above the one before it, up to and including ``upper``."""
    lo, hi = format_number(lower, unit, lang), format_number(upper, unit, lang)
    return lo if lo == hi else f"{lo} – {hi}"
