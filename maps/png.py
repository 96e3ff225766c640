"""The map as a PNG image for reports: the communes coloured by class with the title, the legend
(with the number of communes per class), the dates, a scale bar, a north arrow and the source.

Drawn with matplotlib on the server (Agg canvas, DejaVu Sans for the Vietnamese letters), so the
image is the same whatever browser asked for it, and the tests can check it without one."""

from __future__ import annotations

import datetime as dt
import io
import math
import textwrap
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from pyproj import Geod

from maps.choropleth import Choropleth
from maps.i18n import texts
from maps.measures.base import NOT_ASSESSED

SIZES = range(600, 4001)  # pixels, either side
_DPI = 150
#: Text and patch properties, passed on as keyword arguments (matplotlib types each one separately).
_FONT: dict[str, Any] = {"family": "DejaVu Sans"}
_HATCH: dict[str, Any] = {"facecolor": "#f2f2f2", "edgecolor": "#9a9a9a", "hatch": "////"}
_NICE_KM = (0.5, 1, 2, 5, 10, 20, 25, 50, 100, 200, 500)


def render_png(layer: Choropleth, *, width: int = 1600, height: int = 1130, today: dt.date | None = None) -> bytes:
    """The PNG bytes of ``layer``: the map on the left, the legend on the right, the title on top,
    the dates and the source below. The image's metadata repeat the title and the source."""
    t = texts(layer.lang)
    today = today or dt.date.today()
    fig = Figure(figsize=(width / _DPI, height / _DPI), dpi=_DPI, facecolor="white")
    canvas = FigureCanvasAgg(fig)
    fig.text(0.02, 0.965, layer.title, fontsize=13, fontweight="bold", va="top", wrap=True, **_FONT)
    made = today.strftime("%d/%m/%Y") if layer.lang == "vi" else today.isoformat()
    fig.text(
        0.02, 0.915, f"{layer.subtitle}. {t['map.made'].format(day=made)}", fontsize=9, color="#444", va="top", **_FONT
    )
    ax = fig.add_axes((0.02, 0.1, 0.66, 0.79))
    _draw_communes(ax, layer)
    _scale_bar(ax)
    _north_arrow(ax)
    classes = layer.classification
    handles = [
        Patch(
            label=f"{e.label} ({e.count})",
            linewidth=0.6,
            **(_HATCH if e.key == NOT_ASSESSED else {"facecolor": e.fill, "edgecolor": "#4a4a4a"}),
        )
        for e in classes.legend
    ]
    legend = fig.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(0.7, 0.88),
        frameon=False,
        title=textwrap.fill(classes.heading, 36),
        prop={**_FONT, "size": 9},
        title_fontproperties={**_FONT, "size": 10, "weight": "bold"},
        handlelength=2.2,
        handleheight=1.3,
        alignment="left",
    )
    if layer.note:
        box = legend.get_window_extent(canvas.get_renderer()).transformed(fig.transFigure.inverted())
        fig.text(
            box.x0 + 0.005, box.y0 - 0.02, textwrap.fill(layer.note, 60), fontsize=7.5, color="#444", va="top", **_FONT
        )
    fig.text(0.02, 0.02, layer.source, fontsize=7.5, color="#333", va="bottom", wrap=True, **_FONT)
    out = io.BytesIO()
    fig.savefig(
        out,
        format="png",
        dpi=_DPI,
        metadata={"Title": layer.title, "Source": layer.source, "Description": layer.subtitle, "Software": "geo_ntm"},
    )
    return out.getvalue()


def _draw_communes(ax, layer: Choropleth) -> None:
    frame = layer.frame
    keys = layer.classification.keys
    hatched = [k == NOT_ASSESSED for k in keys]
    coloured = frame[[not h for h in hatched]]
    if len(coloured):
        coloured.geometry.plot(
            ax=ax,
            color=[layer.classification.fill(k) for k in keys if k != NOT_ASSESSED],
            edgecolor="#4a4a4a",
            linewidth=0.4,
        )
    if any(hatched):
        frame[hatched].geometry.plot(ax=ax, linewidth=0.4, **_HATCH)
    xmin, ymin, xmax, ymax = frame.total_bounds
    pad = 0.03 * max(xmax - xmin, ymax - ymin)
    ax.set_xlim(xmin - pad, xmax + pad)
    ax.set_ylim(ymin - pad * 2.5, ymax + pad)  # room for the scale bar
    ax.set_aspect(1 / math.cos(math.radians((ymin + ymax) / 2)))
    ax.set_axis_off()


def _scale_bar(ax) -> None:
    """A bar of a round number of km, about a fifth of the map's width, at the bottom left."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    lat = y0 + 0.04 * (y1 - y0)
    km_per_degree = Geod(ellps="WGS84").inv(x0, lat, x0 + 1, lat)[2] / 1000
    km = max([k for k in _NICE_KM if k <= 0.25 * (x1 - x0) * km_per_degree] or [_NICE_KM[0]])
    length, height, left = km / km_per_degree, 0.012 * (y1 - y0), x0 + 0.03 * (x1 - x0)
    for i, colour in enumerate(("#222222", "#ffffff")):
        ax.add_patch(
            Rectangle(
                (left + i * length / 2, lat), length / 2, height, facecolor=colour, edgecolor="#222222", linewidth=0.6
            )
        )
    label = f"{km:g} km"
    for x, text in ((left, "0"), (left + length, label)):
        ax.text(x, lat + 1.6 * height, text, ha="center", va="bottom", fontsize=7.5, **_FONT)


def _north_arrow(ax) -> None:
    ax.annotate(
        "N",
        xy=(0.96, 0.97),
        xytext=(0.96, 0.88),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=9,
        fontweight="bold",
        arrowprops={"arrowstyle": "-|>", "color": "#222222", "linewidth": 1.2},
        **_FONT,
    )
