"""Boundary import on the real 2009 file and on small broken files made here."""

from __future__ import annotations

import datetime as dt
import zipfile

import geopandas as gpd
import psycopg
import pyogrio
import pytest
import shapely

from boundaries.importer import import_boundaries
from boundaries.quality import measure_boundary_quality
from geo_ntm.domain import AdminTier
from geo_ntm.errors import InputError
from geo_ntm.geometry import area_ha
from geo_ntm.store import open_store

DAY = dt.date(2009, 4, 1)


@pytest.fixture(scope="module")
def ben_tre_city(data_dir) -> gpd.GeoDataFrame:
    """The 17 communes of Thành phố Bến Tre (district 81101) from the real 2009 file."""
    communes = gpd.read_file(data_dir / "vn_admin_2009.gpkg", layer="communes", where="district_id = '81101'")
    assert len(communes) == 17
    return communes


@pytest.fixture
def store(empty_db_location):
    """An empty store, on each backend."""
    s = open_store(empty_db_location)
    yield s
    s.close()


def _read_as_gis_tools_do(location: str, bbox) -> tuple[int, set[str]]:
    """The number of features of the ``units`` layer and the names of those meeting ``bbox``, read
    the way QGIS and ogr2ogr read the store: GDAL on the GeoPackage; the PostGIS catalogue and a
    spatial query on PostgreSQL."""
    if not location.startswith("postgresql://"):
        near = pyogrio.read_dataframe(location, layer="units", bbox=bbox)
        return pyogrio.read_info(location, layer="units")["features"], set(near["name"])
    with psycopg.connect(location) as conn:
        assert conn.execute(
            "SELECT type, srid FROM geometry_columns WHERE f_table_name = 'units' AND f_geometry_column = 'geom'"
        ).fetchone() == ("MULTIPOLYGON", 4326)
        count = conn.execute("SELECT count(*) FROM units").fetchone()[0]
        near = conn.execute("SELECT name FROM units WHERE geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)", bbox)
        return count, {r[0] for r in near}


def test_national_2009_import_counts_flags_and_coverage(store, empty_db_location, data_dir):
    vintage, report = import_boundaries(store, data_dir / "vn_admin_2009.gpkg", DAY)
    levels = {layer.level: layer for layer in report.layers}
    assert {lv: lr.rows_read for lv, lr in levels.items()} == {"province": 63, "district": 703, "commune": 11163}
    flagged = {f["code"]: f["flag"] for f in levels["commune"].flagged}
    assert flagged == {
        "1171591": "unnamed",
        "9150101": "unnamed",
        "2210791": "not_admin_unit",
        "2211391": "not_admin_unit",
    }
    coverage = levels["commune"].coverage
    assert 0.25 < coverage.overlap_pct < 0.4  # the data README: 0.312% of the summed area
    assert coverage.overlap_pairs > 10_000 and coverage.gap_count > 0 and coverage.gap_ha > 0
    assert levels["commune"].missing_parents == [] and levels["district"].missing_parents == []
    assert "flagged unnamed: feature" in report.text()

    communes = store.units(vintage.vintage_id, AdminTier.COMMUNE, geometry=False)
    assert len(communes) == 11163  # flagged polygons are kept, not dropped
    city = communes[communes["district_code"] == "81101"].set_index("code")
    assert len(city) == 17
    assert city.loc["8110131", "name"] == "Xã Mỹ Thành" and city.loc["8110131", "unit_type"] == "xa"
    assert city.loc["8110131", "name_short"] == "Mỹ Thành" and city.loc["8110131", "parent_code"] == "81101"
    assert city.loc["8110101", "unit_type"] == "phuong"
    # the data README measures the old city (union of its communes) at 69.41 km², Albers projection
    city_union = store.units(vintage.vintage_id, AdminTier.COMMUNE, district_code="81101").dissolve()
    assert area_ha(city_union.geometry)[0] == pytest.approx(6941, rel=0.002)
    assert city["area_ha"].sum() > area_ha(city_union.geometry)[0]  # the thinned polygons overlap
    provinces = store.units(vintage.vintage_id, AdminTier.PROVINCE, geometry=False).set_index("code")
    assert provinces.loc["101", "unit_type"] == "thanh_pho" and provinces.loc["811", "unit_type"] == "tinh"
    # GIS tools read the units layer, with a working spatial index
    count, near = _read_as_gis_tools_do(empty_db_location, (106.36, 10.22, 106.40, 10.26))
    assert count == 63 + 703 + 11163 and "Phường Phú Khương" in near


def test_zipped_shapefile_and_reprojected_geojson(store, tmp_path, ben_tre_city):
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    # Shapefile field names have at most 10 characters: use the Vietnamese names a GSO export has
    short = ben_tre_city.rename(
        columns={
            "commune_id": "ma_xa",
            "commune_name": "ten_xa",
            "district_id": "ma_huyen",
            "province_id": "ma_tinh",
            "population_2009": "dan_so",
        }
    )
    short[["ma_xa", "ten_xa", "ma_huyen", "ma_tinh", "dan_so", "geometry"]].to_file(
        shp_dir / "communes.shp", engine="pyogrio", encoding="UTF-8"
    )
    assert (shp_dir / "communes.cpg").exists()
    archive = tmp_path / "ben_tre_communes.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in shp_dir.iterdir():
            zf.write(f, f.name)
    v1, _ = import_boundaries(store, archive, DAY)
    units = store.units(v1.vintage_id, geometry=False)
    assert len(units) == 17 and "Xã Mỹ Thạnh An" in set(units["name"])  # Vietnamese intact
    assert set(units["unit_type"]) == {"xa", "phuong"}  # from the name prefix
    assert set(units["parent_code"]) == {"81101"} and units["population"].notna().all()

    utm = ben_tre_city.to_crs(32648)
    utm.to_file(tmp_path / "communes.geojson", driver="GeoJSON", engine="pyogrio")
    v2, report2 = import_boundaries(store, tmp_path / "communes.geojson", dt.date(2010, 1, 1))
    assert report2.layers[0].reprojected_from and "32648" in report2.layers[0].reprojected_from
    units2 = store.units(v2.vintage_id)
    assert units2.crs.to_epsg() == 4326
    assert units2["area_ha"].sum() == pytest.approx(units["area_ha"].sum(), rel=1e-4)


def _write(frame: gpd.GeoDataFrame, path, layer="communes"):
    frame.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")
    return path


def _assert_nothing_stored(store):
    assert store.vintages() == []
    assert store.imports() == []


def test_no_crs_is_an_error(store, tmp_path, ben_tre_city):
    path = _write(ben_tre_city.set_crs(None, allow_override=True), tmp_path / "nocrs.gpkg")
    with pytest.raises(InputError, match="no coordinate reference system"):
        import_boundaries(store, path, DAY)
    _assert_nothing_stored(store)


def test_duplicate_code_names_the_features(store, tmp_path, ben_tre_city):
    broken = ben_tre_city.copy()
    broken.loc[broken.index[1], "commune_id"] = broken["commune_id"].iloc[0]
    with pytest.raises(InputError) as err:
        import_boundaries(store, _write(broken, tmp_path / "dup.gpkg"), DAY)
    text = str(err.value)
    assert "used by more than one unit" in text and "code 8110101" in text and "feature #2" in text
    _assert_nothing_stored(store)


def test_missing_code_is_an_error(store, tmp_path, ben_tre_city):
    broken = ben_tre_city.copy()
    broken.loc[broken.index[3], "commune_id"] = None
    with pytest.raises(InputError, match="have no code") as err:
        import_boundaries(store, _write(broken, tmp_path / "nocode.gpkg"), DAY)
    assert "feature #4" in str(err.value) and "Phường 4" in str(err.value)
    _assert_nothing_stored(store)


def test_wrong_geometry_type_is_an_error(store, tmp_path, ben_tre_city):
    points = ben_tre_city.copy()
    points["geometry"] = points.geometry.representative_point()
    with pytest.raises(InputError, match="not polygons") as err:
        import_boundaries(store, _write(points, tmp_path / "points.gpkg"), DAY)
    assert "is Point" in str(err.value)
    _assert_nothing_stored(store)


def test_invalid_polygon_is_repaired_and_counted(store, tmp_path, ben_tre_city):
    broken = ben_tre_city.copy()
    x0, y0, x1, y1 = broken.geometry.iloc[0].bounds
    bowtie = shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1), (x0, y0)])
    assert not bowtie.is_valid
    broken.loc[broken.index[0], "geometry"] = bowtie
    vintage, report = import_boundaries(store, _write(broken, tmp_path / "bowtie.gpkg"), DAY)
    assert report.layers[0].repaired == ["8110101"]
    stored = store.units(vintage.vintage_id, codes=["8110101"])
    assert stored.geometry.iloc[0].is_valid and stored.geometry.iloc[0].geom_type == "MultiPolygon"
    assert stored.geometry.iloc[0].area == pytest.approx(shapely.make_valid(bowtie).area, rel=1e-9)


def test_dry_run_and_missing_file_store_nothing(store, tmp_path, ben_tre_city):
    vintage, report = import_boundaries(store, _write(ben_tre_city, tmp_path / "ok.gpkg"), DAY, dry_run=True)
    assert vintage is None and report.layers[0].rows_read == 17
    _assert_nothing_stored(store)
    with pytest.raises(InputError, match="does not exist"):
        import_boundaries(store, tmp_path / "missing.gpkg", DAY)
    (tmp_path / "garbage.gpkg").write_bytes(b"not a geopackage")
    with pytest.raises(InputError, match="cannot read"):
        import_boundaries(store, tmp_path / "garbage.gpkg", DAY)
    _assert_nothing_stored(store)


def test_same_vintage_twice_is_refused(store, tmp_path, ben_tre_city):
    path = _write(ben_tre_city, tmp_path / "ok.gpkg")
    import_boundaries(store, path, DAY)
    with pytest.raises(Exception, match="already stored"):
        import_boundaries(store, path, DAY)
    assert len(store.vintages()) == 1 and len(store.units(store.vintages()[0].vintage_id, geometry=False)) == 17


def test_coverage_measures_known_overlap_and_gap():
    # squares of 1 km in UTM 48N near Bến Tre: two overlap by 100 m x 1 km = 10 ha; a ring of
    # four 3x1 km rectangles leaves a 1x1 km hole = 100 ha
    def box(x, y, w, h):
        return shapely.box(600_000 + x, 1_130_000 + y, 600_000 + x + w, 1_130_000 + y + h)

    frame = gpd.GeoDataFrame(
        {"code": list("abcdef")},
        geometry=[
            box(0, 0, 1000, 1000),
            box(900, 0, 1000, 1000),  # overlap 100 x 1000 m
            box(5000, 0, 3000, 1000),
            box(5000, 2000, 3000, 1000),  # ring with a 1 km² hole
            box(5000, 1000, 1000, 1000),
            box(7000, 1000, 1000, 1000),
        ],
        crs=32648,
    )
    report = measure_boundary_quality(frame)
    assert report.overlap_pairs == 1 and report.largest_overlaps[0][:2] == ("a", "b")
    assert report.overlap_ha == pytest.approx(10, rel=2e-3)
    assert report.gap_count == 1 and report.gap_ha == pytest.approx(100, rel=2e-3)
