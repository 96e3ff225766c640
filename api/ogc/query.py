"""The feature query shared by ``/items``, ``/items/{featureId}`` and the downloads: one FastAPI
dependency (``QueryDep``) reads the collection, boundaries (``datetime``, ``date``, ``vintage``,
``year``), status year, place, ``level``, ``bbox``/``bbox-crs``, property filters (query parameters
and a CQL2 ``filter``) and the response ``crs`` once per request; ``run`` gives the features of a
page (or all of them)."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request

from api.deps import DateParam, DistrictParam, ProvinceParam, RuleDep, StoreDep, VintageParam, parse_date
from api.ogc.catalog import status_years
from api.ogc.collections import registry
from api.ogc.collections.base import Collection, Page, Selection
from api.ogc.crs import CRS84, geometry_to_crs84, parse_bbox_crs, parse_crs
from geo_ntm import filters
from geo_ntm.domain import Vintage
from geo_ntm.errors import InputError, NotFoundError
from geo_ntm.store import Store
from geo_ntm.where import FIRST_YEAR, LAST_YEAR, Where, resolve_where

#: Parameters of the items and download endpoints that are not property filters.
STANDARD_PARAMS = {
    "year",
    "date",
    "vintage",
    "datetime",
    "rule",
    "rule_level",
    "sliver_tolerance",
    "province",
    "district",
    "level",
    "bbox",
    "bbox-crs",
    "crs",
    "filter",
    "filter-lang",
    "filter-crs",
    "limit",
    "offset",
    "f",
    "format",
    "geometry",
    "lang",  # downloads: the language of the style files' labels
}


def parse_datetime(text: str) -> tuple[dt.date | None, dt.date | None]:
    """An RFC 3339 instant or interval (``a/b``, ``../b``, ``a/..``) as (start, end) days."""

    def day(part: str) -> dt.date | None:
        part = part.strip()
        if part in ("", ".."):
            return None
        try:
            return dt.date.fromisoformat(part[:10])
        except ValueError:
            raise InputError(f"datetime {text!r}: {part!r} is not a date or date-time (RFC 3339)") from None

    if "/" in text:
        start, end = text.split("/", 1)
        return day(start), day(end)
    d = day(text)
    if d is None:
        raise InputError(f"datetime {text!r} is not a date or date-time")
    return d, d


def datetime_boundaries(
    store: Store, datetime_: str, *, date: str | None, vintage: str | None
) -> tuple[Vintage | None, dt.date | None]:
    """The boundaries an OGC ``datetime`` asks for and its day: the vintage in force on that
    instant; an interval is accepted when one vintage is in force over all of it. None when no
    vintage is in force at any time of it (before the first one): no feature exists then, so the
    answer is empty, as OGC API - Features asks of a ``datetime`` no feature matches."""
    if date or vintage:
        raise InputError("datetime and date/vintage both name the boundaries: give only one")
    start, end = parse_datetime(datetime_)
    if start is None and end is None:
        raise InputError(f"datetime {datetime_} names no instant; give a date or a closed interval")
    if start and end and start > end:
        raise InputError(f"datetime {datetime_!r}: the interval ends before it starts")
    stored = store.vintages()
    if not stored:
        raise NotFoundError("the store holds no boundaries yet; run 'geo-ntm boundaries import' first")
    overlapping = [
        v
        for v in stored
        if (end is None or v.valid_from <= end) and (start is None or v.valid_to is None or v.valid_to > start)
    ]
    if not overlapping:
        return None, end or start
    if start is not None and start == end:
        return store.vintage_on(start), start
    if len(overlapping) == 1:
        return overlapping[0], end or start
    raise InputError(
        f"datetime {datetime_!r} spans {len(overlapping)} boundary vintages "
        f"({', '.join(v.valid_from.isoformat() for v in overlapping)}); ask for one instant"
    )


@dataclass(frozen=True)
class FeatureQuery:
    """The features a request asks for: the collection, what it selects of it, and the response CRS."""

    collection: Collection
    selection: Selection
    crs: str
    #: A ``datetime`` when no boundaries were in force: no feature matches (``selection`` is drawn
    #: on the first vintage only to read the other parameters).
    empty: bool = False

    @property
    def where(self) -> Where:
        """Where and when the request looks (boundaries, status year, place)."""
        return self.selection.where

    @property
    def filtered(self) -> bool:
        """Whether a box or property filter chose a subset."""
        return self.selection.filtered

    @property
    def place(self) -> list[str]:
        """Short names of the province and district asked."""
        return [u.name_short or u.name or u.code for u in (self.where.province, self.where.district) if u is not None]


def _typed(name: str, kind: str, text: str):
    """A property parameter's text as the queryable's type (NFC for strings)."""
    if kind in ("integer", "number"):
        try:
            return int(text) if kind == "integer" or text.lstrip("-").isdigit() else float(text)
        except ValueError:
            raise InputError(f"{name}={text!r}: {name} is a number") from None
    if kind == "boolean":
        if text.lower() in ("true", "1", "yes"):
            return True
        if text.lower() in ("false", "0", "no"):
            return False
        raise InputError(f"{name}={text!r}: {name} is true or false")
    return unicodedata.normalize("NFC", text)


def refuse_unknown(names: Iterable[str], known: Iterable[str], queryables: Iterable[str] = ()) -> None:
    """An ``InputError`` (400) naming the first of ``names`` that is neither ``known``, one of
    ``STANDARD_PARAMS`` (a client's connection URL carries them to every request) nor one of
    ``queryables``: every OGC API route treats an unknown query parameter alike."""
    allowed = {*known, *STANDARD_PARAMS}
    extra = set(queryables)
    for name in names:
        if name not in allowed and name not in extra:
            also = f" and the queryables {', '.join(sorted(extra))}" if extra else ""
            raise InputError(f"unknown parameter {name!r}; parameters are {', '.join(sorted(allowed))}{also}")


def _declared(dependant) -> Iterator[str]:
    """The names of the query parameters a FastAPI dependant and its dependencies declare."""
    yield from (field.alias for field in dependant.query_params)
    for sub in dependant.dependencies:
        yield from _declared(sub)


def known_parameters(request: Request) -> None:
    """A route dependency: refuse a query parameter the route does not declare (``refuse_unknown``)."""
    dependant = getattr(request.scope.get("route"), "dependant", None)
    refuse_unknown(request.query_params.keys(), _declared(dependant) if dependant else ())


def _property_filters(request: Request, types: dict[str, str]) -> list[filters.Expr]:
    """An equality for each query parameter naming a queryable; any other unknown parameter is an error."""
    refuse_unknown(request.query_params.keys(), (), types)
    return [
        filters.equality(key, _typed(key, types[key], value))
        for key, value in request.query_params.items()
        if key not in STANDARD_PARAMS
    ]


#: The ``filter-lang`` values accepted and the reader of each.
FILTER_LANGS = {
    "cql2-text": filters.parse_text,
    "cql-text": filters.parse_text,
    "cql2-json": filters.parse_json,
}


def feature_query(
    collectionId: str,
    request: Request,
    store: StoreDep,
    rule: RuleDep,
    year: Annotated[
        int | None,
        Query(
            ge=FIRST_YEAR,
            le=LAST_YEAR,
            description=(
                "status year; boundaries of 31 December. Without it: the collection's default year, the latest "
                "with statuses on the boundaries drawn (of the province asked, not after the datetime's year)"
            ),
        ),
    ] = None,
    date: DateParam = None,
    vintage: VintageParam = None,
    datetime_: Annotated[
        str | None,
        Query(
            alias="datetime",
            description=(
                "boundaries in force at this instant (RFC 3339 date or date-time); an interval only within one vintage"
            ),
        ),
    ] = None,
    province: ProvinceParam = None,
    district: DistrictParam = None,
    level: Annotated[
        str | None,
        Query(
            description=(
                "units: the administrative level (province, district, commune); communes: the NTM level reached"
            )
        ),
    ] = None,
    bbox: Annotated[str | None, Query(description="minx,miny,maxx,maxy in bbox-crs (default CRS84: lon/lat)")] = None,
    bbox_crs: Annotated[str | None, Query(alias="bbox-crs", description="CRS of bbox (URI)")] = None,
    crs: Annotated[str | None, Query(description="CRS of the response geometries (URI); default CRS84")] = None,
    filter_: Annotated[
        str | None,
        Query(
            alias="filter",
            description=(
                "CQL2 text (or JSON, filter-lang=cql2-json) on the queryables, "
                "e.g. criteria_met >= 15 AND ACCENTI(name) LIKE ACCENTI('Xa Nhon%')"
            ),
        ),
    ] = None,
    filter_lang: Annotated[
        str | None,
        Query(
            alias="filter-lang",
            description="cql2-text (default; cql-text accepted) or cql2-json",
            json_schema_extra={"enum": list(FILTER_LANGS)},
        ),
    ] = None,
    filter_crs: Annotated[
        str | None,
        Query(
            alias="filter-crs",
            description="CRS of the filter's geometry literals (URI, in its axis order; default CRS84)",
        ),
    ] = None,
) -> FeatureQuery:
    """The features a request asks for: collection, boundaries, status year (without ``year``, the
    collection's ``default_year`` on the boundaries drawn), place, bbox and property filters (query
    parameters and CQL2 ``filter``), and the response CRS."""
    collection = registry.collection(collectionId)
    types = collection.queryable_types
    tiers, level_filter = collection.tiers_asked(level)
    expressions = [level_filter] if level_filter is not None else []
    if filter_lang is not None and filter_lang not in FILTER_LANGS:
        raise InputError(f"filter-lang={filter_lang!r}: {', '.join(FILTER_LANGS)} are supported")
    literal_crs = parse_crs(filter_crs, "filter-crs")
    to_crs84 = None if literal_crs == CRS84 else lambda geom: geometry_to_crs84(geom, literal_crs)
    expressions += _property_filters(request, types)
    if filter_:
        expressions.append(FILTER_LANGS[filter_lang or "cql2-text"](filter_, types, to_crs84))
    boundaries: str | Vintage | None
    empty = False
    if datetime_ is None:
        boundaries, day = vintage, parse_date(date)
    else:
        boundaries, day = datetime_boundaries(store, datetime_, date=date, vintage=vintage)
        if boundaries is None:
            empty, boundaries, day = True, store.vintages()[0], None
    where = resolve_where(store, vintage=boundaries, day=day, year=year, province=province, district=district)
    if year is None and not empty:
        province_code = where.province.province_code if where.province else None
        default = collection.default_year(status_years(request, store), where.vintage, province_code, day)
        if default is not None:
            where = where.in_year(store, default)
    selection = Selection(tiers, where, rule, parse_bbox_crs(bbox, bbox_crs), filters.conjunction(expressions))
    return FeatureQuery(collection, selection, parse_crs(crs), empty)


QueryDep = Annotated[FeatureQuery, Depends(feature_query)]


def run(store: Store, q: FeatureQuery, *, limit: int | None = None, offset: int = 0) -> Page:
    """(numberMatched, [(tier, frame)]) of a query, paged across tiers when ``limit`` is given
    (every feature otherwise); none when the query is ``empty``. Geometries are in CRS84."""
    if q.empty:
        return 0, []
    return q.collection.features(store, q.selection, limit=limit, offset=offset)
