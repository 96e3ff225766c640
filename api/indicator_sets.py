"""Indicator sets over HTTP: ``GET /indicator-sets`` lists the stored sets (a framework's
indicators with thresholds per commune group, with their source file); ``POST /indicator-sets``
(admin) validates a TOML or CSV file and stores it (``geo_ntm.indicator_sets``)."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import JSONResponse

from api.deps import StoreDep
from api.writes import Admin, upload_name
from geo_ntm.errors import InputError
from geo_ntm.indicator_sets import import_indicator_set, set_record

log = logging.getLogger(__name__)
router = APIRouter(tags=["frameworks"])


@router.get("/indicator-sets", summary="The stored indicator sets with thresholds per commune group")
def list_indicator_sets(
    store: StoreDep, framework: Annotated[str | None, Query(description="only the sets of this framework")] = None
) -> dict:
    """Every stored indicator set (of ``framework``), in the order stored: a later set takes the
    place of an earlier one for the indicators it gives."""
    return {"indicator_sets": [set_record(s) for s in store.indicator_sets(framework)]}


@router.post("/indicator-sets", summary="Store an indicator set, a TOML or CSV file (admin)", status_code=201)
def post_indicator_set(
    store: StoreDep, who: Admin, file: Annotated[UploadFile, File(description="the set's TOML or CSV file")]
):
    """The set stored (201); 400 naming the file, the row and the field when it does not fit
    (nothing stored)."""
    name = upload_name(file.filename)
    try:
        text = file.file.read().decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"indicator set file {name} is not UTF-8 text") from None
    stored = import_indicator_set(store, name, text, actor=who.name)
    log.info("%s (%s) stored indicator set %s from %s", who.name, who.role, stored.set_id, name)
    return JSONResponse(set_record(stored), status_code=201)
