"""The criteria frameworks over HTTP: ``GET /frameworks`` lists the shipped national sets and the
provinces' own with their acts; ``POST /frameworks`` (admin) validates a province's TOML file and
writes it into ``GEO_NTM_FRAMEWORKS_DIR``.

A framework goes to that folder, not into the store: it is reference data read by the status
import, the assessment and the reports of every store (GeoPackage or PostGIS) alike, as the shipped
files are, and a folder the user keeps (under version control, say) is what the 2016-2020
provincial sets need; the store's schema stays as it is."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Request, UploadFile

from api.jobs import utf8_text
from api.writes import JOB_RESPONSES, Admin, imported
from geo_ntm.domain import LEVELS, Framework
from geo_ntm.frameworks import add_provincial, all_frameworks
from geo_ntm.store import Store

router = APIRouter(tags=["frameworks"])


def framework_record(fw: Framework) -> dict:
    """A framework as JSON: its act and dates, scope, levels and criteria (empty when not known)."""
    return {
        "framework_id": fw.framework_id,
        "title_vi": fw.title_vi,
        "title_en": fw.title_en,
        "legal_act": fw.legal_act,
        "act_date": fw.act_date.isoformat() if fw.act_date else None,
        "source_act": fw.source_act,
        "scope": "national" if fw.national else "provincial",
        "province": fw.province,
        "applies_to": fw.applies_to.value,
        "years": list(fw.years),
        "levels": [{"level": lv, "label_vi": LEVELS[lv][0], "label_en": LEVELS[lv][1]} for lv in fw.levels],
        "completion_types": [t.value for t in fw.completion_types],
        "criteria_known": fw.criteria_known,
        "criteria_total": fw.criteria_total if fw.criteria_known else None,
        "criteria": [{"number": c.number, "name_vi": c.name_vi, "name_en": c.name_en} for c in fw.criteria],
        "indicators": [
            {"indicator": i.indicator_id, "criterion": i.criterion, "name_vi": i.name_vi, "name_en": i.name_en}
            for i in fw.indicators
        ],
        "indicators_complete": list(fw.indicators_complete),
        "indicators_to_load": fw.indicators_to_load,
        "note": fw.note,
    }


@router.get("/frameworks", summary="The criteria frameworks, national and provincial, with their acts")
def list_frameworks() -> dict:
    """Every framework: the shipped national sets, then the provinces' own (GEO_NTM_FRAMEWORKS_DIR)."""
    return {"frameworks": [framework_record(fw) for fw in all_frameworks().values()]}


@router.post(
    "/frameworks",
    summary="Add a province's criteria framework, a TOML file (admin)",
    status_code=201,
    responses=JOB_RESPONSES,
)
def post_framework(
    request: Request, who: Admin, file: Annotated[UploadFile, File(description="the framework's TOML file")]
):
    """The framework stored (201); 400 naming the file and the field when it does not fit, its id is
    taken or no GEO_NTM_FRAMEWORKS_DIR is set (nothing written). Validated and written by a
    background job like every upload (202 past GEO_NTM_JOB_WAIT_SECONDS)."""
    return imported(request, who, file, "framework upload", framework_job)


def framework_job(store: Store, path: Path, *, source_name: str, **_who: Any) -> dict:
    """The upload's job (``api.writes.imported``): the framework file validated and written into
    GEO_NTM_FRAMEWORKS_DIR; the store is not used, and who sent it goes only to the service's log."""
    framework = add_provincial(source_name, utf8_text(path, f"framework file {source_name}"))
    return {"status": 201, "body": framework_record(framework), "stored": True}
