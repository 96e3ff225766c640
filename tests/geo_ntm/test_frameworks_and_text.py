"""Criteria frameworks shipped as data, and the name normalisation rules."""

from __future__ import annotations

import unicodedata

import pytest

from cli.main import main
from geo_ntm.domain import AdminTier, UnitType
from geo_ntm.errors import NotFoundError
from geo_ntm.frameworks import all_frameworks, get_framework
from geo_ntm.text import fold, name_key, nfc, split_prefix


def test_shipped_frameworks():
    fws = all_frameworks()
    assert {"qd491_2009", "qd1980_2016", "qd318_2022", "qd558_2016"} <= set(fws)
    qd1980 = get_framework("qd1980_2016")
    assert qd1980.criteria_total == 19 and qd1980.levels == ("ntm",)
    assert [c.number for c in qd1980.criteria] == list(range(1, 20))
    assert qd1980.criterion(17).name_vi == "Môi trường và an toàn thực phẩm"
    qd318 = get_framework("qd318_2022")
    assert qd318.levels == ("ntm", "ntm_nang_cao") and qd318.years == (2021, 2025)
    assert qd318.criterion(3).name_vi == "Thủy lợi và phòng, chống thiên tai"
    assert qd318.criterion(11).name_en == "Multidimensional poverty"
    district = get_framework("qd558_2016")
    assert district.applies_to is AdminTier.DISTRICT and district.criteria_total == 9
    for fw in fws.values():
        for c in fw.criteria:
            assert c.name_vi and c.name_en and unicodedata.is_normalized("NFC", c.name_vi)
    with pytest.raises(NotFoundError, match="qd1980_2016"):
        get_framework("qd999")


def test_frameworks_command(capsys):
    assert main(["frameworks"]) == 0
    out = capsys.readouterr().out
    assert "qd1980_2016" in out and "qd318_2022" in out and "qd558_2016" in out and "NTM nâng cao" in out
    assert main(["frameworks", "--id", "qd558_2016"]) == 0
    out = capsys.readouterr().out
    assert "9. Chỉ đạo xây dựng NTM" in out


def test_nfc_and_fold():
    decomposed = unicodedata.normalize("NFD", "Xã Mỹ Thành")
    assert nfc(decomposed) == "Xã Mỹ Thành" and nfc("  Phường  Nghĩa   Phú ") == "Phường Nghĩa Phú"
    assert nfc(float("nan")) is None and nfc("   ") is None
    assert fold("Long Đức") == fold("Long Đực") == fold("long duc") == "long duc"
    assert fold("Hoà") == fold("Hòa") and fold("Tân Hùng") == fold("Tân Hưng")
    assert fold("Phú Cần") != fold("Phù Cầu")  # a real misspelling is not hidden by folding


@pytest.mark.parametrize(
    "text, types, rest",
    [
        ("Xã Phú Hưng", (UnitType.XA,), "Phú Hưng"),
        ("TP. Đồng Hới", (UnitType.THANH_PHO,), "Đồng Hới"),
        ("Thành phố Bến Tre", (UnitType.THANH_PHO,), "Bến Tre"),
        ("TT. Châu Thành", (UnitType.THI_TRAN,), "Châu Thành"),
        ("P.5", (UnitType.PHUONG,), "5"),
        ("Phường 5", (UnitType.PHUONG,), "5"),
        ("Phương Thạnh", (), "Phương Thạnh"),  # a commune, not "Phường Thạnh"
        ("Xuân Hòa", (), "Xuân Hòa"),  # starts with "X" but has no prefix
        ("Thị xã Duyên Hải", (UnitType.THI_XA,), "Duyên Hải"),
        ("Thạnh Phú", (), "Thạnh Phú"),
    ],
)
def test_split_prefix(text, types, rest):
    assert split_prefix(text) == (types, rest)


def test_name_key_ignores_prefix_and_tones():
    assert name_key("Xã Nhơn Thạnh") == name_key("Nhon Thanh") == "nhon thanh"
    assert name_key("Phương Thạnh") != name_key("Phường Thạnh")
