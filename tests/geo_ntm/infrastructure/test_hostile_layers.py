"""Hostile and implausible layer files (issue 11): a raster declaring billions of cells, an
all-nodata raster, GeoJSON with projected, overflowing, swapped or mis-declared coordinates. Each
is refused with its numbers before anything is stored, and the store is left as it was."""

from __future__ import annotations

import datetime as dt
import json
import resource
import time

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from geo_ntm.domain import LayerKind
from geo_ntm.errors import InputError
from geo_ntm.infrastructure.layers import import_layer
from geo_ntm.infrastructure.population import zonal_sums
from geo_ntm.store import open_store

DAY = dt.date(2020, 1, 1)


@pytest.fixture
def store(tmp_path):
    with open_store(str(tmp_path / "s.gpkg")) as s:
        yield s


def _counts(store) -> tuple[int, int]:
    return len(store.layers()), len(store.imports())


def _geotiff(path, width, height, *, fill=None, nodata=-1.0, sparse=False, block=256):
    """A north-up float32 GeoTIFF near Bến Tre; ``sparse``: no block written (a few KB whatever the
    declared size), ``fill``: every cell."""
    profile = dict(
        driver="GTiff", width=width, height=height, count=1, dtype="float32", crs="EPSG:4326", nodata=nodata,
        transform=from_origin(106.0, 10.5, 0.001, 0.001), tiled=True, blockxsize=block, blockysize=block,
        compress="deflate", sparse_ok=sparse,
    )  # fmt: skip
    with rasterio.open(path, "w", **profile) as dst:
        if fill is not None:
            dst.write(np.full((height, width), fill, dtype="float32"), 1)
    return path


def test_a_raster_declaring_billions_of_cells_is_refused_before_reading(store, tmp_path):
    bomb = _geotiff(tmp_path / "bomb.tif", 60_000, 60_000, sparse=True, block=1024)
    assert bomb.stat().st_size < 200_000
    before, rss = _counts(store), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with pytest.raises(InputError, match=r"60000 x 60000 = 3,600,000,000 cells, over the ceiling of 250,000,000"):
        import_layer(store, bomb, "pop", LayerKind.POPULATION, DAY)
    assert time.perf_counter() - started < 5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss < 200_000  # KiB: no 13 GiB band
    assert _counts(store) == before


def test_the_raster_ceiling_is_a_setting_and_rasters_under_it_are_summed_in_strips(store, tmp_path, monkeypatch):
    path = _geotiff(tmp_path / "pop.tif", 300, 200, fill=2.0)
    monkeypatch.setenv("GEO_NTM_MAX_RASTER_CELLS", "50000")
    with pytest.raises(InputError, match=r"300 x 200 = 60,000 cells, over the ceiling of 50,000 cells"):
        import_layer(store, path, "pop", LayerKind.POPULATION, DAY)
    with pytest.raises(InputError, match="GEO_NTM_MAX_RASTER_CELLS"):  # a stored raster is checked too
        zonal_sums(path.read_bytes(), _zones())
    monkeypatch.setenv("GEO_NTM_MAX_RASTER_CELLS", "60000")
    monkeypatch.setattr("geo_ntm.infrastructure.layers.RASTER_STRIP_CELLS", 7_000)  # 23 rows a strip
    monkeypatch.setattr("geo_ntm.infrastructure.population.RASTER_STRIP_CELLS", 7_000)
    report = import_layer(store, path, "pop", LayerKind.POPULATION, DAY)
    assert report.raster["total"] == 120_000.0 and report.rows_stored == 60_000
    sums, outside = zonal_sums(path.read_bytes(), _zones())
    # coverage fractions are exact to about 1e-8 of a cell (exactextract), so nothing is left over
    assert sums.tolist() == pytest.approx([2 * 100 * 100]) and outside == pytest.approx(0, abs=1e-6)


def _zones():
    import geopandas as gpd
    import shapely

    return gpd.GeoDataFrame(geometry=[shapely.box(106.05, 10.35, 106.15, 10.45)], crs=4326)


def test_an_all_nodata_population_raster_is_refused(store, tmp_path):
    path = _geotiff(tmp_path / "empty.tif", 50, 40, fill=-1.0)
    before = _counts(store)
    with pytest.raises(InputError, match=r"no data cell \(all 2,000 cells are nodata -1.0\)"):
        import_layer(store, path, "pop", LayerKind.POPULATION, DAY)
    assert _counts(store) == before


def _geojson(tmp_path, coordinates, crs: str | None = None, name="roads.geojson"):
    doc: dict = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"highway": "track"},
                "geometry": {"type": "LineString", "coordinates": c},
            }
            for c in coordinates
        ],
    }
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize(
    "coordinates, crs, message",
    [
        # VN-2000 / UTM 48N metres without a "crs" member: read as lon/lat
        ([[[600_000, 1_130_000], [601_000, 1_131_000]]], None, r"outside longitude -180..180.*declared"),
        ([[[106.3, 10.2], [1e308, -1e308]]], None, r"outside longitude -180..180"),
        ([[[10.24, 106.37], [10.25, 106.38]]], None, r"swapped"),
        # lon/lat values declared as EPSG:3405 land near lat 0 after reprojection
        ([[[106.37, 10.24], [106.38, 10.25]]], "urn:ogc:def:crs:EPSG::3405", r"outside Vietnam's extent.*EPSG:3405"),
        ([[[2.35, 48.85], [2.36, 48.86]]], None, r"wholly outside Vietnam's extent"),
    ],
)
def test_implausible_coordinates_are_refused_with_the_reason(store, tmp_path, coordinates, crs, message):
    before = _counts(store)
    with pytest.raises(InputError, match=message):
        import_layer(store, _geojson(tmp_path, coordinates, crs), "roads", LayerKind.ROADS, DAY)
    assert _counts(store) == before


def test_features_partly_outside_vietnam_are_stored_with_a_warning(store, tmp_path):
    path = _geojson(tmp_path, [[[106.37, 10.24], [106.38, 10.25]], [[100.0, 18.0], [100.1, 18.1]]])
    report = import_layer(store, path, "roads", LayerKind.ROADS, DAY)
    assert report.rows_stored == 2 and any("1 features lie wholly outside" in w for w in report.warnings)
