"""Choropleth pages of NTM progress: one polygon per commune, coloured by a measure.

A page is a standalone HTML file (folium/Leaflet) with a title box, a legend with the number of
communes per class and a tooltip per commune. Wards, towns and unnamed polygons are drawn hatched
grey as "not assessed", never counted as 0 criteria.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from html import escape

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping

from geo_ntm.domain import LEVEL_ORDER, UnitType
from geo_ntm.errors import InputError, NotFoundError
from geo_ntm.frameworks import get_framework
from maps.assets import AssetMode, RawElement
from maps.i18n import level_label, texts

DEFAULT_CRITERIA_TOTAL = 19
MEASURES: tuple[str, ...] = (
    "criteria_met",
    "level",
    "share",  # of a carried assessment (geo_ntm.carry share rules)
    *(f"tc{n}" for n in range(1, DEFAULT_CRITERIA_TOTAL + 1)),
)

COLUMNS = (
    "code", "name", "unit_type", "district", "province", "assessed", "has_data", "framework",
    "level", "criteria_met", "criteria_total", "criteria_unmet", "criteria_conflicting",
)  # fmt: skip

NO_DATA, NOT_ASSESSED = "no_data", "not_assessed"
_HATCH_ID = "ntm-not-assessed-hatch"
#: Fill per class. Sequential ColorBrewer YlGn for counts and levels, Dark2 (colour-blind safe)
#: for one criterion; greys for the two classes outside the scale.
FILLS = {
    "all_met": "#238443", "15_top": "#78c679", "10_14": "#c2e699", "below_10": "#ffffcc",
    "ntm_kieu_mau": "#005a32", "ntm_nang_cao": "#41ab5d", "ntm": "#addd8e", "not_reached": "#ffffcc",
    "met": "#1b9e77", "unmet": "#d95f02", "conflict": "#7570b3",
    "share_100": "#006837", "share_75": "#31a354", "share_50": "#78c679", "share_25": "#c2e699", "share_0": "#ffffcc",
    NO_DATA: "#bdbdbd", NOT_ASSESSED: f"url(#{_HATCH_ID})",
}  # fmt: skip
_HATCH_CSS = "repeating-linear-gradient(45deg, #c4c4c4 0 2px, #f2f2f2 2px 5px)"
_SWATCHES = {**FILLS, NOT_ASSESSED: _HATCH_CSS}  # legend backgrounds (CSS cannot use the SVG pattern)
_OUTSIDE = (NO_DATA, NOT_ASSESSED)
_URBAN = (UnitType.PHUONG.value, UnitType.THI_TRAN.value)
_TC = re.compile(r"tc0*(\d{1,3})")
_DECIMALS = 6  # ~0.1 m: plenty for a commune map, and a much smaller page


def validate_measure(measure: str, criteria_total: int = DEFAULT_CRITERIA_TOTAL) -> str:
    """The canonical measure name (``criteria_met``, ``level`` or ``tc<N>`` with N in 1..criteria_total).

    Raises InputError for anything else.
    """
    name = str(measure).strip().lower()
    if name in ("criteria_met", "level", "share"):
        return name
    match = _TC.fullmatch(name)
    if match and 1 <= int(match[1]) <= criteria_total:
        return f"tc{int(match[1])}"
    raise InputError(
        f"unknown map measure {measure!r}: use criteria_met, level, share (of a carried assessment) "
        f"or tc1..tc{criteria_total} for a single criterion"
    )


@dataclass(frozen=True)
class _Commune:
    """One frame row with its values normalised (NaN -> None, lists of ints)."""

    code: str
    name: str | None
    unit_type: str | None
    district: str | None
    province: str | None
    assessed: bool
    has_data: bool
    level: str | None
    met: int | None
    total: int | None
    unmet: tuple[int, ...]
    conflicting: tuple[int, ...]
    share: float | None = None  # of a carried assessment
    share_known: float | None = None
    old_units: tuple[str, ...] = ()

    @classmethod
    def from_row(cls, row) -> "_Commune":
        return cls(
            code=str(row.code),
            name=_scalar(row.name),
            unit_type=_scalar(row.unit_type),
            district=_scalar(row.district),
            province=_scalar(row.province),
            assessed=bool(row.assessed),
            has_data=bool(row.has_data),
            level=_scalar(row.level),
            met=_int(row.criteria_met),
            total=_int(row.criteria_total),
            unmet=_ints(row.criteria_unmet),
            conflicting=_ints(row.criteria_conflicting),
            share=_scalar(getattr(row, "share", None)),
            share_known=_scalar(getattr(row, "share_known", None)),
            old_units=tuple(getattr(row, "old_units", None) or ()),
        )

    def class_key(self, measure: str) -> str:
        """The legend class of this commune for ``measure``."""
        if not self.assessed:
            return NOT_ASSESSED
        if not self.has_data:
            return NO_DATA
        if measure == "level":
            return self.level or "not_reached"
        if measure == "share":
            if self.share is None or not self.share_known:
                return NO_DATA
            return next(f"share_{floor}" for floor in (100, 75, 50, 25, 0) if self.share * 100 >= floor - 1e-9)
        if measure == "criteria_met":
            if self.met is None or self.total is None:
                return NO_DATA
            if self.met >= self.total:
                return "all_met"
            return "15_top" if self.met >= 15 else "10_14" if self.met >= 10 else "below_10"
        n = int(measure[2:])
        if n in self.conflicting:
            return "conflict"
        if n in self.unmet:  # known even when only some criteria were reported
            return "unmet"
        if self.met is None or self.total is None:
            return NO_DATA
        # A count without the list of unmet criteria does not say which ones are met.
        detailed = self.met + len(self.unmet) + len(self.conflicting) >= self.total
        return "met" if detailed and n <= self.total else NO_DATA

    def tooltip(self, lang: str) -> str:
        """HTML of the tooltip (values escaped)."""
        t = texts(lang)
        lines = [f"<b>{escape(self.name or t['tip.unnamed'])}</b>"]
        place = self.district or self.province  # no districts in the 2025 boundaries
        if place:
            lines.append(escape(place))
        if not self.assessed:
            lines.append(t["tip.urban"] if self.unit_type in _URBAN else t["tip.not_assessed"])
        elif not self.has_data:
            lines.append(t["class.no_data"])
        else:
            if self.met is not None and self.total is not None:
                lines.append(f"{t['tip.criteria_met']}: {self.met}/{self.total}")
            if self.unmet:
                lines.append(f"{t['tip.unmet']}: {_join(self.unmet)}")
            if self.conflicting:
                lines.append(f"{t['tip.conflicting']}: {_join(self.conflicting)}")
            if self.share is not None:
                lines.append(f"{t['tip.share']}: {self.share:.0%}")
                lines.append(f"{t['tip.share_known']}: {self.share_known or 0:.0%}")
            else:
                level = level_label(self.level, lang) if self.level else t["class.not_reached"]
                lines.append(f"{t['tip.level']}: {level}")
            if self.old_units:
                lines.append(f"{t['tip.old_units']}: {escape(', '.join(self.old_units[:8]))}"
                             + (" …" if len(self.old_units) > 8 else ""))
        return "<br>".join(lines)


def render_map(
    frame: gpd.GeoDataFrame,
    measure: str,
    *,
    title: str,
    subtitle: str = "",
    lang: str = "vi",
    assets: AssetMode,
    basemap: str | None = None,
    basemap_attr: str | None = None,
    legend_note: str = "",
) -> str:
    """A complete standalone HTML page mapping ``measure`` for the communes of ``frame``.

    ``frame`` has one row per commune with the columns in ``COLUMNS`` and a geometry (EPSG:4326).
    ``basemap`` is an optional tile URL or xyzservices name (``basemap_attr`` its attribution);
    without it the page needs no internet. ``legend_note`` (e.g. the boundaries and the carry rule
    shown) is printed under the legend. A carried assessment adds the optional columns ``share``,
    ``share_known`` and ``old_units`` (measure ``share``).
    """
    texts(lang)  # an unknown language fails before any work
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(f"the map frame lacks column(s) {', '.join(missing)}")
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(4326)
    xmin, ymin, xmax, ymax = frame.total_bounds
    if math.isnan(xmin):
        raise InputError("nothing to map: the frame has no commune geometries")

    optional = [c for c in ("share", "share_known", "old_units") if c in frame.columns]
    communes = [_Commune.from_row(row) for row in frame[list(COLUMNS) + optional].itertuples(index=False)]
    totals = {c.total for c in communes if c.has_data and c.total}
    measure = validate_measure(measure, max(totals, default=DEFAULT_CRITERIA_TOTAL))
    keys = [c.class_key(measure) for c in communes]

    opacity = 0.75 if basemap else 1.0  # without a basemap, exactly the legend's colours
    m = folium.Map(tiles=None, zoom_control="topright", control_scale=True, zoom_snap=0.25)
    assets.apply(m)
    if basemap:
        try:
            folium.TileLayer(basemap, attr=basemap_attr).add_to(m)
        except ValueError as exc:
            raise InputError(f"basemap {basemap!r} cannot be used: {exc}") from None
    features = [
        {
            "type": "Feature",
            "id": str(i),
            "properties": {"code": commune.code, "class": key, "tooltip": commune.tooltip(lang)},
            "geometry": _rounded(geom),
        }
        for i, (commune, key, geom) in enumerate(zip(communes, keys, frame.geometry))
    ]
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        style_function=lambda feature: _style(feature["properties"]["class"], opacity),
        highlight_function=lambda feature: {"weight": 2.5, "color": "#111111"},
        tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False, sticky=True),
    ).add_to(m)
    m.fit_bounds([[ymin, xmin], [ymax, xmax]], padding=(20, 20))

    root = m.get_root()
    root.title = escape(title)
    root.header.add_child(RawElement(_PAGE_CSS), name="ntm_page_css")
    legend = _legend(_classes(measure, totals, lang), Counter(keys), _heading(measure, frame, lang), legend_note)
    root.html.add_child(RawElement(_HATCH_SVG + _title_box(title, subtitle) + legend), name="ntm_page")
    return root.render()


def _classes(measure: str, totals: set[int], lang: str) -> list[tuple[str, str]]:
    """(class key, label) of every legend row of ``measure``, best first."""
    t = texts(lang)
    if measure == "share":
        ranked = [(f"share_{floor}", t[f"class.share_{floor}"]) for floor in (100, 75, 50, 25, 0)]
    elif measure == "level":
        ranked = [(lv, level_label(lv, lang)) for lv in reversed(LEVEL_ORDER)]
        ranked.append(("not_reached", t["class.not_reached"]))
    elif measure == "criteria_met":
        # One framework per map is the rule; with several totals the labels cannot show them.
        total = max(totals, default=DEFAULT_CRITERIA_TOTAL) if len(totals) <= 1 else None
        ranked = [
            ("all_met", t["class.all_met"].format(total=total) if total else t["class.all_met_any"]),
            ("15_top", t["class.15_top"].format(top=total - 1) if total else t["class.15_any"]),
            ("10_14", t["class.10_14"]),
            ("below_10", t["class.below_10"]),
        ]
    else:
        ranked = [(k, t[f"class.{k}"]) for k in ("met", "unmet", "conflict")]
    return ranked + [(k, t[f"class.{k}"]) for k in _OUTSIDE]


def _heading(measure: str, frame: gpd.GeoDataFrame, lang: str) -> str:
    """Legend heading; for one criterion with its name when the frame has a single framework."""
    t = texts(lang)
    if not measure.startswith("tc"):
        return t[f"heading.{measure}"]
    n = int(measure[2:])
    heading = t["heading.tc"].format(n=n)
    frameworks = frame["framework"].dropna().unique()
    if len(frameworks) != 1:
        return heading
    try:
        criterion = get_framework(frameworks[0]).criterion(n)
    except (NotFoundError, KeyError):
        return heading
    return f"{heading}: {criterion.name_vi if lang == 'vi' else criterion.name_en}"


def _style(key: str, opacity: float) -> dict:
    outline = "#9a9a9a" if key == NOT_ASSESSED else "#4a4a4a"
    return {"fillColor": FILLS[key], "fillOpacity": opacity, "color": outline, "weight": 0.8}


def _legend(classes: list[tuple[str, str]], counts: Counter, heading: str, note: str = "") -> str:
    rows = "".join(
        f'<tr data-class="{key}" data-count="{counts[key]}">'
        f'<td><span class="ntm-swatch" style="background:{_SWATCHES[key]}"></span></td>'
        f'<td>{escape(label)}</td><td class="ntm-count">{counts[key]}</td></tr>'
        for key, label in classes
    )
    heading = f'<div class="ntm-legend-heading">{escape(heading)}</div>'
    note = f'<div class="ntm-legend-note">{escape(note)}</div>' if note else ""
    return f'<div class="ntm-legend">{heading}<table>{rows}</table>{note}</div>'


def _title_box(title: str, subtitle: str) -> str:
    sub = f'<div class="ntm-subtitle">{escape(subtitle)}</div>' if subtitle else ""
    return f'<div class="ntm-title"><div class="ntm-title-main">{escape(title)}</div>{sub}</div>'


def _rounded(geom) -> dict | None:
    if geom is None or geom.is_empty:
        return None
    return mapping(shapely.transform(geom, lambda xy: xy.round(_DECIMALS)))


def _scalar(value):
    """None for None/NaN/pd.NA, else the value."""
    return None if pd.isna(value) else value


def _int(value) -> int | None:
    value = _scalar(value)
    return None if value is None else int(value)


def _ints(values) -> tuple[int, ...]:
    if not isinstance(values, (list, tuple, np.ndarray)):  # a missing list: None, NaN
        return ()
    return tuple(sorted(int(v) for v in values))


def _join(numbers: tuple[int, ...]) -> str:
    return ", ".join(str(n) for n in numbers)


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
# The hatch of "not assessed" polygons: an SVG pattern the Leaflet paths refer to by id.
_HATCH_SVG = f"""<svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs>
<pattern id="{_HATCH_ID}" patternUnits="userSpaceOnUse" width="5" height="5" patternTransform="rotate(45)">
<rect width="5" height="5" fill="#f2f2f2"/><line x1="1" y1="0" x2="1" y2="5" stroke="#c4c4c4" stroke-width="2"/>
</pattern></defs></svg>"""
