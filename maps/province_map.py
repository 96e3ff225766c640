"""The choropleth of one province (or district) for a year: the store's commune view, titled and
rendered. Shared by ``geo-ntm map`` and the web page."""

from __future__ import annotations

from geo_ntm.places import Scope
from geo_ntm.store import Store
from geo_ntm.views import commune_view
from maps.assets import AssetMode
from maps.choropleth import render_map, validate_measure

_MEASURE_TITLES = {
    "criteria_met": ("Số tiêu chí NTM đạt", "NTM criteria met"),
    "level": ("Mức đạt chuẩn nông thôn mới", "New Rural level reached"),
}


def measure_title(measure: str, lang: str) -> str:
    """Human title of a measure ("Tiêu chí 5" for tc5)."""
    if measure.startswith("tc"):
        return f"Tiêu chí {measure[2:]}" if lang == "vi" else f"Criterion {measure[2:]}"
    vi, en = _MEASURE_TITLES[measure]
    return vi if lang == "vi" else en


def province_map_html(store: Store, scope: Scope, year: int, measure: str, *, lang: str = "vi",
                      assets: AssetMode) -> str:
    """A complete HTML page with the choropleth of ``measure`` for the communes of ``scope``."""
    validate_measure(measure)
    frame = commune_view(store, scope.vintage, year, province_code=scope.province.province_code,
                         district_code=scope.district.code if scope.district else None)
    year_word = "năm" if lang == "vi" else "year"
    boundaries_word = "ranh giới" if lang == "vi" else "boundaries"
    return render_map(
        frame,
        measure,
        title=f"{measure_title(measure, lang)} — {scope.label}",
        subtitle=f"{year_word} {year}; {boundaries_word} {scope.vintage.name}",
        lang=lang,
        assets=assets,
    )
