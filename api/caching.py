"""HTTP done properly: compression, conditional requests and caching, CORS (docs/http.md).

- **Compression**: gzip (Starlette's ``GZipMiddleware``) of every answer of at least
  ``MIN_GZIP_BYTES`` whose media type compresses (JSON, GeoJSON, HTML, JavaScript, CSS, CSV ...),
  never of PNG, ZIP (shapefiles), GeoPackage or XLSX downloads, which are compressed already or
  binary.
- **Conditional requests**: a data route takes ``dependencies=[Conditional], responses=NOT_MODIFIED``
  (one line) and answers with a weak ``ETag``, a ``Last-Modified`` and ``Cache-Control: no-cache``;
  a request whose ``If-None-Match`` (else ``If-Modified-Since``) still holds gets ``304 Not
  Modified`` before the route computes anything. The validator is built on the store's
  ``data_version()`` (raised by every write transaction), the provincial frameworks folder, the
  code and settings of the running service, the full URL and the request headers the answer
  varies on.
- **Response cache**: the 200 answer of a conditional route (its bytes as sent, gzipped or not, and
  its headers) is kept in a bounded in-process LRU (``ResponseCache``, ``GEO_NTM_RESPONSE_CACHE_MB``)
  under its ETag; the next request with the same ETag is answered from it before the route runs.
  The ETag names the data version, so after any write an old answer is never served again. A
  request without a token or conditional headers whose URL has an answer kept is answered before
  routing (``KeepAnswers``): one trip to a worker thread for the data version, nothing else.
- **Static files** (Leaflet, the planner's script and style) carry their content's hash in their
  URL (``static_url``): such a URL is cached for a year (``immutable``); without it, the browser
  revalidates (``no-cache``, StaticFiles' own ETag).
- **CORS**: ``GEO_NTM_CORS_ORIGINS`` lists the origins allowed (none by default: no CORS header).
- **HEAD**: every GET route answers HEAD with the headers GET would send, without the body
  (``HeadAsGet``; FastAPI's routes answer GET only)."""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import os
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qs

import anyio.to_thread
from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import StoreDep, get_store
from geo_ntm.frameworks import provincial_stamp
from geo_ntm.settings import PROJECT_ROOT, Settings

#: Smaller answers are sent as they are: gzip's header and the CPU cost outweigh what it saves.
MIN_GZIP_BYTES = 1024
#: zlib level 6 (zlib's default): 1% larger than 9 on the map data, in half its time (docs/http.md).
GZIP_LEVEL = 6
#: Media types never compressed: Starlette's list (images, zip, gzip ...) and our binary downloads.
NOT_COMPRESSED = (
    *DEFAULT_EXCLUDED_CONTENT_TYPES,
    "application/geopackage+sqlite3",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/octet-stream",
    "image/tiff",
)
#: The request headers an answer of a data route depends on besides its URL (sent as ``Vary``).
VARY = ("Accept", "Accept-Encoding")
#: Cache-Control of data answers: stored, but revalidated (a cheap 304) before each use.
DATA_CACHE = "no-cache"
#: Cache-Control of a static file asked with its content hash (``static_url``): it never changes.
IMMUTABLE = "public, max-age=31536000, immutable"
#: The service's own code and texts: a change (a new version deployed) makes every validator stale.
_CODE_FOLDERS = ("geo_ntm", "boundaries", "maps", "api")


@dataclass(frozen=True)
class Validator:
    """What identifies one answer of a data route: its weak ``etag`` and when it last changed."""

    etag: str
    last_modified: dt.datetime  # UTC, whole seconds
    cache_control: str

    def headers(self) -> dict[str, str]:
        """The response headers carrying it."""
        return {
            "ETag": self.etag,
            "Last-Modified": email.utils.format_datetime(self.last_modified, usegmt=True),
            "Cache-Control": self.cache_control,
            "Vary": ", ".join(VARY),
        }

    def still_fresh(self, if_none_match: str | None, if_modified_since: str | None) -> bool:
        """Whether a client holding an answer with these request headers may keep it (RFC 9110
        13.1.2-3): ``If-None-Match`` by weak comparison, else ``If-Modified-Since``."""
        if if_none_match is not None:
            tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
            return "*" in tags or self.etag.removeprefix("W/") in tags
        if if_modified_since is None:
            return False
        try:
            since = email.utils.parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False  # an unreadable date is ignored, as the RFC says
        return since.tzinfo is not None and self.last_modified <= since


class NotModified(Exception):
    """The client's copy is current: answered 304 with the validator's headers."""

    def __init__(self, validator: Validator):
        super().__init__(validator.etag)
        self.validator = validator


@dataclass(frozen=True)
class Fingerprint:
    """The running service's part of every validator: its code and settings, and their time."""

    digest: str
    changed_at: dt.datetime


def _files(folders: Iterable[Path]) -> Iterable[Path]:
    for folder in folders:
        for root, dirs, names in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            yield from (Path(root) / n for n in sorted(names))


def service_fingerprint(settings: Settings) -> Fingerprint:
    """The fingerprint of the code (each file's path, size and modification time) and of the
    settings (with the thresholds file's state): the same in every worker of one deployment."""
    code = _code_stamp(tuple(PROJECT_ROOT / f for f in _CODE_FOLDERS))
    extra = [settings.thresholds_file] if settings.thresholds_file else []
    stamps = [(str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in extra if p.is_file()]
    digest = hashlib.sha256(repr((code, settings.model_dump_json(), stamps)).encode()).hexdigest()
    newest = max([code[1], *(s[2] for s in stamps)])
    return Fingerprint(digest, _utc_seconds(newest))


@lru_cache(maxsize=2)
def _code_stamp(folders: tuple[Path, ...]) -> tuple[str, int]:
    """The digest and newest modification time (ns) of the files under ``folders``, once per process."""
    h, newest = hashlib.sha256(), 0
    for path in _files(folders):
        stat = path.stat()
        h.update(f"{path.relative_to(PROJECT_ROOT)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
        newest = max(newest, stat.st_mtime_ns)
    return h.hexdigest(), newest


def _utc_seconds(ns: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ns // 1_000_000_000, dt.UTC)


def validator_of(request: Request, store: StoreDep) -> Validator:
    """The validator of the answer ``request`` asks for, on the store's snapshot of this request."""
    settings: Settings = request.app.state.settings
    fingerprint: Fingerprint = request.app.state.fingerprint
    data = store.data_version()
    frameworks = provincial_stamp(settings.frameworks_dir) if settings.frameworks_dir else ()
    gzipped = "gzip" in request.headers.get("accept-encoding", "")  # as GZipMiddleware decides
    varies = (request.headers.get("accept", ""), gzipped)  # the headers of VARY
    key = repr((fingerprint.digest, data.number, frameworks, str(request.url), varies))
    etag = 'W/"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'
    times = [fingerprint.changed_at, data.changed_at.replace(microsecond=0)]
    times += [_utc_seconds(mtime) for _, mtime, _ in frameworks]
    cache = f"private, {DATA_CACHE}" if settings.read_token_required else DATA_CACHE
    return Validator(etag, max(times), cache)


#: An answer larger than this share of the response cache is not kept (16 MB of the default 128 MB):
#: one national download must not push out every other answer.
MAX_ENTRY_SHARE = 8


@dataclass(frozen=True)
class CachedAnswer:
    """A 200 answer of a conditional route as it was sent: its headers (raw, without
    ``Content-Length``) and its body (gzipped when it was sent gzipped)."""

    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    #: The request it answers, as ``request_key`` gives it ("": not said).
    request: str = ""

    @property
    def size(self) -> int:
        """Bytes it holds (body and headers)."""
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers)


class ResponseCache:
    """A bounded least-recently-used map from an answer's ETag to the answer (``CachedAnswer``),
    shared by the threads of one process. ``max_bytes`` 0 keeps nothing."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.max_entry_bytes = max_bytes // MAX_ENTRY_SHARE
        self.used = 0
        self.hits = 0
        self._entries: OrderedDict[str, CachedAnswer] = OrderedDict()
        self._requests: Counter[str] = Counter()  # request_key -> answers kept for it
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def holds_answer_to(self, request: str) -> bool:
        """Whether an answer to the request with this ``request_key`` is kept (under some ETag:
        maybe of an older data version)."""
        return self._requests[request] > 0

    def _drop(self, answer: CachedAnswer) -> None:
        self.used -= answer.size
        self._requests[answer.request] -= 1
        if not self._requests[answer.request]:
            del self._requests[answer.request]

    def get(self, etag: str) -> CachedAnswer | None:
        """The answer kept under ``etag`` (now the most recently used), or None."""
        with self._lock:
            answer = self._entries.get(etag)
            if answer is not None:
                self._entries.move_to_end(etag)
                self.hits += 1
            return answer

    def put(self, etag: str, answer: CachedAnswer) -> bool:
        """Keep ``answer`` under ``etag``, dropping the least recently used answers to stay within
        ``max_bytes``; an answer over ``max_entry_bytes`` is not kept (False)."""
        if answer.size > self.max_entry_bytes:
            return False
        with self._lock:
            old = self._entries.pop(etag, None)
            if old is not None:
                self._drop(old)
            while self._entries and self.used + answer.size > self.max_bytes:
                self._drop(self._entries.popitem(last=False)[1])
            self._entries[etag] = answer
            self.used += answer.size
            self._requests[answer.request] += 1
        return True


class FromCache(Exception):
    """The answer is in the response cache: sent as it is, without running the route."""

    def __init__(self, answer: CachedAnswer):
        super().__init__("from the response cache")
        self.answer = answer


def conditional(request: Request, store: StoreDep) -> None:
    """The dependency of a data route (``dependencies=[Conditional]``): 304 when the client's copy
    is current, before the route computes anything; else the answer kept in the response cache
    under the same ETag, if any; else the route runs and its 200 answer gets the headers
    (``ValidatorHeaders``) and is kept (``KeepAnswers``)."""
    if request.method not in ("GET", "HEAD"):
        return
    validator = validator_of(request, store)
    if validator.still_fresh(request.headers.get("if-none-match"), request.headers.get("if-modified-since")):
        raise NotModified(validator)
    cache: ResponseCache = request.app.state.response_cache
    answer = cache.get(validator.etag)
    if answer is not None:
        raise FromCache(answer)
    request.state.validator = validator


Conditional = Depends(conditional)
#: The 304 answer and the validator's headers, as the OpenAPI document shows them: a conditional
#: route declares ``dependencies=[Conditional], responses=NOT_MODIFIED``.
NOT_MODIFIED: dict[int | str, dict] = {
    304: {
        "description": "Not Modified: the copy named by If-None-Match (or If-Modified-Since) is current",
        "headers": {
            "ETag": {"description": "weak validator of the answer", "schema": {"type": "string"}},
            "Last-Modified": {"description": "when the data answered last changed", "schema": {"type": "string"}},
        },
    }
}


class ValidatorHeaders:
    """ASGI middleware adding the validator a route's ``conditional`` dependency left in the
    request's state to its 200 answer (a route may return any Response, whose headers FastAPI
    does not merge)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        state = scope.setdefault("state", {})

        async def send_with_validator(message: Message) -> None:
            validator = state.get("validator")
            if message["type"] == "http.response.start" and message["status"] == 200 and validator is not None:
                headers = MutableHeaders(scope=message)
                for name, value in validator.headers().items():
                    if name == "Vary":
                        for v in VARY:
                            headers.add_vary_header(v)
                    else:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_validator)


def request_key(scope: Scope) -> str:
    """What a GET's answer depends on besides the data (the ETag's parts of the request): its
    host, path and query, and the headers of ``VARY``, as they decide."""
    headers = Headers(scope=scope)
    query = scope.get("query_string", b"").decode("latin-1")
    gzipped = "gzip" in headers.get("accept-encoding", "")
    return repr((headers.get("host"), scope.get("root_path", ""), scope["path"], query, headers.get("accept"), gzipped))


#: The request's store as the routes get it (``get_store``: its snapshot, given back after).
_request_store = contextmanager(get_store)

#: Request headers that send a request through the routes: a token (checked there) and the
#: conditional ones (answered 304 there).
_ROUTED = (b"authorization", b"if-none-match", b"if-modified-since")


class KeepAnswers:
    """ASGI middleware in front of the routes: it answers a GET from the response cache before
    routing when it can, and keeps the 200 answer of a conditional GET (one whose request state
    holds a validator) in it, as sent: it sits outside gzip, so a gzipped answer is kept gzipped.
    Not kept: any other status, an answer sent in several parts (a streaming response) or as a
    file, and one over the cache's ``max_entry_bytes``.

    Answered before routing: a GET with no token nor conditional header, on a service whose
    reads need no token, when an answer to its URL and headers is kept; its validator is then
    computed (the data version, in a worker thread) and the answer kept under it is sent, else
    the request goes through the routes as any other (an older data version's answer is never
    sent). It is the same answer, headers and body, as the route's ``conditional`` dependency
    would send from the cache, without routing nor the dependencies' other trips to the threads."""

    def __init__(self, app: ASGIApp, cache: ResponseCache, settings: Settings):
        self.app = app
        self.cache = cache
        self.early = not settings.read_token_required

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or self.cache.max_bytes == 0:
            return await self.app(scope, receive, send)
        key = request_key(scope)
        if self.early and self.cache.holds_answer_to(key) and not any(k in _ROUTED for k, _ in scope["headers"]):
            answer = await anyio.to_thread.run_sync(self._kept, scope)
            if answer is not None:
                await send_answer(answer, send)
                return
        state = scope.setdefault("state", {})
        headers: list[tuple[bytes, bytes]] | None = None

        async def send_and_keep(message: Message) -> None:
            nonlocal headers
            validator = state.get("validator")
            if message["type"] == "http.response.start":
                if message["status"] == 200 and validator is not None:
                    headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"content-length"]
            elif message["type"] == "http.response.body" and headers is not None:
                if not message.get("more_body", False) and validator is not None:
                    self.cache.put(validator.etag, CachedAnswer(tuple(headers), message.get("body", b""), key))
                headers = None
            await send(message)

        await self.app(scope, receive, send_and_keep)

    def _kept(self, scope: Scope) -> CachedAnswer | None:
        """The answer kept under the validator of the request on the store's current data (in a
        worker thread: it reads the data version), or None."""
        request = Request(scope)
        try:
            with _request_store(request) as store:
                validator = validator_of(request, store)
        except Exception:  # the routes meet the same fault and answer it as they should
            return None
        return self.cache.get(validator.etag)


async def send_answer(answer: CachedAnswer, send: Send) -> None:
    """Send a kept answer: its headers with its ``Content-Length``, and its body."""
    length = (b"content-length", str(len(answer.body)).encode("latin-1"))
    await send({"type": "http.response.start", "status": 200, "headers": [*answer.headers, length]})
    await send({"type": "http.response.body", "body": answer.body, "more_body": False})


async def _not_modified(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, NotModified)
    return Response(status_code=304, headers=exc.validator.headers())


async def _from_cache(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, FromCache)
    response = Response(exc.answer.body)  # its Content-Length
    response.raw_headers = [*exc.answer.headers, *response.raw_headers]
    return response


@lru_cache(maxsize=64)
def _content_hash(path: Path, size: int, mtime_ns: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def content_hash(path: Path) -> str:
    """The first 16 hex digits of the SHA-256 of the file's content (cached per size and mtime)."""
    stat = path.stat()
    return _content_hash(path, stat.st_size, stat.st_mtime_ns)


class VersionedStaticFiles(StaticFiles):
    """Static files whose URL may carry ``?v=<content hash>`` (``static_url``): such an answer
    is cached for a year; any other is revalidated (``no-cache``) with StaticFiles' ETag."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            asked = parse_qs(scope["query_string"].decode("latin-1")).get("v", [])
            full, _ = self.lookup_path(path)
            current = bool(full) and os.path.isfile(full) and asked == [content_hash(Path(full))]
            response.headers["Cache-Control"] = IMMUTABLE if current else DATA_CACHE
        return response


def static_url(request: Request, mount: str, name: str) -> str:
    """The URL of file ``name`` of the static mount ``mount`` (``leaflet``, ``planner``) with its
    content hash: cached by browsers for a year, and a new URL as soon as the file changes."""
    folder: Path = request.app.state.static_dirs[mount]
    return f"/static/{mount}/{name}?v={content_hash(folder / name)}"


def mount_static(app: FastAPI, folders: dict[str, Path]) -> None:
    """Serve each folder under ``/static/<name>`` (``VersionedStaticFiles``)."""
    app.state.static_dirs = folders
    for name, folder in folders.items():
        app.mount(f"/static/{name}", VersionedStaticFiles(directory=folder), name=name)


class HeadAsGet:
    """A HEAD request run as the GET of the same URL, its answer sent without the body (RFC 9110
    9.3.2: the same headers as GET would send)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


def install_http(app: FastAPI, settings: Settings) -> None:
    """The validators' headers, the 304 answer, gzip, the response cache and, when origins are
    set, CORS. Call it
    last: CORS must be the outermost middleware, so that a preflight and a refused token's 401
    carry its headers too."""
    app.state.fingerprint = service_fingerprint(settings)
    app.state.response_cache = ResponseCache(int(settings.response_cache_mb * 1_000_000))
    app.add_exception_handler(NotModified, _not_modified)
    app.add_exception_handler(FromCache, _from_cache)
    app.add_middleware(ValidatorHeaders)
    app.add_middleware(
        GZipMiddleware,
        minimum_size=MIN_GZIP_BYTES,
        compresslevel=GZIP_LEVEL,
        exclude_content_types=NOT_COMPRESSED,
    )
    app.add_middleware(KeepAnswers, cache=app.state.response_cache, settings=settings)
    app.add_middleware(HeadAsGet)  # outside gzip: HEAD gets the headers of GET's compressed answer
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "HEAD", "POST", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "If-None-Match", "If-Modified-Since", "Accept"],
            expose_headers=["ETag", "Last-Modified", "Location", "Content-Crs", "Content-Disposition"],
            max_age=600,
        )
