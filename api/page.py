"""The planner's page: a form (province, district, year, measure, language) above the map, which is
served by ``/map.html`` in a frame. Vietnamese first, English available."""

from __future__ import annotations

import datetime as dt
from html import escape
from urllib.parse import urlencode

from geo_ntm.domain import AdminLevel
from geo_ntm.carry import RULES
from geo_ntm.errors import NotFoundError
from geo_ntm.frameworks import all_frameworks
from geo_ntm.places import find_unit
from geo_ntm.store import Store
from maps.province_map import measure_title

TEXT = {
    "vi": {"title": "Bản đồ nông thôn mới", "province": "Tỉnh/thành phố", "district": "Huyện/quận",
           "whole": "Toàn tỉnh", "year": "Năm", "measure": "Chỉ tiêu hiển thị", "show": "Xem bản đồ",
           "empty": "Chưa có ranh giới hành chính trong kho dữ liệu. Chạy: geo-ntm demo",
           "has_data": "có số liệu", "other": "English", "boundaries": "Ranh giới",
           "of_year": "theo năm số liệu", "rule": "Quy tắc chuyển đổi"},
    "en": {"title": "New Rural Development map", "province": "Province", "district": "District",
           "whole": "Whole province", "year": "Year", "measure": "Measure", "show": "Show map",
           "empty": "No boundaries in the store yet. Run: geo-ntm demo", "has_data": "with data",
           "other": "Tiếng Việt", "boundaries": "Boundaries", "of_year": "of the status year",
           "rule": "Carry rule"},
}
_STYLE = """
body{margin:0;font-family:system-ui,'Segoe UI',Roboto,Arial,sans-serif;display:flex;flex-direction:column;height:100vh}
header{padding:8px 14px;background:#1b5e20;color:#fff;display:flex;flex-wrap:wrap;gap:12px;align-items:center}
header h1{font-size:18px;margin:0 12px 0 0}
form{display:flex;flex-wrap:wrap;gap:10px;align-items:center}
label{font-size:13px}select,input,button{font-size:14px;padding:3px 6px}
header a{color:#c8e6c9;margin-left:auto}
iframe{flex:1;border:0;width:100%}
.empty{padding:40px;font-size:18px}
"""


def _options(pairs, selected) -> str:
    return "".join(f'<option value="{escape(str(v))}"{" selected" if str(v) == str(selected) else ""}>'
                   f"{escape(label)}</option>" for v, label in pairs)


def control_page(store: Store, *, province: str | None, district: str | None, year: int | None,
                 measure: str, lang: str, vintage: str | None = None, rule: str | None = None) -> str:
    """The HTML of ``GET /``; defaults to the first province that received data, at its latest year."""
    lang = lang if lang in TEXT else "vi"
    t = TEXT[lang]
    extents = store.data_extent()
    if not store.vintages():
        return f"<!doctype html><html lang='{lang}'><meta charset='utf-8'><title>{t['title']}</title>" \
               f"<style>{_STYLE}</style><div class='empty'>{escape(t['empty'])}</div></html>"
    if province is None and extents:
        province = min(extents, key=lambda e: e.first_import_id).province_code
    if year is None:
        years = [e.year for e in extents if province is None or e.province_code == province] or [e.year for e in extents]
        year = max(years) if years else dt.date.today().year
    drawn = store.vintage_named(vintage) if vintage else store.vintage_for_year(year)
    provinces = store.unit_records(drawn.vintage_id, AdminLevel.PROVINCE)
    try:
        chosen = find_unit(provinces, province, "province") if province else None
    except NotFoundError:  # a province of other boundaries (the user switched vintage)
        chosen = None
    chosen = chosen or sorted(provinces, key=lambda u: u.code)[0]
    with_data = {e.province_code for e in extents if e.vintage_id == drawn.vintage_id}
    ordered = sorted(provinces, key=lambda u: (u.province_code not in with_data, u.name or ""))
    province_pairs = [(u.code, (u.name or u.code) + (f" ({t['has_data']})" if u.province_code in with_data else ""))
                      for u in ordered]
    districts = sorted((u for u in store.unit_records(drawn.vintage_id, AdminLevel.DISTRICT)
                        if u.province_code == chosen.province_code), key=lambda u: u.name or "")
    district_code = find_unit(districts, district, "district").code if district and districts else ""
    criteria = max(fw.criteria_total for fw in all_frameworks().values())
    measures = [(m, measure_title(m, lang)) for m in ("criteria_met", "level", "share")] + \
               [(f"tc{n}", measure_title(f"tc{n}", lang)) for n in range(1, criteria + 1)]
    vintages = [("", t["of_year"])] + [(str(v.vintage_id), v.name) for v in store.vintages()]
    rules = [("", "all")] + [(r, r) for r in RULES if r != "all"]
    query = {"province": chosen.code, "year": year, "measure": measure, "lang": lang}
    for key, value in (("district", district_code), ("vintage", vintage), ("rule", rule)):
        if value:
            query[key] = value
    other_lang = {**query, "lang": "en" if lang == "vi" else "vi"}
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(t['title'])} — {escape(chosen.name or chosen.code)} {year}</title><style>{_STYLE}</style></head>
<body><header><h1>{escape(t['title'])}</h1>
<form method="get" action="/">
<input type="hidden" name="lang" value="{lang}">
<label>{t['province']} <select name="province" onchange="this.form.district.value='';this.form.submit()">{_options(province_pairs, chosen.code)}</select></label>
<label>{t['district']} <select name="district">{_options([("", t['whole'])] + [(u.code, u.name) for u in districts], district_code)}</select></label>
<label>{t['year']} <input type="number" name="year" min="2000" max="2100" value="{year}" style="width:5em"></label>
<label>{t['measure']} <select name="measure">{_options(measures, measure)}</select></label>
<label>{t['boundaries']} <select name="vintage">{_options(vintages, vintage or "")}</select></label>
<label>{t['rule']} <select name="rule">{_options(rules, rule or "")}</select></label>
<button type="submit">{t['show']}</button></form>
<a href="/?{escape(urlencode(other_lang))}">{t['other']}</a></header>
<iframe id="map" title="{escape(t['title'])}" src="/map.html?{escape(urlencode(query))}"></iframe>
</body></html>"""
