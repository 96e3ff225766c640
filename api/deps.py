"""Request dependencies shared by the routers: the store, and where and when a request looks.

Each query parameter of the where (``year``, ``date``, ``vintage``, ``province``, ``district``)
has its own dependency, declared once; ``WhereDep`` resolves them into one ``geo_ntm.where.Where``
per request (FastAPI runs each dependency once per request), which the routers pass down as it is."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Annotated, overload

from fastapi import Depends, FastAPI, Query, Request

from geo_ntm.carry import CarryRule, parse_rule
from geo_ntm.errors import InputError
from geo_ntm.store import Store, StoreFactory
from geo_ntm.where import FIRST_YEAR, LAST_YEAR, Where, resolve_where
from maps.i18n import LANGS

_YEAR = {"ge": FIRST_YEAR, "le": LAST_YEAR}
YearParam = Annotated[int | None, Query(**_YEAR, description="status year; boundaries of 31 December")]
RequiredYear = Annotated[int, Query(**_YEAR, description="status year; boundaries of 31 December")]
DateParam = Annotated[str | None, Query(description="boundaries in force on this day, YYYY-MM-DD")]
VintageParam = Annotated[str | None, Query(description="boundary vintage by id, name or start date")]
ProvinceParam = Annotated[str | None, Query(description="province name or code (default: the whole country)")]
DistrictParam = Annotated[str | None, Query(description="district name or code (with its province)")]


_FACTORY_LOCK = threading.Lock()


def store_factory(app: FastAPI) -> StoreFactory:
    """The application's one ``StoreFactory`` (made on first use): on PostGIS it holds the
    process's connection pool (``GEO_NTM_DB_POOL_SIZE``), on GeoPackage it opens a file connection
    per request."""
    factory = getattr(app.state, "stores", None)
    if factory is None:
        with _FACTORY_LOCK:
            factory = getattr(app.state, "stores", None)
            if factory is None:
                settings = app.state.settings
                factory = app.state.stores = StoreFactory(settings.db, settings.db_pool_size)
    return factory


@asynccontextmanager
async def store_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The application's lifespan: its connection pool, if it made one, is closed at shutdown."""
    try:
        yield
    finally:
        factory = getattr(app.state, "stores", None)
        if factory is not None:
            factory.close()


def get_store(request: Request) -> Iterator[Store]:
    """One store per request, on the store the application was created for: its own GeoPackage
    connection, or a PostGIS connection borrowed from the pool and given back (idle) after the
    response. Every read of the request sees one snapshot (``Store.snapshot``): the data before or
    after an import that commits meanwhile, never a mix. A write request writes in the same store:
    its write ends the snapshot, and its reads after the write see the data with it."""
    store = store_factory(request.app).open()
    try:
        with store.snapshot():
            yield store
    finally:
        store.close()


StoreDep = Annotated[Store, Depends(get_store)]


@overload
def parse_date(text: str, name: str = "date") -> dt.date: ...
@overload
def parse_date(text: None, name: str = "date") -> None: ...
@overload
def parse_date(text: str | None, name: str = "date") -> dt.date | None: ...
def parse_date(text: str | None, name: str = "date") -> dt.date | None:
    """A YYYY-MM-DD parameter, checked."""
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{name} {text!r} is not a date of the form YYYY-MM-DD") from None


def day_asked(date: DateParam = None) -> dt.date | None:
    """The ``date`` parameter, checked."""
    return parse_date(date)


DayDep = Annotated[dt.date | None, Depends(day_asked)]


def boundaries(store: StoreDep, day: DayDep, year: YearParam = None, vintage: VintageParam = None) -> Where:
    """The boundaries a request asks for (no place): ``vintage``, else in force on ``date``, else on
    31 December of ``year``, else today."""
    return resolve_where(store, vintage=vintage, day=day, year=year)


BoundariesDep = Annotated[Where, Depends(boundaries)]


def where(
    store: StoreDep,
    day: DayDep,
    year: YearParam = None,
    vintage: VintageParam = None,
    province: ProvinceParam = None,
    district: DistrictParam = None,
) -> Where:
    """Where and when a request looks: the boundaries of ``vintage``, else in force on ``date``,
    else on 31 December of ``year``, else today; the province and district named in them."""
    return resolve_where(store, vintage=vintage, day=day, year=year, province=province, district=district)


WhereDep = Annotated[Where, Depends(where)]


def where_of_year(
    store: StoreDep,
    day: DayDep,
    year: RequiredYear,
    province: Annotated[str, Query(description="province name or code")],
    vintage: VintageParam = None,
    district: DistrictParam = None,
) -> Where:
    """``where`` for the planner's views of one province (or district) in a status year: both required."""
    if not province:  # resolve_where reads "" as no province
        raise InputError("province is required: give a province name or code")
    return resolve_where(store, vintage=vintage, day=day, year=year, province=province, district=district)


PlaceYearDep = Annotated[Where, Depends(where_of_year)]


def where_of_year_or_country(
    store: StoreDep,
    day: DayDep,
    year: RequiredYear,
    province: ProvinceParam = None,
    vintage: VintageParam = None,
    district: DistrictParam = None,
) -> Where:
    """``where`` for the maps in a status year: of a province (or district), or of the whole
    country without a province."""
    return resolve_where(store, vintage=vintage, day=day, year=year, province=province, district=district)


MapPlaceDep = Annotated[Where, Depends(where_of_year_or_country)]


def carry_rule(
    rule: Annotated[
        str | None,
        Query(
            description="carry rule when the boundaries are not those of the "
            "status year: all, share_area, share_population"
        ),
    ] = None,
    rule_level: Annotated[str, Query(description="level counted by the share rules")] = "ntm",
    sliver_tolerance: Annotated[float, Query(ge=0, lt=1)] = 0.01,
) -> CarryRule | None:
    """The carry rule a request names, if any."""
    return parse_rule(rule, rule_level, sliver_tolerance) if rule else None


RuleDep = Annotated[CarryRule | None, Depends(carry_rule)]


LangParam = Annotated[
    str,
    Query(
        description=f"language of the texts: {' or '.join(LANGS)} (default {LANGS[0]})",
        json_schema_extra={"enum": list(LANGS)},
    ),
]


def lang_asked(lang: LangParam = LANGS[0]) -> str:
    """The ``lang`` parameter, one of ``maps.i18n.LANGS``: every endpoint taking it answers an unknown
    language the same way (400, the languages spoken)."""
    if lang not in LANGS:
        raise InputError(f"lang {lang!r} is not one of {', '.join(LANGS)}")
    return lang


Lang = Annotated[str, Depends(lang_asked)]
