"""The baseline before the merger and the targets with progress against them (issue 13 §4, §5),
on both stores: the real 2009 and 2025 boundaries, the real recognitions of Hồng Ngự (Đồng Tháp,
shared sample), and small target files labelled TEST DATA (their figures are not real plans)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import replace

import openpyxl
import pytest

from geo_ntm.baseline import baseline
from geo_ntm.domain import AdminTier, Target
from geo_ntm.errors import InputError
from geo_ntm.places import find_unit
from geo_ntm.store import open_store
from geo_ntm.store.base import ImportRecord
from geo_ntm.store.gpkg_schema import SCHEMA_VERSION
from geo_ntm.targets import import_targets, parse_share, path_share, progress

TEST_SOURCE = "TEST DATA: not a real plan"
#: Phường Hồng Ngự (2025): the former Xã Bình Thạnh, Xã Tân Hội (both recognised NTM nâng cao by
#: decisions of the shared sample) and Phường An Thạnh. Bình Thạnh is named by its 2009 code: four
#: communes of Đồng Tháp bear the name, tone-insensitively.
HONG_NGU_2025 = "29955"

COMMUNE_TARGETS = f"""province,commune,level,year,source
Đồng Tháp,Tân Hội,NTM nâng cao,2022,{TEST_SOURCE}
Đồng Tháp,8030809,ntm_nang_cao,2025,{TEST_SOURCE}
"""
PROVINCE_TARGETS = f"""Tỉnh,Mức,Năm,Tỷ lệ,Năm gốc,Tỷ lệ năm gốc,Nguồn
Đồng Tháp,NTM nâng cao,2025,10%,2020,0,{TEST_SOURCE}
"""


def _province(store_2025, year: int, name: str):
    vintage = store_2025.vintage_for_year(year)
    return find_unit(store_2025.unit_records(vintage.vintage_id, AdminTier.PROVINCE), name, "province")


def test_baseline_of_a_merged_commune(store_2025):
    new = store_2025.vintage_on(dt.date(2025, 7, 1))
    (b,) = baseline(store_2025, new, HONG_NGU_2025)
    assert b.former_vintage.startswith("2009-04-01") and b.as_of == dt.date(2025, 6, 30)
    former = {f.name: f for f in b.former}
    assert set(former) == {"Xã Bình Thạnh", "Xã Tân Hội", "Phường An Thạnh"}
    assert former["Xã Bình Thạnh"].recognised_level == "ntm_nang_cao"
    assert [d.decision for d in former["Xã Tân Hội"].decisions] == ["694/QĐ-UBND-HC"]
    assert former["Phường An Thạnh"].recognised_level is None
    # nested levels: the nâng cao xã count at ntm too; the ward's area stays in the whole
    share = former["Xã Bình Thạnh"].share_of_new + former["Xã Tân Hội"].share_of_new
    assert b.area_share["ntm"] == b.area_share["ntm_nang_cao"] == pytest.approx(share, abs=1e-5)
    assert 0.85 < b.area_share["ntm"] < 0.95 and b.area_share["ntm_kieu_mau"] == 0
    # population: the 2009 census split by area share; the ward is dense, so the share is lower
    assert b.population_share["ntm"] == pytest.approx(0.4912, abs=1e-3)
    d = b.to_dict()
    assert d["history"] is True and "recognised_level" not in d


def test_baseline_as_of_leaves_out_later_decisions(store_2025):
    new = store_2025.vintage_on(dt.date(2025, 7, 1))
    (b,) = baseline(store_2025, new, [HONG_NGU_2025], as_of=dt.date(2023, 12, 31))
    # Bình Thạnh's decision is of 16 February 2024: only Tân Hội held nâng cao then
    assert b.area_share["ntm_nang_cao"] == pytest.approx(
        next(f.share_of_new for f in b.former if f.name == "Xã Tân Hội"), abs=1e-5
    )
    with pytest.raises(InputError, match="not before"):
        baseline(store_2025, new, HONG_NGU_2025, as_of=dt.date(2025, 7, 1))
    with pytest.raises(InputError, match="no commune with code"):
        baseline(store_2025, new, "99999999")


def test_baseline_of_a_province(store_2025):
    new = store_2025.vintage_on(dt.date(2025, 7, 1))
    dong_thap = _province(store_2025, 2026, "Đồng Tháp")
    found = baseline(store_2025, new, province_code=dong_thap.province_code)
    assert len(found) == len(store_2025.units(new.vintage_id, AdminTier.COMMUNE, province_code=dong_thap.province_code))
    recognised = [b.code for b in found if b.area_share["ntm"] > 0]
    assert HONG_NGU_2025 in recognised and all(b.coverage > 0.9 for b in found)


def test_no_target_says_so(store_2025):
    found = progress(store_2025, _province(store_2025, 2021, "Vĩnh Long"), 2021)
    assert not found.targets_loaded and "no target loaded" in found.to_dict()["message"]


def test_targets_import_and_progress(store_2025, tmp_path):
    path = tmp_path / "commune_targets.csv"
    path.write_text(COMMUNE_TARGETS, encoding="utf-8")
    report = import_targets(store_2025, path)
    assert (report.commune_targets, report.province_targets) == (2, 0)
    import_targets(store_2025, path)  # again: replaces, never doubles
    book = openpyxl.Workbook()
    for line in PROVINCE_TARGETS.strip().splitlines():
        book.active.append(line.split(","))
    book.save(tmp_path / "province_targets.xlsx")
    assert import_targets(store_2025, tmp_path / "province_targets.xlsx").province_targets == 1

    dong_thap = _province(store_2025, 2021, "Đồng Tháp")
    found = progress(store_2025, dong_thap, 2021)
    assert found.targets_loaded and len(found.communes) == 2
    by_name = {c.name: c for c in found.communes}
    # 2021: Tân Hội 16/19 with one year left -> 3 a year, behind; Bình Thạnh 14/19 with 4 -> on track
    assert (by_name["Xã Tân Hội"].unmet, by_name["Xã Tân Hội"].status) == (3, "behind")
    assert (by_name["Xã Bình Thạnh"].unmet_per_year, by_name["Xã Bình Thạnh"].status) == (1.25, "on_track")
    assert {c.status for c in progress(store_2025, dong_thap, 2023).communes} == {"reached"}
    (p,) = progress(store_2025, dong_thap, 2023).province_targets
    # the path from 0 in 2020 to 10% in 2025 stands at 6% in 2023; 2 xã recognised are far below it
    assert p.path_share == pytest.approx(0.06) and p.recognised == 2 and p.status == "behind"
    assert p.recognised_share == pytest.approx(2 / p.communes, abs=1e-4)


def test_bad_target_file_changes_nothing(store_2025, tmp_path):
    before = store_2025.targets()
    path = tmp_path / "bad.csv"
    path.write_text(
        f"province,commune,level,year,source\nĐồng Tháp,Xã Không Có,ntm,2024,{TEST_SOURCE}\n"
        "Đồng Tháp,Tân Hội,NTM siêu cấp,2024,x\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"row 2: .*Không Có.*row 3: level 'NTM siêu cấp'"):
        import_targets(store_2025, path)
    assert store_2025.targets() == before


def test_path_and_share_rules():
    assert path_share([(2026, 0.15), (2030, 0.65)], 2028) == pytest.approx(0.40)
    assert path_share([(2026, 0.15), (2030, 0.65)], 2025) is None
    assert path_share([(2026, 0.15), (2030, 0.65)], 2031) == 0.65
    assert parse_share("65%") == parse_share("65") == parse_share("0.65") == 0.65
    with pytest.raises(ValueError):
        parse_share("165%")


def test_a_schema_10_file_gets_the_targets_table(new_location):
    """Schema 13 adds ``targets`` with an idempotent step: a GeoPackage of schema 10 without it gets
    it and takes targets (with their import record)."""
    location = new_location("gpkg")
    open_store(location).close()
    conn = sqlite3.connect(location, isolation_level=None)
    conn.execute("DROP TABLE targets")
    conn.execute("UPDATE geo_ntm_meta SET value = '10' WHERE key = 'schema_version'")
    conn.close()
    with open_store(location) as s:
        assert s.schema_version == SCHEMA_VERSION and s.targets() == []
        unit = s.unit_records(s.vintages()[0].vintage_id, AdminTier.PROVINCE)[0]
        target = Target(unit.unit_id, "ntm", 2030, TEST_SOURCE, share=0.5)
        import_id = s.add_targets(ImportRecord("targets", "t_TEST.csv", 1, 1), [target])
        assert s.targets([unit.unit_id]) == [replace(target, import_id=import_id)]
