"""Infrastructure layers (roads, water, facilities, population rasters) and the per-commune
figures computed from them.

Modules: ``model`` (types), ``mapping`` (attribute tables, data in ``mappings/``), ``layers``
(import), ``partition`` (one owner for every point of a vintage), ``clip`` (lines cut at the
partition's borders), ``measure`` (geodesic lengths), ``roads`` (km by class and surface,
criterion 2 indicators), ``thresholds`` (data in ``thresholds/``), ``population`` (raster zonal
sums), ``coverage`` (scope and output), ``queries`` (what the CLI and the API ask)."""
