"""The tallies of communes by province or district (``geo_ntm.aggregate``) on a small hand-made
frame (TEST rows, no real units): wards are not counted as assessed, nested levels count at every
level they nest in, the mean criteria met is over the communes with data."""

from __future__ import annotations

import pandas as pd
import pytest

from geo_ntm.aggregate import Tally, tallies


def frame(rows: list[tuple]) -> pd.DataFrame:
    columns = ["district_code", "assessed", "has_data", "criteria_met", "recognised_level", "framework"]
    out = pd.DataFrame(rows, columns=columns)
    out["criteria_met"] = out["criteria_met"].astype("Int64")
    return out


def test_tallies_count_assessed_communes_nested_levels_and_the_mean():
    found = tallies(
        frame(
            [
                ("D1", True, True, 19, "ntm_kieu_mau", "qd318_2022"),
                ("D1", True, True, 15, None, "qd318_2022"),
                ("D1", True, False, None, None, None),
                ("D1", False, False, None, None, None),  # a ward: not assessed
                ("D2", True, True, 19, "ntm_hien_dai", "qd51_2025"),
                ("D2", True, True, 10, None, "qd318_2022"),
            ]
        ),
        "district_code",
    )
    d1, d2 = found["D1"], found["D2"]
    assert (d1.communes, d1.assessed, d1.with_data) == (4, 3, 2)
    assert d1.recognised == {"ntm": 1, "ntm_nang_cao": 1, "ntm_kieu_mau": 1}
    assert d1.recognised_share("ntm") == pytest.approx(1 / 3) and d1.data_share == pytest.approx(2 / 3)
    assert d1.mean_criteria_met == 17 and d1.framework == "qd318_2022"
    assert d2.recognised == {"ntm": 1, "ntm_hien_dai": 1}  # hiện đại nests in ntm only
    assert d2.framework is None  # two frameworks: none named


def test_a_tally_without_assessed_communes_has_no_shares():
    empty = Tally(communes=3)
    assert (empty.recognised_share("ntm"), empty.data_share, empty.mean_criteria_met) == (None, None, None)
    assert empty.as_dict()["recognised"] == {"ntm": 0, "ntm_nang_cao": 0, "ntm_kieu_mau": 0, "ntm_hien_dai": 0}
