"""Where a map page gets Leaflet from: embedded in the page or served by our own web server.

Leaflet, and Leaflet.VectorGrid (the vector tiles of the planner's page), are installed from the
npm registry (``package.json`` at the repository root, ``npm ci``) into ``node_modules``; they are
never copied into the repository and never loaded from a CDN, so the pages work without internet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import folium
from branca.element import Element, Figure

from geo_ntm.errors import GeoNtmError

_JS, _CSS = "leaflet.js", "leaflet.css"
#: Leaflet.VectorGrid's build with its protobuf decoders (pbf, vector-tile) bundled in.
VECTORGRID_JS = "Leaflet.VectorGrid.bundled.min.js"
#: Our own script and style of the planner's page (``planner.js``, ``planner.css``), served by the service.
PLANNER_STATIC = Path(__file__).resolve().parent / "static"


class RawElement(Element):
    """A branca element that outputs ``text`` as it is (no Jinja parsing of its braces)."""

    def __init__(self, text: str):
        super().__init__("{{ this.text }}")
        self.text = text


@dataclass(frozen=True)
class AssetMode:
    """Leaflet either inlined (``js``/``css`` hold the file contents) or linked under ``url_prefix``.

    Build one with :func:`inline` or :func:`served`.
    """

    url_prefix: str | None = None
    js: str | None = field(default=None, repr=False)
    css: str | None = field(default=None, repr=False)

    def __post_init__(self):
        if (self.url_prefix is None) == (self.js is None or self.css is None):
            raise ValueError("AssetMode needs either url_prefix or both js and css: use inline() or served()")

    def apply(self, m: folium.Map) -> None:
        """Replace folium's CDN links (Leaflet, jQuery, Bootstrap, fonts) on ``m`` by Leaflet only."""
        if self.url_prefix is not None:
            m.default_js = [("leaflet", f"{self.url_prefix}/leaflet/{_JS}")]
            m.default_css = [("leaflet_css", f"{self.url_prefix}/leaflet/{_CSS}")]
            return
        m.default_js, m.default_css = [], []
        header = cast(Figure, m.get_root()).header  # a folium.Map makes a Figure its root
        header.add_child(RawElement(f"<style>{self.css}</style>"), name="leaflet_css")
        header.add_child(RawElement(f"<script>{self.js}</script>"), name="leaflet")


def _dist(assets_dir: Path, package: str, files: tuple[str, ...]) -> Path:
    """The ``dist`` folder of npm ``package`` inside ``assets_dir`` (node_modules), holding
    ``files``; an error if not installed."""
    dist = Path(assets_dir) / package / "dist"
    if not all((dist / name).is_file() for name in files):
        raise GeoNtmError(
            f"{package} is not installed in {dist}: run `make install` (npm ci) in the project root "
            "to install the map assets from the npm registry"
        )
    return dist


def leaflet_dist(assets_dir: Path) -> Path:
    """The ``leaflet/dist`` folder inside ``assets_dir`` (node_modules); an error if not installed."""
    return _dist(assets_dir, "leaflet", (_JS, _CSS))


def vectorgrid_dist(assets_dir: Path) -> Path:
    """The ``leaflet.vectorgrid/dist`` folder inside ``assets_dir`` (node_modules), served to the
    planner's page; an error if not installed."""
    return _dist(assets_dir, "leaflet.vectorgrid", (VECTORGRID_JS,))


def inline(assets_dir: Path) -> AssetMode:
    """Embed Leaflet's JS and CSS in every page: a single self-contained HTML file."""
    dist = leaflet_dist(assets_dir)
    js = (dist / _JS).read_text(encoding="utf-8")
    # The source-map comment would make browser tools look for leaflet.js.map next to the page.
    js = js.replace(f"//# sourceMappingURL={_JS}.map", "")
    return AssetMode(js=js, css=(dist / _CSS).read_text(encoding="utf-8"))


def served(url_prefix: str = "/static") -> AssetMode:
    """Link ``{url_prefix}/leaflet/leaflet.js`` and ``.css``; the web server serves ``leaflet_dist``."""
    return AssetMode(url_prefix=url_prefix.rstrip("/"))
