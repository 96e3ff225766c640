"""``geo-ntm issues``: the data flags of a province and year printed, and ``--check`` re-checking the
stored rows after a lineage import; with the small files labelled as test data of tests/data."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from cli.main import main

TEST_DATA = Path(__file__).parents[1] / "data"
LINEAGE = resources.files("boundaries") / "examples" / "ben_tre_city_lineage.csv"


def test_issues_printed_and_checked_again_after_a_lineage_import(db_location, capsys):
    for name in ("status_ben_tre_city_2019_TEST.csv", "flags_ward_and_gone_TEST.csv"):
        assert main(["--db", db_location, "status", "import", str(TEST_DATA / name)]) == 0
    assert (
        main(["--db", db_location, "status", "import", str(TEST_DATA / "flags_ben_tre_city_2019_counts_TEST.csv")]) == 0
    )
    assert "Data checks / Kiểm tra dữ liệu (2)" in capsys.readouterr().out

    assert main(["--db", db_location, "issues", "--province", "Bến Tre", "--year", "2019"]) == 0
    out = capsys.readouterr().out
    assert "Bến Tre, 2019: 3" in out and "[summary_disagrees] Xã Nhơn Thạnh (8110125)" in out
    assert "[not_assessed_unit] Phường 6 (8110111)" in out

    assert main(["--db", db_location, "lineage", "import", str(LINEAGE)]) == 0
    assert "Data checks / Kiểm tra dữ liệu (2)" in capsys.readouterr().out  # the import checked again
    assert main(["--db", db_location, "issues", "--province", "Bến Tre", "--year", "2021", "--check"]) == 0
    out = capsys.readouterr().out
    assert "0 new flags stored" in out and "[unit_gone] Xã Mỹ Thành (8110131)" in out
    assert "[boundaries_behind] Xã Mỹ Thành (8110131)" in out and "856/NQ-UBTVQH14" in out
