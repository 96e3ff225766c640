"""The districts of the boundaries asked, with their own NTM status of the status year."""

from __future__ import annotations

from api.ogc.collections.base import Collection
from api.ogc.collections.properties import COMMUNE_ARRAYS, TIER_QUERYABLES, UNIT_QUERYABLES
from geo_ntm.domain import AdminTier


class Districts(Collection):
    """Districts, urban districts, towns and provincial cities (huyện, quận, thị xã, thành phố)."""

    id = "districts"
    title = "Huyện, quận, thị xã, thành phố / Districts"
    tiers = (AdminTier.DISTRICT,)
    queryables = UNIT_QUERYABLES | TIER_QUERYABLES
    arrays = COMMUNE_ARRAYS
