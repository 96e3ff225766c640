"""Load the demo data: the boundaries of 2009 and of 1 July 2025 (the 3,321 commune-level units
of the 2026-2030 programme, no district tier) and the status samples from the shared data folder.
Safe to run again: a vintage stored already is kept and re-imported statuses are merged. The
vector tiles' generalised shapes are not made here (minutes for the national 2009 vintage): the
first tile request of a vintage starts that job (``geo_ntm.tiles``).

It says on the terminal what it is loading as it goes (the file, its layers and their feature
counts, each sample), prints each import's report, and logs what it did."""

from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path

from geo_ntm.errors import InputError
from geo_ntm.store import Store

log = logging.getLogger(__name__)

#: The demo's boundary files and the day each vintage starts: the 2009 file carries the boundaries
#: after the 2008 Hà Nội merger with the 1 April 2009 census; the 2025 file the units formed on
#: 1 July 2025 (34 provinces, communes, wards and special zones; no district tier).
DEMO_VINTAGES = (("vn_admin_2009.gpkg", dt.date(2009, 4, 1)), ("vn_admin_2025.gpkg", dt.date(2025, 7, 1)))


def _say(text: str) -> None:
    print(text, flush=True)  # flushed: the terminal shows each step before the slow part after it


def _layer_counts(path: Path) -> str:
    """``provinces 63, districts 703, communes 11163`` (the features each layer holds)."""
    import pyogrio

    names = [str(name) for name, _ in pyogrio.list_layers(path)]
    return ", ".join(f"{name} {pyogrio.read_info(path, layer=name)['features']}" for name in names)


def load_demo(store: Store, data_dir: Path) -> None:
    """Import the demo boundaries (each vintage unless stored already) and every status sample."""
    from boundaries.importer import import_boundaries
    from geo_ntm.status_import.importer import import_status_file

    files = [(data_dir / name, start) for name, start in DEMO_VINTAGES]
    missing = [str(path) for path, _ in files if not path.exists()]
    if missing:
        raise InputError(f"demo data not found: {', '.join(missing)} (set GEO_NTM_DATA_DIR to the shared data folder)")
    samples = [s for s in sorted((data_dir / "samples").glob("status_*")) if s.suffix.lower() in (".csv", ".xlsx")]
    steps = len(samples) + len(files)
    stored = {v.valid_from: v.name for v in store.vintages()}
    for step, (boundaries, start) in enumerate(files, start=1):
        if start in stored:
            _say(f"[{step}/{steps}] boundaries of {start.isoformat()} already loaded: {stored[start]}")
            log.info("demo: boundaries of %s already stored, %s not imported again", start, boundaries)
            continue
        _say(
            f"[{step}/{steps}] boundaries of {start.isoformat()}: {boundaries} "
            f"({_layer_counts(boundaries)}); reading, repairing, measuring overlaps and storing ..."
        )
        started = time.monotonic()
        vintage, report = import_boundaries(store, boundaries, start)
        _say(report.text())
        log.info(
            "demo: stored boundary vintage %r from %s in %.0f s",
            vintage.name if vintage else None,
            boundaries,
            time.monotonic() - started,
        )
    statuses = summaries = 0
    for step, sample in enumerate(samples, start=len(files) + 1):
        _say(f"[{step}/{steps}] statuses: {sample.name} ...")
        imported = import_status_file(store, sample)
        _say(imported.text())
        if not imported.ok:
            raise InputError(f"demo sample {sample.name} did not import cleanly")
        statuses += imported.statuses_stored
        summaries += imported.summaries_stored
    _say(
        f"demo loaded: {len(samples)} status files; stored {statuses} criterion statuses and {summaries} "
        "summaries (0 when they were stored already)"
    )
    log.info(
        "demo: %d status files from %s; stored %d criterion statuses and %d summaries",
        len(samples),
        data_dir / "samples",
        statuses,
        summaries,
    )
