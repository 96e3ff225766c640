"""OGC API - Tiles on both stores: the real units of 1 July 2025 of Tỉnh Vĩnh Long (86) beside every
province of that day, with the TEST statuses of 2026 (``tests/data/status_vinh_long_2026_qd51_TEST.csv``,
made-up figures on real commune names). Tiles decode to the communes with their status; an empty
tile is 204; a bad zoom, row or column is a JSON error naming it; the generalised shapes leave no
gap or overlap between neighbours and provinces agree with their communes at every band."""

from __future__ import annotations

import datetime as dt
import math
import time

import mapbox_vector_tile
import numpy as np
import pytest
import shapely
from fastapi.testclient import TestClient

from api.app import create_app
from boundaries.importer import import_boundaries
from geo_ntm.domain import AdminTier
from geo_ntm.geometry import equal_area_crs
from geo_ntm.settings import Settings
from geo_ntm.status_import.importer import import_status_file
from geo_ntm.store import open_store
from geo_ntm.store.mvt import EXTENT, Tile
from geo_ntm.tiles import BANDS, band_of

STATUSES = "tests/data/status_vinh_long_2026_qd51_TEST.csv"
GIAO_LONG = "28807"  # Xã Giao Long, Tỉnh Vĩnh Long (2025 GSO code): 10 of 10 criteria met in the TEST file
MVT = "application/vnd.mapbox-vector-tile"


@pytest.fixture(scope="module")
def location(backend, new_location, vinh_long_2025) -> str:
    location = new_location(backend, False)
    with open_store(location) as store:
        import_boundaries(store, vinh_long_2025, dt.date(2025, 7, 1), measure_quality=False)
        assert import_status_file(store, STATUSES).ok
    return location


@pytest.fixture(scope="module")
def client(location):
    with TestClient(create_app(Settings.from_env().model_copy(update=dict(db=location)))) as c:
        yield c


def tile_of(lon: float, lat: float, z: int) -> Tile:
    """The WebMercatorQuad tile holding a point."""
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return Tile(z, x, y)


def decode(client, collection: str, tile: Tile, **params) -> list[dict]:
    r = client.get(f"/collections/{collection}/tiles/WebMercatorQuad/{tile.z}/{tile.y}/{tile.x}", params=params)
    assert r.status_code == 200 and r.headers["content-type"] == MVT, r.text
    return mapbox_vector_tile.decode(r.content)[collection]["features"]


@pytest.fixture(scope="module")
def giao_long(client) -> tuple[float, float]:
    """A point inside Xã Giao Long."""
    point = shapely.geometry.shape(client.get(f"/collections/communes/items/{GIAO_LONG}").json()["geometry"])
    return point.representative_point().x, point.representative_point().y


@pytest.mark.parametrize("z", [8, 12])
def test_a_tile_holds_the_commune_with_its_status(client, giao_long, z):
    features = decode(client, "communes", tile_of(*giao_long, z), year=2026)
    found = [f for f in features if f["properties"]["code"] == GIAO_LONG]
    assert len(found) == 1
    props = found[0]["properties"]
    assert props["name"] == "Xã Giao Long" and props["province_code"] == "86" and props["unit_type"] == "xa"
    assert props["level"] == "ntm" and props["criteria_met"] == 10 and props["criteria_total"] == 10
    assert props["has_data"] is True and props["assessed"] is True
    assert "district_code" not in props  # no district tier on these boundaries: None is left out
    assert found[0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    shape = shapely.geometry.shape(found[0]["geometry"])
    # the winding ST_AsMVTGeom writes (exteriors of positive area in tile coordinates, y down),
    # clockwise once decoded with y up; holes the other way
    for polygon in shapely.get_parts(shape):
        assert not polygon.exterior.is_ccw and all(ring.is_ccw for ring in polygon.interiors)
    xs = np.array(shape.bounds)
    assert (xs >= -EXTENT).all() and (xs <= 2 * EXTENT).all()  # clipped to the tile and its buffer
    assert len(features) > 1  # its neighbours too
    without_year = [
        f for f in decode(client, "communes", tile_of(*giao_long, z)) if f["properties"]["code"] == GIAO_LONG
    ]
    assert "level" not in without_year[0]["properties"]  # no status without a year


def test_a_tile_asked_again_is_304_until_the_store_changes(client, giao_long):
    tile = tile_of(*giao_long, 10)
    path = f"/collections/communes/tiles/WebMercatorQuad/{tile.z}/{tile.y}/{tile.x}"
    first = client.get(path, params={"year": 2026})
    assert first.status_code == 200 and first.headers["etag"]
    again = client.get(path, params={"year": 2026}, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and not again.content
    other_year = client.get(path, params={"year": 2025}, headers={"If-None-Match": first.headers["etag"]})
    assert other_year.status_code in (200, 204)  # another question: another validator


def test_province_tiles_carry_the_provinces(client, giao_long):
    features = decode(client, "provinces", tile_of(*giao_long, 6), year=2026)
    assert {"86", "82"} <= {f["properties"]["code"] for f in features}  # Vĩnh Long and Đồng Tháp
    assert "Tỉnh Vĩnh Long" in {f["properties"]["name"] for f in features}


def test_an_empty_tile_is_204(client):
    r = client.get("/collections/communes/tiles/WebMercatorQuad/8/100/10", params={"year": 2026})  # the Pacific
    assert r.status_code == 204 and r.content == b""
    empty = client.get("/collections/districts/tiles/WebMercatorQuad/8/120/203")  # no district tier in 2025
    assert empty.status_code == 204


@pytest.mark.parametrize(
    ("path", "status", "named"),
    [
        ("communes/tiles/WebMercatorQuad/x/1/1", 400, "tileMatrix: Input should be a valid integer"),
        ("communes/tiles/WebMercatorQuad/8/1/1.5", 400, "tileCol: Input should be a valid integer"),
        ("communes/tiles/WebMercatorQuad/3/8/1", 404, "tileRow 8 is outside WebMercatorQuad at tileMatrix 3"),
        ("communes/tiles/WebMercatorQuad/3/1/-1", 400, "tileCol: Input should be greater than or equal to 0"),
        ("communes/tiles/WebMercatorQuad/15/1/1", 400, "tileMatrix: Input should be less than or equal to 14"),
        ("communes/tiles/WorldCRS84Quad/3/1/1", 404, "WorldCRS84Quad"),
        ("units/tiles", 404, "'units' has no tiles"),
    ],
)
def test_a_bad_tile_is_a_json_error_naming_it(client, path, status, named):
    r = client.get(f"/collections/{path}")
    assert r.status_code == status and named in r.json()["description"]


def test_tile_set_metadata_links_and_conformance(client):
    listed = client.get("/collections/communes/tiles").json()["tilesets"]
    assert [t["dataType"] for t in listed] == ["vector"]
    meta = client.get("/collections/communes/tiles/WebMercatorQuad", params={"year": 2026}).json()
    template = next(link for link in meta["links"] if link["rel"] == "item")
    assert template["type"] == MVT and template["templated"] is True
    assert template["href"].endswith(
        "/collections/communes/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}?year=2026"
    )
    assert meta["tiles"][0].endswith("/WebMercatorQuad/{z}/{y}/{x}?year=2026")
    assert (meta["minzoom"], meta["maxzoom"]) == (0, 14) and meta["boundaries"]["valid_from"] == "2025-07-01"
    assert meta["vector_layers"][0]["id"] == "communes" and "criteria_met" in meta["vector_layers"][0]["fields"]
    tms = client.get("/tileMatrixSets/WebMercatorQuad").json()
    assert tms["id"] == "WebMercatorQuad" and len(tms["tileMatrices"]) == 25
    assert [t["id"] for t in client.get("/tileMatrixSets").json()["tileMatrixSets"]] == ["WebMercatorQuad"]
    conforms = client.get("/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt" in conforms
    landing = client.get("/", params={"f": "json"}).json()["links"]
    assert any(link["href"].endswith("/tileMatrixSets") for link in landing)
    links = client.get("/collections/communes").json()["links"]
    assert any(link["rel"].endswith("tilesets-vector") for link in links)
    assert not any(link["rel"].endswith("tilesets-vector") for link in client.get("/collections/units").json()["links"])


@pytest.mark.parametrize("z", [8, 10])
def test_generalised_communes_leave_no_gap_or_overlap(client, location, z):
    client.get("/collections/communes/tiles/WebMercatorQuad/8/120/203")  # the first tile generalises the vintage
    band = band_of(z).band
    with open_store(location) as store:
        vintage = store.vintages()[0]
        assert store.generalisation(vintage.vintage_id)["bands"][band]["zooms"][0] <= z
        communes = store.generalised(vintage.vintage_id, AdminTier.COMMUNE, band)
        province = store.generalised(vintage.vintage_id, AdminTier.PROVINCE, band)
        units = store.units(vintage.vintage_id, AdminTier.COMMUNE, geometry=False, province_code="86")
    assert len(communes) == len(units) == 124
    crs = equal_area_crs(tuple(communes.total_bounds))
    cells = np.asarray(communes.to_crs(crs).geometry.array)
    outline = province[province["code"] == "86"].to_crs(crs).geometry.iloc[0]
    union = shapely.union_all(cells)
    assert abs(union.area / outline.area - 1) < 0.001
    assert shapely.symmetric_difference(union, outline).area < 0.001 * outline.area
    tree = shapely.STRtree(cells)
    left, right = tree.query(cells, predicate="intersects")
    pairs = left < right
    overlaps = shapely.area(shapely.intersection(cells[left[pairs]], cells[right[pairs]]))
    assert pairs.sum() > 200  # neighbours touch along their shared borders
    assert overlaps.max() < 1.0  # m²: shared borders, no overlap


def test_new_boundaries_are_generalised_by_a_job(empty_db_location, vinh_long_2025):
    with open_store(empty_db_location) as store:
        import_boundaries(store, vinh_long_2025, dt.date(2025, 7, 1), measure_quality=False)
    settings = Settings.from_env().model_copy(update=dict(db=empty_db_location, job_wait_seconds=0))
    tile = tile_of(106.3, 10.2, 6)  # Tỉnh Vĩnh Long
    path = f"/collections/provinces/tiles/WebMercatorQuad/{tile.z}/{tile.y}/{tile.x}"
    with TestClient(create_app(settings)) as c:
        meta = c.get("/collections/provinces/tiles/WebMercatorQuad").json()
        assert meta["generalised"] is False and meta["job"].startswith("/jobs/")
        first = c.get(path)
        assert first.status_code == 202 and first.headers["location"] == meta["job"]  # the same job, joined
        deadline = time.monotonic() + 300
        while c.get(meta["job"]).json()["state"] not in ("done", "failed") and time.monotonic() < deadline:
            time.sleep(0.5)
        assert c.get(meta["job"]).json()["state"] == "done"
        r = c.get(path)
        assert r.status_code == 200 and "86" in {
            f["properties"]["code"] for f in mapbox_vector_tile.decode(r.content)["provinces"]["features"]
        }
        assert c.get("/collections/provinces/tiles/WebMercatorQuad").json()["generalised"] is True


def test_bands_cover_every_zoom_once():
    zooms = [z for b in BANDS for z in range(b.min_zoom, b.max_zoom + 1)]
    assert zooms == list(range(0, 15))
    assert [b.tolerance for b in BANDS] == sorted((b.tolerance for b in BANDS), reverse=True)
