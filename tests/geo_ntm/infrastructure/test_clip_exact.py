"""Road pieces given to exactly one commune, measured geodesically: hand-made cases whose
answers are known by construction, and the real 2009 communes with a synthetic network."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import Geod

from geo_ntm.infrastructure import clip, parallel
from geo_ntm.infrastructure.clip import clip_lines
from geo_ntm.infrastructure.geodesy import geodesic_lengths, utm_crs
from geo_ntm.infrastructure.partition import build_partition

GEOD = Geod(ellps="WGS84")
WEST = shapely.box(106.00, 10.00, 106.02, 10.02)
EAST = shapely.box(106.02, 10.00, 106.04, 10.02)


def per_cell(pieces, n_cells: int) -> np.ndarray:
    inside = pieces.cell >= 0
    return np.bincount(pieces.cell[inside], weights=pieces.metres[inside], minlength=n_cells)


def test_geodesic_lengths_match_pyproj_anywhere_in_vietnam():
    rng = np.random.default_rng(1)
    lines = [
        shapely.LineString(np.column_stack([rng.uniform(102.1, 109.5, 5), rng.uniform(8.5, 23.4, 5)]))
        for _ in range(50)
    ]
    lines.append(shapely.MultiLineString([[(105, 21), (105.1, 21.1)], [(106, 10), (106.2, 10.1)]]))
    expected = [GEOD.geometry_length(g) for g in lines]
    assert np.allclose(geodesic_lengths(lines), expected, rtol=1e-12)


def test_lengths_agree_with_the_local_utm_zone():
    """A 1 km road measured geodesically agrees with the local UTM projection within 0.1%."""
    from pyproj import Transformer

    for lon, lat in ((103.0, 22.5), (106.7, 10.8), (108.2, 16.0)):
        _, _, end_lon_lat = None, None, GEOD.fwd(lon, lat, 45, 1000)
        line = shapely.LineString([(lon, lat), end_lon_lat[:2]])
        utm = Transformer.from_crs(4326, utm_crs(lon, lat), always_xy=True)
        projected = shapely.transform(line, lambda xy, utm=utm: np.column_stack(utm.transform(xy[:, 0], xy[:, 1])))
        assert geodesic_lengths([line])[0] == pytest.approx(1000, rel=1e-9)
        assert projected.length == pytest.approx(1000, rel=1e-3)


def test_a_1km_road_along_a_shared_border_is_counted_once():
    end = GEOD.fwd(106.02, 10.005, 0, 1000)  # due north along x = 106.02
    road = shapely.LineString([(106.02, 10.005), (106.02, end[1])])
    pieces = clip_lines([road], [WEST, EAST])
    km = per_cell(pieces, 2)
    assert km.sum() == pytest.approx(1000, rel=1e-9)
    assert km[0] == pytest.approx(1000, rel=1e-9) and km[1] == 0  # the first cell in code order takes it


def test_a_road_across_a_shared_border_is_split_where_it_crosses():
    road = shapely.LineString([(106.01, 10.01), (106.03, 10.01)])
    km = per_cell(clip_lines([road], [WEST, EAST]), 2)
    half = GEOD.geometry_length(shapely.LineString([(106.01, 10.01), (106.02, 10.01)]))
    assert km == pytest.approx([half, half], rel=1e-9)


def test_a_road_crossing_a_commune_twice():
    coords = [(106.01, 10.005), (106.03, 10.005), (106.03, 10.015), (106.01, 10.015)]  # west, east, back west
    road = shapely.LineString(coords)
    km = per_cell(clip_lines([road], [WEST, EAST]), 2)
    leg = GEOD.geometry_length(shapely.LineString([(106.01, 10.005), (106.02, 10.005)]))
    leg_top = GEOD.geometry_length(shapely.LineString([(106.02, 10.015), (106.01, 10.015)]))
    east = GEOD.geometry_length(
        shapely.LineString([(106.02, 10.005), (106.03, 10.005), (106.03, 10.015), (106.02, 10.015)])
    )
    assert km[0] == pytest.approx(leg + leg_top, rel=1e-9)
    assert km[1] == pytest.approx(east, rel=1e-9)


def test_overlaps_go_to_the_smaller_commune_and_gaps_to_a_neighbour():
    import geopandas as gpd

    big = shapely.box(106.00, 10.00, 106.05, 10.05)
    small = shapely.box(106.045, 10.00, 106.07, 10.05)  # overlaps big by 0.005°
    north = shapely.Polygon([(106.0, 10.05), (106.07, 10.05), (106.07, 10.08), (106.0, 10.08)])
    ring = shapely.box(106.10, 10.0, 106.20, 10.1).difference(shapely.box(106.13, 10.03, 106.17, 10.07))
    units = gpd.GeoDataFrame(
        {"unit_id": [1, 2, 3, 4], "code": ["a", "b", "c", "d"]}, geometry=[big, small, north, ring], crs="EPSG:4326"
    )
    cells, report = build_partition(units)
    geoms = np.asarray(cells.geometry.array)
    assert shapely.coverage_is_valid(geoms)
    assert shapely.area(geoms[1]) == pytest.approx(small.area)  # the overlap went to the smaller unit
    assert shapely.area(geoms[0]) == pytest.approx(big.area - 0.005 * 0.05)
    assert report["holes_filled"] == 1 and shapely.area(geoms[3]) == pytest.approx(0.1 * 0.1)  # hole filled
    road = shapely.LineString([(106.01, 10.02), (106.06, 10.02)])  # crosses the overlap
    km = per_cell(clip_lines([road], geoms), 4)
    assert km.sum() == pytest.approx(GEOD.geometry_length(road), rel=1e-9)


def test_pieces_outside_every_commune():
    near = shapely.LineString([(106.001, 10.021), (106.01, 10.021)])  # 110 m north of WEST, along it
    abroad = shapely.LineString([(106.03, 10.01), (106.2, 10.01)])  # leaves EAST for 17 km
    pieces = clip_lines([near, abroad], [WEST, EAST])
    km = per_cell(pieces, 2)
    assert km[0] == pytest.approx(GEOD.geometry_length(near), rel=1e-9)
    outside = pieces.metres[pieces.cell < 0].sum()
    # a cut point is on the lon/lat chord, not on the geodesic: pieces differ by ~1e-9 relative
    assert outside == pytest.approx(
        GEOD.geometry_length(shapely.LineString([(106.04, 10.01), (106.2, 10.01)])), rel=1e-8
    )
    assert km.sum() + outside == pytest.approx(GEOD.geometry_length(near) + GEOD.geometry_length(abroad), rel=1e-8)


def test_a_piece_outside_touching_two_communes_goes_to_the_first_in_code_order():
    """A road leaves WEST across the coast (y = 10.02), runs 500 m offshore and comes back into
    EAST: the offshore piece touches both, and goes to the first cell whatever the index does."""
    road = shapely.LineString([(106.015, 10.01), (106.015, 10.025), (106.025, 10.025), (106.025, 10.01)])
    offshore = GEOD.geometry_length(
        shapely.LineString([(106.015, 10.02), (106.015, 10.025), (106.025, 10.025), (106.025, 10.02)])
    )
    west_part = GEOD.geometry_length(shapely.LineString([(106.015, 10.01), (106.015, 10.02)]))
    for cells in ([WEST, EAST], [EAST, WEST]):
        km = per_cell(clip_lines([road], cells), 2)
        assert km[0] == pytest.approx(offshore + west_part, rel=1e-8)  # the first cell takes the offshore piece
        assert km[1] == pytest.approx(west_part, rel=1e-8)  # (both inland legs are the same length)


@pytest.fixture(scope="module")
def ben_tre_tra_vinh(synthetic, data_dir):
    """The partition of Bến Tre and Trà Vinh's 269 real 2009 communes and a SYNTHETIC network."""
    communes = synthetic.read_communes(data_dir / "vn_admin_2009.gpkg")
    communes = communes[communes["province_id"].isin(["811", "817"])].reset_index(drop=True)
    communes = communes.rename(columns={"commune_id": "code"}).assign(unit_id=range(len(communes)))
    cells, report = build_partition(communes)
    roads = synthetic.synthetic_roads(communes.rename(columns={"code": "commune_id"}), 20_000, seed=3)
    return cells, report, np.asarray(roads.geometry.array)


def test_threads_give_the_answer_of_one_thread(ben_tre_tra_vinh, monkeypatch):
    """Chunks of lines, pairs and cells on several threads: the same pieces as in one call."""
    cells, _, lines = ben_tre_tra_vinh
    cell_geoms = np.asarray(cells.geometry.array)
    monkeypatch.setattr(parallel, "WORKERS", 1)
    one = clip_lines(lines, cell_geoms)
    monkeypatch.setattr(parallel, "WORKERS", 3)
    monkeypatch.setattr(parallel, "_MIN_CHUNK", 10)
    many = clip_lines(lines, cell_geoms)
    for pieces in (one, many):
        assert (pieces.cell >= 0).sum() > len(lines) * 0.9
    order_one, order_many = np.lexsort((one.cell, one.line)), np.lexsort((many.cell, many.line))
    assert np.array_equal(one.line[order_one], many.line[order_many])
    assert np.array_equal(one.cell[order_one], many.cell[order_many])
    assert np.allclose(one.metres[order_one], many.metres[order_many], rtol=1e-12)


def test_real_2009_communes_every_piece_once(ben_tre_tra_vinh):
    """Bến Tre and Trà Vinh (269 real communes, overlapping as delivered): the generated network's
    length equals the sum of its pieces within 1e-9 in total (1e-8 per road: a cut point lies on
    the lon/lat chord, a hair off the geodesic)."""
    cells, report, lines = ben_tre_tra_vinh
    assert report["empty_cells"] == 0 and shapely.coverage_is_valid(np.asarray(cells.geometry.array))
    pieces = clip_lines(lines, np.asarray(cells.geometry.array))
    before = geodesic_lengths(lines)
    per_road = np.bincount(pieces.line, weights=pieces.metres, minlength=len(lines))
    assert np.allclose(per_road, before, rtol=1e-8, atol=0)
    assert pieces.metres.sum() == pytest.approx(before.sum(), rel=1e-9)
    assert (pieces.cell >= 0).mean() > 0.95  # most pieces are inside; the rest run out to sea or abroad


def exact_rule(lines, cells) -> np.ndarray:
    """Metres per cell by the exact rule alone (an overlay per line and cell)."""
    lines = np.asarray(lines, dtype=object)
    return per_cell(clip._cut_by_cells(lines, np.arange(len(lines)), clip.CellIndex(cells)), len(cells))


GRID = [
    shapely.box(106.00 + 0.01 * i, 10.00 + 0.01 * j, 106.01 + 0.01 * i, 10.01 + 0.01 * j)
    for j in (0, 1)
    for i in (0, 1)
]


@pytest.mark.parametrize(
    "coords",
    [
        [(106.005, 10.005), (106.015, 10.015)],  # through the corner four cells share
        [(106.005, 10.002), (106.01, 10.004), (106.005, 10.006)],  # a vertex on a border, back again
        [(106.005, 10.002), (106.01, 10.004), (106.015, 10.006)],  # a vertex on a border, across it
        [(106.002, 10.005), (106.01, 10.005), (106.01, 10.015), (106.018, 10.015)],  # along a border
        [(106.005, 10.003), (106.015, 10.003), (106.015, 10.017), (106.003, 10.017), (106.003, 10.004)],  # round
    ],
)
def test_noding_at_the_borders_gives_what_the_exact_rule_gives(coords):
    road = shapely.LineString(coords)
    km = per_cell(clip_lines([road], GRID), 4)
    assert km == pytest.approx(exact_rule([road], GRID), rel=1e-12, abs=1e-6)  # GEOS leaves nm at a corner
    assert km.sum() == pytest.approx(GEOD.geometry_length(road), rel=1e-9)


def test_a_road_across_an_island_commune():
    """A commune inside another's hole: the road's piece on the island goes to the island."""
    island = shapely.box(106.004, 10.004, 106.006, 10.006)
    around = shapely.box(106.0, 10.0, 106.01, 10.01).difference(island)
    road = shapely.LineString([(106.002, 10.005), (106.008, 10.005)])
    km = per_cell(clip_lines([road], [around, island]), 2)
    on_island = GEOD.geometry_length(shapely.LineString([(106.004, 10.005), (106.006, 10.005)]))
    assert km[1] == pytest.approx(on_island, rel=1e-9)
    assert km[0] == pytest.approx(GEOD.geometry_length(road) - on_island, rel=1e-9)


def test_noding_equals_the_exact_rule_on_real_communes(ben_tre_tra_vinh):
    """On the real partition, lines cut by noding get the metres per cell (and outside every
    cell) the exact rule gives, and noding decides nearly all the lines crossing a border or the
    coast (the exact rule is the exception)."""
    cells, _, lines = ben_tre_tra_vinh
    index = clip.CellIndex(np.asarray(cells.geometry.array))
    inside, _ = clip._lines_inside(lines, index)
    crossing = np.setdiff1d(np.arange(len(lines)), inside)
    noded, undecided = clip._node_at_borders(lines, crossing, index)
    assert len(crossing) > 1000 and len(undecided) < 0.01 * len(crossing)
    decided = np.setdiff1d(crossing, undecided)
    exact = clip._cut_by_cells(lines, decided, index)
    for pieces in (noded, exact):
        assert set(np.unique(pieces.line)) <= set(decided)
    a, b = per_cell(noded, len(index.cells)), per_cell(exact, len(index.cells))
    assert np.allclose(a, b, rtol=1e-12, atol=1e-6)
    outside = [pieces.metres[pieces.cell < 0].sum() for pieces in (noded, exact)]
    assert outside[0] > 1000 and outside[0] == pytest.approx(outside[1], rel=1e-12)  # roads out to sea
