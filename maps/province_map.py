"""The choropleth of one province (or district) for a year: the store's commune view, titled and
rendered. Shared by ``geo-ntm map`` and the web page."""

from __future__ import annotations

from geo_ntm.carry import CarryRule
from geo_ntm.errors import InputError
from geo_ntm.places import Scope
from geo_ntm.store import Store
from geo_ntm.views import assessment_view
from maps.assets import AssetMode
from maps.choropleth import render_map, validate_measure

_MEASURE_TITLES = {
    "criteria_met": ("Số tiêu chí NTM đạt", "NTM criteria met"),
    "level": ("Mức đạt chuẩn nông thôn mới", "New Rural level reached"),
    "share": ("Tỷ lệ thuộc xã đạt chuẩn NTM", "Share in NTM communes"),
}


def measure_title(measure: str, lang: str) -> str:
    """Human title of a measure ("Tiêu chí 5" for tc5)."""
    if measure.startswith("tc"):
        return f"Tiêu chí {measure[2:]}" if lang == "vi" else f"Criterion {measure[2:]}"
    vi, en = _MEASURE_TITLES[measure]
    return vi if lang == "vi" else en


def province_map_html(store: Store, scope: Scope, year: int, measure: str, *, lang: str = "vi",
                      assets: AssetMode, rule: CarryRule | None = None) -> str:
    """A complete HTML page with the choropleth of ``measure`` for the communes of ``scope`` (drawn
    on ``scope.vintage``). When the statuses of ``year`` belong to another vintage they are carried
    by ``rule`` (default ``all``), and the legend says which boundaries and rule it shows."""
    validate_measure(measure)
    carried = store.vintage_for_year(year) != scope.vintage
    rule = (rule or CarryRule("all")) if carried else None
    allowed = ("level", "criteria_met") if rule is None or rule.name == "all" else ("share",)
    if carried and measure not in allowed:
        raise InputError(
            f"the statuses of {year} belong to other boundaries than {scope.vintage.name}: with rule "
            f"'{rule.name}' map {' or '.join(allowed)}; a single criterion is not carried between units")
    if measure == "share" and not carried:
        raise InputError("measure 'share' maps a carried assessment: choose boundaries (date or vintage) "
                         "other than those of the status year")
    frame = assessment_view(store, scope.vintage, year, rule, province_code=scope.province.province_code,
                            district_code=scope.district.code if scope.district else None)
    year_word, boundaries_word = ("năm", "ranh giới") if lang == "vi" else ("year", "boundaries")
    note = f"{boundaries_word.capitalize()}: {scope.vintage.name}."
    if rule is not None:
        note += " " + (rule.label_vi if lang == "vi" else rule.label_en)
    return render_map(
        frame,
        measure,
        title=f"{measure_title(measure, lang)} — {scope.label}",
        subtitle=f"{year_word} {year}; {boundaries_word} {scope.vintage.name}",
        lang=lang,
        assets=assets,
        legend_note=note,
    )
