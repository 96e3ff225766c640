"""Where and when a question looks: the boundaries drawn (a vintage), the day, the status year and
the place (a province, optionally one of its districts).

Boundaries from 1 July 2025 (``DISTRICTS_ABOLISHED``) have no district tier: the hierarchy is
province -> commune (wards and special zones at the commune tier), so a district named on them is
an InputError, never a lookup that finds nothing; district data stays on the boundaries it belongs to.

The edge resolves them once (the CLI's options, the API's query parameters) with ``resolve_where``
into one ``Where``; everything below takes it as it is and never parses or looks them up again.
Whether the statuses of the year sit on the boundaries drawn ("own boundaries") or must be carried
onto them is decided here, once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import TypedDict

from geo_ntm.domain import AdminTier, Unit, Vintage
from geo_ntm.errors import InputError, NotFoundError
from geo_ntm.places import find_unit
from geo_ntm.store import Store

#: The status years a question may name: the programme began in 2010 (its first criteria in 2009);
#: the bounds leave room for history and plans without accepting typing slips like 20200.
FIRST_YEAR, LAST_YEAR = 1990, 2100

#: The day the district tier ended: the two-tier local government (province, commune) of the 2025
#: reorganisation took effect on 1 July 2025. Vintages starting on or after it have no districts.
DISTRICTS_ABOLISHED = dt.date(2025, 7, 1)


def has_districts(vintage: Vintage) -> bool:
    """Whether ``vintage`` has a district tier: boundaries starting before 1 July 2025."""
    return vintage.valid_from < DISTRICTS_ABOLISHED


def checked_year(year: int | None, name: str = "year") -> int | None:
    """``year`` if it is a status year the service knows how to ask about; InputError otherwise."""
    if year is not None and not FIRST_YEAR <= year <= LAST_YEAR:
        raise InputError(f"{name} {year} is outside the years {FIRST_YEAR}-{LAST_YEAR}")
    return year


class PlaceFilters(TypedDict, total=False):
    """The store's unit filters for a place (see ``Where.place_filters``)."""

    province_code: str | None
    district_code: str


@dataclass(frozen=True)
class Where:
    """The resolved where and when of one question (see the module docstring).

    ``vintage`` is the boundaries drawn; ``year`` the status year (None: boundaries only);
    ``day_asked`` the day named by a date or datetime (None when the boundaries came from a year
    or a vintage name); ``status_vintage`` the boundaries in force on 31 December of ``year``, to
    which that year's statuses belong (None without a year, or when no stored vintage covers it)."""

    vintage: Vintage
    year: int | None = None
    day_asked: dt.date | None = None
    status_vintage: Vintage | None = None
    province: Unit | None = None
    district: Unit | None = None

    @property
    def day(self) -> dt.date:
        """The day the question describes: the day asked, else 31 December of the year, else today."""
        return self.day_asked or (dt.date(self.year, 12, 31) if self.year else dt.date.today())

    @property
    def own_boundaries(self) -> bool:
        """Whether the statuses of ``year`` sit on the boundaries drawn (nothing to carry)."""
        return self.year is None or self.status_vintage == self.vintage

    @property
    def statuses_vintage(self) -> Vintage:
        """The boundaries of the year's statuses; NotFoundError when none is stored for that year."""
        if self.status_vintage is None:
            raise NotFoundError(
                f"no boundary vintage is in force on 31 December {self.year}, the boundaries of that year's statuses"
            )
        return self.status_vintage

    @property
    def has_districts(self) -> bool:
        """Whether the boundaries drawn have a district tier (``has_districts``)."""
        return has_districts(self.vintage)

    @property
    def national(self) -> bool:
        """Whether the question is about the whole country (no province named)."""
        return self.province is None

    @property
    def place_filters(self) -> PlaceFilters:
        """The store's unit filters for the place (``province_code``, ``district_code``)."""
        filters: PlaceFilters = {}
        if self.province is not None:
            filters["province_code"] = self.province.province_code
        if self.district is not None:
            filters["district_code"] = self.district.code
        return filters

    @property
    def label(self) -> str:
        """ "District, Province" (or the province alone; empty for the whole country)."""
        return ", ".join(u.name or u.code for u in (self.district, self.province) if u is not None)

    @property
    def status_year(self) -> int:
        """The status year, for the questions that need one (maps, indicators); InputError without."""
        if self.year is None:
            raise InputError("this question needs a status year: add --year / year=")
        return self.year

    def in_year(self, store: Store, year: int) -> Where:
        """The same boundaries and place asked about another status year (a comparison's earlier year)."""
        return dataclasses.replace(self, year=year, status_vintage=_status_vintage(store, year))


def _status_vintage(store: Store, year: int | None) -> Vintage | None:
    if year is None:
        return None
    try:
        return store.vintage_for_year(year)
    except NotFoundError:
        return None


def resolve_where(
    store: Store,
    *,
    vintage: str | Vintage | None = None,
    day: dt.date | None = None,
    year: int | None = None,
    province: str | None = None,
    district: str | None = None,
) -> Where:
    """Resolve what a question names into a ``Where``.

    Boundaries: ``vintage`` (id, name or start date), else those in force on ``day``, else on
    31 December of ``year``, else today. Place: ``province`` and ``district`` by code or name
    (tone- and prefix-insensitive, never guessed between several) within those boundaries; a
    district needs its province. A district those boundaries do not have (one formed later, such
    as a thị xã split from the huyện that bears its name) is a NotFoundError saying so, never
    answered for another district."""
    checked_year(year)
    if isinstance(vintage, Vintage):
        drawn = vintage
    else:
        drawn = store.resolve_vintage(vintage=vintage or None, day=day, year=year)
    by_year = year is not None and not vintage and day is None  # drawn is already the year's own
    status_vintage = drawn if by_year else _status_vintage(store, year)
    found_province = found_district = None
    if province:
        provinces = store.unit_records(drawn.vintage_id, AdminTier.PROVINCE)
        found_province = find_unit(provinces, province, "province")
        if district:
            _check_district_tier(drawn)
            districts = store.unit_records(
                drawn.vintage_id, AdminTier.DISTRICT, province_code=found_province.province_code
            )
            found_district = find_unit(
                districts, district, f"district of {found_province.name} in the {drawn.name} boundaries"
            )
    elif district:
        _check_district_tier(drawn)
        raise InputError("a district needs its province: add --province / province=")
    return Where(drawn, year, day, status_vintage, found_province, found_district)


def _check_district_tier(drawn: Vintage) -> None:
    """InputError when ``drawn`` has no district tier (boundaries from 1 July 2025)."""
    if not has_districts(drawn):
        raise InputError(
            f"district: the {drawn.name} boundaries (from {DISTRICTS_ABOLISHED.isoformat()}) have no district "
            "tier, only province and commune; leave out district, or ask on boundaries before that day"
        )
