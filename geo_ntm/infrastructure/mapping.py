"""Attribute mapping tables (data files in ``mappings/``): which source column and value means
which road class, surface or facility kind. Values a table does not know become ``unknown``
and are reported with their counts; ``exclude`` values (not roads) are dropped and counted."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cache

import pandas as pd

from geo_ntm.data_files import shipped_toml
from geo_ntm.domain import ROAD_CLASSES, SURFACES
from geo_ntm.errors import InputError, NotFoundError
from geo_ntm.text import fold, nfc

#: Targets each section may map to.
_TARGETS = {"class": ROAD_CLASSES, "surface": SURFACES, "kind": None}  # kinds are open-ended
_OSM_PAIR = re.compile(r'"((?:[^"\\]|\\.)*)"=>"((?:[^"\\]|\\.)*)"')


def _field_key(name: str) -> str:
    return fold(name).replace(" ", "")


@dataclass(frozen=True)
class Section:
    """One attribute of a mapping: the columns that may hold it and the value table."""

    fields: tuple[str, ...]
    values: dict[str, str]  # NFC casefolded source value -> target
    folded: dict[str, str]  # tone-insensitive source value -> target (fallback)
    exclude: frozenset[str] = frozenset()

    def find_column(self, columns) -> str | None:
        """The first column of ``columns`` named like one of ``fields`` (tone/case/space-insensitive)."""
        by_key = {_field_key(c): c for c in columns}
        return next((by_key[_field_key(f)] for f in self.fields if _field_key(f) in by_key), None)

    def lookup(self, value) -> str | None:
        """Target of one source value; None when unknown; ``"exclude"`` for excluded values."""
        text = nfc(value)
        if text is None:
            return None
        key = text.casefold()
        if key in self.exclude:
            return "exclude"
        return self.values.get(key) or self.folded.get(fold(text))


@dataclass(frozen=True)
class Mapping:
    name: str
    title: str
    sections: dict[str, Section]


@dataclass
class MappedColumn:
    """The result of mapping one attribute of a layer."""

    values: pd.Series  # target per feature ("unknown" where not known)
    column: str | None  # the source column used
    unknown: dict[str, int] = field(default_factory=dict)  # unknown source value -> count
    missing: int = 0  # features with no value
    excluded: pd.Series | None = None  # True for features to drop

    def report(self) -> dict:
        return {
            "column": self.column,
            "unknown_values": self.unknown,
            "missing": self.missing,
            "excluded": int(self.excluded.sum()) if self.excluded is not None else 0,
        }


def _parse(file_name: str, data: dict) -> Mapping:
    try:
        sections = {}
        for key, allowed in _TARGETS.items():
            if key not in data:
                continue
            raw = {(nfc(k) or "").casefold(): v for k, v in data[key]["values"].items()}
            bad = sorted({v for v in raw.values() if allowed is not None and v not in allowed})
            if bad:
                raise InputError(f"mapping {file_name}: [{key}] maps to unknown target(s) {bad}; allowed: {allowed}")
            sections[key] = Section(
                tuple(data[key]["fields"]),
                raw,
                {fold(k): v for k, v in raw.items()},
                frozenset((nfc(v) or "").casefold() for v in data[key].get("exclude", ())),
            )
        return Mapping(data["name"], data.get("title", data["name"]), sections)
    except (KeyError, TypeError) as exc:
        raise InputError(f"mapping file {file_name} is malformed: {exc!r}") from exc


@cache
def all_mappings() -> dict[str, Mapping]:
    """Every shipped mapping, keyed by name."""
    mappings = (_parse(name, data) for name, data in shipped_toml(__package__, "mappings"))
    return {m.name: m for m in mappings}


def get_mapping(name: str) -> Mapping:
    try:
        return all_mappings()[name]
    except KeyError:
        raise NotFoundError(f"unknown mapping {name!r}; known: {', '.join(all_mappings())}") from None


def choose_mapping(columns, section: str, name: str | None = None) -> Mapping:
    """The mapping named, else the first shipped one with a column for ``section``."""
    if name:
        return get_mapping(name)
    for m in all_mappings().values():
        if section in m.sections and m.sections[section].find_column(columns):
            return m
    wanted = sorted({f for m in all_mappings().values() if section in m.sections for f in m.sections[section].fields})
    raise InputError(
        f"no column tells the {section} of the features; columns are {list(columns)}; "
        f"expected one of {wanted} (or pass --mapping)"
    )


def expand_osm_tags(frame: pd.DataFrame, keys) -> pd.DataFrame:
    """Copy OSM keys found only inside GDAL's ``other_tags`` ("k"=>"v",...) into columns."""
    if "other_tags" not in frame.columns:
        return frame
    wanted = [k for k in keys if k not in frame.columns]
    if not wanted:
        return frame
    tags = frame["other_tags"].map(lambda s: dict(_OSM_PAIR.findall(s)) if isinstance(s, str) else {})
    return frame.assign(**{k: tags.map(lambda d, k=k: d.get(k)) for k in wanted})


def map_column(frame: pd.DataFrame, mapping: Mapping, section: str) -> MappedColumn:
    """Map the ``section`` attribute of every feature; unknown values are counted, never guessed."""
    sec = mapping.sections.get(section)
    column = sec.find_column(frame.columns) if sec else None
    if sec is None or column is None:
        return MappedColumn(pd.Series("unknown", index=frame.index), None, missing=len(frame))
    source = frame[column]
    distinct = {v: sec.lookup(v) for v in source.dropna().unique()}
    targets = source.map(lambda v: distinct.get(v) if v == v and v is not None else None)
    missing = source.isna() | source.map(lambda v: nfc(v) is None)
    unknown_mask = targets.isna() & ~missing
    unknown = Counter(text for v in source[unknown_mask] if (text := nfc(v)))  # never None: not missing
    excluded = targets == "exclude"
    values = targets.where(targets.notna() & ~excluded, "unknown")
    return MappedColumn(values, column, dict(unknown.most_common()), int(missing.sum()), excluded)
