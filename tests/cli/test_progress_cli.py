"""geo-ntm targets import and geo-ntm progress on both stores: the 2009 boundaries with the real
recognitions of Hồng Ngự (shared sample) and a target file labelled TEST DATA."""

from __future__ import annotations

import json

from cli.main import main

TARGETS = (
    "province,commune,level,year,share,baseline year,baseline share,source\n"
    "Đồng Tháp,Tân Hội,ntm_nang_cao,2022,,,,TEST DATA: not a real plan\n"
    "Đồng Tháp,,ntm_nang_cao,2024,10%,2020,0%,TEST DATA: not a real plan\n"
)


def test_targets_import_and_progress(db_location, data_dir, tmp_path, capsys):
    db = db_location
    assert main(["--db", db, "status", "import", str(data_dir / "samples" / "status_hong_ngu_counts.csv")]) == 0
    capsys.readouterr()
    assert main(["--db", db, "progress", "--province", "Đồng Tháp", "--year", "2021"]) == 0
    assert "no target loaded for Tỉnh Đồng Tháp" in capsys.readouterr().out
    path = tmp_path / "targets_TEST.csv"
    path.write_text(TARGETS, encoding="utf-8")
    assert main(["--db", db, "targets", "import", str(path), "--dry-run"]) == 0
    assert "1 commune and 1 province targets checked, nothing stored" in capsys.readouterr().out
    assert main(["--db", db, "targets", "import", str(path)]) == 0
    assert "stored (import" in capsys.readouterr().out
    assert main(["--db", db, "progress", "--province", "Đồng Tháp", "--year", "2021"]) == 0
    out = capsys.readouterr().out
    assert "Xã Tân Hội (8030807) ntm_nang_cao by 2022: 3 unmet, 1 years left: behind" in out
    assert "path 2.5%: behind" in out  # 0 in 2020 to 10% in 2024: 2.5% in 2021; 0 of the xã recognised
    assert main(["--db", db, "progress", "--province", "Đồng Tháp", "--year", "2022", "--format", "json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["communes"][0]["status"] == "reached" and body["province_targets"][0]["recognised"] == 1


def test_a_bad_target_file_exits_2(db_location, tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("province,level,year,share\nĐồng Tháp,ntm,2024,\n", encoding="utf-8")
    assert main(["--db", db_location, "targets", "import", str(path), "--source", "TEST"]) == 2
    assert "row 2: share is empty" in capsys.readouterr().err
