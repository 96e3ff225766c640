"""The geo_ntm HTTP service: the planner's map page and GeoJSON collections of units with their
NTM assessment. Errors are JSON ``{"code": ..., "description": ...}`` with a 4xx status."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import downloads, infrastructure, ogc, planner, planner_page, vintages, writes
from api.auth import BodyLimit, load_tokens, read_access
from api.deps import StoreDep, store_lifespan
from geo_ntm.errors import GeoNtmError, NotFoundError, StoreBusyError, StoreUnavailableError
from geo_ntm.settings import Settings
from maps.assets import PLANNER_STATIC, leaflet_dist


def _error(status: int, code: str, description: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, content={"code": code, "description": description}, headers=headers)


_CODES = {401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 413: "ContentTooLarge"}


def create_app(settings: Settings | None = None) -> FastAPI:
    """The FastAPI application on the store named by ``settings.db``."""
    settings = settings or Settings.from_env()
    app = FastAPI(
        title="geo_ntm",
        description="Bản đồ nông thôn mới / New Rural Development maps and API",
        version="0.1.0",
        dependencies=[Depends(read_access)],
        lifespan=store_lifespan,
    )
    app.state.settings = settings
    app.state.tokens = load_tokens(settings.tokens_file)
    app.add_middleware(BodyLimit, max_bytes=int(settings.max_upload_mb * 1_000_000))

    @app.exception_handler(NotFoundError)
    async def _not_found(request: Request, exc: NotFoundError):
        return _error(404, "NotFound", str(exc))

    @app.exception_handler(StoreBusyError)
    async def _busy(request: Request, exc: StoreBusyError):
        return _error(503, "ServiceUnavailable", str(exc), {"Retry-After": "5"})

    @app.exception_handler(StoreUnavailableError)
    async def _unreachable(request: Request, exc: StoreUnavailableError):
        # its message names no server; the store logged the details
        return _error(503, "ServiceUnavailable", exc.message, {"Retry-After": "30"})

    @app.exception_handler(GeoNtmError)
    async def _bad_input(request: Request, exc: GeoNtmError):
        return _error(400, "InvalidParameterValue", str(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'][1:]) or e['loc'][0]}: {e['msg']}" for e in exc.errors()
        )
        return _error(400, "InvalidParameterValue", f"invalid request parameters: {problems}")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        detail = exc.detail if exc.status_code != 404 else f"no such resource: {request.url.path}"
        return _error(exc.status_code, _CODES.get(exc.status_code, "HTTPError"), str(detail), exc.headers)

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
    ):
        app.include_router(router)
    app.mount("/static/leaflet", StaticFiles(directory=leaflet_dist(settings.assets_dir)), name="leaflet")
    app.mount("/static/planner", StaticFiles(directory=PLANNER_STATIC), name="planner")
    return app
