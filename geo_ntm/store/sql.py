"""The one SQL store: every query of the store interface written once, run through a ``Dialect``
(``dialect.py``) for what differs between backends (parameter marks, geometry encoding, spatial
filters, bulk inserts, new ids, the write transaction, the schema).

Consistency is the same on every backend: every write is one transaction of ``dialect.write``
(writers one at a time), so a failed import leaves nothing behind; every read is one statement,
and the reads inside ``snapshot()`` (the API opens one per request) are one read-only transaction
on one snapshot (``dialect.read_snapshot``), so a reader sees the data before or after an import,
never a mix, even across many statements."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import SimpleNamespace

import geopandas as gpd
import pandas as pd
import shapely

from geo_ntm.domain import (
    AdminTier,
    ClassificationKind,
    CommuneGroup,
    Layer,
    LayerKind,
    Unit,
    UnitClassification,
    Vintage,
)
from geo_ntm.errors import GeoNtmError, NotFoundError
from geo_ntm.filters import Expr
from geo_ntm.store import filter_sql, mvt, rows
from geo_ntm.store.base import BBox, DataExtent, DataVersion, ImportRecord, Store, unit_from_row
from geo_ntm.store.dialect import Connection, Cursor, Dialect

#: Vintages with the start of the next one (their exclusive end), in the columns ``rows.vintage_from_row`` reads.
_VINTAGES = (
    "(SELECT vintage_id, name, valid_from, lead(valid_from) OVER (ORDER BY valid_from) AS valid_to, source"
    " FROM vintages) v"
)
_LAYERS = f"SELECT {rows.LAYER_COLUMNS} FROM layers"
_ROAD_KM_COLUMNS = ["unit_id", "road_class", "surface", "km"]
_WATER_REACH_COLUMNS = ["unit_id", "population", "population_within"]
_WATER_REACH_KEY = "sources = ? AND vintage_id = ? AND distance_m = ?"
#: The columns of a unit but its geometry: those ``units`` reads, and ``unit_records`` without pandas.
_UNIT_FIELDS = ("unit_id", "vintage_id", *rows.UNIT_ATTRIBUTES)
_UNIT_RECORD_COLUMNS = ", ".join(_UNIT_FIELDS)


class SqlStore(Store):
    """A store on one DB-API connection ``_conn`` of a SQL backend described by ``dialect``."""

    def __init__(self, conn: Connection, dialect: Dialect, schema_version: int):
        self._conn = conn
        self.dialect = dialect
        self._version = schema_version
        self._snapshots = 0  # depth of the open ``snapshot()`` blocks

    @property
    def schema_version(self) -> int:
        return self._version

    def close(self) -> None:
        self._conn.close()

    # -- transactions ------------------------------------------------------------------------
    @contextmanager
    def snapshot(self) -> Iterator[SqlStore]:
        """Every read in the block sees one snapshot of the data (a read-only transaction); nested
        blocks share the outer one. A write in the block ends the snapshot first (see ``_write``)."""
        if self._snapshots:
            self._snapshots += 1
            try:
                yield self
            finally:
                self._snapshots -= 1
            return
        self._run(self._conn, self.dialect.read_snapshot)
        self._snapshots = 1
        try:
            yield self
        finally:
            self._snapshots = 0
            self._conn.rollback()  # read only: nothing to commit; a no-op without a transaction

    def renew_snapshot(self) -> None:
        if self._snapshots:
            self._conn.rollback()
            self._run(self._conn, self.dialect.read_snapshot)

    @contextmanager
    def _write(self) -> Iterator[Cursor]:
        """One write transaction (``dialect.write``). Inside ``snapshot()`` the read transaction ends
        first, as a write cannot run in it (read-only on PostgreSQL; on SQLite, a snapshot older than
        the last commit cannot become a write transaction), and a new one starts after: the reads
        that follow see the data with this write (and any commit before it)."""
        if not self._snapshots:
            with self.dialect.write(self._conn) as cur:
                yield cur
                self._bump_version(cur)
            return
        self._conn.rollback()
        try:
            with self.dialect.write(self._conn) as cur:
                yield cur
                self._bump_version(cur)
        finally:
            self._run(self._conn, self.dialect.read_snapshot)

    def _bump_version(self, cur: Cursor) -> None:
        """Raise the data version at the end of a write transaction (``data_version``): every write
        goes through ``_write``, so none is missed, and it commits or rolls back with the write."""
        self._run(cur, "UPDATE data_version SET version = version + 1, changed_at = ? WHERE id = 1", (rows.now(),))

    def data_version(self) -> DataVersion:
        number, changed_at = self._rows("SELECT version, changed_at FROM data_version WHERE id = 1")[0]
        return DataVersion(int(number), rows.stored_time(changed_at))

    # -- running queries ---------------------------------------------------------------------
    def _run(self, cur: Connection | Cursor, query: str, params: Sequence = ()) -> Cursor:
        """``query`` (``?`` marks) run on a cursor, or on the connection (one statement, autocommit)."""
        return cur.execute(self.dialect.sql(query), params)

    def _rows(self, query: str, params: Sequence = ()) -> list[tuple]:
        return self._run(self._conn, query, params).fetchall()

    def _exists(self, cur: Connection | Cursor, query: str, params: Sequence) -> bool:
        return self._run(cur, query, params).fetchone() is not None

    def _insert_id(self, cur: Cursor, query: str, params: Sequence, key: str) -> int:
        return self.dialect.insert_id(cur, self.dialect.sql(query), params, key)

    def _geoframe(self, query: str, params: Sequence, geometry: bool = True) -> gpd.GeoDataFrame:
        """The result of ``query`` as a GeoDataFrame (EPSG:4326); with ``geometry`` its last column
        ``geom`` is ``dialect.select_geometry``'s value, decoded, else the geometries are None."""
        return self._decoded(self._frame(query, params), geometry)

    def _decoded(self, frame: pd.DataFrame, geometry: bool = True) -> gpd.GeoDataFrame:
        """``frame`` as a GeoDataFrame (EPSG:4326): with ``geometry`` its last column ``geom`` decoded as
        the geometry, else the geometries are None."""
        geoms = self.dialect.decode_geometries(frame.pop("geom").tolist()) if geometry else [None] * len(frame)
        return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(list(geoms), crs="EPSG:4326"))

    def _frame(self, query: str, params: Sequence, columns: list[str] | None = None) -> pd.DataFrame:
        cur = self._run(self._conn, query, params)
        names = columns or [c[0] for c in cur.description]
        return pd.DataFrame.from_records(cur.fetchall(), columns=names, coerce_float=True)

    def _insert_features(
        self, cur: Cursor, table: str, columns: Sequence[str], values: Sequence[Sequence], geometries: gpd.GeoSeries
    ) -> None:
        """Rows of ``table``: ``values`` of ``columns`` followed by the encoded ``geometries`` in ``geom``."""
        blobs = self.dialect.encode_geometries(geometries.array)
        self.dialect.insert_many(cur, table, [*columns, "geom"], ((*v, g) for v, g in zip(values, blobs, strict=True)))
        self.dialect.features_written(cur, table, geometries.total_bounds)

    def _insert_import(self, cur: Cursor, record: ImportRecord) -> int:
        return self._insert_id(
            cur,
            f"INSERT INTO imports ({rows.IMPORT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows.import_row(record),
            "import_id",
        )

    # -- boundary vintages -------------------------------------------------------------------
    def add_vintage(self, name, valid_from, source, units, record) -> Vintage:
        with self._write() as cur:
            vintage_id = self._insert_vintage(cur, name, valid_from, source, units, self._insert_import(cur, record))
        return self._vintage(vintage_id)

    def add_lineage(self, record, events, derived) -> list[Vintage]:
        with self._write() as cur:
            import_id = self._insert_import(cur, record)
            for e in events:
                if self._exists(
                    cur,
                    "SELECT 1 FROM lineage_events WHERE event_id = ? AND effective_date = ?",
                    (e.event_id, e.effective_date.isoformat()),
                ):
                    raise rows.duplicate_event(e)
                self._run(
                    cur,
                    f"INSERT INTO lineage_events (import_id, {rows.EVENT_COLUMNS}) VALUES ({', '.join('?' * 12)})",
                    (import_id, *rows.event_row(e)),
                )
            ids = [
                self._insert_vintage(cur, name, valid_from, source, units, import_id)
                for name, valid_from, source, units in derived
            ]
            self._repoint_statuses(cur, ids)
        return [self._vintage(i) for i in ids]

    def _insert_vintage(
        self, cur: Cursor, name: str, valid_from: dt.date, source: str, units: gpd.GeoDataFrame, import_id: int
    ) -> int:
        if self._exists(cur, "SELECT 1 FROM vintages WHERE name = ? OR valid_from = ?", (name, valid_from.isoformat())):
            raise rows.duplicate_vintage(name, valid_from)
        vintage_id = self._insert_id(
            cur,
            "INSERT INTO vintages (name, valid_from, source, import_id) VALUES (?, ?, ?, ?)",
            (name, valid_from.isoformat(), source, import_id),
            "vintage_id",
        )
        values = [(vintage_id, *attrs) for attrs in rows.attribute_rows(units, rows.UNIT_ATTRIBUTES)]
        self._insert_features(cur, "units", ["vintage_id", *rows.UNIT_ATTRIBUTES], values, units.geometry)
        return vintage_id

    def _repoint_statuses(self, cur: Cursor, derived_ids: list[int]) -> None:
        """Statuses belong to the vintage in force on 31 December of their year. A derived vintage
        keeps the codes of its base, so statuses of the years it now covers (``rows.years_covered``)
        move to its unit of the same level and code; statuses of units that no longer exist stay."""
        starts = [
            (rows.stored_date(r[1]), r[0])
            for r in self._run(cur, "SELECT vintage_id, valid_from FROM vintages ORDER BY valid_from").fetchall()
        ]
        same_unit = (
            "FROM units n JOIN units o ON o.unit_id = {table}.unit_id"
            " WHERE n.vintage_id = ? AND n.level = o.level AND n.code = o.code"
        )
        for vintage_id, first, last in rows.years_covered(starts, derived_ids):
            for table in ("criterion_statuses", "status_summaries", "recognitions", "indicator_statuses"):
                found = same_unit.format(table=table)
                self._run(
                    cur,
                    f"UPDATE {table} SET unit_id = (SELECT n.unit_id {found}) WHERE year BETWEEN ? AND ?"
                    f" AND EXISTS (SELECT 1 {found} AND o.vintage_id <> ?)",
                    (vintage_id, first, last, vintage_id, vintage_id),
                )

    def lineage_events(self, code=None):
        found = self._rows(f"SELECT {rows.EVENT_COLUMNS} FROM lineage_events ORDER BY effective_date, id")
        return rows.events_naming([rows.event_from_row(r) for r in found], code)

    def _vintages_where(self, condition: str, params: Sequence, last: bool = False) -> list[Vintage]:
        """Vintages (each with its end) meeting ``condition``, by start date (``last``: only the latest)."""
        order = " DESC LIMIT 1" if last else ""
        found = self._rows(f"SELECT * FROM {_VINTAGES} WHERE {condition} ORDER BY valid_from{order}", params)
        return [rows.vintage_from_row(r) for r in found]

    def vintages(self) -> list[Vintage]:
        return self._vintages_where("1 = 1", ())

    def _vintage(self, vintage_id: int) -> Vintage:
        return self._vintages_where("vintage_id = ?", (vintage_id,))[0]

    def vintage_on(self, day: dt.date) -> Vintage:
        found = self._vintages_where("valid_from <= ?", (day.isoformat(),), last=True)
        if found:
            return found[0]
        first = self._rows("SELECT min(valid_from) FROM vintages")[0][0]
        if first is None:
            raise NotFoundError("the store holds no boundaries yet; run 'geo-ntm boundaries import' first")
        raise NotFoundError(
            f"no boundary vintage is in force on {day.isoformat()}; the earliest starts on "
            f"{rows.stored_date(first).isoformat()}"
        )

    def vintage_named(self, text: str) -> Vintage:
        found = self._vintages_where(
            "vintage_id = ? OR name = ? OR valid_from = ?", (rows.id_named(text), text, rows.iso_date_named(text))
        )
        if found:
            return found[0]
        known = "; ".join(f"{v.vintage_id}: {v.name}" for v in self.vintages())
        raise NotFoundError(f"no boundary vintage {text!r}; stored: {known or 'none'}")

    def units(
        self,
        vintage_id,
        level=None,
        *,
        province_code=None,
        district_code=None,
        codes=None,
        bbox: BBox | None = None,
        geometry=True,
        limit=None,
        offset=0,
        expr=None,
    ) -> gpd.GeoDataFrame:
        where, params = self._unit_conditions(vintage_id, level, province_code, district_code, codes, expr)
        exact = self._units_in_box(where, params, bbox)
        test_here = bbox is not None and not exact  # the exact test on the geometries read, then the page
        condition = " AND ".join(where)
        if limit is not None and not test_here:
            # The page's ids first, sorted without their columns (a sort of every row matched with
            # its geometry costs what the level weighs, whatever the page); then those rows.
            condition = (
                f"unit_id IN (SELECT unit_id FROM units WHERE {condition} ORDER BY {rows.UNIT_ORDER} LIMIT ? OFFSET ?)"
            )
            params.extend([int(limit), int(offset)])
        read_geometry = geometry or test_here
        geom = f", {self.dialect.select_geometry('geom')} AS geom" if read_geometry else ""
        result = self._geoframe(
            f"SELECT {_UNIT_RECORD_COLUMNS}{geom} FROM units WHERE {condition} ORDER BY {rows.UNIT_ORDER}",
            params,
            read_geometry,
        )
        if test_here and bbox is not None:  # test_here implies a box
            return _intersecting(result, bbox, geometry, limit, offset)
        return result

    @property
    def filter_properties(self) -> frozenset[str]:
        return filter_sql.held(self.dialect.filters)

    def _unit_conditions(
        self,
        vintage_id: int,
        level: AdminTier | None,
        province_code: str | None,
        district_code: str | None,
        codes: Sequence[str] | None = None,
        expr: Expr | None = None,
    ) -> tuple[list[str], list]:
        """The conditions (joined by AND) and parameters selecting units of a vintage: of a level,
        a place, among ``codes``, passing ``expr`` (a filter on the unit columns)."""
        where: list[str] = ["vintage_id = ?"]
        params: list = [vintage_id]
        for column, value in (
            ("level", level.value if level else None),
            ("province_code", province_code),
            ("district_code", district_code),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if codes is not None:
            where.append(self.dialect.any_of("code"))
            params.append(self.dialect.list_value(list(codes)))
        if expr is not None:
            condition, values = filter_sql.condition(expr, self.dialect.filters)
            where.append(condition)
            params.extend(values)
        return where, params

    def count_units(
        self, vintage_id, level=None, *, province_code=None, district_code=None, expr=None, bbox=None
    ) -> int:
        where, params = self._unit_conditions(vintage_id, level, province_code, district_code, expr=expr)
        if bbox is not None and not self._units_in_box(where, params, bbox):  # the exact test is on the geometries
            scope = dict(province_code=province_code, district_code=district_code, expr=expr)
            return len(self.units(vintage_id, level, bbox=bbox, geometry=False, **scope))
        return int(self._rows(f"SELECT count(*) FROM units WHERE {' AND '.join(where)}", params)[0][0])

    def unit_names(self, vintage_id, level, codes) -> dict[str, str]:
        wanted = sorted({c for c in codes if c is not None})
        if not wanted:
            return {}
        where, params = self._unit_conditions(vintage_id, level, None, None, wanted)
        return dict(self._rows(f"SELECT code, name FROM units WHERE {' AND '.join(where)}", params))

    def unit_records(self, vintage_id, level=None, *, province_code=None) -> list[Unit]:
        where, params = self._unit_conditions(vintage_id, level, province_code, None)
        found = self._rows(
            f"SELECT {_UNIT_RECORD_COLUMNS} FROM units WHERE {' AND '.join(where)} ORDER BY {rows.UNIT_ORDER}", params
        )
        return [unit_from_row(SimpleNamespace(**dict(zip(_UNIT_FIELDS, r, strict=True)))) for r in found]

    def _units_in_box(self, where: list[str], params: list, bbox: BBox | None) -> bool:
        """Add the conditions keeping units meeting ``bbox`` (if any); whether the test was exact."""
        if bbox is None:
            return False
        condition, values = self.dialect.envelope_filter("units", "unit_id", "geom", bbox)
        where.append(condition)
        params.extend(values)
        exact = self.dialect.intersects_filter("geom", bbox)
        if exact is not None:
            where.append(exact[0])
            params.extend(exact[1])
        return exact is not None

    # -- statuses ----------------------------------------------------------------------------
    def add_statuses(self, record, statuses, summaries, recognitions=(), indicators=(), flags=()) -> int:
        tables = (
            ("criterion_statuses", rows.STATUS_COLUMNS, rows.status_row, statuses),
            ("status_summaries", rows.SUMMARY_COLUMNS, rows.summary_row, summaries),
            ("recognitions", rows.RECOGNITION_COLUMNS, rows.recognition_row, recognitions),
            ("indicator_statuses", rows.INDICATOR_COLUMNS, rows.indicator_row, indicators),
            ("data_flags", rows.FLAG_COLUMNS, rows.flag_row, flags),
        )
        with self._write() as cur:
            import_id = self._insert_import(cur, record)
            for table, columns, row_of, items in tables:
                self.dialect.insert_many(cur, table, columns.split(", "), (row_of(x, import_id) for x in items))
        return import_id

    def _unit_year_rows(
        self, table: str, columns: str, unit_ids: Sequence[int] | None, year: int | None, up_to: bool = False
    ) -> list:
        """``columns`` of ``table`` for some units and one year (or, ``up_to``, the years up to it;
        either optional), in insertion order."""
        where: list[str] = ["1 = 1"]
        params: list[object] = []
        if year is not None:
            where.append("year <= ?" if up_to else "year = ?")
            params.append(int(year))
        if unit_ids is not None:
            ids = [int(u) for u in unit_ids]
            if not ids:
                return []
            where.append(self.dialect.any_of("unit_id"))
            params.append(self.dialect.list_value(ids))
        return self._rows(f"SELECT {columns} FROM {table} WHERE {' AND '.join(where)} ORDER BY id", params)

    def statuses(self, unit_ids=None, year=None):
        found = self._unit_year_rows("criterion_statuses", rows.STATUS_COLUMNS, unit_ids, year)
        return [rows.status_from_row(r) for r in found]

    def indicator_statuses(self, unit_ids=None, year=None):
        found = self._unit_year_rows("indicator_statuses", rows.INDICATOR_COLUMNS, unit_ids, year)
        return [rows.indicator_from_row(r) for r in found]

    def summaries(self, unit_ids=None, year=None):
        found = self._unit_year_rows("status_summaries", rows.SUMMARY_COLUMNS, unit_ids, year)
        return [rows.summary_from_row(r) for r in found]

    def recognitions(self, unit_ids=None, up_to_year=None):
        found = self._unit_year_rows("recognitions", rows.RECOGNITION_COLUMNS, unit_ids, up_to_year, up_to=True)
        return [rows.recognition_from_row(r) for r in found]

    def add_targets(self, record, targets) -> int:
        with self._write() as cur:
            import_id = self._insert_import(cur, record)
            for t in targets:
                self._run(
                    cur,
                    "DELETE FROM targets WHERE unit_id = ? AND level = ? AND year = ?",
                    (t.unit_id, t.level, t.year),
                )
            self.dialect.insert_many(
                cur, "targets", rows.TARGET_COLUMNS.split(", "), (rows.target_row(t, import_id) for t in targets)
            )
        return import_id

    def targets(self, unit_ids=None):
        found = self._unit_year_rows("targets", rows.TARGET_COLUMNS, unit_ids, None)
        return [rows.target_from_row(r) for r in found]

    def add_data_flags(self, flags) -> None:
        with self._write() as cur:
            self.dialect.insert_many(
                cur, "data_flags", rows.FLAG_COLUMNS.split(", "), (rows.flag_row(f, f.import_id) for f in flags)
            )

    def data_flags(self, year=None, province_code=None, district_code=None):
        where, params = ["1 = 1"], []
        for column, value in (("year", year), ("province_code", province_code), ("district_code", district_code)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        found = self._rows(
            f"SELECT flag_id, {rows.FLAG_COLUMNS} FROM data_flags WHERE {' AND '.join(where)} ORDER BY flag_id", params
        )
        return [rows.flag_from_row(r) for r in found]

    def add_indicator_set(self, indicator_set, actor=None) -> int:
        record = ImportRecord(
            "indicator_set",
            indicator_set.source_file,
            len(indicator_set.indicators),
            len(indicator_set.indicators),
            {"framework": indicator_set.framework_id},
            actor=actor,
        )
        with self._write() as cur:
            import_id = self._insert_import(cur, record)
            return self._insert_id(
                cur,
                f"INSERT INTO indicator_sets ({rows.INDICATOR_SET_COLUMNS}) VALUES (?, ?, ?, ?)",
                rows.indicator_set_row(indicator_set, import_id),
                "set_id",
            )

    def indicator_sets(self, framework_id=None):
        where, params = ("WHERE s.framework_id = ?", [framework_id]) if framework_id is not None else ("", [])
        found = self._rows(
            f"""SELECT s.set_id, s.framework_id, s.source_file, s.indicators, i.imported_at, i.actor
                FROM indicator_sets s JOIN imports i ON i.import_id = s.import_id {where} ORDER BY s.set_id""",
            params,
        )
        return [rows.indicator_set_from_row(r) for r in found]

    def data_extent(self) -> list[DataExtent]:
        found = self._rows(
            """SELECT u.vintage_id, u.province_code, s.year, count(*), min(s.import_id)
               FROM (SELECT unit_id, year, import_id FROM criterion_statuses
                     UNION ALL SELECT unit_id, year, import_id FROM status_summaries
                     UNION ALL SELECT unit_id, year, import_id FROM recognitions
                     UNION ALL SELECT unit_id, year, import_id FROM indicator_statuses) s
               JOIN units u ON u.unit_id = s.unit_id
               GROUP BY u.vintage_id, u.province_code, s.year ORDER BY u.vintage_id, u.province_code, s.year"""
        )
        return [DataExtent(*r) for r in found]

    def add_groups(self, record, groups, classifications=()) -> int:
        tables = (
            ("commune_groups", rows.GROUP_COLUMNS, rows.group_row, groups),
            ("unit_classifications", rows.CLASSIFICATION_COLUMNS, rows.classification_row, classifications),
        )
        with self._write() as cur:
            import_id = self._insert_import(cur, record)
            for table, columns, row_of, items in tables:
                self.dialect.insert_many(cur, table, columns.split(", "), (row_of(x, import_id) for x in items))
        return import_id

    def _in_force(self, table: str, columns: str, date_column: str, unit_ids: Sequence[int], on: dt.date) -> list:
        """``columns`` of the rows of ``table`` for ``unit_ids`` dated on or before ``on``, oldest
        first (by date, then as stored): the last row of a unit (and kind) is the one in force."""
        ids = [int(u) for u in unit_ids]
        if not ids:
            return []
        return self._rows(
            f"SELECT {columns} FROM {table} WHERE {self.dialect.any_of('unit_id')} AND {date_column} <= ?"
            f" ORDER BY {date_column}, id",
            (self.dialect.list_value(ids), on.isoformat()),
        )

    def unit_groups(self, unit_ids, on) -> dict[int, CommuneGroup]:
        found = self._in_force("commune_groups", rows.GROUP_COLUMNS, "decision_date", unit_ids, on)
        return {g.unit_id: g for g in map(rows.group_from_row, found)}

    def unit_classifications(self, unit_ids, on) -> dict[int, dict[ClassificationKind, UnitClassification]]:
        found = self._in_force("unit_classifications", rows.CLASSIFICATION_COLUMNS, "act_date", unit_ids, on)
        result: dict[int, dict[ClassificationKind, UnitClassification]] = {}
        for c in map(rows.classification_from_row, found):
            result.setdefault(c.unit_id, {})[c.kind] = c
        return result

    def imports(self) -> list[ImportRecord]:
        found = self._rows(f"SELECT import_id, {rows.IMPORT_COLUMNS} FROM imports ORDER BY import_id")
        return [rows.import_from_row(r) for r in found]

    # -- infrastructure layers ---------------------------------------------------------------
    def add_layer(self, name, kind, valid_date, source, crs, features, raster, summary, record) -> Layer:
        count = len(features) if features is not None else 0
        with self._write() as cur:
            if self._exists(cur, "SELECT 1 FROM layers WHERE name = ?", (name,)):
                raise rows.duplicate_layer(name)
            import_id = self._insert_import(cur, record)
            layer_id = self._insert_id(
                cur,
                "INSERT INTO layers (name, kind, valid_date, source, crs, feature_count, summary, import_id,"
                " raster) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    name,
                    kind.value,
                    valid_date.isoformat(),
                    source,
                    crs,
                    count,
                    rows.to_json(summary),
                    import_id,
                    raster,
                ),
                "layer_id",
            )
            if count:
                values = [(layer_id, *attrs) for attrs in rows.attribute_rows(features, rows.FEATURE_ATTRIBUTES)]
                self._insert_features(
                    cur, "layer_features", ["layer_id", *rows.FEATURE_ATTRIBUTES], values, features.geometry
                )
        return self.layer_named(str(layer_id))

    def layers(self) -> list[Layer]:
        return [rows.layer_from_row(r) for r in self._rows(f"{_LAYERS} ORDER BY layer_id")]

    def layer_named(self, text: str) -> Layer:
        found = self._rows(
            f"{_LAYERS} WHERE layer_id = ? OR name = ? ORDER BY layer_id LIMIT 1", (rows.id_named(text), text)
        )
        if found:
            return rows.layer_from_row(found[0])
        known = "; ".join(f"{x.layer_id}: {x.name} ({x.kind.value})" for x in self.layers())
        raise NotFoundError(f"no infrastructure layer {text!r}; stored: {known or 'none'}")

    def latest_layer(self, kind: LayerKind, day: dt.date | None = None) -> Layer:
        condition, params = "kind = ?", [kind.value]
        if day is not None:
            condition += " AND valid_date <= ?"
            params.append(day.isoformat())
        found = self._rows(f"{_LAYERS} WHERE {condition} ORDER BY valid_date DESC, layer_id DESC LIMIT 1", params)
        if not found:
            when = f" dated on or before {day.isoformat()}" if day else ""
            raise NotFoundError(f"no {kind.value} layer{when}; run 'geo-ntm layers import' first")
        return rows.layer_from_row(found[0])

    def layer_features(self, layer_id, bbox=None, attributes=rows.FEATURE_ATTRIBUTES) -> gpd.GeoDataFrame:
        where, params = "layer_id = ?", [layer_id]
        if bbox is not None:
            condition, values = self.dialect.envelope_filter("layer_features", "feature_id", "geom", bbox)
            where += f" AND {condition}"
            params += values
        return self._geoframe(self._features_query(attributes, where), params)

    def layer_feature_ids(self, layer_id) -> range:
        # the first and the last id at the two ends of the layer's entries in its index: (layer_id)
        # in the GeoPackage, whose entries end with the rowid, (layer_id, feature_id) in PostGIS
        query = "SELECT feature_id FROM layer_features WHERE layer_id = ? ORDER BY feature_id {} LIMIT 1"
        low, high = (self._rows(query.format(order), (layer_id,)) for order in ("ASC", "DESC"))
        return range(low[0][0], high[0][0] + 1) if low else range(0)

    @staticmethod
    def _batch_filter(layer_id: int, ids: range | None) -> tuple[str, list[int]]:
        """The condition of ``layer_feature_batches`` and its parameters: the layer, and the ids
        in ``ids``."""
        if ids is None:
            return "layer_id = ?", [layer_id]
        if ids.step != 1:
            raise GeoNtmError(f"feature ids are read by ranges of step 1, not {ids}")
        return "layer_id = ? AND feature_id >= ? AND feature_id < ?", [layer_id, ids.start, ids.stop]

    def _features_query(self, attributes: tuple[str, ...], where: str) -> str:
        columns = "".join(f"{c}, " for c in rows.checked_attributes(attributes))
        return (
            f"SELECT feature_id, {columns}{self.dialect.select_geometry('geom')} AS geom"
            f" FROM layer_features WHERE {where} ORDER BY feature_id"
        )

    def layer_raster(self, layer_id) -> bytes:
        found = self._rows("SELECT raster FROM layers WHERE layer_id = ?", (layer_id,))
        if not found or found[0][0] is None:
            raise GeoNtmError(f"layer {layer_id} is not a raster layer")
        return bytes(found[0][0])

    def partition(self, vintage_id, bbox=None) -> gpd.GeoDataFrame | None:
        if not self._exists(self._conn, "SELECT 1 FROM partitions WHERE vintage_id = ?", (vintage_id,)):
            return None
        where, params = "p.vintage_id = ?", [vintage_id]
        if bbox is not None:
            condition, values = self.dialect.envelope_filter("unit_partition", "p.id", "p.geom", bbox)
            where += f" AND {condition}"
            params += values
        return self._geoframe(
            f"SELECT p.unit_id, u.code, {self.dialect.select_geometry('p.geom')} AS geom"
            f" FROM unit_partition p JOIN units u ON u.unit_id = p.unit_id WHERE {where}"
            " ORDER BY u.code",
            params,
        )

    def add_partition(self, vintage_id, cells, report) -> None:
        with self._write() as cur:
            if self._exists(cur, "SELECT 1 FROM partitions WHERE vintage_id = ?", (vintage_id,)):
                return
            self._run(
                cur,
                "INSERT INTO partitions (vintage_id, built_at, report) VALUES (?, ?, ?)",
                (vintage_id, rows.now(), rows.to_json(report)),
            )
            values = [(int(u), vintage_id) for u in cells["unit_id"]]
            self._insert_features(cur, "unit_partition", ["unit_id", "vintage_id"], values, cells.geometry)

    def generalisation(self, vintage_id) -> dict | None:
        found = self._rows("SELECT report FROM generalisations WHERE vintage_id = ?", (vintage_id,))
        return rows.from_json(found[0][0]) if found else None

    def generalised(self, vintage_id, tier, band, bbox=None) -> gpd.GeoDataFrame | None:
        if self.generalisation(vintage_id) is None:
            return None
        return self._generalised_frame(vintage_id, tier, band, bbox, geometry=True)

    def _generalised_frame(
        self, vintage_id: int, tier: AdminTier, band: int, bbox: BBox | None, geometry: bool
    ) -> gpd.GeoDataFrame:
        where, params = "g.vintage_id = ? AND g.tier = ? AND g.band = ?", [vintage_id, tier.value, int(band)]
        if bbox is not None:
            condition, values = self.dialect.envelope_filter("generalised_units", "g.id", "g.geom", bbox)
            where += f" AND {condition}"
            params += values
        geom = f", {self.dialect.select_geometry('g.geom')} AS geom" if geometry else ""
        return self._geoframe(
            f"SELECT g.unit_id, u.code{geom} FROM generalised_units g JOIN units u ON u.unit_id = g.unit_id"
            f" WHERE {where} ORDER BY u.code",
            params,
            geometry,
        )

    def add_generalised(self, vintage_id, shapes, report) -> None:
        with self._write() as cur:
            if self._exists(cur, "SELECT 1 FROM generalisations WHERE vintage_id = ?", (vintage_id,)):
                return
            self._run(
                cur,
                "INSERT INTO generalisations (vintage_id, built_at, report) VALUES (?, ?, ?)",
                (vintage_id, rows.now(), rows.to_json(report)),
            )
            values = [
                (int(u), vintage_id, str(t), int(b))
                for u, t, b in zip(shapes["unit_id"], shapes["tier"], shapes["band"], strict=True)
            ]
            self._insert_features(
                cur, "generalised_units", ["unit_id", "vintage_id", "tier", "band"], values, shapes.geometry
            )

    def vector_tile(self, vintage_id, tier, band, tile, layer, properties) -> bytes:
        query = self.dialect.vector_tile_query()
        box = tile.lonlat_box
        if query is None:
            shapes = self._generalised_frame(vintage_id, tier, band, box, geometry=True)
            if shapes.empty:
                return b""
            codes = shapes["code"].tolist()
            return mvt.encode(layer, codes, shapes.geometry.to_numpy(), properties(codes), tile)
        codes = self._generalised_frame(vintage_id, tier, band, box, geometry=False)["code"].tolist()
        if not codes:
            return b""
        found = {code: {k: v for k, v in p.items() if v is not None} for code, p in properties(codes).items()}
        params = [layer, tile.z, tile.x, tile.y, rows.to_json(found), vintage_id, tier.value, int(band), *box]
        return bytes(self._rows(query, params)[0][0] or b"")

    def road_km(self, layer_id, vintage_id) -> pd.DataFrame | None:
        key = (layer_id, vintage_id)
        if not self._exists(self._conn, "SELECT 1 FROM road_km_runs WHERE layer_id = ? AND vintage_id = ?", key):
            return None
        return self._frame(
            f"SELECT {', '.join(_ROAD_KM_COLUMNS)} FROM road_km WHERE layer_id = ? AND vintage_id = ?"
            " ORDER BY unit_id, road_class, surface",
            key,
            _ROAD_KM_COLUMNS,
        )

    def add_road_km(self, layer_id, vintage_id, table) -> None:
        key = (layer_id, vintage_id)
        with self._write() as cur:
            if self._exists(cur, "SELECT 1 FROM road_km_runs WHERE layer_id = ? AND vintage_id = ?", key):
                return
            self._run(
                cur, "INSERT INTO road_km_runs (layer_id, vintage_id, computed_at) VALUES (?, ?, ?)", (*key, rows.now())
            )
            self.dialect.insert_many(
                cur,
                "road_km",
                ["layer_id", "vintage_id", *_ROAD_KM_COLUMNS],
                ((*key, *r) for r in rows.road_km_rows(table)),
            )

    def water_reach(self, sources, vintage_id, distance) -> pd.DataFrame | None:
        key = (sources, vintage_id, float(distance))
        if not self._exists(self._conn, f"SELECT 1 FROM water_reach_runs WHERE {_WATER_REACH_KEY}", key):
            return None
        return self._frame(
            f"SELECT {', '.join(_WATER_REACH_COLUMNS)} FROM water_reach WHERE {_WATER_REACH_KEY} ORDER BY unit_id",
            key,
            _WATER_REACH_COLUMNS,
        )

    def add_water_reach(self, sources, vintage_id, distance, table) -> None:
        key = (sources, vintage_id, float(distance))
        with self._write() as cur:
            if self._exists(cur, f"SELECT 1 FROM water_reach_runs WHERE {_WATER_REACH_KEY}", key):
                return
            self._run(
                cur,
                "INSERT INTO water_reach_runs (sources, vintage_id, distance_m, computed_at) VALUES (?, ?, ?, ?)",
                (*key, rows.now()),
            )
            self.dialect.insert_many(
                cur,
                "water_reach",
                ["sources", "vintage_id", "distance_m", *_WATER_REACH_COLUMNS],
                ((*key, *r) for r in rows.water_reach_rows(table)),
            )

    # -- stored answers of long computations -------------------------------------------------
    def content_version(self) -> int:
        return int(self._rows("SELECT coalesce(max(import_id), 0) FROM imports")[0][0])

    def computed_result(self, question, content_version) -> tuple[pd.DataFrame, dict] | None:
        found = self._rows(
            "SELECT totals, communes FROM computed_results WHERE question = ? AND content_version = ?",
            (question, content_version),
        )
        return None if not found else (rows.frame_from_json(found[0][1]), rows.from_json(found[0][0]))

    def add_computed_result(self, question, content_version, topic, table, totals) -> None:
        with self._write() as cur:
            self._run(cur, "DELETE FROM computed_results WHERE content_version < ?", (content_version,))
            if self._exists(
                cur,
                "SELECT 1 FROM computed_results WHERE question = ? AND content_version = ?",
                (question, content_version),
            ):
                return
            self._run(
                cur,
                "INSERT INTO computed_results (question, content_version, topic, computed_at, totals, communes)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (question, content_version, topic, rows.now(), rows.answer_json(totals), rows.frame_to_json(table)),
            )


def _intersecting(
    units: gpd.GeoDataFrame, bbox: BBox, geometry: bool, limit: int | None, offset: int
) -> gpd.GeoDataFrame:
    """The page of ``units`` whose geometry intersects ``bbox`` (a degenerate box stays a valid
    point or line), without geometries unless ``geometry``: the exact test of a backend that only
    preselects by envelope."""
    box = shapely.envelope(shapely.linestrings([bbox[:2], bbox[2:]]))
    found = units[units.intersects(box)]
    found = found.iloc[offset : None if limit is None else offset + limit].reset_index(drop=True)
    if not geometry:
        found["geometry"] = gpd.GeoSeries([None] * len(found), crs="EPSG:4326")
    return found
