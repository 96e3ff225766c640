"""The recognitions layout: one row per recognition decision, as reports list them: the unit, the
level, the decision's number and date, optionally the issuing body, the event (recognised,
re-recognised, revoked), the year it is for and the framework."""

from __future__ import annotations

from typing import ClassVar

from geo_ntm.domain import Framework
from geo_ntm.status_import.cells import Recognised, RowCheck, parse_date, parse_recognition_kind
from geo_ntm.status_import.layouts.base import Cells, Header, Reported, StatusLayout


class RecognitionsLayout(StatusLayout):
    """Quyết định (decision) and Ngày (its date) per unit and Mức đạt chuẩn (level), no criteria."""

    name = "recognitions"
    columns_hint = "Quyết định + Ngày (decision + decision_date)"
    fields: ClassVar[dict[str, tuple[str, ...]]] = {
        "decision": ("decision", "quyet dinh", "so quyet dinh", "so qd", "qd cong nhan"),
        "decision_date": ("decision date", "ngay", "ngay ban hanh", "ngay quyet dinh", "ngay cong nhan"),
        "issuing_body": ("issuing body", "issued by", "co quan ban hanh", "co quan quyet dinh", "noi ban hanh"),
        "event": ("event", "recognition event", "hinh thuc", "loai quyet dinh", "cong nhan thu hoi"),
    }
    optional: ClassVar[frozenset[str]] = frozenset({"year", "framework"})

    def detect(self, header: Header) -> bool:
        """A decision or decision-date column (and no counts or criteria: earlier layouts take those)."""
        return "decision" in header.fields or "decision_date" in header.fields

    def read(self, cells: Cells, framework: Framework | None, check: RowCheck) -> Reported:
        """The decision; without a year column, the year is the decision date's (which then must be
        given)."""
        kind = cells.parse(check, "event", parse_recognition_kind)
        decision_date = cells.parse(check, "decision_date", parse_date)
        year = None
        if "year" not in cells.header.fields:
            if decision_date is None and not check.issues:
                check.fail(
                    cells.label("decision_date"),
                    None,
                    "is empty; without a year column a recognition is "
                    "for the year of its decision, so give the date (or add a Năm / year column)",
                )
            year = decision_date.year if decision_date else None
        if check.issues or kind is None:
            return Reported()
        recognition = Recognised(kind, cells.get("decision"), decision_date, cells.get("issuing_body"))
        return Reported(recognition=recognition, year=year)
