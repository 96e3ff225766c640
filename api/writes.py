"""Writes over HTTP (status, groups, lineage, layer and target uploads) for tokens with the editor
role, and the audit log of imports for admins. An upload goes to a temporary folder, removed when
its import ends in every case; the import runs as a background job in a worker process with a
memory ceiling and a time limit (``api.jobs``, ``api.background``), which the request waits for at
most GEO_NTM_JOB_WAIT_SECONDS before answering 202 with the job's URL, and records who sent it (the
token's name) and the uploaded file's name."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import JSONResponse

from api.auth import Principal, require
from api.background import ACCEPTED, accepted, import_board, waited_for
from api.deps import StoreDep
from api.jobs import (
    DONE,
    Job,
    groups_job,
    layer_job,
    lineage_job,
    status_job,
    targets_job,
)
from geo_ntm.domain import LayerKind
from geo_ntm.errors import InputError

log = logging.getLogger(__name__)
router = APIRouter(tags=["writes"])

#: The refusals of an import over its limits, besides the service's own errors (api.errors.ERROR_RESPONSES).
JOB_RESPONSES: dict[int | str, dict] = {
    **ACCEPTED,
    413: {"description": "Content too large: the upload, or its import's memory (GEO_NTM_IMPORT_MAX_MB)"},
    503: {"description": "Service unavailable: the import ran over GEO_NTM_IMPORT_MAX_SECONDS; nothing was stored"},
}

Editor = Annotated[Principal, Depends(require("editor"))]
Admin = Annotated[Principal, Depends(require("admin"))]
Upload = Annotated[UploadFile, File(description="the file to import")]
DryRun = Annotated[bool, Form(description="check only, store nothing")]


#: The longest upload file name accepted, in characters (file systems take 255 bytes).
MAX_NAME_CHARS = 200


def upload_name(filename: str | None) -> str:
    """The base name an upload is saved and recorded under; "upload" when none was given. A name
    that is only dots (``..``, ``x/..``), holds control characters or is over ``MAX_NAME_CHARS``
    is refused (InputError: 400) naming the field."""
    raw = (filename or "").replace("\\", "/")
    name = raw.rsplit("/", 1)[-1].strip()
    if not raw.strip():
        return "upload"
    if not name or set(name) == {"."}:
        raise InputError(f"upload field 'file': file name {filename!r} names no file; send the file's own name")
    if len(name) > MAX_NAME_CHARS:
        raise InputError(
            f"upload field 'file': file name is {len(name)} characters long, over {MAX_NAME_CHARS}; rename the file"
        )
    if any(ord(c) < 32 or c == "\x7f" for c in name):
        raise InputError(f"upload field 'file': file name {filename!r} holds control characters")
    return name


def imported(
    request: Request,
    who: Principal,
    file: UploadFile,
    what: str,
    job: Callable[..., dict],
    *args: Any,
    named: bool = True,
    **kwargs: Any,
) -> JSONResponse:
    """The upload ``file`` saved in a temporary folder under its own base name (importers look at
    the suffix) and imported by ``job(store, path, *args, actor=who, **kwargs)`` (and
    ``source_name=`` that name when ``named``) as a background job
    (``api.background.import_board``): a worker process within the import limits, one of at most
    GEO_NTM_IMPORT_WORKERS at once (503 when no slot frees within ``SLOT_WAIT_SECONDS``).

    The request waits for it at most GEO_NTM_JOB_WAIT_SECONDS. Done by then: the job's answer, the
    import report (200, or 400 when rows have problems and nothing was stored). Failed: its error,
    as its own (over the memory ceiling 413: the remedy is the client's, as for an upload over
    GEO_NTM_MAX_UPLOAD_MB; over the time limit 503: the time depends on the service's load as well
    as on the file; a crash 500). Still running: 202 with ``Location: /jobs/{id}``, where the same
    answer or error shows when it ends. The folder is removed, the import slot given back and the
    upload logged when the job ends, however it ends."""
    settings = request.app.state.settings
    name = upload_name(file.filename)
    slots = _import_slots(request)
    if not slots.acquire(timeout=SLOT_WAIT_SECONDS):
        raise HTTPException(
            503,
            f"every import slot is busy (GEO_NTM_IMPORT_WORKERS={settings.import_workers}); try again shortly",
            headers={"Retry-After": "30"},
        )
    folder = Path(tempfile.mkdtemp(prefix="geo_ntm_upload_"))

    def ended(ended_job: Job) -> None:
        shutil.rmtree(folder, ignore_errors=True)
        slots.release()
        stored = ended_job.state == DONE and ended_job.result["stored"]
        log.info("%s (%s) %s %s: %s", who.name, who.role, what, name, "stored" if stored else "nothing stored")

    try:
        path = folder / name
        with path.open("wb") as out:
            shutil.copyfileobj(file.file, out, 1 << 20)
        started = import_board(request).submit(
            f"upload {folder.name}",  # never joined: each upload is its own job
            "",
            job,
            args=(path, *args),
            kwargs={**kwargs, "actor": who.name, **({"source_name": name} if named else {})},
            on_end=ended,
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        slots.release()
        raise
    if waited_for(request, started) == DONE:
        return JSONResponse(started.result["body"], status_code=started.result["status"])
    return accepted(request, started)


#: How long an upload waits for a free import slot before it is told to come back.
SLOT_WAIT_SECONDS = 10.0
_SLOTS_LOCK = threading.Lock()


def _import_slots(request: Request) -> threading.BoundedSemaphore:
    """The application's import slots: at most GEO_NTM_IMPORT_WORKERS imports run at once, so the
    memory all of them may take is bounded too (that many times GEO_NTM_IMPORT_MAX_MB)."""
    state = request.app.state
    with _SLOTS_LOCK:
        if getattr(state, "import_slots", None) is None:
            state.import_slots = threading.BoundedSemaphore(state.settings.import_workers)
    return state.import_slots


@router.post("/statuses", summary="Import a status or recognitions CSV/XLSX (editor)", responses=JOB_RESPONSES)
def post_statuses(
    request: Request,
    who: Editor,
    file: Upload,
    sheet: Annotated[str | None, Form()] = None,
    dry_run: DryRun = False,
    skip_unmatched: Annotated[bool, Form()] = False,
):
    """The import report; 400 with the report when rows have problems and nothing was stored. Every
    layout is detected here, the recognitions layout too (decisions recognising or revoking a level;
    see docs/status-files.md)."""
    return imported(
        request, who, file, "status upload", status_job, sheet=sheet, dry_run=dry_run, skip_unmatched=skip_unmatched
    )


@router.post("/groups", summary="Import commune groups (nhóm 1/2/3) from CSV/XLSX (editor)", responses=JOB_RESPONSES)
def post_groups(
    request: Request,
    who: Editor,
    file: Upload,
    sheet: Annotated[str | None, Form()] = None,
    dry_run: DryRun = False,
    skip_unmatched: Annotated[bool, Form()] = False,
):
    """The import report; 400 with the report when rows have problems and nothing was stored, 400
    (InputError) for a file without a numbering_source column (see docs/status-files.md, "Commune
    groups")."""
    return imported(
        request, who, file, "groups upload", groups_job, sheet=sheet, dry_run=dry_run, skip_unmatched=skip_unmatched
    )


@router.post("/lineage", summary="Import a lineage CSV and derive its vintages (editor)", responses=JOB_RESPONSES)
def post_lineage(
    request: Request, who: Editor, file: Upload, derive: Annotated[bool, Form()] = True, dry_run: DryRun = False
):
    """The import report."""
    return imported(request, who, file, "lineage upload", lineage_job, derive=derive, dry_run=dry_run)


@router.post("/layers", summary="Import an infrastructure layer from one file (editor)", responses=JOB_RESPONSES)
def post_layer(
    request: Request,
    who: Editor,
    file: Upload,
    name: Annotated[str, Form()],
    kind: Annotated[LayerKind, Form()],
    valid_date: Annotated[dt.date, Form()],
    mapping: Annotated[str | None, Form()] = None,
    source_layer: Annotated[str | None, Form()] = None,
    dry_run: DryRun = False,
):
    """A single file: GeoPackage, GeoJSON, OSM (.osm, .osm.pbf) or GeoTIFF for population."""
    return imported(
        request,
        who,
        file,
        "layer upload",
        layer_job,
        name,
        kind,
        valid_date,
        mapping=mapping,
        source_layer=source_layer,
        dry_run=dry_run,
    )


@router.post("/targets", summary="Import a target CSV/XLSX (editor)", responses=JOB_RESPONSES)
def post_targets(
    request: Request,
    who: Editor,
    file: Upload,
    sheet: Annotated[str | None, Form()] = None,
    source: Annotated[str | None, Form(description="the source of rows without a source column")] = None,
    dry_run: DryRun = False,
):
    """The import report (docs/progress.md); 400 naming every bad row when the file has any (nothing stored)."""
    return imported(
        request, who, file, "target upload", targets_job, sheet=sheet, source=source, dry_run=dry_run, named=False
    )


@router.get("/audit", summary="The audit log of imports (admin)")
def audit(store: StoreDep, who: Admin) -> dict:
    """Every import, oldest first: who (token name, or ``cli``), when, what, how many rows."""
    return {
        "imports": [
            {
                "import_id": r.import_id,
                "actor": r.actor,
                "imported_at": r.imported_at,
                "kind": r.kind,
                "source_file": r.source_file,
                "rows_read": r.rows_read,
                "rows_stored": r.rows_stored,
            }
            for r in store.imports()
        ]
    }
