"""The collections of units: provinces, districts, communes (with their NTM assessment for a
year) and units (every level) of the boundaries in force on a date. The endpoints serving them
(OGC API - Features, downloads) are in ``api.ogc`` and ``api.downloads``."""

from __future__ import annotations

from geo_ntm.carry import CarryRule
from geo_ntm.domain import AdminLevel
from geo_ntm.errors import InputError, NotFoundError
from geo_ntm.store import Store
from geo_ntm.views import assessment_view, unit_view
from geo_ntm.where import Where

COLLECTIONS = {
    "provinces": (AdminLevel.PROVINCE, "Tỉnh, thành phố / Provinces"),
    "districts": (AdminLevel.DISTRICT, "Huyện, quận, thị xã, thành phố / Districts"),
    "communes": (AdminLevel.COMMUNE, "Xã, phường, thị trấn với kết quả NTM / Communes with NTM status"),
    "units": (None, "Mọi đơn vị hành chính / Units of every level"),
}
MAX_LIMIT = 10_000


def _levels(collection_id: str, level: str | None) -> list[AdminLevel]:
    if collection_id not in COLLECTIONS:
        raise NotFoundError(f"no collection {collection_id!r}; collections are {', '.join(COLLECTIONS)}")
    fixed = COLLECTIONS[collection_id][0]
    if fixed is not None:
        return [fixed]
    if level is None:
        return list(AdminLevel)
    try:
        return [AdminLevel(level)]
    except ValueError:
        raise InputError(f"level {level!r} is not one of {', '.join(a.value for a in AdminLevel)}") from None


def _view(store: Store, where: Where, level: AdminLevel, rule: CarryRule | None = None, **filters):
    """The units of ``level`` in ``where`` (communes with their assessment of its year)."""
    filters = {**where.place_filters, **filters}
    if level is AdminLevel.COMMUNE:
        return assessment_view(store, where, rule, **filters)
    if level is AdminLevel.PROVINCE:
        filters.pop("district_code", None)
    return unit_view(store, where.vintage, level, **filters)
