"""A criterion derived from its indicators (chỉ tiêu): only where the framework lists every
indicator of it from a cited source (QĐ 1980's criterion 2: 2.1-2.4), never overriding a reported
criterion status (a disagreement is a conflict), never from values alone."""

from __future__ import annotations

import pytest

from geo_ntm.assessment import assess_unit
from geo_ntm.domain import IndicatorStatus
from geo_ntm.errors import InputError
from geo_ntm.frameworks import _parse, shipped_frameworks
from tests.geo_ntm.test_assessment import XA, statuses


def indicators(met: dict[str, bool | None], fw="qd1980_2016", value=None) -> list[IndicatorStatus]:
    return [
        IndicatorStatus(XA.unit_id, 2020, fw, "ntm", int(i.split(".")[0]), i, m, value, None, "TEST DATA")
        for i, m in met.items()
    ]


def test_the_indicators_shipped_are_the_cited_ones():
    qd1980 = shipped_frameworks()["qd1980_2016"]
    assert [i.indicator_id for i in qd1980.indicators] == ["2.1", "2.2", "2.3", "2.4", "17.1"]
    assert qd1980.indicators_complete == (2,)  # 17's other indicators are not numbered in the source
    assert all(not fw.indicators for fid, fw in shipped_frameworks().items() if fid != "qd1980_2016")


def test_all_four_met_derive_criterion_2_met():
    a = assess_unit(XA, 2020, [], [], indicators=indicators({"2.1": True, "2.2": True, "2.3": True, "2.4": True}))
    assert a.has_data and a.criteria_derived == (2,) and 2 in a.met_criteria and a.criteria_unmet == ()


def test_one_unmet_derives_unmet_and_a_missing_one_derives_nothing():
    a = assess_unit(XA, 2020, [], [], indicators=indicators({"2.1": True, "2.2": False, "2.3": True, "2.4": True}))
    assert a.criteria_derived == (2,) and a.criteria_unmet == (2,)
    a = assess_unit(XA, 2020, [], [], indicators=indicators({"2.1": True, "2.2": True, "2.3": True}))
    assert a.criteria_derived == () and not a.has_data
    a = assess_unit(XA, 2020, [], [], indicators=indicators({"2.1": True, "2.2": True, "2.3": True, "2.4": None}))
    assert a.criteria_derived == ()  # 2.4 given as a value only is not judged


def test_a_reported_status_is_never_overridden():
    four = indicators({"2.1": True, "2.2": True, "2.3": True, "2.4": True})
    agree = assess_unit(XA, 2020, statuses({2: True}), [], indicators=four)
    assert agree.criteria_derived == () and agree.criteria_conflicting == () and 2 in agree.met_criteria
    disagree = assess_unit(XA, 2020, statuses({2: False}), [], indicators=four)
    assert disagree.criteria_conflicting == (2,) and 2 not in disagree.met_criteria


def test_criterion_17_and_other_frameworks_are_never_derived():
    a = assess_unit(XA, 2020, [], [], indicators=indicators({"17.1": True}))
    assert a.criteria_derived == () and not a.has_data
    a = assess_unit(XA, 2023, [], [], indicators=indicators({f"2.{n}": True for n in range(1, 5)}, fw="qd318_2022"))
    assert a.criteria_derived == ()  # QĐ 318's indicators are not listed: nothing derived


@pytest.mark.parametrize(
    ("fields", "complaint"),
    [
        ({"indicators": [["20.1", "a", "b"]]}, "is not"),
        ({"indicators": [["2.1", "a", "b"], ["2.1", "a", "b"]]}, "twice"),
        ({"indicators": [["2.1", "a", "b"]], "indicators_complete": [3]}, "indicators_complete"),
    ],
)
def test_framework_indicator_lists_are_checked(fields, complaint):
    data = {
        "framework_id": "test_set",
        "title_vi": "Bộ thử",
        "title_en": "Test set",
        "legal_act": "TEST",
        "applies_to": "commune",
        "years": [2016, 2020],
        "levels": ["ntm"],
        "criteria": [[1, "Quy hoạch", "Planning"], [2, "Giao thông", "Transport"], [3, "Thủy lợi", "Irrigation"]],
        **fields,
    }
    with pytest.raises(InputError, match=complaint):
        _parse("test_set.toml", data)


def test_the_frameworks_api_lists_the_indicators():
    from api.frameworks import framework_record

    record = framework_record(shipped_frameworks()["qd1980_2016"])
    assert record["indicators"][0] == {
        "indicator": "2.1",
        "criterion": 2,
        "name_vi": "Đường xã và đường từ trung tâm xã đến đường huyện được nhựa hóa hoặc bê tông hóa",
        "name_en": "Commune roads and roads from the commune centre to the district road asphalted or concreted",
    }
    assert record["indicators_complete"] == [2]
