"""The provinces of the boundaries asked, with their own NTM status of the status year."""

from __future__ import annotations

from api.ogc.collections.base import Collection
from api.ogc.collections.properties import COMMUNE_ARRAYS, TIER_QUERYABLES, UNIT_QUERYABLES
from geo_ntm.domain import AdminTier


class Provinces(Collection):
    """Provinces and centrally run cities (tỉnh, thành phố trực thuộc trung ương)."""

    id = "provinces"
    title = "Tỉnh, thành phố / Provinces"
    tiers = (AdminTier.PROVINCE,)
    queryables = UNIT_QUERYABLES | TIER_QUERYABLES
    arrays = COMMUNE_ARRAYS
