"""Long computations leave the request (issue 14): a coverage question whose answer is not stored
yet starts (or joins) a background job (``api.jobs.JobBoard``) and waits for it at most
``GEO_NTM_JOB_WAIT_SECONDS``; if the job has not finished by then the request answers
``202 Accepted`` with ``Location: /jobs/{id}``, and ``GET /jobs/{id}`` shows its state and progress
and, once done, links the question's own URL, which then answers from the stored result.

Uploads (``api.writes``) are jobs too, of their own board (``import_board``: the import limits,
``GEO_NTM_IMPORT_MAX_MB`` and ``GEO_NTM_IMPORT_MAX_SECONDS``), never joined: a job that answers
itself, its ``result`` being the status and body its request would have answered."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Annotated, Any, TypeVar

import pandas as pd
from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.errors import public_text
from api.jobs import DONE, FAILED, Job, JobBoard, Limits, coverage_job, failure
from geo_ntm.errors import GeoNtmError, NotFoundError
from geo_ntm.infrastructure.queries import CoverageRequest, checked_request, question_text, stored_coverage
from geo_ntm.infrastructure.thresholds import Thresholds
from geo_ntm.store import Store

router = APIRouter(tags=["jobs"])
K = TypeVar("K")
_BOARD_LOCK = threading.Lock()


class JobProgress(BaseModel):
    fraction: float
    message: str


class JobError(BaseModel):
    status: int
    code: str
    description: str


class JobResult(BaseModel):
    status: int  # the HTTP status the request would have answered: 200 (201 for a set or a framework) or 400
    body: dict  # the import report (the set, the framework)


class JobState(BaseModel):
    """A background job as ``GET /jobs/{id}`` and a 202 answer show it."""

    id: str
    state: str  # queued, running, done or failed
    progress: JobProgress
    url: str  # this job
    answer: str | None = None  # when done: the question's URL, which answers from the stored result
    error: JobError | None = None  # when failed: what the question would have answered
    result: JobResult | None = None  # when done, a job that answers itself (an upload): its answer


#: The 202 answer, documented on the operations that may give it.
ACCEPTED: dict[int | str, dict] = {
    202: {
        "model": JobState,
        "description": "Accepted: the answer is being computed by a background job; follow the Location "
        "header (/jobs/{id}) until the job is done, then ask again",
        "headers": {"Location": {"description": "the job: /jobs/{id}", "schema": {"type": "string"}}},
    }
}


def job_board(request: Request) -> JobBoard:
    """The application's background jobs (created on first use), their states shared with the
    service's other processes through ``GEO_NTM_JOBS_DIR`` when it is set."""
    state = request.app.state
    with _BOARD_LOCK:
        if getattr(state, "jobs", None) is None:
            settings = state.settings
            state.jobs = JobBoard(
                str(settings.db), Limits.of_jobs(settings), settings.job_workers, folder=settings.jobs_dir
            )
    return state.jobs


#: How many ended uploads each process remembers: their reports can be large (every problem row).
KEEP_UPLOADS = 100


def import_board(request: Request) -> JobBoard:
    """The application's uploads' imports (created on first use), within the import limits; the
    request bounds how many run at once (``GEO_NTM_IMPORT_WORKERS``, ``api.writes``). Their states
    go to ``GEO_NTM_JOBS_DIR`` beside the computations'."""
    state = request.app.state
    with _BOARD_LOCK:
        if getattr(state, "imports", None) is None:
            settings = state.settings
            limits = Limits.of_imports(settings)
            state.imports = JobBoard(str(settings.db), limits, None, keep=KEEP_UPLOADS, folder=settings.jobs_dir)
    return state.imports


def stored_or_started(
    request: Request, store: Store, asked: CoverageRequest, thresholds: Thresholds
) -> tuple[pd.DataFrame, dict] | Job:
    """The stored answer to ``asked`` (table without geometry, totals), computed by a job if need
    be when it finishes within ``GEO_NTM_JOB_WAIT_SECONDS``; else the job, still running. A question
    no computation could answer is refused at once (``checked_request``); the error a job failed
    with within the wait is raised as the question's own."""
    checked_request(store, asked)
    found = stored_coverage(store, asked, thresholds)
    if found is not None:
        return found
    job = _submit(request, store, asked, thresholds)
    if _waited(request, store, job):
        found = stored_coverage(store, asked, thresholds)
    return job if found is None else found


def finished_or_started(
    request: Request, store: Store, key: str, function: Callable[..., Any], args: tuple
) -> Job | None:
    """Start (or join) the job of ``key`` running ``function(store, *args)`` (a module-level
    function) and wait for it at most ``GEO_NTM_JOB_WAIT_SECONDS``: None when it has finished (the
    request's snapshot then sees what it stored), else the job, still running."""
    job = job_board(request).submit(key, str(request.url), function, args=args)
    return None if _waited(request, store, job) else job


def _waited(request: Request, store: Store, job: Job) -> bool:
    """Wait for ``job`` at most ``GEO_NTM_JOB_WAIT_SECONDS``; whether it finished (the store's
    snapshot renewed to see what it stored). The error it failed with is raised as the request's."""
    if waited_for(request, job) == DONE:
        store.renew_snapshot()
        return True
    return False


def waited_for(request: Request, job: Job) -> str:
    """Wait for ``job`` at most ``GEO_NTM_JOB_WAIT_SECONDS``; its state then, done or still running.
    The error it failed with is raised as the request's own: its GeoNtmError as such, else the
    status and description of ``failure``."""
    job.finished.wait(request.app.state.settings.job_wait_seconds)
    if job.state == FAILED:
        if isinstance(job.error, GeoNtmError):
            raise job.error
        status, _, description = failure(job.error)
        raise HTTPException(status, description)
    return job.state


def unanswered(
    request: Request, store: Store, questions: Mapping[K, CoverageRequest], thresholds: Thresholds
) -> dict[K, Job]:
    """Of ``questions`` (by a key of the caller's), those with no stored answer yet after each was
    started (or joined) as a job and all were waited for together at most
    ``GEO_NTM_JOB_WAIT_SECONDS``: the jobs still running or failed, by key. A failed job stays
    listed (its error is at ``/jobs/{id}``) rather than being computed again in the request."""
    jobs = {
        key: _submit(request, store, asked, thresholds)
        for key, asked in questions.items()
        if stored_coverage(store, asked, thresholds) is None
    }
    deadline = time.monotonic() + request.app.state.settings.job_wait_seconds
    for job in jobs.values():
        job.finished.wait(max(0.0, deadline - time.monotonic()))
    if any(job.state == DONE for job in jobs.values()):
        store.renew_snapshot()
    return {key: job for key, job in jobs.items() if job.state != DONE}


def _submit(request: Request, store: Store, asked: CoverageRequest, thresholds: Thresholds) -> Job:
    """The job computing ``asked`` (a running one of the same question is joined)."""
    key = f"{store.content_version()} {question_text(asked, thresholds)}"
    return job_board(request).submit(key, str(request.url), coverage_job, args=(asked, thresholds))


def job_path(request: Request, job: Job) -> str:
    """The path of ``GET /jobs/{id}`` for ``job``."""
    return str(request.url_for("job_state", job_id=job.job_id).path)


def accepted(request: Request, job: Job) -> JSONResponse:
    """The 202 answer of a question whose job still runs."""
    return JSONResponse(
        _state(request, job).model_dump(), status_code=202, headers={"Location": job_path(request, job)}
    )


@router.get("/jobs/{job_id}", name="job_state", response_model=JobState)
def job_state(request: Request, job_id: Annotated[str, Path(description="the id a 202 answer gave")]) -> JobState:
    """A background job's state (queued, running, done, failed), its progress, the error it failed
    with, and when done the URL of the question, which then answers from the stored result."""
    job = job_board(request).get(job_id) or import_board(request).get(job_id)
    if job is None:
        raise NotFoundError(
            f"no job {job_id!r}: this service started no such job, or forgot it (each process keeps its "
            f"latest 1000 computations and {KEEP_UPLOADS} uploads)"
        )
    return _state(request, job)


def _state(request: Request, job: Job) -> JobState:
    error = None
    if job.state == FAILED and job.failure is not None:
        status, code, description = job.failure
        error = JobError(status=status, code=code, description=public_text(description, request.app.state.hidden))
    return JobState(
        id=job.job_id,
        state=job.state,
        progress=JobProgress(fraction=job.fraction, message=job.message),
        url=job_path(request, job),
        answer=job.answer_url if job.state == DONE and job.answer_url else None,
        error=error,
        result=JobResult(**job.result) if job.state == DONE and not job.answer_url else None,
    )
