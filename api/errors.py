"""The service's errors: every one is JSON ``{"code": ..., "description": ...}`` with a 4xx or 5xx
status, and its description never shows a server path (a file's name instead), a database URL or a
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

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from geo_ntm.errors import GeoNtmError, NotFoundError, StoreBusyError, StoreUnavailableError

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


def error_response(
    status: int, code: str, description: str, headers: Mapping[str, str] | None = None, hidden: tuple[str, ...] = ()
) -> JSONResponse:
    """An error answer: ``{"code", "description"}`` with the description made public (``public_text``,
    with ``hidden`` locations replaced). For middlewares, which the exception handlers do not cover."""
    content = {"code": code, "description": public_text(description, hidden)}
    return JSONResponse(status_code=status, content=content, headers=headers)


_CODES = {401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 413: "ContentTooLarge"}


def install_error_handlers(app: FastAPI, hidden: tuple[str, ...]) -> None:
    """Answer every error of ``app`` as JSON, its description made public (``public_text``, with
    ``hidden`` locations replaced)."""

    def _error(status: int, code: str, description: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
        return error_response(status, code, description, headers, hidden)

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
