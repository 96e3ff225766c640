"""The districts of the boundaries asked."""

from __future__ import annotations

from api.ogc.collections.base import Collection
from api.ogc.collections.properties import UNIT_QUERYABLES
from geo_ntm.domain import AdminTier


class Districts(Collection):
    """Districts, urban districts, towns and provincial cities (huyện, quận, thị xã, thành phố)."""

    id = "districts"
    title = "Huyện, quận, thị xã, thành phố / Districts"
    tiers = (AdminTier.DISTRICT,)
    queryables = UNIT_QUERYABLES
