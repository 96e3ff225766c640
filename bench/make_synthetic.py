"""SYNTHETIC test and benchmark data over the real 2009 communes: a road network, a population
raster, and for the water and facility questions a water network with supply points, household
points and facilities. Nothing here is real: every file, layer, column and raster tag says SYNTHETIC.

    python bench/make_synthetic.py roads  -n 100000 -o var/synthetic_roads.gpkg [--province 811]
    python bench/make_synthetic.py water -n 300000 --points 30000 -o var/synthetic_water.gpkg [--province 811]
    python bench/make_synthetic.py population -o var/synthetic_population.tif [--resolution 0.01] [--crs EPSG:32648]
    python bench/make_synthetic.py reach -n 20000000 -o var/synthetic_reach.gpkg [--province 811]

Reach (one GeoPackage, four layers): ``water_lines`` (pipes: the road generator's polylines in
a random 60% of the communes, about one per 40 households of 2009), ``water_points`` (one well in half of the
other communes), ``households`` (``-n`` points, per commune in proportion to its 2009 population,
uniform inside it; written in chunks, so tens of millions fit) and ``facilities`` (OSM
``amenity`` tags: a school and a clinic in every commune, a marketplace in one in three).

Roads: segment counts per commune are proportional to the square root of its area, so the
number of segments per km² grows as communes get smaller (dense lowland and urban communes get
far more road per km² than large mountain communes). Each segment is a short polyline (2-6
vertices, gentle turns) starting inside its commune; higher classes are longer and cross more
borders. Classes and surfaces are drawn with class-dependent shares and written as OSM tags
(``highway``, ``surface``; 5% of minor roads without a surface), so imports go through the
shipped ``osm`` mapping. Water: pipes laid along a synthetic road network of their own (the same
generator, another seed: mains follow roads), layer ``lines``, and supply points (wells, stations)
spread over the communes in proportion to the square root of their area, layer ``points``.
Population: each commune's 2009 population spread evenly over its
polygon, times log-normal noise. The seed makes both deterministic.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
import rasterio.features
import shapely
from rasterio.transform import from_origin

DEFAULT_BOUNDARIES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "vn_admin_2009.gpkg"
LABEL = "SYNTHETIC"

# class: (share of segments, length factor, OSM highway, {OSM surface or None: share})
CLASSES = {
    "national": (0.02, 6.0, "trunk", {"asphalt": 0.9, "concrete": 0.1}),
    "provincial": (0.03, 5.0, "primary", {"asphalt": 0.85, "concrete": 0.15}),
    "district": (0.05, 4.0, "secondary", {"asphalt": 0.7, "concrete": 0.25, "gravel": 0.05}),
    "commune": (0.15, 2.0, "tertiary", {"asphalt": 0.4, "concrete": 0.5, "gravel": 0.07, "dirt": 0.03}),
    "hamlet": (
        0.30,
        1.0,
        "unclassified",
        {"concrete": 0.6, "asphalt": 0.1, "paving_stones": 0.05, "gravel": 0.15, "dirt": 0.1},
    ),
    "alley": (
        0.30,
        0.6,
        "residential",
        {"concrete": 0.55, "paving_stones": 0.1, "gravel": 0.1, "dirt": 0.2, None: 0.05},
    ),
    "field": (0.15, 1.0, "track", {"concrete": 0.3, "gravel": 0.2, "dirt": 0.45, None: 0.05}),
}


def read_communes(path: Path = DEFAULT_BOUNDARIES, province: str | None = None) -> gpd.GeoDataFrame:
    """The real 2009 communes (optionally of one province code), EPSG:4326."""
    communes = gpd.read_file(path, layer="communes")
    if province:
        communes = communes[communes["province_id"] == province]
    return communes.reset_index(drop=True)


def _allocate(weights: np.ndarray, total: int) -> np.ndarray:
    """Integers proportional to ``weights`` summing to ``total`` (largest remainders)."""
    exact = weights / weights.sum() * total
    counts = np.floor(exact).astype(int)
    counts[np.argsort(counts - exact)[: total - counts.sum()]] += 1
    return counts


def _points_inside(geoms: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One random point inside each geometry (rejection sampling in the bounding boxes)."""
    shapely.prepare(geoms)
    bounds = shapely.bounds(geoms)
    xy = np.empty((len(geoms), 2))
    todo = np.arange(len(geoms))
    for _ in range(60):
        if not len(todo):
            break
        b = bounds[todo]
        x = rng.uniform(b[:, 0], b[:, 2])
        y = rng.uniform(b[:, 1], b[:, 3])
        ok = shapely.contains_xy(geoms[todo], x, y)
        xy[todo[ok]] = np.column_stack([x[ok], y[ok]])
        todo = todo[~ok]
    if len(todo):  # very thin shapes: a point on the surface
        xy[todo] = shapely.get_coordinates(shapely.point_on_surface(geoms[todo]))
    return xy


def synthetic_roads(communes: gpd.GeoDataFrame, n_segments: int, seed: int = 2009) -> gpd.GeoDataFrame:
    """A SYNTHETIC road network of ``n_segments`` polylines over ``communes`` (OSM-style tags)."""
    rng = np.random.default_rng(seed)
    geoms = np.asarray(communes.geometry.array)
    size = np.sqrt(shapely.area(geoms))  # degrees; about the commune's width
    counts = _allocate(size, n_segments)
    owner = np.repeat(np.arange(len(geoms)), counts)
    names = list(CLASSES)
    cls = rng.choice(len(names), size=len(owner), p=[CLASSES[c][0] for c in names])
    n_vertices = rng.integers(2, 7, size=len(owner))
    factor = np.array([CLASSES[c][1] for c in names])[cls]
    step = size[owner] * 0.12 * factor / (n_vertices - 1) * rng.uniform(0.5, 1.5, len(owner))
    start = _points_inside(geoms[owner], rng)
    # vertices: a gently turning walk from the start point
    seg = np.repeat(np.arange(len(owner)), n_vertices)
    first = np.r_[0, np.cumsum(n_vertices)[:-1]]
    k = np.arange(len(seg)) - np.repeat(first, n_vertices)
    heading = np.repeat(rng.uniform(0, 2 * np.pi, len(owner)), n_vertices) + rng.normal(0, 0.35, len(seg))
    dx = np.where(k == 0, 0.0, np.cos(heading) * step[seg])
    dy = np.where(k == 0, 0.0, np.sin(heading) * step[seg])
    x = start[seg, 0] + _cumsum_by_group(dx, first, n_vertices)
    y = start[seg, 1] + _cumsum_by_group(dy, first, n_vertices)
    lines = shapely.linestrings(x, y, indices=seg)
    surfaces = np.empty(len(owner), dtype=object)
    for i, name in enumerate(names):
        mask = cls == i
        options = list(CLASSES[name][3].items())
        pick = rng.choice(len(options), size=int(mask.sum()), p=[p for _, p in options])
        surfaces[mask] = np.array([s for s, _ in options], dtype=object)[pick]
    return gpd.GeoDataFrame(
        {
            "seg_id": np.arange(len(owner)),
            "highway": np.array([CLASSES[c][2] for c in names], dtype=object)[cls],
            "surface": surfaces,
            "synthetic": LABEL,
            "commune_of_origin": communes["commune_id"].to_numpy()[owner],
        },
        geometry=gpd.GeoSeries(lines, crs="EPSG:4326"),
    )


def synthetic_water_network(
    communes: gpd.GeoDataFrame, n_lines: int, n_points: int, seed: int = 2009
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """A SYNTHETIC water network of ``n_lines`` pipes (polylines laid like roads, seed + 1) and
    ``n_points`` supply points over every commune (the national bench; ``synthetic_water`` serves
    a chosen share of the communes, for the household reach)."""
    pipes = synthetic_roads(communes, n_lines, seed + 1)
    lines = gpd.GeoDataFrame(
        {"pipe_id": pipes["seg_id"], "synthetic": LABEL, "commune_of_origin": pipes["commune_of_origin"]},
        geometry=pipes.geometry,
    )
    rng = np.random.default_rng(seed + 2)
    geoms = np.asarray(communes.geometry.array)
    owner = np.repeat(np.arange(len(geoms)), _allocate(np.sqrt(shapely.area(geoms)), n_points))
    xy = _points_inside(geoms[owner], rng)
    points = gpd.GeoDataFrame(
        {
            "point_id": np.arange(len(owner)),
            "synthetic": LABEL,
            "commune_of_origin": communes["commune_id"].to_numpy()[owner],
        },
        geometry=gpd.GeoSeries(shapely.points(xy), crs="EPSG:4326"),
    )
    return lines, points


def _cumsum_by_group(values: np.ndarray, first: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    total = np.cumsum(values)
    base = np.repeat(total[first] - values[first], lengths)
    return total - base


def synthetic_population(
    communes: gpd.GeoDataFrame, resolution: float = 0.01, seed: int = 2009, crs: str | None = None
) -> tuple[np.ndarray, rasterio.Affine, str]:
    """A SYNTHETIC population grid (people per cell, float32, nodata -1) over ``communes``:
    each commune's 2009 population spread evenly, times log-normal noise. ``resolution`` is in
    the units of ``crs`` (default EPSG:4326, degrees)."""
    rng = np.random.default_rng(seed)
    frame = communes.to_crs(crs) if crs else communes
    minx, miny, maxx, maxy = frame.total_bounds
    width, height = int(np.ceil((maxx - minx) / resolution)), int(np.ceil((maxy - miny) / resolution))
    transform = from_origin(minx, maxy, resolution, resolution)
    pop = frame["population_2009"].fillna(0).to_numpy(dtype=float)
    density = pop / np.maximum(shapely.area(np.asarray(frame.geometry.array)), 1e-12)  # people per CRS unit²
    grid = rasterio.features.rasterize(
        zip(frame.geometry, density, strict=True),
        out_shape=(height, width),
        transform=transform,
        fill=-1.0,
        dtype="float64",
    )
    noise = rng.lognormal(0.0, 0.5, grid.shape)
    cells = np.where(grid >= 0, grid * resolution * resolution * noise, -1.0)
    return cells.astype("float32"), transform, (crs or "EPSG:4326")


def write_population(path: Path, grid: np.ndarray, transform, crs: str) -> None:
    profile = {
        "driver": "GTiff",
        "dtype": "float32",
        "count": 1,
        "width": grid.shape[1],
        "height": grid.shape[0],
        "crs": crs,
        "transform": transform,
        "nodata": -1.0,
        "compress": "deflate",
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(grid, 1)
        dst.update_tags(SYNTHETIC="true", description=f"{LABEL} population grid, not real data (geo_ntm bench)")


def synthetic_households(communes: gpd.GeoDataFrame, n: int, seed: int = 2009) -> gpd.GeoDataFrame:
    """``n`` SYNTHETIC household points over ``communes``, per commune in proportion to its 2009
    population, uniform inside it."""
    rng = np.random.default_rng(seed)
    geoms = np.asarray(communes.geometry.array)
    counts = _allocate(communes["population_2009"].fillna(0).to_numpy(dtype=float) + 1.0, n)
    xy = _points_inside(np.repeat(geoms, counts), rng)
    return gpd.GeoDataFrame(geometry=gpd.GeoSeries(shapely.points(xy), crs="EPSG:4326")).assign(synthetic=LABEL)


def synthetic_water(
    communes: gpd.GeoDataFrame, seed: int = 2009, n_lines: int | None = None
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """A SYNTHETIC piped network (``n_lines`` polylines, default one per 40 households of 2009,
    in a random 60% of ``communes``) and supply points (a well in half of the other communes)."""
    rng = np.random.default_rng(seed)
    served = rng.random(len(communes)) < 0.6
    pipes = communes[served]
    n_lines = n_lines or max(1, int(pipes["population_2009"].fillna(0).sum() / 4 / 40))
    lines = synthetic_roads(pipes, n_lines, seed)[["geometry"]].assign(synthetic=LABEL)
    wells = communes[~served & (rng.random(len(communes)) < 0.5)]
    points = gpd.GeoSeries(shapely.points(_points_inside(np.asarray(wells.geometry.array), rng)), crs="EPSG:4326")
    return lines, gpd.GeoDataFrame(geometry=points).assign(synthetic=LABEL)


def synthetic_facilities(communes: gpd.GeoDataFrame, seed: int = 2009) -> gpd.GeoDataFrame:
    """SYNTHETIC facilities (OSM ``amenity``): a school and a clinic in every commune, a
    marketplace in one in three."""
    rng = np.random.default_rng(seed)
    geoms = np.asarray(communes.geometry.array)
    market = np.flatnonzero(rng.random(len(geoms)) < 1 / 3)
    owner = np.r_[np.arange(len(geoms)), np.arange(len(geoms)), market]
    amenity = ["school"] * len(geoms) + ["clinic"] * len(geoms) + ["marketplace"] * len(market)
    points = shapely.points(_points_inside(geoms[owner], rng))
    return gpd.GeoDataFrame({"amenity": amenity, "synthetic": LABEL}, geometry=gpd.GeoSeries(points, crs="EPSG:4326"))


def write_reach(
    communes: gpd.GeoDataFrame, n_households: int, path: Path, seed: int = 2009, n_lines: int | None = None
) -> None:
    """The four layers of ``reach`` into the GeoPackage ``path`` (``n_lines``: see
    ``synthetic_water``); households in chunks of about a million points (by groups of
    communes), so memory stays flat."""
    lines, points = synthetic_water(communes, seed, n_lines)
    lines.to_file(path, layer="water_lines", driver="GPKG")
    points.to_file(path, layer="water_points", driver="GPKG")
    synthetic_facilities(communes, seed).to_file(path, layer="facilities", driver="GPKG")
    weights = communes["population_2009"].fillna(0).to_numpy(dtype=float) + 1.0
    counts = _allocate(weights, n_households)
    chunk = np.cumsum(counts) // 1_000_000
    for i, key in enumerate(np.unique(chunk)):
        rows = chunk == key
        part = synthetic_households(communes[rows], int(counts[rows].sum()), seed + i)
        part.to_file(path, layer="households", driver="GPKG", append=i > 0)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("what", choices=["roads", "water", "population", "reach"])
    p.add_argument("-o", "--output", type=Path, required=True)
    p.add_argument(
        "-n", "--segments", type=int, default=100_000, help="number of road segments (water: pipes; reach: households)"
    )
    p.add_argument("--points", type=int, default=10_000, help="water: number of supply points")
    p.add_argument("--province", help="province code of the 2009 file (default: the whole country)")
    p.add_argument("--seed", type=int, default=2009)
    p.add_argument("--resolution", type=float, default=0.01, help="raster cell size in CRS units")
    p.add_argument("--crs", help="raster CRS (default EPSG:4326)")
    p.add_argument("--boundaries", type=Path, default=DEFAULT_BOUNDARIES)
    args = p.parse_args(argv)
    communes = read_communes(args.boundaries, args.province)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    if args.what == "roads":
        roads = synthetic_roads(communes, args.segments, args.seed)
        roads.to_file(args.output, layer="synthetic_roads", driver="GPKG")
        print(f"wrote {len(roads)} SYNTHETIC road segments to {args.output}")
    elif args.what == "reach":
        write_reach(communes, args.segments, args.output, args.seed)
        print(f"wrote SYNTHETIC water lines, water points, {args.segments} households and facilities to {args.output}")
    elif args.what == "water":
        lines, points = synthetic_water_network(communes, args.segments, args.points, args.seed)
        lines.to_file(args.output, layer="lines", driver="GPKG")
        points.to_file(args.output, layer="points", driver="GPKG")
        print(f"wrote {len(lines)} SYNTHETIC water pipes and {len(points)} supply points to {args.output}")
    else:
        grid, transform, crs = synthetic_population(communes, args.resolution, args.seed, args.crs)
        write_population(args.output, grid, transform, crs)
        print(f"wrote a SYNTHETIC population grid {grid.shape} ({crs}) to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
