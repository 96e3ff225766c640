"""Upload imports run in a worker process with a memory ceiling and a time limit (issue 11).

``run_import(job, db, folder, ...)`` starts a child from a ``forkserver`` (never ``fork``: the
service has threads and a connection pool; the fork server is a fresh, single-threaded process
that has imported this module once, so a child starts in milliseconds). The child lowers its
address-space limit (``RLIMIT_AS``, ``GEO_NTM_IMPORT_MAX_MB``), opens its own store on ``db``,
runs ``job(store, **kwargs)`` and sends back what it returned, or the ``GeoNtmError`` it raised,
through a pipe. The parent waits (in the request's worker thread, never on the event loop) at most
``GEO_NTM_IMPORT_MAX_SECONDS`` and kills the child after that. Imports are one transaction each, so
a child killed or dead mid-write leaves the store as it was: SQLite rolls back the unfinished
write from its WAL, PostgreSQL aborts the transaction when the connection drops.

The child's temporary files go into ``folder`` (the upload's temporary folder, ``TMPDIR``), which
the caller removes in every case, even when the child was killed."""

from __future__ import annotations

import errno
import multiprocessing
import os
import resource
import tempfile
import traceback
from collections.abc import Callable, Mapping
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from boundaries.vintages import import_lineage
from geo_ntm.errors import GeoNtmError
from geo_ntm.infrastructure.layers import import_layer
from geo_ntm.status_import.importer import import_status_file
from geo_ntm.store import Store, open_store

#: What the fork server imports once, so that no worker loads a library under its memory ceiling
#: only to open its store (a shared object that cannot be mapped is an ImportError, not a MemoryError).
_PRELOAD = [__name__, "geo_ntm.store.gpkg", "geo_ntm.store.postgis"]

#: How long the parent waits for a killed child to go, in seconds.
_REAP_SECONDS = 10


class ImportOverMemory(Exception):
    """The import needed more address space than ``GEO_NTM_IMPORT_MAX_MB``; nothing was stored."""

    def __init__(self, max_mb: float):
        super().__init__(
            f"the import needed more than {max_mb:g} MB (GEO_NTM_IMPORT_MAX_MB); nothing was stored. "
            "Split the file into smaller ones, or ask the operator to raise the limit"
        )


class ImportOverTime(Exception):
    """The import ran longer than ``GEO_NTM_IMPORT_MAX_SECONDS`` and was stopped; nothing was stored."""

    def __init__(self, max_seconds: float):
        super().__init__(
            f"the import ran longer than {max_seconds:g} s (GEO_NTM_IMPORT_MAX_SECONDS) and was stopped; "
            "nothing was stored. Try again when the service is less busy, or split the file"
        )


class ImportCrashed(RuntimeError):
    """The worker failed unexpectedly (an error other than a GeoNtmError, or it died); the message
    holds its traceback or exit code for the log, never for the client."""


# -- the jobs: what the upload endpoints ran in the service process before -----------------------
def status_job(store: Store, path: Path, **kwargs: Any) -> dict:
    report = import_status_file(store, path, **kwargs)
    return {"body": report.to_dict(), "ok": report.ok, "stored": report.stored}


def lineage_job(store: Store, path: Path, **kwargs: Any) -> dict:
    report = import_lineage(store, path, **kwargs)
    return {"body": report.to_dict(), "stored": report.stored}


def layer_job(store: Store, path: Path, *args: Any, **kwargs: Any) -> dict:
    report = import_layer(store, path, *args, **kwargs)
    layer_id = report.layer.layer_id if report.layer else None
    return {"body": {**report.to_dict(), "layer_id": layer_id}, "stored": report.layer is not None}


# -- the runner ----------------------------------------------------------------------------------
def _context() -> Any:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PRELOAD)  # only before the server starts; harmless after
    return context


def run_import(
    job: Callable[..., Any],
    db: str,
    folder: Path,
    *,
    max_mb: float,
    max_seconds: float,
    args: tuple = (),
    kwargs: Mapping[str, Any] | None = None,
) -> Any:
    """What ``job(store, *args, **kwargs)`` returned in a worker on the store ``db``; its
    GeoNtmError raised again here; ImportOverMemory, ImportOverTime or ImportCrashed otherwise.
    ``job`` must be a module-level function (the worker imports it by name)."""
    context = _context()
    receiver, sender = context.Pipe(duplex=False)
    env = dict(os.environ, TMPDIR=str(folder))  # the fork server's environment is that of its start
    child = context.Process(
        target=_child,
        args=(sender, job, db, env, max_mb, args, dict(kwargs or {})),
        name="geo_ntm-import",
        daemon=True,
    )
    try:
        child.start()
        sender.close()  # the child holds the only writer: EOF when it dies
        if not receiver.poll(max_seconds):
            raise ImportOverTime(max_seconds)
        try:
            outcome, value = receiver.recv()
        except EOFError:
            child.join(_REAP_SECONDS)
            raise ImportCrashed(f"the import worker ended without an answer, exit code {child.exitcode}") from None
    finally:
        if child.is_alive():
            child.kill()
        if child.pid is not None:
            child.join(_REAP_SECONDS)
        receiver.close()
        sender.close()
    if outcome == "ok":
        return value
    if outcome == "memory":
        raise ImportOverMemory(max_mb)
    if outcome == "error":
        cls, message, state = value
        error = cls.__new__(cls)
        Exception.__init__(error, message)
        error.__dict__.update(state)
        raise error
    raise ImportCrashed(value)


#: What the C libraries say when an allocation or a mapping fails under RLIMIT_AS.
_NO_MEMORY = ("failed to map segment", "cannot allocate memory", "out of memory", "std::bad_alloc")


def _out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc``, or an error it came from, is a failed allocation: a MemoryError, ENOMEM, or
    a library's message saying so (a library loaded lazily fails with an ImportError)."""
    seen: set[int] = set()
    error: BaseException | None = exc
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, MemoryError) or (isinstance(error, OSError) and error.errno == errno.ENOMEM):
            return True
        if any(text in str(error).lower() for text in _NO_MEMORY):
            return True
        error = error.__cause__ or error.__context__
    return False


def _child(
    sender: Connection,
    job: Callable[..., Any],
    db: str,
    env: Mapping[str, str],
    max_mb: float,
    args: tuple,
    kwargs: dict,
) -> None:
    """The worker: limits, its own store, the job, one answer."""
    os.environ.clear()
    os.environ.update(env)  # settings the importers read (Settings.from_env) and TMPDIR
    tempfile.tempdir = None
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    ceiling = int(max_mb * 1024 * 1024)
    try:
        try:
            # the store is opened under the service's own limit (SQLite maps its WAL index, libpq its
            # buffers): a connection that fails there is the store's fault, not the upload's
            with open_store(db) as store:
                limit = ceiling if hard == resource.RLIM_INFINITY else min(ceiling, hard)
                resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
                answer: tuple[str, Any] = ("ok", job(store, *args, **kwargs))
        except GeoNtmError as exc:
            answer = ("error", (type(exc), exc.message, dict(exc.__dict__)))
        except Exception as exc:
            answer = ("memory", None) if _out_of_memory(exc) else ("crash", traceback.format_exc())
    except MemoryError:  # in an except clause above
        answer = ("memory", None)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))  # room to send the answer
    sender.send(answer)
    sender.close()
