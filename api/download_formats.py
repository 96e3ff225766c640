"""The file formats of the downloads: format -> (media type, file extension). The download endpoint
(``api.downloads``) writes them; each collection document (``api.ogc.catalog``) links them as
enclosures, so neither needs the other."""

from __future__ import annotations

FORMATS = {
    "geojson": ("application/geo+json", "geojson"),
    "gpkg": ("application/geopackage+sqlite3", "gpkg"),
    "shp": ("application/zip", "shp.zip"),
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
}
