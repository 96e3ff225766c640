"""Working with the store's vintages: import lineage events and derive the vintages after them,
and compute the crosswalk between the vintages in force on two dates."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import pandas as pd

from boundaries.lineage import derive_vintage, read_lineage, validate_against
from geo_ntm.crosswalk import Crosswalk, crosswalk
from geo_ntm.data_flags import check_stored
from geo_ntm.domain import AdminTier, DataFlag, LineageEvent, Vintage
from geo_ntm.errors import NotFoundError
from geo_ntm.frameworks import all_frameworks
from geo_ntm.import_report import ImportReport
from geo_ntm.places import find_unit
from geo_ntm.store import Store

log = logging.getLogger(__name__)


@dataclass(kw_only=True)
class LineageImportReport(ImportReport):
    """What a lineage import validated and derived; ``rows_read`` counts the events."""

    import_kind: ClassVar[str] = "lineage"
    aliases: ClassVar[dict[str, str]] = {"events": "rows_read"}

    base_vintage: str
    derived: list[str] = field(default_factory=list)  # names of the derived vintages
    reflected: list[str] = field(default_factory=list)  # events already shown by the base vintage
    not_derived: list[str] = field(default_factory=list)  # events at or after the next stored vintage
    flags: list[DataFlag] = field(default_factory=list)  # data checks the new boundaries raised on stored statuses

    def lines(self) -> list[str]:
        """The events and base vintage, the events not derived (and why), the vintages derived."""
        lines = [f"Lineage from {self.source_file}: {self.rows_read} events, base vintage {self.base_vintage}"]
        lines += [f"  already reflected by the base vintage: {e}" for e in self.reflected]
        lines += [f"  not derived (a later stored vintage starts before it): {e}" for e in self.not_derived]
        lines += [f"  derived vintage: {name}" for name in self.derived]
        lines.append("stored" if self.stored else "dry run: nothing stored")
        if self.flags:
            lines.append(f"Data checks / Kiểm tra dữ liệu ({len(self.flags)}) on the statuses these events move:")
            for f in self.flags:
                lines += [f"  {f.kind.value}: {f.message_vi}", f"    {f.message_en}"]
        return lines


def _base_vintage(store: Store, events: list[LineageEvent]) -> Vintage:
    """The vintage the events apply to: the one in force the day before the first event, or,
    when none is, the one starting on that day (which then already reflects it)."""
    first = min(e.effective_date for e in events)
    try:
        return store.vintage_on(first - dt.timedelta(days=1))
    except NotFoundError:
        return store.vintage_on(first)


def import_lineage(
    store: Store,
    path: str | Path,
    *,
    derive: bool = True,
    dry_run: bool = False,
    actor: str | None = None,
    source_name: str | None = None,
) -> LineageImportReport:
    """Validate a lineage file against the vintage it applies to, store its events and (unless
    ``derive`` is False) one derived vintage per effective date, all in one transaction.
    ``actor`` and ``source_name`` (recorded instead of ``path``) go into the audit trail."""
    path = Path(path)
    source = source_name or str(path)
    stem = Path(source).stem
    events = read_lineage(path)
    base = _base_vintage(store, events)
    units = store.units(base.vintage_id)
    validate_against(events, units, base.valid_from)
    report = LineageImportReport(source_file=source, rows_read=len(events), base_vintage=base.name, dry_run=dry_run)
    report.reflected = [e.where for e in events if e.effective_date <= base.valid_from]
    later = [e for e in events if base.valid_to is not None and e.effective_date >= base.valid_to]
    report.not_derived = [e.where for e in later]
    derived = []
    dates = sorted(
        {e.effective_date for e in events if e.effective_date > base.valid_from} - {e.effective_date for e in later}
    )
    if derive:
        for day in dates:
            log.info("deriving the vintage of %s from %s", day.isoformat(), base.name)
            frame = derive_vintage(units, events, day, vintage_start=base.valid_from)
            derived.append(
                (
                    f"{day.isoformat()} derived: {stem}",
                    day,
                    f"derived from vintage {base.name!r} by the lineage file {Path(source).name}",
                    frame,
                )
            )
    report.derived = [name for name, *_ in derived]
    if dry_run:
        return report
    report.rows_stored, report.stored = len(events), True  # as the record says: stored with it, or neither
    store.add_lineage(report.record(actor), events, derived)
    report.flags = _check_statuses_again(store, units, events)
    return report


def _check_statuses_again(store: Store, units: pd.DataFrame, events: list[LineageEvent]) -> list[DataFlag]:
    """The data checks run again over the statuses stored for the provinces the events change: a
    year's rows left on units merged away since are flagged (``unit_gone``, ``boundaries_behind``)
    and the new flags stored; returns them."""
    codes = {code for e in events for code in e.before}
    provinces = sorted(set(units.loc[units["code"].isin(codes), "province_code"].dropna()))
    frameworks = all_frameworks()
    return [flag for province in provinces for flag in check_stored(store, province, frameworks)]


def crosswalk_between(
    store: Store, from_date: dt.date, to_date: dt.date, *, province: str | None = None, sliver_tolerance: float = 0.01
) -> tuple[Vintage, Vintage, Crosswalk]:
    """Crosswalk of the communes in force on ``from_date`` to those in force on ``to_date``,
    optionally for one province of the ``from`` vintage."""
    old_v, new_v = store.vintage_on(from_date), store.vintage_on(to_date)
    province_code = None
    if province:
        provinces = store.unit_records(old_v.vintage_id, AdminTier.PROVINCE)
        province_code = find_unit(provinces, province, "province").province_code
    old = store.units(old_v.vintage_id, AdminTier.COMMUNE, province_code=province_code)
    new = store.units(new_v.vintage_id, AdminTier.COMMUNE, bbox=tuple(old.total_bounds) if province else None)
    return old_v, new_v, crosswalk(old, new, sliver_tolerance=sliver_tolerance)
