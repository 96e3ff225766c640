"""Domain types of geo_ntm: administrative units, boundary vintages, criteria frameworks,
criterion statuses and the assessment derived from them, and infrastructure layers.

Geometry-heavy collections travel as GeoDataFrames whose columns are listed in
``UNIT_COLUMNS``; single records are the frozen dataclasses below.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import Enum


class AdminTier(str, Enum):
    """Tier of the administrative hierarchy (before 2025: province > district > commune)."""

    PROVINCE = "province"
    DISTRICT = "district"
    COMMUNE = "commune"

    @property
    def parent(self) -> AdminTier | None:
        return {AdminTier.COMMUNE: AdminTier.DISTRICT, AdminTier.DISTRICT: AdminTier.PROVINCE}.get(self)


class UnitType(str, Enum):
    """Legal type of a unit; values are the ASCII slugs used by the shared data."""

    TINH = "tinh"
    THANH_PHO = "thanh_pho"  # centrally governed city (province level) or provincial city
    HUYEN = "huyen"
    QUAN = "quan"
    THI_XA = "thi_xa"
    XA = "xa"
    PHUONG = "phuong"
    THI_TRAN = "thi_tran"
    DAC_KHU = "dac_khu"  # special zone (commune level since 2025)

    @property
    def label_vi(self) -> str:
        return UNIT_TYPE_LABELS_VI[self]


UNIT_TYPE_LABELS_VI = {
    UnitType.TINH: "Tỉnh",
    UnitType.THANH_PHO: "Thành phố",
    UnitType.HUYEN: "Huyện",
    UnitType.QUAN: "Quận",
    UnitType.THI_XA: "Thị xã",
    UnitType.XA: "Xã",
    UnitType.PHUONG: "Phường",
    UnitType.THI_TRAN: "Thị trấn",
    UnitType.DAC_KHU: "Đặc khu",
}

#: Which unit types may stand at which level.
TYPES_BY_LEVEL = {
    AdminTier.PROVINCE: (UnitType.TINH, UnitType.THANH_PHO),
    AdminTier.DISTRICT: (UnitType.HUYEN, UnitType.QUAN, UnitType.THI_XA, UnitType.THANH_PHO),
    AdminTier.COMMUNE: (UnitType.XA, UnitType.PHUONG, UnitType.THI_TRAN, UnitType.DAC_KHU),
}


class UnitFlag(str, Enum):
    """Why a stored polygon is not an ordinary administrative unit."""

    UNNAMED = "unnamed"
    NOT_ADMIN_UNIT = "not_admin_unit"


#: Columns of a unit GeoDataFrame as the store returns it.
UNIT_COLUMNS = (
    "unit_id",  # store-wide identity of the unit in its vintage
    "vintage_id",
    "level",
    "code",  # the boundary source's own code
    "name",  # full name with type prefix, e.g. "Xã Mỹ Thành"
    "name_short",  # without prefix, e.g. "Mỹ Thành"
    "unit_type",  # UnitType value or None
    "parent_code",
    "province_code",
    "district_code",
    "population",
    "area_ha",
    "flag",  # UnitFlag value or None
    "geometry",
)


@dataclass(frozen=True)
class Unit:
    """One administrative unit of one vintage (geometry kept out: see the GeoDataFrames)."""

    unit_id: int
    vintage_id: int
    level: AdminTier
    code: str
    name: str | None
    name_short: str | None
    unit_type: UnitType | None
    parent_code: str | None
    province_code: str | None
    district_code: str | None
    flag: UnitFlag | None = None

    @property
    def assessed(self) -> bool:
        """Whether NTM commune criteria apply: xã only, never wards, towns or flagged polygons."""
        return self.level is AdminTier.COMMUNE and self.unit_type is UnitType.XA and self.flag is None


@dataclass(frozen=True)
class Vintage:
    """A set of boundaries valid from ``valid_from`` until the next vintage starts."""

    vintage_id: int
    name: str
    valid_from: dt.date
    valid_to: dt.date | None  # exclusive; None while no later vintage exists
    source: str

    def covers(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)


@dataclass(frozen=True)
class Criterion:
    number: int
    name_vi: str
    name_en: str


@dataclass(frozen=True)
class FrameworkIndicator:
    """An indicator (chỉ tiêu) of a criterion, as a framework file lists it: "2.1" of criterion 2."""

    indicator_id: str  # "2.1"
    criterion: int
    name_vi: str
    name_en: str


@dataclass(frozen=True)
class Framework:
    """A set of NTM criteria with the act that issued it: national ones are shipped as data in
    ``geo_ntm/frameworks``, a province's own ones are loaded from ``GEO_NTM_FRAMEWORKS_DIR``.

    ``criteria_known`` is False for a set whose criteria no cited source gives (``criteria`` is then
    empty): statuses criterion by criterion cannot be checked against it, a recognition can."""

    framework_id: str
    title_vi: str
    title_en: str
    legal_act: str
    applies_to: AdminTier
    years: tuple[int, int]  # first and last programme year
    levels: tuple[str, ...]  # recognition levels assessed with this set, lowest first
    criteria: tuple[Criterion, ...]
    act_date: dt.date | None = None  # the day the act was signed; None when no cited source gives it
    criteria_known: bool = True
    note: str | None = None  # what is not known from a cited source, and why
    #: unit types for which this set's ``ntm`` level is "hoàn thành nhiệm vụ xây dựng NTM"
    completion_types: tuple[UnitType, ...] = ()
    province: str | None = None  # None: a national set; else the province a provincial set applies to
    source_act: str | None = None  # a provincial set: the province's act issuing it
    #: indicators a cited source gives (none listed: not known, never guessed)
    indicators: tuple[FrameworkIndicator, ...] = ()
    #: criteria whose every indicator is in ``indicators`` (only those may be derived from them)
    indicators_complete: tuple[int, ...] = ()
    #: the indicators and their thresholds come from an indicator set loaded into the store (a
    #: ministry's or province's file, ``geo_ntm.indicator_sets``), not from the shipped file
    indicators_to_load: bool = False

    @property
    def criteria_total(self) -> int:
        return len(self.criteria)

    @property
    def national(self) -> bool:
        """Whether this is a national set (shipped), not a province's own (loaded by the user)."""
        return self.province is None

    def criterion(self, number: int) -> Criterion:
        for c in self.criteria:
            if c.number == number:
                return c
        raise KeyError(f"framework {self.framework_id} has no criterion {number}")


#: Recognition levels, lowest first, with their Vietnamese and English labels. The levels are
#: nested: a unit at a level stands at every level below it (a xã NTM kiểu mẫu is a xã NTM nâng
#: cao and a xã đạt chuẩn NTM), so ``LEVEL_ORDER`` ranks them and "the level reached" is the highest.
#: ``ntm_hien_dai`` (xã NTM hiện đại, the pilot of QĐ 51/2025 Annex II, 2026-2030) sits above
#: ``ntm`` of the same period; it takes the place of the 2021-2025 nâng cao / kiểu mẫu ladder,
#: which no 2026-2030 set uses, so it comes last: the ranks of the old levels (and every figure of
#: the old periods) stay as they were, and within QĐ 51 it ranks above ``ntm``.
LEVELS = {
    "ntm": ("Đạt chuẩn NTM", "NTM"),
    "ntm_nang_cao": ("NTM nâng cao", "Advanced NTM"),
    "ntm_kieu_mau": ("NTM kiểu mẫu", "Model NTM"),
    "ntm_hien_dai": ("NTM hiện đại", "Modern NTM"),
}
LEVEL_ORDER = tuple(LEVELS)
#: The level each level nests in (None for the lowest): a modern commune is an NTM commune of its
#: period, not a nâng cao or kiểu mẫu one, so "recognised at least at a level" follows this chain.
LEVEL_PARENT: dict[str, str | None] = {
    "ntm": None,
    "ntm_nang_cao": "ntm",
    "ntm_kieu_mau": "ntm_nang_cao",
    "ntm_hien_dai": "ntm",
}


def levels_held(level: str | None) -> frozenset[str]:
    """The levels a unit at ``level`` stands at: the level and those it nests in (none for None)."""
    held = set()
    while level is not None:
        held.add(level)
        level = LEVEL_PARENT[level]
    return frozenset(held)


@dataclass(frozen=True)
class CriterionStatus:
    """One reported fact: a commune met (or did not meet) one criterion in a year."""

    unit_id: int
    year: int
    framework_id: str
    level: str
    criterion: int
    met: bool
    source: str | None = None
    row_number: int | None = None
    import_id: int | None = None


@dataclass(frozen=True)
class IndicatorStatus:
    """One reported indicator (chỉ tiêu) of a criterion: "17.1" met, or its value with a unit
    ("95.9", "%"), or both. ``met`` is None when only a value is given: the value is not judged."""

    unit_id: int
    year: int
    framework_id: str
    level: str
    criterion: int
    indicator_id: str  # "17.1" (NFC text)
    met: bool | None = None
    value: float | None = None
    value_unit: str | None = None  # "%", "km", "triệu đồng" ...; None when none is written
    source: str | None = None
    row_number: int | None = None
    import_id: int | None = None


@dataclass(frozen=True)
class StatusSummary:
    """A reported count without per-criterion detail (the 'counts' layout), with recognition."""

    unit_id: int
    year: int
    framework_id: str
    level: str
    criteria_met: int
    criteria_total: int
    recognized: bool = False
    decision: str | None = None
    decision_date: dt.date | None = None
    source: str | None = None
    row_number: int | None = None
    import_id: int | None = None


class RecognitionKind(str, Enum):
    """What a recognition decision does: recognise (công nhận), recognise again after a review
    (công nhận lại) or revoke (thu hồi) a unit's level."""

    RECOGNISED = "recognised"
    RE_RECOGNISED = "re_recognised"
    REVOKED = "revoked"


@dataclass(frozen=True)
class Recognition:
    """One recognition event: a decision recognising (or revoking) a unit at a level.

    Meeting every criterion is not recognition: a unit is *đạt chuẩn* at a level only by such a
    decision. ``year`` is the programme year the decision is for (Tân Hội was recognised for 2022 by
    a decision of 30 June 2023); the recognition holds in later years until revoked or superseded."""

    unit_id: int
    year: int
    level: str
    kind: RecognitionKind = RecognitionKind.RECOGNISED
    framework_id: str | None = None
    decision: str | None = None
    decision_date: dt.date | None = None
    issuing_body: str | None = None
    source: str | None = None
    row_number: int | None = None
    import_id: int | None = None


@dataclass(frozen=True)
class Assessment:
    """What the service derives for one commune and year."""

    unit_id: int
    year: int
    assessed: bool  # False for wards, towns and flagged polygons: "not assessed", never 0
    has_data: bool = False
    framework_id: str | None = None
    target_level: str | None = None  # the level the figures below are measured against
    criteria_met: int | None = None
    criteria_total: int | None = None
    criteria_unmet: tuple[int, ...] = ()
    criteria_conflicting: tuple[int, ...] = ()
    level: str | None = None  # highest level reached (all criteria met or recognised)
    recognized_levels: tuple[str, ...] = ()  # levels recognised and holding this year
    decisions: tuple[str, ...] = ()
    met_criteria: frozenset[int] = field(default_factory=frozenset)
    #: criteria whose status is derived from their indicators (none reported for the criterion itself)
    criteria_derived: tuple[int, ...] = ()
    criteria_level: str | None = None  # highest level with all its criteria reported met this year
    recognised_level: str | None = None  # highest level recognised by a decision and not revoked
    recognition: Recognition | None = None  # the decision behind ``recognised_level``

    @property
    def met_not_recognised(self) -> bool:
        """All criteria of a level met, but no decision recognises the unit at that level (or higher)."""
        rank = {level: i for i, level in enumerate(LEVEL_ORDER)}
        if self.criteria_level is None:
            return False
        return self.recognised_level is None or rank[self.recognised_level] < rank[self.criteria_level]

    def figures(self) -> dict:
        """The figures every view of an assessment shows (JSON-ready: lists, not tuples).
        ``framework`` is the framework of the criteria figures, ``recognition_framework`` that of the
        decision (None when the decision did not name one)."""
        r = self.recognition
        return {
            "has_data": self.has_data,
            "framework": self.framework_id,
            "target_level": self.target_level,
            "level": self.level,
            "criteria_met": self.criteria_met,
            "criteria_total": self.criteria_total,
            "criteria_unmet": list(self.criteria_unmet),
            "criteria_conflicting": list(self.criteria_conflicting),
            "recognized_levels": list(self.recognized_levels),
            "decisions": list(self.decisions),
            "criteria_level": self.criteria_level,
            "all_criteria_met_not_recognised": self.met_not_recognised,
            "recognised_level": self.recognised_level,
            "recognition_decision": r.decision if r else None,
            "recognition_date": r.decision_date.isoformat() if r and r.decision_date else None,
            "recognition_year": r.year if r else None,
            "recognition_framework": r.framework_id if r else None,
        }


@dataclass(frozen=True)
class Target:
    """A target of the programme as data (issue 13 §5), imported from a file with its source: a
    commune's (``share`` None: the year by which it aims at ``level``) or a province's (``share``: the
    fraction of its communes at ``level`` or higher by ``year``; ``baseline_year`` and
    ``baseline_share``, when given, start its path, see ``geo_ntm.targets``)."""

    unit_id: int  # a commune or a province of the boundaries in force in ``year``
    level: str  # an NTM level (``LEVELS``) or ``ntm_hien_dai`` (the modern level of QĐ 51/2025)
    year: int
    source: str
    share: float | None = None
    baseline_year: int | None = None
    baseline_share: float | None = None
    row_number: int | None = None
    import_id: int | None = None


class DataFlagKind(str, Enum):
    """What a data check found contradicting (issue 12 §5): flagged, kept and listed, never hidden."""

    SUMMARY_DISAGREES = "summary_disagrees"  # a reported count against the criterion rows
    RECOGNISED_WITH_UNMET = "recognised_with_unmet"  # a recognition with unmet criteria that year
    NOT_ASSESSED_UNIT = "not_assessed_unit"  # a ward or town under a set that does not assess it
    UNIT_GONE = "unit_gone"  # a row for a unit merged away by that date
    BOUNDARIES_BEHIND = "boundaries_behind"  # a year's rows on units the stored boundaries do not reflect


@dataclass(frozen=True)
class FlaggedUnit:
    """A unit a data flag is about, as it was stored (its vintage, code and name)."""

    unit_id: int
    vintage_id: int
    code: str
    name: str | None


@dataclass(frozen=True)
class DataFlag:
    """One contradiction found in the status data, at import or against what is stored: a warning
    kept with the rows and source it comes from; it never blocks an import nor changes a figure."""

    kind: DataFlagKind
    units: tuple[FlaggedUnit, ...]
    year: int
    message_vi: str
    message_en: str
    province_code: str | None = None
    district_code: str | None = None
    framework_id: str | None = None
    level: str | None = None
    rows: tuple[int, ...] = ()  # rows of the import's file (empty: rows of earlier imports)
    source: str | None = None
    import_id: int | None = None
    flag_id: int | None = None

    @property
    def key(self) -> tuple:
        """What makes two flags the same finding (found again by a later import, or on the unit of
        the same code of a later vintage the rows moved to: stored once)."""
        return (self.kind, tuple(u.code for u in self.units), self.year, self.framework_id, self.level)


class EventKind(str, Enum):
    """Kinds of legal change of administrative units."""

    MERGE = "merge"
    SPLIT = "split"
    RENAME = "rename"
    TRANSFER = "transfer"
    TYPE_CHANGE = "type_change"
    CREATE = "create"


@dataclass(frozen=True)
class LineageEvent:
    """One legal change of units (one row of a lineage file; see ``boundaries/lineage.py``)."""

    event_id: str
    effective_date: dt.date
    legal_act: str
    kind: EventKind
    before: tuple[str, ...]
    after: tuple[str, ...]
    after_name: tuple[str, ...] = ()
    after_type: tuple[UnitType, ...] = ()
    parent_after: str | None = None
    note: str | None = None
    line: int = 0  # line of the CSV file, for messages

    @property
    def where(self) -> str:
        return f"line {self.line} (event {self.event_id})"


# -- infrastructure layers -------------------------------------------------------------------
class LayerKind(str, Enum):
    """What a layer holds; fixes the geometry type it must have."""

    ROADS = "roads"
    WATER_LINES = "water_lines"
    WATER_POINTS = "water_points"
    HOUSEHOLDS = "households"
    FACILITIES = "facilities"
    POPULATION = "population"

    @property
    def geometry_family(self) -> str | None:
        """'line', 'point', or None for a raster."""
        return {LayerKind.ROADS: "line", LayerKind.WATER_LINES: "line", LayerKind.POPULATION: None}.get(self, "point")


#: Road classes, from the highest level of management down (NTM criterion 2 speaks of the last four).
ROAD_CLASSES = ("national", "provincial", "district", "commune", "hamlet", "alley", "field", "unknown")
#: Surfaces; the first three are "hardened" (cứng hóa).
SURFACES = ("asphalt", "concrete", "other_hardened", "gravel", "earth", "unknown")
HARDENED = frozenset({"asphalt", "concrete", "other_hardened"})
#: Asphalted or concreted (nhựa hóa hoặc bê tông hóa), what indicator 2.1 asks of commune roads.
SEALED = frozenset({"asphalt", "concrete"})
#: Facility kinds with a shipped meaning; other values are kept as given.
FACILITY_KINDS = ("school", "health_station", "market", "cultural_house", "post_office", "unknown")


@dataclass(frozen=True)
class Layer:
    """One stored infrastructure layer."""

    layer_id: int
    name: str
    kind: LayerKind
    valid_date: dt.date  # the day the layer describes
    source: str
    feature_count: int
    crs: str  # EPSG:4326 for vector layers; the raster's own CRS for population grids
    import_id: int | None = None
    summary: dict = field(default_factory=dict)


# -- commune groups and other classifications (issue 13 §2) -----------------------------------
#: The NTM commune groups of QĐ 51/2025/QĐ-TTg (nhóm 1/2/3), in the final decision's numbering.
NTM_GROUPS = (1, 2, 3)


@dataclass(frozen=True)
class CommuneGroup:
    """A commune's NTM group (nhóm 1, 2 or 3) set by a decision: in force from ``decision_date``
    until a later decision for the unit. ``numbering_source`` names the text whose numbering the
    group follows (2025 drafts numbered the groups the other way round: QĐ 51's final text has
    nhóm 1 for urbanising communes and nhóm 3 for khu vực II/III)."""

    unit_id: int
    group: int
    decision: str
    decision_date: dt.date
    numbering_source: str
    source: str | None = None
    row_number: int | None = None
    import_id: int | None = None


class ClassificationKind(str, Enum):
    """Classifications of a unit kept apart from its NTM group (their I/II/III run other ways):
    the ethnic-minority area class (khu vực I/II/III, NĐ 272/2025/NĐ-CP) and the administrative
    class (loại I/II/III, đặc biệt; NĐ 307/2025/NĐ-CP)."""

    ETHNIC_AREA = "ethnic_area"
    ADMIN_CLASS = "admin_class"


#: The values each classification takes (roman numerals as written in the acts).
CLASSIFICATION_VALUES = {
    ClassificationKind.ETHNIC_AREA: ("I", "II", "III"),
    ClassificationKind.ADMIN_CLASS: ("I", "II", "III", "đặc biệt"),
}


@dataclass(frozen=True)
class UnitClassification:
    """A unit's class of one ``kind`` set by ``act`` of ``act_date``, in force until a later act."""

    unit_id: int
    kind: ClassificationKind
    value: str
    act: str
    act_date: dt.date
    source: str | None = None
    row_number: int | None = None
    import_id: int | None = None


# -- indicator sets (chỉ tiêu with thresholds per commune group) -------------------------------
class Comparison(str, Enum):
    """How a reported value is held against an indicator's threshold."""

    AT_LEAST = ">="
    AT_MOST = "<="
    EQUAL = "="
    YES_NO = "yes/no"  # the indicator is met or not ("Đạt"); no number


@dataclass(frozen=True)
class Threshold:
    """What one commune group must reach on one indicator: ``value`` with ``comparison`` (None for
    a yes/no indicator, which must be met)."""

    comparison: Comparison
    value: float | None = None


@dataclass(frozen=True)
class IndicatorDefinition:
    """One indicator of an indicator set with its threshold per commune group (a group without
    one has no threshold: its verdict is "unknown") and the act the row comes from."""

    criterion: int
    indicator_id: str  # "2.1"
    name_vi: str
    name_en: str
    unit: str | None
    thresholds: tuple[tuple[int, Threshold], ...]  # (group, threshold), groups ascending
    source_act: str

    def threshold(self, group: int) -> Threshold | None:
        """The threshold of commune ``group``, or None when the set gives none."""
        return dict(self.thresholds).get(group)


@dataclass(frozen=True)
class IndicatorSet:
    """The indicators of one framework with their thresholds per commune group, as a ministry or a
    province supplies them in a file, stored with that file's name and who loaded it."""

    framework_id: str
    source_file: str
    indicators: tuple[IndicatorDefinition, ...]
    set_id: int | None = None
    imported_at: dt.datetime | None = None
    actor: str | None = None
