"""Units of every level of the boundaries asked: provinces, then districts, then communes."""

from __future__ import annotations

from api.ogc.collections.base import Collection
from api.ogc.collections.properties import COMMUNE_ARRAYS, COMMUNE_QUERYABLES, TIER_QUERYABLES, UNIT_QUERYABLES
from geo_ntm.domain import AdminTier
from geo_ntm.errors import InputError
from geo_ntm.filters import Expr


class Units(Collection):
    """Every administrative unit, paged across the levels; ``level`` chooses one administrative level."""

    id = "units"
    title = "Mọi đơn vị hành chính / Units of every level"
    tiers = tuple(AdminTier)
    queryables = UNIT_QUERYABLES | COMMUNE_QUERYABLES | TIER_QUERYABLES
    arrays = COMMUNE_ARRAYS

    def tiers_asked(self, level: str | None) -> tuple[tuple[AdminTier, ...], Expr | None]:
        """Every level, or the one ``level`` names (province, district, commune)."""
        if level is None:
            return self.tiers, None
        try:
            return (AdminTier(level),), None
        except ValueError:
            raise InputError(f"level {level!r} is not one of {', '.join(a.value for a in AdminTier)}") from None
