"""Cut lines at the borders of partition cells and give every piece to exactly one cell.

Rule (vectorised, spatial indexes on the cells and on the lines):
- a line inside one cell, not touching its border (the usual case), goes to it whole;
- any other line is cut by every cell it meets, all at once; when the pieces add up to the
  line (planar lengths equal within ``FIT_TOLERANCE``) each piece goes to its cell. Otherwise
  the line runs along a border or leaves every cell, and is cut cell by cell in cell order
  (code order): the piece inside the first candidate cell is taken, the rest goes on to the
  next. A piece lying *on* a border shared by two cells is therefore taken once, by the cell
  first in code order;
- each part left outside every cell goes to its nearest cell (of cells equally near, the first
  in code order) if all its vertices lie within ``NEAREST_MAX_DEG`` (0.01°, about 1.1 km) of it:
  roads along a coast or a national border drawn slightly outside the thinned polygons. Other
  parts (a road going on abroad or out to sea) are reported as outside (cell -1).
Lengths are geodesic (``geodesy.geodesic_lengths``), so the pieces of a line add up to its
length. The cutting runs on several threads (``parallel``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from geo_ntm.infrastructure.geodesy import geodesic_lengths
from geo_ntm.infrastructure.parallel import threaded

NEAREST_MAX_DEG = 0.01
#: Relative planar-length tolerance for "the pieces add up to the line" (rounding at the cuts is ~1e-16).
FIT_TOLERANCE = 1e-11
#: A thread tests at least this many cells (each cell is a prepared polygon: much more work than a line).
CELLS_PER_THREAD = 500
#: Distances equal within this (degrees; cut points are a rounding error off the border) are a tie.
TIE_DEG = 1e-12
_LINEAR = (shapely.GeometryType.LINESTRING, shapely.GeometryType.LINEARRING)


@dataclass(frozen=True)
class Pieces:
    """Pieces of lines: which line each comes from, which cell it was given to (-1 outside), metres."""

    line: np.ndarray
    cell: np.ndarray
    metres: np.ndarray


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


def clip_lines(lines, cells) -> Pieces:
    """Give every piece of ``lines`` to one of ``cells`` (a partition: no overlaps)."""
    lines, cells = np.asarray(lines, dtype=object), np.asarray(cells, dtype=object)
    tree = shapely.STRtree(cells)
    whole_line, whole_cell = _lines_inside(lines, cells)
    cut_here = np.ones(len(lines), dtype=bool)
    cut_here[whole_line] = False
    rest = np.flatnonzero(cut_here)
    rest_lines = lines[rest]
    cand = tree.query(rest_lines, predicate="intersects")
    cand = cand[:, np.lexsort((cand[1], cand[0]))]  # by line, then cell (code order)
    cut = threaded(shapely.intersection, rest_lines[cand[0]], cells[cand[1]])
    fits = _pieces_fit(cut, cand[0], rest_lines)
    fit = fits[cand[0]]
    unfit = rest[~fits]
    piece_geoms, piece_line, piece_cell = (
        [lines[whole_line], cut[fit]],
        [whole_line, rest[cand[0][fit]]],
        [whole_cell, cand[1][fit]],
    )

    irregular = np.isin(cand[0], np.flatnonzero(~fits))
    cand_line, cand_cell = rest[cand[0][irregular]], cand[1][irregular]
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


def _lines_inside(lines: np.ndarray, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lines lying inside one cell without touching its border, and that cell (each cell is
    prepared once and tested against the lines its box meets)."""
    line_tree = shapely.STRtree(lines)

    def inside(idx: np.ndarray) -> np.ndarray:  # (cell, line) rows for a chunk of cells
        found = line_tree.query(cells[idx], predicate="contains_properly")
        return np.stack([idx[found[0]], found[1]], axis=1)

    pairs = threaded(inside, np.arange(len(cells)), min_chunk=CELLS_PER_THREAD)
    cell, line = pairs[:, 0], pairs[:, 1]
    line, first = np.unique(line, return_index=True)  # cells never overlap; guard anyway
    return line, cell[first]


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
