"""A hand-made world whose water and facility answers are known by construction (used by the
infrastructure and the API tests; load it with ``load()``).

Coordinates are metres of a transverse Mercator centred on 106°E, 10°N with scale 1 (``LOCAL``:
within a few km of its centre a metre of it is a metre on the ground to 1e-7). Province 999,
district 99901, three communes side by side, each 2 x 2 km:

    y=2000 +---------+---------+---------+
           |  Xã A   |  Xã B   | Phường C|      A = 9990101, B = 9990103 (xã), C = 9990105 (phường)
           | pipe at |  well   |         |      pipe: water line along A's west edge, x = 0
           |  x = 0  |(3000,   |         |      well: supply point at (3000, 1000)
    y=0    +---------+--1000)--+---------+
          x=0      2000      4000      6000

Population raster (``LOCAL``, 100 m cells from x = -1000, y = 3000, 80 x 40):
``GRID[row, col] = 1 + col % 7 + row % 3`` people. Everything is dated ``DAY``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
import shapely
from pyproj import Transformer
from rasterio.transform import from_origin

from boundaries.importer import import_boundaries
from geo_ntm.domain import LayerKind
from geo_ntm.infrastructure.layers import import_layer
from geo_ntm.store import open_store

LOCAL = "+proj=tmerc +lat_0=10 +lon_0=106 +k=1 +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"
DAY = dt.date(2020, 6, 30)
YEAR = 2020  # framework qd1980_2016
PROVINCE = "999"
A, B, C = "9990101", "9990103", "9990105"
SQUARES = {A: shapely.box(0, 0, 2000, 2000), B: shapely.box(2000, 0, 4000, 2000), C: shapely.box(4000, 0, 6000, 2000)}
PIPE = shapely.LineString([(0, 0), (0, 2000)])
WELL = shapely.Point(3000, 1000)
ORIGIN, CELL = (-1000.0, 3000.0), 100.0
_rows, _cols = np.mgrid[0:40, 0:80]
GRID = (1 + _cols % 7 + _rows % 3).astype(float)
#: Household points, the commune each belongs to (None: outside every commune) and whether it is
#: within 250 m of the pipe or the well.
HOUSEHOLDS = [
    ((100, 500), A, True),
    ((1000, 1000), A, False),
    ((2000, 1500), A, False),  # on the A|B border: the first in code order
    ((3100, 1000), B, True),  # 100 m from the well
    ((3500, 1000), B, False),
    ((2500, -30), B, False),  # 30 m outside B: its nearest commune
    ((240, -40), A, True),  # 40 m outside A, 243 m from the pipe's end
    ((-900, -900), None, False),  # 0.0116° from A: too far, outside every commune
    ((5000, 1000), C, False),
]
#: Facilities (OSM amenity, position): A has 2 schools and the market on the A|B border, B a
#: clinic (health_station), C a post office and a town hall (a kind the mapping does not know).
FACILITIES = [
    ("school", (500, 500)),
    ("school", (1500, 1500)),
    ("clinic", (3000, 500)),
    ("marketplace", (2000, 800)),
    ("post_office", (5000, 500)),
    ("townhall", (5500, 500)),
]
#: A concrete hamlet road (OSM unclassified) in A, for the thresholds of criterion 2.
ROAD = shapely.LineString([(500, 200), (500, 1800)])

_TO_LONLAT = Transformer.from_crs(LOCAL, 4326, always_xy=True)


def lonlat(geom: shapely.Geometry) -> shapely.Geometry:
    """A ``LOCAL`` geometry in lon/lat, with a vertex every 10 m so its edges stay where they were."""
    return shapely.transform(
        shapely.segmentize(geom, 10.0), lambda xy: np.column_stack(_TO_LONLAT.transform(xy[:, 0], xy[:, 1]))
    )


def people_in(zone: shapely.Geometry) -> float:
    """The people of ``GRID`` in ``zone`` (``LOCAL``), each cell weighted by the share of its area
    inside: the answer computed directly, cell by cell."""
    x0, y0 = ORIGIN
    boxes = shapely.box(x0 + _cols * CELL, y0 - (_rows + 1) * CELL, x0 + (_cols + 1) * CELL, y0 - _rows * CELL)
    return float((shapely.area(shapely.intersection(boxes, zone)) / CELL**2 * GRID).sum())


def write_frame(folder: Path, name: str, columns: dict, geoms) -> Path:
    path = folder / f"{name}.gpkg"
    gpd.GeoDataFrame(columns, geometry=[lonlat(g) for g in geoms], crs=4326).to_file(path, layer=name)
    return path


def build(store, folder: Path) -> None:
    """Import the world's boundaries and layers (water lines ``pipes``, water points ``wells``,
    ``households``, ``facilities``, ``roads`` and the raster ``population``) into ``store``."""
    folder.mkdir(parents=True, exist_ok=True)
    communes = gpd.GeoDataFrame(
        {
            "province_id": PROVINCE,
            "district_id": "99901",
            "commune_id": list(SQUARES),
            "province_name": "Tỉnh Thử",
            "district_name": "Huyện Thử",
            "commune_name": ["Xã A", "Xã B", "Phường C"],
            "unit_type": ["xa", "xa", "phuong"],
            "population_2009": 1000.0,
        },
        geometry=[shapely.MultiPolygon([lonlat(g)]) for g in SQUARES.values()],
        crs=4326,
    )
    boundaries = folder / "boundaries.gpkg"
    communes.to_file(boundaries, layer="communes")
    district = communes.dissolve("district_id").reset_index()
    district[["province_id", "district_id", "province_name", "district_name", "geometry"]].assign(
        unit_type="huyen"
    ).to_file(boundaries, layer="districts")
    district[["province_id", "province_name", "geometry"]].assign(unit_type="tinh").to_file(
        boundaries, layer="provinces"
    )
    import_boundaries(store, boundaries, dt.date(2009, 4, 1), measure_quality=False)
    layers = [
        ("pipes", LayerKind.WATER_LINES, {"name": ["pipe"]}, [PIPE]),
        ("wells", LayerKind.WATER_POINTS, {"name": ["well"]}, [WELL]),
        (
            "households",
            LayerKind.HOUSEHOLDS,
            {"name": [f"h{i}" for i in range(len(HOUSEHOLDS))]},
            [shapely.Point(xy) for xy, _, _ in HOUSEHOLDS],
        ),
        (
            "facilities",
            LayerKind.FACILITIES,
            {"amenity": [k for k, _ in FACILITIES]},
            [shapely.Point(xy) for _, xy in FACILITIES],
        ),
        ("roads", LayerKind.ROADS, {"highway": ["unclassified"], "surface": ["concrete"]}, [ROAD]),
    ]
    for name, kind, columns, geoms in layers:
        import_layer(store, write_frame(folder, name, columns, geoms), name, kind, DAY)
    raster = folder / "population.tif"
    with rasterio.open(
        raster,
        "w",
        driver="GTiff",
        width=GRID.shape[1],
        height=GRID.shape[0],
        count=1,
        dtype="float32",
        crs=LOCAL,
        transform=from_origin(*ORIGIN, CELL, CELL),
    ) as dst:
        dst.write(GRID.astype("float32"), 1)
    import_layer(store, raster, "population", LayerKind.POPULATION, DAY)


def stored(location: str, folder: Path) -> str:
    """``location`` (a new, empty store) with the world built in it."""
    with open_store(location) as store:
        build(store, folder)
    return location
