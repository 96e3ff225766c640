"""The registry of map measures: names parsed and normalised, the texts every measure uses, which
measures change between years and which carry rules give which, and a new measure added as one
class (the steps of ``maps.measures``' docstring)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import geopandas as gpd
import pytest
from shapely.geometry import box

import maps.measures
from geo_ntm.errors import InputError
from geo_ntm.frameworks import get_framework
from maps.choropleth import Choropleth
from maps.commune import Commune
from maps.i18n import _TEXTS
from maps.measures import (
    REGISTRY,
    carried_names,
    changed_since,
    changing_names,
    offered_measures,
    parse_measure,
)
from maps.measures.base import SCHEMES, Measure
from maps.measures.change import Changing


def test_measures_are_validated_and_normalised():
    measures = ["criteria_met", "level", "share", *(f"tc{n}" for n in range(1, 20)), "roads:hardened_share_hamlet"]
    assert all(parse_measure(m).name == m for m in measures)
    assert parse_measure(" TC05 ").name == "tc5"
    assert parse_measure("tc20", criteria_total=20).name == "tc20"


def test_every_measure_has_its_texts_in_both_languages():
    for cls in REGISTRY:  # a change's texts are those of the measure changed (maps.measures.change.Changing)
        for lang in ("vi", "en"):
            assert not [k for k in cls.text_keys() if k not in _TEXTS[lang]], (cls, lang)


def test_changes_and_carry_rules_are_the_measures_own():
    assert changing_names() == ["level", "criteria_met"]
    assert all(issubclass(cls, Changing) == (cls.name in changing_names()) for cls in REGISTRY[:3])
    # a recognition decision names its own unit: the level is not carried, the criteria met are
    assert carried_names("all") == ["criteria_met"] and carried_names("share_area") == ["share"]
    assert parse_measure("roads:km_total").carried_with("share_population")  # computed on the boundaries drawn
    assert not parse_measure("tc3").carried_with("all")
    assert parse_measure("tc5").about() == {"id": "tc5", "kind": "criterion", "unit": "number", "schemes": ["standard"]}


@dataclass(frozen=True)
class UnmetCount(Measure):
    """A tiny measure: how many criteria a commune is known not to meet."""

    name: ClassVar[str] = "unmet_count"
    kind: ClassVar[str] = "unmet_count"
    group: ClassVar[str] = "group_assessment"
    schemes: ClassVar[tuple[str, ...]] = SCHEMES
    fills: ClassVar[dict[str, str]] = {"none_unmet": "#238443", "some_unmet": "#ffffcc"}

    def value(self, c: Commune) -> float | None:
        return float(len(c.unmet)) if c.has_data else None

    def fixed_key(self, c: Commune) -> str:
        return "some_unmet" if c.unmet else "none_unmet"


TINY_TEXTS = {
    "vi": {
        "measure.unmet_count": "Số tiêu chí chưa đạt",
        "heading.unmet_count": "Số tiêu chí chưa đạt",
        "class.none_unmet": "Không có",
        "class.some_unmet": "Có tiêu chí chưa đạt",
    },
    "en": {
        "measure.unmet_count": "Criteria not met",
        "heading.unmet_count": "Criteria not met",
        "class.none_unmet": "None",
        "class.some_unmet": "Some not met",
    },
}


@pytest.fixture
def tiny(monkeypatch):
    """``UnmetCount`` registered, with its texts."""
    monkeypatch.setattr(maps.measures, "REGISTRY", [*REGISTRY, UnmetCount])
    for lang, texts in TINY_TEXTS.items():
        for key, text in texts.items():
            monkeypatch.setitem(_TEXTS[lang], key, text)


class NoLayers:
    """A store without infrastructure layers (so no indicators are offered) nor boundaries (so no
    baseline before a merger)."""

    def layers(self) -> list:
        return []

    def vintages(self) -> list:
        return []


def frame() -> gpd.GeoDataFrame:
    rows = [("1", "xa", True, [3, 9]), ("2", "xa", True, []), ("3", "phuong", False, [])]
    return gpd.GeoDataFrame(
        [
            {
                "code": code,
                "name": f"Xã {code}",
                "unit_type": kind,
                "district": None,
                "province": "Tỉnh T",
                "assessed": assessed,
                "has_data": assessed,
                "framework": "qd1980_2016",
                "level": None,
                "criteria_met": 19 - len(unmet) if assessed else None,
                "criteria_total": 19 if assessed else None,
                "criteria_unmet": unmet,
                "criteria_conflicting": [],
                "geometry": box(i, 0, i + 1, 1),
            }
            for i, (code, kind, assessed, unmet) in enumerate(rows)
        ],
        crs=4326,
    )


def test_a_measure_is_one_class_and_its_texts(tiny):
    measure = parse_measure(" Unmet_Count ")
    assert measure == UnmetCount() and UnmetCount.text_keys() == tuple(TINY_TEXTS["vi"])
    layer = Choropleth.from_frame(frame(), "unmet_count", title="T", lang="en")
    assert layer.classification.keys == ("some_unmet", "none_unmet", "not_assessed")
    assert [(e.label, e.count) for e in layer.classification.legend] == [
        ("None", 1),
        ("Some not met", 1),
        ("No data", 0),
        ("Not assessed", 1),
    ]
    assert layer.classification.heading == "Criteria not met"
    assert [f["properties"]["value"] for f in layer.features()] == [2.0, 0.0, None]
    numeric = Choropleth.from_frame(frame(), measure, title="T", scheme="equal_interval", classes=3)
    assert numeric.classification.keys[:2] == ("n2", "n1")
    offered = offered_measures(NoLayers(), 2020, get_framework("qd1980_2016"), carried=False)
    assert [m.name for m in offered] == [
        "level",
        "criteria_met",
        "target_progress",  # offered without targets too: its map then says none is loaded
        *(f"tc{n}" for n in range(1, 20)),
        "unmet_count",
    ]
    assert "unmet_count" not in [
        m.name for m in offered_measures(NoLayers(), 2020, get_framework("qd1980_2016"), carried=True)
    ]  # carried by no rule
    with pytest.raises(InputError, match="change of 'level' or 'criteria_met', not 'unmet_count'"):
        changed_since(measure, 2019)
