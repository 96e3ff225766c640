"""One commune of a map as the maps present it: the row of a commune frame with its values
normalised (NaN -> None, lists of ints), and its tooltip."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import numpy as np
import pandas as pd

from geo_ntm.aggregate import Tally
from geo_ntm.domain import LEVEL_ORDER, UnitType
from maps.i18n import format_number, level_label, texts

#: Columns every map frame has (one row per commune, ``geo_ntm.views.assessment_view``).
COLUMNS = (
    "code", "name", "unit_type", "district", "province", "assessed", "has_data", "framework",
    "level", "criteria_met", "criteria_total", "criteria_unmet", "criteria_conflicting",
)  # fmt: skip
#: Optional columns: a carried assessment (``share``, ``share_known``, ``old_units``), a numeric
#: measure (``value``), the earlier year of a comparison (``before_*``), the recognition and the
#: NTM group.
OPTIONAL = (
    "share", "share_known", "old_units", "value", "before_has_data", "before_level", "before_met",
    "recognised_level", "recognition_decision", "recognition_date", "all_criteria_met_not_recognised",
    "ntm_group", "tally",
)  # fmt: skip
_URBAN = (UnitType.PHUONG.value, UnitType.THI_TRAN.value)


@dataclass(frozen=True)
class Commune:
    """One frame row with its values normalised."""

    code: str
    name: str | None
    unit_type: str | None
    district: str | None
    province: str | None
    assessed: bool
    has_data: bool
    level: str | None
    met: int | None
    total: int | None
    unmet: tuple[int, ...]
    conflicting: tuple[int, ...]
    share: float | None = None  # of a carried assessment
    share_known: float | None = None
    old_units: tuple[str, ...] = ()
    value: float | None = None  # of a numeric measure
    before_has_data: bool = False  # the earlier year of a comparison
    before_level: str | None = None
    before_met: float | None = None
    recognised_level: str | None = None  # recognised by a decision (and not revoked)
    recognition_decision: str | None = None
    recognition_date: str | None = None  # ISO date of the decision
    met_not_recognised: bool = False  # all criteria of a level met, not recognised at it
    ntm_group: int | None = None  # NTM commune group (nhóm 1/2/3) in force in the year
    tally: Tally | None = None  # a province or district mapped by its communes (geo_ntm.aggregate)

    @classmethod
    def from_row(cls, row) -> Commune:
        get = lambda column: _scalar(getattr(row, column, None))  # noqa: E731
        return cls(
            code=str(row.code),
            name=get("name"),
            unit_type=get("unit_type"),
            district=get("district"),
            province=get("province"),
            assessed=bool(row.assessed),
            has_data=bool(row.has_data),
            level=get("level"),
            met=_int(row.criteria_met),
            total=_int(row.criteria_total),
            unmet=_ints(row.criteria_unmet),
            conflicting=_ints(row.criteria_conflicting),
            share=get("share"),
            share_known=get("share_known"),
            old_units=tuple(getattr(row, "old_units", None) or ()),
            value=_float(get("value")),
            before_has_data=bool(get("before_has_data")),
            before_level=get("before_level"),
            before_met=_float(get("before_met")),
            recognised_level=get("recognised_level"),
            recognition_decision=get("recognition_decision"),
            recognition_date=get("recognition_date"),
            met_not_recognised=bool(get("all_criteria_met_not_recognised")),
            ntm_group=_int(get("ntm_group")),
            tally=get("tally"),
        )

    @property
    def urban(self) -> bool:
        return self.unit_type in _URBAN

    def tooltip(self, lang: str, extra: tuple[str, ...] = ()) -> str:
        """HTML of the tooltip (values escaped); ``extra`` lines (already HTML) follow the figures."""
        t = texts(lang)
        lines = [f"<b>{escape(self.name or t['tip.unnamed'])}</b>"]
        place = self.district or self.province  # no districts in the 2025 boundaries
        if place and place != self.name:  # a province mapped by its communes is its own province
            lines.append(escape(place))
        if self.tally is not None:
            return "<br>".join(lines + _tally_lines(self.tally, lang) + list(extra))
        if not self.assessed:
            lines.append(t["tip.urban"] if self.urban else t["tip.not_assessed"])
            return "<br>".join(lines + list(extra))
        if not self.has_data:
            lines.append(t["class.no_data"])
        else:
            if self.met is not None and self.total is not None:
                lines.append(f"{t['tip.criteria_met']}: {self.met}/{self.total}")
            if self.unmet:
                lines.append(f"{t['tip.unmet']}: {_join(self.unmet)}")
            if self.conflicting:
                lines.append(f"{t['tip.conflicting']}: {_join(self.conflicting)}")
            if self.share is not None:
                lines.append(f"{t['tip.share']}: {self.share:.0%}")
                lines.append(f"{t['tip.share_known']}: {self.share_known or 0:.0%}")
            else:
                lines.append(self._recognition_line(lang))
            if self.old_units:
                lines.append(
                    f"{t['tip.old_units']}: {escape(', '.join(self.old_units[:8]))}"
                    + (" …" if len(self.old_units) > 8 else "")
                )
        return "<br>".join(lines + list(extra))

    def _recognition_line(self, lang: str) -> str:
        """ "Công nhận: NTM nâng cao (QĐ 694/QĐ-UBND-HC, 2023-06-30)", or what holds without a
        decision: all criteria met but not recognised, or not yet."""
        t = texts(lang)
        if self.recognised_level:
            decision = ", ".join(escape(p) for p in (self.recognition_decision, self.recognition_date) if p)
            level = level_label(self.recognised_level, lang)
            return f"{t['tip.recognised']}: {level}" + (f" ({t['tip.decision']} {decision})" if decision else "")
        return f"{t['tip.level']}: " + (
            t["class.met_not_recognised"] if self.met_not_recognised else t["class.not_reached"]
        )


def _tally_lines(tally: Tally, lang: str) -> list[str]:
    """The tooltip lines of a unit mapped by its communes: how many, with data, recognised, criteria met."""
    t = texts(lang)
    lines = [t["tip.tally_communes"].format(assessed=tally.assessed, with_data=tally.with_data)]
    for level in LEVEL_ORDER:
        if count := tally.recognised.get(level, 0):
            share = format_number(tally.recognised_share(level), "share", lang)
            lines.append(f"{t['tip.recognised']}: {level_label(level, lang)}: {count} ({share})")
    if tally.mean_criteria_met is not None:
        lines.append(f"{t['tip.mean_criteria_met']}: {format_number(tally.mean_criteria_met, 'number', lang)}")
    return lines


def _scalar(value):
    """None for None/NaN/pd.NA, else the value (lists and arrays as they are)."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return value
    return None if pd.isna(value) else value


def _int(value) -> int | None:
    value = _scalar(value)
    return None if value is None else int(value)


def _float(value) -> float | None:
    return None if value is None else float(value)


def _ints(values) -> tuple[int, ...]:
    if not isinstance(values, (list, tuple, np.ndarray)):  # a missing list: None, NaN
        return ()
    return tuple(sorted(int(v) for v in values))


def _join(numbers: tuple[int, ...]) -> str:
    return ", ".join(str(n) for n in numbers)
