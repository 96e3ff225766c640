"""``GET /report``: the province (or district) progress report of ``geo-ntm report`` over HTTP, as
JSON, CSV or XLSX (``geo_ntm.report``): per district, or per NTM group with ``by_group``, how many
xã meet how many criteria and are recognised at each level by decision, and each district's and the
province's own status."""

from __future__ import annotations

import io
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from api.deps import PlaceYearDep, StoreDep
from api.download_formats import FORMATS
from api.downloads import slug
from geo_ntm.errors import InputError
from geo_ntm.export_safety import xlsx_row
from geo_ntm.report import province_report, report_csv, report_records

router = APIRouter()

REPORT_FORMATS = ("json", "csv", "xlsx")


@router.get(
    "/report",
    summary="The province or district progress report (JSON, CSV or XLSX)",
    responses={200: {"content": {FORMATS["csv"][0]: {}, FORMATS["xlsx"][0]: {}}}},
)
def report(
    store: StoreDep,
    where: PlaceYearDep,
    f: Annotated[
        str, Query(description="json (default), csv or xlsx", json_schema_extra={"enum": list(REPORT_FORMATS)})
    ] = "json",
    by_group: Annotated[bool, Query(description="rows per NTM commune group instead of per district")] = False,
) -> Response:
    """The report of ``province`` (or ``district``) in ``year``, as ``geo-ntm report`` prints it;
    CSV and XLSX have one row per district (or group) and a total row."""
    if f not in REPORT_FORMATS:
        raise InputError(f"f={f!r}: the report is available as {', '.join(REPORT_FORMATS)}")
    found = province_report(store, where)
    if f == "json":
        return JSONResponse(found)
    place = "_".join(slug(name) for name in (found["province"], found["district"]) if name)
    media, ext = FORMATS[f]
    name = f"ntm_report_{place}_{found['year']}{'_groups' if by_group else ''}.{ext}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    body = report_csv(found, by_group).encode("utf-8-sig") if f == "csv" else _xlsx(found, by_group)
    return Response(body, media_type=media, headers=headers)


def _xlsx(found: dict, by_group: bool) -> bytes:
    """The report's table in a workbook (sheet ``report``) with what it is about (sheet ``about``)."""
    from openpyxl import Workbook

    header, records = report_records(found, by_group)
    book = Workbook(write_only=True)
    table = book.create_sheet("report")
    table.append(xlsx_row(table, header))
    for record in records:
        table.append(xlsx_row(table, record))
    about = book.create_sheet("about")
    for key in ("province", "district", "year", "vintage", "framework", "criteria_total"):
        about.append(xlsx_row(about, [key, found[key]]))
    about.append(xlsx_row(about, ["frameworks", ", ".join(found["frameworks"])]))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
