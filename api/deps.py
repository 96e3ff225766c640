"""Request dependencies shared by the routers: the store, and the parsing of the common
parameters (bbox, date, the boundary vintage a query asks for)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Query, Request

from geo_ntm.carry import CarryRule, parse_rule
from geo_ntm.domain import Vintage
from geo_ntm.errors import InputError
from geo_ntm.store import BBox, Store, open_store

YearParam = Annotated[int | None, Query(ge=1990, le=2100, description="status year; boundaries of 31 December")]
DateParam = Annotated[str | None, Query(description="boundaries in force on this day, YYYY-MM-DD")]
VintageParam = Annotated[str | None, Query(description="boundary vintage by id, name or start date")]


def get_store(request: Request) -> Iterator[Store]:
    """One store connection per request, on the store the application was created for."""
    store = open_store(request.app.state.settings.db)
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
