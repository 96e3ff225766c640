"""How well a layer of units tiles the ground: overlaps between neighbours and gaps between them,
measured in an equal-area projection."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from geo_ntm.geometry import to_equal_area


@dataclass(frozen=True)
class BoundaryQualityReport:
    units: int
    total_area_ha: float
    overlap_pairs: int  # neighbour pairs whose interiors overlap
    overlap_ha: float
    overlap_pct: float  # of the summed unit area
    largest_overlaps: list[tuple[str, str, float]]  # (code, code, ha)
    gap_count: int  # holes in the union of all units
    gap_ha: float
    largest_gaps: list[tuple[float, float, float]]  # (lon, lat, ha) of a point inside the gap

    def summary(self) -> str:
        return (
            f"{self.overlap_pairs} overlapping neighbour pairs, {self.overlap_ha:,.1f} ha "
            f"({self.overlap_pct:.3f}% of the area); {self.gap_count} gaps, {self.gap_ha:,.1f} ha"
        )


def measure_boundary_quality(
    units: gpd.GeoDataFrame, code_column: str = "code", top: int = 10, min_overlap_m2: float = 1.0
) -> BoundaryQualityReport:
    """Overlaps (pairwise, via an STRtree) and gaps (holes of the union) of ``units``.

    Overlaps smaller than ``min_overlap_m2`` are rounding noise of a shared border and are not
    counted."""
    metric = to_equal_area(units.geometry)
    geoms = np.asarray(metric.array)
    codes = units[code_column].to_numpy()
    area = shapely.area(geoms)
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    overlap = shapely.area(shapely.intersection(geoms[left], geoms[right]))
    overlap[overlap < min_overlap_m2] = 0.0
    real = overlap > 0
    order = np.argsort(-overlap)[:top]
    largest_overlaps = [
        (str(codes[left[i]]), str(codes[right[i]]), round(float(overlap[i]) / 1e4, 3)) for i in order if overlap[i] > 0
    ]

    union = shapely.union_all(geoms)
    holes = np.array(
        [shapely.Polygon(ring) for poly in shapely.get_parts(union) for ring in poly.interiors], dtype=object
    )
    hole_area = shapely.area(holes) if len(holes) else np.array([])
    largest_gaps = []
    if len(holes):
        points = gpd.GeoSeries(shapely.point_on_surface(holes[np.argsort(-hole_area)[:top]]), crs=metric.crs).to_crs(
            4326
        )
        largest_gaps = [
            (round(p.x, 5), round(p.y, 5), round(float(a) / 1e4, 3))
            for p, a in zip(points, np.sort(hole_area)[::-1][:top], strict=True)
        ]
    total = float(area.sum())
    return BoundaryQualityReport(
        units=len(units),
        total_area_ha=round(total / 1e4, 2),
        overlap_pairs=int(real.sum()),
        overlap_ha=round(float(overlap.sum()) / 1e4, 3),
        overlap_pct=round(100 * float(overlap.sum()) / total, 4) if total else 0.0,
        largest_overlaps=largest_overlaps,
        gap_count=len(holes),
        gap_ha=round(float(hole_area.sum()) / 1e4, 3),
        largest_gaps=largest_gaps,
    )
