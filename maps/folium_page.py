"""The folium page of a choropleth: one polygon per commune of a ``maps.choropleth.Choropleth``.

A page is a standalone HTML file (folium/Leaflet) with a title box, a legend with the number of
communes per class and a tooltip per commune. Wards, towns and unnamed polygons are drawn hatched
grey as "not assessed", never counted as 0 criteria.
"""

from __future__ import annotations

from html import escape
from typing import cast

import folium
from branca.element import Figure

from geo_ntm.errors import InputError
from maps.assets import AssetMode, RawElement
from maps.choropleth import Choropleth
from maps.classify import LegendEntry
from maps.measures.base import HATCH_ID, NOT_ASSESSED


def render_map(
    layer: Choropleth, *, assets: AssetMode, basemap: str | None = None, basemap_attr: str | None = None
) -> str:
    """A complete standalone HTML page mapping ``layer``.

    ``basemap`` is an optional tile URL or xyzservices name (``basemap_attr`` its attribution);
    without it the page needs no internet. The layer's note (e.g. the boundaries and the carry
    rule shown) is printed under the legend.
    """
    xmin, ymin, xmax, ymax = layer.frame.total_bounds
    opacity = 0.75 if basemap else 1.0  # without a basemap, exactly the legend's colours
    m = folium.Map(tiles=None, zoom_control="topright", control_scale=True, zoom_snap=0.25)
    assets.apply(m)
    if basemap:
        try:
            folium.TileLayer(basemap, attr=basemap_attr).add_to(m)
        except ValueError as exc:
            raise InputError(f"basemap {basemap!r} cannot be used: {exc}") from None
    folium.GeoJson(
        {"type": "FeatureCollection", "features": layer.features()},
        style_function=lambda feature: _style(feature["properties"], opacity),
        highlight_function=lambda feature: {"weight": 2.5, "color": "#111111"},
        tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False, sticky=True),
    ).add_to(m)
    m.fit_bounds([[ymin, xmin], [ymax, xmax]], padding=(20, 20))

    root = cast(Figure, m.get_root())  # a folium.Map makes a Figure its root
    root.title = escape(layer.title)
    root.header.add_child(RawElement(_PAGE_CSS), name="ntm_page_css")
    legend = _legend(layer.classification.legend, layer.classification.heading, layer.note)
    root.html.add_child(RawElement(HATCH_SVG + _title_box(layer.title, layer.subtitle) + legend), name="ntm_page")
    return root.render()


def _style(properties: dict, opacity: float) -> dict:
    outline = "#9a9a9a" if properties["class"] == NOT_ASSESSED else "#4a4a4a"
    return {"fillColor": properties["fill"], "fillOpacity": opacity, "color": outline, "weight": 0.8}


def _legend(entries: tuple[LegendEntry, ...], heading: str, note: str = "") -> str:
    rows = "".join(
        f'<tr data-class="{e.key}" data-count="{e.count}">'
        f'<td><span class="ntm-swatch" style="background:{e.swatch}"></span></td>'
        f'<td>{escape(e.label)}</td><td class="ntm-count">{e.count}</td></tr>'
        for e in entries
    )
    heading = f'<div class="ntm-legend-heading">{escape(heading)}</div>'
    note = f'<div class="ntm-legend-note">{escape(note)}</div>' if note else ""
    return f'<div class="ntm-legend">{heading}<table>{rows}</table>{note}</div>'


def _title_box(title: str, subtitle: str) -> str:
    sub = f'<div class="ntm-subtitle">{escape(subtitle)}</div>' if subtitle else ""
    return f'<div class="ntm-title"><div class="ntm-title-main">{escape(title)}</div>{sub}</div>'


_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'DejaVu Sans', sans-serif"
_PAGE_CSS = f"""<style>
.leaflet-container {{ background: #f4f6f8; font-family: {_FONT}; }}
.leaflet-tooltip {{ font-family: {_FONT}; font-size: 13px; line-height: 1.4; }}
.ntm-title, .ntm-legend {{
  position: absolute; z-index: 1000; left: 12px; background: rgba(255, 255, 255, 0.94);
  border-radius: 6px; box-shadow: 0 1px 5px rgba(0, 0, 0, 0.3); font-family: {_FONT}; color: #222;
}}
.ntm-title {{ top: 12px; max-width: calc(100% - 90px); padding: 8px 12px; }}
.ntm-title-main {{ font-size: 18px; font-weight: 600; }}
.ntm-subtitle {{ font-size: 13px; color: #555; margin-top: 2px; }}
.ntm-legend {{ bottom: 50px; padding: 8px 10px; font-size: 13px; }}
.ntm-legend-heading {{ font-weight: 600; margin-bottom: 4px; }}
.ntm-legend-note {{ max-width: 320px; margin-top: 6px; font-size: 12px; color: #444; }}
.ntm-legend table {{ border-collapse: collapse; }}
.ntm-legend td {{ padding: 2px 4px; vertical-align: middle; }}
.ntm-count {{ text-align: right; color: #444; font-variant-numeric: tabular-nums; padding-left: 12px; }}
.ntm-swatch {{
  display: inline-block; width: 18px; height: 12px; border: 1px solid #4a4a4a; vertical-align: middle;
  -webkit-print-color-adjust: exact; print-color-adjust: exact;
}}
</style>"""
#: The hatch of "not assessed" polygons: an SVG pattern the Leaflet paths refer to by id.
HATCH_SVG = f"""<svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs>
<pattern id="{HATCH_ID}" patternUnits="userSpaceOnUse" width="5" height="5" patternTransform="rotate(45)">
<rect width="5" height="5" fill="#f2f2f2"/><line x1="1" y1="0" x2="1" y2="5" stroke="#c4c4c4" stroke-width="2"/>
</pattern></defs></svg>"""
