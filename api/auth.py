"""Bearer tokens and roles, and the limit on request bodies.

The token file (``GEO_NTM_TOKENS``) has one token a line, ``name role token``, blank lines and
``#`` comments ignored; role is ``reader``, ``editor`` (may write) or ``admin`` (may write and read
the audit log). Clients send ``Authorization: Bearer <token>``. The file is read when the service
starts; without one, every write is refused. A file the service cannot trust is refused at start,
with the reason (``TokenFileError``): readable or writable by others than its owner (mode & 0o077),
a token shorter than ``MIN_TOKEN_LENGTH`` characters, or a ``#`` inside a token (the rest of it
would silently be read as a comment).

``GEO_NTM_READ_TOKEN_REQUIRED=1`` protects every path but ``/health`` (``ReadGate``): the
landing page, the OpenAPI document, ``/docs`` and the static files too."""

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


MIN_TOKEN_LENGTH = 32


class TokenFileError(InputError):
    """The token file cannot be used; the service does not start."""


def load_tokens(path: Path | None) -> list[tuple[str, Principal]]:
    """The (token, principal) pairs of a token file; none without a file. TokenFileError, naming
    the line and the reason, for a file that cannot be read or trusted."""
    if path is None:
        return []
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TokenFileError(f"token file {path} (GEO_NTM_TOKENS) cannot be read: {exc}") from None
    if mode & 0o077:
        raise TokenFileError(
            f"token file {path} (GEO_NTM_TOKENS) is open to other users (mode {mode & 0o777:o}): "
            f"make it readable by its owner alone, e.g. chmod 600 {path}"
        )
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        comment = next((i for i, f in enumerate(fields) if f.startswith("#")), len(fields))
        fields = fields[:comment]  # a comment after the three fields
        where = f"token file {path}, line {number}"
        if len(fields) != 3 or fields[1] not in ROLES:
            raise TokenFileError(f"{where}: expected 'name role token' with role one of {', '.join(ROLES)}")
        name, role, token = fields
        if "#" in token or "#" in name:
            raise TokenFileError(f"{where}: a token or name cannot hold '#' (the rest would be read as a comment)")
        if len(token) < MIN_TOKEN_LENGTH:
            raise TokenFileError(
                f"{where}: the token of {name} has {len(token)} characters; at least {MIN_TOKEN_LENGTH} are "
                "needed (e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
        found.append((token, Principal(name, role)))
    return found


def _refuse(status: int, text: str) -> HTTPException:
    return HTTPException(status, text, headers={"WWW-Authenticate": "Bearer"} if status == 401 else None)


def bearer(header: str, tokens: list[tuple[str, Principal]]) -> Principal | None:
    """The principal of an ``Authorization: Bearer <token>`` header: None without a header; 401 for
    a header of another form or a token the service does not know."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _refuse(401, "the Authorization header must be 'Bearer <token>'")
    found = known_token(tokens, token)
    if found is None:
        raise _refuse(401, "unknown token")
    return found


def principal(request: Request) -> Principal | None:
    """Who sent the request: None without a token; 401 for a token the service does not know.
    Every route depends on it, so a bad token is refused even where no role is needed."""
    return bearer(request.headers.get("authorization", ""), request.app.state.tokens)


def known_token(tokens: list[tuple[str, Principal]], token: str) -> Principal | None:
    """The principal holding ``token``, compared with every known token in constant time."""
    given = token.strip().encode()
    found = None
    for known, who in tokens:
        if hmac.compare_digest(known.encode(), given):
            found = who
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


#: Paths that answer without a token even when reads need one: a load balancer's health check.
PUBLIC_PATHS = ("/health",)
READ_TOKEN_NEEDED = "this service needs a token for reads too: send 'Authorization: Bearer <token>'"


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


class ReadGate:
    """ASGI middleware, in front of everything when ``GEO_NTM_READ_TOKEN_REQUIRED`` is set: a
    request for any path but those in ``public`` (``/health``) needs a valid bearer token, whatever
    answers it (the landing page, ``/api``, ``/openapi.json``, ``/docs``, static files, the routes).
    The routes still check roles (``require``)."""

    def __init__(self, app: ASGIApp, tokens: list[tuple[str, Principal]], public: tuple[str, ...] = PUBLIC_PATHS):
        self.app, self.tokens, self.public = app, tokens, public

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.public:
            return await self.app(scope, receive, send)
        header = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
        try:
            who = bearer(header, self.tokens)
        except HTTPException as refused:
            text = str(refused.detail)
        else:
            if who is not None:
                return await self.app(scope, receive, send)
            text = READ_TOKEN_NEEDED
        body = {"code": "Unauthorized", "description": text}
        await JSONResponse(body, status_code=401, headers={"WWW-Authenticate": "Bearer"})(scope, receive, send)
