"""Boundary vintages, the lineage of a unit, and the crosswalk between two dates."""

from __future__ import annotations

import io
import json
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import StoreDep, parse_date
from boundaries.vintages import crosswalk_between
from geo_ntm.errors import InputError

router = APIRouter()


@router.get("/vintages")
def vintages(store: StoreDep) -> dict:
    """Every stored vintage with its validity interval (valid_to exclusive)."""
    return {
        "vintages": [
            {
                "id": v.vintage_id,
                "name": v.name,
                "valid_from": v.valid_from.isoformat(),
                "valid_to": v.valid_to.isoformat() if v.valid_to else None,
                "source": v.source,
            }
            for v in store.vintages()
        ]
    }


@router.get("/lineage/{code}")
def lineage(code: str, store: StoreDep) -> dict:
    """What the unit with this code came from and what it became, by legal act."""
    events = store.lineage_events(code)

    def event(e) -> dict:
        return {
            "event_id": e.event_id,
            "effective_date": e.effective_date.isoformat(),
            "legal_act": e.legal_act,
            "kind": e.kind.value,
            "before": list(e.before),
            "after": list(e.after),
            "after_name": list(e.after_name),
            "parent_after": e.parent_after,
            "note": e.note,
        }

    return {
        "code": code,
        "came_from": [event(e) for e in events if code in e.after],
        "became": [event(e) for e in events if code in e.before],
    }


@router.get("/crosswalk")
def crosswalk(
    store: StoreDep,
    from_: Annotated[str, Query(alias="from")],
    to: str,
    province: str | None = None,
    sliver_tolerance: Annotated[float, Query(gt=0, lt=1)] = 0.01,
    f: str = "json",
) -> Response:
    """Overlaps of the communes in force on ``from`` with those in force on ``to`` (areas in ha on
    an equal-area projection, shares of each unit), as JSON or CSV (``f=csv``)."""
    if f not in ("json", "csv"):
        raise InputError(f"f={f!r}: the crosswalk is available as json or csv")
    old, new, table = crosswalk_between(
        store, parse_date(from_, "from"), parse_date(to, "to"), province=province, sliver_tolerance=sliver_tolerance
    )
    if f == "csv":
        buffer = io.StringIO()
        table.to_csv(buffer)
        return Response(
            buffer.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="crosswalk_{from_}_{to}.csv"'},
        )
    body = {
        "from": {"date": from_, "vintage": old.name},
        "to": {"date": to, "vintage": new.name},
        "sliver_tolerance": sliver_tolerance,
        "area_crs": table.crs,
        "pairs": json.loads(table.pairs.to_json(orient="records")),
        "slivers": json.loads(table.slivers.to_json(orient="records")),
    }
    return Response(content=json.dumps(body, ensure_ascii=False), media_type="application/json")
