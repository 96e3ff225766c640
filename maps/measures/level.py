"""``level``: the NTM level a commune is recognised at by a decision, kept apart from "all criteria
met, not recognised" and "not yet"; and the change of the level reached between years (up, same,
down).

Not carried to other boundaries: a recognition decision is about the unit it names, and a unit
of other boundaries has none of its own (``criteria_met`` is carried)."""

from __future__ import annotations

from typing import ClassVar

from geo_ntm.domain import LEVEL_ORDER
from maps.commune import Commune
from maps.measures.change import Changing

_RANK: dict[str | None, int] = {None: 0, **{level: i + 1 for i, level in enumerate(LEVEL_ORDER)}}
MET_NOT_RECOGNISED, NOT_YET = "met_not_recognised", "not_reached"


class Level(Changing):
    """Recognised hiện đại (2026-2030), kiểu mẫu, nâng cao, NTM (highest first), then all criteria met but not
    recognised, then not yet."""

    name: ClassVar[str] = "level"
    kind: ClassVar[str] = "level"
    group: ClassVar[str] = "group_assessment"
    #: Sequential ColorBrewer YlGn for the recognised levels; orange for met but not recognised.
    fills: ClassVar[dict[str, str]] = {
        "recognised_ntm_hien_dai": "#004529",  # 2026-2030 (QĐ 51), nested in ntm only
        "recognised_ntm_kieu_mau": "#005a32",
        "recognised_ntm_nang_cao": "#41ab5d",
        "recognised_ntm": "#addd8e",
        MET_NOT_RECOGNISED: "#fe9929",
        NOT_YET: "#ffffcc",
    }
    #: Diverging ColorBrewer PRGn (colour-blind safe).
    change_fills: ClassVar[dict[str, str]] = {"up": "#1b7837", "same": "#f7f7f7", "down": "#762a83"}
    carried_by: ClassVar[tuple[str, ...]] = ()

    def fixed_key(self, c: Commune) -> str:
        """The level recognised; else all criteria met (not recognised at that level); else not yet."""
        if c.recognised_level:
            return f"recognised_{c.recognised_level}"
        return MET_NOT_RECOGNISED if c.met_not_recognised else NOT_YET

    def change_key(self, c: Commune) -> str:
        step = _RANK[c.level] - _RANK[c.before_level]
        return "up" if step > 0 else "down" if step < 0 else "same"
