"""The choices the planner's page offers (the whole country or a province, districts, years,
boundaries, carry rules, measures, classifications) and the choice it starts from, in the language
asked: sent with the page (``api.planner_page``) and by ``GET /map/options`` (``api.planner``).

Switching boundaries keeps the place: a province code of other boundaries (the user switched
vintage, or a link names a province of other boundaries) is answered with the province of the
boundaries drawn that holds the largest part of it (``province_across``, by a crosswalk of the two
provinces' areas), e.g. Tỉnh Bến Tre of 2009 -> Tỉnh Vĩnh Long of 2025 and back."""

from __future__ import annotations

import datetime as dt

from geo_ntm.carry import RULES
from geo_ntm.crosswalk import crosswalk
from geo_ntm.domain import LEVELS, AdminTier, Unit, Vintage
from geo_ntm.errors import NotFoundError
from geo_ntm.frameworks import all_frameworks, get_framework
from geo_ntm.infrastructure.coverage import framework_of_year
from geo_ntm.places import find_unit
from geo_ntm.store import Store
from geo_ntm.where import checked_year, has_districts, resolve_where
from maps.classify import CLASS_COUNTS
from maps.i18n import level_label, texts, ui_texts
from maps.measures import offered_measures
from maps.measures.base import SCHEMES

FIRST_YEAR = 2009  # the year before the programme's start, when QĐ 491/QĐ-TTg set the first criteria


def page_options(
    store: Store,
    *,
    province: str | None = None,
    year: int | None = None,
    vintage: str | None = None,
    lang: str = "vi",
    basemap: str | None = None,
) -> dict:
    """What the page lets the user choose, and the choice to start from: by default the whole
    country (``province`` empty, ``national``) at the latest year with data, on the boundaries of
    that year. ``basemap`` is the office's tile URL (``GEO_NTM_BASEMAP_URL``), None for none."""
    checked_year(year)  # InputError naming ``year`` (a 400), before any date is made of it
    t = ui_texts(lang)
    base = {"lang": lang, "texts": t, "levels": {lv: level_label(lv, lang) for lv in LEVELS}, "basemap": basemap}
    if not store.vintages():
        return {**base, "empty": True, "provinces": []}
    extents = store.data_extent()
    if year is None:
        years = [e.year for e in extents if e.province_code == province] or [e.year for e in extents]
        year = max(years) if years else dt.date.today().year
    where = resolve_where(store, vintage=vintage, year=year)
    drawn = where.vintage
    provinces = store.unit_records(drawn.vintage_id, AdminTier.PROVINCE)
    chosen = None
    if province:
        try:
            chosen = find_unit(provinces, province, "province")
        except NotFoundError:  # a province of other boundaries (the user switched vintage)
            chosen = province_across(store, province, drawn) or sorted(provinces, key=lambda u: u.code)[0]
    with_data = {e.province_code for e in extents if e.vintage_id == drawn.vintage_id}
    data_years = sorted({e.year for e in extents if chosen is None or e.province_code == chosen.province_code})
    districts = (
        sorted(
            store.unit_records(drawn.vintage_id, AdminTier.DISTRICT, province_code=chosen.province_code),
            key=lambda u: u.name or "",
        )
        if chosen is not None and has_districts(drawn)
        else []
    )
    carried = not where.own_boundaries
    return {
        **base,
        "empty": False,
        "province": chosen.code if chosen else "",
        "national": chosen is None,
        "year": year,
        "vintage": str(drawn.vintage_id) if vintage else "",
        "provinces": [
            {"code": u.code, "name": u.name or u.code, "has_data": u.province_code in with_data}
            for u in sorted(provinces, key=lambda u: (u.province_code not in with_data, u.name or ""))
        ],
        "has_districts": has_districts(drawn),
        "districts": [{"code": u.code, "name": u.name or u.code} for u in districts],
        "years": list(range(FIRST_YEAR, max(_current_period_end(), year, *data_years) + 1)),
        "data_years": data_years,
        "vintages": [
            {"id": str(v.vintage_id), "name": v.name, "valid_from": v.valid_from.isoformat()} for v in store.vintages()
        ],
        "rules": list(RULES),
        "carried": carried,
        "measures": _measures(store, year, lang, carried=carried),
        "aggregate_measures": _measures(store, year, lang, carried=carried, aggregate=True),
        "groups": _groups_present(store, drawn, chosen, year) if chosen is not None and not carried else [],
        "schemes": [{"id": s, "label": texts(lang)[f"scheme.{s}"]} for s in SCHEMES],
        "class_counts": list(CLASS_COUNTS),
    }


def _current_period_end() -> int:
    """The last year the page offers: the end of the period of the national commune criteria in
    force this year (2030 once the 2026-2030 set is shipped), else this year."""
    today = dt.date.today().year
    ends = [
        f.years[1]
        for f in all_frameworks().values()
        if f.national and f.applies_to is AdminTier.COMMUNE and f.years[0] <= today <= f.years[1]
    ]
    return max([today, *ends])


def province_across(store: Store, province: str, drawn: Vintage) -> Unit | None:
    """The province of ``drawn`` holding the largest part of the province ``province`` (code or
    name) of other stored boundaries (the latest that has it), by a crosswalk of the two provinces'
    areas; None when no other stored boundaries have it or nothing of ``drawn`` overlaps it."""
    for other in sorted(store.vintages(), key=lambda v: v.valid_from, reverse=True):
        if other.vintage_id == drawn.vintage_id:
            continue
        try:
            found = find_unit(store.unit_records(other.vintage_id, AdminTier.PROVINCE), province, "province")
        except NotFoundError:
            continue
        old = store.units(other.vintage_id, AdminTier.PROVINCE, codes=[found.code])
        new = store.units(drawn.vintage_id, AdminTier.PROVINCE, bbox=tuple(old.total_bounds))
        if new.empty:
            return None
        pairs = crosswalk(old, new, population_column=None).pairs
        if pairs.empty:
            return None
        best = pairs.loc[pairs["shared_ha"].idxmax(), "new_code"]
        return next(u for u in store.unit_records(drawn.vintage_id, AdminTier.PROVINCE) if u.code == best)
    return None


def _groups_present(store: Store, drawn: Vintage, province: Unit, year: int) -> list[int]:
    """The NTM commune groups (nhóm 1/2/3) held on 31 December of ``year`` by communes of
    ``province``: the page's group choice (none without a group import)."""
    communes = store.unit_records(drawn.vintage_id, AdminTier.COMMUNE, province_code=province.province_code)
    held = store.unit_groups([u.unit_id for u in communes], dt.date(year, 12, 31))
    return sorted({g.group for g in held.values()})


def _measures(store: Store, year: int, lang: str, carried: bool, aggregate: bool = False) -> list[dict]:
    """Every measure the page offers, in groups: assessment, single criteria (named after the
    framework in force that year), indicators of the layers the store holds. Statuses carried to
    other boundaries give levels, counts and shares, never single criteria. With ``aggregate``
    the measures of provinces and districts by their communes (none on carried boundaries)."""
    t = ui_texts(lang)
    framework = get_framework(framework_of_year(year) or "qd1980_2016")
    return [
        {"id": m.name, "label": m.title(lang, framework.framework_id), "group": t[m.group], "schemes": list(m.schemes)}
        for m in offered_measures(store, year, framework, carried, aggregate)
    ]
