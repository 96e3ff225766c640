"""The status layouts, in the order they are tried on a header row (see ``StatusLayout``).

The first layout whose ``detect`` accepts a header wins, so a layout whose columns another one
also has comes first: a wide table may carry a criteria-met column too, and a counts table a
decision column."""

from __future__ import annotations

from geo_ntm.status_import.layouts.base import Header, StatusLayout
from geo_ntm.status_import.layouts.counts import CountsLayout
from geo_ntm.status_import.layouts.long import LongLayout
from geo_ntm.status_import.layouts.recognitions import RecognitionsLayout
from geo_ntm.status_import.layouts.wide import WideLayout

#: The registry: every layout the reader knows, in the order of detection.
LAYOUTS: list[StatusLayout] = [WideLayout(), LongLayout(), CountsLayout(), RecognitionsLayout()]


def detect_layout(header: Header) -> StatusLayout | None:
    """The first registered layout that accepts ``header``, if any."""
    return next((layout for layout in LAYOUTS if layout.detect(header)), None)


def layout_fields() -> dict[str, tuple[str, ...]]:
    """The columns of all registered layouts: canonical field -> folded header names (the names of
    a field two layouts read are those of both)."""
    fields: dict[str, tuple[str, ...]] = {}
    for layout in LAYOUTS:
        for name, aliases in layout.fields.items():
            fields[name] = tuple(dict.fromkeys(fields.get(name, ()) + aliases))
    return fields


def columns_hint() -> str:
    """The columns that make a header of some layout: "either A, B, or C"."""
    hints = [layout.columns_hint for layout in LAYOUTS]
    return "either " + ", ".join(hints[:-1]) + ", or " + hints[-1] if len(hints) > 1 else hints[0]
