"""``share``: the share of a new unit in old communes at the level, from an assessment carried to
other boundaries by a share rule (``geo_ntm.carry``); the planners' quarters or a numeric scheme."""

from __future__ import annotations

from typing import ClassVar

from maps.commune import Commune
from maps.measures.base import NO_DATA, SCHEMES, Measure

_FLOORS = (100, 75, 50, 25, 0)  # percent, the lower bound of each class


class Share(Measure):
    """All, 75–100%, 50–75%, 25–50%, below 25%."""

    name: ClassVar[str] = "share"
    kind: ClassVar[str] = "share"
    group: ClassVar[str] = "group_assessment"
    unit: ClassVar[str] = "share"
    schemes: ClassVar[tuple[str, ...]] = SCHEMES
    #: Sequential ColorBrewer YlGn.
    fills: ClassVar[dict[str, str]] = {
        "share_100": "#006837",
        "share_75": "#31a354",
        "share_50": "#78c679",
        "share_25": "#c2e699",
        "share_0": "#ffffcc",
    }
    carried_by: ClassVar[tuple[str, ...]] = ("share_area", "share_population")
    needs_carry: ClassVar[bool] = True

    @classmethod
    def hint(cls, criteria_total: int) -> str:
        return "share (of a carried assessment)"

    def value(self, c: Commune) -> float | None:
        return c.share

    def classed_value(self, c: Commune) -> float | None:
        return c.share if c.share_known else None

    def fixed_key(self, c: Commune) -> str:
        if c.share is None or not c.share_known:
            return NO_DATA
        return quarter(c.share)


def quarter(share: float) -> str:
    """The class of ``share`` among ``Share.fills``: all, 75–100%, 50–75%, 25–50%, below 25%."""
    return next(f"share_{floor}" for floor in _FLOORS if share * 100 >= floor - 1e-9)
