"""The geo_ntm HTTP service: the planner's map page and GeoJSON collections of units with their
NTM assessment. Errors are JSON ``{"code": ..., "description": ...}`` with a 4xx or 5xx status;
their descriptions never show a server path (a file's name instead), a database URL or a
traceback. An unexpected error is a 500 with a generic message and an error id, logged with its
traceback under that id."""

from __future__ import annotations

import logging
import os
import re
import uuid
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import downloads, infrastructure, ogc, planner, planner_page, vintages, writes
from api.auth import BodyLimit, ReadGate, load_tokens, principal
from api.deps import StoreDep, store_lifespan
from api.download_formats import FORMATS
from api.ogc.collections import registry
from api.ogc.crs import CRS84, SUPPORTED_CRS
from api.ogc.media import F_VALUES, GEOJSON, HTML, JSON, OPENAPI30, SCHEMA_JSON
from geo_ntm.carry import RULES
from geo_ntm.domain import LEVELS
from geo_ntm.errors import GeoNtmError, NotFoundError, StoreBusyError, StoreUnavailableError
from geo_ntm.infrastructure.queries import TOPICS
from geo_ntm.settings import Settings
from maps.assets import PLANNER_STATIC, leaflet_dist

log = logging.getLogger("geo_ntm.api")


class ErrorBody(BaseModel):
    """Every error the service sends."""

    code: str
    description: str


#: The errors every operation may answer, listed in the OpenAPI document.
ERROR_RESPONSES: dict[int | str, dict] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in (
        (400, "Bad request: a parameter or an upload the service cannot use (InvalidParameterValue)"),
        (401, "Unauthorized: a token is needed, or the token sent is unknown"),
        (403, "Forbidden: the token's role may not do this"),
        (404, "Not found: no such collection, feature, unit, vintage or path"),
        (500, "Internal server error: an unexpected error, logged under the error id the description gives"),
        (503, "Service unavailable: the store is busy or cannot be reached; try again shortly"),
    )
}

_DB_URL = re.compile(r"\b(?:postgres(?:ql)?(?:\+\w+)?|sqlite|file)://\S*", re.IGNORECASE)
_ABSOLUTE = re.compile(r"(?<![\w.:/~-])/([\w.-]+)(?:/[^\s'\"`,;:()<>\[\]{}]*)?")


@cache
def _root_names() -> frozenset[str]:
    """The names in the server's root folder (``work``, ``tmp``, ``home``, ``usr`` ...): a path in a
    message starting with one of them is a server path, not one of the service's URLs."""
    try:
        return frozenset(os.listdir("/"))
    except OSError:
        return frozenset()


def public_text(text: str, secrets: tuple[str, ...] = ()) -> str:
    """``text`` fit for a client: each server path replaced by its last part (a file's name),
    database URLs and ``secrets`` (the store's location) replaced by a placeholder."""
    for secret in sorted((x for x in secrets if x), key=len, reverse=True):
        text = text.replace(secret, Path(secret).name if secret.startswith("/") else "<the store>")
    text = _DB_URL.sub("<the store>", text)

    def strip(match: re.Match) -> str:
        if match.group(1) not in _root_names():
            return match.group(0)
        return Path(match.group(0).rstrip("/.")).name or "<server path>"

    return _ABSOLUTE.sub(strip, text)


_CODES = {401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 413: "ContentTooLarge"}


#: What the service accepts of parameters declared as plain strings elsewhere (``api.deps``,
#: ``api.ogc.query``, the routers), as the document says it: the allowed values, or the format.
#: Parameters whose grammar JSON Schema cannot say (place names, vintages, ``bbox``, ``datetime``,
#: CQL2) stay strings; ``tests/api/test_schemathesis.py`` is tolerant only of those.
_DATE = {"format": "date"}
_CRS = {"enum": SUPPORTED_CRS}
PARAMETER_SCHEMAS: dict[str, dict] = {
    "date": _DATE,
    "from": _DATE,
    "to": _DATE,
    "crs": _CRS,
    "bbox-crs": _CRS,
    "filter-crs": {"enum": [CRS84]},
    "rule": {"enum": list(RULES)},
    "rule_level": {"enum": list(LEVELS)},
    "topic": {"enum": list(TOPICS)},
    "collectionId": {"enum": [c.id for c in registry.served()]},
}
#: Parameters named alike with other grammars on some paths: (path, name) -> schema.
PATH_PARAMETER_SCHEMAS: dict[tuple[str, str], dict] = {("/crosswalk", "f"): {"enum": ["json", "csv"]}}
#: Media types of answers FastAPI documents as JSON only.
RESPONSE_MEDIA = {
    "/api": [OPENAPI30, HTML],
    "/collections/{collectionId}/queryables": [SCHEMA_JSON, HTML],
    "/collections/{collectionId}/schema": [SCHEMA_JSON],
    "/collections/{collectionId}/download": [media.split(";")[0] for media, _ in FORMATS.values()],
}

#: Upload examples of the write operations (small real files, test data the way the samples are): a
#: status row of Xã Nhơn Thạnh, Thành phố Bến Tre; the 2020 An Hội merge of the Bến Tre lineage
#: (``boundaries/examples/ben_tre_city_lineage.csv``); two road segments in Thành phố Bến Tre.
UPLOAD_EXAMPLES: dict[str, dict] = {
    "/statuses": {
        "file": "province,district,commune,year,framework,level,criterion,status,source\n"
        "Bến Tre,Thành phố Bến Tre,Nhơn Thạnh,2011,qd1980_2016,ntm,9,chưa đạt,example\n",
    },
    "/lineage": {
        "file": "event_id,effective_date,legal_act,kind,before,after,after_name,after_type,parent_after,note\n"
        "bt-2020-an-hoi,2020-02-01,856/NQ-UBTVQH14 (10/01/2020),merge,8110101;8110103;8110105,28777,"
        "Phường An Hội,phuong,,Phường 1; 2; 3 form Phường An Hội\n",
    },
    "/layers": {
        "file": '{"type": "FeatureCollection", "features": ['
        '{"type": "Feature", "properties": {"highway": "residential", "surface": "asphalt"}, "geometry": '
        '{"type": "LineString", "coordinates": [[106.37, 10.24], [106.38, 10.24]]}}]}',
        "name": "example roads",
        "kind": "roads",
        "valid_date": "2020-12-31",
        "mapping": "osm",
    },
}

UPLOAD_NAMES = {"/statuses": "statuses.csv", "/lineage": "lineage.csv", "/layers": "roads.geojson"}


def _document_parameters(path: str, operation: dict) -> None:
    """``PARAMETER_SCHEMAS`` written into the operation's parameters (the non-null option of an
    optional one), ``UPLOAD_EXAMPLES`` into its upload body, and the media types its answers have."""
    parameters = operation.get("parameters", [])
    for parameter in parameters:
        name = parameter.get("name", "")
        extra = PATH_PARAMETER_SCHEMAS.get((path, name)) or PARAMETER_SCHEMAS.get(name)
        if not extra:
            continue
        schema = parameter.setdefault("schema", {})
        options = [o for o in schema.get("anyOf", []) if o.get("type") == "string"]
        (options[0] if options else schema).update(extra)
    if path in UPLOAD_EXAMPLES:
        name = UPLOAD_NAMES[path]  # the service reads the file's type from its name's extension
        disposition = {"schema": {"type": "string", "example": f'form-data; name="file"; filename="{name}"'}}
        for media_type in operation.get("requestBody", {}).get("content", {}).values():
            media_type["example"] = UPLOAD_EXAMPLES[path]
            media_type["encoding"] = {"file": {"headers": {"Content-Disposition": disposition}}}
    responses = operation.get("responses", {})
    for status in ERROR_RESPONSES:  # errors are JSON on every path, HTML pages' too
        content = responses.get(str(status), {}).get("content")
        if content:
            responses[str(status)]["content"] = {JSON: next(iter(content.values()))}
    ok = responses.get("200", {})
    media = RESPONSE_MEDIA.get(path)
    if media is None and any(p.get("name") == "f" and p.get("schema", {}).get("enum") == F_VALUES for p in parameters):
        media = [GEOJSON if "/items" in path else JSON, HTML]  # the OGC pages: json or html by f/Accept
    if media and "content" in ok:
        first: dict = next(iter(ok["content"].values()), {})
        schema = first.get("schema", {})
        ok["content"] = {
            m: {"schema": schema if m.split(";")[0].endswith("json") else {"type": "string"}} for m in media
        }


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
    )
    app.state.settings = settings
    app.state.tokens = load_tokens(settings.tokens_file)
    app.add_middleware(BodyLimit, max_bytes=int(settings.max_upload_mb * 1_000_000))
    hidden = (str(settings.db), str(settings.data_dir), str(settings.assets_dir))

    def _error(status: int, code: str, description: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
        content = {"code": code, "description": public_text(description, hidden)}
        return JSONResponse(status_code=status, content=content, headers=headers)

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

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        error_id = uuid.uuid4().hex[:12]
        log.error("error %s on %s %s", error_id, request.method, request.url.path, exc_info=exc)
        return _error(500, "InternalServerError", f"an unexpected error occurred; it was logged as error {error_id}")

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

    def openapi() -> dict:
        """FastAPI's document without its 422 (invalid parameters are 400s here, ``ERROR_RESPONSES``)."""
        if app.openapi_schema is None:
            doc = FastAPI.openapi(app)
            for path, operations in doc.get("paths", {}).items():
                for operation in operations.values():
                    if isinstance(operation, dict):
                        operation.get("responses", {}).pop("422", None)
                        _document_parameters(path, operation)
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend its OpenAPI
    if settings.read_token_required:  # outermost: the landing page, /api, /docs and static files too
        app.add_middleware(ReadGate, tokens=app.state.tokens)
    return app
