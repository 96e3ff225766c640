"""Types of infrastructure layers: kinds, road classes and surfaces, stored layer records."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import Enum


class LayerKind(str, Enum):
    """What a layer holds; fixes the geometry type it must have."""

    ROADS = "roads"
    WATER_LINES = "water_lines"
    WATER_POINTS = "water_points"
    HOUSEHOLDS = "households"
    FACILITIES = "facilities"
    POPULATION = "population"

    @property
    def geometry_family(self) -> str | None:
        """'line', 'point', or None for a raster."""
        return {LayerKind.ROADS: "line", LayerKind.WATER_LINES: "line", LayerKind.POPULATION: None}.get(self, "point")


#: Road classes, from the highest level of management down (NTM criterion 2 speaks of the last four).
ROAD_CLASSES = ("national", "provincial", "district", "commune", "hamlet", "alley", "field", "unknown")
#: Surfaces; the first three are "hardened" (cứng hóa).
SURFACES = ("asphalt", "concrete", "other_hardened", "gravel", "earth", "unknown")
HARDENED = frozenset({"asphalt", "concrete", "other_hardened"})
#: Asphalted or concreted (nhựa hóa hoặc bê tông hóa), what indicator 2.1 asks of commune roads.
SEALED = frozenset({"asphalt", "concrete"})
#: Facility kinds with a shipped meaning; other values are kept as given.
FACILITY_KINDS = ("school", "health_station", "market", "cultural_house", "post_office", "unknown")


@dataclass(frozen=True)
class Layer:
    """One stored infrastructure layer."""

    layer_id: int
    name: str
    kind: LayerKind
    valid_date: dt.date  # the day the layer describes
    source: str
    feature_count: int
    crs: str  # EPSG:4326 for vector layers; the raster's own CRS for population grids
    import_id: int | None = None
    summary: dict = field(default_factory=dict)
