"""The queryable properties the built-in collections share: those of every unit, the status of its
own NTM assessment (every tier), and those of a commune (JSON Schema type and a Vietnamese / English title each)."""

from __future__ import annotations

from api.ogc.collections.base import Queryable

UNIT_QUERYABLES = {
    "code": Queryable("string", "Mã đơn vị (mã của nguồn ranh giới) / Unit code"),
    "name": Queryable("string", "Tên đầy đủ / Full name"),
    "unit_type": Queryable(
        "string", "Loại đơn vị (xa, phuong, thi_tran, huyen, quan, thi_xa, thanh_pho, tinh) / Unit type"
    ),
    "province": Queryable("string", "Tên tỉnh / Province name"),
    "admin_level": Queryable("string", "Cấp hành chính (province, district, commune) / Administrative level"),
    "population": Queryable("number", "Dân số trong tệp ranh giới / Population of the boundary file"),
    "area_ha": Queryable("number", "Diện tích (ha) / Area in hectares"),
}
#: The status of a unit's own assessment, on every tier.
STATUS_QUERYABLES = {
    "assessed": Queryable("boolean", "Đơn vị được đánh giá NTM / A unit assessed for NTM"),
    "year": Queryable("integer", "Năm của kết quả / Status year"),
    "framework": Queryable("string", "Bộ tiêu chí / Criteria framework"),
    "level": Queryable(
        "string", "Mức đạt (công nhận hoặc đạt đủ tiêu chí: ntm, ntm_nang_cao, ...) / NTM level reached"
    ),
    "recognised_level": Queryable(
        "string", "Mức được công nhận theo quyết định (ntm, ntm_nang_cao, ntm_kieu_mau) / Level recognised by decision"
    ),
    "recognition_decision": Queryable("string", "Số quyết định công nhận / Recognition decision number"),
    "recognition_date": Queryable("string", "Ngày quyết định công nhận (yyyy-mm-dd) / Recognition decision date"),
    "recognition_year": Queryable("integer", "Năm được công nhận / Year the recognition is for"),
    "recognition_framework": Queryable("string", "Bộ tiêu chí của quyết định / Framework of the decision"),
    "all_criteria_met_not_recognised": Queryable(
        "boolean", "Đạt đủ tiêu chí, chưa được công nhận / All criteria met, not recognised"
    ),
    "criteria_met": Queryable("integer", "Số tiêu chí đạt / Criteria met"),
    "criteria_total": Queryable("integer", "Tổng số tiêu chí / Criteria in the framework"),
}
#: A district's or province's own status: its recognised level is "hoàn thành nhiệm vụ".
TIER_QUERYABLES = STATUS_QUERYABLES | {
    "completed_task": Queryable(
        "boolean", "Hoàn thành nhiệm vụ xây dựng NTM (thị xã, thành phố, tỉnh) / Completed the NTM task"
    ),
}
COMMUNE_QUERYABLES = STATUS_QUERYABLES | {
    "district": Queryable("string", "Tên huyện / District name"),
    "flag": Queryable("string", "Cờ: unnamed, not_admin_unit / Flag"),
    "carry_rule": Queryable("string", "Quy tắc chuyển kết quả / Carry rule"),
    "carried_from_year": Queryable("integer", "Năm của kết quả được chuyển / Year carried from"),
    "coverage": Queryable("number", "Tỷ lệ diện tích có đơn vị cũ / Share of area covered by old units"),
    "share": Queryable("number", "Tỷ lệ đạt (quy tắc share_*) / Share that reached the level"),
    "share_known": Queryable("number", "Tỷ lệ có dữ liệu / Share with data"),
    "share_assessed": Queryable("number", "Tỷ lệ được đánh giá / Share assessed"),
    "ntm_group": Queryable("integer", "Nhóm xã NTM (1, 2, 3; QĐ 51/2025) / NTM commune group"),
    "ntm_group_decision": Queryable("string", "Quyết định xếp nhóm / Decision that set the group"),
    "ntm_group_date": Queryable("string", "Ngày quyết định xếp nhóm (yyyy-mm-dd) / Date of that decision"),
    "ethnic_area": Queryable("string", "Khu vực vùng DTTS (I, II, III; NĐ 272/2025) / Ethnic-minority area class"),
    "admin_class": Queryable("string", "Loại đơn vị hành chính (I, II, III, đặc biệt) / Administrative class"),
}
#: Properties of a unit's status that are lists of criterion numbers (in the schema, not queryable).
COMMUNE_ARRAYS = {
    "criteria_unmet": "Tiêu chí chưa đạt / Unmet criteria",
    "criteria_conflicting": "Tiêu chí mâu thuẫn / Criteria with conflicting sources",
}
