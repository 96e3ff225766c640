"""Targets of the programme as data, and progress against them (issue 13 §5).

A target file (CSV, UTF-8, or XLSX) has one row per target, with a header row naming its columns
(Vietnamese or English, tone- and case-insensitive):

- ``province`` (Tỉnh), ``level`` (Mức: ``ntm``, ``ntm_nang_cao``, ``ntm_kieu_mau``, ``ntm_hien_dai``
  or their names: "đạt chuẩn NTM", "NTM nâng cao", "NTM kiểu mẫu", "NTM hiện đại"), ``year`` (Năm),
  ``source`` (Nguồn; or the import's ``source`` option for every row) are needed;
- a row with a ``commune`` (Xã) is a commune's target: the year by which it aims at the level;
- a row without one is the province's: ``share`` (Tỷ lệ), the share of its communes at the level or
  higher by the year ("65%", "65" or "0.65"), and optionally ``baseline_year`` and ``baseline_share``
  (Năm gốc, Tỷ lệ năm gốc), the point its path starts from.

Units are found by code or name (``geo_ntm.places.find_unit``) among the units of the boundaries in
force on 1 January of the row's year (the units the plan is made on during its last year: a target
for 2025 names the communes before the July 2025 reform, one for 2030 the new communes). A file
with any bad row is refused whole, naming each row and what is wrong; the store is then unchanged.
A target of the same unit, level and year as one stored replaces it, so importing a file again
changes nothing.

Progress in a year Y (``progress``), on the boundaries in force on 31 December of Y (the targets
stored on other boundaries' units are not counted there):

- a commune with a target: ``reached`` when a decision recognises it at the level (or higher)
  holding in Y; else its criteria still unmet (total minus met of Y's figures, measured against the
  target's level; ``no_data`` without them) over the years left (target year minus Y):
  ``on_track`` when at most ``ON_TRACK_PER_YEAR`` criteria a year remain, ``behind`` above, and
  ``overdue`` when no year is left.
- a province with targets at a level: its path runs straight between its points (the baseline
  point given, then each target's year and share, in order) and stays at the last target after it;
  before its first point there is no path. Its recognised share is the share of its assessed
  communes (xã) recognised at the level or higher in Y; ``on_track`` when at or above the path,
  ``behind`` below it.

Without any target for the province, the answer says so (``targets_loaded`` False).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from geo_ntm.domain import LEVEL_ORDER, AdminTier, Target, Unit
from geo_ntm.errors import GeoNtmError, InputError
from geo_ntm.places import find_unit
from geo_ntm.status_import.cells import parse_year
from geo_ntm.status_import.reading import tables
from geo_ntm.store import Store
from geo_ntm.store.base import ImportRecord
from geo_ntm.text import fold, nfc
from geo_ntm.views import commune_view

#: The modern level of QĐ 51/2025 (xã NTM hiện đại), a target level beside ``LEVEL_ORDER``.
MODERN_LEVEL = "ntm_hien_dai"
TARGET_LEVELS = (*LEVEL_ORDER, MODERN_LEVEL)
#: A commune is on track while at most this many of its criteria remain unmet per year left.
ON_TRACK_PER_YEAR = 2.0

_COLUMNS = {
    "province": ("province", "tỉnh", "tỉnh/thành phố", "tỉnh, thành phố"),
    "commune": ("commune", "xã", "xã/phường", "tên xã", "đơn vị"),
    "level": ("level", "mức", "mức đạt chuẩn", "mức mục tiêu", "target level"),
    "year": ("year", "năm", "năm mục tiêu", "target year"),
    "share": ("share", "tỷ lệ", "tỷ lệ xã", "tỷ lệ xã đạt chuẩn", "target share"),
    "baseline_year": ("baseline year", "năm gốc"),
    "baseline_share": ("baseline share", "tỷ lệ năm gốc"),
    "source": ("source", "nguồn"),
}
_NEEDED = ("province", "level", "year")
_LEVEL_NAMES = {
    **{fold(level): level for level in TARGET_LEVELS},
    fold("đạt chuẩn NTM"): "ntm",
    fold("nông thôn mới"): "ntm",
    fold("NTM nâng cao"): "ntm_nang_cao",
    fold("nâng cao"): "ntm_nang_cao",
    fold("NTM kiểu mẫu"): "ntm_kieu_mau",
    fold("kiểu mẫu"): "ntm_kieu_mau",
    fold("NTM hiện đại"): MODERN_LEVEL,
    fold("hiện đại"): MODERN_LEVEL,
}
_HEADER_ROWS = 20


@dataclass(frozen=True)
class TargetImportReport:
    """What a target import read and stored (the file by its base name: never a server path)."""

    source_file: str
    rows_read: int
    commune_targets: int
    province_targets: int
    import_id: int | None  # None on a dry run

    def to_dict(self) -> dict:
        """JSON-ready."""
        return asdict(self)


def parse_level(text: str | None) -> str:
    """A target level from its id or name ("NTM nâng cao", "ntm_nang_cao")."""
    level = _LEVEL_NAMES.get(fold(text))
    if level is None:
        raise ValueError(f"is not a level ({', '.join(TARGET_LEVELS)})")
    return level


def parse_share(text: str | None) -> float:
    """A share: "65%" or "65" (a percent: with % or above 1) or "0.65"; between 0 and 1."""
    if text is None:
        raise ValueError("is empty")
    percent = text.strip().endswith("%")
    try:
        value = float(text.strip().rstrip("%").replace(",", "."))
    except ValueError:
        raise ValueError("is not a share (65%, 65 or 0.65)") from None
    share = value / 100 if percent or value > 1 else value
    if not 0 <= share <= 1:
        raise ValueError("is not a share between 0 and 100%")
    return share


def _header(cells: list[object]) -> dict[str, int] | None:
    """Field -> column index of a header row holding the needed columns, else None."""
    by_alias = {fold(alias): name for name, aliases in _COLUMNS.items() for alias in aliases}
    found: dict[str, int] = {}
    for i, cell in enumerate(cells):
        name = by_alias.get(fold(nfc(cell)))
        if name and name not in found:
            found[name] = i
    return found if all(n in found for n in _NEEDED) else None


def read_targets(store: Store, path: str | Path, *, sheet: str | None = None, source: str | None = None):
    """The targets of the file ``path`` matched to stored units, and the number of data rows read;
    an InputError naming every bad row (see the module docstring)."""
    path = Path(path)
    source = nfc(source)
    for _, rows in tables(path, sheet):
        head = list(itertools.islice(rows, _HEADER_ROWS))
        for i, (_, cells) in enumerate(head):
            columns = _header(cells)
            if columns is not None:
                return _read_rows(store, path, columns, itertools.chain(head[i + 1 :], rows), source)
        getattr(rows, "close", lambda: None)()
    raise InputError(
        f"{path}: no header row found in the first {_HEADER_ROWS} rows; a target file needs the columns "
        "province (Tỉnh), level (Mức) and year (Năm), with commune (Xã) for a commune's target or share "
        "(Tỷ lệ) for a province's"
    )


def _read_rows(store: Store, path: Path, columns: dict[str, int], rows, source: str | None):
    targets: list[Target] = []
    problems: list[str] = []
    read = 0
    units: dict[tuple[int, AdminTier], list[Unit]] = {}
    for number, cells in rows:
        values = {name: nfc(cells[i]) if i < len(cells) else None for name, i in columns.items()}
        if not any(values.values()):
            continue
        read += 1
        try:
            targets.append(_target(store, values, number, source, units))
        except (ValueError, GeoNtmError) as exc:
            problems.append(f"row {number}: {exc}")
    if problems:
        raise InputError(f"{path}: {len(problems)} bad row(s), nothing imported: " + "; ".join(problems[:20]))
    if not targets:
        raise InputError(f"{path}: no target rows below the header")
    return targets, read


def _cell(values: dict, name: str, parser):
    """The column ``name`` parsed; a ValueError naming the column and value."""
    try:
        return parser(values.get(name))
    except ValueError as exc:
        shown = "" if values.get(name) is None else f" {values.get(name)!r}"
        raise ValueError(f"{name}{shown} {exc}") from None


def _target(store: Store, values: dict, number: int, source: str | None, cache: dict) -> Target:
    """One row's target, its units found in the boundaries of its year."""
    year = _cell(values, "year", parse_year)
    level = _cell(values, "level", parse_level)
    row_source = values.get("source") or source
    if not row_source:
        raise ValueError("no source: give a source column or the import's source")
    vintage = store.vintage_on(dt.date(year, 1, 1))  # the units the plan is made on, during its last year

    def units(tier: AdminTier) -> list[Unit]:
        if (vintage.vintage_id, tier) not in cache:
            cache[vintage.vintage_id, tier] = store.unit_records(vintage.vintage_id, tier)
        return cache[vintage.vintage_id, tier]

    province = find_unit(units(AdminTier.PROVINCE), values["province"] or "", "province")
    if values.get("commune"):
        if values.get("share"):
            raise ValueError("a commune's target has a year, not a share (leave share empty)")
        communes = [u for u in units(AdminTier.COMMUNE) if u.province_code == province.province_code]
        commune = find_unit(communes, values["commune"], f"commune of {province.name}")
        return Target(commune.unit_id, level, year, row_source, row_number=number)
    share = _cell(values, "share", parse_share)
    baseline_year = _cell(values, "baseline_year", parse_year) if values.get("baseline_year") else None
    baseline_share = _cell(values, "baseline_share", parse_share) if values.get("baseline_share") else None
    if (baseline_year is None) != (baseline_share is None):
        raise ValueError("give both baseline year and baseline share, or neither")
    if baseline_year is not None and baseline_year >= year:
        raise ValueError(f"baseline year {baseline_year} is not before the target year {year}")
    return Target(province.unit_id, level, year, row_source, share, baseline_year, baseline_share, number)


def import_targets(
    store: Store,
    path: str | Path,
    *,
    sheet: str | None = None,
    source: str | None = None,
    actor: str | None = None,
    dry_run: bool = False,
) -> TargetImportReport:
    """Read the target file ``path`` and store its targets (not on a ``dry_run``)."""
    targets, read = read_targets(store, path, sheet=sheet, source=source)
    communes = sum(t.share is None for t in targets)
    report = TargetImportReport(Path(path).name, read, communes, len(targets) - communes, None)
    if dry_run:
        return report
    record = ImportRecord("targets", Path(path).name, read, len(targets), report.to_dict(), actor=actor)
    return TargetImportReport(**{**report.to_dict(), "import_id": store.add_targets(record, targets)})


# -- progress ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommuneProgress:
    """A commune's progress in a year against one of its targets."""

    code: str
    name: str | None
    level: str
    target_year: int
    years_left: int
    recognised_level: str | None
    criteria_met: int | None
    criteria_total: int | None
    unmet: int | None  # criteria still unmet at the target's level (None: not known that year)
    unmet_per_year: float | None
    status: str  # reached, on_track, behind, overdue, no_data
    source: str


@dataclass(frozen=True)
class ProvinceProgress:
    """A province's recognised share in a year against its path to a target."""

    level: str
    target_year: int
    target_share: float
    path_share: float | None  # where the path stands in the year (None: before its first point)
    recognised_share: float | None  # None: no assessed commune
    recognised: int
    communes: int
    status: str  # on_track, behind, before_path
    source: str


@dataclass(frozen=True)
class Progress:
    """Progress of one province in one year (see the module docstring)."""

    province: str
    province_code: str
    year: int
    vintage: str
    targets_loaded: bool
    communes: tuple[CommuneProgress, ...] = ()
    province_targets: tuple[ProvinceProgress, ...] = ()
    rule: str = field(
        default=(
            f"commune: on track while at most {ON_TRACK_PER_YEAR:g} unmet criteria per year left; province: "
            "recognised share against a straight path between its baseline and target points"
        )
    )

    @property
    def message(self) -> str | None:
        """What to say when no target is loaded."""
        if self.targets_loaded:
            return None
        return (
            f"Chưa nhập mục tiêu cho {self.province} / no target loaded for {self.province}: "
            "import a target file (geo-ntm targets import, POST /targets)"
        )

    def to_dict(self) -> dict:
        """JSON-ready."""
        return {**asdict(self), "message": self.message}


def _rank(level: str | None) -> int:
    return LEVEL_ORDER.index(level) + 1 if level in LEVEL_ORDER else 0


def _holds(level: str, recognised: list[str]) -> bool:
    """Whether the levels ``recognised`` include ``level`` (nested levels: or a higher one)."""
    if level == MODERN_LEVEL:
        return level in recognised
    return any(_rank(r) >= _rank(level) for r in recognised)


def path_share(points: list[tuple[int, float]], year: int) -> float | None:
    """Where a straight path through ``points`` (year, share) stands in ``year``: None before the
    first point, the last share after the last."""
    points = sorted(points)
    if not points or year < points[0][0]:
        return None
    for (y0, s0), (y1, s1) in itertools.pairwise(points):
        if y0 <= year <= y1:
            return s0 + (s1 - s0) * (year - y0) / (y1 - y0) if y1 > y0 else s1
    return points[-1][1]


def progress(store: Store, province: Unit, year: int) -> Progress:
    """Progress of ``province`` (a province of the boundaries in force on 31 December of ``year``)
    in ``year`` against its stored targets and those of its communes."""
    vintage = store.vintage_for_year(year)
    if province.vintage_id != vintage.vintage_id:
        raise InputError(f"{province.name} is not a province of the boundaries of {year} ({vintage.name})")
    frame = commune_view(store, vintage, year, province_code=province.province_code, geometry=False)
    targets = store.targets([int(u) for u in frame["unit_id"]] + [province.unit_id])
    if not targets:
        return Progress(province.name or province.code, province.code, year, vintage.name, False)
    rows = frame.set_index("unit_id")
    communes = tuple(_commune(rows.loc[t.unit_id], t, year) for t in targets if t.unit_id != province.unit_id)
    own = [t for t in targets if t.unit_id == province.unit_id]
    return Progress(
        province.name or province.code,
        province.code,
        year,
        vintage.name,
        True,
        tuple(sorted(communes, key=lambda c: (c.target_year, c.name or "", c.level))),
        tuple(_province(frame, own, t, year) for t in sorted(own, key=lambda t: (t.level, t.year))),
    )


def _commune(row: pd.Series, t: Target, year: int) -> CommuneProgress:
    recognised = list(row["recognized_levels"])
    met = None if pd.isna(row["criteria_met"]) else int(row["criteria_met"])
    total = None if pd.isna(row["criteria_total"]) else int(row["criteria_total"])
    years_left = t.year - year
    unmet = total - met if met is not None and total is not None and row["target_level"] == t.level else None
    per_year = unmet / years_left if unmet is not None and years_left > 0 else None
    if _holds(t.level, recognised):
        status = "reached"
    elif unmet is None:
        status = "no_data"
    elif years_left <= 0:
        status = "overdue"
    else:
        status = "on_track" if per_year is not None and per_year <= ON_TRACK_PER_YEAR else "behind"
    return CommuneProgress(
        str(row["code"]),
        row["name"],
        t.level,
        t.year,
        years_left,
        None if pd.isna(row["recognised_level"]) else row["recognised_level"],
        met,
        total,
        unmet,
        None if per_year is None else round(per_year, 2),
        status,
        t.source,
    )


def _province(frame: pd.DataFrame, own: list[Target], t: Target, year: int) -> ProvinceProgress:
    points = {(o.year, o.share) for o in own if o.level == t.level and o.share is not None}
    for o in own:
        if o.level == t.level and o.baseline_year is not None and o.baseline_share is not None:
            points.add((o.baseline_year, o.baseline_share))
    assessed = frame[frame["assessed"].astype(bool)]
    recognised = sum(_holds(t.level, list(levels)) for levels in assessed["recognized_levels"])
    share = recognised / len(assessed) if len(assessed) else None
    path = path_share(sorted(points), year)
    status = "before_path" if path is None else "on_track" if share is not None and share >= path - 1e-9 else "behind"
    return ProvinceProgress(
        t.level,
        t.year,
        float(t.share or 0.0),
        None if path is None else round(path, 4),
        None if share is None else round(share, 4),
        recognised,
        len(assessed),
        status,
        t.source,
    )


def commune_status(found: Progress) -> dict[str, str]:
    """Per commune code: the status against its earliest target (communes without one left out)."""
    statuses: dict[str, str] = {}
    for c in sorted(found.communes, key=lambda c: c.target_year):
        statuses.setdefault(c.code, c.status)
    return statuses
