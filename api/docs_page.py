"""``GET /docs``: the interactive API documentation (Swagger UI) without the internet. FastAPI's
own page loads Swagger UI from a CDN; this one serves ``swagger-ui-dist`` from the npm registry
(``package.json``, installed into ``node_modules`` like Leaflet) under ``/static/swagger-ui``."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from geo_ntm.errors import GeoNtmError

STATIC = "/static/swagger-ui"
_FILES = ("swagger-ui-bundle.js", "swagger-ui.css")


def swagger_ui_dist(assets_dir: Path) -> Path:
    """The ``swagger-ui-dist`` folder inside ``assets_dir`` (node_modules); an error if not installed."""
    dist = Path(assets_dir) / "swagger-ui-dist"
    if not all((dist / name).is_file() for name in _FILES):
        raise GeoNtmError(
            f"Swagger UI is not installed in {dist}: run `make install` (npm ci) in the project root "
            "to install the browser assets from the npm registry"
        )
    return dist


def install(app: FastAPI, assets_dir: Path) -> None:
    """Serve Swagger UI's files and ``/docs`` on ``app`` (made with ``docs_url=None``)."""
    app.mount(STATIC, StaticFiles(directory=swagger_ui_dist(assets_dir)), name="swagger-ui")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} - API",
            swagger_js_url=f"{STATIC}/swagger-ui-bundle.js",
            swagger_css_url=f"{STATIC}/swagger-ui.css",
            swagger_favicon_url=f"{STATIC}/favicon-32x32.png",
        )
