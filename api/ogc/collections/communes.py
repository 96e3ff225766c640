"""The communes of the boundaries asked, with the NTM assessment of the status year."""

from __future__ import annotations

from api.ogc.collections.base import Collection
from api.ogc.collections.properties import COMMUNE_ARRAYS, COMMUNE_QUERYABLES, UNIT_QUERYABLES
from geo_ntm import filters
from geo_ntm.domain import AdminTier


class Communes(Collection):
    """Communes, wards and towns (xã, phường, thị trấn) with their NTM status; on this collection the
    ``level`` parameter is the NTM level reached, a property filter."""

    id = "communes"
    title = "Xã, phường, thị trấn với kết quả NTM / Communes with NTM status"
    tiers = (AdminTier.COMMUNE,)
    queryables = UNIT_QUERYABLES | COMMUNE_QUERYABLES
    arrays = COMMUNE_ARRAYS

    def tiers_asked(self, level: str | None) -> tuple[tuple[AdminTier, ...], filters.Expr | None]:
        """The communes; ``level`` filters on the NTM level reached (``level = 'ntm'``)."""
        return self.tiers, None if level is None else filters.equality("level", level)
