"""The long layout: one row per commune, year and criterion (or indicator), with its status."""

from __future__ import annotations

from typing import ClassVar

from geo_ntm.domain import Framework
from geo_ntm.status_import.cells import (
    CriterionValue,
    IndicatorValue,
    RowCheck,
    has_criterion,
    indicator_label,
    not_a_criterion,
    parse_criterion,
    parse_indicator_value,
    parse_status,
)
from geo_ntm.status_import.layouts.base import Cells, Header, Reported, StatusLayout, needed


class LongLayout(StatusLayout):
    """Columns Tiêu chí (criterion) and Tình trạng (status): one criterion per row, or one
    indicator ("17.1", "TC17.1", "Chỉ tiêu 17.1") whose status cell holds the status or a value
    with its unit; an optional unit column (Đơn vị tính) gives the unit of a bare number."""

    name = "long"
    columns_hint = "Tiêu chí + Tình trạng (criterion + status)"
    fields: ClassVar[dict[str, tuple[str, ...]]] = {
        "criterion": ("criterion", "tieu chi", "tieu chi so", "so tieu chi", "tieu chi chi tieu"),
        "status": ("status", "result", "tinh trang", "ket qua", "danh gia"),
        "unit": ("unit", "don vi tinh", "dvt"),
    }

    def detect(self, header: Header) -> bool:
        """A criterion column and a status column."""
        return "criterion" in header.fields and "status" in header.fields

    def read(self, cells: Cells, framework: Framework | None, check: RowCheck) -> Reported:
        """The row's one criterion and whether it is met, or its indicator; nothing once the row
        has a problem. An indicator of a criterion the framework does not have is a problem."""
        framework = needed(framework)
        indicator = indicator_label(cells.get("criterion"), bare=True)
        if indicator is not None:
            number, indicator_id, unit = indicator
            if not has_criterion(framework, number):
                check.fail(cells.label("criterion"), cells.get("criterion"), not_a_criterion(framework))
            parsed = cells.parse(check, "status", parse_indicator_value, cells.get("unit") or unit)
            if check.issues or parsed is None:
                return Reported()
            met, value, unit = parsed
            return Reported(indicators=(IndicatorValue(indicator_id, number, met, value, unit, cells.label("status")),))
        criterion = cells.parse(check, "criterion", parse_criterion, framework)
        met = cells.parse(check, "status", parse_status)
        return Reported(values=(CriterionValue(criterion, met, cells.label("status")),) if not check.issues else ())
