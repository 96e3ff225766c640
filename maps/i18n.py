"""Texts of the maps and the planner's page in Vietnamese (the users' language) and English, and
numbers written the way each language writes them."""

from __future__ import annotations

import math
from collections.abc import Mapping

from geo_ntm.carry import CarryRule
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
        "heading.change.level": "Thay đổi mức đạt chuẩn {a}–{b}",
        "heading.change.criteria_met": "Thay đổi số tiêu chí đạt {a}–{b}",
        # classes
        "class.below_10": "dưới 10",
        "class.10_14": "10–14",
        "class.15_top": "15–{top}",
        "class.15_any": "từ 15, chưa đủ",
        "class.all_met": "Đạt đủ {total}/{total}",
        "class.all_met_any": "Đạt đủ tiêu chí",
        "class.not_reached": "Chưa đạt chuẩn",
        "class.recognised_ntm_kieu_mau": "Được công nhận NTM kiểu mẫu",
        "class.recognised_ntm_nang_cao": "Được công nhận NTM nâng cao",
        "class.recognised_ntm": "Được công nhận đạt chuẩn NTM",
        "class.met_not_recognised": "Đạt đủ tiêu chí, chưa được công nhận",
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
        "class.up": "Lên mức cao hơn",
        "class.same": "Giữ nguyên mức",
        "class.down": "Xuống mức thấp hơn",
        "class.gain_5": "Tăng từ 5 tiêu chí trở lên",
        "class.gain_1": "Tăng 1–4 tiêu chí",
        "class.no_change": "Không đổi",
        "class.loss": "Giảm",
        # tooltips
        "tip.unnamed": "(không tên)",
        "tip.criteria_met": "Tiêu chí đạt",
        "tip.unmet": "Tiêu chí chưa đạt",
        "tip.conflicting": "Các nguồn mâu thuẫn ở tiêu chí",
        "tip.level": "Mức",
        "tip.recognised": "Được công nhận",
        "tip.decision": "QĐ",
        "tip.urban": "Phường/thị trấn: không đánh giá tiêu chí NTM",
        "tip.not_assessed": "Không đánh giá tiêu chí NTM",
        "tip.share": "Tỷ lệ thuộc xã cũ đạt chuẩn",
        "tip.share_known": "Phần có số liệu",
        "tip.old_units": "Đơn vị cũ",
        # measures
        "measure.criteria_met": "Số tiêu chí NTM đạt",
        "measure.level": "Mức đạt chuẩn nông thôn mới",
        "measure.share": "Tỷ lệ thuộc xã đạt chuẩn NTM",
        "measure.tc": "Tiêu chí {n}",
        "measure.tc_named": "Tiêu chí {n}: {name}",
        # classification schemes
        "scheme.standard": "Nhóm chuẩn",
        "scheme.quantiles": "Phân vị (số xã mỗi lớp gần bằng nhau)",
        "scheme.equal_interval": "Khoảng đều",
        "scheme.natural_breaks": "Ngắt tự nhiên (Jenks)",
        # indicators computed from infrastructure layers
        "road.national": "quốc lộ",
        "road.provincial": "đường tỉnh",
        "road.district": "đường huyện",
        "road.commune": "đường xã",
        "road.hamlet": "đường trục thôn, liên thôn",
        "road.alley": "đường ngõ, xóm",
        "road.field": "đường trục chính nội đồng",
        "road.unknown": "đường chưa rõ cấp",
        "surface.asphalt": "nhựa",
        "surface.concrete": "bê tông",
        "surface.other_hardened": "vật liệu cứng khác",
        "surface.gravel": "cấp phối",
        "surface.earth": "đất",
        "surface.unknown": "chưa rõ",
        "ind.km_total": "Tổng chiều dài đường (km)",
        "ind.km_class": "Chiều dài {road} (km)",
        "ind.km_surface": "Chiều dài {road}, mặt {surface} (km)",
        "ind.hardened_share": "Tỷ lệ {road} được cứng hóa",
        "ind.criterion": "Chỉ tiêu {id}: {name}",
        "ind.population": "Dân số (từ lưới dân số)",
        "ind.population_2009": "Dân số năm 2009 (tổng điều tra)",
        "ind.facilities_total": "Số cơ sở hạ tầng (trường, trạm y tế, chợ…)",
        "ind.within": "{label} (trong phạm vi {distance} m)",
        "ind.population_within_share": "Tỷ lệ dân số gần mạng hoặc điểm cấp nước",
        # map frame, PNG and page
        "map.year": "năm {year}",
        "map.boundaries": "ranh giới {name}",
        "map.made": "Lập ngày {day}",
        "map.source": "Nguồn",
        "map.status_sources": "tình trạng tiêu chí: {sources}",
        "map.no_status_source": "chưa có số liệu tiêu chí",
        "map.layer": "lớp {name} ({day})",
        "map.tool": "bản đồ: geo_ntm",
        "map.rows": "{n} xã/phường/thị trấn",
        # carry rules (geo_ntm.carry), under the legend of a map on other boundaries
        "rule.all": "Quy tắc 'all': đơn vị mới đạt một mức NTM chỉ khi mọi đơn vị cũ chiếm trên {pct} "
        "diện tích của nó đều đạt mức đó (có phần là phường, thị trấn cũ thì không đạt)",
        "rule.share_area": "Quy tắc 'share_area': tỷ lệ diện tích của đơn vị mới nằm trong {reached}",
        "rule.share_population": "Quy tắc 'share_population': tỷ lệ dân số của đơn vị mới sống trong "
        "{reached} (dân số mỗi đơn vị cũ coi như phân bố đều theo diện tích)",
        "rule.reached": "các xã cũ đạt từ mức “{level}” trở lên",
    },
    "en": {
        "heading.criteria_met": "NTM criteria met",
        "heading.level": "NTM level",
        "heading.tc": "Criterion {n}",
        "heading.share": "Share in communes at the level",
        "heading.change.level": "Change in NTM level {a}–{b}",
        "heading.change.criteria_met": "Change in criteria met {a}–{b}",
        "class.below_10": "below 10",
        "class.10_14": "10–14",
        "class.15_top": "15–{top}",
        "class.15_any": "15 or more, not all",
        "class.all_met": "All met ({total}/{total})",
        "class.all_met_any": "All criteria met",
        "class.not_reached": "Not yet at NTM standard",
        "class.recognised_ntm_kieu_mau": "Recognised model NTM",
        "class.recognised_ntm_nang_cao": "Recognised advanced NTM",
        "class.recognised_ntm": "Recognised NTM",
        "class.met_not_recognised": "All criteria met, not recognised",
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
        "class.up": "Moved up a level",
        "class.same": "Same level",
        "class.down": "Moved down a level",
        "class.gain_5": "5 or more criteria gained",
        "class.gain_1": "1–4 criteria gained",
        "class.no_change": "No change",
        "class.loss": "Fewer criteria met",
        "tip.unnamed": "(unnamed)",
        "tip.criteria_met": "Criteria met",
        "tip.unmet": "Criteria not met",
        "tip.conflicting": "Sources disagree on criteria",
        "tip.level": "Level",
        "tip.recognised": "Recognised",
        "tip.decision": "decision",
        "tip.urban": "Ward/town: not assessed on NTM criteria",
        "tip.not_assessed": "Not assessed on NTM criteria",
        "tip.share": "Share in former communes at the level",
        "tip.share_known": "Share with data",
        "tip.old_units": "Former units",
        "measure.criteria_met": "NTM criteria met",
        "measure.level": "New Rural level reached",
        "measure.share": "Share in NTM communes",
        "measure.tc": "Criterion {n}",
        "measure.tc_named": "Criterion {n}: {name}",
        "scheme.standard": "Standard classes",
        "scheme.quantiles": "Quantiles (about as many communes per class)",
        "scheme.equal_interval": "Equal intervals",
        "scheme.natural_breaks": "Natural breaks (Jenks)",
        "road.national": "national roads",
        "road.provincial": "provincial roads",
        "road.district": "district roads",
        "road.commune": "commune roads",
        "road.hamlet": "hamlet-axis and inter-hamlet roads",
        "road.alley": "alleys",
        "road.field": "main field roads",
        "road.unknown": "roads of unknown class",
        "surface.asphalt": "asphalt",
        "surface.concrete": "concrete",
        "surface.other_hardened": "other hardened",
        "surface.gravel": "gravel",
        "surface.earth": "earth",
        "surface.unknown": "unknown",
        "ind.km_total": "Road length, all classes (km)",
        "ind.km_class": "Length of {road} (km)",
        "ind.km_surface": "Length of {road}, {surface} surface (km)",
        "ind.hardened_share": "Share of {road} hardened",
        "ind.criterion": "Indicator {id}: {name}",
        "ind.population": "Population (from the population grid)",
        "ind.population_2009": "Population 2009 (census)",
        "ind.facilities_total": "Facilities (schools, health stations, markets…)",
        "ind.within": "{label} (within {distance} m)",
        "ind.population_within_share": "Share of people near the water network or a supply point",
        "map.year": "year {year}",
        "map.boundaries": "boundaries {name}",
        "map.made": "Made on {day}",
        "map.source": "Source",
        "map.status_sources": "criterion statuses: {sources}",
        "map.no_status_source": "no criterion statuses",
        "map.layer": "layer {name} ({day})",
        "map.tool": "map: geo_ntm",
        "map.rows": "{n} communes, wards and towns",
        "rule.all": "Rule 'all': a new unit reaches an NTM level only if every old unit making up more than "
        "{pct} of its area reached it (a part that was a ward or town has no level)",
        "rule.share_area": "Rule 'share_area': share of the new unit's area that lay in {reached}",
        "rule.share_population": "Rule 'share_population': share of the new unit's population that lived in "
        "{reached} (each old unit's population spread evenly over its area)",
        "rule.reached": "old communes at level “{level}” or above",
    },
}

#: Texts of the planner's page (buttons, labels, table headings), sent to the page whole.
_UI = {
    "vi": {
        "title": "Bản đồ nông thôn mới",
        "province": "Tỉnh/thành phố",
        "district": "Huyện/quận",
        "whole": "Toàn tỉnh",
        "year": "Năm",
        "boundaries": "Ranh giới",
        "of_year": "theo năm số liệu",
        "rule": "Quy tắc chuyển đổi",
        "measure": "Chỉ tiêu hiển thị",
        "scheme": "Cách phân lớp",
        "classes": "Số lớp",
        "compare": "So sánh",
        "compare_none": "Không so sánh",
        "compare_side": "Hai năm cạnh nhau",
        "compare_change": "Mức thay đổi",
        "compare_year": "Năm so sánh",
        "group_assessment": "Kết quả đánh giá",
        "group_criteria": "Từng tiêu chí",
        "group_indicators": "Chỉ số tính từ lớp hạ tầng",
        "view_map": "Bản đồ",
        "view_table": "Bảng số liệu",
        "export": "Xuất ảnh PNG",
        "print": "In bản đồ",
        "other_lang": "English",
        "loading": "Đang tải…",
        "computing": "Đang tính chỉ số từ lớp hạ tầng (lần đầu hỏi)…",
        "job_failed": "việc tính toán không thành công",
        "error": "Lỗi",
        "has_data": "có số liệu",
        "close": "Đóng",
        "criteria": "Các tiêu chí",
        "history": "Mức đạt chuẩn qua các năm",
        "indicators": "Chỉ số hạ tầng",
        "source": "Nguồn",
        "framework": "Bộ tiêu chí",
        "decisions": "Quyết định công nhận",
        "status_met": "Đạt",
        "status_unmet": "Chưa đạt",
        "status_conflicting": "Mâu thuẫn giữa các nguồn",
        "status_no_data": "Chưa có số liệu",
        "not_assessed": "Phường/thị trấn: không đánh giá tiêu chí NTM",
        "col_name": "Tên",
        "col_district": "Huyện/quận",
        "col_level": "Mức đạt",
        "col_met": "Tiêu chí đạt",
        "col_unmet": "Tiêu chí chưa đạt",
        "col_value": "Giá trị",
        "col_class": "Nhóm",
        "col_year": "Năm",
        "col_criterion": "Tiêu chí",
        "col_status": "Tình trạng",
        "col_change": "Thay đổi",
        "col_communes": "Số xã",
        "col_conflicting": "Mâu thuẫn",
        "col_missing": "Còn thiếu",
        "col_next": "Mức tiếp theo",
        "col_indicator": "Chỉ số",
        "col_verdict": "Đánh giá",
        "near_next": "Xã còn thiếu 1–2 tiêu chí để đạt mức tiếp theo",
        "most_unmet": "Tiêu chí chưa đạt nhiều nhất",
        "none": "Không có",
        "sort_hint": "Bấm tiêu đề cột để sắp xếp",
        "not_reached": "Chưa đạt chuẩn",
        "level_none": "—",
        "map_label": "Bản đồ các xã",
        "reached": "Đạt mức",
        "empty": "Chưa có ranh giới hành chính trong kho dữ liệu. Chạy: geo-ntm demo",
    },
    "en": {
        "title": "New Rural Development map",
        "province": "Province",
        "district": "District",
        "whole": "Whole province",
        "year": "Year",
        "boundaries": "Boundaries",
        "of_year": "of the status year",
        "rule": "Carry rule",
        "measure": "Measure",
        "scheme": "Classification",
        "classes": "Classes",
        "compare": "Compare",
        "compare_none": "No comparison",
        "compare_side": "Two years side by side",
        "compare_change": "Change",
        "compare_year": "Compare with year",
        "group_assessment": "Assessment",
        "group_criteria": "Single criterion",
        "group_indicators": "Indicators from infrastructure layers",
        "view_map": "Map",
        "view_table": "Table",
        "export": "Export PNG",
        "print": "Print map",
        "other_lang": "Tiếng Việt",
        "loading": "Loading…",
        "computing": "Computing the indicator from the infrastructure layer (first question)…",
        "job_failed": "the computation failed",
        "error": "Error",
        "has_data": "with data",
        "close": "Close",
        "criteria": "Criteria",
        "history": "Level over the years",
        "indicators": "Infrastructure indicators",
        "source": "Source",
        "framework": "Criteria set",
        "decisions": "Recognition decisions",
        "status_met": "Met",
        "status_unmet": "Not met",
        "status_conflicting": "Sources disagree",
        "status_no_data": "No data",
        "not_assessed": "Ward/town: not assessed on NTM criteria",
        "col_name": "Name",
        "col_district": "District",
        "col_level": "Level",
        "col_met": "Criteria met",
        "col_unmet": "Criteria not met",
        "col_value": "Value",
        "col_class": "Class",
        "col_year": "Year",
        "col_criterion": "Criterion",
        "col_status": "Status",
        "col_change": "Change",
        "col_communes": "Communes",
        "col_conflicting": "Disputed",
        "col_missing": "Missing",
        "col_next": "Next level",
        "col_indicator": "Indicator",
        "col_verdict": "Verdict",
        "near_next": "Communes one or two criteria short of the next level",
        "most_unmet": "Criteria most often not met",
        "none": "None",
        "sort_hint": "Click a column heading to sort",
        "not_reached": "Not yet at NTM standard",
        "level_none": "—",
        "map_label": "Map of the communes",
        "reached": "Level reached",
        "empty": "No boundaries in the store yet. Run: geo-ntm demo",
    },
}


def texts(lang: str) -> Mapping[str, str]:
    """All texts of one language; an InputError for languages other than ``vi`` and ``en``."""
    try:
        return _TEXTS[lang]
    except KeyError:
        raise InputError(f"unknown map language {lang!r}: use one of {', '.join(LANGS)}") from None


def ui_texts(lang: str) -> Mapping[str, str]:
    """The planner page's texts of one language."""
    texts(lang)
    return _UI[lang]


def level_label(level: str, lang: str) -> str:
    """The label of a recognition level (``ntm``, ``ntm_nang_cao``, ``ntm_kieu_mau``)."""
    vi, en = LEVELS[level]
    return vi if lang == "vi" else en


def rule_label(rule: CarryRule, lang: str) -> str:
    """A sentence that states the carry ``rule`` (its sliver tolerance and the level its shares
    count), for map legends and API answers."""
    t = texts(lang)
    pct = f"{rule.sliver_tolerance * 100:g}%"
    reached = t["rule.reached"].format(level=level_label(rule.level, lang))
    return t[f"rule.{rule.name}"].format(pct=pct.replace(".", ",") if lang == "vi" else pct, reached=reached)


def format_number(value: float | None, unit: str, lang: str) -> str:
    """``value`` as the language writes it: shares as percentages, km with two decimals, people
    and counts as whole numbers (Vietnamese: ``1.234,5``; English: ``1,234.5``); "–" when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if unit == "share":
        text = f"{value * 100:,.1f}%"
    elif unit == "km":
        text = f"{value:,.2f} km"
    elif float(value).is_integer() or unit == "people":
        text = f"{round(value):,}"
    else:
        text = f"{value:,.2f}"
    return text.translate(str.maketrans(",.", ".,")) if lang == "vi" else text
