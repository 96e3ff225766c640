"""The data files shipped inside geo_ntm's packages (frameworks, road mappings, thresholds)."""

from __future__ import annotations

import tomllib
from importlib import resources


def shipped_toml(package: str, folder: str | None = None) -> list[tuple[str, dict]]:
    """(file name, parsed content) of every ``.toml`` file of ``package`` (or of its sub-folder
    ``folder``), in file-name order."""
    root = resources.files(package)
    if folder:
        root = root / folder
    files = sorted((f for f in root.iterdir() if f.name.endswith(".toml")), key=lambda f: f.name)
    return [(f.name, tomllib.loads(f.read_text(encoding="utf-8"))) for f in files]
