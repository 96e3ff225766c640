"""A province's own frameworks (GEO_NTM_FRAMEWORKS_DIR): loading and validation, and that adding
one never changes the figures of another set, on the real Bến Tre sample and on both stores.

The provincial set used here is TEST DATA (tests/data/frameworks/test_nang_cao_20.toml), the shape
NTM.md describes: 20 criteria that do not line up with the national 19."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cli.main import main
from geo_ntm.errors import InputError
from geo_ntm.frameworks import add_provincial, all_frameworks, get_framework, provincial_frameworks
from geo_ntm.report import province_report
from geo_ntm.status_import.importer import import_status_file
from geo_ntm.where import resolve_where

TEST_SET = Path(__file__).parent.parent / "data" / "frameworks" / "test_nang_cao_20.toml"
BEN_TRE = "Bến Tre,Thành phố Bến Tre"


@pytest.fixture
def frameworks_dir(tmp_path, monkeypatch) -> Path:
    """An empty GEO_NTM_FRAMEWORKS_DIR for one test."""
    folder = tmp_path / "frameworks"
    folder.mkdir()
    monkeypatch.setenv("GEO_NTM_FRAMEWORKS_DIR", str(folder))
    return folder


def provincial_statuses(tmp_path: Path) -> Path:
    """TEST statuses on the TEST set for three real communes of Thành phố Bến Tre in 2020: two
    meet all 20 criteria, one meets 18 of 20 (criteria 4 and 20 unmet)."""
    lines = ["province,district,commune,year,framework,level,criterion,status,source"]
    for commune, unmet in (("Nhơn Thạnh", ()), ("Phú Nhuận", ()), ("Bình Phú", (4, 20))):
        for n in range(1, 21):
            status = "chưa đạt" if n in unmet else "đạt"
            lines.append(f"{BEN_TRE},{commune},2020,test_nang_cao_20,ntm_nang_cao,{n},{status},TEST DATA")
    path = tmp_path / "provincial_TEST.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def figures(store) -> dict:
    """The province report of Bến Tre in 2020: its framework, the counts of criteria of every
    district and of the province, and apart the levels reached (over every set)."""
    report = province_report(store, resolve_where(store, year=2020, province="Bến Tre"))
    levels = report["total"].pop("level_reached")
    for d in report["districts"]:
        d.pop("level_reached")
    return {"framework": report["framework"], "districts": report["districts"], "total": report["total"]}, levels


def test_adding_a_provincial_set_keeps_the_national_figures(store_2009, data_dir, frameworks_dir, tmp_path):
    report = import_status_file(store_2009, data_dir / "samples" / "status_ben_tre_city_long.csv")
    assert report.stored
    before, levels_before = figures(store_2009)
    assert before["framework"] == "qd1980_2016" and before["total"]["all_criteria_met"] == 6
    assert before["total"]["avg_criteria_met"] == 19.0 and levels_before["ntm"] == 6

    shutil.copy(TEST_SET, frameworks_dir)
    assert get_framework("test_nang_cao_20").criteria_total == 20
    provincial = import_status_file(store_2009, provincial_statuses(tmp_path))
    assert provincial.stored and provincial.statuses_stored == 60

    after, levels_after = figures(store_2009)
    assert after == before  # before the fix: 5 all met and an average of 19.17 criteria out of "19"
    # the level reached is over every set: two communes met all 20 advanced criteria of the TEST set
    assert (levels_after["ntm"], levels_after["ntm_nang_cao"]) == (4, 2)

    # a xã with data on the TEST set only is counted apart, not in the national counts
    only_provincial = tmp_path / "only_provincial_TEST.csv"
    only_provincial.write_text(
        "province,district,commune,year,framework,level,criterion,status,source\n"
        + "".join(f"Bến Tre,Giồng Trôm,Phong Nẫm,2020,test_nang_cao_20,ntm_nang_cao,{n},đạt,T\n" for n in range(1, 21)),
        encoding="utf-8",
    )
    assert import_status_file(store_2009, only_provincial).stored
    apart, _ = figures(store_2009)
    assert apart["framework"] == "qd1980_2016" and apart["total"]["communes_other_frameworks"] == 1
    assert (apart["total"]["all_criteria_met"], apart["total"]["avg_criteria_met"]) == (6, 19.0)
    assert apart["total"]["per_criterion"] == before["total"]["per_criterion"]


def test_shipped_and_provincial_frameworks_are_listed_with_their_acts(frameworks_dir):
    assert "test_nang_cao_20" not in all_frameworks()
    shutil.copy(TEST_SET, frameworks_dir)
    found = all_frameworks()["test_nang_cao_20"]  # the folder is read again once a file changes
    assert (found.province, found.source_act, found.national) == ("Bến Tre", "TEST: no real act", False)
    assert found.years == (2016, 2020) and found.levels == ("ntm_nang_cao",)
    assert all(fw.national for fid, fw in all_frameworks().items() if fid != "test_nang_cao_20")


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda t: t.replace('province = "Bến Tre"\n', ""), r"test\.toml: field\(s\) province missing"),
        (lambda t: t.replace('source_act = "TEST: no real act"', 'source_act = ""'), r"field 'source_act'"),
        (lambda t: t.replace('"test_nang_cao_20"', '"qd1980_2016"'), r"'qd1980_2016' is a shipped framework's"),
        (lambda t: t.replace('"test_nang_cao_20"', '"../x"'), r"field 'framework_id' '\.\./x'"),
        (lambda t: t.replace("[2016, 2020]", "[2020, 2016]"), r"field 'years' \[2020, 2016\]"),
        (lambda t: t.replace('["ntm_nang_cao"]', '["nang_cao"]'), r"field 'levels'"),
        (lambda t: t.replace("[2, ", "[1, ", 1), r"field 'criteria': numbers must be distinct"),
        (lambda t: t + "colour = 1\n", r"unknown field\(s\) colour"),
        (lambda t: t.replace('["ntm_nang_cao"]', "[[1]]"), r"field 'levels' \[\[1\]\]"),
        (lambda t: t + 'completion_types = "thi_xa"\n', r"field 'completion_types' must list unit types"),
        (lambda t: t + "act_date = 2022-03-08T10:00:00\n", r"field 'act_date' must be a date"),
        (lambda t: t.replace("applies_to = ", "applies_to = 3 #"), r"test\.toml: 3 is not a valid AdminTier"),
        (lambda t: t + "criteria_known = false\n", r"lists criteria but criteria_known = false"),
        (lambda t: t.replace("]\n", "", 1), r"test\.toml is not valid TOML"),
    ],
)
def test_a_bad_provincial_file_is_refused_naming_file_and_field(frameworks_dir, edit, message):
    with pytest.raises(InputError, match=message):
        add_provincial("test.toml", edit(TEST_SET.read_text(encoding="utf-8")))
    assert list(frameworks_dir.iterdir()) == []  # nothing written


def test_add_provincial_writes_once(frameworks_dir, monkeypatch):
    text = TEST_SET.read_text(encoding="utf-8")
    assert add_provincial("mine.toml", text).framework_id == "test_nang_cao_20"
    assert [p.name for p in frameworks_dir.iterdir()] == ["test_nang_cao_20.toml"]
    with pytest.raises(InputError, match="'test_nang_cao_20' is already loaded"):
        add_provincial("again.toml", text)
    monkeypatch.delenv("GEO_NTM_FRAMEWORKS_DIR")
    assert provincial_frameworks() == {}
    with pytest.raises(InputError, match="set GEO_NTM_FRAMEWORKS_DIR"):
        add_provincial("mine.toml", text)


def test_a_bad_file_in_the_folder_names_the_file(frameworks_dir):
    (frameworks_dir / "broken.toml").write_text('framework_id = "x_set"\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"framework file broken\.toml: field"):
        all_frameworks()


# -- the status import against the periods and the sets without known criteria ------------------------


def write_lines(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "statuses_TEST.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_status_year_outside_its_framework_period_is_named(store_2009, tmp_path):
    header = "province,district,commune,year,framework,level,criterion,status,source"
    path = write_lines(
        tmp_path,
        [
            header,
            f"{BEN_TRE},Phú Hưng,2020,qd1980_2016,ntm,1,đạt,TEST",
            f"{BEN_TRE},Phú Hưng,2022,qd1980_2016,ntm,2,đạt,TEST",
        ],
    )
    report = import_status_file(store_2009, path)
    (warning,) = report.warnings
    assert (warning.row, warning.column, warning.value) == (3, "year", "2022")
    assert "2022 is outside the period of qd1980_2016 (2016-2020, QĐ 1980/QĐ-TTg" in warning.message
    assert "row 3 (Bến Tre / Thành phố Bến Tre / Phú Hưng): year 2022 is outside" in report.text()


def test_criteria_of_a_set_not_known_cannot_be_reported_one_by_one(store_2009, tmp_path):
    header = "province,district,commune,year,framework,level,criterion,status,source"
    path = write_lines(tmp_path, [header, f"{BEN_TRE},Phú Hưng,2022,qd319_2022,ntm_kieu_mau,1,đạt,TEST"])
    report = import_status_file(store_2009, path)
    (invalid,) = report.invalid
    assert invalid.row == 2 and "criteria of qd319_2022 (QĐ 319/QĐ-TTg ngày 08/3/2022) are not known" in invalid.message
    assert not report.stored and store_2009.statuses() == []


def test_a_recognition_on_a_set_without_known_criteria_is_stored_and_counts(store_2009, tmp_path):
    header = "province,district,commune,year,framework,level,criteria_met,criteria_total,recognized,decision,source"
    path = write_lines(
        tmp_path,
        [
            header,
            f"{BEN_TRE},Phú Hưng,2022,qd319_2022,ntm_kieu_mau,5,5,yes,TEST-1/QĐ,TEST",
            f"{BEN_TRE},Nhơn Thạnh,2022,qd319_2022,ntm_kieu_mau,5,,yes,TEST-2/QĐ,TEST",
        ],
    )
    report = import_status_file(store_2009, path)
    (invalid,) = report.invalid  # no total and no known criteria to take it from
    assert invalid.row == 3 and "needs a total" in invalid.message and "qd319_2022" in invalid.message
    stored = import_status_file(store_2009, path, skip_unmatched=True)
    assert stored.stored and [s.decision for s in store_2009.summaries()] == ["TEST-1/QĐ"]


def test_the_command_lists_provincial_sets_and_names_a_bad_file(frameworks_dir, capsys):
    shutil.copy(TEST_SET, frameworks_dir)
    assert main(["frameworks"]) == 0
    out = capsys.readouterr().out
    assert "test_nang_cao_20\t2016-2020\tcommune\t20 tiêu chí" in out and "Bến Tre: TEST: no real act" in out
    assert "qd319_2022\t2021-2025\tcommune\tcriteria not known\tQĐ 319/QĐ-TTg ngày 08/3/2022" in out
    (frameworks_dir / "broken.toml").write_text('framework_id = "broken_set"\n', encoding="utf-8")
    assert main(["frameworks"]) == 2
    assert "framework file broken.toml: field(s) title_vi" in capsys.readouterr().err


def test_a_file_of_that_name_is_never_replaced(frameworks_dir):
    other = TEST_SET.read_text(encoding="utf-8").replace('"test_nang_cao_20"', '"test_other_set"')
    (frameworks_dir / "test_nang_cao_20.toml").write_text(other, encoding="utf-8")  # by hand, another id
    with pytest.raises(InputError, match=r"test_nang_cao_20\.toml already exists"):
        add_provincial("mine.toml", TEST_SET.read_text(encoding="utf-8"))
    assert [p.name for p in frameworks_dir.iterdir()] == ["test_nang_cao_20.toml"]
    assert set(provincial_frameworks()) == {"test_other_set"}


def test_a_province_set_is_refused_for_a_commune_of_another_province(store_2009, frameworks_dir, tmp_path):
    shutil.copy(TEST_SET, frameworks_dir)
    header = "province,district,commune,year,framework,level,criterion,status,source"
    path = write_lines(
        tmp_path,
        [
            header,
            f"{BEN_TRE},Phú Hưng,2020,test_nang_cao_20,ntm_nang_cao,1,đạt,TEST",
            "Quảng Bình,TP. Đồng Hới,Bảo Ninh,2020,test_nang_cao_20,ntm_nang_cao,1,đạt,TEST",
        ],
    )
    report = import_status_file(store_2009, path)
    (invalid,) = report.invalid
    assert invalid.row == 3 and "framework test_nang_cao_20 is Bến Tre's own; Xã Bảo Ninh is in" in invalid.message
    assert not report.stored and store_2009.statuses() == []
    kept = import_status_file(store_2009, path, skip_unmatched=True)
    assert kept.stored and [s.row_number for s in store_2009.statuses()] == [2]
