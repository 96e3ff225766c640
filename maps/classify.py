"""Map measures and their classes: which measures exist, the class of every commune, and the
legend (label, fill and count per class). The folium page, the planner's JSON and the PNG export
all classify here.

Levels, single criteria and changes between years have fixed categories; criteria met and the
share of a carried assessment have the planners' standard classes; every number can also be
classed by quantiles, equal intervals or natural breaks (Fisher-Jenks) from mapclassify.
Wards, towns and unnamed polygons are "not assessed" whatever the measure, and take no part in
the class breaks.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from dataclasses import dataclass

import mapclassify
import numpy as np

from geo_ntm.domain import LEVEL_ORDER
from geo_ntm.errors import InputError, NotFoundError
from geo_ntm.frameworks import get_framework
from maps.commune import Commune
from maps.i18n import format_number, level_label, texts
from maps.indicators import Indicator, parse_indicator

DEFAULT_CRITERIA_TOTAL = 19
NO_DATA, NOT_ASSESSED = "no_data", "not_assessed"
HATCH_ID = "ntm-not-assessed-hatch"
SCHEMES = ("standard", "quantiles", "equal_interval", "natural_breaks")
CLASS_COUNTS = range(3, 8)
_CLASSIFIERS = {"quantiles": mapclassify.Quantiles, "equal_interval": mapclassify.EqualInterval,
                "natural_breaks": mapclassify.FisherJenks}
#: Fill per fixed class. Sequential ColorBrewer YlGn for counts and levels, Dark2 (colour-blind
#: safe) for one criterion, PRGn (colour-blind safe, diverging) for changes; greys outside the scale.
FILLS = {
    "all_met": "#238443", "15_top": "#78c679", "10_14": "#c2e699", "below_10": "#ffffcc",
    "ntm_kieu_mau": "#005a32", "ntm_nang_cao": "#41ab5d", "ntm": "#addd8e", "not_reached": "#ffffcc",
    "met": "#1b9e77", "unmet": "#d95f02", "conflict": "#7570b3",
    "share_100": "#006837", "share_75": "#31a354", "share_50": "#78c679", "share_25": "#c2e699", "share_0": "#ffffcc",
    "up": "#1b7837", "same": "#f7f7f7", "down": "#762a83",
    "gain_5": "#1b7837", "gain_1": "#a6dba0", "no_change": "#f7f7f7", "loss": "#9970ab",
    NO_DATA: "#bdbdbd", NOT_ASSESSED: f"url(#{HATCH_ID})",
}  # fmt: skip
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
_OUTSIDE = (NO_DATA, NOT_ASSESSED)
_TC = re.compile(r"tc0*(\d{1,3})")
_RANK = {None: 0, **{level: i + 1 for i, level in enumerate(LEVEL_ORDER)}}


@dataclass(frozen=True)
class Measure:
    """What a map shows: ``criteria_met``, ``level``, ``share``, ``tc<N>``, an indicator
    (``roads:hardened_share_hamlet``), or (``compare``) the change of ``level``/``criteria_met``
    from an earlier year."""

    name: str
    criterion: int | None = None
    indicator: Indicator | None = None
    compare: int | None = None  # the earlier year of a change

    @property
    def kind(self) -> str:
        if self.compare is not None:
            return "change"
        return "indicator" if self.indicator else "criterion" if self.criterion else self.name

    @property
    def schemes(self) -> tuple[str, ...]:
        """The classifications this measure accepts, the default first."""
        if self.kind == "indicator":
            return SCHEMES[1:]
        return SCHEMES if self.kind in ("criteria_met", "share") else SCHEMES[:1]

    @property
    def unit(self) -> str:
        """How its numbers are written (see ``maps.i18n.format_number``)."""
        return self.indicator.unit if self.indicator else "share" if self.name == "share" else "number"

    def changed_since(self, year: int) -> "Measure":
        """The change of this measure from ``year``; only levels and criteria met have one."""
        if self.kind not in ("level", "criteria_met"):
            raise InputError(f"a comparison of two years maps the change of 'level' or 'criteria_met', not {self.name!r}")
        return Measure(self.name, compare=year)

    def title(self, lang: str, criterion_name: str | None = None) -> str:
        """Human title ("Tiêu chí 5: Trường học")."""
        t = texts(lang)
        if self.indicator:
            return self.indicator.label(lang)
        if self.criterion:
            return (t["measure.tc_named"].format(n=self.criterion, name=criterion_name) if criterion_name
                    else t["measure.tc"].format(n=self.criterion))
        return t[f"measure.{self.name}"]


def parse_measure(text: str, criteria_total: int = DEFAULT_CRITERIA_TOTAL) -> Measure:
    """The measure named ``text`` (``criteria_met``, ``level``, ``share``, ``tc<N>`` with N in
    1..criteria_total, or ``<coverage measure>:<column>``); an InputError for anything else."""
    name = str(text).strip().lower()
    if name in ("criteria_met", "level", "share"):
        return Measure(name)
    match = _TC.fullmatch(name)
    if match and 1 <= int(match[1]) <= criteria_total:
        return Measure(f"tc{int(match[1])}", criterion=int(match[1]))
    indicator = parse_indicator(name)
    if indicator:
        return Measure(indicator.name, indicator=indicator)
    raise InputError(
        f"unknown map measure {text!r}: use criteria_met, level, share (of a carried assessment), "
        f"tc1..tc{criteria_total} for a single criterion, or an indicator such as roads:hardened_share_hamlet"
    )


def validate_measure(text: str, criteria_total: int = DEFAULT_CRITERIA_TOTAL) -> str:
    """The canonical name of the measure ``text`` (see ``parse_measure``)."""
    return parse_measure(text, criteria_total).name


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


def classify(communes: list[Commune], measure: Measure, *, scheme: str | None = None, classes: int = 5,
             lang: str = "vi", framework: str | None = None, year: int | None = None) -> Classification:
    """Classes and legend of ``communes`` for ``measure``. ``framework`` (the one framework of the
    frame, if one) names the criterion in the heading; ``year`` is the later year of a change."""
    scheme = scheme or measure.schemes[0]
    if scheme not in measure.schemes:
        raise InputError(f"measure {measure.name!r} is classed by {' or '.join(measure.schemes)}, not {scheme!r}")
    if classes not in CLASS_COUNTS:
        raise InputError(f"the number of classes must be {CLASS_COUNTS.start} to {CLASS_COUNTS.stop - 1}, not {classes}")
    t = texts(lang)
    totals = {c.total for c in communes if c.has_data and c.total}
    if scheme == "standard":
        keys = tuple(_fixed_key(c, measure) for c in communes)
        ranked = [(k, label, FILLS[k], None, None) for k, label in _fixed_classes(measure, totals, lang)]
    else:
        keys, ranked = _numeric(communes, measure, scheme, classes, lang)
    counts = Counter(keys)
    legend = tuple(LegendEntry(k, label, fill, counts[k], lo, hi) for k, label, fill, lo, hi in ranked)
    legend += tuple(LegendEntry(k, t[f"class.{k}"], FILLS[k], counts[k]) for k in _OUTSIDE)
    return Classification(measure, scheme, keys, legend, _heading(measure, lang, framework, year))


def _status(c: Commune) -> str | None:
    """The class every measure shares: not assessed, or no data; None otherwise."""
    return NOT_ASSESSED if not c.assessed else None if c.has_data else NO_DATA


def _fixed_key(c: Commune, measure: Measure) -> str:
    """The class of ``c`` among the fixed classes of ``measure``."""
    if status := _status(c):
        return status
    kind = measure.kind
    if kind == "change":
        return _change_key(c, measure.name)
    if kind == "level":
        return c.level or "not_reached"
    if kind == "share":
        if c.share is None or not c.share_known:
            return NO_DATA
        return next(f"share_{floor}" for floor in (100, 75, 50, 25, 0) if c.share * 100 >= floor - 1e-9)
    if kind == "criteria_met":
        if c.met is None or c.total is None:
            return NO_DATA
        if c.met >= c.total:
            return "all_met"
        return "15_top" if c.met >= 15 else "10_14" if c.met >= 10 else "below_10"
    n = measure.criterion
    if n in c.conflicting:
        return "conflict"
    if n in c.unmet:  # known even when only some criteria were reported
        return "unmet"
    if c.met is None or c.total is None:
        return NO_DATA
    # A count without the list of unmet criteria does not say which ones are met.
    detailed = c.met + len(c.unmet) + len(c.conflicting) >= c.total
    return "met" if detailed and n <= c.total else NO_DATA


def _change_key(c: Commune, base: str) -> str:
    if not c.before_has_data:
        return NO_DATA
    if base == "level":
        step = _RANK[c.level] - _RANK[c.before_level]
        return "up" if step > 0 else "down" if step < 0 else "same"
    if c.met is None or c.before_met is None:
        return NO_DATA
    gain = c.met - c.before_met
    return "gain_5" if gain >= 5 else "gain_1" if gain > 0 else "no_change" if gain == 0 else "loss"


def _fixed_classes(measure: Measure, totals: set[int], lang: str) -> list[tuple[str, str]]:
    """(class key, label) of every fixed class of ``measure``, best first."""
    t = texts(lang)
    kind = measure.kind
    if kind == "change":
        keys = ("up", "same", "down") if measure.name == "level" else ("gain_5", "gain_1", "no_change", "loss")
        return [(k, t[f"class.{k}"]) for k in keys]
    if kind == "share":
        return [(f"share_{floor}", t[f"class.share_{floor}"]) for floor in (100, 75, 50, 25, 0)]
    if kind == "level":
        return [(lv, level_label(lv, lang)) for lv in reversed(LEVEL_ORDER)] + [("not_reached", t["class.not_reached"])]
    if kind == "criteria_met":
        # One framework per map is the rule; with several totals the labels cannot show them.
        total = max(totals, default=DEFAULT_CRITERIA_TOTAL) if len(totals) <= 1 else None
        return [
            ("all_met", t["class.all_met"].format(total=total) if total else t["class.all_met_any"]),
            ("15_top", t["class.15_top"].format(top=total - 1) if total else t["class.15_any"]),
            ("10_14", t["class.10_14"]),
            ("below_10", t["class.below_10"]),
        ]
    return [(k, t[f"class.{k}"]) for k in ("met", "unmet", "conflict")]


def _numeric(communes: list[Commune], measure: Measure, scheme: str, classes: int, lang: str):
    """Keys ``n1``.. (lowest first) by ``scheme`` over the assessed communes with a value, and the
    legend rows (key, label, fill, lower, upper), highest first."""
    values = [_number(c, measure) for c in communes]
    known = np.array([v for c, v in zip(communes, values) if v is not None and c.assessed], dtype=float)
    if not len(known):
        return tuple(_status(c) or NO_DATA for c in communes), []
    k = min(classes, len(np.unique(known)))
    with warnings.catch_warnings():  # mapclassify warns when values repeat; the bins say what it did
        warnings.simplefilter("ignore")
        bins = np.unique(_CLASSIFIERS[scheme](known, k=k).bins) if k > 1 else np.array([known.max()])
    palette = NUMERIC_FILLS[max(len(bins), 3)]
    fills = palette[len(palette) - len(bins):]
    keys = tuple(
        (_status(c) if not c.assessed else NO_DATA if v is None else f"n{int(np.searchsorted(bins, v - 1e-12)) + 1}")
        for c, v in zip(communes, values)
    )
    lowers = [known.min(), *bins[:-1]]
    rows = [(f"n{i + 1}", _interval(lo, hi, measure.unit, lang), fills[i], float(lo), float(hi))
            for i, (lo, hi) in enumerate(zip(lowers, bins))]
    return keys, rows[::-1]


def _number(c: Commune, measure: Measure) -> float | None:
    if measure.kind == "criteria_met":
        return None if c.met is None or not c.has_data else float(c.met)
    if measure.kind == "share":
        return c.share if c.share_known else None
    return c.value


def _interval(lower: float, upper: float, unit: str, lang: str) -> str:
    """"a – b": a class holds the values above the one before it, up to and including ``upper``."""
    lo, hi = format_number(lower, unit, lang), format_number(upper, unit, lang)
    return lo if lo == hi else f"{lo} – {hi}"


def _heading(measure: Measure, lang: str, framework: str | None, year: int | None) -> str:
    """Legend heading; for one criterion with its name when the frame has a single framework."""
    t = texts(lang)
    if measure.kind == "change":
        return t[f"heading.change.{measure.name}"].format(a=measure.compare, b=year)
    if measure.kind == "indicator":
        return measure.title(lang)
    if measure.kind != "criterion":
        return t[f"heading.{measure.name}"]
    heading = t["heading.tc"].format(n=measure.criterion)
    name = criterion_name(framework, measure.criterion, lang)
    return f"{heading}: {name}" if name else heading


def criterion_name(framework: str | None, number: int, lang: str) -> str | None:
    """The name of criterion ``number`` of ``framework`` in ``lang``; None when unknown."""
    if not framework:
        return None
    try:
        criterion = get_framework(framework).criterion(number)
    except (NotFoundError, KeyError):
        return None
    return criterion.name_vi if lang == "vi" else criterion.name_en
