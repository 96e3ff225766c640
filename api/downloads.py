"""Downloads of any collection with any filter: GeoJSON, GeoPackage, zipped Shapefile, CSV and
XLSX, streamed, named after what they hold (collection, province, district, date).

``GET /collections/{collectionId}/download?format=...`` takes every parameter of ``/items``
(boundaries, year, place, ``bbox``, property filters, CQL2 ``filter``, ``crs``) and no paging:
the file holds every matching feature."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import re
import shutil
import sqlite3
import tempfile
import unicodedata
import weakref
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated

import geopandas as gpd
import pandas as pd
import pyogrio
from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from api.deps import Lang, StoreDep
from api.download_formats import FORMATS
from api.ogc.crs import CRS84, pyproj_crs
from api.ogc.features import CARRIED, PROPERTIES, encode_features, vintage_document
from api.ogc.query import FeatureQuery, QueryDep, run
from geo_ntm.domain import AdminTier
from geo_ntm.errors import InputError
from geo_ntm.export_safety import safe_csv_cell, safe_csv_row, xlsx_row
from geo_ntm.store import Store
from geo_ntm.views import IndicatorColumn, StatusDetails, indicator_order, status_details
from maps.i18n import texts
from maps.styles import CLASS_FIELD, level_classes, qml, sld, style_classes

router = APIRouter()

#: Every column of a download, its Shapefile name (10 characters at most) and its meaning.
FIELDS = {
    "admin_level": ("adm_level", "administrative level: province, district, commune"),
    "code": ("code", "unit code of the boundary source (the feature id)"),
    "name": ("name", "full name, e.g. Xã Nhơn Thạnh"),
    "unit_type": ("unit_type", "xa, phuong, thi_tran, dac_khu; huyen, quan, thi_xa, thanh_pho; tinh"),
    "district": ("district", "district name (communes)"),
    "province": ("province", "province name"),
    "district_code": ("dist_code", "district code of the boundary source (communes of boundaries with districts)"),
    "province_code": ("prov_code", "province code of the boundary source"),
    "population": ("population", "population in the boundary file"),
    "area_ha": ("area_ha", "area in hectares"),
    "flag": ("flag", "unnamed or not_admin_unit polygons (never assessed)"),
    "assessed": ("assessed", "a commune assessed for NTM (not a ward or town)"),
    "year": ("year", "year of the NTM status"),
    "framework": ("framework", "criteria framework, e.g. qd1980_2016"),
    "level": ("ntm_level", "NTM level reached (ntm, ntm_nang_cao, ...)"),
    "criteria_met": ("crit_met", "number of criteria met"),
    "criteria_total": ("crit_total", "number of criteria in the framework"),
    "criteria_unmet": ("crit_unmet", "numbers of the unmet criteria, ';'-separated"),
    "criteria_conflicting": ("crit_confl", "criteria with conflicting sources, ';'-separated"),
    "all_criteria_met_not_recognised": ("met_no_rec", "all criteria of a level met, not recognised at that level"),
    "recognised_level": ("rec_level", "NTM level recognised by a decision and not revoked (ntm, ...)"),
    "recognition_decision": ("rec_dec", "number of the recognition decision, e.g. 694/QĐ-UBND-HC"),
    "recognition_date": ("rec_date", "date of the recognition decision (yyyy-mm-dd)"),
    "recognition_year": ("rec_year", "year the recognition decision is for"),
    "recognition_framework": ("rec_fw", "framework named by the recognition decision"),
    "ntm_class": (
        "ntm_class",
        "class of the planner's level map (the style files colour by it): recognised_<level>, "
        "met_not_recognised, not_reached, no_data, not_assessed",
    ),
    "ntm_group": ("ntm_group", "NTM commune group (nhóm 1, 2, 3 of QĐ 51/2025) in force on 31 December"),
    "ntm_group_decision": ("grp_dec", "decision that set the NTM group"),
    "ntm_group_date": ("grp_date", "date of that decision (yyyy-mm-dd)"),
    "ethnic_area": ("eth_area", "ethnic-minority area class (khu vực I, II, III; NĐ 272/2025), not the group"),
    "admin_class": ("adm_class", "administrative class (loại I, II, III, đặc biệt), not the group"),
    "carry_rule": ("carry_rule", "rule that carried the status from other boundaries"),
    "carried_from_year": ("carry_year", "year whose boundaries the status was carried from"),
    "old_units": ("old_units", "codes of the old units counted, ';'-separated"),
    "assessed_parts": ("asd_parts", "old units assessed"),
    "parts_with_data": ("data_parts", "old units with data"),
    "coverage": ("coverage", "share of the area covered by old units"),
    "share": ("share", "share (area or population) that reached the rule's level"),
    "share_known": ("shr_known", "share with data"),
    "share_assessed": ("shr_asd", "share assessed"),
    "population_known": ("pop_known", "share of the population known"),
    "sources": ("sources", "sources the status files named (report, decision) for the unit's year, ';'-separated"),
}
_LISTS = ("criteria_unmet", "criteria_conflicting", "old_units")
#: The per-criterion columns tc1..tcN of a download: each criterion's status in the unit's framework.
CRITERION_STATUSES = "met, unmet, conflicting (its sources disagree) or no_data"
_TC = re.compile(r"tc(\d+)")
_TC_SOURCE = re.compile(r"tc(\d+)_src")
_CODES = ("province_code", "district_code")  # in downloads only: items name the place by its names
_CHUNK = 1 << 16


def slug(text: str) -> str:
    """ASCII file-name part: 'Bến Tre' -> 'Ben-Tre'."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-") or "x"


def file_stem(q: FeatureQuery) -> str:
    """``communes_Ben-Tre_2020-12-31``: collection, province (and district), day of the
    boundaries; ``_status-YYYY`` when the status year is not that day's; ``_filtered`` when a
    bbox or property filter chose a subset."""
    where = q.where
    if where.day_asked is not None or where.year is not None:
        day = where.day
    else:
        day = dt.date.today() if where.vintage.covers(dt.date.today()) else where.vintage.valid_from
    parts = [q.collection.id, "_".join(slug(p) for p in q.place) if q.place else "Viet-Nam", day.isoformat()]
    if where.year is not None and day != dt.date(where.year, 12, 31):
        parts.append(f"status-{where.year}")
    if q.filtered:
        parts.append("filtered")
    return "_".join(parts)


def field_meaning(name: str, indicators: Mapping[str, IndicatorColumn]) -> tuple[str, str]:
    """The Shapefile name and the meaning of a download's column (``FIELDS``, ``tcN``, ``tcN_src``,
    or one of ``indicators`` by column name). An indicator's Shapefile name is its column
    (``ind_17_1``) when it fits in 10 characters, else ``i`` and the indicator id's digits and
    underscores cut to 10 (``ind_17_1_10`` -> ``i17_1_10``)."""
    if (tc := _TC.fullmatch(name)) is not None:
        return name, f"criterion {tc.group(1)} of the unit's framework: {CRITERION_STATUSES}"
    if (tc := _TC_SOURCE.fullmatch(name)) is not None:
        return name, f"source of the status of criterion {tc.group(1)}: import id, file and row ('; ' if several)"
    if name in indicators:
        c = indicators[name]
        short = name if len(name) <= 10 else ("i" + name[4:])[:10]
        unit = f", in {c.unit}" if c.unit else ""
        return short, f"indicator {c.indicator_id}: the value reported for the year{unit}"
    return FIELDS[name]


def header(name: str, indicators: Mapping[str, IndicatorColumn]) -> str:
    """A column's CSV heading: its name, and an indicator's unit of measure in brackets (``ind_2_1 [%]``)."""
    unit = indicators[name].unit if name in indicators else None
    return f"{name} [{unit}]" if unit else name


def criterion_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns tc1..tcN (N: the most criteria of a framework among the rows) with each criterion's
    status in the row's framework: met, unmet, conflicting, or no_data when the unit has figures but
    none for that criterion (e.g. only a reported count); empty beyond its framework's criteria and
    for units without figures or not assessed. Empty when ``frame`` has no per-criterion lists."""
    if "met_criteria" not in frame.columns or frame.empty:
        return pd.DataFrame(index=range(len(frame)))
    totals = pd.to_numeric(frame["criteria_total"], errors="coerce")
    most = int(totals.max()) if totals.notna().any() else 0
    rows = []
    for met, unmet, conflicting, total, has_data in zip(
        frame["met_criteria"],
        frame["criteria_unmet"],
        frame["criteria_conflicting"],
        totals,
        frame["has_data"],
        strict=True,
    ):
        known = {n: "met" for n in met} | {n: "unmet" for n in unmet} | {n: "conflicting" for n in conflicting}
        size = 0 if pd.isna(total) or not has_data else int(total)
        rows.append([known.get(n, "no_data") if n <= size else None for n in range(1, most + 1)])
    return pd.DataFrame(rows, columns=[f"tc{n}" for n in range(1, most + 1)])


def details(store: Store, frames: list[tuple[AdminTier, gpd.GeoDataFrame]], year: int | None) -> list[StatusDetails]:
    """The ``geo_ntm.views.StatusDetails`` of each frame (indicator values, status sources)."""
    return [status_details(store, frame.reset_index(drop=True), year) for _, frame in frames]


def table(
    frames: list[tuple[AdminTier, gpd.GeoDataFrame]], crs: str, added: list[StatusDetails] | None = None
) -> gpd.GeoDataFrame:
    """One flat table of every feature (columns in FIELDS order, then the per-criterion columns
    tc1..tcN, the indicator values ``ind_*`` and status sources ``tcN_src`` of ``added`` (one
    ``StatusDetails`` per frame), lists joined with ';'), geometries in ``crs`` with x =
    longitude/easting (the order GIS files use)."""
    parts = []
    for i, (lv, frame) in enumerate(frames):
        columns = [c for c in (*PROPERTIES[lv], *CARRIED, *_CODES) if c in frame.columns]
        part = pd.DataFrame({c: frame[c].values for c in columns})
        part["admin_level"] = lv.value
        if {"assessed", "has_data"} <= set(frame.columns):
            part[CLASS_FIELD] = level_classes(frame)
        extra = added[i].table if added else pd.DataFrame(index=range(len(frame)))
        part = pd.concat([part, criterion_columns(frame.reset_index(drop=True)), extra], axis=1)
        parts.append(gpd.GeoDataFrame(part, geometry=list(frame.geometry.values), crs="EPSG:4326"))
    target = "EPSG:4326" if crs == CRS84 else pyproj_crs(crs)  # files: GDAL stores x = longitude anyway
    if not parts:
        return gpd.GeoDataFrame({c: [] for c in ("admin_level", "code", "name")}, geometry=[], crs=target)
    out = pd.concat(parts, ignore_index=True)
    criteria = sorted((c for c in out.columns if _TC.fullmatch(c)), key=lambda c: int(c[2:]))
    order = {c.column: n for n, c in enumerate(indicator_columns(added or []).values())}
    indicators = sorted((c for c in out.columns if c in order), key=order.__getitem__)
    sources = sorted((c for c in out.columns if _TC_SOURCE.fullmatch(c)), key=lambda c: int(c[2:-4]))
    ordered = [c for c in FIELDS if c in out.columns and c != "sources"] + criteria + indicators + sources
    ordered += ["sources"] if "sources" in out.columns else []
    out = gpd.GeoDataFrame(out[[*ordered, "geometry"]], geometry="geometry", crs="EPSG:4326")
    for column in indicators:
        out[column] = pd.to_numeric(out[column], errors="coerce").astype("Float64")
    for column in _LISTS:
        if column in out.columns:
            out[column] = out[column].map(lambda v: ";".join(str(x) for x in v) if isinstance(v, list) else None)
    for column in (
        "criteria_met",
        "criteria_total",
        "year",
        "carried_from_year",
        "assessed_parts",
        "parts_with_data",
        "ntm_group",
    ):
        if column in out.columns:
            out[column] = pd.to_numeric(out[column], errors="coerce").astype("Int64")
    for column in ("assessed",):
        if column in out.columns:
            out[column] = out[column].astype("boolean")
    return out.to_crs(target) if crs != CRS84 else out


def indicator_columns(added: list[StatusDetails]) -> dict[str, IndicatorColumn]:
    """Column -> ``IndicatorColumn`` of every indicator of ``added`` (``StatusDetails``), ordered by
    indicator id; one unit of measure per indicator (several joined)."""
    found: dict[str, IndicatorColumn] = {}
    for detail in added:
        for c in detail.indicators:
            if c.column in found and found[c.column].unit != c.unit:
                units = sorted({*(found[c.column].unit or "").split("; "), *(c.unit or "").split("; ")} - {""})
                c = IndicatorColumn(c.indicator_id, c.column, "; ".join(units) or None)
            found[c.column] = c
    return dict(sorted(found.items(), key=lambda kv: indicator_order(kv[1].indicator_id)))


def _stream_file(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            yield chunk


class TempFileResponse(StreamingResponse):
    """A file written in its own temporary folder, streamed, the folder removed however the
    response ends: sent, failed, cancelled or the client gone before the first byte (the streaming
    generator never starts then, so its own ``finally`` would never run), or never sent at all
    (the request cancelled while the file was written: removed when the response is dropped)."""

    def __init__(self, directory: Path, path: Path, media_type: str, headers: dict[str, str]):
        super().__init__(_stream_file(path), media_type=media_type, headers=headers)
        self.cleanup = weakref.finalize(self, shutil.rmtree, directory, True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.cleanup()


def _point_columns(frame: gpd.GeoDataFrame, crs: str) -> tuple[str, str]:
    return ("lon", "lat") if pyproj_crs(crs).is_geographic else ("easting", "northing")


def _attributes(frame: gpd.GeoDataFrame, crs: str, wkt: bool) -> pd.DataFrame:
    """The table without geometry: a point inside each unit (x first), and the WKT if asked."""
    points = frame.geometry.representative_point()
    x, y = _point_columns(frame, crs)
    out = pd.DataFrame(frame.drop(columns="geometry"))
    out[x] = points.x.round(7 if pyproj_crs(crs).is_geographic else 2)
    out[y] = points.y.round(7 if pyproj_crs(crs).is_geographic else 2)
    if wkt:
        out["wkt"] = frame.geometry.to_wkt()
    return out


def _missing(v) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and v != v)


def _csv_rows(frame: pd.DataFrame, indicators: Mapping[str, IndicatorColumn]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")  # a BOM, so that Excel reads the Vietnamese names as UTF-8
    writer.writerow(safe_csv_row([header(c, indicators) for c in frame.columns]))
    for i, row in enumerate(frame.itertuples(index=False, name=None), 1):
        writer.writerow(["" if _missing(v) else safe_csv_cell(v) for v in row])
        if i % 500 == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def _geojson(q: FeatureQuery, frames, matched: int, added: list[StatusDetails]) -> Iterator[bytes]:
    """The features as the items give them, each with its ``StatusDetails`` columns added to its
    properties; the head lists the indicator columns with their units (``indicators``)."""
    head = {
        "type": "FeatureCollection",
        "numberMatched": matched,
        "numberReturned": matched,
        "vintage": vintage_document(q.where.vintage),
        "indicators": [
            {"id": c.indicator_id, "property": c.column, "unit": c.unit} for c in indicator_columns(added).values()
        ],
    }
    yield json.dumps(head, ensure_ascii=False)[:-1].encode("utf-8") + b', "features": ['
    extras = pd.concat([d.table for d in added], ignore_index=True) if added else pd.DataFrame()
    for i, f in enumerate(encode_features(frames, q.crs)):
        if len(extras.columns):
            f["properties"] |= {k: None if _missing(v) else v for k, v in extras.iloc[i].items()}
        yield (b"," if i else b"") + json.dumps(f, ensure_ascii=False).encode("utf-8")
    yield b"]}"


def _readme(q: FeatureQuery, request: Request, matched: int) -> list[tuple[str, str]]:
    return [
        ("collection", q.collection.id),
        ("features", str(matched)),
        ("boundaries", q.where.vintage.name),
        ("boundaries_valid_from", q.where.vintage.valid_from.isoformat()),
        ("status_year", str(q.where.year or "")),
        ("crs", q.crs),
        ("request", str(request.url)),
        ("made", dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")),
    ]


def _xlsx(
    path: Path,
    frame: pd.DataFrame,
    sheet: str,
    readme: list[tuple[str, str]],
    indicators: Mapping[str, IndicatorColumn],
) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    data = book.create_sheet(sheet)
    data.append(xlsx_row(data, frame.columns))
    for row in frame.itertuples(index=False, name=None):  # text as text: never a formula
        data.append(xlsx_row(data, [None if _missing(v) else v for v in row]))
    fields = book.create_sheet("fields")
    fields.append(xlsx_row(fields, ["field", "meaning"]))
    for name in frame.columns:
        meaning = (
            field_meaning(name, indicators)[1]
            if name in FIELDS or name in indicators or _TC.fullmatch(name) or _TC_SOURCE.fullmatch(name)
            else "point inside the unit"
            if name != "wkt"
            else "geometry as WKT"
        )
        fields.append(xlsx_row(fields, [name, meaning]))
    about = book.create_sheet("about")
    for row in readme:
        about.append(xlsx_row(about, row))
    book.save(path)


def _layer_styles(path: Path, layer: str, lang: str) -> None:
    """The level map's QGIS and SLD styles in the GeoPackage's ``layer_styles`` table, as QGIS
    stores a layer's default style there (so the layer opens styled)."""
    classes = style_classes(lang)
    title = texts(lang)["heading.level"]
    row = {
        "f_table_catalog": "",
        "f_table_schema": "",
        "f_table_name": layer,
        "f_geometry_column": "geom",
        "styleName": layer,
        "styleQML": qml(classes),
        "styleSLD": sld(layer, classes, title),
        "useAsDefault": True,
        "description": f"geo_ntm: {title}",
        "owner": "",
        "ui": None,
        "update_time": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S"),
    }
    pyogrio.write_dataframe(pd.DataFrame([row]), path, layer="layer_styles", driver="GPKG")


def _data_columns(path: Path, layer: str, frame: gpd.GeoDataFrame, indicators: Mapping[str, IndicatorColumn]) -> None:
    """Each column's title (an indicator's with its unit: ``ind_2_1 [%]``) and meaning in the
    GeoPackage's ``gpkg_data_columns`` (the Schema extension; GDAL reads the title as the field's
    alternative name, QGIS shows it as the alias)."""
    rows = [
        (layer, name, header(name, indicators), field_meaning(name, indicators)[1])
        for name in frame.columns
        if name != "geometry"
    ]
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS gpkg_data_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,"
            " name TEXT, title TEXT, description TEXT, mime_type TEXT, constraint_name TEXT,"
            " CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name))"
        )
        conn.executemany(
            "INSERT OR REPLACE INTO gpkg_data_columns (table_name, column_name, name, title, description)"
            " VALUES (?, ?, ?, ?, ?)",
            [(t, c, title, title, meaning) for t, c, title, meaning in rows],
        )
        conn.execute(
            "CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT, column_name TEXT,"
            " extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL,"
            " CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))"
        )
        conn.execute(
            "INSERT OR IGNORE INTO gpkg_extensions VALUES ('gpkg_data_columns', NULL, 'gpkg_schema',"
            " 'http://www.geopackage.org/spec/#extension_schema', 'read-write')"
        )


def _shapefile(
    directory: Path, stem: str, frame: gpd.GeoDataFrame, lang: str, indicators: Mapping[str, IndicatorColumn]
) -> Path:
    renamed = frame.rename(columns={c: field_meaning(c, indicators)[0] for c in frame.columns if c != "geometry"})
    shp = directory / f"{stem}.shp"
    pyogrio.write_dataframe(renamed, shp, driver="ESRI Shapefile", layer=stem, encoding="UTF-8")
    if CLASS_FIELD in frame.columns:  # beside the .shp, QGIS loads <stem>.qml as the layer's style
        classes = style_classes(lang)
        (directory / f"{stem}.qml").write_text(qml(classes), encoding="utf-8")
        (directory / f"{stem}.sld").write_text(sld(stem, classes, texts(lang)["heading.level"]), encoding="utf-8")
    fields = directory / "fields.csv"
    with open(fields, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["shapefile_field", "field", "meaning"])
        for name in frame.columns:
            if name != "geometry":
                short, meaning = field_meaning(name, indicators)
                writer.writerow(safe_csv_row([short, name, meaning]))
    archive = directory / f"{stem}.shp.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for part in sorted(directory.glob(f"{stem}.*")):
            if part != archive:
                zf.write(part, part.name)
        zf.write(fields, f"{stem}_fields.csv")
    return archive


#: The GeoPackage version of the downloads: the newest the stock desktop GIS (GDAL 3.6, QGIS 3.22) reads
#: without a warning.
GPKG_VERSION = "1.2"


@router.get("/collections/{collectionId}/download", summary="Download the features asked as a file")
def download(
    request: Request,
    store: StoreDep,
    q: QueryDep,
    lang: Lang,
    format: Annotated[
        str, Query(description="geojson, gpkg, shp (zipped), csv or xlsx", json_schema_extra={"enum": list(FORMATS)})
    ] = "geojson",
    geometry: Annotated[str | None, Query(description="csv: 'wkt' adds the geometry as WKT")] = None,
) -> StreamingResponse:
    """Every feature the query selects (no paging) as a file named after what it holds."""
    if format not in FORMATS:
        raise InputError(f"format={format!r}: available formats are {', '.join(FORMATS)}")
    if geometry not in (None, "wkt", "none"):
        raise InputError(f"geometry={geometry!r}: use wkt (CSV only) or none")
    if geometry == "wkt" and format != "csv":
        raise InputError("geometry=wkt is for CSV only (an XLSX cell holds at most 32,767 characters)")
    media, ext = FORMATS[format]
    stem = file_stem(q)
    headers = {"Content-Disposition": f'attachment; filename="{stem}.{ext}"', "Content-Crs": f"<{q.crs}>"}
    matched, frames = run(store, q)
    added = details(store, frames, q.where.year)
    if format == "geojson":
        return StreamingResponse(_geojson(q, frames, matched, added), media_type=media, headers=headers)
    frame = table(frames, q.crs, added)
    indicators = indicator_columns(added)
    if format == "csv":
        return StreamingResponse(
            _csv_rows(_attributes(frame, q.crs, geometry == "wkt"), indicators), media_type=media, headers=headers
        )
    directory = Path(tempfile.mkdtemp(prefix="geo_ntm_download_"))
    try:
        if format == "gpkg":
            path = directory / f"{stem}.gpkg"
            # GeoPackage 1.2: GDAL 3.6 and QGIS 3.22 (Debian 12) warn on the 1.4 newer GDAL writes
            pyogrio.write_dataframe(
                frame, path, driver="GPKG", layer=q.collection.id, dataset_options={"VERSION": GPKG_VERSION}
            )
            if CLASS_FIELD in frame.columns:
                _layer_styles(path, q.collection.id, lang)
            _data_columns(path, q.collection.id, frame, indicators)
        elif format == "shp":
            path = _shapefile(directory, stem, frame, lang, indicators)
        else:
            path = directory / f"{stem}.xlsx"
            _xlsx(path, _attributes(frame, q.crs, False), q.collection.id, _readme(q, request, matched), indicators)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    headers["Content-Length"] = str(path.stat().st_size)
    return TempFileResponse(directory, path, media, headers)
