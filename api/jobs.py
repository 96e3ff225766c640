"""Work that must not run in a request (issues 11 and 14) runs in a worker process with a memory
ceiling and a time limit: uploads' imports and long computations (coverage tables), run as
background jobs the request starts (or joins, for a computation) and waits for a while
(``api.background``).

``run_in_worker(job, db, folder, limits, ...)`` starts a child from a ``forkserver`` (never ``fork``:
the service has threads and a connection pool; the fork server is a fresh, single-threaded process
that has imported this module once, so a child starts in milliseconds). The child lowers its
address-space limit (``RLIMIT_AS``, ``limits.max_mb``), opens its own store on ``db``, runs
``job(store, ...)`` and sends back its progress reports (``geo_ntm.job_progress``), then what it
returned or the ``GeoNtmError`` it raised, through a pipe. The parent waits (in a worker thread,
never on the event loop) at most ``limits.max_seconds`` and kills the child after that. Writes are
one transaction each, so a child killed or dead mid-write leaves the store as it was: SQLite rolls
back the unfinished write from its WAL, PostgreSQL aborts the transaction when the connection drops.

The child's temporary files go into ``folder`` (``TMPDIR``), which the caller removes in every
case, even when the child was killed.

``JobBoard`` runs background jobs (one thread each, waiting on its worker), at most
``GEO_NTM_JOB_WORKERS`` at once: a job has an id, a key (the same question asked while its job is
queued or running joins that job), a state, its progress and, when it failed, the error as the
API would have answered it.

A service of several processes (``geo-ntm serve --workers N``) has one board per process; with a
folder (``GEO_NTM_JOBS_DIR``) each board also writes every change of its jobs' states there, one
JSON file per job (written whole, then renamed into place), so that ``GET /jobs/{id}`` answers on
whichever process the client reaches. Joining a running job stays within a process: the same new
question asked of two processes at once is computed twice, and the second answer is not stored
again (``Store.add_computed_result``)."""

from __future__ import annotations

import errno
import json
import logging
import multiprocessing
import os
import re
import resource
import secrets
import tempfile
import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from boundaries.vintages import import_lineage
from geo_ntm.errors import GeoNtmError, InputError, NotFoundError
from geo_ntm.groups import import_groups_file
from geo_ntm.indicator_sets import import_indicator_set, set_record
from geo_ntm.infrastructure.dask_engine import opened_engine
from geo_ntm.infrastructure.layers import import_layer
from geo_ntm.infrastructure.queries import CoverageRequest, coverage
from geo_ntm.infrastructure.thresholds import Thresholds
from geo_ntm.job_progress import reporting_to
from geo_ntm.settings import Settings
from geo_ntm.status_import.importer import import_status_file
from geo_ntm.store import Store, open_store
from geo_ntm.targets import import_targets

#: What the fork server imports once, so that no worker loads a library under its memory ceiling
#: only to open its store (a shared object that cannot be mapped is an ImportError, not a MemoryError).
_PRELOAD = [__name__, "geo_ntm.store.gpkg", "geo_ntm.store.postgis"]

#: How long the parent waits for a killed child to go, in seconds.
_REAP_SECONDS = 10


@dataclass(frozen=True)
class Limits:
    """What a worker may take, and how its refusals name the settings and the remedy."""

    max_mb: float
    max_seconds: float
    prefix: str  # of the settings: GEO_NTM_IMPORT or GEO_NTM_JOB
    what: str  # "the import", "the computation"
    smaller: str  # what the client can do instead

    @classmethod
    def of_imports(cls, settings: Settings) -> Limits:
        """The limits of an upload's import (``GEO_NTM_IMPORT_MAX_MB``, ``GEO_NTM_IMPORT_MAX_SECONDS``)."""
        return cls(
            settings.import_max_mb,
            settings.import_max_seconds,
            "GEO_NTM_IMPORT",
            "the import",
            "split the file into smaller ones",
        )

    @classmethod
    def of_jobs(cls, settings: Settings) -> Limits:
        """The limits of a background computation (``GEO_NTM_JOB_MAX_MB``, ``GEO_NTM_JOB_MAX_SECONDS``)."""
        return cls(
            settings.job_max_mb, settings.job_max_seconds, "GEO_NTM_JOB", "the computation", "ask about a smaller place"
        )


class WorkerOverMemory(Exception):
    """The worker needed more address space than its ``limits.max_mb``; nothing was stored."""

    def __init__(self, limits: Limits):
        super().__init__(
            f"{limits.what} needed more than {limits.max_mb:g} MB ({limits.prefix}_MAX_MB); nothing was stored. "
            f"{limits.smaller.capitalize()}, or ask the operator to raise the limit"
        )


class WorkerOverTime(Exception):
    """The worker ran longer than its ``limits.max_seconds`` and was stopped; nothing was stored."""

    def __init__(self, limits: Limits):
        super().__init__(
            f"{limits.what} ran longer than {limits.max_seconds:g} s ({limits.prefix}_MAX_SECONDS) and was stopped; "
            f"nothing was stored. Try again when the service is less busy, or {limits.smaller}"
        )


class WorkerCrashed(RuntimeError):
    """The worker failed unexpectedly (an error other than a GeoNtmError, or it died); the message
    holds its traceback or exit code for the log, never for the client."""


# -- the jobs: module-level functions, which the worker imports by name ------------------------
# An upload's job answers what its request answers (``api.writes``): the HTTP status, the import
# report as the body, and whether anything was stored (for the log).
def status_job(store: Store, path: Path, **kwargs: Any) -> dict:
    report = import_status_file(store, path, **kwargs)
    return _answer(report.to_dict(), report.stored, ok=report.ok)


def groups_job(store: Store, path: Path, **kwargs: Any) -> dict:
    report = import_groups_file(store, path, **kwargs)
    return _answer(report.to_dict(), report.stored, ok=report.ok)


def lineage_job(store: Store, path: Path, **kwargs: Any) -> dict:
    report = import_lineage(store, path, **kwargs)
    return _answer(report.to_dict(), report.stored)


def layer_job(store: Store, path: Path, *args: Any, **kwargs: Any) -> dict:
    report = import_layer(store, path, *args, **kwargs)
    layer_id = report.layer.layer_id if report.layer else None
    return _answer({**report.to_dict(), "layer_id": layer_id}, report.layer is not None)


def targets_job(store: Store, path: Path, **kwargs: Any) -> dict:
    report = import_targets(store, path, **kwargs)
    return _answer(report.to_dict(), report.import_id is not None)


def indicator_set_job(store: Store, path: Path, *, actor: str, source_name: str) -> dict:
    stored = import_indicator_set(store, source_name, utf8_text(path, f"indicator set file {source_name}"), actor=actor)
    return {"status": 201, "body": set_record(stored), "stored": True}


def utf8_text(path: Path, what: str) -> str:
    """The text of an uploaded file, as sent (no newline translation); InputError naming ``what``
    when it is not UTF-8."""
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{what} is not UTF-8 text") from None


def _answer(body: dict, stored: bool, ok: bool = True) -> dict:
    """An upload's answer: 200 when the file is clean or something was stored, else 400 (rows
    with problems, nothing stored), the report as the body either way."""
    return {"status": 200 if ok or stored else 400, "body": body, "stored": stored}


def coverage_job(store: Store, request: CoverageRequest, thresholds: Thresholds) -> None:
    """Compute the answer to a coverage question and store it (``queries.coverage`` does), on the
    engine of the settings (``GEO_NTM_ENGINE``, ``GEO_NTM_DASK_SCHEDULER``)."""
    settings = Settings.from_env()
    with opened_engine(settings.engine, settings.dask_scheduler if settings.engine == "dask" else None) as engine:
        coverage(store, request, thresholds, engine)


# -- the runner ----------------------------------------------------------------------------------
def _context() -> Any:
    # Arrow's allocator (pandas' strings; mimalloc, set up when pyarrow loads, so before the fork
    # server starts) reserves 1 GiB of address space at its first allocation, almost none of it
    # used, and RLIMIT_AS counts it: the national 2025 generalisation failed at 2048 MB with 0.6 GB
    # in use. Arenas of 64 MiB instead, reserved as they are needed.
    os.environ.setdefault("MIMALLOC_ARENA_RESERVE", "64MiB")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PRELOAD)  # only before the server starts; harmless after
    return context


def run_in_worker(
    job: Callable[..., Any],
    db: str,
    folder: Path,
    limits: Limits,
    *,
    args: tuple = (),
    kwargs: Mapping[str, Any] | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> Any:
    """What ``job(store, *args, **kwargs)`` returned in a worker on the store ``db``; its
    GeoNtmError raised again here; WorkerOverMemory, WorkerOverTime or WorkerCrashed otherwise.
    The job's progress reports go to ``progress``. ``job`` must be a module-level function (the
    worker imports it by name)."""
    context = _context()
    receiver, sender = context.Pipe(duplex=False)
    env = dict(os.environ, TMPDIR=str(folder))  # the fork server's environment is that of its start
    child = context.Process(
        target=_child,
        args=(sender, job, db, env, limits.max_mb, args, dict(kwargs or {})),
        name="geo_ntm-worker",
        daemon=True,
    )
    deadline = time.monotonic() + limits.max_seconds
    try:
        child.start()
        sender.close()  # the child holds the only writer: EOF when it dies
        while True:
            if not receiver.poll(max(deadline - time.monotonic(), 0)):
                raise WorkerOverTime(limits)
            try:
                outcome, value = receiver.recv()
            except EOFError:
                child.join(_REAP_SECONDS)
                raise WorkerCrashed(f"the worker ended without an answer, exit code {child.exitcode}") from None
            if outcome != "progress":
                break
            if progress is not None:
                progress(*value)
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
        raise WorkerOverMemory(limits)
    if outcome == "error":
        cls, message, state = value
        error = cls.__new__(cls)
        Exception.__init__(error, message)
        error.__dict__.update(state)
        raise error
    raise WorkerCrashed(value)


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
                with reporting_to(lambda fraction, message: sender.send(("progress", (fraction, message)))):
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


# -- background jobs -----------------------------------------------------------------------------
log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


#: What a job id looks like (``secrets.token_hex(8)``): anything else names no file of the folder.
_JOB_ID = re.compile(r"[0-9a-f]{16}")


@dataclass
class Job:
    """One background job: its id, its key (the question), where its answer is read when done,
    its state and progress, what it returned (``result``), the error it failed with and how the
    API answers that error (``failure``: status, code, description)."""

    job_id: str
    key: str
    answer_url: str  # the question's own URL, asked again when done; "" for a job that answers itself
    state: str = QUEUED
    fraction: float = 0.0
    message: str = "waiting for a free worker (GEO_NTM_JOB_WORKERS)"
    error: Exception | None = None  # as the request would have raised it (a job of this process only)
    failure: tuple[int, str, str] | None = None  # when failed
    result: Any = None  # when done: what the job returned (JSON data: an upload's answer)
    finished: threading.Event = field(default_factory=threading.Event, repr=False)

    def to_json(self) -> str:
        """The job as another process reads it (``JobBoard`` with a folder): all but the error object."""
        return json.dumps(
            {
                "job_id": self.job_id,
                "key": self.key,
                "answer_url": self.answer_url,
                "state": self.state,
                "fraction": self.fraction,
                "message": self.message,
                "failure": self.failure,
                "result": self.result,
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> Job:
        """A job another process wrote (``to_json``); its ``finished`` is set when it is done or failed."""
        fields = json.loads(text)
        failure = fields.pop("failure")
        job = cls(**fields, failure=tuple(failure) if failure else None)
        if job.state in (DONE, FAILED):
            job.finished.set()
        return job


def failure(error: Exception | None) -> tuple[int, str, str]:
    """The status, code and description a request answers for a job's failure: its GeoNtmError as
    the service answers it; over memory 413 and over time 503 (as for imports); anything else an
    unexpected error (500, logged by the job)."""
    if isinstance(error, NotFoundError):
        return 404, "NotFound", str(error)
    if isinstance(error, GeoNtmError):
        return 400, "InvalidParameterValue", str(error)
    if isinstance(error, WorkerOverMemory):
        return 413, "ContentTooLarge", str(error)
    if isinstance(error, WorkerOverTime):
        return 503, "ServiceUnavailable", str(error)
    return 500, "InternalServerError", "the job failed unexpectedly; it was logged"


class JobBoard:
    """The background jobs of one service process: at most ``workers`` run at once (None: as many
    as the caller starts, which bounds them itself), each in a worker on the store ``db`` within
    ``limits``; the latest ``keep`` are remembered. With a ``folder`` shared by the service's
    processes, their states are written there and ``get`` finds the jobs of the other processes too
    (see the module docstring)."""

    def __init__(self, db: str, limits: Limits, workers: int | None, keep: int = 1000, folder: Path | None = None):
        self._db, self._limits, self._keep, self._folder = db, limits, keep, folder
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
        self._slots: AbstractContextManager[Any] = (
            nullcontext() if workers is None else threading.BoundedSemaphore(workers)
        )
        self._queued = "starting" if workers is None else Job.message  # what a new job says
        self._lock = threading.Lock()
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._unfinished: dict[str, Job] = {}  # by key

    def submit(
        self,
        key: str,
        answer_url: str,
        job: Callable[..., Any],
        args: tuple = (),
        kwargs: Mapping | None = None,
        on_end: Callable[[Job], None] | None = None,
    ) -> Job:
        """The queued or running job of ``key``, else a new one running ``job(store, *args, **kwargs)``
        (a module-level function) in a worker; ``on_end(job)`` is called when that one has ended,
        however it ended, before it is shown finished (a joined job keeps its own ``on_end``)."""
        with self._lock:
            found = self._unfinished.get(key)
            if found is not None:
                return found
            new = Job(secrets.token_hex(8), key, answer_url, message=self._queued)
            self._unfinished[key] = new
            self._jobs[new.job_id] = new
            forgotten = [j for j in self._jobs.values() if j.finished.is_set()][: max(len(self._jobs) - self._keep, 0)]
            for old in forgotten:
                del self._jobs[old.job_id]
                if self._folder is not None:
                    self._file(old.job_id).unlink(missing_ok=True)
        self._publish(new)
        threading.Thread(
            target=self._run, args=(new, job, args, dict(kwargs or {}), on_end), name="geo_ntm-job", daemon=True
        ).start()
        return new

    def get(self, job_id: str) -> Job | None:
        """The job of that id, if this process remembers it, else as another process of the service
        last wrote it in the folder; None when neither knows it."""
        with self._lock:
            found = self._jobs.get(job_id)
        if found is not None or self._folder is None or not _JOB_ID.fullmatch(job_id):
            return found
        try:
            return Job.from_json(self._file(job_id).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None

    def _file(self, job_id: str) -> Path:
        assert self._folder is not None
        return self._folder / f"{job_id}.json"

    def _publish(self, job: Job) -> None:
        """Write the job's state for the other processes (a no-op without a folder): whole, then
        renamed into place, so a reader never sees half a file. A folder that cannot be written
        is logged, never the job's failure: this process still answers for it."""
        if self._folder is None:
            return
        part = self._folder / f".{job.job_id}.{threading.get_ident()}.part"
        try:
            part.write_text(job.to_json(), encoding="utf-8")
            part.replace(self._file(job.job_id))
        except OSError as exc:
            log.warning("job %s: its state could not be written to GEO_NTM_JOBS_DIR: %s", job.job_id, exc)

    def _run(
        self, job: Job, function: Callable[..., Any], args: tuple, kwargs: dict, on_end: Callable[[Job], None] | None
    ) -> None:
        def progress(fraction: float, message: str) -> None:
            job.fraction, job.message = fraction, message
            self._publish(job)

        try:
            with self._slots, tempfile.TemporaryDirectory(prefix="geo_ntm_job_") as folder:
                job.state, job.message = RUNNING, "started"
                self._publish(job)
                job.result = run_in_worker(
                    function, self._db, Path(folder), self._limits, args=args, kwargs=kwargs, progress=progress
                )
            job.fraction, job.message, job.state = 1.0, "done", DONE
        except Exception as exc:  # every failure is the job's state, shown at /jobs/{id}
            if not isinstance(exc, GeoNtmError | WorkerOverMemory | WorkerOverTime):
                log.error("background job %s failed", job.job_id, exc_info=exc)
            job.error, job.failure, job.message, job.state = exc, failure(exc), "failed", FAILED
        finally:
            with self._lock:
                self._unfinished.pop(job.key, None)
            if on_end is not None:
                try:
                    on_end(job)
                except Exception as exc:  # the job's outcome stands; its clean-up failing is logged
                    log.error("background job %s: its end could not be handled", job.job_id, exc_info=exc)
            self._publish(job)
            job.finished.set()
