"""Storage: one interface (``Store``), chosen by the ``GEO_NTM_DB`` setting or ``--db``."""

from __future__ import annotations

from geo_ntm.errors import GeoNtmError
from geo_ntm.store.base import BBox, DataExtent, ImportRecord, Store

__all__ = ["BBox", "DataExtent", "ImportRecord", "Store", "open_store"]


def open_store(location: str) -> Store:
    """Open the store at ``location``: a file path (GeoPackage) or a ``postgresql://`` URL."""
    if location.startswith(("postgresql://", "postgres://")):
        raise GeoNtmError(
            "the PostgreSQL/PostGIS store is not available in this version yet (see issue 5); "
            "use a GeoPackage file path for GEO_NTM_DB"
        )
    from geo_ntm.store.gpkg import GeoPackageStore

    return GeoPackageStore(location)
