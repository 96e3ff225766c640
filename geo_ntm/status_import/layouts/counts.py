"""The counts layout: one row per commune and year with the number of criteria met and the
recognition decision, without criterion detail. A recognised row without a count is a recognition
alone (reports list recognitions that way)."""

from __future__ import annotations

from typing import ClassVar

from geo_ntm.domain import Framework, RecognitionKind
from geo_ntm.status_import.cells import (
    Counts,
    Recognised,
    RowCheck,
    parse_count,
    parse_date,
    parse_int,
    parse_recognized,
)
from geo_ntm.status_import.layouts.base import Cells, Header, Reported, StatusLayout, needed


class CountsLayout(StatusLayout):
    """Số tiêu chí đạt (criteria met, "16" or "16/19"), with an optional total, recognition and decision."""

    name = "counts"
    columns_hint = "Số tiêu chí đạt (criteria_met)"
    fields: ClassVar[dict[str, tuple[str, ...]]] = {
        "criteria_total": ("criteria total", "tong so tieu chi", "tong tieu chi", "tong so tc"),
        "recognized": ("recognized", "recognised", "cong nhan", "da cong nhan"),
        "decision": ("decision", "quyet dinh", "so quyet dinh", "so qd", "qd cong nhan"),
        "decision_date": ("decision date", "ngay quyet dinh", "ngay cong nhan", "ngay qd"),
    }

    def detect(self, header: Header) -> bool:
        """A criteria-met column (and no criterion detail: the layouts before this one take those)."""
        return "criteria_met" in header.fields

    def read(self, cells: Cells, framework: Framework | None, check: RowCheck) -> Reported:
        """The counts; the total is the total column, else the "16/19" form, else the framework's.
        Criteria met must lie between 0 and the total. A recognised row also reports the decision;
        a recognised row with no count reports the decision alone."""
        framework = needed(framework)
        recognized = cells.parse(check, "recognized", parse_recognized)
        decision_date = cells.parse(check, "decision_date", parse_date)
        recognition = (
            Recognised(RecognitionKind.RECOGNISED, cells.get("decision"), decision_date) if recognized else None
        )
        met_label, met_text = cells.label("criteria_met"), cells.get("criteria_met")
        if met_text is None and recognition is not None:
            return Reported(recognition=recognition) if not check.issues else Reported()
        met, stated_total = check.parse(met_label, met_text, parse_count) or (None, None)
        total_text = cells.get("criteria_total")
        if total_text:
            total = cells.parse(check, "criteria_total", parse_int)
        elif stated_total is None and not framework.criteria_known:
            check.fail(
                met_label,
                met_text,
                f"needs a total ('16/19' or a total column): the criteria of {framework.framework_id} "
                "are not known from a cited source",
            )
            total = None
        else:
            total = framework.criteria_total if stated_total is None else stated_total
        if total is not None and total < 1:  # "0/0": a count of nothing
            label, text = (cells.label("criteria_total"), total_text) if total_text else (met_label, met_text)
            check.fail(label, text, "has a criteria total below 1; a commune is assessed on at least one criterion")
            total = None
        if met is not None and total is not None and not 0 <= met <= total:
            check.fail(met_label, met_text, f"must be between 0 and the criteria total ({total})")
        if met is None:  # the row is invalid (``check`` says why) and what it reports is not used
            return Reported()
        counts = Counts(met, total, bool(recognized), cells.get("decision"), decision_date)
        return Reported(counts=counts, recognition=recognition)
