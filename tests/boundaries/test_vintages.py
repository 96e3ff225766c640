"""Lineage import into the store (derived vintages), statuses following the vintage of their year,
and the crosswalk command, on the real 2009 boundaries and the Bến Tre example."""

from __future__ import annotations

import datetime as dt
from importlib import resources

import pandas as pd
import pytest

from boundaries.vintages import import_lineage
from cli.main import main
from geo_ntm.domain import AdminTier
from geo_ntm.errors import GeoNtmError
from geo_ntm.status_import.importer import import_status_file

LINEAGE = resources.files("boundaries") / "examples" / "ben_tre_city_lineage.csv"


@pytest.fixture
def store(store_2009, data_dir):
    assert import_status_file(store_2009, data_dir / "samples" / "status_ben_tre_city_long.csv").ok
    return store_2009


def _city(store, day: dt.date):
    vintage = store.vintage_on(day)
    return vintage, store.units(vintage.vintage_id, AdminTier.COMMUNE, district_code="81101")


def test_lineage_import_derives_the_2020_city(store):
    report = import_lineage(store, LINEAGE)
    assert report.stored and len(report.derived) == 2  # 2013-04-05 and 2020-02-01
    starts = [v.valid_from for v in store.vintages()]
    assert starts == [dt.date(2009, 4, 1), dt.date(2013, 4, 5), dt.date(2020, 2, 1)]

    _, before = _city(store, dt.date(2019, 12, 31))
    _, after = _city(store, dt.date(2020, 2, 1))
    assert len(before) == 17 and len(after) == 14
    names = set(after["name"])
    assert {"Phường An Hội", "Xã Bình Phú"} <= names and not {"Phường 1", "Xã Mỹ Thành"} & names
    assert sorted(after["unit_type"].value_counts().items()) == [("phuong", 8), ("xa", 6)]
    # area conserved: the city and the whole country (merges only close the thin gaps between parts)
    assert after["area_ha"].sum() == pytest.approx(before["area_ha"].sum(), rel=2e-2)  # the parts overlapped
    assert after.dissolve().to_crs(3405).area.iloc[0] == pytest.approx(
        before.dissolve().to_crs(3405).area.iloc[0], rel=1e-4
    )
    old_all = store.units(store.vintages()[0].vintage_id, AdminTier.COMMUNE, geometry=False)
    new_all = store.units(store.vintages()[2].vintage_id, AdminTier.COMMUNE, geometry=False)
    assert len(old_all) - len(new_all) == 3

    events = store.lineage_events("8110131")
    assert [e.event_id for e in events] == ["bt-2013-my-thanh", "bt-2020-my-thanh"]
    assert events[1].after == ("8110121",) and events[1].legal_act.startswith("856/NQ-UBTVQH14")


def test_statuses_follow_the_vintage_of_their_year(store, db_location):
    import_lineage(store, LINEAGE)
    _, city2020 = _city(store, dt.date(2020, 12, 31))
    ids_2020 = city2020["unit_id"].tolist()
    statuses_2020 = store.statuses(ids_2020, 2020)
    assert len(statuses_2020) == 6 * 19  # moved to the units of the derived 2020 vintage
    v2011, city2011 = _city(store, dt.date(2011, 12, 31))
    assert v2011.valid_from == dt.date(2009, 4, 1)
    assert len(store.statuses(city2011["unit_id"].tolist(), 2011)) == 6  # 2011 stays on its vintage
    assert (
        main(
            [
                "--db",
                db_location,
                "report",
                "--province",
                "Bến Tre",
                "--district",
                "81101",
                "--year",
                "2020",
                "--format",
                "json",
            ]
        )
        == 0
    )


def test_lineage_import_is_atomic_and_not_repeated(store, tmp_path):
    import_lineage(store, LINEAGE)
    with pytest.raises(GeoNtmError, match="already stored"):
        import_lineage(store, LINEAGE)
    assert len(store.vintages()) == 3 and len(store.lineage_events()) == 3
    dry = import_lineage(store, LINEAGE, dry_run=True)
    assert not dry.stored and len(store.vintages()) == 3


def test_broken_lineage_stores_nothing(store, db_location, tmp_path):
    broken = tmp_path / "broken.csv"
    text = LINEAGE.read_text(encoding="utf-8").replace("8110103;8110105", "8110103;9999999")
    broken.write_text(text, encoding="utf-8")
    assert main(["--db", db_location, "lineage", "import", str(broken)]) == 2
    assert len(store.vintages()) == 1 and store.lineage_events() == []


def test_lineage_and_crosswalk_commands(store, db_location, tmp_path, capsys):
    db = db_location
    assert main(["--db", db, "lineage", "import", str(LINEAGE)]) == 0
    assert "derived vintage: 2020-02-01" in capsys.readouterr().out
    assert main(["--db", db, "lineage", "show", "8110105"]) == 0
    assert "merge\tbecame 28777 (Phường An Hội)" in capsys.readouterr().out
    out = tmp_path / "cw.csv"
    assert (
        main(
            [
                "--db",
                db,
                "crosswalk",
                "--from",
                "2019-06-01",
                "--to",
                "2020-06-01",
                "--province",
                "Bến Tre",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    table = pd.read_csv(out, dtype={"old_code": str, "new_code": str})
    real = table[~table["sliver"]]
    my_thanh = real[real["old_code"] == "8110131"].sort_values("shared_ha").iloc[-1]
    assert my_thanh["new_code"] == "8110121" and my_thanh["share_of_old"] > 0.99
    phuong_3 = real[real["old_code"] == "8110105"].sort_values("shared_ha").iloc[-1]
    assert phuong_3["new_code"] == "28777" and phuong_3["share_of_old"] > 0.99
    assert (table["sliver"] == (table[["share_of_old", "share_of_new"]].max(axis=1) < 0.01)).all()
