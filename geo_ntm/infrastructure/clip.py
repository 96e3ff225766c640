"""Cut lines at the borders of partition cells and give every piece to exactly one cell.

Rule (vectorised, spatial indexes on the cells and on their border edges):
- a line inside one cell, not touching its border (the usual case), goes to it whole;
- any other line is noded at the borders (``_node_at_borders``): every vertex pair of the line
  is cut where it crosses an edge of a cell's border (in numpy, the edges near it found by an
  STRtree of the edges), and each part between two cuts goes to the cell it lies in (the cell the
  crossing enters, checked against the cells holding the midpoints of the line's first and last
  stretch), or lies outside every cell. That is what cutting the line by each cell it meets
  gives, without an overlay per (line, cell) pair. A line is left to the exact rule below when
  that cannot decide: a vertex pair (nearly) parallel to a border edge and on it, a stretch's
  midpoint on a border (in two cells), crossings that do not agree with each other;
- the exact rule (``_cut_by_cells``): the line is cut by every cell it meets, all at once; when
  the pieces add up to the line (planar lengths equal within ``FIT_TOLERANCE``) each piece goes
  to its cell. Otherwise the line runs along a border or leaves every cell, and is cut cell by
  cell in cell order (code order): the piece inside the first candidate cell is taken, the rest
  goes on to the next. A piece lying *on* a border shared by two cells is therefore taken once,
  by the cell first in code order;
- each part left outside every cell goes to its nearest cell (of cells equally near, the first
  in code order) if all its vertices lie within ``NEAREST_MAX_DEG`` (0.01°, about 1.1 km) of it:
  roads along a coast or a national border drawn slightly outside the thinned polygons. Other
  parts (a road going on abroad or out to sea) are reported as outside (cell -1).
Lengths are geodesic (``geodesy``), so the pieces of a line add up to its length. The borders'
index (``CellIndex``) is built once for a partition and shared by every chunk of a layer.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import shapely

from geo_ntm.infrastructure.geodesy import geodesic_lengths, segment_lengths
from geo_ntm.infrastructure.parallel import threaded

NEAREST_MAX_DEG = 0.01
#: Relative planar-length tolerance for "the pieces add up to the line" (rounding at the cuts is ~1e-16).
FIT_TOLERANCE = 1e-11
#: Distances equal within this (degrees; cut points are a rounding error off the border) are a tie.
TIE_DEG = 1e-12
#: A vertex pair and a border edge are parallel when the sine of their angle is below this; the
#: line then goes to the exact rule if the edge lies within ``ON_BORDER_DEG`` of the pair's line.
PARALLEL_SINE = 1e-12
ON_BORDER_DEG = 1e-9
#: An edge is extended by this share of its length at both ends when testing a crossing, so that a
#: line crossing a border exactly at a vertex of it is cut there whatever the rounding (a cut too
#: many only splits a part in two parts of the same cell).
EDGE_SLACK = 1e-9
#: Crossings of one vertex pair closer than this (share of the pair's length) are one cut.
CUT_TIE = 1e-10
_LINEAR = (shapely.GeometryType.LINESTRING, shapely.GeometryType.LINEARRING)


@dataclass(frozen=True)
class Pieces:
    """Pieces of lines: which line each comes from, which cell it was given to (-1 outside), metres."""

    line: np.ndarray
    cell: np.ndarray
    metres: np.ndarray


class CellIndex:
    """Partition cells with the spatial indexes clipping needs: an STRtree of the cells and one of
    the edges of their borders (each vertex pair of every ring). Built once for a partition and
    shared, read only, by the threads clipping the chunks of a layer."""

    def __init__(self, cells):
        self.cells = np.asarray(cells, dtype=object)
        self.tree = shapely.STRtree(self.cells)
        self._local = threading.local()
        polygons, polygon_cell = shapely.get_parts(self.cells, return_index=True)
        rings, ring_polygon = shapely.get_rings(shapely.orient_polygons(polygons), return_index=True)
        xy, ring = shapely.get_coordinates(rings, return_index=True)
        same = ring[1:] == ring[:-1]
        #: The border edges, each ring oriented with its cell on the left: start and end points
        #: (lon/lat), the cell, and their STRtree.
        self.edge_start, self.edge_end = xy[:-1][same], xy[1:][same]
        self.edge_cell = polygon_cell[ring_polygon[ring[:-1][same]]]
        self.edge_tree = shapely.STRtree(shapely.linestrings(np.stack([self.edge_start, self.edge_end], axis=1)))
        for tree in (self.tree, self.edge_tree):  # GEOS builds a tree at its first query: not in two threads at once
            tree.query(shapely.points(0.0, 0.0))

    def prepared(self) -> np.ndarray:
        """The cells as prepared geometries, a copy for each thread: GEOS builds a prepared
        geometry's indexes on first use, which threads must not share."""
        cells = getattr(self._local, "cells", None)
        if cells is None:
            cells = self._local.cells = shapely.from_wkb(shapely.to_wkb(self.cells))
            shapely.prepare(cells)
        return cells


def linear_parts(geoms) -> tuple[np.ndarray, np.ndarray]:
    """The LineStrings inside ``geoms`` (collections flattened, points dropped), with their owner."""
    parts, owner = np.asarray(geoms, dtype=object), np.arange(len(geoms))
    while True:
        nested = np.isin(shapely.get_type_id(parts), [4, 5, 6, 7])
        if not nested.any():
            break
        sub, idx = shapely.get_parts(parts[nested], return_index=True)
        parts = np.concatenate([parts[~nested], sub])
        owner = np.concatenate([owner[~nested], owner[nested][idx]])
    keep = np.isin(shapely.get_type_id(parts), _LINEAR) & ~shapely.is_empty(parts)
    return parts[keep], owner[keep]


def clip_lines(lines, cells: CellIndex | np.ndarray) -> Pieces:
    """Give every piece of ``lines`` to one of ``cells`` (a partition: no overlaps), or to none (-1)."""
    lines = np.asarray(lines, dtype=object)
    index = cells if isinstance(cells, CellIndex) else CellIndex(cells)
    whole_line, whole_cell = _lines_inside(lines, index)
    crossing = np.ones(len(lines), dtype=bool)
    crossing[whole_line] = False
    noded, undecided = _node_at_borders(lines, np.flatnonzero(crossing), index)
    exact = _cut_by_cells(lines, undecided, index)
    return Pieces(
        np.concatenate([whole_line, noded.line, exact.line]),
        np.concatenate([whole_cell, noded.cell, exact.cell]),
        np.concatenate([geodesic_lengths(lines[whole_line]), noded.metres, exact.metres]),
    )


def _lines_inside(lines: np.ndarray, index: CellIndex) -> tuple[np.ndarray, np.ndarray]:
    """Lines lying inside one cell without touching its border, and that cell (each line tested
    against the prepared cells whose box meets its box)."""
    line, cell = index.tree.query(lines)
    inside = shapely.contains_properly(index.prepared()[cell], lines[line])
    line, first = np.unique(line[inside], return_index=True)  # cells never overlap; guard anyway
    return line, cell[inside][first]


def _node_at_borders(lines: np.ndarray, which: np.ndarray, index: CellIndex) -> tuple[Pieces, np.ndarray]:
    """Pieces of the lines ``which``, cut where their vertex pairs cross a border edge, and the
    lines this cannot decide (see the module).

    Crossing an edge enters or leaves its cell (the side it crosses to); crossings at one point
    (a shared border is an edge of both cells) are netted, so each cut leaves one cell and enters
    another (or none: the line leaves every cell). A part of a line starts in the cell holding the
    midpoint of its first stretch (or outside every cell), each cut must leave the cell the part is
    in, and the part must end in the cell holding the midpoint of its last stretch; a line failing
    any of this is undecided. Runs of stretches outside every cell go to their nearest cell
    (``nearest_close_cell``), as the exact rule gives what is left outside."""
    parts, owner = linear_parts(lines[which])
    xy, part = shapely.get_coordinates(parts, return_index=True)
    pair = part[1:] == part[:-1]
    a, b, pair_part = xy[:-1][pair], xy[1:][pair], part[:-1][pair]
    pair_i, edge_i = _pairs_near_edges(parts, pair_part, a, b, index)
    cross, at, enters, on_border = _crossings(a[pair_i], b[pair_i], index.edge_start[edge_i], index.edge_end[edge_i])
    cuts = _net_cuts(pair_i[cross], at, index.edge_cell[edge_i[cross]], enters)
    bad_part = np.zeros(len(parts), dtype=bool)
    bad_part[pair_part[pair_i[on_border]]] = True
    bad_part[pair_part[cuts.pair[~cuts.clean]]] = True

    # stretches: each vertex pair from 0 to 1 split at its cuts, in order along the parts
    seg = np.concatenate([np.arange(len(a)), np.arange(len(a)), cuts.pair])
    pos = np.concatenate([np.zeros(len(a)), np.ones(len(a)), cuts.at])
    is_cut = np.concatenate([np.zeros(2 * len(a), dtype=bool), np.ones(len(cuts.pair), dtype=bool)])
    order = np.lexsort((~is_cut, pos, seg))  # a cut at 0 after the pair's start, at 1 before its end
    seg, pos, is_cut = seg[order], pos[order], is_cut[order]
    cut_before = np.cumsum(is_cut) - 1  # the last cut at or before each position (-1: none yet)
    stretch = (seg[1:] == seg[:-1]) & (pos[1:] > pos[:-1])
    s_seg, t0, t1, s_cut = seg[:-1][stretch], pos[:-1][stretch], pos[1:][stretch], cut_before[:-1][stretch]
    s_part = pair_part[s_seg]
    p0, p1 = _along(a[s_seg], b[s_seg], t0), _along(a[s_seg], b[s_seg], t1)

    # the cell of each part's first and last stretch, by their midpoints
    first = np.unique(s_part, return_index=True)[1]
    last = len(s_part) - 1 - np.unique(s_part[::-1], return_index=True)[1]
    ends = np.concatenate([first, last])
    found, cell = index.tree.query(shapely.points((p0[ends] + p1[ends]) / 2), predicate="intersects")
    held = np.bincount(found, minlength=len(ends))
    holder = np.full(len(ends), -1)
    holder[found] = cell
    bad_part[s_part[ends[held > 1]]] = True
    start_cell, end_cell = np.full(len(parts), -1), np.full(len(parts), -1)
    start_cell[s_part[first]], end_cell[s_part[last]] = holder[: len(first)], holder[len(first) :]

    # the cell of each stretch: the cell entered at the last cut before it on its part, else the start
    cut_part = pair_part[cuts.pair]
    own_cut = np.r_[cut_part, -1][s_cut] == s_part  # (index -1: no cut yet, the sentinel)
    s_cell = np.where(own_cut, np.r_[cuts.enters, -1][s_cut], start_cell[s_part])
    # each cut leaves the cell its part was in; each part ends where its last stretch says
    before = np.r_[-1, cuts.enters[:-1]]
    before = np.where(np.r_[False, cut_part[1:] == cut_part[:-1]], before, start_cell[cut_part])
    bad_part[cut_part[cuts.leaves != before]] = True
    bad_part[s_part[last][s_cell[last] != end_cell[s_part[last]]]] = True

    undecided = np.unique(which[owner[np.flatnonzero(bad_part)]])
    decided = ~np.isin(which[owner[s_part]], undecided)
    s_part, s_cell, p0, p1 = s_part[decided], s_cell[decided], p0[decided], p1[decided]
    s_cell[s_cell < 0] = _nearest_to_runs(s_part, s_cell, p0, p1, index)
    return Pieces(which[owner[s_part]], s_cell, segment_lengths(p0, p1)), undecided


def _nearest_to_runs(
    part: np.ndarray, cell: np.ndarray, p0: np.ndarray, p1: np.ndarray, index: CellIndex
) -> np.ndarray:
    """For the stretches outside every cell (``cell`` -1, stretches in order along their parts),
    the cell the run of outside stretches they belong to goes to (``nearest_close_cell``)."""
    out = np.flatnonzero(cell < 0)
    if not len(out):
        return np.zeros(0, dtype=int)
    new_run = np.r_[True, (np.diff(out) != 1) | (part[out[1:]] != part[out[:-1]])]
    run = np.cumsum(new_run) - 1
    last = np.r_[new_run[1:], True]  # the run's last stretch adds its end point
    xy = np.concatenate([p0[out], p1[out[last]]])
    vertex_run = np.concatenate([run, run[last]])
    order = np.argsort(vertex_run, kind="stable")  # each run's start points, then its end point
    runs = shapely.linestrings(xy[order], indices=vertex_run[order])
    return nearest_close_cell(runs, index.cells, index.tree)[run]


def _pairs_near_edges(
    parts: np.ndarray, pair_part: np.ndarray, a: np.ndarray, b: np.ndarray, index: CellIndex
) -> tuple[np.ndarray, np.ndarray]:
    """(vertex pair, border edge) rows whose boxes meet: the edges near each part (its STRtree
    query, no new geometries), then each of the part's pairs against them in numpy."""
    part_i, edge_i = index.edge_tree.query(parts)
    first = np.searchsorted(pair_part, np.arange(len(parts)))
    count = np.bincount(pair_part, minlength=len(parts))[part_i]
    pair_i = np.repeat(first[part_i] - np.cumsum(count) + count, count) + np.arange(count.sum())
    edge_i = np.repeat(edge_i, count)
    start, end = index.edge_start[edge_i], index.edge_end[edge_i]
    pa, pb = a[pair_i], b[pair_i]
    meet = (np.minimum(pa, pb) <= np.maximum(start, end)).all(axis=1) & (
        np.minimum(start, end) <= np.maximum(pa, pb)
    ).all(axis=1)
    return pair_i[meet], edge_i[meet]


@dataclass(frozen=True)
class _Cuts:
    """Cuts of vertex pairs at borders, ordered along the pairs: the pair, the position along it
    (0-1), the cell left and the cell entered (-1: none, outside every cell), and whether the cut
    is clean (leaves at most one cell and enters at most one)."""

    pair: np.ndarray
    at: np.ndarray
    leaves: np.ndarray
    enters: np.ndarray
    clean: np.ndarray


def _net_cuts(pair: np.ndarray, at: np.ndarray, cell: np.ndarray, enters: np.ndarray) -> _Cuts:
    """The cuts made by crossings (``pair``, position ``at``, the edge's ``cell``, whether it
    ``enters`` it): crossings of a pair within ``CUT_TIE`` of each other are one cut, netted per
    cell (+1 entered, -1 left, 0 touched: in and out at one point, no cut)."""
    order = np.lexsort((at, pair))
    pair, at, cell, step = pair[order], at[order], cell[order], np.where(enters[order], 1, -1)
    new = np.r_[True, (pair[1:] != pair[:-1]) | (at[1:] - at[:-1] > CUT_TIE)] if len(pair) else np.zeros(0, bool)
    group = np.cumsum(new) - 1
    n = int(new.sum())
    order = np.lexsort((cell, group))
    g, c, step = group[order], cell[order], step[order]
    run = np.flatnonzero(np.r_[True, (g[1:] != g[:-1]) | (c[1:] != c[:-1])]) if len(g) else np.zeros(0, int)
    # (through a vertex of a ring both its edges there are crossed: the sign counts)
    g, c, net = g[run], c[run], np.sign(np.add.reduceat(step, run)) if len(run) else np.zeros(0, int)
    entered, left = np.full(n, -1), np.full(n, -1)
    entered[g[net == 1]], left[g[net == -1]] = c[net == 1], c[net == -1]
    n_in, n_out = np.bincount(g[net > 0], minlength=n), np.bincount(g[net < 0], minlength=n)
    cut = n_in + n_out > 0  # the others only touch a border
    starts = np.flatnonzero(new)[cut]
    clean = (n_in <= 1) & (n_out <= 1)  # (none: from or to outside every cell)
    return _Cuts(pair[starts], at[starts], left[cut], entered[cut], clean[cut])


def _along(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The points at ``t`` (0-1) along ``a``-``b``: ``a`` and ``b`` themselves at 0 and 1."""
    return np.where((t == 1)[:, None], b, a + t[:, None] * (b - a))


def _crossings(a, b, start, end) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For rows of vertex pairs (``a``-``b``) and border edges (``start``-``end``, their cell on
    the left): the rows where the edge crosses the pair (ends included), the position of the
    crossing along the pair (0-1), whether the pair enters the edge's cell there, and the rows
    where the edge lies on the pair's line (parallel and touching)."""
    r, u, q = b - a, end - start, start - a
    den = r[:, 0] * u[:, 1] - r[:, 1] * u[:, 0]
    t_num = q[:, 0] * u[:, 1] - q[:, 1] * u[:, 0]
    w_num = q[:, 0] * r[:, 1] - q[:, 1] * r[:, 0]
    r_len, u_len = np.hypot(r[:, 0], r[:, 1]), np.hypot(u[:, 0], u[:, 1])
    parallel = np.abs(den) <= PARALLEL_SINE * r_len * u_len
    with np.errstate(divide="ignore", invalid="ignore"):
        t, w = t_num / den, w_num / den
        on_border = parallel & (np.abs(w_num) <= ON_BORDER_DEG * r_len)
    cut = ~parallel & (t >= 0) & (t <= 1) & (w >= -EDGE_SLACK) & (w <= 1 + EDGE_SLACK)
    return cut, t[cut], den[cut] < 0, on_border


def _cut_by_cells(lines: np.ndarray, which: np.ndarray, index: CellIndex) -> Pieces:
    """Pieces of the lines ``which`` by the exact rule (see the module): cut by each cell they
    meet, then cell by cell in code order where the pieces do not add up, the rest nearest."""
    cells, tree = index.cells, index.tree
    rest_lines = lines[which]
    cand = tree.query(rest_lines, predicate="intersects")
    cand = cand[:, np.lexsort((cand[1], cand[0]))]  # by line, then cell (code order)
    cut = threaded(shapely.intersection, rest_lines[cand[0]], cells[cand[1]])
    fits = _pieces_fit(cut, cand[0], rest_lines)
    fit = fits[cand[0]]
    unfit = which[~fits]
    piece_geoms, piece_line, piece_cell = [cut[fit]], [which[cand[0][fit]]], [cand[1][fit]]

    irregular = np.isin(cand[0], np.flatnonzero(~fits))
    cand_line, cand_cell = which[cand[0][irregular]], cand[1][irregular]
    rank = np.arange(len(cand_line)) - np.searchsorted(cand_line, cand_line)  # position within its line
    remaining = lines.copy()
    for k in range(int(rank.max()) + 1 if len(rank) else 0):
        sel = rank == k
        li, ci = cand_line[sel], cand_cell[sel]
        live = ~shapely.is_empty(remaining[li])
        li, ci = li[live], ci[live]
        piece_geoms.append(shapely.intersection(remaining[li], cells[ci]))
        piece_line.append(li)
        piece_cell.append(ci)
        remaining[li] = shapely.difference(remaining[li], cells[ci])

    parts, owner = linear_parts(remaining[unfit])  # what no cell took (a line meeting none: whole)
    target = nearest_close_cell(parts, cells, tree)
    piece_geoms.append(parts)
    piece_line.append(unfit[owner])
    piece_cell.append(target)

    geoms = np.concatenate(piece_geoms)
    line_of, cell_of = np.concatenate(piece_line), np.concatenate(piece_cell)
    parts, owner = linear_parts(geoms)
    metres = np.bincount(owner, weights=geodesic_lengths(parts), minlength=len(geoms))
    return Pieces(line_of, cell_of, metres)


def _pieces_fit(pieces: np.ndarray, owner: np.ndarray, lines: np.ndarray) -> np.ndarray:
    """Per line, whether its pieces add up to it: nothing on a border counted twice, nothing outside."""
    total = np.bincount(owner, weights=shapely.length(pieces), minlength=len(lines))
    length = shapely.length(lines)
    return np.abs(total - length) <= FIT_TOLERANCE * length


def nearest_close_cell(parts: np.ndarray, cells: np.ndarray, tree: shapely.STRtree) -> np.ndarray:
    """Per part, the nearest cell if every vertex of the part is within NEAREST_MAX_DEG of it, else -1.
    Cells equally near (within ``TIE_DEG``: a piece touching two communes) go by code order: the first wins."""
    target = np.full(len(parts), -1)
    if not len(parts):
        return target
    (found, _), distance = tree.query_nearest(
        parts, max_distance=NEAREST_MAX_DEG, return_distance=True, all_matches=False
    )
    near, cell = tree.query(parts[found], predicate="dwithin", distance=distance + TIE_DEG)
    order = np.lexsort((cell, near))  # by part, then cell (code order)
    first = np.unique(near[order], return_index=True)[1]
    found, cell = found[near[order][first]], cell[order][first]
    coords, idx = shapely.get_coordinates(parts[found], return_index=True)
    far = np.zeros(len(found))
    np.maximum.at(far, idx, shapely.distance(shapely.points(coords), cells[cell[idx]]))
    close = far <= NEAREST_MAX_DEG
    target[found[close]] = cell[close]
    return target
