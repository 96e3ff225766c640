"""Import NTM criterion statuses from CSV/XLSX tables: ``importer.import_status_file``.

``reading`` finds the header row and reads the shared columns (place, year, framework, level,
source); a *layout* (``layouts``) reads what each row reports. Today: ``wide`` (a TC1..TC19 column
per criterion), ``long`` (a criterion and a status column, one criterion per row) and ``counts``
(criteria met out of a total, with the recognition decision). ``matching`` finds each row's
commune, ``importer`` merges, finds conflicts and stores.

Adding a layout:

1. Write ``layouts/<name>.py`` with a subclass of ``layouts.base.StatusLayout``: its ``name``, the
   ``columns_hint`` shown when no header is found, the ``fields`` (column names) only it reads,
   ``detect(header)``, ``read(cells, framework, check)`` returning the row's criterion values or
   counts, and, if it has warnings, ``validate(row, cells)``.
2. Import it in ``layouts/__init__.py`` and add an instance to ``LAYOUTS`` at its place in the
   order of detection (the first layout that accepts a header wins).

Nothing else names a layout: reports show ``layout.name``, and the importer stores the values or
counts a layout returns."""
