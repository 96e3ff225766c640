"""The choropleth page of one province (or district) for a year, as ``geo-ntm map`` writes it and
``/map.html`` serves it."""

from __future__ import annotations

from geo_ntm.carry import CarryRule
from geo_ntm.domain import AdminTier
from geo_ntm.store import Store
from geo_ntm.where import Where
from maps.assets import AssetMode
from maps.choropleth import MapRequest, build_choropleth
from maps.folium_page import render_map


def province_map_html(
    store: Store,
    where: Where,
    measure: str,
    *,
    lang: str = "vi",
    assets: AssetMode,
    rule: CarryRule | None = None,
    scheme: str | None = None,
    classes: int = 5,
    tier: AdminTier = AdminTier.COMMUNE,
) -> str:
    """A complete HTML page with the choropleth of ``measure`` for the communes of ``where`` (drawn
    on its boundaries). When the statuses of its year belong to another vintage they are carried
    by ``rule`` (default ``all``), and the legend says which boundaries and rule it shows. ``tier``
    district or province maps the districts' (province's) own status instead."""
    request = MapRequest(where, measure, scheme=scheme, classes=classes, lang=lang, rule=rule, tier=tier)
    return render_map(build_choropleth(store, request), assets=assets)
