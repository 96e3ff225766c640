"""Classes and texts shared by every map: numeric classes at their edges, numbers written the
Vietnamese and the English way, and texts in both languages, NFC."""

from __future__ import annotations

import unicodedata

import pytest

from maps.classify import NUMERIC_FILLS, classify
from maps.commune import Commune
from maps.i18n import _TEXTS, _UI, format_number
from maps.measures import parse_measure


def commune(code: str, value: float | None, assessed: bool = True) -> Commune:
    return Commune(
        code=code,
        name=f"Xã {code}",
        unit_type="xa" if assessed else "phuong",
        district=None,
        province=None,
        assessed=assessed,
        has_data=True,
        level=None,
        met=None,
        total=None,
        unmet=(),
        conflicting=(),
        value=value,
    )


ROADS = parse_measure("roads:km_total")


def test_numeric_classes_hold_their_values_and_leave_wards_out():
    communes = [commune(str(i), float(v)) for i, v in enumerate([1, 2, 3, 5, 8, 13, 21, 34])]
    communes += [commune("w", 1000.0, assessed=False), commune("x", None)]
    result = classify(communes, ROADS, scheme="natural_breaks", classes=3)
    numeric = [e for e in result.legend if e.lower is not None]
    assert [e.key for e in numeric] == ["n3", "n2", "n1"] and [e.fill for e in numeric] == list(NUMERIC_FILLS[3])[::-1]
    assert numeric[0].upper == 34 and numeric[-1].lower == 1  # the ward's 1000 is not in the breaks
    assert result.keys[-2:] == ("not_assessed", "no_data")
    for c, key in zip(communes[:8], result.keys, strict=False):
        entry = next(e for e in numeric if e.key == key)
        assert entry.lower <= c.value <= entry.upper


def test_fewer_distinct_values_than_classes_and_no_values():
    same = classify([commune(str(i), 0.5) for i in range(4)], parse_measure("roads:hardened_share_hamlet"), classes=5)
    assert [(e.label, e.count) for e in same.legend if e.lower is not None] == [("50,0%", 4)]
    empty = classify([commune("a", None)], ROADS)
    assert [e.key for e in empty.legend] == ["no_data", "not_assessed"] and empty.keys == ("no_data",)


def test_schemes_and_class_counts_are_checked():
    from geo_ntm.errors import InputError

    with pytest.raises(InputError, match="classed by quantiles or equal_interval or natural_breaks"):
        classify([commune("a", 1.0)], ROADS, scheme="standard")
    with pytest.raises(InputError, match="3 to 7"):
        classify([commune("a", 1.0)], ROADS, classes=2)


@pytest.mark.parametrize(
    "value, unit, vi, en",
    [
        (0.771, "share", "77,1%", "77.1%"),
        (1234.5678, "km", "1.234,57 km", "1,234.57 km"),
        (16403.4, "people", "16.403", "16,403"),
        (18.0, "number", "18", "18"),
        (None, "km", "–", "–"),
    ],
)
def test_numbers_are_written_as_each_language_writes_them(value, unit, vi, en):
    assert format_number(value, unit, "vi") == vi and format_number(value, unit, "en") == en


def test_every_text_exists_in_both_languages_in_nfc():
    for table in (_TEXTS, _UI):
        assert set(table["vi"]) == set(table["en"])
        for text in [*table["vi"].values(), *table["en"].values()]:
            assert text == unicodedata.normalize("NFC", text)
    assert _TEXTS["vi"]["class.met"] == "Đạt" and _TEXTS["vi"]["class.unmet"] == "Chưa đạt"
