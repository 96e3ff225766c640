"""Load the demo data: the 2009-vintage boundaries and the status samples from the shared data
folder. Safe to run again: existing boundaries are kept and re-imported statuses are merged."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from geo_ntm.errors import InputError
from geo_ntm.store import Store

log = logging.getLogger(__name__)

#: The 2009 file carries the boundaries after the 2008 Hà Nội merger with the 1 April 2009 census.
DEMO_VINTAGE_DATE = dt.date(2009, 4, 1)
DEMO_BOUNDARIES = "vn_admin_2009.gpkg"


def load_demo(store: Store, data_dir: Path) -> None:
    """Import the demo boundaries (unless a vintage is stored already) and every status sample."""
    from boundaries.importer import import_boundaries
    from geo_ntm.status_import.importer import import_status_file

    boundaries = data_dir / DEMO_BOUNDARIES
    if not boundaries.exists():
        raise InputError(f"demo data not found: {boundaries} (set GEO_NTM_DATA_DIR to the shared data folder)")
    if not store.vintages():
        _, report = import_boundaries(store, boundaries, DEMO_VINTAGE_DATE)
        print(report.text())
    else:
        print("boundaries already loaded: " + ", ".join(v.name for v in store.vintages()))
    for sample in sorted((data_dir / "samples").glob("status_*")):
        if sample.suffix.lower() in (".csv", ".xlsx"):
            report = import_status_file(store, sample)
            print(report.text())
            if not report.ok:
                raise InputError(f"demo sample {sample.name} did not import cleanly")
