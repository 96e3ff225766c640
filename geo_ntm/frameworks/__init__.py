"""Criteria frameworks: data files (TOML) shipped with the package, loaded into ``Framework``."""

from __future__ import annotations

from functools import cache

from geo_ntm.data_files import shipped_toml
from geo_ntm.domain import LEVELS, AdminTier, Criterion, Framework
from geo_ntm.errors import InputError, NotFoundError


def _parse(name: str, data: dict) -> Framework:
    try:
        criteria = tuple(Criterion(int(n), vi, en) for n, vi, en in data["criteria"])
        levels = tuple(data["levels"])
        unknown = [lv for lv in levels if lv not in LEVELS]
        if unknown:
            raise InputError(f"framework file {name}: unknown level(s) {unknown}; known: {list(LEVELS)}")
        numbers = [c.number for c in criteria]
        if len(set(numbers)) != len(numbers):
            raise InputError(f"framework file {name}: criterion numbers repeat: {numbers}")
        return Framework(
            framework_id=data["framework_id"],
            title_vi=data["title_vi"],
            title_en=data["title_en"],
            legal_act=data["legal_act"],
            applies_to=AdminTier(data["applies_to"]),
            years=(int(data["years"][0]), int(data["years"][1])),
            levels=levels,
            criteria=criteria,
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise InputError(f"framework file {name} is malformed: {exc!r}") from exc


@cache
def all_frameworks() -> dict[str, Framework]:
    """Every shipped framework, keyed by id, in file-name order."""
    frameworks = (_parse(name, data) for name, data in shipped_toml(__package__))
    return {fw.framework_id: fw for fw in frameworks}


def get_framework(framework_id: str) -> Framework:
    """The framework with this id, or a NotFoundError listing the known ids."""
    try:
        return all_frameworks()[framework_id]
    except KeyError:
        raise NotFoundError(
            f"unknown criteria framework {framework_id!r}; known: {', '.join(all_frameworks())}"
        ) from None
