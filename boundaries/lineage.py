"""Lineage events: the legal changes between boundary vintages, as data.

A lineage file is a CSV (UTF-8, comma-separated, header row, one row per event) with the columns

=================  ========================================================================
``event_id``       unique name of the event within the file, e.g. ``bt-2020-an-hoi``
``effective_date`` the day the change takes effect, ``YYYY-MM-DD``
``legal_act``      the act that made the change, e.g. ``856/NQ-UBTVQH14 (10/01/2020)``
``kind``           ``merge`` | ``split`` | ``rename`` | ``transfer`` | ``type_change`` |
                   ``create``
``before``         codes of the units before the change, separated by ``;``
``after``          codes of the units after the change, ``;``-separated
``after_name``     full names of the ``after`` units in the same order (``;``-separated);
                   required for merge, split, rename, type_change and create
``after_type``     unit types of the ``after`` units (``xa``, ``phuong``, ``thi_tran`` ...),
                   one per unit or empty; required for type_change; when empty the type is
                   read from the name's prefix ("Phường ..." is ``phuong``), else kept
``parent_after``   code of the parent unit after the change (a district for communes);
                   required for transfer, optional for the others (default: parent kept)
``note``           free text: sources, code rules, caveats
=================  ========================================================================

Kinds and the number of codes they take:

- ``merge``: two or more ``before`` units become one ``after`` unit. The after code may be one
  of the before codes (an absorption: the survivor keeps its code) or a new code.
- ``split``: one ``before`` unit becomes two or more ``after`` units.
- ``rename`` / ``type_change``: one unit gets a new name (and perhaps type or code); geometry
  is kept. A type change (xã -> phường, thị xã -> thành phố) needs ``after_type``.
- ``transfer``: whole units move to another parent (``parent_after``); ``after`` lists their
  codes afterwards, pairwise with ``before`` (usually the same codes).
- ``create``: new ``after`` units formed from parts of the ``before`` units (or from nothing).

Checks. ``read_lineage`` rejects, naming the line: a missing column, a bad date, an unknown kind
or type, a wrong number of codes or names for the kind, a transfer without ``parent_after``, a
repeated ``event_id``, and one unit in ``before`` of two events on the same day.
``validate_against`` rejects, naming the line: an event before the vintage starts, a unit that
is unknown, already gone or not yet created on the event's date, a new code already in use, an
unknown parent, and merge parts that do not touch (parts less than ``gap_m`` = 50 m apart count
as touching: the 2009 polygons were thinned one by one and do not share borders exactly).

Semantics of dates: a vintage valid from day D shows the boundaries in force on D, i.e. after
every change effective on or before D. Applying a lineage file to a vintage therefore skips the
events effective on D (already reflected), applies those after D in date order (file order
within a day), and rejects those before D.

How the geometry of a derived vintage is made (``derive_vintage``):

- rename, type_change, transfer keep the geometry;
- merge: the union of the parts, with the gaps between them closed. Neighbouring source
  polygons are often thinned independently, so they overlap and leave thin gaps. The merged
  polygon is the union of the parts plus (1) the pieces that a morphological closing of radius
  ``gap_m``/2 adds and that touch at least two parts (gaps and notches between parts up to
  ``gap_m`` wide; a concave corner where two parts meet on the outline may be filled up to about
  ``gap_m``/2 deep) and (2) the holes of the union that were not holes of any part; in both
  cases minus any area covered by another unit (enclaves and neighbours are never swallowed).
  Computed in a local equal-area projection (metres) on a 1 mm grid, so that pieces sharing an
  edge fuse, then brought back to EPSG:4326;
- split and create are rejected: a lineage row cannot give the geometry of the new units.
  Load the boundaries after such a change as a new vintage (a future extension may add a
  column pointing to the parts' geometry).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_ntm.domain import TYPES_BY_LEVEL, UNIT_COLUMNS, AdminTier, EventKind, LineageEvent, UnitType
from geo_ntm.errors import InputError
from geo_ntm.geometry import area_ha, as_multipolygon, equal_area_crs, make_polygonal
from geo_ntm.plausibility import EARLIEST_DATE
from geo_ntm.text import nfc, split_prefix

LINEAGE_COLUMNS = (
    "event_id",
    "effective_date",
    "legal_act",
    "kind",
    "before",
    "after",
    "after_name",
    "after_type",
    "parent_after",
    "note",
)

#: Parts of a merge must lie within this distance of each other; gaps up to it are closed.
GAP_TOLERANCE_M = 50.0
#: Merges are computed on a 1 mm grid so that pieces sharing an edge fuse into one polygon.
_GRID_M = 0.001


# (fewest before codes, most before codes, fewest after codes, most after codes); None = no limit
_ARITY = {
    EventKind.MERGE: (2, None, 1, 1),
    EventKind.SPLIT: (1, 1, 2, None),
    EventKind.RENAME: (1, 1, 1, 1),
    EventKind.TYPE_CHANGE: (1, 1, 1, 1),
    EventKind.TRANSFER: (1, None, 1, None),
    EventKind.CREATE: (0, None, 1, None),
}
_NAMED = {EventKind.MERGE, EventKind.SPLIT, EventKind.RENAME, EventKind.TYPE_CHANGE, EventKind.CREATE}
_NEEDS_GEOMETRY = {EventKind.SPLIT, EventKind.CREATE}


# -- reading ------------------------------------------------------------------------------------


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(part for part in (nfc(p) for p in (value or "").split(";")) if part)


def _parse_row(row: dict[str, str | None], line: int) -> tuple[LineageEvent | None, list[str]]:
    errors: list[str] = []
    say = errors.append
    event_id = nfc(row.get("event_id")) or ""
    if not event_id:
        say("no event_id")
    raw_date = nfc(row.get("effective_date")) or ""
    try:
        day = dt.date.fromisoformat(raw_date)
        if len(raw_date) != 10:  # fromisoformat also takes the basic form 20200201
            raise ValueError
    except ValueError:
        say(f"effective_date {raw_date!r} is not a date written YYYY-MM-DD")
        day = None
    if day is not None and day < EARLIEST_DATE:
        say(f"effective_date {raw_date} is before {EARLIEST_DATE.year}: no vintage of Vietnam's units is that old")
        day = None
    legal_act = nfc(row.get("legal_act")) or ""
    if not legal_act:
        say("no legal_act: every change needs the act that made it")
    raw_kind = (nfc(row.get("kind")) or "").lower()
    try:
        kind = EventKind(raw_kind)
    except ValueError:
        say(f"unknown kind {raw_kind!r}; expected one of {', '.join(k.value for k in EventKind)}")
        kind = None
    before, after = _split(row.get("before")), _split(row.get("after"))
    names = _split(row.get("after_name"))
    types: list[UnitType] = []
    for value in _split(row.get("after_type")):
        try:
            types.append(UnitType(value.lower()))
        except ValueError:
            say(f"unknown after_type {value!r}; expected one of {', '.join(t.value for t in UnitType)}")
    parent_after = nfc(row.get("parent_after"))
    for label, codes in (("before", before), ("after", after)):
        if len(set(codes)) != len(codes):
            say(f"a code is listed twice in {label}: {';'.join(codes)}")
    if kind is not None:
        fewest_before, most_before, fewest_after, most_after = _ARITY[kind]
        if len(before) < fewest_before or (most_before is not None and len(before) > most_before):
            say(f"a {kind.value} takes {_count(fewest_before, most_before)} before unit(s), got {len(before)}")
        if len(after) < fewest_after or (most_after is not None and len(after) > most_after):
            say(f"a {kind.value} takes {_count(fewest_after, most_after)} after unit(s), got {len(after)}")
        if kind is EventKind.TRANSFER and len(before) != len(after):
            say(
                f"a transfer lists the after codes pairwise with the before codes: {len(before)} before, "
                f"{len(after)} after"
            )
        if kind is EventKind.TRANSFER and not parent_after:
            say("a transfer needs parent_after, the code of the new parent")
        if kind is EventKind.TYPE_CHANGE and not types:
            say("a type_change needs after_type")
        if kind in _NAMED and not names:
            say(f"a {kind.value} needs after_name, the full name of each after unit")
    if names and len(names) != len(after):
        say(f"after_name lists {len(names)} name(s) for {len(after)} after code(s)")
    if types and len(types) != len(after):
        say(f"after_type lists {len(types)} type(s) for {len(after)} after code(s)")
    if errors:
        return None, [f"line {line}" + (f" (event {event_id})" if event_id else "") + f": {e}" for e in errors]
    assert day is not None and kind is not None  # each is None only after an error was said
    return LineageEvent(
        event_id, day, legal_act, kind, before, after, names, tuple(types), parent_after, nfc(row.get("note")), line
    ), []


def _count(fewest: int, most: int | None) -> str:
    if most is None:
        return f"at least {fewest}"
    return str(fewest) if fewest == most else f"{fewest} to {most}"


def read_lineage(path: str | Path) -> list[LineageEvent]:
    """Read and check a lineage CSV; raise ``InputError`` listing every bad line."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"lineage file {path} does not exist")
    try:
        return _read_lineage(path)
    except UnicodeDecodeError as exc:
        raise InputError(f"lineage file {path} is not UTF-8 text: {exc.reason} at byte {exc.start}") from None


def _csv_rows(reader: csv.DictReader, path: Path) -> Iterator[dict[str, str | None]]:
    """The reader's rows; a line it cannot read (a field over ``csv.field_size_limit()``, 131,072
    characters) is an ``InputError`` naming it."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(f"lineage file {path}: line {reader.line_num} cannot be read as CSV: {exc}") from None
        yield row


def _read_lineage(path: Path) -> list[LineageEvent]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in LINEAGE_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise InputError(
                f"lineage file {path}: line 1 lacks the column(s) {', '.join(missing)}; "
                f"the header must be {','.join(LINEAGE_COLUMNS)}"
            )
        events, errors = [], []
        for row in _csv_rows(reader, path):
            if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
                continue  # blank line
            event, row_errors = _parse_row(row, reader.line_num)
            errors.extend(row_errors)
            if event:
                events.append(event)
    errors.extend(_cross_row_errors(events))
    if errors:
        raise InputError(f"lineage file {path}: {len(errors)} problem(s), nothing was read", errors)
    return events


def _cross_row_errors(events: list[LineageEvent]) -> list[str]:
    errors: list[str] = []
    first_id: dict[str, LineageEvent] = {}
    consumed: dict[tuple[dt.date, str], LineageEvent] = {}
    for e in events:
        if e.event_id in first_id:
            errors.append(f"{e.where}: event_id already used on line {first_id[e.event_id].line}")
        first_id.setdefault(e.event_id, e)
        for code in e.before:
            other = consumed.get((e.effective_date, code))
            if other:
                errors.append(
                    f"{e.where}: unit {code} is already changed on {e.effective_date} by {other.where}; "
                    "one unit can take part in one event per day"
                )
            consumed.setdefault((e.effective_date, code), e)
    return errors


# -- checking against a vintage -----------------------------------------------------------------


def _in_date_order(events: Iterable[LineageEvent]) -> list[LineageEvent]:
    return sorted(events, key=lambda e: (e.effective_date, e.line))


def _parts_touch(parts: Sequence[shapely.Geometry], gap_m: float) -> bool:
    """Whether lon/lat ``parts`` form one cluster when parts within ``gap_m`` metres are linked."""
    projected = np.asarray(
        gpd.GeoSeries(list(parts), crs=4326).to_crs(equal_area_crs(tuple(shapely.total_bounds(parts)))).array
    )
    reached, frontier = {0}, [0]
    while frontier:
        near = np.flatnonzero(shapely.dwithin(projected[frontier.pop()], projected, gap_m))
        frontier.extend(int(i) for i in near if int(i) not in reached)
        reached.update(int(i) for i in near)
    return len(reached) == len(parts)


def validate_against(
    events: Sequence[LineageEvent], units: gpd.GeoDataFrame, vintage_start: dt.date, *, gap_m: float = GAP_TOLERANCE_M
) -> None:
    """Check ``events`` against the units of a vintage valid from ``vintage_start``.

    Replays the events in date order and raises ``InputError`` naming each bad line: an event
    before the vintage starts, a unit that is unknown, already gone or not created yet, a new code
    already in use, an unknown parent, merge parts of different levels, or parts that do not touch
    (within ``gap_m`` metres). Events effective on ``vintage_start`` are taken as already shown.
    """
    _require_unit_columns(units)
    alive = {
        code: (level, parent, geom)
        for code, level, parent, geom in zip(
            units["code"], units["level"], units["parent_code"], units.geometry, strict=True
        )
    }
    parents = set(units["code"]) | set(units["parent_code"].dropna())
    created_by: dict[str, LineageEvent] = {}
    for e in _in_date_order(events):
        for code in e.after:
            if code not in e.before:
                created_by.setdefault(code, e)
    gone: dict[str, LineageEvent] = {}
    errors: list[tuple[int, str]] = []
    for e in _in_date_order(events):
        if e.effective_date < vintage_start:
            errors.append(
                (
                    e.line,
                    f"{e.where}: takes effect on {e.effective_date}, before the vintage starts "
                    f"({vintage_start}); that vintage already shows the change",
                )
            )
            continue
        if e.effective_date == vintage_start:
            continue
        problems = []
        for code in e.before:
            if code in alive:
                continue
            if code in gone:
                problems.append(
                    f"unit {code} no longer exists on {e.effective_date}: {gone[code].where} "
                    f"changed it on {gone[code].effective_date}"
                )
            elif code in created_by:
                maker = created_by[code]
                problems.append(
                    f"unit {code} does not exist yet on {e.effective_date}: {maker.where} "
                    f"creates it on {maker.effective_date}"
                )
            else:
                problems.append(f"unknown unit {code}: not in the vintage and not created by an earlier event")
        for code in e.after:
            if code not in e.before and code in alive:
                problems.append(f"the new code {code} is already used by an existing unit")
        if e.parent_after and e.parent_after not in parents:
            problems.append(f"unknown parent_after {e.parent_after}")
        if not problems and e.kind is EventKind.MERGE:
            problems.extend(_merge_problems(e, [alive[c] for c in e.before], gap_m))
        errors.extend((e.line, f"{e.where}: {p}") for p in problems)
        if not problems:
            _replay(e, alive, gone, parents)
    if errors:
        raise InputError(
            f"lineage does not fit the vintage starting {vintage_start}: {len(errors)} problem(s)",
            [message for _, message in sorted(errors)],
        )


def _merge_problems(e: LineageEvent, parts: list[tuple], gap_m: float) -> list[str]:
    levels = {level for level, _, _ in parts}
    if len(levels) > 1:
        return [f"the parts of a merge must be of one level, got {', '.join(sorted(map(str, levels)))}"]
    problems = []
    parents = {parent for _, parent, _ in parts}
    if len(parents) > 1 and not e.parent_after and e.after[0] not in e.before:
        problems.append(
            f"the parts belong to different parents ({', '.join(sorted(map(str, parents)))}); give parent_after"
        )
    geoms = [geom for _, _, geom in parts]
    if all(g is not None for g in geoms) and not _parts_touch(geoms, gap_m):
        problems.append(
            f"the parts {', '.join(e.before)} of the merge do not touch, even counting parts "
            f"less than {gap_m:g} m apart as touching"
        )
    return problems


def _replay(e: LineageEvent, alive: dict, gone: dict, parents: set) -> None:
    """Update the code -> (level, parent, geometry) map as ``e`` does (geometry None if unknown)."""
    if e.kind is EventKind.MERGE:
        parts = [alive.pop(code) for code in e.before]
        survivor = dict(zip(e.before, parts, strict=True)).get(e.after[0])
        parent = e.parent_after or (survivor or parts[0])[1]
        geoms = [g for _, _, g in parts]
        union = shapely.union_all(geoms) if all(g is not None for g in geoms) else None
        alive[e.after[0]] = (parts[0][0], parent, union)
    elif e.kind is EventKind.CREATE:
        for code in e.before:
            level, parent, _ = alive[code]
            alive[code] = (level, parent, None)  # it gave up some of its area
        level = alive[e.before[0]][0] if e.before else None
        for code in e.after:
            alive[code] = (level, e.parent_after, None)
    else:  # split (one to many); rename, type_change, transfer (pairwise)
        sources = [alive.pop(code) for code in e.before]
        for i, code in enumerate(e.after):
            level, parent, geom = sources[min(i, len(sources) - 1)]
            alive[code] = (level, e.parent_after or parent, None if e.kind is EventKind.SPLIT else geom)
    for code in e.before:
        if code not in alive:
            gone[code] = e
    parents.update(e.after)


def _require_unit_columns(units: gpd.GeoDataFrame) -> None:
    missing = [c for c in UNIT_COLUMNS if c not in ("unit_id", "vintage_id") and c not in units.columns]
    if missing:
        raise InputError(f"units lack the column(s) {', '.join(missing)}")
    if units.crs is None:
        raise InputError("units have no coordinate reference system; expected EPSG:4326")


# -- deriving a vintage -------------------------------------------------------------------------


def merge_geometry(
    parts: Sequence[shapely.Geometry], neighbours: Sequence[shapely.Geometry], *, gap_m: float = GAP_TOLERANCE_M
) -> shapely.MultiPolygon:
    """Union of lon/lat ``parts`` with the gaps between them closed (see the module docstring);
    ``neighbours`` are the other units nearby, whose area is never taken."""
    crs = equal_area_crs(tuple(shapely.total_bounds(parts)))
    projected = np.asarray(gpd.GeoSeries([*parts, *neighbours], crs=4326).to_crs(crs).array)
    own, others = projected[: len(parts)], projected[len(parts) :]
    union = shapely.union_all(own, grid_size=_GRID_M)
    closed = shapely.buffer(shapely.buffer(union, gap_m / 2, join_style="mitre"), -gap_m / 2, join_style="mitre")
    outlines = shapely.union_all([shapely.Polygon(p.exterior) for p in shapely.get_parts(union)])
    part_holes = [shapely.Polygon(ring) for g in own for p in shapely.get_parts(g) for ring in p.interiors]
    candidates = shapely.difference(shapely.union(closed, outlines), union, grid_size=_GRID_M)
    taken = shapely.union_all([*part_holes, *others], grid_size=_GRID_M)
    candidates = shapely.difference(candidates, taken, grid_size=_GRID_M)
    pieces = [p for p in shapely.get_parts(candidates) if isinstance(p, shapely.Polygon)]
    between = [p for p in pieces if np.count_nonzero(shapely.dwithin(p, own, 2 * _GRID_M)) >= 2]
    merged = shapely.union_all([union, *between], grid_size=_GRID_M)
    lonlat = gpd.GeoSeries([merged], crs=crs).to_crs(4326).iloc[0]
    return as_multipolygon(lonlat) if lonlat.is_valid else make_polygonal(lonlat)


def derive_vintage(
    units: gpd.GeoDataFrame,
    events: Sequence[LineageEvent],
    until: dt.date,
    *,
    vintage_start: dt.date,
    gap_m: float = GAP_TOLERANCE_M,
) -> gpd.GeoDataFrame:
    """The units in force on ``until``: ``units`` (a vintage valid from ``vintage_start``) with the
    events effective after ``vintage_start`` and up to ``until`` applied in date order.

    Returns the input's columns (``UNIT_COLUMNS`` without the ids) in EPSG:4326, ordered by level
    and code, with ``area_ha`` recomputed. Raises ``InputError`` if the events do not fit the units
    (``validate_against``) or include a split or create (their geometry is unknown).
    """
    todo = [e for e in _in_date_order(events) if e.effective_date <= until]
    validate_against(todo, units, vintage_start, gap_m=gap_m)
    todo = [e for e in todo if e.effective_date > vintage_start]
    unknown = [e for e in todo if e.kind in _NEEDS_GEOMETRY]
    if unknown:
        raise InputError(
            "a lineage row cannot give the geometry of the units a split or create makes; load "
            "the boundaries after the change as a new vintage instead",
            [f"{e.where}: {e.kind.value} of {';'.join(e.before) or '—'} into {';'.join(e.after)}" for e in unknown],
        )
    units = units.to_crs(4326) if not units.crs.equals("EPSG:4326") else units
    columns = [c for c in units.columns if c not in ("unit_id", "vintage_id")]
    rows = {row["code"]: row for row in units[columns].to_dict("records")}
    nearby = _Neighbours(units)
    for e in todo:
        if e.kind is EventKind.MERGE:
            rows[e.after[0]] = _merged_row(e, rows, nearby, gap_m)
        else:
            _apply_in_place(e, rows)
        nearby.made.update(e.after)
    derived = gpd.GeoDataFrame(list(rows.values()), columns=columns, geometry="geometry", crs=4326)
    derived["area_ha"] = np.round(area_ha(derived.geometry), 4)
    order = {level.value: i for i, level in enumerate(AdminTier)}
    return derived.sort_values(
        ["level", "code"], key=lambda s: s.map(order) if s.name == "level" else s, ignore_index=True
    )


def _unit_type(name: str, declared: tuple[UnitType, ...], level: AdminTier, current: str | None) -> str | None:
    if declared:
        return declared[0].value
    allowed = TYPES_BY_LEVEL[level]
    inferred = next((t for t in split_prefix(name)[0] if t in allowed), None)
    return inferred.value if inferred else current


def _set_parent(row: dict, parent: str | None) -> None:
    if not parent:
        return
    row["parent_code"] = parent
    if row["level"] == AdminTier.COMMUNE.value:
        row["district_code"] = parent
    elif row["level"] == AdminTier.DISTRICT.value:
        row["province_code"] = parent


class _Neighbours:
    """Finds the current units near an area: the vintage's units through an STRtree, plus the units
    made by events so far (``made``), checked one by one."""

    def __init__(self, units: gpd.GeoDataFrame):
        self.tree, self.codes = shapely.STRtree(units.geometry.array), units["code"].to_numpy()
        self.made: set[str] = set()

    def around(self, box: shapely.Geometry, rows: dict) -> list[shapely.Geometry]:
        codes = set(self.codes[self.tree.query(box)]) | {
            c for c in self.made if c in rows and shapely.intersects(rows[c]["geometry"], box)
        }
        return [rows[c]["geometry"] for c in codes if c in rows]


def _merged_row(e: LineageEvent, rows: dict, nearby: _Neighbours, gap_m: float) -> dict:
    parts = [rows.pop(code) for code in e.before]
    survivor = next((p for p in parts if p["code"] == e.after[0]), None)
    geoms = [p["geometry"] for p in parts]
    neighbours = nearby.around(shapely.box(*shapely.total_bounds(geoms)), rows)
    row = dict(survivor or parts[0])
    level = AdminTier(row["level"])
    populations = pd.Series([p["population"] for p in parts], dtype=float)
    row.update(
        code=e.after[0],
        name=e.after_name[0],
        name_short=split_prefix(e.after_name[0])[1],
        unit_type=_unit_type(e.after_name[0], e.after_type, level, row["unit_type"]),
        population=populations.sum(min_count=1),
        flag=None,
        geometry=merge_geometry(geoms, neighbours, gap_m=gap_m),
    )
    _set_parent(row, e.parent_after)
    return row


def _apply_in_place(e: LineageEvent, rows: dict) -> None:
    """Rename, type change or transfer: same geometry, new code, name, type or parent."""
    for i, (row, new_code) in enumerate(zip([rows.pop(code) for code in e.before], e.after, strict=True)):
        row["code"] = new_code
        if e.after_name:
            row["name"] = e.after_name[i]
            row["name_short"] = split_prefix(e.after_name[i])[1]
            row["unit_type"] = _unit_type(
                e.after_name[i], e.after_type[i : i + 1], AdminTier(row["level"]), row["unit_type"]
            )
        elif e.after_type:
            row["unit_type"] = e.after_type[i].value
        _set_parent(row, e.parent_after)
        rows[new_code] = row
