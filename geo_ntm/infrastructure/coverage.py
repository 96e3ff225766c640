"""What the coverage commands and endpoints share: the communes of a place, the framework of a
year, and writing a per-commune table as CSV or GeoPackage."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo_ntm.domain import AdminTier, UnitType
from geo_ntm.errors import InputError
from geo_ntm.export_safety import write_safe_csv
from geo_ntm.frameworks import shipped_frameworks
from geo_ntm.store import Store
from geo_ntm.views import unit_view
from geo_ntm.where import Where

#: Columns every coverage table starts with.
UNIT_FIELDS = ["unit_id", "code", "name", "unit_type", "district", "province", "assessed"]


def place_communes(store: Store, where: Where) -> gpd.GeoDataFrame:
    """Communes of the province, the district or (no province) the whole country of ``where``, with
    parent names and ``assessed`` (xã only: wards, towns and flagged polygons are not assessed)."""
    frame = unit_view(store, where.vintage, AdminTier.COMMUNE, **where.place_filters)
    frame["assessed"] = (frame["unit_type"] == UnitType.XA.value) & frame["flag"].isna()
    return frame


def align_to_units(units: gpd.GeoDataFrame, cell_unit_ids, values: np.ndarray) -> np.ndarray:
    """Rows of ``values`` (one per partition cell, cells identified by ``cell_unit_ids``) in the
    order of ``units``; zeros for a unit without a cell."""
    position = pd.Series(np.arange(len(values)), index=np.asarray(cell_unit_ids))
    rows = position.reindex(units["unit_id"].to_numpy()).to_numpy()
    aligned = np.zeros((len(units), *values.shape[1:]))
    found = ~np.isnan(rows)
    aligned[found] = values[rows[found].astype(int)]
    return aligned


def unit_table(units: gpd.GeoDataFrame, columns: dict[str, np.ndarray], **constant) -> gpd.GeoDataFrame:
    """A per-commune table: ``UNIT_FIELDS`` of ``units``, ``constant`` columns, then ``columns``
    (arrays in the order of ``units``), with the communes' geometry."""
    table = units[UNIT_FIELDS].reset_index(drop=True).assign(**constant)
    return gpd.GeoDataFrame(
        pd.concat([table, pd.DataFrame(columns)], axis=1), geometry=units.geometry.reset_index(drop=True), crs=units.crs
    )


def described(layers: dict) -> dict:
    """Totals naming the layers of a computation: ``layer`` and ``layer_date`` of the first
    (the layer measured, as for roads and population), and ``layers``, each role's name and date
    (None for a role not filled)."""
    main = next(x for x in layers.values() if x is not None)
    return {
        "layer": main.name,
        "layer_date": main.valid_date.isoformat(),
        "layers": {
            role: None if x is None else {"name": x.name, "date": x.valid_date.isoformat()}
            for role, x in layers.items()
        },
    }


def share(part, whole):
    """``part / whole`` per row (NaN where ``whole`` is 0), or for two numbers (None where
    ``whole`` is 0, so totals stay valid JSON)."""
    if np.ndim(whole) == 0:
        return float(part) / float(whole) if whole else None
    part, whole = np.asarray(part, dtype=float), np.asarray(whole, dtype=float)
    return np.divide(part, whole, out=np.full(len(whole), np.nan), where=whole != 0)


def framework_of_year(year: int) -> str | None:
    """The national commune framework with known criteria in force in ``year`` (None outside the
    programme years): not a model-commune set without criteria, nor a province's own."""
    found = [
        f
        for f in shipped_frameworks().values()
        if f.applies_to is AdminTier.COMMUNE and f.criteria_known and f.years[0] <= year <= f.years[1]
    ]
    return found[0].framework_id if found else None


def write_table(frame: gpd.GeoDataFrame, path: str | Path, layer: str) -> None:
    """Write a per-commune table: ``.csv`` (no geometry, UTF-8 with BOM for Excel, formulas
    neutralised: ``geo_ntm.export_safety``) or ``.gpkg``."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        write_safe_csv(pd.DataFrame(frame.drop(columns="geometry", errors="ignore")), path, encoding="utf-8-sig")
    elif path.suffix.lower() == ".gpkg":
        frame.to_file(path, layer=layer, driver="GPKG")
    else:
        raise InputError(f"cannot write {path}: the output must end in .csv or .gpkg")
