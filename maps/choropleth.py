"""A choropleth (a classified map): the communes of a province or district in a year with the measure's
value, class, fill and tooltip, the legend, and the title, subtitle, note and source every map
of it carries. The folium page, the planner's JSON and the PNG export are drawn from one."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import shapely
from shapely.geometry import mapping

from geo_ntm.carry import CarryRule
from geo_ntm.domain import AdminTier
from geo_ntm.errors import InputError
from geo_ntm.profile import status_sources
from geo_ntm.store import Store
from geo_ntm.views import assessment_view, status_view
from geo_ntm.where import Where
from maps.classify import Classification, classify
from maps.commune import COLUMNS, OPTIONAL, Commune
from maps.i18n import format_number, level_label, rule_label, texts
from maps.measures import aggregate_names, carried_names, changed_since, parse_measure
from maps.measures.base import DEFAULT_CRITERIA_TOTAL, Measure

_DECIMALS = 6  # ~0.1 m: plenty for a commune map, and a much smaller page
_SCREEN_DECIMALS = 5  # ~1 m, for geometries simplified for the screen


@dataclass(frozen=True)
class MapRequest:
    """One map: where and when (the boundaries drawn, the province or district, the status year),
    what and how classed. ``compare`` (the same place in an earlier year) maps the change from that
    year; ``rule`` carries statuses to boundaries other than those of their year. ``tier`` district
    or province colours the districts (the province) by their own status (``tier_frame``).
    ``group`` keeps the communes of that NTM group (nhóm 1/2/3) only."""

    where: Where
    measure: str = "criteria_met"
    scheme: str | None = None
    classes: int = 5
    lang: str = "vi"
    rule: CarryRule | None = None
    compare: Where | None = None
    tier: AdminTier = AdminTier.COMMUNE  # whose own status is coloured: communes, districts or province
    group: int | None = None  # only the communes of this NTM group


@dataclass(frozen=True)
class Choropleth:
    """The communes of a map (``frame``, EPSG:4326), each classified and with its tooltip."""

    frame: gpd.GeoDataFrame
    communes: tuple[Commune, ...]
    classification: Classification
    tooltips: tuple[str, ...]
    title: str
    lang: str
    subtitle: str = ""
    note: str = ""  # under the legend: boundaries and carry rule
    source: str = ""

    @classmethod
    def from_frame(
        cls,
        frame: gpd.GeoDataFrame,
        measure: str | Measure,
        *,
        title: str,
        lang: str = "vi",
        scheme: str | None = None,
        classes: int = 5,
        subtitle: str = "",
        note: str = "",
        source: str = "",
        year: int | None = None,
    ) -> Choropleth:
        """Classify ``frame`` (one row per commune with the columns of ``maps.commune.COLUMNS``, and
        those of ``OPTIONAL`` the measure needs) for ``measure``; ``year`` is the later year of a change."""
        texts(lang)  # an unknown language fails before any work
        missing = [c for c in COLUMNS if c not in frame.columns]
        if missing:
            raise InputError(f"the map frame lacks column(s) {', '.join(missing)}")
        if frame.crs is not None and frame.crs.to_epsg() != 4326:
            frame = frame.to_crs(4326)
        if frame.empty or math.isnan(frame.total_bounds[0]):
            raise InputError("nothing to map: the frame has no commune geometries")
        columns = list(COLUMNS) + [c for c in OPTIONAL if c in frame.columns]
        communes = tuple(Commune.from_row(row) for row in frame[columns].itertuples(index=False))
        if isinstance(measure, str):
            totals = {c.total for c in communes if c.has_data and c.total}
            measure = parse_measure(measure, max(totals, default=DEFAULT_CRITERIA_TOTAL))
        classification = classify(
            list(communes),
            measure,
            scheme=scheme,
            classes=classes,
            lang=lang,
            framework=_one_framework(frame),
            year=year,
        )
        tooltips = tuple(c.tooltip(lang, measure.tooltip_extra(c, lang)) for c in communes)
        return cls(frame, communes, classification, tooltips, title, lang, subtitle, note, source)

    @property
    def measure(self) -> Measure:
        return self.classification.measure

    def features(self, simplify: bool = False, geometry: bool = True) -> list[dict]:
        """GeoJSON features: the commune's figures, its class, label, fill and tooltip. With
        ``simplify`` the polygons are simplified for the screen (about 1/2000 of the map's extent).
        Each feature's ``main_box`` property is the box of its largest part (where its name fits);
        without ``geometry`` (a page drawing the shapes from vector tiles) its geometry is null."""
        xmin, ymin, xmax, ymax = self.frame.total_bounds
        tolerance = max(xmax - xmin, ymax - ymin) / 2000 if simplify else 0.0
        decimals = _SCREEN_DECIMALS if simplify else _DECIMALS
        out = []
        for c, key, tip, geom in zip(
            self.communes, self.classification.keys, self.tooltips, self.frame.geometry, strict=True
        ):
            if geom is None or geom.is_empty:
                continue
            properties = self._properties(c, key, tip)
            properties["main_box"] = [round(float(v), _SCREEN_DECIMALS) for v in _largest_part(geom).bounds]
            if not geometry:
                out.append({"type": "Feature", "id": c.code, "geometry": None, "properties": properties})
                continue
            if tolerance:
                geom = _screen_simplified(geom, tolerance)
            shape = mapping(shapely.transform(geom, lambda xy: xy.round(decimals)))
            out.append({"type": "Feature", "id": c.code, "geometry": shape, "properties": properties})
        return out

    def _properties(self, c: Commune, key: str, tooltip: str) -> dict:
        value = self.measure.value(c)
        props = {
            "code": c.code,
            "name": c.name,
            "unit_type": c.unit_type,
            "district": c.district,
            "assessed": c.assessed,
            "has_data": c.has_data,
            "level": c.level,
            "level_label": level_label(c.level, self.lang) if c.level else None,
            "criteria_met": c.met,
            "criteria_total": c.total,
            "criteria_unmet": list(c.unmet),
            "criteria_conflicting": list(c.conflicting),
            "ntm_group": c.ntm_group,
            "value": value,
            "value_text": None if value is None else format_number(value, self.measure.unit, self.lang),
            "class": key,
            "label": self.classification.label(key),
            "fill": self.classification.fill(key),
            "tooltip": tooltip,
        }
        return props | self.measure.properties(c)


def _largest_part(geom):
    """The polygon of ``geom`` with the largest area (a province's mainland, not its islands)."""
    parts = shapely.get_parts(geom)
    return parts[int(shapely.area(parts).argmax())]


def _screen_simplified(geom, tolerance: float):
    """``geom`` simplified for the screen, keeping its topology: a quick Douglas-Peucker pass at a
    quarter of ``tolerance`` (invisible at the map's scale) first, which makes the topology-keeping
    pass about ten times faster on detailed coasts (the 34 provinces of 2025: 1.3 s -> 0.17 s,
    27,000 -> 7,400 vertices); the original when that pass leaves nothing."""
    quick = shapely.simplify(geom, tolerance / 4, preserve_topology=False)
    return shapely.simplify(geom if quick.is_empty else quick, tolerance, preserve_topology=True)


def _one_framework(frame: gpd.GeoDataFrame) -> str | None:
    """The framework of the communes of ``frame`` when they share one (it names a criterion)."""
    frameworks = frame["framework"].dropna().unique()
    return frameworks[0] if len(frameworks) == 1 else None


def build_choropleth(store: Store, request: MapRequest) -> Choropleth:
    """The map ``request`` asks for, on the boundaries of ``request.where``. When the statuses of
    the year belong to other boundaries they are carried by ``request.rule`` (default ``all``)."""
    t = texts(request.lang)
    where = request.where
    year, vintage = where.status_year, where.vintage
    measure = parse_measure(request.measure)
    rule = None if where.own_boundaries else (request.rule or CarryRule("all"))
    if request.tier is AdminTier.COMMUNE:
        if where.national:
            raise InputError(
                "a map of the whole country colours provinces (tier=province) or districts (tier=district) "
                "by their communes; for a commune map name a province"
            )
        if measure.aggregate:
            raise InputError(
                f"measure {measure.name!r} colours provinces or districts by their communes: "
                "use tier=province or tier=district"
            )
        _check_carry(measure, where, rule)
        frame = assessment_view(store, where, rule)
        if request.group is not None:
            frame = frame[frame["ntm_group"] == request.group]
    else:
        frame = tier_frame(store, request, measure)
    sources = [f"{t['map.boundaries'].format(name=vintage.name)} ({Path(vintage.source).name})"]
    if where.own_boundaries and not measure.aggregate:  # an aggregate names its communes' statuses
        found = status_sources(store, frame["unit_id"].tolist(), year)
        sources.append(
            t["map.status_sources"].format(sources="; ".join(found[:2]) + (" …" if len(found) > 2 else ""))
            if found
            else t["map.no_status_source"]
        )
    sources += measure.load(store, frame, where, request.lang)
    period = str(year)
    if request.compare is not None:
        measure = changed_since(measure, request.compare.status_year)
        _add_earlier_year(store, frame, request.compare, rule)
        period = f"{request.compare.year}–{year}"
    note = f"{_sentence(t['map.boundaries'].format(name=vintage.name))}."
    if rule is not None:
        note += " " + rule_label(rule, request.lang)
    layer = Choropleth.from_frame(
        frame,
        measure,
        scheme=request.scheme,
        classes=request.classes,
        lang=request.lang,
        year=year,
        title="",
        subtitle=f"{_sentence(t['map.year'].format(year=period))}; {t['map.boundaries'].format(name=vintage.name)}",
        note=note,
        source=f"{t['map.source']}: " + "; ".join([*sources, t["map.tool"]]) + ".",
    )
    heading = measure.title(request.lang, _one_framework(frame), year)
    whose = "" if request.tier is AdminTier.COMMUNE else f" ({t[_tier_key(request.tier, measure)]})"
    return dataclasses.replace(layer, title=f"{heading} — {where.label or t['map.national']}{whose}")


def _tier_key(tier: AdminTier, measure: Measure) -> str:
    """The text saying whose figures a district or province map shows: theirs, or their communes'."""
    return f"map.by_{tier.value}" if measure.aggregate else f"map.tier_{tier.value}"


#: The measures a district or province map colours by: its own level recognised, its own criteria met.
TIER_MEASURES = ("level", "criteria_met")


def tier_frame(store: Store, request: MapRequest, measure: Measure) -> gpd.GeoDataFrame:
    """The districts of the province (the one district) of ``request.where``, or its province (of
    the whole country without a province: every province or district), with their own assessment
    of the year (``geo_ntm.views.status_view``), never their communes'; an aggregate measure adds
    its communes' figures (``maps.measures.aggregate``) in its ``load``. Only on the boundaries of
    the status year (a status is about the unit it names) and without a comparison."""
    where, tier = request.where, request.tier
    if measure.name not in TIER_MEASURES and not measure.aggregate:
        raise InputError(
            f"a {tier.value} map colours by {' or '.join(TIER_MEASURES)} (the unit's own status) or by "
            f"a figure of its communes ({', '.join(aggregate_names())}), not {measure.name!r}"
        )
    if not where.own_boundaries or request.compare is not None:
        raise InputError(
            f"a {tier.value} map shows the statuses of {where.year} on their own boundaries, "
            "without a comparison: leave out date, vintage and compare"
        )
    if where.province is None:
        scope: dict = {}
    elif tier is AdminTier.PROVINCE:
        scope = {"codes": [where.province.code]}
    elif where.district is not None:
        scope = {"codes": [where.district.code]}
    else:
        scope = {"province_code": where.province.code}
    return status_view(store, where.vintage, tier, None if measure.aggregate else where.status_year, **scope)


def _add_earlier_year(store: Store, frame: gpd.GeoDataFrame, earlier: Where, rule: CarryRule | None) -> None:
    """The ``before_*`` columns of a comparison: the assessment of the ``earlier`` year on the
    boundaries drawn (carried by ``rule``, default ``all``, when that year's statuses belong to
    other boundaries)."""
    carry_rule = None if earlier.own_boundaries else (rule or CarryRule("all"))
    before = assessment_view(store, earlier, carry_rule).set_index("code")
    frame["before_has_data"] = frame["code"].map(before["has_data"]).fillna(False).astype(bool)
    frame["before_level"] = frame["code"].map(before["level"])
    frame["before_met"] = frame["code"].map(before["criteria_met"].astype(float))


def _sentence(text: str) -> str:
    """``text`` with a capital first letter (the rest as it is: names keep their capitals)."""
    return text[:1].upper() + text[1:]


def _check_carry(measure: Measure, where: Where, rule: CarryRule | None) -> None:
    """Carried statuses give levels and counts (rule ``all``) or shares (the share rules) only;
    which measure each rule gives is the measure's ``carried_by``."""
    if rule is not None and not measure.carried_with(rule.name):
        raise InputError(
            f"the statuses of {where.year} belong to other boundaries than {where.vintage.name}: with rule "
            f"'{rule.name}' map {' or '.join(carried_names(rule.name))}; "
            "a single criterion is not carried between units"
        )
    if measure.needs_carry and rule is None:
        raise InputError(
            f"measure {measure.name!r} maps a carried assessment: choose boundaries (date or vintage) "
            "other than those of the status year"
        )
