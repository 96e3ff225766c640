"""The geo-ntm command line end to end on the real boundaries and status samples."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import geopandas as gpd
import pytest

from cli.main import main


@pytest.fixture
def db(db_location, data_dir) -> str:
    """A store with the 2009 boundaries and the Bến Tre, Đồng Hới and Hồng Ngự samples (each backend)."""
    path = db_location
    for name in ("status_ben_tre_city_long.csv", "status_dong_hoi_wide.xlsx", "status_hong_ngu_counts.csv"):
        assert main(["--db", path, "status", "import", str(data_dir / "samples" / name)]) == 0
    return path


def test_boundaries_import_and_list(empty_db_location, tmp_path, data_dir, capsys):
    city = gpd.read_file(data_dir / "vn_admin_2009.gpkg", layer="communes", where="district_id = '81101'")
    city.to_file(tmp_path / "ben_tre.gpkg", layer="communes", engine="pyogrio")
    db = empty_db_location
    assert main(["--db", db, "boundaries", "import", str(tmp_path / "ben_tre.gpkg"), "--vintage", "2009-04-01"]) == 0
    out = capsys.readouterr().out
    assert "communes (commune): 17 units read" in out and "stored vintage 1" in out
    assert main(["--db", db, "boundaries", "list"]) == 0
    assert "2009-04-01 .. now" in capsys.readouterr().out


def test_broken_boundaries_exit_2_with_the_feature_named(empty_db_location, tmp_path, data_dir, capsys):
    city = gpd.read_file(data_dir / "vn_admin_2009.gpkg", layer="communes", where="district_id = '81101'")
    city.loc[city.index[5], "commune_id"] = city["commune_id"].iloc[4]
    city.to_file(tmp_path / "dup.gpkg", layer="communes", engine="pyogrio")
    db = empty_db_location
    assert main(["--db", db, "boundaries", "import", str(tmp_path / "dup.gpkg"), "--vintage", "2009-04-01"]) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "code 8110109" in err and "feature #6" in err
    assert main(["--db", db, "boundaries", "list"]) == 0
    assert capsys.readouterr().out == ""  # nothing stored
    with pytest.raises(SystemExit):
        main(["--db", db, "boundaries", "import", "x.gpkg", "--vintage", "April 2009"])


def test_report_json_for_ben_tre_2020(db, capsys):
    capsys.readouterr()
    assert main(["--db", db, "report", "--province", "Bến Tre", "--year", "2020", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["province"] == "Tỉnh Bến Tre" and report["year"] == 2020
    assert set(report) >= {"province", "year", "districts", "total"}
    city = next(d for d in report["districts"] if d["district"] == "Thành phố Bến Tre")
    assert set(city) >= {
        "district",
        "communes",
        "communes_with_data",
        "all_criteria_met",
        "avg_criteria_met",
        "per_criterion",
    }
    # 7 xã in the 2009 city (the 10 phường are not counted); 6 reported all 19 criteria met
    assert city["communes"] == 7 and city["communes_with_data"] == 6 and city["communes_without_data"] == 1
    assert city["all_criteria_met"] == 6 and city["avg_criteria_met"] == 19.0
    assert city["per_criterion"] == {str(n): 6 for n in range(1, 20)}
    assert city["level_reached"]["ntm"] == 6
    total = report["total"]
    assert total["communes_with_data"] == 6 and total["communes"] > 100
    assert total["communes"] == sum(d["communes"] for d in report["districts"])
    assert report["wards_and_towns_not_assessed"] > 10
    others = [d for d in report["districts"] if d["district"] != "Thành phố Bến Tre"]
    assert all(d["communes_with_data"] == 0 and d["avg_criteria_met"] is None for d in others)


def test_report_csv_table_and_recognition(db, capsys):
    capsys.readouterr()
    assert (
        main(
            [
                "--db",
                db,
                "report",
                "--province",
                "Đồng Tháp",
                "--district",
                "Hồng Ngự",
                "--year",
                "2022",
                "--format",
                "csv",
            ]
        )
        == 2
    )  # two districts named Hồng Ngự in 2009: a huyện and a thị xã
    assert "ambiguous" in capsys.readouterr().err
    assert (
        main(
            [
                "--db",
                db,
                "report",
                "--province",
                "Đồng Tháp",
                "--district",
                "Thị xã Hồng Ngự",
                "--year",
                "2022",
                "--format",
                "csv",
            ]
        )
        == 0
    )
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    town = rows[0]
    assert town["district"] == "Thị xã Hồng Ngự" and town["recognised_ntm_nang_cao"] == "1"
    assert town["all_criteria_met"] == "1" and rows[-1]["district"] == "Tổng / Total"
    assert main(["--db", db, "report", "--province", "Quảng Bình", "--year", "2019"]) == 0
    table = capsys.readouterr().out
    assert "Thành phố Đồng Hới" in table and "Tỉnh Quảng Bình — 2019" in table


def test_map_command_writes_a_standalone_page(db, tmp_path, capsys):
    out = tmp_path / "ben_tre.html"
    assert (
        main(
            [
                "--db",
                db,
                "map",
                "--province",
                "Bến Tre",
                "--district",
                "Thành phố Bến Tre",
                "--year",
                "2020",
                "--measure",
                "level",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    html = out.read_text(encoding="utf-8")
    assert "Mức đạt chuẩn nông thôn mới — Thành phố Bến Tre, Tỉnh Bến Tre" in html
    assert (
        not re.search(r'<(script|link|img)[^>]+(src|href)="https?://', html) and "L.map" in html
    )  # Leaflet is embedded
    assert (
        main(
            [
                "--db",
                db,
                "map",
                "--province",
                "Bến Tre",
                "--year",
                "2020",
                "--measure",
                "tc25",
                "-o",
                str(tmp_path / "x.html"),
            ]
        )
        == 2
    )
    assert "tc25" in capsys.readouterr().err and not (tmp_path / "x.html").exists()
    assert main(["--db", db, "map", "--province", "Atlantis", "--year", "2020", "-o", str(tmp_path / "y.html")]) == 2
    assert "no province named 'Atlantis'" in capsys.readouterr().err


def test_status_import_with_unmatched_name_exits_1(db_location, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "province,district,commune,year,framework,level,criterion,status,source\n"
        "Bến Tre,Thành phố Bến Tre,Nhơn Thạnh Tây,2020,qd1980_2016,ntm,1,đạt,test\n",
        encoding="utf-8",
    )
    assert main(["--db", db_location, "status", "import", str(bad)]) == 1
    assert "Nhơn Thạnh" in capsys.readouterr().out  # the closest candidate is offered
    assert main(["--db", db_location, "report", "--province", "811", "--year", "2020", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out.split("\n", 0)[0])["total"]["communes_with_data"] == 0


def test_status_import_exit_codes_0_1_3_and_what_was_stored(db_location, data_dir, capsys):
    last_mile = Path(__file__).resolve().parents[1] / "data" / "status_last_mile_TEST.csv"  # one district row
    assert main(["--db", db_location, "status", "import", str(last_mile), "--dry-run", "--skip-unmatched"]) == 1
    assert main(["--db", db_location, "status", "import", str(last_mile)]) == 1
    out = capsys.readouterr().out
    assert "NOTHING STORED" in out and "'Huyện Chợ Lách' names a district, but framework qd1980_2016" in out
    assert "row 4: commune 'Đôn Xuân' is named under district 'huyện Duyên Hải'" in out
    assert main(["--db", db_location, "status", "import", str(last_mile), "--skip-unmatched"]) == 3
    out = capsys.readouterr().out
    assert "stored, skipping row 6" in out and "stored 3 criterion statuses" in out
    good = data_dir / "samples" / "status_ben_tre_city_long.csv"
    assert main(["--db", db_location, "status", "import", str(good)]) == 0
    assert "result: OK, stored" in capsys.readouterr().out
    assert main(["--db", db_location, "status", "import", str(good.with_name("missing.csv"))]) == 2


def test_a_district_the_boundaries_do_not_have_is_exit_2_naming_it(db_location, capsys):
    # Thị xã Duyên Hải was formed after the 2009 boundaries; Huyện Duyên Hải bears its name
    where = ["--province", "Trà Vinh", "--year", "2018", "--format", "json"]
    assert main(["--db", db_location, "report", *where, "--district", "Thị xã Duyên Hải"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "'Thị xã Duyên Hải'" in captured.err
    assert "Huyện Duyên Hải (code 81715) bears the name as another type" in captured.err
    assert main(["--db", db_location, "report", *where, "--district", "Huyện Duyên Hải"]) == 0
    assert "Huyện Duyên Hải" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["--help"], ["status", "import", "--help"]])
def test_help_lists_the_exit_codes(argv, capsys):
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 0
    out = capsys.readouterr().out
    for line in ("0  done", "1  an import found problems", "2  bad input", "3  an import with --skip-unmatched"):
        assert line in out


def test_db_upgrade_creates_the_schema_and_prints_its_version(empty_db_location, capsys):
    for _ in range(2):  # the second run has nothing to do
        assert main(["--db", empty_db_location, "db", "upgrade"]) == 0
        assert re.fullmatch(r"store schema at version \d+\n", capsys.readouterr().out)
    assert main(["--db", empty_db_location, "boundaries", "list"]) == 0 and capsys.readouterr().out == ""


def test_a_bad_setting_or_year_is_exit_2_naming_it(monkeypatch, capsys):
    monkeypatch.setenv("GEO_NTM_PORT", "80a")
    assert main(["frameworks"]) == 2
    assert "GEO_NTM_PORT='80a' is not valid" in capsys.readouterr().err
    monkeypatch.delenv("GEO_NTM_PORT")
    with pytest.raises(SystemExit) as exit_:
        main(["report", "--province", "Bến Tre", "--year", "20200"])
    assert exit_.value.code == 2
    assert "'20200' is not a status year: year 20200 is outside the years 1990-2100" in capsys.readouterr().err
