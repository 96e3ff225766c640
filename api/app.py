"""The geo_ntm HTTP service, assembled: the routers (OGC API - Features, downloads, the planner's
page and JSON, coverage, vintages, writes, frameworks), the token checks, the error handlers
(``api.errors``), the completed OpenAPI document (``api.openapi_document``) and compression,
conditional requests, caching and CORS (``api.caching``)."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from api import (
    background,
    docs_page,
    downloads,
    frameworks,
    indicator_sets,
    infrastructure,
    issues,
    ogc,
    planner,
    planner_page,
    progress,
    report,
    vintages,
    writes,
)
from api.auth import BodyLimit, ReadGate, load_tokens, principal
from api.caching import install_http, mount_static
from api.deps import StoreDep, store_lifespan
from api.errors import ERROR_RESPONSES, install_error_handlers
from api.openapi_document import complete_openapi
from geo_ntm.settings import Settings
from maps.assets import PLANNER_STATIC, leaflet_dist, vectorgrid_dist


def create_app(settings: Settings | None = None) -> FastAPI:
    """The FastAPI application on the store named by ``settings.db``."""
    settings = settings or Settings.from_env()
    app = FastAPI(
        title="geo_ntm",
        description="Bản đồ nông thôn mới / New Rural Development maps and API",
        version="0.1.0",
        dependencies=[Depends(principal)],  # a bad token is refused everywhere; ReadGate: reads need one
        lifespan=store_lifespan,
        responses=ERROR_RESPONSES,
        docs_url=None,  # api.docs_page serves /docs from node_modules, not from a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.tokens = load_tokens(settings.tokens_file)
    app.add_middleware(BodyLimit, max_bytes=int(settings.max_upload_mb * 1_000_000))
    app.state.hidden = (str(settings.db), str(settings.data_dir), str(settings.assets_dir))  # never shown
    install_error_handlers(app, hidden=app.state.hidden)

    @app.get("/health")
    def health(store: StoreDep) -> dict:
        return {"status": "ok", "vintages": [v.name for v in store.vintages()]}

    ogc.install(app)  # OGC API - Features (/conformance, /api, /collections/...)
    for router in (
        downloads.router,
        vintages.router,
        infrastructure.router,
        planner_page.router,
        planner.router,
        writes.router,
        frameworks.router,
        indicator_sets.router,
        background.router,
        issues.router,
        progress.router,
        report.router,
    ):
        app.include_router(router)
    mount_static(
        app,
        {
            "leaflet": leaflet_dist(settings.assets_dir),
            "vectorgrid": vectorgrid_dist(settings.assets_dir),
            "planner": PLANNER_STATIC,
            "swagger-ui": docs_page.swagger_ui_dist(settings.assets_dir),
        },
    )
    docs_page.install(app)

    complete_openapi(app)
    if settings.read_token_required:  # outermost: the landing page, /api, /docs and static files too
        app.add_middleware(ReadGate, tokens=app.state.tokens)
    install_http(app, settings)  # outside the gate: gzip, and CORS headers on a preflight and a 401 too
    return app
