"""The map measures of issue 13 §4 and §5 on both stores, on the real 2025 wards of Đồng Tháp:
``baseline_recognised_share`` (the former xã recognised before the merger, by the real Hồng Ngự
decisions; the legend says "before the merger") and ``target_progress`` (a target file labelled
TEST DATA; the source line says when no target is loaded)."""

from __future__ import annotations

import pytest

from geo_ntm.frameworks import get_framework
from geo_ntm.targets import import_targets
from geo_ntm.where import resolve_where
from maps.choropleth import MapRequest, build_choropleth
from maps.measures import offered_measures, parse_measure

VINTAGE_2025 = "2025-07-01 vn_admin_2025"


def _map(store_2025, measure: str, year: int, lang: str = "en", scheme: str | None = None):
    where = resolve_where(store_2025, vintage=VINTAGE_2025, year=year, province="Đồng Tháp")
    return build_choropleth(store_2025, MapRequest(where, measure, scheme=scheme, lang=lang))


def test_baseline_share_map(store_2025):
    layer = _map(store_2025, "baseline_recognised_share_ntm_nang_cao", 2026)
    assert "before the merger" in layer.classification.heading and "Advanced NTM" in layer.classification.heading
    by_code = {f["properties"]["code"]: f["properties"] for f in layer.features()}
    hong_ngu = by_code["29955"]
    assert hong_ngu["class"] == "share_75" and hong_ngu["value"] == pytest.approx(0.909, abs=0.005)
    assert hong_ngu["level"] is None  # the new ward's own level: no decision names it
    assert sum(p["class"] == "share_0" for p in by_code.values()) == len(by_code) - 1
    assert "before the merger" in layer.source
    quantiles = _map(store_2025, "baseline_recognised_share", 2026, scheme="quantiles")
    assert {e.key for e in quantiles.classification.legend if e.count} >= {"n1"}


def test_baseline_share_is_offered_after_a_merger_only(store_2025):
    names = [m.name for m in offered_measures(store_2025, 2026, get_framework("qd318_2022"), carried=False)]
    assert "baseline_recognised_share_ntm_kieu_mau" in names and "target_progress" in names
    offered_2020 = offered_measures(store_2025, 2020, get_framework("qd318_2022"), False)
    assert not [m for m in offered_2020 if "baseline" in m.name]
    assert parse_measure("baseline_recognised_share_ntm_nang_cao").name == "baseline_recognised_share_ntm_nang_cao"


def test_target_progress_map(store_2025, tmp_path):
    def progress_map(lang: str):
        where = resolve_where(store_2025, year=2021, province="Đồng Tháp")  # the 2009 boundaries of 2021
        return build_choropleth(store_2025, MapRequest(where, "target_progress", lang=lang))

    assert "no target loaded for Tỉnh Đồng Tháp" in progress_map("en").source
    path = tmp_path / "targets_TEST.csv"
    path.write_text(
        "province,commune,level,year,source\n"
        "Đồng Tháp,Tân Hội,ntm_nang_cao,2022,TEST DATA\nĐồng Tháp,8030809,ntm_nang_cao,2025,TEST DATA\n",
        encoding="utf-8",
    )
    import_targets(store_2025, path)
    layer = progress_map("vi")
    assert "mục tiêu: TEST DATA" in layer.source
    classes = {f["properties"]["code"]: f["properties"]["class"] for f in layer.features()}
    # 2021: Tân Hội 3 criteria short with a year left, Bình Thạnh 5 with four years left
    assert (classes["8030807"], classes["8030809"]) == ("target_behind", "target_on_track")
    assert {k for c, k in classes.items() if c not in ("8030807", "8030809")} <= {"no_data", "not_assessed"}
    legend = {e.key: e.label for e in layer.classification.legend}
    assert legend["target_on_track"] == "Đúng tiến độ"
