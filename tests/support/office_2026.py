"""The files a provincial office of Đồng Tháp uploads in 2026 (issue 13), shared by the workflow
test over HTTP and the planner's browser test: TEST DATA, real 2025 commune names and GSO codes
(``vn_admin_2025.gpkg``), made-up groups, statuses, decisions and targets."""

from __future__ import annotations

NOTE = "DỮ LIỆU KIỂM THỬ / TEST DATA: made up for the geo_ntm tests on real 2025 communes of Đồng Tháp"
#: Three xã of Đồng Tháp formed on 1 July 2025 (vn_admin_2025.gpkg) and the ward that holds the
#: recognised xã of Hồng Ngự before the merger.
TAN_PHUOC_1, HUNG_THANH, CAI_BE, HONG_NGU = "28321", "28336", "28360", "29955"
GROUPS = f"""province,code,commune,group,decision,decision_date,numbering_source,source
Đồng Tháp,{TAN_PHUOC_1},Xã Tân Phước 1,1,TEST-01/QĐ-UBND,2026-03-01,QĐ 51/2025/QĐ-TTg,{NOTE}
Đồng Tháp,{HUNG_THANH},Xã Hưng Thạnh,2,TEST-01/QĐ-UBND,2026-03-01,QĐ 51/2025/QĐ-TTg,{NOTE}
Đồng Tháp,,Cái Bè,2,TEST-01/QĐ-UBND,2026-03-01,QĐ 51/2025/QĐ-TTg,{NOTE}
"""
MET = ",".join(["Đạt"] * 10)
STATUSES = f"""Tỉnh,Xã,Năm,Bộ tiêu chí,Cấp,TC1,TC2,TC3,TC4,TC5,TC6,TC7,TC8,TC9,TC10,Nguồn
Đồng Tháp,Tân Phước 1,2026,qd51_2025,ntm,{MET},{NOTE}
Đồng Tháp,Hưng Thạnh,2026,qd51_2025,ntm,Đạt,Chưa đạt,{",".join(["Đạt"] * 8)},{NOTE}
Đồng Tháp,Cái Bè,2026,qd51_2025,ntm,{MET},{NOTE}
"""
INDICATORS = f"""Tỉnh,Xã,Năm,Bộ tiêu chí,Cấp,Tiêu chí,Tình trạng,Nguồn
Đồng Tháp,Hưng Thạnh,2026,qd51_2025,ntm,2.1,85%,{NOTE}
Đồng Tháp,Tân Phước 1,2026,qd51_2025,ntm,2.1,100%,{NOTE}
"""
RECOGNITION = f"""Tỉnh,Xã,Năm,Mức đạt chuẩn,Quyết định,Ngày,Nguồn
Đồng Tháp,Tân Phước 1,2026,đạt chuẩn NTM,TEST-99/QĐ-UBND,20/11/2026,{NOTE}
"""
TARGETS = f"""Tỉnh,Xã,Mức,Năm,Tỷ lệ,Năm gốc,Tỷ lệ năm gốc,Nguồn
Đồng Tháp,,đạt chuẩn NTM,2030,65%,2025,0%,{NOTE}
"""
