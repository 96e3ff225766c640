"""Indicator sets over HTTP: ``GET /indicator-sets`` lists the stored sets (a framework's
indicators with thresholds per commune group, with their source file); ``POST /indicator-sets``
(admin) validates a TOML or CSV file and stores it (``geo_ntm.indicator_sets``) in a background
job, as every upload (``api.writes``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, Request, UploadFile

from api.deps import StoreDep
from api.jobs import indicator_set_job
from api.writes import JOB_RESPONSES, Admin, imported
from geo_ntm.indicator_sets import set_record

router = APIRouter(tags=["frameworks"])


@router.get("/indicator-sets", summary="The stored indicator sets with thresholds per commune group")
def list_indicator_sets(
    store: StoreDep, framework: Annotated[str | None, Query(description="only the sets of this framework")] = None
) -> dict:
    """Every stored indicator set (of ``framework``), in the order stored: a later set takes the
    place of an earlier one for the indicators it gives."""
    return {"indicator_sets": [set_record(s) for s in store.indicator_sets(framework)]}


@router.post(
    "/indicator-sets",
    summary="Store an indicator set, a TOML or CSV file (admin)",
    status_code=201,
    responses=JOB_RESPONSES,
)
def post_indicator_set(
    request: Request, who: Admin, file: Annotated[UploadFile, File(description="the set's TOML or CSV file")]
):
    """The set stored (201); 400 naming the file, the row and the field when it does not fit
    (nothing stored). Imported as a background job like every upload (202 past
    GEO_NTM_JOB_WAIT_SECONDS)."""
    return imported(request, who, file, "indicator set upload", indicator_set_job)
