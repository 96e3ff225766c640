"""Indicator sets: the indicators (chỉ tiêu) of a framework with their thresholds per commune group
(nhóm 1/2/3 of QĐ 51/2025), read from a file a ministry or a province supplies (TOML or CSV, see
docs/status-files.md#indicator-sets), validated with messages naming the file, the row and the
field, and stored with that file's name (``Store.add_indicator_set``).

A threshold is looked up by framework, indicator and commune group (``ThresholdBook.threshold``);
the group is an argument, so the lookup does not depend on how groups are stored. Where the set
gives no threshold, or the commune's group is not known, the verdict is "unknown", never guessed.
When Annex I of QĐ 51 becomes available, loading it is one such file: no code changes."""

from __future__ import annotations

import csv
import io
import math
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from geo_ntm.domain import (
    NTM_GROUPS,
    Comparison,
    Framework,
    IndicatorDefinition,
    IndicatorSet,
    IndicatorStatus,
    Threshold,
)
from geo_ntm.errors import InputError
from geo_ntm.frameworks import INDICATOR_ID, all_frameworks
from geo_ntm.store import Store
from geo_ntm.store.rows import definition_record
from geo_ntm.text import nfc

#: The columns of a CSV file (and the keys of a TOML file's ``[[indicators]]`` entries, where
#: ``framework`` and ``source_act`` may be given once at the top of the file instead).
COLUMNS = (
    "framework",
    "criterion",
    "indicator",
    "name_vi",
    "name_en",
    "unit",
    "comparison",
    "group1",
    "group2",
    "group3",
    "source_act",
)
_REQUIRED = ("framework", "criterion", "indicator", "name_vi", "name_en", "comparison", "source_act")
_COMPARISONS = {
    ">=": Comparison.AT_LEAST,
    "≥": Comparison.AT_LEAST,
    "<=": Comparison.AT_MOST,
    "≤": Comparison.AT_MOST,
    "=": Comparison.EQUAL,
    "yes/no": Comparison.YES_NO,
}
#: What a yes/no indicator's group cell says when the group must meet it.
_YES = {"yes", "đạt", "x"}

Verdict = Literal["met", "unmet", "unknown"]


def _cell(row: Mapping[str, object], key: str) -> str | None:
    value = row.get(key)
    if value is None:
        return None
    text = nfc(str(value).strip())
    return text or None


def _threshold(comparison: Comparison, cell: str | None) -> Threshold | None:
    """The threshold a group cell gives (None when empty); ValueError when it does not fit."""
    if cell is None:
        return None
    if comparison is Comparison.YES_NO:
        if cell.lower() not in _YES:
            raise ValueError(f"{cell!r} is not 'yes' (or 'đạt'); leave it empty when the group has no threshold")
        return Threshold(comparison)
    number = cell.replace(",", ".") if "." not in cell else cell
    try:
        value = float(number)
    except ValueError:
        raise ValueError(f"{cell!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{cell!r} is not a finite number")
    return Threshold(comparison, value)


def _definition(row: Mapping[str, object], frameworks: Mapping[str, Framework]) -> tuple[str, IndicatorDefinition]:
    """The framework id and the indicator of one row; ValueError naming the field when it does not fit."""
    missing = [key for key in _REQUIRED if _cell(row, key) is None]
    if missing:
        raise ValueError(f"field(s) {', '.join(missing)} empty or missing")
    framework_id = _cell(row, "framework") or ""
    framework = frameworks.get(framework_id)
    if framework is None:
        raise ValueError(f"field 'framework': {framework_id!r} is not a known framework ({', '.join(frameworks)})")
    try:
        criterion = int(_cell(row, "criterion") or "")
    except ValueError:
        raise ValueError(f"field 'criterion': {_cell(row, 'criterion')!r} is not a number") from None
    if criterion not in {c.number for c in framework.criteria}:
        raise ValueError(f"field 'criterion': {framework_id} has no criterion {criterion}")
    indicator_id = _cell(row, "indicator") or ""
    match = INDICATOR_ID.match(indicator_id)
    if match is None or int(match[1]) != criterion:
        raise ValueError(f"field 'indicator': {indicator_id!r} is not '{criterion}.<n>' (an indicator of criterion)")
    comparison = _COMPARISONS.get((_cell(row, "comparison") or "").lower())
    if comparison is None:
        raise ValueError(f"field 'comparison': {_cell(row, 'comparison')!r} is not one of {', '.join(_COMPARISONS)}")
    thresholds = []
    for group in NTM_GROUPS:
        try:
            threshold = _threshold(comparison, _cell(row, f"group{group}"))
        except ValueError as exc:
            raise ValueError(f"field 'group{group}': {exc}") from None
        if threshold is not None:
            thresholds.append((group, threshold))
    return framework_id, IndicatorDefinition(
        criterion=criterion,
        indicator_id=indicator_id,
        name_vi=_cell(row, "name_vi") or "",
        name_en=_cell(row, "name_en") or "",
        unit=_cell(row, "unit"),
        thresholds=tuple(thresholds),
        source_act=_cell(row, "source_act") or "",
    )


def _csv_rows(name: str, text: str) -> list[tuple[str, dict]]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    unknown = sorted(set(header) - set(COLUMNS))
    missing = [c for c in COLUMNS if c not in header]
    if unknown or missing:
        raise InputError(
            f"indicator set file {name}, row 1 (header): columns must be {', '.join(COLUMNS)}"
            + (f"; missing {', '.join(missing)}" if missing else "")
            + (f"; unknown {', '.join(unknown)}" if unknown else "")
        )
    reader.fieldnames = header
    return [(f"row {reader.line_num}", row) for row in reader if any((v or "").strip() for v in row.values())]


def _toml_rows(name: str, text: str) -> list[tuple[str, dict]]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"indicator set file {name} is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - {"framework", "source_act", "indicators"})
    entries = data.get("indicators")
    if unknown or not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise InputError(
            f"indicator set file {name}: top-level fields are framework, source_act and [[indicators]] tables"
            + (f"; unknown {', '.join(unknown)}" if unknown else "")
        )
    defaults = {key: data[key] for key in ("framework", "source_act") if key in data}
    rows = []
    for number, entry in enumerate(entries, start=1):
        extra = sorted(set(entry) - set(COLUMNS))
        if extra:
            raise InputError(
                f"indicator set file {name}, indicators entry {number}: unknown field(s) {', '.join(extra)}"
            )
        rows.append((f"indicators entry {number}", defaults | entry))
    return rows


def parse_indicator_set(name: str, text: str, frameworks: Mapping[str, Framework] | None = None) -> IndicatorSet:
    """The indicator set of the file ``name`` (``.toml`` or ``.csv``) with content ``text``;
    InputError naming the file, the row and the field when anything does not fit: an unknown
    framework or criterion, an indicator id not of its criterion, a bad comparison or threshold, an
    indicator twice, or rows of more than one framework."""
    known = all_frameworks() if frameworks is None else frameworks
    text = unicodedata.normalize("NFC", text.removeprefix("\ufeff"))
    suffix = Path(name).suffix.lower()
    if suffix not in (".csv", ".toml"):
        raise InputError(f"indicator set file {name}: must be a .csv or .toml file")
    rows = _csv_rows(name, text) if suffix == ".csv" else _toml_rows(name, text)
    if not rows:
        raise InputError(f"indicator set file {name}: no indicator rows")
    first: str | None = None
    seen: dict[str, str] = {}
    found = []
    for where, row in rows:
        try:
            framework_id, definition = _definition(row, known)
        except ValueError as exc:
            raise InputError(f"indicator set file {name}, {where}: {exc}") from None
        first = first or framework_id
        if framework_id != first:
            raise InputError(
                f"indicator set file {name}, {where}, field 'framework': {framework_id} differs from {first}; "
                "a set is of one framework, the same on every row"
            )
        if definition.indicator_id in seen:
            raise InputError(
                f"indicator set file {name}, {where}, field 'indicator': {definition.indicator_id} is already "
                f"given in {seen[definition.indicator_id]}"
            )
        seen[definition.indicator_id] = where
        found.append(definition)
    return IndicatorSet(first or "", nfc(Path(name).name) or name, tuple(found))


def import_indicator_set(store: Store, name: str, text: str, actor: str | None = None) -> IndicatorSet:
    """Validate the indicator set file ``name`` (content ``text``) and store it with its file name
    and ``actor``; the stored set (with its id) is returned. Nothing is stored when it does not fit."""
    parsed = parse_indicator_set(name, text)
    set_id = store.add_indicator_set(parsed, actor)
    return next(s for s in store.indicator_sets(parsed.framework_id) if s.set_id == set_id)


@dataclass(frozen=True)
class ThresholdBook:
    """The thresholds of stored indicator sets, by framework, indicator and commune group. A set
    loaded later takes the place of an earlier one for the indicators it gives."""

    sets: tuple[IndicatorSet, ...]

    def definition(self, framework_id: str, indicator_id: str) -> IndicatorDefinition | None:
        """The indicator as the latest set of ``framework_id`` giving it defines it, or None."""
        for indicator_set in reversed(self.sets):
            if indicator_set.framework_id == framework_id:
                for definition in indicator_set.indicators:
                    if definition.indicator_id == indicator_id:
                        return definition
        return None

    def threshold(self, framework_id: str, indicator_id: str, group: int | None) -> Threshold | None:
        """The threshold of the indicator for commune ``group`` (1, 2 or 3); None when no set gives
        one or the group is not known."""
        definition = self.definition(framework_id, indicator_id)
        return definition.threshold(group) if definition is not None and group is not None else None

    def verdict(self, status: IndicatorStatus, group: int | None) -> Verdict:
        """The verdict on a reported indicator of a commune of ``group`` (None: not known)."""
        definition = self.definition(status.framework_id, status.indicator_id)
        if definition is None or group is None:
            return "unknown"
        if definition.unit and status.value_unit and definition.unit.casefold() != status.value_unit.casefold():
            return "unknown"  # a value in another unit is not converted
        return verdict(definition.threshold(group), value=status.value, met=status.met)


def threshold_book(sets: Iterable[IndicatorSet]) -> ThresholdBook:
    """The lookup over ``sets`` (in the order they were stored)."""
    return ThresholdBook(tuple(sorted(sets, key=lambda s: s.set_id or 0)))


def verdict(threshold: Threshold | None, value: float | None = None, met: bool | None = None) -> Verdict:
    """ "met" or "unmet" for a reported ``value`` (or, for a yes/no indicator, a reported ``met``)
    against ``threshold``; "unknown" when there is no threshold or nothing to judge."""
    if threshold is None:
        return "unknown"
    if threshold.comparison is Comparison.YES_NO:
        return "unknown" if met is None else "met" if met else "unmet"
    if value is None or threshold.value is None:
        return "unknown"
    ok = {
        Comparison.AT_LEAST: value >= threshold.value,
        Comparison.AT_MOST: value <= threshold.value,
        Comparison.EQUAL: math.isclose(value, threshold.value, rel_tol=1e-9, abs_tol=1e-9),
    }[threshold.comparison]
    return "met" if ok else "unmet"


def set_record(indicator_set: IndicatorSet) -> dict:
    """An indicator set as JSON: its framework, source file, who loaded it and when, and each
    indicator with its thresholds per group ("1": {"comparison": ">=", "value": 90})."""
    return {
        "set_id": indicator_set.set_id,
        "framework": indicator_set.framework_id,
        "source_file": indicator_set.source_file,
        "imported_at": indicator_set.imported_at.isoformat() if indicator_set.imported_at else None,
        "actor": indicator_set.actor,
        "indicators": [definition_record(d) for d in indicator_set.indicators],
    }
