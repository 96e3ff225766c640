"""Reading filters (``geo_ntm.filters``): the lexical checks before the library, ILIKE, CQL2 JSON,
the folds, and refusals that name what is wrong."""

from __future__ import annotations

import threading

import cql2
import pandas as pd
import pytest
import shapely

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


SPATIAL_TYPES = {"code": "string"}


def test_spatial_functions_read_text_and_json_alike_and_swap_a_literal_first():
    text = filters.parse_text("S_WITHIN(geometry, BBOX(106, 10, 106.5, 10.5))", SPATIAL_TYPES)
    as_json = filters.parse_json(
        '{"op": "s_within", "args": [{"property": "geometry"}, {"bbox": [106, 10, 106.5, 10.5]}]}', SPATIAL_TYPES
    )
    assert text == as_json and isinstance(text, filters.Spatial)
    assert text.op == "s_within" and text.literal.bounds == (106, 10, 106.5, 10.5)
    swapped = filters.parse_text("S_CONTAINS(POLYGON((106 10, 107 10, 107 11, 106 10)), geometry)", SPATIAL_TYPES)
    assert isinstance(swapped, filters.Spatial) and swapped.op == "s_within"
    assert filters.properties(text) == {filters.GEOMETRY}


def test_a_filter_crs_transformation_applies_to_the_literal():
    swap = filters.parse_text(
        "S_INTERSECTS(geometry, POINT(10.2 106.3))",
        SPATIAL_TYPES,
        to_crs84=lambda g: shapely.transform(g, lambda c: c[:, ::-1]),
    )
    assert isinstance(swap, filters.Spatial) and (swap.literal.x, swap.literal.y) == (106.3, 10.2)


def test_the_envelope_preselects_only_from_terms_that_imply_meeting_the_literal():
    point = "POINT(106.3 10.2)"
    assert filters.envelope(filters.parse_text(f"S_INTERSECTS(geometry, {point}) AND code = 'x'", SPATIAL_TYPES)) == (
        106.3,
        10.2,
        106.3,
        10.2,
    )
    assert filters.envelope(filters.parse_text(f"S_DISJOINT(geometry, {point})", SPATIAL_TYPES)) is None
    assert filters.envelope(filters.parse_text(f"S_INTERSECTS(geometry, {point}) OR code = 'x'", SPATIAL_TYPES)) is None


def test_select_tests_the_geometry_column_with_missing_geometries_unknown():
    expr = filters.parse_text("NOT S_INTERSECTS(geometry, BBOX(0, 0, 1, 1))", SPATIAL_TYPES)
    frame = pd.DataFrame(
        {"code": ["in", "out", "none"], "geometry": [shapely.Point(0.5, 0.5), shapely.Point(2, 2), None]}
    )
    assert filters.select(expr, frame, SPATIAL_TYPES).tolist() == [False, True, False]
