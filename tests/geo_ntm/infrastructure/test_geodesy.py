"""The vectorised geodesic lengths against GeographicLib (``pyproj.Geod``) on road-shaped lines
in Vietnam's latitudes: from centimetres to hundreds of kilometres between vertices."""

from __future__ import annotations

import numpy as np
import shapely
from pyproj import Geod

from geo_ntm.infrastructure.geodesy import SHORT_CHORD_M, geodesic_lengths, segment_lengths

GEOD = Geod(ellps="WGS84")


def _pairs(n: int, spread_deg: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    start = np.column_stack([rng.uniform(102.1, 109.5, n), rng.uniform(8.5, 23.4, n)])
    return start, start + rng.normal(0, spread_deg, (n, 2))


def test_pairs_match_pyproj_from_centimetres_to_hundreds_of_km():
    for spread in (1e-7, 1e-5, 1e-3, 1e-2, 0.05, 1.0, 3.0):  # ~1 cm … ~300 km
        a, b = _pairs(20_000, spread, seed=int(spread * 1e7))
        expected = GEOD.inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])[2]
        got = segment_lengths(a, b)
        # GeographicLib itself rounds to about 1e-8 m: below a metre compare absolutely
        assert np.all(np.abs(got - expected) <= np.maximum(1e-10 * expected, 2e-8)), spread
        assert abs(got.sum() - expected.sum()) <= 1e-10 * expected.sum()  # GeographicLib: 2e-11 at 1 cm


def test_same_point_and_the_threshold():
    a = np.array([[105.85, 21.03], [105.85, 21.03]])
    b = np.array([[105.85, 21.03], [105.85 + SHORT_CHORD_M / 104_000, 21.03]])  # 0 m, just under 10 km
    got, expected = segment_lengths(a, b), GEOD.inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])[2]
    assert got[0] == 0 and abs(got[1] - expected[1]) <= 1e-7 and 9_000 < got[1] < SHORT_CHORD_M


def test_road_shaped_lines_match_geometry_length():
    """Random walks of 2-60 vertices (steps of 1 m to 3 km, gentle turns), as synthetic roads are."""
    rng = np.random.default_rng(16)
    lines = []
    for _ in range(3000):
        n = int(rng.integers(2, 60))
        heading = rng.uniform(0, 2 * np.pi) + np.cumsum(rng.normal(0, 0.3, n - 1))
        step = np.exp(rng.uniform(np.log(1e-5), np.log(3e-2), n - 1))
        start = [rng.uniform(102.1, 109.5), rng.uniform(8.5, 23.4)]
        xy = np.vstack(
            [start, start + np.cumsum(np.column_stack([np.cos(heading), np.sin(heading)]) * step[:, None], 0)]
        )
        lines.append(shapely.LineString(xy))
    lines.append(shapely.MultiLineString([[(105, 21), (105.001, 21.001)], [(106, 10), (106.2, 10.1)]]))
    expected = np.array([GEOD.geometry_length(g) for g in lines])
    assert np.allclose(geodesic_lengths(lines), expected, rtol=1e-9, atol=0)
