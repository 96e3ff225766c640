"""Indicators that infrastructure layers measure, and their thresholds per framework.

Shipped data: ``thresholds/*.toml`` (``[[indicator]]`` and ``[[threshold]]`` entries). A user
file (setting ``GEO_NTM_THRESHOLDS``) in the same format adds ``[[threshold]]`` entries or
overrides shipped ones, each with its ``source``; an entry may be scoped to a province
(``province = "<code>"``), and wins over the ``region = "all"`` value for that province's
communes. A threshold no source gives is unknown, never guessed."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import numpy as np

from geo_ntm.data_files import shipped_toml
from geo_ntm.domain import HARDENED, ROAD_CLASSES, SEALED
from geo_ntm.errors import InputError
from geo_ntm.frameworks import all_frameworks

_SURFACE_SETS = {"sealed": SEALED, "hardened": HARDENED}
_THRESHOLD_KEYS = {"framework", "indicator", "region", "province", "value", "source", "status", "note"}


@dataclass(frozen=True)
class Indicator:
    """An indicator and the coverage topic computing it; road indicators name the classes and
    surfaces whose share they are."""

    indicator_id: str  # e.g. "2.1"
    topic: str  # the coverage topic that computes it (key "measure" of the TOML files): roads, water ...
    name_vi: str
    name_en: str
    classes: tuple[str, ...] = ()
    surfaces: frozenset[str] = frozenset()
    note: str = ""

    @property
    def column(self) -> str:
        """The prefix of its columns: ``ind_2_1``."""
        return "ind_" + self.indicator_id.replace(".", "_")


@dataclass(frozen=True)
class Threshold:
    """The share an indicator must reach in a framework; ``value`` None means unknown."""

    framework_id: str
    indicator_id: str
    value: float | None
    source: str
    region: str = "all"
    province: str | None = None  # a province code: this province's own value


@dataclass(frozen=True)
class Thresholds:
    """Indicators and thresholds: the shipped ones, with a user file's on top."""

    indicators: dict[str, Indicator]
    entries: dict[tuple[str, str, str | None], Threshold]  # (framework, indicator, province or None)

    def of_topic(self, topic: str) -> list[Indicator]:
        return [i for i in self.indicators.values() if i.topic == topic]

    def lookup(self, framework_id: str | None, indicator_id: str, province: str | None = None) -> Threshold:
        """The province's own threshold, else the one for every region, else unknown."""
        key = (framework_id or "", indicator_id)
        return (
            self.entries.get((*key, province))
            or self.entries.get((*key, None))
            or Threshold(*key, None, "no threshold recorded for this framework")
        )

    def columns(
        self,
        indicator: Indicator,
        framework_id: str | None,
        provinces,
        values: np.ndarray,
        unknown_share: np.ndarray | None = None,
    ) -> dict[str, np.ndarray]:
        """``<ind>_value``, ``_threshold``, ``_source`` and ``_verdict`` of one indicator for rows
        whose province codes are ``provinces``."""
        provinces = np.asarray(provinces, dtype=object)
        unknown_share = np.zeros(len(values)) if unknown_share is None else unknown_share
        found = {p: self.lookup(framework_id, indicator.indicator_id, p) for p in set(provinces)}
        limits = [found[p].value for p in provinces]
        return {
            f"{indicator.column}_value": values,
            f"{indicator.column}_threshold": np.array([np.nan if v is None else v for v in limits], dtype=float),
            f"{indicator.column}_source": np.array([found[p].source for p in provinces], dtype=object),
            f"{indicator.column}_verdict": np.array(
                [verdict(v, u, lim) for v, u, lim in zip(values, unknown_share, limits, strict=True)], dtype=object
            ),
        }


def _entries(data: dict, file_name: str, user: bool, indicators: dict[str, Indicator]) -> dict:
    found, frameworks = {}, all_frameworks()
    for n, d in enumerate(data.get("threshold", []), start=1):
        where = (
            f"thresholds file {file_name}, [[threshold]] entry {n} "
            f"(framework {d.get('framework')!r}, indicator {d.get('indicator')!r})"
        )
        try:
            unexpected = set(d) - _THRESHOLD_KEYS
            if unexpected:
                raise ValueError(f"unexpected key(s) {sorted(unexpected)}; allowed: {sorted(_THRESHOLD_KEYS)}")
            if d.get("status", "unknown") != "unknown":
                raise ValueError(f'status {d["status"]!r}: the only status is "unknown" (else give a value)')
            known = "status" not in d
            if str(d["framework"]) not in frameworks:
                raise ValueError(f"unknown framework; known: {', '.join(frameworks)}")
            if d["indicator"] not in indicators:
                raise ValueError(f"unknown indicator; known: {', '.join(indicators)}")
            if user and not str(d.get("source", "")).strip():
                raise ValueError("every threshold of a user file needs its source (the decision that sets it)")
            value = float(d["value"]) if known else None
            if value is not None and not 0 <= value <= 1:
                raise ValueError(f"value {value} is not a share between 0 and 1")
            province = d.get("province")
            if province is not None and not isinstance(province, str):
                raise ValueError(f'province {province!r} must be a code in quotes, e.g. province = "811"')
            region = d.get("region", "all")
            if region != "all" and province is None:
                raise ValueError(f'region {region!r}: only region = "all" or a province = "<code>" is supported')
            source = d["source"] if known or user else d.get("note", "unknown")
            found[(str(d["framework"]), d["indicator"], province)] = Threshold(
                str(d["framework"]), d["indicator"], value, source, region, province
            )
        except (KeyError, ValueError, TypeError) as exc:
            problem = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
            raise InputError(f"{where} is malformed: {problem}") from exc
    return found


def _indicator(d: dict) -> Indicator:
    roads = "classes" in d
    if roads and set(d["classes"]) - set(ROAD_CLASSES):
        raise ValueError(f"unknown road class in {d['classes']}")
    return Indicator(
        d["id"],
        d["measure"],
        d["name_vi"],
        d["name_en"],
        tuple(d.get("classes", ())),
        _SURFACE_SETS[d["surfaces"]] if roads else frozenset(),
        d.get("note", ""),
    )


@cache
def _shipped() -> Thresholds:
    indicators, entries = {}, {}
    data = dict(shipped_toml(__package__, "thresholds"))
    for name, content in data.items():
        try:
            indicators.update({d["id"]: _indicator(d) for d in content.get("indicator", [])})
        except (KeyError, ValueError, TypeError) as exc:
            raise InputError(f"thresholds file {name} is malformed: {exc!r}") from exc
    for name, content in data.items():
        entries.update(_entries(content, name, False, indicators))
    return Thresholds(indicators, entries)


@lru_cache(maxsize=8)
def _with_user_file(path: Path, version: tuple[int, int]) -> Thresholds:
    shipped = _shipped()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"cannot read the thresholds file {path} (GEO_NTM_THRESHOLDS): {exc}") from exc
    extra = set(data) - {"threshold"}
    if extra:
        raise InputError(f"thresholds file {path} holds {sorted(extra)}; a user file holds [[threshold]] entries only")
    return Thresholds(shipped.indicators, {**shipped.entries, **_entries(data, str(path), True, shipped.indicators)})


def load_thresholds(user_file: str | Path | None = None) -> Thresholds:
    """The shipped thresholds, with those of ``user_file`` (the ``GEO_NTM_THRESHOLDS`` setting)
    on top; the file is read again when it changes."""
    if user_file is None:
        return _shipped()
    path = Path(user_file)
    try:
        stat = path.stat()
    except OSError as exc:
        raise InputError(f"the thresholds file {path} (GEO_NTM_THRESHOLDS) cannot be read: {exc.strerror}") from exc
    return _with_user_file(path.resolve(), (stat.st_mtime_ns, stat.st_size))


def indicators() -> dict[str, Indicator]:
    """The indicators geo_ntm computes, by id."""
    return _shipped().indicators


def threshold(framework_id: str | None, indicator_id: str, province: str | None = None) -> Threshold:
    """The shipped threshold of an indicator in a framework (value None when no source gives it)."""
    return _shipped().lookup(framework_id, indicator_id, province)


def verdict(share: float, unknown_share: float, limit: float | None) -> str:
    """``met``, ``not_met``, ``unknown`` (no threshold, or data of unknown quality, e.g. roads of
    unknown surface, could change the answer) or ``no_data`` (nothing to take a share of)."""
    if share != share:  # NaN: nothing measured
        return "no_data"
    if limit is None:
        return "unknown"
    if share >= limit - 1e-9:
        return "met"
    return "not_met" if share + unknown_share < limit - 1e-9 else "unknown"
