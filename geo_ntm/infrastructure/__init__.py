"""Infrastructure layers (roads, water, facilities, population rasters) and the per-commune
figures computed from them.

Modules: ``model`` (types), ``mapping`` (attribute tables, data in ``mappings/``), ``layers``
(import), ``partition`` (one owner for every point of a vintage), ``clip`` (lines cut at the
partition's borders), ``geodesy`` (geodesic lengths), ``roads`` (km by class and surface,
criterion 2 indicators), ``thresholds`` (data in ``thresholds/``, and the ``GEO_NTM_THRESHOLDS``
file), ``population`` (raster zonal sums), ``reach`` (within a distance in metres: buffers per UTM
zone, reach zones, points to communes), ``water`` (people and households near water, criterion
17.1), ``facilities`` (counts by kind, people near a kind), ``coverage`` (scope and output),
``queries`` (what the CLI and the API ask)."""
