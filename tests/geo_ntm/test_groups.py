"""Commune groups (issue 13 §2): import from CSV/XLSX on real 2025 units (TEST groups), the group
in force on a date, the refusal of a file that does not say whose numbering it follows, and the
group in the commune view; on both stores."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import pytest

from boundaries.importer import import_boundaries
from geo_ntm.domain import ClassificationKind
from geo_ntm.errors import InputError
from geo_ntm.groups import import_groups_file
from geo_ntm.store import open_store

TEST_FILE = Path(__file__).parents[1] / "data" / "groups_lai_chau_2026_TEST.csv"
LAI_CHAU = "12"


@pytest.fixture(scope="session")
def lai_chau_2025(tmp_path_factory, data_dir) -> Path:
    """The real 2025 units of Tỉnh Lai Châu (38 wards and communes), cut from vn_admin_2025.gpkg."""
    path = tmp_path_factory.mktemp("lai_chau") / "lai_chau_2025.gpkg"
    source = data_dir / "vn_admin_2025.gpkg"
    for layer in ("provinces", "wards"):
        frame = gpd.read_file(source, layer=layer)
        frame[frame["province_code"] == LAI_CHAU].to_file(path, layer=layer, driver="GPKG")
    return path


@pytest.fixture
def store_2025(empty_db_location, lai_chau_2025):
    store = open_store(empty_db_location)
    import_boundaries(store, lai_chau_2025, dt.date(2025, 7, 1), measure_quality=False)
    yield store
    store.close()


def _ids(store) -> dict[str, int]:
    units = store.units(store.vintage_on(dt.date(2026, 1, 1)).vintage_id, geometry=False)
    return dict(zip(units["code"], units["unit_id"], strict=True))


def test_import_matches_by_code_and_name_and_stores_the_group_in_force(store_2025):
    report = import_groups_file(store_2025, TEST_FILE)
    assert report.ok and report.stored, report.text()
    assert (report.rows_read, report.matched, report.groups_stored, report.classifications_stored) == (5, 5, 5, 2)
    assert report.by_group == {1: 1, 2: 2, 3: 2}
    ids = _ids(store_2025)
    binh_lu, sin_suoi_ho, ta_leng, ban_bo = (ids[c] for c in ("03390", "03394", "03405", "03424"))
    march = store_2025.unit_groups([binh_lu, sin_suoi_ho, ta_leng, ban_bo], dt.date(2026, 6, 30))
    assert {u: g.group for u, g in march.items()} == {binh_lu: 3, sin_suoi_ho: 2, ta_leng: 1, ban_bo: 2}
    assert march[binh_lu].decision == "TEST-01/QĐ-UBND" and march[binh_lu].numbering_source == "QĐ 51/2025/QĐ-TTg"
    # the later decision for Xã Bản Bo is in force from its date on; before the first, no group
    assert store_2025.unit_groups([ban_bo], dt.date(2026, 9, 15))[ban_bo].group == 3
    assert store_2025.unit_groups([ban_bo], dt.date(2026, 2, 28)) == {}
    classes = store_2025.unit_classifications([binh_lu, ban_bo], dt.date(2026, 12, 31))
    assert classes[binh_lu][ClassificationKind.ETHNIC_AREA].value == "III"
    assert classes[ban_bo][ClassificationKind.ETHNIC_AREA].value == "II"
    assert ClassificationKind.ADMIN_CLASS not in classes[binh_lu]
    assert store_2025.imports()[-1].kind == "groups"


def test_file_without_numbering_source_is_refused_with_the_reason(store_2025, tmp_path):
    path = tmp_path / "no_numbering_TEST.csv"
    path.write_text(
        "province,code,group,decision,decision_date\nTỉnh Lai Châu,03390,1,TEST-01,2026-03-01\n", encoding="utf-8"
    )
    before = len(store_2025.imports())
    with pytest.raises(InputError, match=r"no numbering_source column\. 2025 drafts .* the other way round"):
        import_groups_file(store_2025, path)
    assert len(store_2025.imports()) == before


def test_bad_rows_are_reported_and_nothing_is_stored(store_2025, tmp_path):
    path = tmp_path / "bad_TEST.csv"
    path.write_text(
        "province,code,commune,group,decision,decision_date,numbering_source\n"
        "Tỉnh Lai Châu,03390,,4,TEST-01,2026-03-01,QĐ 51/2025/QĐ-TTg\n"
        "Tỉnh Lai Châu,99999,,1,TEST-01,2026-03-01,QĐ 51/2025/QĐ-TTg\n"
        "Tỉnh Lai Châu,03394,,2,TEST-01,2026-03-01,\n"
        "Tỉnh Lai Châu,3405,,2,TEST-01,2026-03-01,QĐ 51/2025/QĐ-TTg\n",
        encoding="utf-8",
    )
    report = import_groups_file(store_2025, path)
    assert not report.ok and not report.stored
    assert [i.row for i in report.invalid] == [2, 4]
    assert "1, 2 or 3" in report.invalid[0].message and "other way round" in report.invalid[1].message
    assert [i.row for i in report.unmatched] == [3] and "99999" in report.unmatched[0].message
    assert "unmatched: row 3 (Tỉnh Lai Châu / 99999): commune '99999' not found in Tỉnh Lai Châu" in report.text()
    assert store_2025.unit_groups(list(_ids(store_2025).values()), dt.date(2026, 12, 31)) == {}
    skipped = import_groups_file(store_2025, path, skip_unmatched=True)
    assert skipped.stored and skipped.groups_stored == 1 and skipped.skipped == 3


def test_xlsx_with_vietnamese_headers_and_a_title_row(store_2025, tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Nhóm xã"
    sheet.append(["DỮ LIỆU KIỂM THỬ / TEST DATA: made-up groups on real 2025 communes"])
    sheet.append(
        [
            "Tỉnh",
            "Xã",
            "Nhóm",
            "Số quyết định",
            "Ngày quyết định",
            "Nguồn đánh số",
            "Loại",
            "Văn bản phân loại",
            "Ngày phân loại",
        ]
    )
    sheet.append(
        [
            "Lai Châu",
            "Bình Lư",
            "Nhóm 1",
            "TEST-02",
            dt.datetime(2026, 4, 1),
            "QĐ 51/2025/QĐ-TTg",
            "loại II",
            "TEST-NQ 1",
            "01/04/2026",
        ]
    )
    path = tmp_path / "nhom_xa_TEST.xlsx"
    book.save(path)
    report = import_groups_file(store_2025, path)
    assert report.ok and report.sheet == "Nhóm xã" and report.classifications_stored == 1, report.text()
    binh_lu = _ids(store_2025)["03390"]
    assert store_2025.unit_groups([binh_lu], dt.date(2026, 4, 1))[binh_lu].group == 1
    admin = store_2025.unit_classifications([binh_lu], dt.date(2026, 4, 1))[binh_lu]
    assert admin[ClassificationKind.ADMIN_CLASS].value == "II" and ClassificationKind.ETHNIC_AREA not in admin


def test_group_three_with_khu_vuc_i_is_a_warning_and_dry_run_stores_nothing(store_2025, tmp_path):
    path = tmp_path / "kv_TEST.csv"
    path.write_text(
        "code,group,decision,decision_date,numbering_source,ethnic_area,ethnic_area_act,ethnic_area_date\n"
        "03390,3,TEST-01,2026-03-01,QĐ 51/2025/QĐ-TTg,KV I,TEST-QĐ 60,2026-02-04\n",
        encoding="utf-8",
    )
    report = import_groups_file(store_2025, path, dry_run=True)
    assert report.ok and not report.stored and "khu vực II or III" in report.warnings[0].message
    assert store_2025.unit_groups([_ids(store_2025)["03390"]], dt.date(2027, 1, 1)) == {}


def test_the_store_refuses_a_class_value_of_another_kind(store_2025):
    from geo_ntm.domain import UnitClassification
    from geo_ntm.store.base import ImportRecord

    unit = _ids(store_2025)["03390"]
    wrong = UnitClassification(unit, ClassificationKind.ETHNIC_AREA, "đặc biệt", "TEST-act", dt.date(2026, 1, 1))
    before = len(store_2025.imports())
    with pytest.raises(Exception, match=r"(?i)check"):
        store_2025.add_groups(ImportRecord("groups", "TEST", 1, 1), [], [wrong])
    assert len(store_2025.imports()) == before  # one transaction: nothing stored
