"""Work on a few threads or processes: shapely's GEOS functions, numpy's element-wise functions
and pyproj's geodesics release the GIL, so the cores of the machine share a vectorised call
(``threaded``) or a stream of chunks (``ordered_map``) on threads; what holds the GIL (making
shapely objects from WKB, the Python between calls) keeps two threads to about 1.45 cores, so a
whole layer is shared out to forked processes (``forked_map``) where a process may have children.
A call made on one of these threads or processes runs on it alone: the cores are already shared
out."""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from typing import TypeVar

import numpy as np

WORKERS = min(4, os.cpu_count() or 1)
_MIN_CHUNK = 10_000  # below this, a thread costs more than it saves
_worker = threading.local()  # ``busy`` on the threads of this module's pools
_forked: Callable | None = None  # in a process of ``forked_map``: the function it calls

T = TypeVar("T")
R = TypeVar("R")


def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(WORKERS, initializer=lambda: setattr(_worker, "busy", True))


def _single() -> bool:
    return WORKERS == 1 or getattr(_worker, "busy", False) or _forked is not None


def threaded(func, *arrays: np.ndarray) -> np.ndarray:
    """``func(*arrays)`` for arrays of equal length, computed on chunks in ``WORKERS`` threads and
    concatenated (``func`` is element-wise and returns one array); fewer than ``_MIN_CHUNK``
    elements a thread are computed at once."""
    n = len(arrays[0])
    if _single() or n < 2 * _MIN_CHUNK:
        return func(*arrays)
    chunks = np.array_split(np.arange(n), WORKERS)
    with _pool() as pool:
        return np.concatenate(list(pool.map(lambda idx: func(*(a[idx] for a in arrays)), chunks)))


def ordered_map(func: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
    """``func(item)`` for each of ``items``, computed on ``WORKERS`` threads and yielded in the
    order of ``items``. ``items`` is consumed as results are taken, at most ``WORKERS`` ahead of
    the last one yielded: a stream of chunks is held ``WORKERS + 1`` chunks at a time."""
    if _single():
        yield from map(func, items)
        return
    with _pool() as pool:
        pending: deque[Future[R]] = deque()
        try:
            for item in items:
                pending.append(pool.submit(func, item))
                if len(pending) >= WORKERS:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


def forking() -> bool:
    """Whether ``forked_map`` forks here: several workers, Linux's ``fork``, not already on one of
    this module's threads or processes, and a process that may have children (a job worker of
    the service is daemonic: its memory ceiling is its own, so it stays on threads)."""
    return (
        not _single()
        and "fork" in multiprocessing.get_all_start_methods()
        and not multiprocessing.current_process().daemon
    )


def forked_map(func: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
    """``func(item)`` for each of ``items``, computed in ``WORKERS`` processes forked from this one
    and yielded in the order of ``items``: the processes inherit what ``func`` uses as it is
    (indexes already built), only the items and the results are pickled. Only where ``forking()``
    (the caller chooses what to do elsewhere)."""
    if not forking():
        raise RuntimeError("forked_map called where this process may not fork (parallel.forking())")
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(WORKERS, mp_context=context, initializer=_become_forked, initargs=(func,)) as pool:
        yield from pool.map(_call_forked, items)


def _become_forked(func: Callable) -> None:
    global _forked
    _forked = func


def _call_forked(item):
    assert _forked is not None  # set by the pool's initializer
    return _forked(item)
