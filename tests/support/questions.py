"""Questions as the tests name them: the where and when resolved as the CLI and the API resolve them."""

from __future__ import annotations

import datetime as dt

from geo_ntm.infrastructure.queries import CoverageRequest
from geo_ntm.store import Store
from geo_ntm.where import resolve_where


def coverage_request(
    store: Store,
    measure: str,
    *,
    province: str | None = None,
    district: str | None = None,
    year: int | None = None,
    day: dt.date | None = None,
    vintage: str | None = None,
    **options,
) -> CoverageRequest:
    """The ``CoverageRequest`` of ``measure`` for the place and time named, with the other ``options``."""
    where = resolve_where(store, vintage=vintage, day=day, year=year, province=province, district=district)
    return CoverageRequest(measure, where, **options)
