"""Table rows shared by the SQL backends: domain records to rows and back, and the messages of the
checks every backend makes, so that the GeoPackage and PostGIS stores give the same answers.

Dates are written as ISO text (both backends read it into their date columns) and read back from
either text or dates."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence

import geopandas as gpd
import orjson
import pandas as pd

from geo_ntm.domain import (
    UNIT_COLUMNS,
    ClassificationKind,
    CommuneGroup,
    Comparison,
    CriterionStatus,
    DataFlag,
    DataFlagKind,
    EventKind,
    FlaggedUnit,
    IndicatorDefinition,
    IndicatorSet,
    IndicatorStatus,
    Layer,
    LayerKind,
    LineageEvent,
    Recognition,
    RecognitionKind,
    StatusSummary,
    Target,
    Threshold,
    UnitClassification,
    UnitType,
    Vintage,
)
from geo_ntm.errors import GeoNtmError
from geo_ntm.store.base import FEATURE_ATTRIBUTES, ImportRecord

#: Unit columns a backend stores besides its own id, the vintage id and the geometry.
UNIT_ATTRIBUTES = tuple(c for c in UNIT_COLUMNS if c not in ("unit_id", "vintage_id", "geometry"))
#: The order units come in: level (province, district, commune), then code.
UNIT_ORDER = "CASE level WHEN 'province' THEN 0 WHEN 'district' THEN 1 ELSE 2 END, code"
IMPORT_COLUMNS = "kind, source_file, imported_at, rows_read, rows_stored, report, actor"
EVENT_COLUMNS = (
    "event_id, effective_date, legal_act, kind, before, after, after_name, after_type, parent_after, note, line"
)
STATUS_COLUMNS = "unit_id, year, framework_id, level, criterion, met, source, row_number, import_id"
INDICATOR_COLUMNS = (
    "unit_id, year, framework_id, level, criterion, indicator_id, met, value, value_unit, source, row_number, import_id"
)
SUMMARY_COLUMNS = (
    "unit_id, year, framework_id, level, criteria_met, criteria_total, recognized, decision, "
    "decision_date, source, row_number, import_id"
)


def to_date(value: str | dt.date | None) -> dt.date | None:
    """A date read from either backend (ISO text or a date)."""
    if not value:
        return None
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def stored_date(value: str | dt.date) -> dt.date:
    """A date read from a NOT NULL date column of either backend (ISO text or a date)."""
    date = to_date(value)
    if date is None:
        raise GeoNtmError(f"a stored date is empty ({value!r}); the column must hold a date")
    return date


def stored_time(value: str | dt.datetime) -> dt.datetime:
    """A time read from a NOT NULL time column of either backend (ISO text or a timestamptz), in UTC."""
    time = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
    return time.astimezone(dt.UTC) if time.tzinfo else time.replace(tzinfo=dt.UTC)


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def to_json(value) -> str:
    """JSON text of a report or summary, as stored."""
    return json.dumps(value, ensure_ascii=False, default=str)


def from_json(text: str):
    """The value of a stored JSON text."""
    return json.loads(text)


def answer_json(value) -> str:
    """JSON text of computed totals: numpy numbers as the Python numbers they hold (not as text)."""
    return json.dumps(value, ensure_ascii=False, default=lambda v: v.item() if hasattr(v, "item") else str(v))


def frame_to_json(frame: pd.DataFrame) -> str:
    """A per-commune table as stored: its columns, their types and their values (numbers exactly as
    computed, missing values as null), so that ``frame_from_json`` gives the same table back."""
    return orjson.dumps(  # a national table of 11,000 communes in a tenth of json's time
        {
            "columns": [str(c) for c in frame.columns],
            "dtypes": [str(t) for t in frame.dtypes],
            "values": [frame[c].astype(object).where(frame[c].notna(), None).tolist() for c in frame.columns],
        },
        default=lambda v: v.item() if hasattr(v, "item") else str(v),
    ).decode("utf-8")


def frame_from_json(text: str) -> pd.DataFrame:
    """The table ``frame_to_json`` stored, with its column types."""
    stored = json.loads(text)
    frame = pd.DataFrame(dict(zip(stored["columns"], stored["values"], strict=True)), columns=stored["columns"])
    return frame.astype(dict(zip(stored["columns"], stored["dtypes"], strict=True)))


def now() -> str:
    """The time an import is recorded at (UTC, ISO, seconds)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


# -- imports ---------------------------------------------------------------------------------
def import_row(record: ImportRecord) -> tuple:
    """Values of ``IMPORT_COLUMNS``."""
    return (
        record.kind,
        record.source_file,
        now(),
        record.rows_read,
        record.rows_stored,
        to_json(record.report),
        record.actor or "cli",
    )


def import_from_row(row: Sequence) -> ImportRecord:
    """An ``ImportRecord`` from ``import_id`` followed by ``IMPORT_COLUMNS``."""
    import_id, kind, source_file, imported_at, rows_read, rows_stored, report, actor = row
    if isinstance(imported_at, dt.datetime):
        imported_at = imported_at.astimezone(dt.UTC).isoformat(timespec="seconds")
    return ImportRecord(kind, source_file, rows_read, rows_stored, json.loads(report), import_id, imported_at, actor)


# -- vintages and units ----------------------------------------------------------------------
def duplicate_vintage(name: str, valid_from: dt.date) -> GeoNtmError:
    return GeoNtmError(f"a boundary vintage named {name!r} or starting on {valid_from.isoformat()} is already stored")


def vintage_from_row(r: Sequence) -> Vintage:
    """A ``Vintage`` from (vintage_id, name, valid_from, valid_to, source); ``valid_to`` is the next
    vintage's start, None for the latest."""
    return Vintage(r[0], r[1], stored_date(r[2]), to_date(r[3]), r[4])


def id_named(text: str) -> int | None:
    """The id ``text`` names (its decimal form, as ids are printed), else None (matches no row)."""
    return int(text) if text.isdecimal() and str(int(text)) == text else None


def iso_date_named(text: str) -> str | None:
    """``text`` if it is a date in ISO form (YYYY-MM-DD, as start dates are printed), else None."""
    try:
        return text if dt.date.fromisoformat(text).isoformat() == text else None
    except ValueError:
        return None


def attribute_rows(frame: gpd.GeoDataFrame, columns: Sequence[str]) -> list[tuple]:
    """Values of ``columns`` (e.g. ``UNIT_ATTRIBUTES``) per row of ``frame``, missing values as None."""
    columns = list(columns)
    return list(frame[columns].astype(object).where(frame[columns].notna(), None).itertuples(index=False, name=None))


def years_covered(starts: Sequence[tuple[dt.date, int]], derived_ids: Sequence[int]) -> list[tuple[int, int, int]]:
    """For each derived vintage among ``starts`` ((valid_from, vintage_id) in date order): the
    first and last year whose 31 December falls on or after its start and before the next start;
    the statuses of those years belong to it."""
    covered = []
    for i, (start, vintage_id) in enumerate(starts):
        if vintage_id in derived_ids:
            last = starts[i + 1][0].year - 1 if i + 1 < len(starts) else 9999
            covered.append((vintage_id, start.year, last))
    return covered


# -- lineage events --------------------------------------------------------------------------
def duplicate_event(event: LineageEvent) -> GeoNtmError:
    return GeoNtmError(
        f"lineage event {event.event_id!r} of {event.effective_date.isoformat()} ({event.where}) is already stored"
    )


def event_row(e: LineageEvent) -> tuple:
    """Values of ``EVENT_COLUMNS`` (code lists joined by ``;``)."""
    return (
        e.event_id,
        e.effective_date.isoformat(),
        e.legal_act,
        e.kind.value,
        ";".join(e.before),
        ";".join(e.after),
        ";".join(e.after_name),
        ";".join(t.value for t in e.after_type),
        e.parent_after,
        e.note,
        e.line,
    )


def event_from_row(r: Sequence) -> LineageEvent:
    def codes(text):
        return tuple(c for c in text.split(";") if c)

    return LineageEvent(
        r[0],
        stored_date(r[1]),
        r[2],
        EventKind(r[3]),
        codes(r[4]),
        codes(r[5]),
        codes(r[6]),
        tuple(UnitType(t) for t in codes(r[7])),
        r[8],
        r[9],
        r[10],
    )


RECOGNITION_COLUMNS = (
    "unit_id, year, level, kind, framework_id, decision, decision_date, issuing_body, source, row_number, import_id"
)


def events_naming(events: list[LineageEvent], code: str | None) -> list[LineageEvent]:
    """The events with ``code`` before or after (all of them without a code)."""
    return [e for e in events if code is None or code in e.before or code in e.after]


# -- statuses --------------------------------------------------------------------------------
def status_row(s: CriterionStatus, import_id: int) -> tuple:
    """Values of ``STATUS_COLUMNS`` for a status of import ``import_id``."""
    return s.unit_id, s.year, s.framework_id, s.level, s.criterion, bool(s.met), s.source, s.row_number, import_id


def summary_row(s: StatusSummary, import_id: int) -> tuple:
    """Values of ``SUMMARY_COLUMNS`` for a summary of import ``import_id``."""
    return (
        s.unit_id,
        s.year,
        s.framework_id,
        s.level,
        s.criteria_met,
        s.criteria_total,
        bool(s.recognized),
        s.decision,
        _iso(s.decision_date),
        s.source,
        s.row_number,
        import_id,
    )


def indicator_row(s: IndicatorStatus, import_id: int) -> tuple:
    """Values of ``INDICATOR_COLUMNS`` for an indicator status of import ``import_id``."""
    met = None if s.met is None else bool(s.met)
    return (
        s.unit_id,
        s.year,
        s.framework_id,
        s.level,
        s.criterion,
        s.indicator_id,
        met,
        s.value,
        s.value_unit,
        s.source,
        s.row_number,
        import_id,
    )


def indicator_from_row(r: Sequence) -> IndicatorStatus:
    met = None if r[6] is None else bool(r[6])
    value = None if r[7] is None else float(r[7])
    return IndicatorStatus(r[0], r[1], r[2], r[3], r[4], r[5], met, value, r[8], r[9], r[10], r[11])


def status_from_row(r: Sequence) -> CriterionStatus:
    return CriterionStatus(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6], r[7], r[8])


def summary_from_row(r: Sequence) -> StatusSummary:
    return StatusSummary(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]), r[7], to_date(r[8]), r[9], r[10], r[11])


def recognition_row(r: Recognition, import_id: int) -> tuple:
    """Values of ``RECOGNITION_COLUMNS`` for a recognition of import ``import_id``."""
    return (
        r.unit_id,
        r.year,
        r.level,
        r.kind.value,
        r.framework_id,
        r.decision,
        _iso(r.decision_date),
        r.issuing_body,
        r.source,
        r.row_number,
        import_id,
    )


def recognition_from_row(r: Sequence) -> Recognition:
    return Recognition(r[0], r[1], r[2], RecognitionKind(r[3]), r[4], r[5], to_date(r[6]), r[7], r[8], r[9], r[10])


# -- targets ---------------------------------------------------------------------------------
TARGET_COLUMNS = "unit_id, level, year, share, baseline_year, baseline_share, source, row_number, import_id"


def target_row(t: Target, import_id: int) -> tuple:
    """Values of ``TARGET_COLUMNS`` for a target of import ``import_id``."""
    return (t.unit_id, t.level, t.year, t.share, t.baseline_year, t.baseline_share, t.source, t.row_number, import_id)


def target_from_row(r: Sequence) -> Target:
    return Target(
        int(r[0]),
        r[1],
        int(r[2]),
        r[6],
        None if r[3] is None else float(r[3]),
        r[4],
        None if r[5] is None else float(r[5]),
        r[7],
        r[8],
    )


# -- data flags ------------------------------------------------------------------------------
FLAG_COLUMNS = (
    "kind, year, province_code, district_code, framework_id, level, units, message_vi, message_en, file_rows, "
    "source, import_id"
)


def flag_row(f: DataFlag, import_id: int | None) -> tuple:
    """Values of ``FLAG_COLUMNS`` for a flag found by import ``import_id`` (None: by a check of the
    stored data), units and rows as JSON."""
    units = [{"unit_id": u.unit_id, "vintage_id": u.vintage_id, "code": u.code, "name": u.name} for u in f.units]
    return (
        f.kind.value,
        f.year,
        f.province_code,
        f.district_code,
        f.framework_id,
        f.level,
        to_json(units),
        f.message_vi,
        f.message_en,
        to_json(list(f.rows)),
        f.source,
        import_id,
    )


def flag_from_row(r: Sequence) -> DataFlag:
    """A ``DataFlag`` from ``flag_id`` followed by ``FLAG_COLUMNS``."""
    units = tuple(FlaggedUnit(u["unit_id"], u["vintage_id"], u["code"], u["name"]) for u in json.loads(r[7]))
    return DataFlag(
        kind=DataFlagKind(r[1]),
        units=units,
        year=r[2],
        message_vi=r[8],
        message_en=r[9],
        province_code=r[3],
        district_code=r[4],
        framework_id=r[5],
        level=r[6],
        rows=tuple(json.loads(r[10])),
        source=r[11],
        import_id=r[12],
        flag_id=r[0],
    )


# -- indicator sets --------------------------------------------------------------------------
INDICATOR_SET_COLUMNS = "framework_id, source_file, indicators, import_id"


def definition_record(d: IndicatorDefinition) -> dict:
    """One indicator of a set as JSON (the form it is stored in, too)."""
    return {
        "criterion": d.criterion,
        "indicator": d.indicator_id,
        "name_vi": d.name_vi,
        "name_en": d.name_en,
        "unit": d.unit,
        "thresholds": {str(g): {"comparison": t.comparison.value, "value": t.value} for g, t in d.thresholds},
        "source_act": d.source_act,
    }


def definition_from_record(r: Mapping) -> IndicatorDefinition:
    """The inverse of ``definition_record``."""
    thresholds: list[tuple[int, Threshold]] = [
        (int(g), Threshold(Comparison(t["comparison"]), t["value"])) for g, t in sorted(r["thresholds"].items())
    ]
    return IndicatorDefinition(
        r["criterion"], r["indicator"], r["name_vi"], r["name_en"], r["unit"], tuple(thresholds), r["source_act"]
    )


def indicator_set_row(s: IndicatorSet, import_id: int) -> tuple:
    """Values of ``INDICATOR_SET_COLUMNS`` (the indicators as JSON)."""
    return (s.framework_id, s.source_file, to_json([definition_record(d) for d in s.indicators]), import_id)


def indicator_set_from_row(r: Sequence) -> IndicatorSet:
    """An ``IndicatorSet`` from set_id, framework_id, source_file, indicators, imported_at, actor."""
    imported_at = r[4] if isinstance(r[4], dt.datetime) else dt.datetime.fromisoformat(r[4])
    indicators = tuple(definition_from_record(d) for d in json.loads(r[3]))
    return IndicatorSet(r[1], r[2], indicators, set_id=r[0], imported_at=imported_at.astimezone(dt.UTC), actor=r[5])


# -- infrastructure layers -------------------------------------------------------------------
LAYER_COLUMNS = "layer_id, name, kind, valid_date, source, feature_count, crs, import_id, summary"


def road_km_rows(table) -> list[tuple[int, str, str, float]]:
    """(unit_id, road_class, surface, km) tuples of a road km table, with plain Python types."""
    columns = [table[c].tolist() for c in ("unit_id", "road_class", "surface", "km")]  # tolist: Python types
    return [(int(u), str(c), str(s), float(k)) for u, c, s, k in zip(*columns, strict=True)]


def water_reach_rows(table) -> list[tuple[int, float, float]]:
    """(unit_id, population, population_within) tuples of a water reach table, with plain Python types."""
    return [
        (int(u), float(p), float(w))
        for u, p, w in zip(table["unit_id"], table["population"], table["population_within"], strict=True)
    ]


def checked_batch_size(size: int) -> int:
    """``size`` if a batch of features can hold that many rows (at least one)."""
    if size < 1:
        raise GeoNtmError(f"a batch of features holds at least one row, not {size}")
    return size


def checked_attributes(attributes: tuple[str, ...]) -> tuple[str, ...]:
    """``attributes`` if each is one of ``FEATURE_ATTRIBUTES`` (they become SQL column names)."""
    unknown = set(attributes) - set(FEATURE_ATTRIBUTES)
    if unknown:
        raise GeoNtmError(f"unknown feature attributes {sorted(unknown)}; one of {FEATURE_ATTRIBUTES}")
    return tuple(attributes)


def duplicate_layer(name: str) -> GeoNtmError:
    return GeoNtmError(f"a layer named {name!r} is already stored; choose another --name")


def layer_from_row(r: Sequence) -> Layer:
    """A ``Layer`` from the values of ``LAYER_COLUMNS``."""
    return Layer(r[0], r[1], LayerKind(r[2]), stored_date(r[3]), r[4], r[5], r[6], r[7], json.loads(r[8]))


# -- commune groups and classifications --------------------------------------------------------
GROUP_COLUMNS = "unit_id, ntm_group, decision, decision_date, numbering_source, source, row_number, import_id"
CLASSIFICATION_COLUMNS = "unit_id, kind, value, act, act_date, source, row_number, import_id"


def group_row(g: CommuneGroup, import_id: int) -> tuple:
    """Values of ``GROUP_COLUMNS`` for a commune group of import ``import_id``."""
    return (
        g.unit_id,
        g.group,
        g.decision,
        _iso(g.decision_date),
        g.numbering_source,
        g.source,
        g.row_number,
        import_id,
    )


def group_from_row(r: Sequence) -> CommuneGroup:
    return CommuneGroup(r[0], int(r[1]), r[2], stored_date(r[3]), r[4], r[5], r[6], r[7])


def classification_row(c: UnitClassification, import_id: int) -> tuple:
    """Values of ``CLASSIFICATION_COLUMNS`` for a classification of import ``import_id``."""
    return c.unit_id, c.kind.value, c.value, c.act, _iso(c.act_date), c.source, c.row_number, import_id


def classification_from_row(r: Sequence) -> UnitClassification:
    return UnitClassification(r[0], ClassificationKind(r[1]), r[2], r[3], stored_date(r[4]), r[5], r[6], r[7])
