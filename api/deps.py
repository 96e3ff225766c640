"""Request dependencies shared by the routers: the store, and the parsing of the common
parameters (bbox, date, the boundary vintage a query asks for)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Query, Request

from geo_ntm.carry import CarryRule, parse_rule
from geo_ntm.domain import Vintage
from geo_ntm.errors import InputError
from geo_ntm.store import BBox, Store, StoreFactory

YearParam = Annotated[int | None, Query(ge=1990, le=2100, description="status year; boundaries of 31 December")]
DateParam = Annotated[str | None, Query(description="boundaries in force on this day, YYYY-MM-DD")]
VintageParam = Annotated[str | None, Query(description="boundary vintage by id, name or start date")]


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
    connection, or a PostGIS connection borrowed from the pool and given back after the response."""
    store = store_factory(request.app).open()
    try:
        yield store
    finally:
        store.close()


StoreDep = Annotated[Store, Depends(get_store)]


def parse_date(text: str | None, name: str = "date") -> dt.date | None:
    """A YYYY-MM-DD parameter, checked."""
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{name} {text!r} is not a date of the form YYYY-MM-DD") from None


def parse_bbox(text: str | None) -> BBox | None:
    """``minlon,minlat,maxlon,maxlat`` in EPSG:4326, checked."""
    if text is None:
        return None
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise InputError(f"bbox {text!r} must be four numbers: minlon,minlat,maxlon,maxlat") from None
    if len(values) != 4:
        raise InputError(f"bbox {text!r} must have four numbers (minlon,minlat,maxlon,maxlat), not {len(values)}")
    minx, miny, maxx, maxy = values
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise InputError(f"bbox {text!r} is not a valid lon/lat box (min <= max, lon within ±180, lat within ±90)")
    return values


def boundaries(store: StoreDep, year: YearParam = None, date: DateParam = None,
               vintage: VintageParam = None) -> Vintage:
    """The vintage a request asks for: ``vintage``, else in force on ``date``, else on 31 December
    of ``year``, else today."""
    return store.resolve_vintage(vintage=vintage, day=parse_date(date), year=year)


BoundariesDep = Annotated[Vintage, Depends(boundaries)]


def carry_rule(rule: Annotated[str | None, Query(description="carry rule when the boundaries are not those of the "
                                                "status year: all, share_area, share_population")] = None,
               rule_level: Annotated[str, Query(description="level counted by the share rules")] = "ntm",
               sliver_tolerance: Annotated[float, Query(ge=0, lt=1)] = 0.01) -> CarryRule | None:
    """The carry rule a request names, if any."""
    return parse_rule(rule, rule_level, sliver_tolerance) if rule else None


RuleDep = Annotated[CarryRule | None, Depends(carry_rule)]
