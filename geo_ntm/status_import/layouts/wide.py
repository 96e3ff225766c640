"""The wide layout: one row per commune and year, one column per criterion (TC1..TC19) or
indicator (TC17.1, TC 19.2, Chỉ tiêu 17.1)."""

from __future__ import annotations

from geo_ntm.domain import Framework
from geo_ntm.status_import.cells import (
    CriterionValue,
    IndicatorValue,
    Issue,
    RowCheck,
    SheetRow,
    has_criterion,
    not_a_criterion,
    parse_count,
    parse_indicator_value,
    parse_status,
)
from geo_ntm.status_import.layouts.base import Cells, Header, Reported, StatusLayout, needed


class WideLayout(StatusLayout):
    """Criterion columns (TC1, Tiêu chí 2 ...), each holding the status, and indicator columns
    (TC17.1, Chỉ tiêu 17.1 (%)), each holding the status or a value; empty cells are not reported."""

    name = "wide"
    columns_hint = "TC1..TC19 (or TC17.1 indicator) columns"

    def detect(self, header: Header) -> bool:
        """At least one criterion or indicator column."""
        return bool(header.criteria or header.indicators)

    def read(self, cells: Cells, framework: Framework | None, check: RowCheck) -> Reported:
        """The filled-in criterion columns; a column the framework has no criterion for is a problem."""
        framework = needed(framework)
        values = []
        for number, col in sorted(cells.header.criteria.items()):
            label, text = cells.header.column_label(col), cells.at(col)
            if text is None:
                continue  # not reported
            if not has_criterion(framework, number):
                check.fail(label, None, not_a_criterion(framework))
                continue
            met = check.parse(label, text, parse_status)
            if met is not None:
                values.append(CriterionValue(number, met, label))
        indicators = []
        for indicator_id, (col, number, unit) in sorted(cells.header.indicators.items()):
            label, text = cells.header.column_label(col), cells.at(col)
            if text is None:
                continue
            if not has_criterion(framework, number):
                check.fail(label, None, not_a_criterion(framework))
                continue
            parsed = check.parse(label, text, parse_indicator_value, unit)
            if parsed is not None:
                met, value, value_unit = parsed
                indicators.append(IndicatorValue(indicator_id, number, met, value, value_unit, label))
        return Reported(values=tuple(values), indicators=tuple(indicators))

    def validate(self, row: SheetRow, cells: Cells) -> list[Issue]:
        """A warning when no criterion column is filled in, or when the criteria-met column (if
        any) disagrees with the criteria met in the row: people often keep that total by hand."""
        if not (row.values or row.indicators):
            return [Issue(row.row, "no criterion or indicator column is filled in", place=row.place)]
        text = cells.get("criteria_met")
        if not row.values:
            return []  # indicators only: nothing to count
        met = sum(v.met for v in row.values)
        try:
            agrees = text is None or parse_count(text)[0] == met
        except ValueError:
            agrees = False
        if agrees:
            return []
        label = cells.label("criteria_met")
        return [
            Issue(
                row.row,
                f"{label} says {text} but {met} of the {len(row.values)} criterion columns filled in are met",
                label,
                text,
                row.place,
            )
        ]
