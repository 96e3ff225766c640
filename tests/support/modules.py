"""Loading a test helper or a benchmark script that is not an importable package by its path."""

from __future__ import annotations

import importlib.util
from pathlib import Path


def load_module(path: Path):
    """The Python module of ``path``."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
