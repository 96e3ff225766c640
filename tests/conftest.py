"""Shared fixtures: the real shared data folder and a store with the 2009 boundaries loaded once
per test session and copied for each test that needs it."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from boundaries.importer import import_boundaries
from geo_ntm.settings import Settings
from geo_ntm.store import open_store

VINTAGE_2009 = dt.date(2009, 4, 1)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared data folder (GEO_NTM_DATA_DIR, default ../shared/data beside the repo)."""
    path = Settings.from_env().data_dir
    if not (path / "vn_admin_2009.gpkg").exists():
        pytest.fail(f"shared data not found at {path}; set GEO_NTM_DATA_DIR")
    return path


@pytest.fixture(scope="session")
def boundaries_2009_template(tmp_path_factory, data_dir) -> Path:
    """A store file holding the national 2009 vintage (valid from 2009-04-01)."""
    path = tmp_path_factory.mktemp("template") / "store_2009.gpkg"
    with open_store(str(path)) as store:
        import_boundaries(store, data_dir / "vn_admin_2009.gpkg", VINTAGE_2009, measure_quality=False)
    return path


@pytest.fixture
def store_2009_path(tmp_path, boundaries_2009_template) -> Path:
    """A private copy of the 2009 store file for one test."""
    path = tmp_path / "store.gpkg"
    shutil.copy(boundaries_2009_template, path)
    return path


@pytest.fixture
def store_2009(store_2009_path):
    """The 2009 store, open; closed after the test."""
    store = open_store(str(store_2009_path))
    yield store
    store.close()
