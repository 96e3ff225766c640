"""Criteria frameworks: the national sets shipped with the package as TOML files, and a
province's own sets (2016-2020 nâng cao and kiểu mẫu sets were each province's) loaded from the
folder ``GEO_NTM_FRAMEWORKS_DIR``, both read into ``Framework``.

A file of the folder has the shipped schema plus ``province`` and ``source_act`` (see
docs/status-files.md#frameworks); it is validated with messages naming the file and the field, and
an id of a shipped set (or of another file) is refused. The folder is read again whenever a file in
it changes, so a set added over HTTP is seen by every process of the service."""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
import tomllib
import unicodedata
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from geo_ntm.data_files import shipped_toml
from geo_ntm.domain import LEVELS, AdminTier, Criterion, Framework, FrameworkIndicator, UnitType
from geo_ntm.errors import InputError, NotFoundError
from geo_ntm.settings import Settings, env_setting
from geo_ntm.text import nfc

#: Fields a framework file must have; a province's file also needs ``PROVINCIAL_FIELDS``.
REQUIRED_FIELDS = ("framework_id", "title_vi", "title_en", "legal_act", "applies_to", "years", "levels", "criteria")
PROVINCIAL_FIELDS = ("province", "source_act")
_OPTIONAL_FIELDS = (
    "act_date",
    "criteria_known",
    "note",
    "completion_types",
    "indicators",
    "indicators_complete",
    "indicators_to_load",
)
#: An indicator id: criterion number, a dot, the indicator's number ("2.1", "17.1").
INDICATOR_ID = re.compile(r"^(\d{1,2})\.(\d{1,2})$")
#: A framework id: lower-case ASCII letters, digits and underscores (it names the file too).
_FRAMEWORK_ID = re.compile(r"^[a-z][a-z0-9_]{1,62}$")


def _text(name: str, data: dict, key: str) -> str:
    value = data.get(key)
    text = nfc(value) if isinstance(value, str) else None
    if not text:
        raise InputError(f"framework file {name}: field {key!r} must be a non-empty text, not {value!r}")
    return text


def _years(name: str, data: dict) -> tuple[int, int]:
    years = data["years"]
    if not (isinstance(years, list) and len(years) == 2 and all(isinstance(y, int) for y in years)):
        raise InputError(
            f"framework file {name}: field 'years' must be [first, last], e.g. [2016, 2020], not {years!r}"
        )
    if not 2010 <= years[0] <= years[1] <= 2100:
        raise InputError(f"framework file {name}: field 'years' {years} is not a period between 2010 and 2100")
    return years[0], years[1]


def _criteria(name: str, data: dict) -> tuple[tuple[Criterion, ...], bool]:
    known = data.get("criteria_known", True)
    if not isinstance(known, bool):
        raise InputError(f"framework file {name}: field 'criteria_known' must be true or false, not {known!r}")
    rows = data["criteria"]
    try:
        criteria = tuple(Criterion(int(n), nfc(vi) or "", nfc(en) or "") for n, vi, en in rows)
    except (ValueError, TypeError) as exc:
        raise InputError(
            f"framework file {name}: field 'criteria' must list [number, name_vi, name_en] rows ({exc})"
        ) from None
    if known and not criteria:
        raise InputError(
            f"framework file {name}: field 'criteria' is empty; list the criteria or set criteria_known = false"
        )
    if not known and criteria:
        raise InputError(f"framework file {name}: field 'criteria' lists criteria but criteria_known = false")
    numbers = [c.number for c in criteria]
    if len(set(numbers)) != len(numbers) or any(n < 1 for n in numbers):
        raise InputError(f"framework file {name}: field 'criteria': numbers must be distinct and from 1: {numbers}")
    if any(not (c.name_vi and c.name_en) for c in criteria):
        raise InputError(
            f"framework file {name}: field 'criteria': every criterion needs a Vietnamese and English name"
        )
    return criteria, known


def _indicators(
    name: str, data: dict, criteria: tuple[Criterion, ...]
) -> tuple[tuple[FrameworkIndicator, ...], tuple[int, ...]]:
    """The indicators a file lists (``[id, name_vi, name_en]`` rows, each of a criterion of the set)
    and the criteria whose list is complete (each with at least one listed indicator)."""
    numbers = {c.number for c in criteria}
    found = []
    for entry in data.get("indicators", []):
        match = INDICATOR_ID.match(str(entry[0])) if isinstance(entry, list) and len(entry) == 3 else None
        if match is None or int(match[1]) not in numbers or not all(isinstance(t, str) and t for t in entry[1:]):
            raise InputError(
                f"framework file {name}: field 'indicators': {entry!r} is not [\"<criterion>.<n>\", name_vi, "
                "name_en] of a criterion of the set"
            )
        found.append(FrameworkIndicator(entry[0], int(match[1]), nfc(entry[1]) or "", nfc(entry[2]) or ""))
    ids = [i.indicator_id for i in found]
    if len(set(ids)) != len(ids):
        raise InputError(f"framework file {name}: field 'indicators' lists an indicator twice: {ids}")
    complete = data.get("indicators_complete", [])
    listed = {i.criterion for i in found}
    if not isinstance(complete, list) or not all(isinstance(n, int) and n in listed for n in complete):
        raise InputError(
            f"framework file {name}: field 'indicators_complete' must list criteria with listed indicators, "
            f"not {complete!r}"
        )
    return tuple(found), tuple(complete)


def _parse(name: str, data: dict[str, Any], *, provincial: bool = False) -> Framework:
    """The framework of one file; InputError naming the file and the field when it does not fit."""
    required = REQUIRED_FIELDS + (PROVINCIAL_FIELDS if provincial else ())
    missing = [key for key in required if key not in data]
    if missing:
        raise InputError(f"framework file {name}: field(s) {', '.join(missing)} missing")
    unknown = sorted(set(data) - set(required) - set(_OPTIONAL_FIELDS))
    if unknown:
        raise InputError(f"framework file {name}: unknown field(s) {', '.join(unknown)}")
    levels = data["levels"]
    if not (isinstance(levels, list) and levels and all(isinstance(lv, str) and lv in LEVELS for lv in levels)):
        raise InputError(f"framework file {name}: field 'levels' {levels!r} must list levels of {list(LEVELS)}")
    if sorted(levels, key=list(LEVELS).index) != levels or len(set(levels)) != len(levels):
        raise InputError(f"framework file {name}: field 'levels' must list each level once, lowest first")
    completion_types = data.get("completion_types", [])
    if not isinstance(completion_types, list):
        raise InputError(
            f"framework file {name}: field 'completion_types' must list unit types, not {completion_types!r}"
        )
    try:
        applies_to = AdminTier(data["applies_to"])
        completion = tuple(UnitType(t) for t in completion_types)
    except ValueError as exc:
        raise InputError(f"framework file {name}: {exc}") from None
    act_date = data.get("act_date")
    if act_date is not None and (not isinstance(act_date, dt.date) or isinstance(act_date, dt.datetime)):
        raise InputError(f"framework file {name}: field 'act_date' must be a date (2022-03-08), not {act_date!r}")
    criteria, known = _criteria(name, data)
    indicators, complete = _indicators(name, data, criteria)
    to_load = data.get("indicators_to_load", False)
    if not isinstance(to_load, bool) or (to_load and indicators):
        raise InputError(
            f"framework file {name}: field 'indicators_to_load' must be true or false, and true only when the "
            f"file lists no indicators (they come from an indicator set), not {to_load!r}"
        )
    framework_id = _text(name, data, "framework_id")
    if not _FRAMEWORK_ID.match(framework_id):
        raise InputError(
            f"framework file {name}: field 'framework_id' {framework_id!r} must be lower-case letters, digits "
            "and underscores, starting with a letter (e.g. dong_thap_nc_2018)"
        )
    return Framework(
        framework_id=framework_id,
        title_vi=_text(name, data, "title_vi"),
        title_en=_text(name, data, "title_en"),
        legal_act=_text(name, data, "legal_act"),
        applies_to=applies_to,
        years=_years(name, data),
        levels=tuple(levels),
        criteria=criteria,
        act_date=act_date,
        criteria_known=known,
        note=nfc(data.get("note")),
        completion_types=completion,
        province=_text(name, data, "province") if provincial else None,
        source_act=_text(name, data, "source_act") if provincial else None,
        indicators=indicators,
        indicators_complete=complete,
        indicators_to_load=to_load,
    )


@cache
def shipped_frameworks() -> dict[str, Framework]:
    """The national frameworks shipped with the package, keyed by id, in file-name order."""
    frameworks = (_parse(name, data) for name, data in shipped_toml(__package__))
    return {fw.framework_id: fw for fw in frameworks}


def parse_provincial(name: str, text: str, others: dict[str, Framework]) -> Framework:
    """A province's framework from the TOML ``text`` of the file ``name``; refused (InputError)
    when it does not fit the schema or its id is one of ``others`` (the shipped ones included)."""
    try:
        data = tomllib.loads(unicodedata.normalize("NFC", text))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"framework file {name} is not valid TOML: {exc}") from None
    framework = _parse(name, data, provincial=True)
    if framework.framework_id in shipped_frameworks():
        raise InputError(f"framework file {name}: framework_id {framework.framework_id!r} is a shipped framework's")
    if framework.framework_id in others:
        raise InputError(f"framework file {name}: framework_id {framework.framework_id!r} is already loaded")
    return framework


def provincial_stamp(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """What identifies the folder's content: each TOML file's name, modification time (ns) and size
    (the frameworks are read again when it changes; HTTP validators include it)."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except FileNotFoundError:
        raise InputError(f"GEO_NTM_FRAMEWORKS_DIR: folder {folder} does not exist") from None
    return tuple(
        (e.name, e.stat().st_mtime_ns, e.stat().st_size) for e in entries if e.name.endswith(".toml") and e.is_file()
    )


@lru_cache(maxsize=4)
def _provincial(folder: Path, stamp: tuple[tuple[str, int, int], ...]) -> dict[str, Framework]:
    found: dict[str, Framework] = {}
    for name, _, _ in stamp:
        framework = parse_provincial(name, (folder / name).read_text(encoding="utf-8"), found)
        found[framework.framework_id] = framework
    return found


def provincial_frameworks(folder: Path | None = None) -> dict[str, Framework]:
    """The provinces' frameworks of ``folder`` (default: ``GEO_NTM_FRAMEWORKS_DIR``; none when it
    is not set), keyed by id."""
    folder = folder or env_setting("frameworks_dir")
    return _provincial(folder, provincial_stamp(folder)) if folder else {}


def all_frameworks() -> dict[str, Framework]:
    """Every framework, keyed by id: the shipped ones first (file-name order), then the provinces'.

    Reads the settings and the folder: a caller looking up many rows takes this once."""
    return {**shipped_frameworks(), **provincial_frameworks()}


def get_framework(framework_id: str, frameworks: dict[str, Framework] | None = None) -> Framework:
    """The framework with this id (among ``frameworks``, default ``all_frameworks()``), or a
    NotFoundError listing the known ids."""
    known = all_frameworks() if frameworks is None else frameworks
    try:
        return known[framework_id]
    except KeyError:
        raise NotFoundError(f"unknown criteria framework {framework_id!r}; known: {', '.join(known)}") from None


def add_provincial(name: str, text: str) -> Framework:
    """Validate a province's framework file and write it into ``GEO_NTM_FRAMEWORKS_DIR`` as
    ``<framework_id>.toml``; InputError (nothing written) when it does not fit, its id is taken or
    no folder is set."""
    folder = Settings.from_env().frameworks_dir
    if folder is None:
        raise InputError("no folder for provincial frameworks: set GEO_NTM_FRAMEWORKS_DIR")
    framework = parse_provincial(name, text, provincial_frameworks(folder))
    target = folder / f"{framework.framework_id}.toml"
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=folder, suffix=".part", delete=False) as partial:
        partial.write(unicodedata.normalize("NFC", text))
    try:  # a link appears whole (a reader never sees half a file) and never replaces another's file
        os.link(partial.name, target)
    except FileExistsError:
        raise InputError(f"framework file {name}: {target.name} already exists in GEO_NTM_FRAMEWORKS_DIR") from None
    finally:
        os.unlink(partial.name)
    return framework
