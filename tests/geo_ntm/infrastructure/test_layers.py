"""Importing infrastructure layers: mappings (OSM tags, Vietnamese inventory fields), OSM
files, and bad input refused with nothing stored."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pytest
import shapely

from geo_ntm.domain import LayerKind
from geo_ntm.errors import GeoNtmError, InputError
from geo_ntm.infrastructure.layers import import_layer
from geo_ntm.infrastructure.mapping import get_mapping, map_column
from geo_ntm.store import open_store

DAY = dt.date(2020, 1, 1)
LINE = shapely.LineString([(106.37, 10.24), (106.38, 10.25)])


@pytest.fixture
def store(tmp_path):
    with open_store(str(tmp_path / "s.gpkg")) as s:
        yield s


def write(tmp_path, frame: gpd.GeoDataFrame, name="layer.gpkg"):
    path = tmp_path / name
    frame.to_file(path, engine="pyogrio")
    return path


def test_vietnamese_inventory_fields_and_values(tmp_path, store):
    frame = gpd.GeoDataFrame(
        {
            "Cấp đường": ["Đường xã", "đường trục thôn", "Duong ngo xom", "Đường nội đồng", "Quốc lộ", "đường mòn"],
            "Loại mặt": ["Nhựa", "bê tông xi măng", "Cấp phối", "đất", None, "Bê Tông"],
        },
        geometry=[LINE] * 6,
        crs="EPSG:4326",
    )
    report = import_layer(store, write(tmp_path, frame), "kiem_ke", LayerKind.ROADS, DAY)
    assert report.mapping == "vn_inventory" and report.rows_stored == 6
    stored = store.layer_features(report.layer.layer_id)
    assert list(stored["road_class"]) == ["commune", "hamlet", "alley", "field", "national", "unknown"]
    assert list(stored["surface"]) == ["asphalt", "concrete", "gravel", "earth", "unknown", "concrete"]
    assert report.attributes["class"]["unknown_values"] == {"đường mòn": 1}
    assert report.attributes["surface"]["missing"] == 1
    assert any("'đường mòn' (1)" in w for w in report.warnings)


def test_osm_tags_with_unknown_values_counted_and_non_roads_dropped(tmp_path, store):
    frame = gpd.GeoDataFrame(
        {
            "highway": ["tertiary", "track", "footway", "unclassified", "weird"],
            "surface": ["asphalt", "dirt", "paved", "moon_dust", "concrete:plates"],
        },
        geometry=[LINE] * 5,
        crs="EPSG:4326",
    )
    report = import_layer(store, write(tmp_path, frame), "osm", LayerKind.ROADS, DAY)
    stored = store.layer_features(report.layer.layer_id)
    assert list(stored["road_class"]) == ["commune", "field", "hamlet", "unknown"]
    assert list(stored["surface"]) == ["asphalt", "earth", "unknown", "concrete"]
    assert report.dropped == {"class excluded by the mapping (not roads)": 1}
    assert report.attributes["surface"]["unknown_values"] == {"moon_dust": 1}
    assert report.attributes["class"]["unknown_values"] == {"weird": 1}
    light = store.layer_features(report.layer.layer_id, attributes=("road_class",))  # what a computation reads
    assert list(light.columns) == ["feature_id", "road_class", "geometry"]
    assert list(light["road_class"]) == list(stored["road_class"]) and light.geometry.equals(stored.geometry)
    with pytest.raises(GeoNtmError, match="unknown feature attributes"):
        store.layer_features(report.layer.layer_id, attributes=("road_class; DROP TABLE layers",))


def test_osm_xml_file_through_gdal(tmp_path, store):
    osm = tmp_path / "tiny.osm"
    osm.write_text(
        """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="geo_ntm test">
  <node id="1" lat="10.240" lon="106.370" version="1"/>
  <node id="2" lat="10.245" lon="106.375" version="1"/>
  <node id="3" lat="10.250" lon="106.380" version="1"/>
  <way id="10" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/>
    <tag k="highway" v="tertiary"/><tag k="surface" v="asphalt"/><tag k="name" v="Đường ĐX 01"/></way>
  <way id="11" version="1"><nd ref="2"/><nd ref="3"/><tag k="highway" v="track"/></way>
</osm>""",
        encoding="utf-8",
    )
    report = import_layer(store, osm, "osm_xml", LayerKind.ROADS, DAY)
    stored = store.layer_features(report.layer.layer_id).sort_values("feature_id")
    assert report.mapping == "osm" and list(stored["road_class"]) == ["commune", "field"]
    assert list(stored["surface"]) == ["asphalt", "unknown"] and stored["name"].iloc[0] == "Đường ĐX 01"


@pytest.mark.parametrize(
    "frame, message",
    [
        (gpd.GeoDataFrame({"highway": ["x"]}, geometry=[shapely.box(0, 0, 1, 1)], crs="EPSG:4326"), "must hold lines"),
        (gpd.GeoDataFrame({"highway": ["x"]}, geometry=[LINE]), "no coordinate reference system"),
        (gpd.GeoDataFrame({"foo": ["x"]}, geometry=[LINE], crs="EPSG:4326"), "no column tells the class"),
        (gpd.GeoDataFrame({"highway": ["footway"]}, geometry=[LINE], crs="EPSG:4326"), "every feature"),
    ],
)
def test_bad_layers_are_refused_and_nothing_is_stored(tmp_path, store, frame, message):
    with pytest.raises(InputError, match=message):
        import_layer(store, write(tmp_path, frame), "bad", LayerKind.ROADS, DAY)
    assert store.layers() == [] and store.imports() == []


def test_empty_layer_and_duplicate_name(tmp_path, store):
    empty = gpd.GeoDataFrame({"highway": []}, geometry=gpd.GeoSeries([], crs="EPSG:4326"))
    with pytest.raises(InputError, match="empty"):
        import_layer(store, write(tmp_path, empty, "empty.gpkg"), "e", LayerKind.ROADS, DAY)
    good = write(tmp_path, gpd.GeoDataFrame({"highway": ["track"]}, geometry=[LINE], crs="EPSG:4326"))
    import_layer(store, good, "roads", LayerKind.ROADS, DAY)
    with pytest.raises(Exception, match="already stored"):
        import_layer(store, good, "roads", LayerKind.ROADS, DAY)
    assert [x.name for x in store.layers()] == ["roads"] and len(store.imports()) == 1


def test_projected_input_is_reprojected(tmp_path, store):
    frame = gpd.GeoDataFrame({"highway": ["track"]}, geometry=[LINE], crs="EPSG:4326").to_crs(32648)
    report = import_layer(store, write(tmp_path, frame), "utm", LayerKind.ROADS, DAY)
    assert report.reprojected_from == "EPSG:32648"
    back = store.layer_features(report.layer.layer_id).geometry.iloc[0]
    assert shapely.equals_exact(back, LINE, tolerance=1e-9)


def test_stored_layers_are_a_geopackage_layer_for_gis(tmp_path, store):
    import pyogrio

    frame = gpd.GeoDataFrame({"highway": ["track"], "surface": ["gravel"]}, geometry=[LINE], crs="EPSG:4326")
    import_layer(store, write(tmp_path, frame), "r", LayerKind.ROADS, DAY)
    read = pyogrio.read_dataframe(store.path, layer="layer_features")
    assert list(read["surface"]) == ["gravel"] and read.crs.to_epsg() == 4326


def test_mapping_is_tone_and_case_insensitive_only_as_a_fallback():
    frame = gpd.GeoDataFrame({"loai_mat": ["NHỰA", "nhua", "Bê tông", "be tong"]})
    mapped = map_column(frame, get_mapping("vn_inventory"), "surface")
    assert list(mapped.values) == ["asphalt", "asphalt", "concrete", "concrete"] and mapped.column == "loai_mat"
