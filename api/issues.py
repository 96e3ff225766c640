"""Data checks (issue 12 §5) over HTTP: ``GET /issues``, the contradictions found in the status data
of a province (or district) and year, each with its units and links to their commune items."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import PlaceYearDep, StoreDep
from geo_ntm.domain import DataFlag

router = APIRouter()


def flag_json(flag: DataFlag) -> dict:
    """One flag as JSON: its kind, year, framework and level, messages in Vietnamese and English,
    the rows of the file and the source, the import that found it, and its units with a link to
    each one's commune item for the flag's year."""
    return {
        "id": flag.flag_id,
        "kind": flag.kind.value,
        "year": flag.year,
        "framework": flag.framework_id,
        "level": flag.level,
        "message_vi": flag.message_vi,
        "message_en": flag.message_en,
        "rows": list(flag.rows),
        "source": flag.source,
        "import_id": flag.import_id,
        "units": [
            {
                "unit_id": u.unit_id,
                "code": u.code,
                "name": u.name,
                "link": f"/collections/communes/items/{u.code}?year={flag.year}",
            }
            for u in flag.units
        ],
    }


@router.get("/issues")
def issues(where: PlaceYearDep, store: StoreDep) -> dict:
    """The data flags of the province (and district) and year: contradictions kept as warnings,
    never hidden (a summary against the criterion rows, a recognition with unmet criteria, a ward
    or town under a commune set, a unit merged away, rows on boundaries behind their year)."""
    flags = store.data_flags(year=where.year, **where.place_filters)
    return {
        "province": where.province.name if where.province else None,
        "district": where.district.name if where.district else None,
        "year": where.year,
        "count": len(flags),
        "issues": [flag_json(f) for f in flags],
    }
