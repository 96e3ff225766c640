"""Bearer tokens and roles, and the limit on request bodies.

The token file (``GEO_NTM_TOKENS``) has one token a line, ``name role token``, blank lines and
``#`` comments ignored; role is ``reader``, ``editor`` (may write) or ``admin`` (may write and read
the audit log). Clients send ``Authorization: Bearer <token>``. The file is read when the service
starts; without one, every write is refused."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from geo_ntm.errors import InputError

ROLES = ("reader", "editor", "admin")  # each role may do what the ones before it may


@dataclass(frozen=True)
class Principal:
    name: str
    role: str


def load_tokens(path: Path | None) -> list[tuple[str, Principal]]:
    """The (token, principal) pairs of a token file; none without a file."""
    if path is None:
        return []
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        if len(fields) != 3 or fields[1] not in ROLES:
            raise InputError(f"{path}, line {number}: expected 'name role token' with role one of {', '.join(ROLES)}")
        name, role, token = fields
        found.append((token, Principal(name, role)))
    return found


def _refuse(status: int, text: str) -> HTTPException:
    return HTTPException(status, text, headers={"WWW-Authenticate": "Bearer"} if status == 401 else None)


def principal(request: Request) -> Principal | None:
    """Who sent the request: None without a token; 401 for a token the service does not know."""
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _refuse(401, "the Authorization header must be 'Bearer <token>'")
    given = token.strip().encode()
    found = None
    for known, who in request.app.state.tokens:  # compare with every token, in constant time
        if hmac.compare_digest(known.encode(), given):
            found = who
    if found is None:
        raise _refuse(401, "unknown token")
    return found


def require(role: str):
    """A dependency: the request's principal, who must hold ``role`` or a higher one."""

    def check(who: Annotated[Principal | None, Depends(principal)]) -> Principal:
        if who is None:
            raise _refuse(401, f"this needs a token with the {role} role: send 'Authorization: Bearer <token>'")
        if ROLES.index(who.role) < ROLES.index(role):
            raise _refuse(403, f"{who.name} has the {who.role} role; this needs {role}")
        return who

    return check


def read_access(request: Request, who: Annotated[Principal | None, Depends(principal)]) -> None:
    """Reads are public unless ``GEO_NTM_READ_TOKEN_REQUIRED`` is set; then any valid token will do."""
    if who is None and request.app.state.settings.read_token_required:
        raise _refuse(401, "this service needs a token for reads too: send 'Authorization: Bearer <token>'")


class BodyLimit:
    """ASGI middleware refusing request bodies over ``max_bytes`` with 413: at once when the
    Content-Length says so, else while the body is read (before anything is stored)."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    def _too_large(self) -> HTTPException:
        return HTTPException(
            413, f"the request body is larger than the limit of {self.max_bytes / 1e6:g} MB (GEO_NTM_MAX_UPLOAD_MB)"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            body = {"code": "ContentTooLarge", "description": self._too_large().detail}
            return await JSONResponse(body, status_code=413)(scope, receive, send)
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise self._too_large()
            return message

        await self.app(scope, counted, send)
