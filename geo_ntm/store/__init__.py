"""Storage: one interface (``Store``), chosen by the ``GEO_NTM_DB`` setting or ``--db``."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from geo_ntm.errors import GeoNtmError
from geo_ntm.store.base import BBox, DataExtent, ImportRecord, Store

if TYPE_CHECKING:  # imported when first used: psycopg only for PostGIS
    from geo_ntm.store.postgis import PostgisPool

__all__ = ["BBox", "DataExtent", "ImportRecord", "Store", "StoreFactory", "open_store", "store_location"]


def is_postgis(location: str) -> bool:
    """Whether ``location`` names a PostGIS store (a ``postgresql://`` or ``postgres://`` URL)."""
    return location.startswith(("postgresql://", "postgres://"))


def open_store(location: str) -> Store:
    """Open the store at ``location``: a ``postgresql://`` (or ``postgres://``) URL, else a
    GeoPackage file path. The store has a connection of its own until ``close()``."""
    if is_postgis(location):
        from geo_ntm.store.postgis import PostgisStore

        return PostgisStore(location)
    from geo_ntm.store.gpkg import GeoPackageStore

    return GeoPackageStore(location)


def store_location(store: Store) -> str:
    """What another process opens ``store`` with (``open_store``): the absolute path of its
    GeoPackage file or its PostgreSQL URL."""
    path = getattr(store, "path", None)
    if path is not None:
        return str(path.resolve())
    url = getattr(store, "url", None)
    if url is None:
        raise GeoNtmError(f"another process cannot open a {type(store).__name__}: it has no path or URL")
    return url


class StoreFactory:
    """Opens stores on one location for a long-running process (the API opens one per request).

    GeoPackage: every store has its own SQLite connection, as ``open_store`` gives (SQLite
    connections are cheap; the API reads each request in one ``Store.snapshot()``).
    PostGIS with ``pool_size`` > 0: one connection pool per factory, made on first use; a store
    borrows a connection and ``close()`` gives it back, so the server never sees more than
    ``pool_size`` connections from this process. ``pool_size`` 0: a new connection per store.
    ``close()`` closes the pool."""

    def __init__(self, location: str, pool_size: int = 10):
        self.location = location
        self.pool_size = pool_size
        self._pool: PostgisPool | None = None
        self._lock = threading.Lock()

    @property
    def pooled(self) -> bool:
        return is_postgis(self.location) and self.pool_size > 0

    def open(self) -> Store:
        if not self.pooled:
            return open_store(self.location)
        with self._lock:
            if self._pool is None:
                from geo_ntm.store.postgis import PostgisPool

                self._pool = PostgisPool(self.location, self.pool_size)
        return self._pool.store()

    def pool_stats(self) -> dict[str, int]:
        """The pool's counters (empty without a pool)."""
        return self._pool.stats() if self._pool is not None else {}

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None
