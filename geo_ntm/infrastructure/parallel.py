"""Element-wise array work on a few threads: shapely's GEOS functions and pyproj's geodesics
release the GIL, so the cores of the machine share a vectorised call."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

WORKERS = min(4, os.cpu_count() or 1)
_MIN_CHUNK = 10_000  # below this, a thread costs more than it saves


def threaded(func, *arrays: np.ndarray, min_chunk: int = _MIN_CHUNK) -> np.ndarray:
    """``func(*arrays)`` for arrays of equal length, computed on chunks in ``WORKERS`` threads and
    concatenated (``func`` is element-wise and returns one array); fewer than ``min_chunk``
    elements a thread are computed at once."""
    n = len(arrays[0])
    if WORKERS == 1 or n < 2 * min_chunk:
        return func(*arrays)
    chunks = np.array_split(np.arange(n), WORKERS)
    with ThreadPoolExecutor(WORKERS) as pool:
        return np.concatenate(list(pool.map(lambda idx: func(*(a[idx] for a in arrays)), chunks)))
