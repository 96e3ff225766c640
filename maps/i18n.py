"""Texts of the map pages in Vietnamese (the users' language) and English."""

from __future__ import annotations

from collections.abc import Mapping

from geo_ntm.domain import LEVELS
from geo_ntm.errors import InputError

LANGS = ("vi", "en")

_TEXTS = {
    "vi": {
        # legend headings
        "heading.criteria_met": "Số tiêu chí NTM đạt",
        "heading.level": "Mức đạt chuẩn NTM",
        "heading.tc": "Tiêu chí số {n}",
        "heading.share": "Tỷ lệ thuộc xã đạt chuẩn",
        # classes
        "class.below_10": "dưới 10",
        "class.10_14": "10–14",
        "class.15_top": "15–{top}",
        "class.15_any": "từ 15, chưa đủ",
        "class.all_met": "Đạt đủ {total}/{total}",
        "class.all_met_any": "Đạt đủ tiêu chí",
        "class.not_reached": "Chưa đạt chuẩn",
        "class.met": "Đạt",
        "class.unmet": "Chưa đạt",
        "class.conflict": "Mâu thuẫn giữa các nguồn",
        "class.no_data": "Chưa có số liệu",
        "class.not_assessed": "Không đánh giá",
        "class.share_100": "Toàn bộ (100%)",
        "class.share_75": "75% – dưới 100%",
        "class.share_50": "50% – dưới 75%",
        "class.share_25": "25% – dưới 50%",
        "class.share_0": "dưới 25%",
        # tooltips
        "tip.unnamed": "(không tên)",
        "tip.criteria_met": "Tiêu chí đạt",
        "tip.unmet": "Tiêu chí chưa đạt",
        "tip.conflicting": "Các nguồn mâu thuẫn ở tiêu chí",
        "tip.level": "Mức",
        "tip.urban": "Phường/thị trấn: không đánh giá tiêu chí NTM",
        "tip.not_assessed": "Không đánh giá tiêu chí NTM",
        "tip.share": "Tỷ lệ thuộc xã cũ đạt chuẩn",
        "tip.share_known": "Phần có số liệu",
        "tip.old_units": "Đơn vị cũ",
    },
    "en": {
        "heading.criteria_met": "NTM criteria met",
        "heading.level": "NTM level",
        "heading.tc": "Criterion {n}",
        "heading.share": "Share in communes at the level",
        "class.below_10": "below 10",
        "class.10_14": "10–14",
        "class.15_top": "15–{top}",
        "class.15_any": "15 or more, not all",
        "class.all_met": "All met ({total}/{total})",
        "class.all_met_any": "All criteria met",
        "class.not_reached": "Not yet at NTM standard",
        "class.met": "Met",
        "class.unmet": "Not met",
        "class.conflict": "Sources disagree",
        "class.no_data": "No data",
        "class.not_assessed": "Not assessed",
        "class.share_100": "All (100%)",
        "class.share_75": "75% to under 100%",
        "class.share_50": "50% to under 75%",
        "class.share_25": "25% to under 50%",
        "class.share_0": "under 25%",
        "tip.unnamed": "(unnamed)",
        "tip.criteria_met": "Criteria met",
        "tip.unmet": "Criteria not met",
        "tip.conflicting": "Sources disagree on criteria",
        "tip.level": "Level",
        "tip.urban": "Ward/town: not assessed on NTM criteria",
        "tip.not_assessed": "Not assessed on NTM criteria",
        "tip.share": "Share in former communes at the level",
        "tip.share_known": "Share with data",
        "tip.old_units": "Former units",
    },
}


def texts(lang: str) -> Mapping[str, str]:
    """All texts of one language; an InputError for languages other than ``vi`` and ``en``."""
    try:
        return _TEXTS[lang]
    except KeyError:
        raise InputError(f"unknown map language {lang!r}: use one of {', '.join(LANGS)}") from None


def level_label(level: str, lang: str) -> str:
    """The label of a recognition level (``ntm``, ``ntm_nang_cao``, ``ntm_kieu_mau``)."""
    vi, en = LEVELS[level]
    return vi if lang == "vi" else en
