"""Reach in metres (``geo_ntm.infrastructure.reach``): buffers true on the ground in every UTM
zone of Vietnam, points given to one commune, and the real 2009 communes of Bến Tre with
SYNTHETIC water layers on both stores (invariants: nobody counted twice, nobody lost)."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Geod

from boundaries.importer import import_boundaries
from geo_ntm.domain import LayerKind
from geo_ntm.errors import InputError
from geo_ntm.infrastructure import reach
from geo_ntm.infrastructure.layers import import_layer
from geo_ntm.infrastructure.population import zonal_sums
from geo_ntm.infrastructure.queries import coverage
from geo_ntm.store import open_store
from tests.support.questions import coverage_request

GEOD = Geod(ellps="WGS84")
N = 4 * reach.QUAD_SEGS  # vertices of a buffered point
POLYGON_SHARE = N / 2 * np.sin(2 * np.pi / N) / np.pi  # area of the inscribed N-gon / the circle's


# Five SYNTHETIC pipes of the national network of ``bench/bench_dask.py`` (``make_synthetic.py
# reach``, seed 2009, 200,000 pipes): the union of their 200 m buffers, valid in metres, crosses
# itself once back in lon/lat (two edges a rounding error apart), and GEOS refused to cut a cell by it.
CROSSING_PIPES = [
    "LINESTRING (105.03712470530817 22.771267569799477, 105.02969718429726 22.78285479550286)",
    "LINESTRING (105.10034538387517 22.83208648649721, 105.0140489226577 22.785103046181717)",
    "LINESTRING (105.02661870675408 22.786719197202284, 105.02175057822747 22.785109438888323,"
    " 105.0172601916277 22.782634277203613)",
    "LINESTRING (105.02596070163882 22.781788717116306, 105.01139524215192 22.76829757601063,"
    " 104.99956265808318 22.752355385049107)",
    "LINESTRING (105.01345858519161 22.79255616724678, 105.01267549816347 22.79128175084632,"
    " 105.0126767459544 22.789785969813405, 105.01264682609352 22.788290487530883,"
    " 105.01299126401298 22.786834903464246, 105.01343518916904 22.785406515242784)",
]


def test_a_zone_crossing_itself_back_in_lon_lat_is_repaired():
    pipes = shapely.from_wkt(CROSSING_PIPES)
    utm = reach._zone(32648)
    buffers = shapely.buffer(utm.to_metres(pipes), utm.projected(200.0, pipes), quad_segs=reach.QUAD_SEGS)
    union = shapely.union_all(buffers)
    crossing = utm.to_lonlat(np.array([union]))[0]
    assert shapely.is_valid(union) and not shapely.is_valid(crossing)  # the case
    cell = shapely.box(104.99, 22.75, 105.11, 22.84)  # holds every buffer
    zone = reach.reach_zones(np.array([cell]), pipes, 200.0)[0]
    assert shapely.is_valid(zone) and zone.geom_type in ("Polygon", "MultiPolygon")
    assert shapely.area(zone) == pytest.approx(shapely.area(shapely.make_valid(crossing)), rel=1e-12)


@pytest.mark.parametrize("lon, lat", [(105.0, 21.0), (107.99, 16.0), (108.01, 16.0), (102.2, 22.3), (114.3, 10.4)])
def test_a_buffer_is_the_distance_on_the_ground_anywhere(lon, lat):
    """On a central meridian, at both sides of the 48/49 zone border (where UTM alone is 0.09% off)
    and on Trường Sa (zone 50): the area on the ellipsoid is that of a circle of 2 km, and the
    polygon's vertices are 2 km from the point, geodesically."""
    point, cell = shapely.Point(lon, lat), shapely.box(lon - 0.5, lat - 0.5, lon + 0.5, lat + 0.5)
    zone = reach.reach_zones(np.array([cell]), np.array([point]), 2000.0)[0]
    area = abs(GEOD.geometry_area_perimeter(zone)[0])
    assert area == pytest.approx(np.pi * 2000**2 * POLYGON_SHARE, rel=2e-5)
    xy = shapely.get_coordinates(zone)
    _, _, metres = GEOD.inv(np.full(len(xy), lon), np.full(len(xy), lat), xy[:, 0], xy[:, 1])
    assert metres == pytest.approx(2000.0, rel=1e-5)


def test_points_within_a_distance_in_metres_at_a_zone_edge():
    """5 km east of a supply point at 107.99°E: 2.5 m short of it is within, 2.5 m beyond is not
    (UTM's own scale there is 0.086% long, 4.3 m over 5 km)."""
    source = np.array([shapely.Point(107.99, 16.0)])
    ends = [GEOD.fwd(107.99, 16.0, azimuth, 5000 + delta)[:2] for azimuth in (90, 200) for delta in (-2.5, 2.5)]
    points = shapely.points(ends)
    zones = np.full(len(points), 32648)  # the zone of the point's commune
    assert list(reach.points_within(points, zones, source, 5000.0)) == [True, False, True, False]
    assert not reach.points_within(points, np.zeros(len(points), dtype=int), source, 5000.0).any()


def test_points_go_to_one_cell_and_far_ones_nowhere():
    west, east = shapely.box(106.00, 10.00, 106.02, 10.02), shapely.box(106.02, 10.00, 106.04, 10.02)
    points = shapely.points([(106.01, 10.01), (106.02, 10.01), (106.03, 10.021), (106.03, 10.035), (105.9, 10.0)])
    # inside the west cell; on the shared border (the first cell); 0.001° north of the east cell
    # (its nearest, within 0.01°); 0.015° north (too far); 0.1° west (too far)
    assert list(reach.assign_points(points, np.array([west, east]))) == [0, 0, 1, -1, -1]


def test_distances_are_checked():
    assert reach.checked_distance(0, "x") == 0.0 and reach.checked_distance(100_000, "x") == 100_000.0
    for bad in (-0.1, float("inf"), 100_001):
        with pytest.raises(InputError, match="give metres between 0 and 100,000"):
            reach.checked_distance(bad, "x")


# -- the real 2009 communes of Bến Tre with SYNTHETIC water layers ------------------------------
DISTANCE = 500.0
HOUSEHOLDS = 3000


@pytest.fixture(scope="module")
def ben_tre_water(backend, new_location, ben_tre_files, synthetic, data_dir, tmp_path_factory) -> str:
    """Bến Tre's 2009 boundaries with SYNTHETIC water lines, supply points, households (all inside
    communes) and a population grid, on each backend."""
    folder = tmp_path_factory.mktemp("ben_tre_water")
    communes = synthetic.read_communes(data_dir / "vn_admin_2009.gpkg", "811")
    rng = np.random.default_rng(17)
    geoms = np.asarray(communes.geometry.array)
    files = {"lines": synthetic.synthetic_roads(communes, 150, seed=3)[["synthetic", "geometry"]]}
    for name, n in (("points", 40), ("households", HOUSEHOLDS)):
        xy = synthetic._points_inside(geoms[rng.integers(0, len(geoms), n)], rng)
        files[name] = gpd.GeoDataFrame({"synthetic": [synthetic.LABEL] * n}, geometry=shapely.points(xy), crs=4326)
    grid, transform, crs = synthetic.synthetic_population(communes, 0.005, seed=9)
    synthetic.write_population(folder / "population.tif", grid, transform, crs)
    location = new_location(backend, with_2009=False)
    with open_store(location) as store:
        import_boundaries(store, ben_tre_files["boundaries"], dt.date(2009, 4, 1), measure_quality=False)
        for (name, frame), kind in zip(
            files.items(), (LayerKind.WATER_LINES, LayerKind.WATER_POINTS, LayerKind.HOUSEHOLDS), strict=True
        ):
            frame.to_file(folder / f"{name}.gpkg")
            import_layer(store, folder / f"{name}.gpkg", name, kind, dt.date(2020, 1, 1))
        import_layer(store, folder / "population.tif", "population", LayerKind.POPULATION, dt.date(2020, 1, 1))
    return location


def test_reach_over_real_communes_counts_everybody_once(ben_tre_water):
    with open_store(ben_tre_water) as store:
        request = coverage_request(
            store, "water", province="Bến Tre", year=2020, distance=DISTANCE, households_layer="households"
        )
        table, totals = coverage(store, request)
        city, _ = coverage(
            store,
            coverage_request(
                store,
                "water",
                province="Bến Tre",
                district="Thành phố Bến Tre",
                year=2020,
                distance=DISTANCE,
                households_layer="households",
            ),
        )
        cells = store.partition(store.vintages()[0].vintage_id)
        sources = np.concatenate(
            [
                np.asarray(store.layer_features(store.layer_named(n).layer_id).geometry.array)
                for n in ("lines", "points")
            ]
        )
        raster = store.layer_raster(store.layer_named("population").layer_id)
    assert len(table) == 164 and totals["communes"] == 164
    assert (table["population_within"] <= table["population"] * (1 + 1e-9)).all()
    assert 0 < totals["population_within"] < totals["population"]
    # the reach zones of the communes add up to the reach of the whole province
    union = shapely.coverage_union_all(np.asarray(cells.geometry.array))
    whole, _ = zonal_sums(
        raster, gpd.GeoDataFrame(geometry=reach.reach_zones(np.array([union]), sources, DISTANCE), crs=4326)
    )
    assert totals["population_within"] == pytest.approx(whole[0], rel=1e-6)
    # every household (all drawn inside communes) is in exactly one commune
    assert totals["households"] == HOUSEHOLDS and totals["households_outside_every_commune"] == 0
    assert (table["households_within"] <= table["households"]).all() and 0 < totals["households_within"] < HOUSEHOLDS
    # a commune's answer does not depend on the scope asked
    same = table.set_index("code").loc[city["code"]]
    assert len(city) == 17
    assert np.allclose(city["population_within"], same["population_within"], rtol=1e-9)
    assert (city["households_within"].to_numpy() == same["households_within"].to_numpy()).all()


def test_a_cells_reach_zone_does_not_depend_on_the_cells_or_tiles_asked_with_it(ben_tre_water, monkeypatch):
    # the zonal sums' coverage fractions are exact to about 1e-8, so equal answers across scopes
    # need the very same polygon: every cell's zone comes from the buffers that meet it alone
    with open_store(ben_tre_water) as store:
        cells = np.asarray(store.partition(store.vintages()[0].vintage_id).geometry.array)
        sources = np.concatenate(
            [
                np.asarray(store.layer_features(store.layer_named(n).layer_id).geometry.array)
                for n in ("lines", "points")
            ]
        )
    whole = reach.reach_zones(cells, sources, DISTANCE)
    assert (~shapely.is_empty(whole)).sum() > 100
    some = np.arange(0, len(cells), 7)  # every seventh cell, the sources in reverse order
    alone = reach.reach_zones(cells[some], sources[::-1], DISTANCE)
    monkeypatch.setattr(reach, "BUFFER_TILE_DEG", 0.05)
    tiled = reach.reach_zones(cells, sources, DISTANCE)
    assert (shapely.to_wkb(alone) == shapely.to_wkb(whole[some])).all()
    assert (shapely.to_wkb(tiled) == shapely.to_wkb(whole)).all()
