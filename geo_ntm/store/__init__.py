"""Storage: one interface (``Store``), chosen by the ``GEO_NTM_DB`` setting or ``--db``."""

from __future__ import annotations

from geo_ntm.store.base import BBox, DataExtent, ImportRecord, Store

__all__ = ["BBox", "DataExtent", "ImportRecord", "Store", "open_store"]


def open_store(location: str) -> Store:
    """Open the store at ``location``: a ``postgresql://`` (or ``postgres://``) URL, else a
    GeoPackage file path."""
    if location.startswith(("postgresql://", "postgres://")):
        from geo_ntm.store.postgis import PostgisStore

        return PostgisStore(location)
    from geo_ntm.store.gpkg import GeoPackageStore

    return GeoPackageStore(location)
