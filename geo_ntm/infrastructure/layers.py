"""Import infrastructure layers into the store: roads, water lines and points, households and
facilities from GeoPackage, GeoJSON, Shapefile or OpenStreetMap (.osm, .osm.pbf) files, and
population rasters (GeoTIFF, any CRS).

A file without a CRS, a geometry of the wrong type, an empty layer or an unusable raster raises
``InputError`` and stores nothing. Attribute values the mapping does not know are stored as
``unknown`` and reported with their counts."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import rasterio
import rasterio.errors
import rasterio.windows
import shapely

from geo_ntm.domain import Layer, LayerKind
from geo_ntm.errors import InputError
from geo_ntm.import_report import HIDDEN, ImportReport
from geo_ntm.infrastructure.mapping import choose_mapping, expand_osm_tags, map_column
from geo_ntm.plausibility import EXTENT_TEXT, lonlat_checked
from geo_ntm.settings import Settings
from geo_ntm.store import Store

_GEOMETRY_TYPES = {"line": ("LineString", "MultiLineString"), "point": ("Point", "MultiPoint")}
_NAME_FIELDS = ("name", "ten", "tên", "ten_duong", "tên đường")
_OSM_SUFFIXES = (".osm", ".pbf")


@dataclass(kw_only=True)
class LayerImportReport(ImportReport):
    """What a layer import read, stored, dropped and could not map; its warnings are sentences."""

    import_kind: ClassVar[str] = "layer"
    aliases: ClassVar[dict[str, str]] = {"source": "source_file"}

    name: str
    kind: str  # the layer's kind (roads, water_lines ...)
    reprojected_from: str | None = None
    mapping: str | None = None
    attributes: dict = field(default_factory=dict)  # section -> MappedColumn.report()
    dropped: dict = field(default_factory=dict)  # reason -> count
    raster: dict = field(default_factory=dict)
    layer: Layer | None = field(default=None, metadata=HIDDEN)

    def lines(self) -> list[str]:
        """What was read and stored, then how it was mapped, dropped and warned about."""
        lines = [
            f"layer {self.name!r} ({self.kind}) from {self.source_file}: read {self.rows_read}, "
            f"stored {self.rows_stored}"
        ]
        if self.reprojected_from:
            lines.append(f"  reprojected from {self.reprojected_from} to EPSG:4326")
        if self.mapping:
            lines.append(f"  mapping: {self.mapping}")
        for section, rep in self.attributes.items():
            lines.append(f"  {section}: column {rep['column']!r}, {rep['missing']} without a value")
        lines += [f"  dropped {n}: {reason}" for reason, n in self.dropped.items()]
        lines += [f"  raster {k}: {v}" for k, v in self.raster.items()]
        lines += [f"  warning: {w}" for w in self.warnings]
        lines.append("dry run: nothing stored" if self.layer is None else f"stored layer {self.layer.layer_id}")
        return lines


def import_layer(
    store: Store,
    path: str | Path,
    name: str,
    kind: LayerKind,
    valid_date: dt.date,
    *,
    mapping: str | None = None,
    source_layer: str | None = None,
    dry_run: bool = False,
    actor: str | None = None,
    source_name: str | None = None,
) -> LayerImportReport:
    """Read, check, map and store one layer (all or nothing). ``actor`` and ``source_name``
    (recorded instead of ``path``) go into the audit trail."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path} does not exist")
    report = LayerImportReport(source_file=source_name or str(path), name=name, kind=kind.value, dry_run=dry_run)
    if kind is LayerKind.POPULATION:
        raster, crs = _read_raster(path, report)
        features = None
    else:
        features = _read_vector(path, kind, source_layer, mapping, report)
        raster, crs = None, "EPSG:4326"
    summary = {"attributes": report.attributes, "dropped": report.dropped, "raster": report.raster}
    if kind is LayerKind.FACILITIES and features is not None:  # the kinds a coverage question may ask for
        summary["kinds"] = {str(k): int(n) for k, n in features["kind"].fillna("unknown").value_counts().items()}
    if not dry_run:
        report.stored = True  # in the audit record too: add_layer stores it with the layer, or neither
        report.layer = store.add_layer(
            name, kind, valid_date, report.source_file, crs, features, raster, summary, report.record(actor)
        )
    return report


def _source_layer(path: Path, kind: LayerKind, source_layer: str | None) -> str:
    if source_layer:
        return source_layer
    if path.name.lower().endswith(_OSM_SUFFIXES):  # GDAL's OSM driver: lines, points, multipolygons ...
        return "lines" if kind.geometry_family == "line" else "points"
    try:
        layers = pyogrio.list_layers(path)
    except Exception as exc:
        raise InputError(f"cannot read {path}: {exc}") from exc
    if len(layers) != 1:
        raise InputError(
            f"{path} has {len(layers)} layers ({', '.join(str(x[0]) for x in layers)}); "
            "name the one to import with --layer"
        )
    return str(layers[0][0])


def _read_vector(
    path: Path, kind: LayerKind, source_layer: str | None, mapping_name: str | None, report: LayerImportReport
) -> gpd.GeoDataFrame:
    layer = _source_layer(path, kind, source_layer)
    try:
        frame = pyogrio.read_dataframe(path, layer=layer)
    except Exception as exc:
        raise InputError(f"cannot read layer {layer!r} of {path}: {exc}") from exc
    report.rows_read = len(frame)
    if frame.empty:
        raise InputError(f"layer {layer!r} of {path} is empty: nothing to import")
    if frame.crs is None:
        raise InputError(f"{path} has no coordinate reference system; assign one (e.g. ogr2ogr -a_srs EPSG:4326)")
    frame = _checked_geometries(frame, kind, path, report)
    frame, report.reprojected_from, outside = lonlat_checked(frame, path)
    if outside.any():
        report.warnings.append(
            f"{int(outside.sum())} features lie wholly outside {EXTENT_TEXT}; they are stored, check them"
        )
    frame = expand_osm_tags(frame, ["surface", "amenity", "shop"])
    sections = {LayerKind.ROADS: ("class", "surface"), LayerKind.FACILITIES: ("kind",)}.get(kind, ())
    out = pd.DataFrame(index=frame.index, columns=["road_class", "surface", "kind"], dtype=object)
    keep = pd.Series(True, index=frame.index)
    if sections:
        mapping = choose_mapping(frame.columns, sections[0], mapping_name)
        report.mapping = mapping.name
        for section in sections:
            mapped = map_column(frame, mapping, section)
            report.attributes[section] = mapped.report()
            out[{"class": "road_class"}.get(section, section)] = mapped.values
            if mapped.column is None:
                report.warnings.append(
                    f"no {section} column (expected one of {list(mapping.sections[section].fields)})"
                    f": every feature's {section} is unknown"
                )
            if mapped.unknown:
                shown = ", ".join(f"{v!r} ({n})" for v, n in list(mapped.unknown.items())[:20])
                report.warnings.append(
                    f"{sum(mapped.unknown.values())} features have a {section} value the mapping "
                    f"{mapping.name!r} does not know, stored as unknown: {shown}"
                )
            if mapped.excluded is not None and mapped.excluded.any():
                report.dropped[f"{section} excluded by the mapping (not roads)"] = int(mapped.excluded.sum())
                keep &= ~mapped.excluded
    if not keep.any():
        raise InputError(f"every feature of {path} was excluded by the mapping: nothing to import")
    frame, out = frame[keep], out[keep]
    attributes = frame.drop(columns=frame.geometry.name)
    name_col = next((c for c in attributes.columns if c.casefold() in _NAME_FIELDS), None)
    out["name"] = attributes[name_col].astype(object).where(attributes[name_col].notna(), None) if name_col else None
    out["properties"] = (
        attributes.to_json(orient="records", lines=True, force_ascii=False, date_format="iso").splitlines()
        if len(attributes.columns)
        else None
    )
    report.rows_stored = len(out)
    return gpd.GeoDataFrame(out, geometry=frame.geometry.values, crs=4326).reset_index(drop=True)


def _checked_geometries(
    frame: gpd.GeoDataFrame, kind: LayerKind, path: Path, report: LayerImportReport
) -> gpd.GeoDataFrame:
    """Drop (and count) features without geometry; refuse a layer with the wrong geometry type."""
    family = kind.geometry_family
    if family is None:
        raise ValueError(f"a {kind.value} layer is a raster: it has no features to check")
    geoms = frame.geometry
    missing = geoms.isna() | geoms.is_empty
    if missing.all():
        raise InputError(f"no feature of {path} has a geometry")
    if missing.any():
        report.dropped["no geometry"] = int(missing.sum())
        frame = frame[~missing]
    types = frame.geometry.geom_type.value_counts()
    wrong = types[~types.index.isin(_GEOMETRY_TYPES[family])]
    if len(wrong):
        first = frame.index[~frame.geometry.geom_type.isin(_GEOMETRY_TYPES[family])][:5].tolist()
        raise InputError(
            f"a {kind.value} layer must hold {kind.geometry_family}s, but {path} has "
            f"{', '.join(f'{n} {t}' for t, n in wrong.items())} (first features: {first})"
        )
    if kind.geometry_family == "point" and (types.index == "MultiPoint").any():
        frame = frame.explode(index_parts=False)
    if kind.geometry_family == "line":
        zero = shapely.length(np.asarray(frame.geometry.array)) == 0
        if zero.any():
            report.dropped["zero length"] = int(zero.sum())
            frame = frame[~zero]
    return frame


#: Cells read at a time when summing a raster (a strip of rows): memory stays flat whatever its size.
RASTER_STRIP_CELLS = 4_000_000
#: The largest block (tile or strip) read whole: GDAL decompresses a block at once.
RASTER_BLOCK_CELLS = 16_000_000


def raster_ceiling_error(path: object, width: int, height: int, block: tuple[int, int] | None = None) -> str | None:
    """Why a raster of ``width`` x ``height`` cells (stored in blocks of ``block`` rows x columns)
    is too large to read, or None; the ceiling is ``GEO_NTM_MAX_RASTER_CELLS``."""
    ceiling = Settings.from_env().max_raster_cells
    if width * height > ceiling:
        return (
            f"{path} declares {width} x {height} = {width * height:,} cells, over the ceiling of {ceiling:,} "
            "cells (GEO_NTM_MAX_RASTER_CELLS); clip or resample it (gdalwarp -te / -tr) first"
        )
    if block is not None and block[0] * block[1] > RASTER_BLOCK_CELLS:
        return (
            f"{path} is stored in blocks of {block[1]} x {block[0]} = {block[0] * block[1]:,} cells, over "
            f"{RASTER_BLOCK_CELLS:,}; write it tiled or in strips (gdal_translate -co TILED=YES)"
        )
    return None


def _read_raster(path: Path, report: LayerImportReport) -> tuple[bytes, str]:
    """The GeoTIFF's bytes and CRS, after checking it is a single-band grid of non-negative counts.
    Its declared size is checked before any cell is read; cells are then read in strips of rows."""
    try:
        with rasterio.open(path) as src:
            if src.driver != "GTiff":
                raise InputError(f"{path} is a {src.driver} raster; population rasters must be GeoTIFF")
            if src.crs is None:
                raise InputError(f"{path} has no coordinate reference system; assign one (gdal_edit.py -a_srs)")
            refused = raster_ceiling_error(path, src.width, src.height, src.block_shapes[0])
            if refused:
                raise InputError(refused)
            total, cells, negative = 0.0, 0, 0
            strip = max(1, RASTER_STRIP_CELLS // max(1, src.width))
            for row in range(0, src.height, strip):
                window = rasterio.windows.Window(0, row, src.width, min(strip, src.height - row))
                band = src.read(1, window=window, masked=True)
                count = int(band.count())
                if count:
                    total += float(band.sum(dtype="float64"))
                    cells += count
                    negative += int((band < 0).sum())
                del band
            report.raster = {
                "crs": src.crs.to_string(),
                "width": src.width,
                "height": src.height,
                "resolution": list(src.res),
                "bounds": list(src.bounds),
                "bands": src.count,
                "nodata": src.nodata,
                "total": total,
            }
            crs = src.crs.to_string()
    except rasterio.errors.RasterioError as exc:
        raise InputError(f"cannot read {path} as a raster: {exc}") from exc
    if cells == 0:
        raise InputError(
            f"{path} has no data cell (all {report.raster['width'] * report.raster['height']:,} cells are nodata "
            f"{report.raster['nodata']!r}): nothing to import"
        )
    if negative:
        raise InputError(f"{path} has {negative} negative cells; a population raster holds counts of people")
    if not math.isfinite(total):
        raise InputError(f"{path} sums to {total}: its cells hold non-finite or overflowing values, not counts")
    if report.raster["bands"] > 1:
        report.warnings.append(f"{path} has {report.raster['bands']} bands; band 1 is used")
    report.rows_read = report.rows_stored = cells
    return path.read_bytes(), crs
