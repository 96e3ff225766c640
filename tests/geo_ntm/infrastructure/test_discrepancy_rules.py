"""The rules of the discrepancy view: one criterion's computed verdict from its indicators, the
reported status from a commune's assessment, and which pairs disagree."""

from __future__ import annotations

import pytest

from geo_ntm.infrastructure.discrepancy import (
    REPORTED_MET_COMPUTED_NOT,
    REPORTED_NOT_COMPUTED_MET,
    agreement,
    computed_verdict,
    reported_status,
)


@pytest.mark.parametrize(
    ("verdicts", "complete", "expected"),
    [
        (["met", "met", "met", "met"], True, "met"),
        (["met", "no_data", "met", "no_data"], True, "met"),  # a commune without alleys is judged on the rest
        (["met", "not_met", "unknown", "met"], True, "not_met"),  # one short indicator is enough
        (["met", "unknown", "met", "met"], True, "unknown"),
        (["no_data"] * 4, True, "no_data"),
        (["met"], False, "unknown"),  # 17.1 met does not make criterion 17 met (waste, cemeteries)
        (["not_met"], False, "not_met"),
    ],
)
def test_computed_verdict(verdicts, complete, expected):
    assert computed_verdict(verdicts, complete) == expected


def test_reported_status_from_the_assessment():
    assert reported_status(2, [1, 2, 3], [], [], None) == "met"
    assert reported_status(2, [1, 3], [2], [], None) == "not_met"
    assert reported_status(17, [17], [], [17], None) == "conflicting"  # two sources disagree
    assert reported_status(2, [], [], [], "ntm") == "met"  # recognised NTM: every criterion met
    assert reported_status(2, [], [], [], None) == "no_data"


def test_only_a_clear_contradiction_is_a_discrepancy():
    assert agreement("met", "not_met") == REPORTED_MET_COMPUTED_NOT
    assert agreement("not_met", "met") == REPORTED_NOT_COMPUTED_MET
    for reported, computed in [
        ("met", "met"),
        ("met", "unknown"),
        ("not_met", "not_met"),
        ("conflicting", "not_met"),
        ("no_data", "not_met"),
        ("not_met", "no_data"),
    ]:
        assert agreement(reported, computed) is None
