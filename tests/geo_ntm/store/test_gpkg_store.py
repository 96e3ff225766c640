"""The embedded store is a GeoPackage that GDAL recognises from its file header."""

from __future__ import annotations

import warnings

import pyogrio

from geo_ntm.store import open_store


def test_new_store_file_has_the_geopackage_header(tmp_path):
    path = tmp_path / "new.gpkg"
    with open_store(str(path)):
        pass
    header = path.read_bytes()[:100]
    assert header[68:72] == b"GPKG"  # application_id
    assert int.from_bytes(header[60:64], "big") == 10400  # user_version: GeoPackage 1.4
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # GDAL warns "bad application_id" on a wrong header
        layers = dict(pyogrio.list_layers(path))
    assert layers["units"] == "MultiPolygon"
    with open_store(str(path)) as again:  # reopening keeps it and finds the schema current
        assert again.vintages() == []
