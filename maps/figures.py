"""Figures: the columns of the coverage tables computed from infrastructure layers, named for the
map as ``<topic>:<column>`` (``roads:hardened_share_hamlet``, ``population:population``) and, for
what is measured within a distance, ``<topic>:<column>@<metres>`` (``water:ind_17_1_value@500``);
their labels and units, which ones a store can offer, and their values per commune
(``geo_ntm.infrastructure.queries``). A figure may be an indicator (chỉ tiêu) of a framework
(``ind_2_1_value``), whose threshold then gives a verdict."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Collection
from dataclasses import dataclass

import pandas as pd

from geo_ntm.domain import ROAD_CLASSES, SURFACES, LayerKind
from geo_ntm.errors import InputError
from geo_ntm.infrastructure.queries import TOPICS, CoverageRequest, coverage
from geo_ntm.infrastructure.thresholds import Thresholds
from geo_ntm.infrastructure.thresholds import indicators as criterion_indicators
from geo_ntm.store import Store
from geo_ntm.where import Where
from maps.i18n import format_number, texts

#: Columns offered in the page's measure list, per coverage topic (others can still be asked),
#: and the kind of layer the store must hold for them.
OFFERED = {
    "roads": (
        "km_total",
        *(f"km_{c}" for c in ("commune", "hamlet", "alley", "field")),
        *(f"hardened_share_{c}" for c in ("commune", "hamlet", "alley", "field")),
        *(f"{i.column}_value" for i in criterion_indicators().values() if i.topic == "roads"),
    ),
    "population": ("population", "population_2009"),
    "facilities": ("facilities_total",),
    "water": ("ind_17_1_value", "population_within_share"),
}
#: Topics computed within a distance, and the distances (metres) the page offers them at; any
#: other distance can be asked by name (``water:ind_17_1_value@300``). A display choice, stated
#: in every label: the frameworks set no distance.
OFFERED_DISTANCES_M = {"water": (500,)}
_KINDS = {
    "roads": (LayerKind.ROADS,),
    "population": (LayerKind.POPULATION,),
    "facilities": (LayerKind.FACILITIES,),
    "water": (LayerKind.WATER_LINES, LayerKind.WATER_POINTS),
}
_NAME = re.compile(r"([a-z_]+):([a-z0-9_]+)(?:@(\d+(?:\.\d+)?))?")
_KM = re.compile(rf"km_({'|'.join(ROAD_CLASSES)})(?:_({'|'.join(SURFACES)}))?")
_SHARE = re.compile(rf"hardened_share_({'|'.join(ROAD_CLASSES)})")
_INDICATOR = re.compile(r"ind_(\d+)_(\d+)_value")


@dataclass(frozen=True)
class Figure:
    """One column of one coverage table."""

    topic: str  # coverage topic: roads, population, ...
    column: str
    distance: float | None = None  # metres, for the topics computed within a distance

    @property
    def name(self) -> str:
        return f"{self.topic}:{self.column}" + ("" if self.distance is None else f"@{self.distance:g}")

    @property
    def unit(self) -> str:
        """``share`` (0..1, shown in %), ``km``, ``people`` or ``number``."""
        if "share" in self.column or _INDICATOR.fullmatch(self.column):
            return "share"
        if self.column.startswith("km_"):
            return "km"
        return "people" if self.column.startswith("population") else "number"

    def label(self, lang: str) -> str:
        """What the column measures, in ``lang`` (and within which distance)."""
        label = self._column_label(lang)
        if self.distance is None:
            return label
        return texts(lang)["ind.within"].format(label=label, distance=format_number(self.distance, "number", lang))

    def _column_label(self, lang: str) -> str:
        t = texts(lang)
        if f"ind.{self.column}" in t:
            return t[f"ind.{self.column}"]
        if km := _KM.fullmatch(self.column):
            road = t[f"road.{km[1]}"]
            return (
                t["ind.km_surface"].format(road=road, surface=t[f"surface.{km[2]}"])
                if km[2]
                else t["ind.km_class"].format(road=road)
            )
        if share := _SHARE.fullmatch(self.column):
            return t["ind.hardened_share"].format(road=t[f"road.{share[1]}"])
        if (ind := _INDICATOR.fullmatch(self.column)) and f"{ind[1]}.{ind[2]}" in criterion_indicators():
            found = criterion_indicators()[f"{ind[1]}.{ind[2]}"]
            return t["ind.criterion"].format(
                id=found.indicator_id, name=found.name_vi if lang == "vi" else found.name_en
            )
        return self.name


def parse_figure(text: str) -> Figure | None:
    """The figure named ``text``, None when ``text`` is not of the form ``topic:column``;
    an InputError for an unknown coverage topic."""
    match = _NAME.fullmatch(str(text).strip().lower())
    if not match:
        return None
    if match[1] not in TOPICS:
        raise InputError(f"unknown indicator measure {text!r}: the part before ':' is one of {', '.join(TOPICS)}")
    if match[1] in OFFERED_DISTANCES_M and match[3] is None:
        raise InputError(f"{text!r} is measured within a distance: add it in metres, e.g. {match[0]}@500")
    return Figure(match[1], match[2], None if match[3] is None else float(match[3]))


def offered(store: Store, year: int) -> list[Figure]:
    """The figures the page offers: those of the topics for which the store holds a layer dated on
    or before 31 December of ``year``."""
    kinds = {layer.kind for layer in store.layers() if layer.valid_date <= dt.date(year, 12, 31)}
    return [
        Figure(m, c, d)
        for m, columns in OFFERED.items()
        if kinds & set(_KINDS[m])
        for d in OFFERED_DISTANCES_M.get(m, (None,))
        for c in columns
    ]


def figure_request(where: Where, topic: str, distance: float | None = None) -> CoverageRequest:
    """The coverage question a figure of ``topic`` (within ``distance`` metres) reads for the place
    and boundaries of ``where``: the layers of 31 December of its year, whatever day drew the map."""
    return CoverageRequest(topic, dataclasses.replace(where, day_asked=None), distance=distance)


def figure_table(
    store: Store, where: Where, topic: str, thresholds: Thresholds | None = None, distance: float | None = None
) -> tuple[pd.DataFrame, dict]:
    """The coverage table of ``topic`` (within ``distance`` metres, for water) indexed by commune
    code, without geometry, for the place and boundaries of ``where``, from the layers of 31 December
    of its year, and its totals (layer name and date); verdicts use ``thresholds`` (default: the
    shipped ones)."""
    table, totals = coverage(store, figure_request(where, topic, distance), thresholds)
    return pd.DataFrame(table.drop(columns="geometry")).set_index("code"), totals


def figure_values(store: Store, where: Where, figure: Figure) -> tuple[pd.Series, dict]:
    """The values of ``figure`` by commune code in ``where``, and the coverage totals."""
    table, totals = figure_table(store, where, figure.topic, distance=figure.distance)
    if figure.column not in table.columns or not pd.api.types.is_numeric_dtype(table[figure.column]):
        numeric = [c for c in table.columns if pd.api.types.is_numeric_dtype(table[c]) and c != "unit_id"]
        raise InputError(
            f"the {figure.topic} table has no numeric column {figure.column!r}; columns: {', '.join(numeric)}"
        )
    return table[figure.column].astype(float), totals


def figure_questions(store: Store, where: Where) -> dict[tuple[str, float | None], CoverageRequest]:
    """The coverage questions the offered figures of ``where``'s year read, by (topic, distance)."""
    return {
        (f.topic, f.distance): figure_request(where, f.topic, f.distance) for f in offered(store, where.status_year)
    }


def commune_figures(
    store: Store,
    where: Where,
    code: str,
    lang: str,
    thresholds: Thresholds | None = None,
    skip: Collection[tuple[str, float | None]] = (),
) -> list[dict]:
    """Every offered figure of the commune ``code`` of ``where`` (its district, or its province
    where there are no districts) in its year: label, value as written in ``lang``, the verdict
    against the framework's threshold where there is one, and the layer; the (topic, distance)
    questions in ``skip`` (not answered yet) are left out."""
    found = []
    by_topic: dict[tuple[str, float | None], list[Figure]] = {}
    for figure in offered(store, where.status_year):
        if (figure.topic, figure.distance) not in skip:
            by_topic.setdefault((figure.topic, figure.distance), []).append(figure)
    for (topic, distance), wanted in by_topic.items():
        table, totals = figure_table(store, where, topic, thresholds, distance)
        if code not in table.index:
            continue
        row = table.loc[code]
        for figure in wanted:
            value = row.get(figure.column)
            value = None if value is None or pd.isna(value) else float(value)
            verdict = row.get(figure.column.removesuffix("_value") + "_verdict")
            found.append(
                {
                    "id": figure.name,
                    "label": figure.label(lang),
                    "unit": figure.unit,
                    "value": value,
                    "text": format_number(value, figure.unit, lang),
                    "verdict": verdict if isinstance(verdict, str) else None,
                    "layer": totals["layer"],
                    "layer_date": totals["layer_date"],
                }
            )
    return found
