"""The interface every OGC API - Features collection implements (as pygeoapi's providers do).

A collection says what it is (``id``, ``title``, ``description``), which tiers of units it holds
(province, district, commune), its queryable properties and their JSON Schema types, and answers
five questions on the request's store: its ``extent`` on a vintage (the box of its own units), which
tiers and filters the ``level`` parameter asks for (``tiers_asked``), the status year shown without
``year`` (``default_year``, from the ``StatusYears`` stored), the features of a query page
(``features``, paged across its tiers) and one feature by code (``feature``). The endpoints
(``api.ogc.catalog``, ``api.ogc.items``, ``api.ogc.schema``) know collections only through this
interface; the registry (``api.ogc.collections.registry``) lists those served."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import geopandas as gpd
import numpy as np

from api.ogc.features import property_frame
from geo_ntm import filters
from geo_ntm.carry import CarryRule
from geo_ntm.domain import AdminTier, Vintage
from geo_ntm.store import Store
from geo_ntm.views import assessment_view, status_view
from geo_ntm.where import PlaceFilters, Where

BBox = tuple[float, float, float, float]
#: (numberMatched, [(tier, frame)]): the features of a page, geometries in CRS84.
Page = tuple[int, list[tuple[AdminTier, gpd.GeoDataFrame]]]
DESCRIPTION = (
    "Ranh giới theo ngày (datetime/date; mặc định: hôm nay), kết quả NTM theo năm (year). Không có year: "
    "năm mới nhất có kết quả trên chính ranh giới đó (của tỉnh nếu có province=, không sau năm của datetime); "
    "year= chọn năm khác (QGIS, GDAL: OAPIF:http://…/?year=2020). "
    "Boundaries of the day asked (datetime/date; default today), NTM status of the year asked (year). Without "
    "year: the latest year with statuses on those very boundaries (of the province asked with province=, not "
    "after the year of datetime); year= asks for another (QGIS, GDAL: OAPIF:http://…/?year=2020)."
)


def default_year_text(year: int | None) -> str:
    """The sentence of a collection's description naming its default year on today's boundaries."""
    if year is None:
        return (
            "Ranh giới hiện hành chưa có kết quả NTM: các trường kết quả để trống nếu không có year. "
            "Today's boundaries hold no NTM statuses yet: without year the status fields are empty."
        )
    return f"Mặc định trên ranh giới hiện hành: năm {year}. Default on today's boundaries: year {year}."


@dataclass(frozen=True)
class StatusYears:
    """The years the store holds NTM statuses for, per boundary vintage and province (every kind of
    status row: criterion statuses, summaries, recognitions, indicator statuses)."""

    years: Mapping[tuple[int, str], frozenset[int]]

    @staticmethod
    def of(store: Store) -> StatusYears:
        """The status years of ``store`` (``Store.data_extent``: one aggregate over the status tables)."""
        found: dict[tuple[int, str], set[int]] = {}
        for e in store.data_extent():
            found.setdefault((e.vintage_id, e.province_code), set()).add(e.year)
        return StatusYears({key: frozenset(years) for key, years in found.items()})

    def on(self, vintage_id: int, province_code: str | None = None) -> set[int]:
        """The years with statuses on the units of a vintage (of one province, when given)."""
        return {
            year
            for (vintage, province), years in self.years.items()
            if vintage == vintage_id and province_code in (None, province)
            for year in years
        }


class Queryable(NamedTuple):
    """A queryable property: its JSON Schema type (string, number, integer, boolean) and title."""

    type: str
    title: str


@dataclass(frozen=True)
class Extent:
    """Where and since when a collection has features: a CRS84 box (None: no boundaries stored) and
    the first day of its first boundaries."""

    bbox: BBox | None
    start: dt.date | None

    @staticmethod
    def union(extents: list[Extent]) -> Extent:
        """The box holding every box of ``extents``, from the earliest start (None, None: no extent)."""
        boxes = np.array([e.bbox for e in extents if e.bbox is not None])
        starts = [e.start for e in extents if e.start is not None]
        if not len(boxes):
            return Extent(None, min(starts, default=None))
        lower, upper = boxes[:, :2].min(axis=0), boxes[:, 2:].max(axis=0)
        box = (float(lower[0]), float(lower[1]), float(upper[0]), float(upper[1]))
        return Extent(box, min(starts, default=None))


@dataclass(frozen=True)
class Selection:
    """Which features of a collection a request selects: its tiers, where and when, the carry rule,
    and the filters (a CRS84 box, a property filter of ``geo_ntm.filters``)."""

    tiers: tuple[AdminTier, ...]
    where: Where
    rule: CarryRule | None = None
    box: BBox | None = None
    expr: filters.Expr | None = None

    @property
    def filtered(self) -> bool:
        """Whether a box or property filter chose a subset."""
        return self.expr is not None or self.box is not None

    def split(self, store: Store) -> tuple[filters.Expr | None, filters.Expr | None]:
        """(the terms of the filter's top-level AND ``store`` runs in SQL, the rest, run on its rows)."""
        return filters.split(self.expr, set(store.filter_properties))

    def store_pages(self, store: Store) -> bool:
        """Whether ``store`` alone selects the features (the box and every filter term), so it
        counts and pages them."""
        return self.split(store)[1] is None


class Collection:
    """An OGC collection of administrative units (see the module docstring). Subclasses set the class
    attributes; the methods serve the units of the tiers as ``geo_ntm.views`` gives them (communes
    with the assessment of the status year) and may be overridden for other features."""

    id: ClassVar[str]
    title: ClassVar[str]
    description: ClassVar[str] = DESCRIPTION
    tiers: ClassVar[tuple[AdminTier, ...]]
    queryables: ClassVar[Mapping[str, Queryable]]
    #: Properties that are lists of integers: in the schema of the features, not queryable.
    arrays: ClassVar[Mapping[str, str]] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        missing = [name for name in ("id", "title", "tiers", "queryables") if not hasattr(cls, name)]
        if missing:
            raise TypeError(f"collection {cls.__name__} does not set {', '.join(missing)}")

    @property
    def queryable_types(self) -> dict[str, str]:
        """Queryable property -> ``string`` | ``number`` | ``integer`` | ``boolean``."""
        return {name: q.type for name, q in self.queryables.items()}

    def tiers_asked(self, level: str | None) -> tuple[tuple[AdminTier, ...], filters.Expr | None]:
        """The tiers a request's ``level`` parameter asks for and the property filter it means, if
        any. By default a collection's tiers are fixed and ``level`` is ignored."""
        return self.tiers, None

    def default_year(
        self, years: StatusYears, vintage: Vintage, province_code: str | None = None, day: dt.date | None = None
    ) -> int | None:
        """The status year a request without ``year`` shows: the latest year with statuses on the
        boundaries drawn (``vintage``: those of the day asked, else of today), of the province asked
        when one is, and not after the year of the ``day`` asked; None when there is none (the
        status fields stay empty). A year whose statuses sit on the boundaries drawn needs no carry
        rule, and the boundaries stay those the day (``datetime``) asked for."""
        found = [y for y in years.on(vintage.vintage_id, province_code) if day is None or y <= day.year]
        return max(found, default=None)

    def extent(self, store: Store, vintage: Vintage) -> Extent:
        """The box of the collection's own units (those of its tiers) in ``vintage``, from its first
        day; the endpoint keeps it per collection and vintage and joins those of every vintage."""
        bounds = np.array([store.units(vintage.vintage_id, tier).total_bounds for tier in self.tiers])
        if np.isnan(bounds).all():
            return Extent(None, vintage.valid_from)
        lower, upper = np.nanmin(bounds[:, :2], axis=0), np.nanmax(bounds[:, 2:], axis=0)
        return Extent((float(lower[0]), float(lower[1]), float(upper[0]), float(upper[1])), vintage.valid_from)

    def frame(
        self, store: Store, where: Where, tier: AdminTier, rule: CarryRule | None = None, **filters
    ) -> gpd.GeoDataFrame:
        """The units of ``tier`` in ``where`` with their own assessment of its year, narrowed
        by the store's filters (``codes``, ``bbox``, ``limit``, ``offset``, ``expr``)."""
        filters = {**self._place_scope(where, tier), **filters}
        if tier is AdminTier.COMMUNE:
            return assessment_view(store, where, rule, **filters)
        return status_view(store, where.vintage, tier, where.year, **filters)

    def count(
        self, store: Store, where: Where, tier: AdminTier, expr: filters.Expr | None = None, box: BBox | None = None
    ) -> int:
        """How many units of ``tier`` are in ``where``, meet ``box`` and pass ``expr`` (a filter on
        the unit columns, ``Store.filter_properties``): the store counts them."""
        scope = self._place_scope(where, tier)
        return store.count_units(
            where.vintage.vintage_id,
            tier,
            province_code=scope.get("province_code"),
            district_code=scope.get("district_code"),
            expr=expr,
            bbox=box,
        )

    def features(self, store: Store, selection: Selection, *, limit: int | None = None, offset: int = 0) -> Page:
        """The features selected, paged across the tiers in order when ``limit`` is given.

        When the store runs every filter (the box, terms on the unit columns only) it counts and
        pages (no view is built beyond the page); otherwise the store runs the terms it can, each
        tier's view is filtered here by the rest and then cut to the page."""
        paged = limit is not None
        held = selection.split(store)[0]
        store_pages = selection.store_pages(store)
        matched, frames, skip, left = 0, [], offset, limit or 0
        for tier in selection.tiers:
            if paged and store_pages:
                n = self.count(store, selection.where, tier, held, selection.box)
                frame = (
                    self.frame(
                        store,
                        selection.where,
                        tier,
                        selection.rule,
                        bbox=selection.box,
                        limit=left,
                        offset=skip,
                        expr=held,
                    )
                    if left > 0 and skip < n
                    else None
                )
            else:
                frame = self._filtered(store, selection, tier)
                n = len(frame)
                if paged:
                    frame = frame.iloc[skip : skip + left] if left > 0 else frame.iloc[0:0]
            matched += n
            if frame is not None and len(frame):
                frames.append((tier, frame))
                left -= len(frame)
            skip = max(0, skip - n)
        return matched, frames

    def feature(self, store: Store, selection: Selection, feature_id: str) -> tuple[AdminTier, gpd.GeoDataFrame] | None:
        """The unit whose code is ``feature_id`` in the first tier holding it (filters other than the
        place do not apply), or None."""
        for tier in selection.tiers:
            frame = self.frame(store, selection.where, tier, selection.rule, codes=[feature_id])
            if not frame.empty:
                return tier, frame
        return None

    def _filtered(self, store: Store, selection: Selection, tier: AdminTier) -> gpd.GeoDataFrame:
        """The units of ``tier`` the store selects (the box, or else the envelope of a spatial
        term it leaves, by its spatial index), then tested here on the rest of the filter."""
        held, rest = selection.split(store)
        box = selection.box or filters.envelope(rest)
        frame = self.frame(store, selection.where, tier, selection.rule, bbox=box, expr=held)
        if rest is not None and len(frame):
            props = property_frame(frame, tier)
            if filters.GEOMETRY in filters.properties(rest):
                props[filters.GEOMETRY] = frame.geometry.values
            frame = frame[filters.select(rest, props, self.queryable_types)]
        return frame

    @staticmethod
    def _place_scope(where: Where, tier: AdminTier) -> PlaceFilters:
        """The place filters that apply to ``tier``: a province is never inside a district."""
        scope = where.place_filters.copy()
        if tier is AdminTier.PROVINCE:
            scope.pop("district_code", None)
        return scope
