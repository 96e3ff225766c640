"""Deriving criteria met and level from reported statuses (units as in Thành phố Bến Tre, 2009)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from geo_ntm.assessment import assess_unit, assess_units
from geo_ntm.domain import (
    AdminTier,
    CriterionStatus,
    Recognition,
    RecognitionKind,
    StatusSummary,
    Unit,
    UnitFlag,
    UnitType,
)
from geo_ntm.frameworks import shipped_frameworks


def unit(uid: int, name: str, utype: UnitType, flag: UnitFlag | None = None) -> Unit:
    return Unit(
        uid,
        1,
        AdminTier.COMMUNE,
        str(8110100 + uid),
        name,
        name.split(" ", 1)[1],
        utype,
        "81101",
        "811",
        "81101",
        flag,
    )


XA = unit(25, "Xã Nhơn Thạnh", UnitType.XA)
WARD = unit(17, "Phường Phú Khương", UnitType.PHUONG)


def statuses(met: dict[int, bool], year=2020, fw="qd1980_2016", level="ntm", source="report"):
    return [CriterionStatus(XA.unit_id, year, fw, level, n, m, source) for n, m in met.items()]


def test_all_criteria_met_reaches_ntm():
    a = assess_unit(XA, 2020, statuses({n: True for n in range(1, 20)}), [])
    assert a.assessed and a.has_data and a.criteria_met == 19 and a.criteria_total == 19
    assert a.criteria_unmet == () and a.level == "ntm" and a.framework_id == "qd1980_2016"


def test_unmet_criteria_are_listed_and_level_not_reached():
    met = {n: n not in (1, 5, 9, 17) for n in range(1, 20)}  # "đạt 15/19 (còn lại tiêu chí số 1, 5, 9, 17)"
    a = assess_unit(XA, 2020, statuses(met), [])
    assert a.criteria_met == 15 and a.criteria_unmet == (1, 5, 9, 17) and a.level is None


def test_partial_report_gives_no_count_but_lists_unmet():
    a = assess_unit(XA, 2011, statuses({9: False}, year=2011), [])
    assert a.has_data and a.criteria_met is None and a.criteria_unmet == (9,) and a.level is None


def test_conflict_is_not_counted_as_met():
    rows = statuses({n: True for n in range(1, 20)}) + statuses({7: False}, source="other report")
    a = assess_unit(XA, 2020, rows, [])
    assert a.criteria_conflicting == (7,) and a.criteria_met == 18 and a.level is None
    assert 7 not in a.criteria_unmet and 7 not in a.met_criteria


def test_wards_are_not_assessed_never_zero():
    a = assess_unit(WARD, 2020, [CriterionStatus(WARD.unit_id, 2020, "qd1980_2016", "ntm", 1, True)], [])
    assert not a.assessed and a.criteria_met is None and a.level is None
    flagged = unit(91, "Xã Cấm Sơn", UnitType.XA, UnitFlag.NOT_ADMIN_UNIT)
    assert not assess_unit(flagged, 2020, [], []).assessed


TAN_HOI_2022 = Recognition(
    XA.unit_id, 2022, "ntm_nang_cao", RecognitionKind.RECOGNISED, "qd318_2022", "694/QĐ-UBND-HC", dt.date(2023, 6, 30)
)


def test_counts_from_summaries_and_recognition_from_its_decision():
    s2021 = StatusSummary(XA.unit_id, 2021, "qd318_2022", "ntm_nang_cao", 16, 19)
    s2022 = StatusSummary(
        XA.unit_id, 2022, "qd318_2022", "ntm_nang_cao", 19, 19, True, "694/QĐ-UBND-HC", dt.date(2023, 6, 30)
    )
    found = assess_units([XA, WARD], 2022, [], [s2021, s2022], [TAN_HOI_2022])
    a = found[XA.unit_id]
    assert a.criteria_met == 19 and a.level == "ntm_nang_cao" and a.recognized_levels == ("ntm_nang_cao",)
    assert a.recognised_level == "ntm_nang_cao" and a.criteria_level == "ntm_nang_cao"
    assert a.decisions == ("694/QĐ-UBND-HC (2023-06-30)",) and not a.met_not_recognised
    assert a.figures()["recognition_decision"] == "694/QĐ-UBND-HC"
    assert a.figures()["recognition_date"] == "2023-06-30"
    assert not found[WARD.unit_id].assessed
    a2021 = assess_units([XA], 2021, [], [s2021, s2022], [TAN_HOI_2022])[XA.unit_id]
    assert a2021.criteria_met == 16 and a2021.level is None and a2021.target_level == "ntm_nang_cao"
    assert a2021.recognised_level is None  # the decision is for 2022


def test_a_recognition_holds_in_later_years_without_data():
    for year in (2023, 2024):
        a = assess_unit(XA, year, [], [], [TAN_HOI_2022])
        assert a.has_data and a.recognised_level == "ntm_nang_cao" and a.level == "ntm_nang_cao"
        assert a.criteria_met is None and a.criteria_level is None
        assert a.recognition == TAN_HOI_2022


def test_a_revocation_ends_the_recognition():
    revoked = Recognition(XA.unit_id, 2024, "ntm_nang_cao", RecognitionKind.REVOKED, None, "QĐ thu hồi (test)")
    again = Recognition(XA.unit_id, 2025, "ntm_nang_cao", RecognitionKind.RE_RECOGNISED, None, "QĐ lại (test)")
    ntm = Recognition(XA.unit_id, 2019, "ntm", RecognitionKind.RECOGNISED, None, "QĐ NTM (test)")
    events = [TAN_HOI_2022, revoked, again, ntm]
    assert assess_unit(XA, 2023, [], [], events).recognised_level == "ntm_nang_cao"
    a2024 = assess_unit(XA, 2024, [], [], events)
    assert a2024.recognised_level == "ntm" and a2024.recognized_levels == ("ntm",)  # the NTM decision still holds
    assert a2024.figures()["recognition_decision"] == "QĐ NTM (test)"
    assert assess_unit(XA, 2025, [], [], events).recognition == again
    assert assess_unit(XA, 2024, [], [], [TAN_HOI_2022, revoked]).recognised_level is None


def test_all_criteria_met_is_not_recognition():
    a = assess_unit(XA, 2020, statuses({n: True for n in range(1, 20)}), [])
    assert a.criteria_level == "ntm" and a.recognised_level is None and a.met_not_recognised
    assert a.recognized_levels == () and a.figures()["recognition_decision"] is None


def test_no_data():
    a = assess_unit(XA, 2019, [], [])
    assert a.assessed and not a.has_data and a.criteria_met is None


def test_figures_stay_on_the_national_set_when_a_province_set_has_data():
    """A province's set (here a stand-in, TEST data) ranks after the national one whatever its level."""
    provincial = dataclasses.replace(
        shipped_frameworks()["qd1980_2016"], framework_id="test_province", levels=("ntm_nang_cao",), province="TEST"
    )
    frameworks = {**shipped_frameworks(), "test_province": provincial}
    national = statuses({n: n != 5 for n in range(1, 20)})
    province_set = statuses({n: True for n in range(1, 20)}, fw="test_province", level="ntm_nang_cao")
    a = assess_unit(XA, 2020, national + province_set, [], frameworks=frameworks)
    assert (a.framework_id, a.target_level, a.criteria_met, a.criteria_unmet) == ("qd1980_2016", "ntm", 18, (5,))
    assert a.level == "ntm_nang_cao"  # levels are over every set: all its criteria are met


def test_a_set_without_known_criteria_counts_only_its_recognitions():
    kieu_mau = StatusSummary(XA.unit_id, 2022, "qd319_2022", "ntm_kieu_mau", 3, 5)
    decision = Recognition(XA.unit_id, 2022, "ntm_kieu_mau", framework_id="qd319_2022", decision="TEST")
    national = [CriterionStatus(XA.unit_id, 2022, "qd318_2022", "ntm", n, True) for n in range(1, 20)]
    a = assess_unit(XA, 2022, national, [kieu_mau], [decision])
    assert (a.framework_id, a.criteria_met, a.criteria_total) == ("qd318_2022", 19, 19)
    assert a.level == "ntm_kieu_mau" and a.recognized_levels == ("ntm_kieu_mau",)
    only = assess_unit(XA, 2022, [CriterionStatus(XA.unit_id, 2022, "qd319_2022", "ntm_kieu_mau", 1, True)], [])
    assert only.framework_id == "qd319_2022" and only.criteria_total is None and only.level is None
