"""The collections of units: provinces, districts, communes (with their NTM assessment for a
year) and units (every level) of the boundaries in force on a date. The endpoints serving them
(OGC API - Features, downloads) are in ``api.ogc`` and ``api.downloads``."""

from __future__ import annotations

from geo_ntm.carry import CarryRule
from geo_ntm.domain import AdminLevel, Vintage
from geo_ntm.errors import InputError, NotFoundError
from geo_ntm.places import find_unit
from geo_ntm.store import Store
from geo_ntm.views import assessment_view, unit_view

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


def _scope(store: Store, vintage: Vintage, province: str | None, district: str | None) -> dict:
    if not province:
        if district:
            raise InputError("district needs its province: add province=... to the query")
        return {}
    prov = find_unit(store.unit_records(vintage.vintage_id, AdminLevel.PROVINCE), province, "province")
    scope = {"province_code": prov.province_code}
    if district:
        districts = [u for u in store.unit_records(vintage.vintage_id, AdminLevel.DISTRICT)
                     if u.province_code == prov.province_code]
        scope["district_code"] = find_unit(districts, district, f"district of {prov.name}").code
    return scope


def _view(store: Store, vintage: Vintage, level: AdminLevel, year: int | None, rule: CarryRule | None = None,
          **filters):
    if level is AdminLevel.COMMUNE:
        return assessment_view(store, vintage, year, rule, **filters)
    if level is AdminLevel.PROVINCE:
        filters.pop("district_code", None)
    return unit_view(store, vintage, level, **filters)
