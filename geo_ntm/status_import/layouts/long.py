"""The long layout: one row per commune, year and criterion, with its status."""

from __future__ import annotations

from typing import ClassVar

from geo_ntm.domain import Framework
from geo_ntm.status_import.cells import CriterionValue, RowCheck, parse_criterion, parse_status
from geo_ntm.status_import.layouts.base import Cells, Header, Reported, StatusLayout, needed


class LongLayout(StatusLayout):
    """Columns Tiêu chí (criterion) and Tình trạng (status): one criterion per row."""

    name = "long"
    columns_hint = "Tiêu chí + Tình trạng (criterion + status)"
    fields: ClassVar[dict[str, tuple[str, ...]]] = {
        "criterion": ("criterion", "tieu chi", "tieu chi so", "so tieu chi"),
        "status": ("status", "result", "tinh trang", "ket qua", "danh gia"),
    }

    def detect(self, header: Header) -> bool:
        """A criterion column and a status column."""
        return "criterion" in header.fields and "status" in header.fields

    def read(self, cells: Cells, framework: Framework | None, check: RowCheck) -> Reported:
        """The row's one criterion and whether it is met; nothing once the row has a problem."""
        criterion = cells.parse(check, "criterion", parse_criterion, needed(framework))
        met = cells.parse(check, "status", parse_status)
        return Reported(values=(CriterionValue(criterion, met, cells.label("status")),) if not check.issues else ())
