"""Import a boundary vintage (provinces, districts, communes) from GeoPackage, GeoJSON or zipped
Shapefile: detect columns, validate, repair, flag non-units, measure overlaps and gaps, store.

Errors that make a file unusable (no CRS, wrong geometry type, missing or duplicate codes) raise
``InputError`` naming the features, and nothing is stored."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from boundaries.quality import BoundaryQualityReport, measure_boundary_quality
from geo_ntm.domain import TYPES_BY_LEVEL, AdminTier, UnitFlag, UnitType, Vintage
from geo_ntm.errors import InputError
from geo_ntm.geometry import area_ha, as_multipolygon, make_polygonal
from geo_ntm.import_report import ImportReport
from geo_ntm.plausibility import EARLIEST_DATE, EXTENT_TEXT, lonlat_checked
from geo_ntm.store import Store
from geo_ntm.text import nfc, split_prefix

log = logging.getLogger(__name__)

_LEVEL_WORDS = {
    AdminTier.PROVINCE: ("province", "tinh"),
    AdminTier.DISTRICT: ("district", "huyen"),
    AdminTier.COMMUNE: ("commune", "ward", "xa"),
}
_CODE_FIELDS = {
    AdminTier.PROVINCE: ("province_id", "province_code", "ma_tinh", "code"),
    AdminTier.DISTRICT: ("district_id", "district_code", "ma_huyen", "code"),
    AdminTier.COMMUNE: ("commune_id", "commune_code", "ward_code", "ma_xa", "code"),
}
_NAME_FIELDS = {
    AdminTier.PROVINCE: ("province_name", "ten_tinh", "name"),
    AdminTier.DISTRICT: ("district_name", "ten_huyen", "name"),
    AdminTier.COMMUNE: ("commune_name", "ward_name", "ten_xa", "name"),
}
_PROVINCE_REF = ("province_id", "province_code", "ma_tinh")
_DISTRICT_REF = ("district_id", "district_code", "ma_huyen")
_POPULATION_FIELDS = ("population", "population_2009", "dan_so")
_TYPE_FIELDS = ("unit_type", "loai")


@dataclass(frozen=True)
class LayerSpec:
    """Which columns of a source layer hold what."""

    layer: str
    level: AdminTier
    code: str
    name: str
    unit_type: str | None
    province_ref: str | None
    district_ref: str | None
    population: str | None


@dataclass
class BoundaryLayerReport:
    """What the import found in one layer (provinces, districts or communes) of a boundary file."""

    layer: str
    level: str
    rows_read: int
    repaired: list[str] = field(default_factory=list)  # codes whose geometry was made valid
    flagged: list[dict] = field(default_factory=list)  # {code, name, flag, feature}
    missing_parents: list[str] = field(default_factory=list)
    reprojected_from: str | None = None
    coverage: BoundaryQualityReport | None = None


@dataclass(kw_only=True)
class BoundaryImportReport(ImportReport):
    """What a boundary import found, layer by layer; ``rows_read`` counts the units of all layers."""

    import_kind: ClassVar[str] = "boundaries"

    valid_from: str
    layers: list[BoundaryLayerReport] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Per layer: units read, repaired, flagged and reprojected, missing parents, overlaps and gaps."""
        lines = [f"Boundaries from {self.source_file}, valid from {self.valid_from}:"]
        for lr in self.layers:
            lines.append(
                f"  {lr.layer} ({lr.level}): {lr.rows_read} units read, {len(lr.repaired)} geometries repaired, "
                f"{len(lr.flagged)} flagged"
                + (f", reprojected from {lr.reprojected_from}" if lr.reprojected_from else "")
            )
            for f in lr.flagged:
                lines.append(f"    flagged {f['flag']}: feature {f['feature']} code {f['code']} name {f['name']!r}")
            if lr.missing_parents:
                lines.append(
                    f"    {len(lr.missing_parents)} units whose parent code is not in this import: "
                    + ", ".join(lr.missing_parents[:10])
                )
            if lr.coverage:
                lines.append(f"    coverage: {lr.coverage.summary()}")
                for a, b, ha in lr.coverage.largest_overlaps[:3]:
                    lines.append(f"      overlap {a} / {b}: {ha} ha")
                for lon, lat, ha in lr.coverage.largest_gaps[:3]:
                    lines.append(f"      gap near {lon}, {lat}: {ha} ha")
        return lines


def _find(columns: list[str], candidates: tuple[str, ...]) -> str | None:
    lowered = {c.lower(): c for c in columns}
    return next((lowered[c] for c in candidates if c in lowered), None)


def level_of_layer(layer: str) -> AdminTier | None:
    """Guess a layer's level from its name (``communes``, ``wards``, ``districts`` ...)."""
    name = layer.lower()
    for level in (AdminTier.PROVINCE, AdminTier.DISTRICT, AdminTier.COMMUNE):
        if any(word in name for word in _LEVEL_WORDS[level]):
            return level
    return None


def detect_spec(
    layer: str,
    columns: list[str],
    level: AdminTier | None = None,
    code_field: str | None = None,
    name_field: str | None = None,
) -> LayerSpec:
    """Work out a layer's columns, or explain what is missing."""
    level = level or level_of_layer(layer)
    if level is None:
        raise InputError(
            f"layer {layer!r}: cannot tell whether it holds provinces, districts or communes "
            "from its name; give --level province|district|commune"
        )
    code = code_field or _find(columns, _CODE_FIELDS[level])
    if code is None or code not in columns:
        raise InputError(
            f"layer {layer!r}: no code column found (looked for {', '.join(_CODE_FIELDS[level])}); "
            f"columns are {', '.join(columns)}; name it with --code-field"
        )
    name = name_field or _find(columns, _NAME_FIELDS[level])
    if name is None or name not in columns:
        raise InputError(
            f"layer {layer!r}: no name column found (looked for {name or ', '.join(_NAME_FIELDS[level])}); "
            f"columns are {', '.join(columns)}; name it with --name-field"
        )
    return LayerSpec(
        layer=layer,
        level=level,
        code=code,
        name=name,
        unit_type=_find(columns, _TYPE_FIELDS),
        province_ref=None if level is AdminTier.PROVINCE else _find(columns, _PROVINCE_REF),
        district_ref=_find(columns, _DISTRICT_REF) if level is AdminTier.COMMUNE else None,
        population=_find(columns, _POPULATION_FIELDS),
    )


def _feature(i: int, code, name) -> str:
    return f"feature #{i + 1} (code {code if code else '—'}, name {name!r})"


def _text_column(frame: pd.DataFrame, column: str | None) -> pd.Series:
    """A column as NFC strings (whole floats such as codes read as 811.0 become "811"), None if blank."""
    if column is None:
        return pd.Series([None] * len(frame), dtype=object)
    values = [nfc(int(v) if isinstance(v, float) and v.is_integer() else v) for v in frame[column]]
    return pd.Series(values, dtype=object)


def _unit_type(level: AdminTier, declared, name: str | None) -> UnitType | None:
    allowed = TYPES_BY_LEVEL[level]
    if declared:
        try:
            t = UnitType(str(declared).strip().lower())
        except ValueError:
            return None
        return t if t in allowed else None
    types, _ = split_prefix(name)
    return next((t for t in types if t in allowed), None)


def prepare_layer(spec: LayerSpec, frame: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, BoundaryLayerReport]:
    """Validate one source layer and turn it into rows of the store's unit schema."""
    report = BoundaryLayerReport(layer=spec.layer, level=spec.level.value, rows_read=len(frame))
    where = f"layer {spec.layer!r}"
    if len(frame) == 0:
        raise InputError(f"{where} is empty")
    if frame.crs is None:
        raise InputError(
            f"{where} has no coordinate reference system (CRS); "
            "re-export it with one, e.g. EPSG:4326 or VN-2000 (EPSG:4756 / 3405)"
        )
    codes = _text_column(frame, spec.code)
    names = _text_column(frame, spec.name)

    geom_types = frame.geometry.geom_type
    bad = [i for i, t in enumerate(geom_types) if t not in ("Polygon", "MultiPolygon")]
    if bad:
        shown = [f"{_feature(i, codes.iat[i], names.iat[i])} is {geom_types.iat[i] or 'empty'}" for i in bad[:20]]
        raise InputError(
            f"{where}: {len(bad)} features are not polygons; boundaries must be Polygon or MultiPolygon", shown
        )
    no_code = [i for i, c in enumerate(codes) if c is None]
    if no_code:
        raise InputError(
            f"{where}: {len(no_code)} units have no code in column {spec.code!r}",
            [_feature(i, None, names.iat[i]) for i in no_code[:50]],
        )
    dup = codes[codes.duplicated(keep=False)]
    if len(dup):
        details = [
            f"code {c}: " + ", ".join(_feature(int(i), c, names.iat[int(i)]) for i in np.flatnonzero(codes == c))
            for c in sorted(set(dup))[:50]
        ]
        raise InputError(f"{where}: {dup.nunique()} codes are used by more than one unit", details)

    labels = [_feature(i, codes.iat[i], names.iat[i]) for i in range(len(frame))]
    frame, report.reprojected_from, outside_mask = lonlat_checked(frame, where, labels)
    outside = np.flatnonzero(outside_mask)
    if len(outside):
        raise InputError(
            f"{where}: {len(outside)} units lie wholly outside {EXTENT_TEXT}", [labels[i] for i in outside[:50]]
        )
    valid = frame.geometry.is_valid.to_numpy()
    geometry = [as_multipolygon(g) if ok else make_polygonal(g) for g, ok in zip(frame.geometry, valid, strict=True)]
    report.repaired = [codes.iat[i] for i in np.flatnonzero(~valid)]
    empty = [i for i, g in enumerate(geometry) if g.is_empty]
    if empty:
        raise InputError(
            f"{where}: {len(empty)} geometries are empty (or empty after repair)",
            [_feature(i, codes.iat[i], names.iat[i]) for i in empty[:50]],
        )

    declared = frame[spec.unit_type] if spec.unit_type else pd.Series([None] * len(frame), index=frame.index)
    types = [_unit_type(spec.level, d if isinstance(d, str) else None, n) for d, n in zip(declared, names, strict=True)]
    flags = []
    for i, (name, utype) in enumerate(zip(names, types, strict=True)):
        flag = UnitFlag.UNNAMED if not name else (UnitFlag.NOT_ADMIN_UNIT if utype is None else None)
        flags.append(flag.value if flag else None)
        if flag:
            report.flagged.append({"feature": i + 1, "code": codes.iat[i], "name": name, "flag": flag.value})

    province_ref = _text_column(frame, spec.province_ref)
    district_ref = _text_column(frame, spec.district_ref)
    if spec.level is AdminTier.PROVINCE:
        province_ref = codes
    parent = district_ref if spec.level is AdminTier.COMMUNE and spec.district_ref else province_ref
    population = (
        pd.to_numeric(frame[spec.population], errors="coerce")
        if spec.population
        else pd.Series([np.nan] * len(frame), index=frame.index)
    )
    units = gpd.GeoDataFrame(
        {
            "level": spec.level.value,
            "code": codes.to_numpy(),
            "name": names.to_numpy(),
            "name_short": [split_prefix(n)[1] if n else None for n in names],
            "unit_type": [t.value if t else None for t in types],
            "parent_code": None if spec.level is AdminTier.PROVINCE else parent.to_numpy(),
            "province_code": province_ref.to_numpy(),
            "district_code": district_ref.to_numpy()
            if spec.level is AdminTier.COMMUNE
            else (codes.to_numpy() if spec.level is AdminTier.DISTRICT else None),
            "population": population.to_numpy(),
            "flag": flags,
        },
        geometry=gpd.GeoSeries(geometry, crs=4326),
    )
    units["area_ha"] = np.round(area_ha(units.geometry), 4)
    return units, report


def read_layers(
    path: Path,
    layers: list[str] | None = None,
    level: AdminTier | None = None,
    code_field: str | None = None,
    name_field: str | None = None,
) -> list[tuple[LayerSpec, gpd.GeoDataFrame]]:
    """Read the layers of a boundary file (all recognised layers unless ``layers`` is given)."""
    if not path.exists():
        raise InputError(f"boundary file {path} does not exist")
    try:
        available = [str(name) for name, _ in pyogrio.list_layers(path)]
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise InputError(f"cannot read {path} as a vector file (GeoPackage, GeoJSON, zipped Shapefile): {exc}") from exc
    if layers:
        missing = [name for name in layers if name not in available]
        if missing:
            raise InputError(f"{path} has no layer {', '.join(map(repr, missing))}; layers are {', '.join(available)}")
        chosen = layers
    elif len(available) == 1:
        chosen = available
    else:
        chosen = [name for name in available if level_of_layer(name)]
        if not chosen:
            raise InputError(
                f"{path}: none of its layers ({', '.join(available)}) is recognisably provinces, "
                "districts or communes; choose with --layer and --level"
            )
    result = []
    for name in chosen:
        log.info("reading layer %s of %s", name, path.name)
        try:
            frame = pyogrio.read_dataframe(path, layer=name)
        except Exception as exc:
            raise InputError(f"cannot read layer {name!r} of {path}: {exc}") from exc
        if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame:
            raise InputError(f"layer {name!r} of {path} has no geometry column; boundaries must be polygons")
        spec = detect_spec(name, [c for c in frame.columns if c != frame.geometry.name], level, code_field, name_field)
        result.append((spec, frame))
    levels = [spec.level for spec, _ in result]
    if len(set(levels)) != len(levels):
        raise InputError(
            f"{path}: two layers hold the same level ({', '.join(s.layer for s, _ in result)}); "
            "import one per vintage with --layer"
        )
    return result


def _check_parents(prepared: dict[AdminTier, tuple[gpd.GeoDataFrame, BoundaryLayerReport]]) -> None:
    for level, (units, report) in prepared.items():
        parent_level = level.parent
        if parent_level is None or parent_level not in prepared:
            continue
        known = set(prepared[parent_level][0]["code"])
        report.missing_parents = sorted({p for p in units["parent_code"] if p and p not in known})


def import_boundaries(
    store: Store,
    path: str | Path,
    valid_from: dt.date,
    *,
    layers: list[str] | None = None,
    level: AdminTier | None = None,
    code_field: str | None = None,
    name_field: str | None = None,
    vintage_name: str | None = None,
    measure_quality: bool = True,
    dry_run: bool = False,
) -> tuple[Vintage | None, BoundaryImportReport]:
    """Read, validate and store one boundary vintage; returns the vintage (None on a dry run)."""
    path = Path(path)
    if valid_from < EARLIEST_DATE:
        raise InputError(
            f"valid_from {valid_from.isoformat()} is before {EARLIEST_DATE.year}: no vintage of Vietnam's units "
            "is that old (a typing error?)"
        )
    report = BoundaryImportReport(source_file=str(path), valid_from=valid_from.isoformat(), dry_run=dry_run)
    prepared: dict[AdminTier, tuple[gpd.GeoDataFrame, BoundaryLayerReport]] = {}
    for spec, frame in read_layers(path, layers, level, code_field, name_field):
        units, layer_report = prepare_layer(spec, frame)
        log.info(
            "%s: %d units, %d repaired, %d flagged",
            spec.layer,
            len(units),
            len(layer_report.repaired),
            len(layer_report.flagged),
        )
        if measure_quality:
            log.info("%s: measuring overlaps and gaps", spec.layer)
            layer_report.coverage = measure_boundary_quality(units)
        prepared[spec.level] = (units, layer_report)
        report.layers.append(layer_report)
    _check_parents(prepared)
    report.rows_read = sum(r.rows_read for r in report.layers)
    if dry_run:
        return None, report
    all_units = pd.concat([u for u, _ in prepared.values()], ignore_index=True)
    report.rows_stored, report.stored = len(all_units), True  # as the record says: stored with it, or neither
    vintage = store.add_vintage(
        vintage_name or f"{valid_from.isoformat()} {path.stem}",
        valid_from,
        str(path),
        gpd.GeoDataFrame(all_units, geometry="geometry", crs=4326),
        report.record(),
    )
    log.info("stored vintage %s: %d units", vintage.name, len(all_units))
    return vintage, report
