"""Writes over HTTP (status, lineage and layer uploads) for tokens with the editor role, and the
audit log of imports for admins. An upload goes to a temporary file, removed after the import;
the import records who sent it (the token's name) and the uploaded file's name."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, UploadFile
from fastapi.responses import JSONResponse

from api.auth import Principal, require
from api.deps import StoreDep
from boundaries.vintages import import_lineage
from geo_ntm.domain import LayerKind
from geo_ntm.errors import InputError
from geo_ntm.infrastructure.layers import import_layer
from geo_ntm.status_import.importer import import_status_file

log = logging.getLogger(__name__)
router = APIRouter(tags=["writes"])

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


@contextmanager
def _saved(upload: UploadFile) -> Iterator[tuple[Path, str]]:
    """The upload in a temporary folder under its own base name (importers look at the suffix);
    yields the path and the name to record."""
    name = upload_name(upload.filename)
    with tempfile.TemporaryDirectory(prefix="geo_ntm_upload_") as folder:
        path = Path(folder) / name
        with path.open("wb") as out:
            shutil.copyfileobj(upload.file, out, 1 << 20)
        yield path, name


def _logged(who: Principal, what: str, name: str, stored: bool) -> None:
    log.info("%s (%s) %s %s: %s", who.name, who.role, what, name, "stored" if stored else "nothing stored")


@router.post("/statuses", summary="Import a status CSV/XLSX (editor)")
def post_statuses(
    store: StoreDep,
    who: Editor,
    file: Upload,
    sheet: Annotated[str | None, Form()] = None,
    dry_run: DryRun = False,
    skip_unmatched: Annotated[bool, Form()] = False,
):
    """The import report; 400 with the report when rows have problems and nothing was stored."""
    with _saved(file) as (path, name):
        report = import_status_file(
            store, path, sheet=sheet, dry_run=dry_run, skip_unmatched=skip_unmatched, actor=who.name, source_name=name
        )
    _logged(who, "status upload", name, report.stored)
    return JSONResponse(report.to_dict(), status_code=200 if report.ok or report.stored else 400)


@router.post("/lineage", summary="Import a lineage CSV and derive its vintages (editor)")
def post_lineage(
    store: StoreDep, who: Editor, file: Upload, derive: Annotated[bool, Form()] = True, dry_run: DryRun = False
) -> dict:
    with _saved(file) as (path, name):
        report = import_lineage(store, path, derive=derive, dry_run=dry_run, actor=who.name, source_name=name)
    _logged(who, "lineage upload", name, report.stored)
    return report.to_dict()


@router.post("/layers", summary="Import an infrastructure layer from one file (editor)")
def post_layer(
    store: StoreDep,
    who: Editor,
    file: Upload,
    name: Annotated[str, Form()],
    kind: Annotated[LayerKind, Form()],
    valid_date: Annotated[dt.date, Form()],
    mapping: Annotated[str | None, Form()] = None,
    source_layer: Annotated[str | None, Form()] = None,
    dry_run: DryRun = False,
) -> dict:
    """A single file: GeoPackage, GeoJSON, OSM (.osm, .osm.pbf) or GeoTIFF for population."""
    with _saved(file) as (path, file_name):
        report = import_layer(
            store,
            path,
            name,
            kind,
            valid_date,
            mapping=mapping,
            source_layer=source_layer,
            dry_run=dry_run,
            actor=who.name,
            source_name=file_name,
        )
    _logged(who, "layer upload", file_name, report.layer is not None)
    return {**report.to_dict(), "layer_id": report.layer.layer_id if report.layer else None}


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
