"""Reading filters (``geo_ntm.filters``): the lexical checks before the library, ILIKE, CQL2 JSON,
the folds, and refusals that name what is wrong."""

from __future__ import annotations

import threading

import cql2
import pytest

from geo_ntm import filters

TYPES = {"name": "string", "code": "string", "criteria_met": "integer", "population": "number"}


def test_nesting_counts_parentheses_and_the_nots_still_applying():
    deep = "NOT " * filters.MAX_DEPTH + "name = 'x'"
    assert isinstance(filters.parse_text(deep, TYPES), filters.Not)
    with pytest.raises(filters.FilterError, match="nest more than 20 deep"):
        filters.parse_text("NOT " + deep, TYPES)
    # 25 NOT side by side nest one deep each; BETWEEN's AND does not end a NOT; strings are not read
    side_by_side = " AND ".join(f"NOT name LIKE '{i}%' AND code NOT IN ('(((')" for i in range(12))
    assert filters.parse_text(side_by_side, TYPES)
    between = "NOT " * 10 + "(" * 9 + "criteria_met BETWEEN 1 AND 2" + ")" * 9
    assert filters.parse_text(between, TYPES)
    with pytest.raises(filters.FilterError, match="nest more than 20 deep"):
        filters.parse_text("NOT " * 10 + "(" * 11 + "name = 'x'" + ")" * 11, TYPES)


def test_the_library_reads_far_deeper_than_the_limit_in_a_worker_thread():
    """Uvicorn runs the endpoints in threads: the library must stand 50 x the nesting allowed there."""
    done = []
    text = "(" * (50 * filters.MAX_DEPTH) + "a = 1" + ")" * (50 * filters.MAX_DEPTH)
    thread = threading.Thread(target=lambda: done.append(cql2.parse_text(text).to_json()))
    thread.start()
    thread.join()
    assert done and done[0]["op"] == "="


def test_ilike_is_casei_like_and_needs_a_property_and_a_pattern():
    assert filters.prechecked("name ILIKE 'x%' AND code NOT ilike 'A'") == (
        "CASEI(name) LIKE CASEI('x%') AND CASEI(code) NOT LIKE CASEI('A')"
    )
    assert filters.prechecked("name = 'a ILIKE b'") == "name = 'a ILIKE b'"
    assert filters.parse_text("name ILIKE 'XÃ%'", TYPES) == filters.Like(
        filters.Fold("casei", filters.Prop("name")), "xã%"
    )
    with pytest.raises(filters.FilterError, match="ILIKE takes a property and a 'pattern'"):
        filters.parse_text("name ILIKE code", TYPES)


def test_cql2_json_reads_as_the_text_does():
    text = filters.parse_text("ACCENTI(name) = ACCENTI('Nhơn') AND criteria_met IN (1, 2)", TYPES)
    json_ = filters.parse_json(
        '{"op": "and", "args": [{"op": "=", "args": [{"op": "accenti", "args": [{"property": "name"}]},'
        ' {"op": "accenti", "args": ["Nhơn"]}]}, {"op": "in", "args": [{"property": "criteria_met"}, [1, 2]]}]}',
        TYPES,
    )
    assert text == json_ and text.args[0].right == "Nhon"


@pytest.mark.parametrize(
    "json_, words",
    [
        ('{"op": "=", "args": [{"property": "name"}]}', "'=' has 1 arguments"),
        ('{"op": "in", "args": [{"property": "name"}, []]}', "IN takes a list of one value or more"),
        ('{"op": "and", "args": [{"op": "=", "args": [{"property": "nothing"}, 1]}]}', "unknown property 'nothing'"),
        ('{"op": "like", "args": [{"property": "population"}, "1%"]}', "LIKE needs a string property"),
        ("[" * 60 + "]" * 60, "nest more than 20 deep"),
        ('"name"', "is not a condition"),
    ],
)
def test_bad_json_is_a_400_saying_what(json_, words):
    with pytest.raises(filters.FilterError, match=words):
        filters.parse_json(json_, TYPES)


def test_folds_lower_case_and_remove_the_marks_of_vietnamese_letters():
    assert filters.fold("accenti", "Đồng Tháp, Nhơn Thạnh, Ưu") == "Dong Thap, Nhon Thanh, Uu"
    assert filters.fold("casei", "ĐỒNG THÁP Ω") == "đồng tháp Ω"  # Greek is left as it is
