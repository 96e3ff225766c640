"""Indicators that infrastructure layers measure, and their thresholds per framework (data files
in ``thresholds/``, each threshold with its source; a missing one is unknown, never guessed)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from geo_ntm.errors import InputError
from geo_ntm.infrastructure.model import HARDENED, ROAD_CLASSES, SEALED

_SURFACE_SETS = {"sealed": SEALED, "hardened": HARDENED}


@dataclass(frozen=True)
class Indicator:
    indicator_id: str  # e.g. "2.1"
    name_vi: str
    name_en: str
    classes: tuple[str, ...]
    surfaces: frozenset[str]
    note: str = ""


@dataclass(frozen=True)
class Threshold:
    """The share an indicator must reach in a framework; ``value`` None means unknown."""

    framework_id: str
    indicator_id: str
    value: float | None
    source: str
    region: str = "all"


@cache
def _load() -> tuple[dict[str, Indicator], dict[tuple[str, str], Threshold]]:
    indicators, thresholds = {}, {}
    for entry in sorted((resources.files(__package__) / "thresholds").iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".toml"):
            continue
        try:
            data = tomllib.loads(entry.read_text(encoding="utf-8"))
            for d in data.get("indicator", []):
                if set(d["classes"]) - set(ROAD_CLASSES):
                    raise InputError(f"thresholds file {entry.name}: unknown road class in {d['classes']}")
                indicators[d["id"]] = Indicator(d["id"], d["name_vi"], d["name_en"], tuple(d["classes"]),
                                                _SURFACE_SETS[d["surfaces"]], d.get("note", ""))
            for d in data.get("threshold", []):
                known = d.get("status") != "unknown"
                thresholds[(d["framework"], d["indicator"])] = Threshold(
                    d["framework"], d["indicator"], float(d["value"]) if known else None,
                    d["source"] if known else d.get("note", "unknown"), d.get("region", "all"))
        except (KeyError, ValueError, TypeError) as exc:
            raise InputError(f"thresholds file {entry.name} is malformed: {exc!r}") from exc
    return indicators, thresholds


def indicators() -> dict[str, Indicator]:
    """The indicators geo_ntm computes, by id."""
    return _load()[0]


def threshold(framework_id: str | None, indicator_id: str) -> Threshold:
    """The threshold of an indicator in a framework (value None when no source gives it)."""
    found = _load()[1].get((framework_id or "", indicator_id))
    return found or Threshold(framework_id or "", indicator_id, None, "no threshold recorded for this framework")


def verdict(share: float, unknown_share: float, limit: float | None) -> str:
    """``met``, ``not_met``, ``unknown`` (no threshold, or roads of unknown surface could change
    the answer) or ``no_data`` (no road of the class)."""
    if share != share:  # NaN: no km of the class
        return "no_data"
    if limit is None:
        return "unknown"
    if share >= limit - 1e-9:
        return "met"
    return "not_met" if share + unknown_share < limit - 1e-9 else "unknown"
