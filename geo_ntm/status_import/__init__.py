"""Import NTM criterion statuses from CSV/XLSX tables (long, wide or counts layout)."""

from geo_ntm.status_import.importer import StatusImportReport, import_status_file

__all__ = ["StatusImportReport", "import_status_file"]
