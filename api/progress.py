"""The baseline before the merger and progress against targets over HTTP (issue 13 §4, §5):
``GET /baseline`` (the former communes of a province's new communes and the shares recognised at
each level before the merger: history, never the new communes' recognition), ``GET /progress`` (a
province's communes and the province against their targets in a year; says so when none is
loaded). Targets are uploaded by ``POST /targets`` (``api.writes``, editor token)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import DayDep, PlaceYearDep, StoreDep, VintageParam, YearParam
from geo_ntm.baseline import NOTE_EN, NOTE_VI, baseline
from geo_ntm.errors import InputError
from geo_ntm.targets import progress
from geo_ntm.where import resolve_where

router = APIRouter()


@router.get("/baseline")
def get_baseline(
    store: StoreDep,
    day: DayDep,
    province: Annotated[str, Query(description="province name or code")],
    year: YearParam = None,
    vintage: VintageParam = None,
) -> dict:
    """Per commune of the province (boundaries of ``vintage``, ``date`` or ``year``, default today):
    its former communes with their decisions and the shares of its area and population recognised at
    each level the day before these boundaries. History only: no ``recognised_level`` of the new
    commune here."""
    if not province:  # resolve_where reads "" as no province
        raise InputError("province is required: give a province name or code")
    where = resolve_where(store, vintage=vintage, day=day, year=year, province=province)
    assert where.province is not None
    found = baseline(store, where.vintage, province_code=where.province.province_code)
    return {
        "history": True,
        "note_vi": NOTE_VI,
        "note_en": NOTE_EN,
        "province": where.province.name,
        "vintage": where.vintage.name,
        "communes": [b.to_dict() for b in found],
    }


@router.get("/progress")
def get_progress(store: StoreDep, where: PlaceYearDep) -> dict:
    """The province's communes against their targets (criteria still unmet per year left) and the
    province's recognised share against its target path in ``year``; ``targets_loaded`` false and a
    ``message`` when no target is loaded."""
    assert where.province is not None and where.year is not None  # where_of_year requires both
    return progress(store, where.province, where.year).to_dict()
