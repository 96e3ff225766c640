"""Population zonal sums: cells cut by a border are shared by area, in any raster CRS."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pytest
import shapely
from rasterio.io import MemoryFile
from rasterio.transform import from_origin

from geo_ntm.domain import LayerKind
from geo_ntm.errors import InputError
from geo_ntm.infrastructure import population
from geo_ntm.infrastructure.layers import import_layer
from geo_ntm.infrastructure.population import zonal_sums
from geo_ntm.store import open_store
from tests.support.questions import coverage_request


def geotiff(values: np.ndarray, transform, crs="EPSG:4326", nodata=-1.0) -> bytes:
    with MemoryFile() as memory:
        with memory.open(
            driver="GTiff",
            width=values.shape[1],
            height=values.shape[0],
            count=1,
            dtype="float32",
            crs=crs,
            transform=transform,
            nodata=nodata,
        ) as dst:
            dst.write(values.astype("float32"), 1)
        return memory.read()


def test_cells_cut_by_a_border_are_weighted_by_area():
    # 4 x 4 cells of 0.01°, 10 people each; the border at x = 106.015 cuts column 1 in half
    grid = np.full((4, 4), 10.0)
    tif = geotiff(grid, from_origin(106.0, 10.04, 0.01, 0.01))
    west, east = shapely.box(106.0, 10.0, 106.015, 10.04), shapely.box(106.015, 10.0, 106.04, 10.04)
    sums, outside = zonal_sums(tif, gpd.GeoDataFrame(geometry=[west, east], crs="EPSG:4326"))
    assert sums == pytest.approx([60.0, 100.0]) and outside == pytest.approx(0.0)
    quarter = shapely.box(106.0, 10.0, 106.005, 10.005)  # a quarter of one cell
    sums, outside = zonal_sums(tif, gpd.GeoDataFrame(geometry=[quarter], crs="EPSG:4326"))
    assert sums == pytest.approx([2.5]) and outside == pytest.approx(7.5)


def test_area_shares_equal_exact_cell_cuts_across_strips(monkeypatch):
    # 6 x 8 cells of 0.01° holding 0..47 people, read one row at a time; a triangle and a square
    # with a hole, each crossing several rows: every cell counts by the share of its area inside,
    # measured here cell by cell with shapely (exactextract's fractions agree to about 1e-8)
    monkeypatch.setattr(population, "RASTER_STRIP_CELLS", 8)
    grid = np.arange(48.0).reshape(6, 8)
    tif = geotiff(grid, from_origin(106.0, 10.06, 0.01, 0.01))
    zones = [
        shapely.Polygon([(106.003, 10.001), (106.077, 10.013), (106.031, 10.057)]),
        shapely.box(106.012, 10.015, 106.066, 10.049).difference(shapely.box(106.03, 10.02, 106.05, 10.04)),
    ]
    sums, outside = zonal_sums(tif, gpd.GeoDataFrame(geometry=zones, crs="EPSG:4326"))
    rows, cols = np.indices(grid.shape)
    x0, y1 = 106.0 + 0.01 * cols.ravel(), 10.06 - 0.01 * rows.ravel()
    cells = shapely.box(x0, y1 - 0.01, x0 + 0.01, y1)
    expected = [float((grid.ravel() * shapely.area(shapely.intersection(cells, z)) / 1e-4).sum()) for z in zones]
    assert sums == pytest.approx(expected, rel=1e-7)
    assert outside == pytest.approx(grid.sum() - sum(expected), rel=1e-7)


def test_a_projected_raster_and_nodata():
    grid = np.full((10, 10), 5.0)
    grid[0, 0] = -1  # nodata
    transform = from_origin(600_000, 1_130_000, 100, 100)  # UTM 48N, near 106.9°E 10.2°N
    tif = geotiff(grid, transform, crs="EPSG:32648")
    zone = gpd.GeoDataFrame(geometry=[shapely.box(600_000, 1_129_000, 601_000, 1_130_000)], crs="EPSG:32648")
    left, right = (
        zone.geometry.iloc[0].intersection(shapely.box(600_000, 1_129_000, 600_450, 1_130_000)),
        zone.geometry.iloc[0].intersection(shapely.box(600_450, 1_129_000, 601_000, 1_130_000)),
    )
    zones = gpd.GeoDataFrame(geometry=[left, right], crs="EPSG:32648").to_crs(4326)  # the store's CRS
    sums, outside = zonal_sums(tif, zones)
    assert sums.sum() + outside == pytest.approx(99 * 5.0, rel=1e-9)
    assert sums[0] == pytest.approx(45 * 5.0 - 5.0, rel=1e-3)  # 4.5 columns, minus the nodata cell


def test_population_raster_import(tmp_path):
    path = tmp_path / "pop.tif"
    path.write_bytes(geotiff(np.full((3, 3), 2.0), from_origin(106.0, 10.03, 0.01, 0.01)))
    with open_store(str(tmp_path / "s.gpkg")) as store:
        report = import_layer(store, path, "pop", LayerKind.POPULATION, dt.date(2020, 1, 1))
        assert report.raster["total"] == 18.0 and report.layer.crs == "EPSG:4326"
        assert store.layer_raster(report.layer.layer_id) == path.read_bytes()
        bad = tmp_path / "neg.tif"
        bad.write_bytes(geotiff(np.full((2, 2), -3.0), from_origin(106.0, 10.02, 0.01, 0.01), nodata=None))
        with pytest.raises(InputError, match="negative"):
            import_layer(store, bad, "neg", LayerKind.POPULATION, dt.date(2020, 1, 1))
        assert [x.name for x in store.layers()] == ["pop"]


def test_synthetic_population_over_real_communes(synthetic, data_dir):
    communes = synthetic.read_communes(data_dir / "vn_admin_2009.gpkg", "811")
    grid, transform, crs = synthetic.synthetic_population(communes, 0.005, seed=1)
    tif = geotiff(np.where(grid < 0, -1, grid), transform, crs)
    from geo_ntm.infrastructure.partition import build_partition

    cells, _ = build_partition(communes.rename(columns={"commune_id": "code"}).assign(unit_id=range(len(communes))))
    sums, outside = zonal_sums(tif, cells)
    total = grid[grid > 0].sum()
    assert sums.sum() + outside == pytest.approx(total, rel=1e-6)
    assert sums.sum() > 0.97 * total


def test_population_coverage_of_a_province_in_a_projected_raster(ben_tre_db, synthetic, data_dir, tmp_path):
    """A SYNTHETIC grid in UTM 48N over Bến Tre: the communes hold the raster's people once."""
    from cli.main import main
    from geo_ntm.infrastructure.queries import coverage

    communes = synthetic.read_communes(data_dir / "vn_admin_2009.gpkg", "811")
    grid, transform, crs = synthetic.synthetic_population(communes, 250.0, seed=5, crs="EPSG:32648")
    path = tmp_path / "pop.tif"
    synthetic.write_population(path, grid, transform, crs)
    assert (
        main(
            [
                "--db",
                ben_tre_db,
                "layers",
                "import",
                str(path),
                "--kind",
                "population",
                "--date",
                "2020-01-01",
                "--name",
                "pop",
            ]
        )
        == 0
    )
    with open_store(ben_tre_db) as store:
        table, totals = coverage(store, coverage_request(store, "population", province="Bến Tre", year=2020))
    assert len(table) == 164 and (table["population"] >= 0).all()
    assert totals["population"] == pytest.approx(grid[grid > 0].sum(), rel=0.01)  # a few cells fall in the sea
