"""Implausible boundary and lineage files (issue 11): units landing outside Vietnam after
reprojection, vintages and changes dated before 1945, a CSV field over Python's csv limit.
Each is refused with the reason and nothing is stored."""

from __future__ import annotations

import datetime as dt
from importlib import resources

import geopandas as gpd
import pytest

from boundaries.importer import import_boundaries
from boundaries.lineage import read_lineage
from geo_ntm.errors import InputError
from geo_ntm.store import open_store


@pytest.fixture(scope="module")
def ben_tre_city(data_dir) -> gpd.GeoDataFrame:
    return gpd.read_file(data_dir / "vn_admin_2009.gpkg", layer="communes", where="district_id = '81101'")


@pytest.fixture
def store(tmp_path):
    with open_store(str(tmp_path / "s.gpkg")) as s:
        yield s


def test_lon_lat_declared_as_vn2000_lands_outside_vietnam_and_is_refused(store, tmp_path, ben_tre_city):
    path = tmp_path / "communes.geojson"
    ben_tre_city.set_crs(3405, allow_override=True).to_file(path, engine="pyogrio")  # degrees called metres
    with pytest.raises(InputError, match=r"outside Vietnam's extent.*lat -?0\.0.*EPSG:3405"):
        import_boundaries(store, path, dt.date(2009, 4, 1), measure_quality=False)
    assert store.vintages() == [] and store.imports() == []


def test_projected_coordinates_read_as_lon_lat_name_the_features(store, tmp_path, ben_tre_city):
    path = tmp_path / "communes.geojson"
    ben_tre_city.to_crs(3405).set_crs(4326, allow_override=True).to_file(path, engine="pyogrio")
    with pytest.raises(InputError, match=r"outside longitude -180..180.*17 features, first feature #1 \(code"):
        import_boundaries(store, path, dt.date(2009, 4, 1), measure_quality=False)
    assert store.vintages() == []


def test_a_vintage_before_1945_is_refused(store, tmp_path, ben_tre_city):
    path = tmp_path / "communes.gpkg"
    ben_tre_city.to_file(path, engine="pyogrio")
    with pytest.raises(InputError, match="before 1945"):
        import_boundaries(store, path, dt.date(1900, 1, 1), measure_quality=False)
    assert store.vintages() == []


def _lineage_lines() -> list[str]:
    return (resources.files("boundaries") / "examples" / "ben_tre_city_lineage.csv").read_text().splitlines()


def test_lineage_dated_before_1945_and_an_oversized_field_name_the_line(tmp_path):
    header, first, *rest = _lineage_lines()
    fields = first.split(",")
    fields[1] = "1899-12-31"
    old = tmp_path / "old.csv"
    old.write_text("\n".join([header, ",".join(fields), *rest]) + "\n")
    with pytest.raises(InputError, match="effective_date 1899-12-31 is before 1945"):
        read_lineage(old)
    huge = tmp_path / "huge.csv"
    huge.write_text("\n".join([header, first, '"' + "x" * 200000 + '",2020-01-01', *rest]) + "\n")
    with pytest.raises(InputError, match=r"line \d+ cannot be read as CSV: field larger than field limit \(131072\)"):
        read_lineage(huge)
