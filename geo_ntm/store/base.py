"""The store interface. Everything above the store (imports, analytics, maps, API) talks to
this interface only and never knows which backend holds the data."""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from geo_ntm.domain import (
    AdminTier,
    ClassificationKind,
    CommuneGroup,
    CriterionStatus,
    DataFlag,
    IndicatorSet,
    IndicatorStatus,
    Layer,
    LayerKind,
    LineageEvent,
    Recognition,
    StatusSummary,
    Target,
    Unit,
    UnitClassification,
    UnitFlag,
    UnitType,
    Vintage,
)
from geo_ntm.filters import Expr
from geo_ntm.store.mvt import Tile

#: Attribute columns of a vector layer's features, besides the geometry.
FEATURE_ATTRIBUTES = ("road_class", "surface", "kind", "name", "properties")


@dataclass(frozen=True)
class ImportRecord:
    """What one import did, kept in the store for the audit trail."""

    kind: str  # "boundaries", "status", "lineage", "layer" or "groups"
    source_file: str
    rows_read: int
    rows_stored: int
    report: dict = field(default_factory=dict)
    import_id: int | None = None
    imported_at: str | None = None
    actor: str | None = None  # who: the token name of an HTTP write; stored as "cli" when None


@dataclass(frozen=True)
class DataExtent:
    """How many status rows a province has for a year, and the first import that brought any."""

    vintage_id: int
    province_code: str
    year: int
    rows: int
    first_import_id: int


@dataclass(frozen=True)
class DataVersion:
    """Where the stored data stands: a number raised by every write transaction (any import, group,
    target, indicator set, layer, stored computation ...) and the time of that write (UTC)."""

    number: int
    changed_at: dt.datetime


BBox = tuple[float, float, float, float]  # lon_min, lat_min, lon_max, lat_max (EPSG:4326)


class Store(ABC):
    """One interface, several backends: the embedded GeoPackage file and PostGIS."""

    # -- boundary vintages -------------------------------------------------------------------
    @abstractmethod
    def add_vintage(
        self, name: str, valid_from: dt.date, source: str, units: gpd.GeoDataFrame, record: ImportRecord
    ) -> Vintage:
        """Store a vintage and all its units (columns of ``UNIT_COLUMNS`` but the ids) atomically."""

    @abstractmethod
    def add_lineage(
        self,
        record: ImportRecord,
        events: Sequence[LineageEvent],
        derived: Sequence[tuple[str, dt.date, str, gpd.GeoDataFrame]],
    ) -> list[Vintage]:
        """Store lineage events and the vintages derived from them (name, valid_from, source,
        units) in one transaction; returns the new vintages."""

    @abstractmethod
    def lineage_events(self, code: str | None = None) -> list[LineageEvent]:
        """Stored lineage events in date order, optionally only those naming ``code``."""

    @abstractmethod
    def vintages(self) -> list[Vintage]:
        """All vintages, oldest first, each valid until the next one starts."""

    @abstractmethod
    def vintage_on(self, day: dt.date) -> Vintage:
        """The vintage in force on ``day``: the latest starting on or before it. ``NotFoundError``
        when the store holds none, or all start later (the message names the earliest start)."""

    @abstractmethod
    def vintage_named(self, text: str) -> Vintage:
        """A vintage by its id, its name or its start date (ISO), the earliest starting if several
        match; ``NotFoundError`` listing the stored vintages otherwise."""

    @abstractmethod
    def units(
        self,
        vintage_id: int,
        level: AdminTier | None = None,
        *,
        province_code: str | None = None,
        district_code: str | None = None,
        codes: Sequence[str] | None = None,
        bbox: BBox | None = None,
        geometry: bool = True,
        limit: int | None = None,
        offset: int = 0,
        expr: Expr | None = None,
    ) -> gpd.GeoDataFrame:
        """Units of one vintage as a GeoDataFrame (EPSG:4326) ordered by level and code; ``bbox``
        keeps those whose geometry intersects it, ``expr`` those a property filter on the unit
        columns (``geo_ntm.filters``, properties in ``filter_properties``) is true for, and
        ``limit``/``offset`` page the result."""

    @property
    @abstractmethod
    def filter_properties(self) -> frozenset[str]:
        """The properties of a filter term (``geo_ntm.filters``) the store runs itself in ``units``
        and ``count_units``: the unit columns, and ``geometry`` where it has spatial functions."""

    @abstractmethod
    def count_units(
        self,
        vintage_id: int,
        level: AdminTier | None = None,
        *,
        province_code: str | None = None,
        district_code: str | None = None,
        expr: Expr | None = None,
        bbox: BBox | None = None,
    ) -> int:
        """How many units ``units`` would give with these filters, counted by the store (a backend
        that tests ``bbox`` only by envelope in SQL reads the geometries in the box to test them)."""

    @abstractmethod
    def unit_names(self, vintage_id: int, level: AdminTier, codes: Iterable[str | None]) -> dict[str, str]:
        """Code -> name of the units of ``level`` among ``codes`` (None ignored): the names of the
        parents of a page of units, read for that page only."""

    @abstractmethod
    def unit_records(
        self, vintage_id: int, level: AdminTier | None = None, *, province_code: str | None = None
    ) -> list[Unit]:
        """Units of a vintage (of one province, when ``province_code`` is given) as ``Unit``
        records in the order of ``units``, without geometry."""

    # -- statuses ----------------------------------------------------------------------------
    @abstractmethod
    def add_statuses(
        self,
        record: ImportRecord,
        statuses: Sequence[CriterionStatus],
        summaries: Sequence[StatusSummary],
        recognitions: Sequence[Recognition] = (),
        indicators: Sequence[IndicatorStatus] = (),
        flags: Sequence[DataFlag] = (),
    ) -> int:
        """Store one status import (statuses, summaries, recognitions, indicator statuses and the
        data flags it found) atomically; returns its import id."""

    @abstractmethod
    def statuses(self, unit_ids: Sequence[int] | None = None, year: int | None = None) -> list[CriterionStatus]:
        """Per-criterion statuses, optionally for some units and one year."""

    @abstractmethod
    def indicator_statuses(
        self, unit_ids: Sequence[int] | None = None, year: int | None = None
    ) -> list[IndicatorStatus]:
        """Reported indicator statuses and values, optionally for some units and one year."""

    @abstractmethod
    def summaries(self, unit_ids: Sequence[int] | None = None, year: int | None = None) -> list[StatusSummary]:
        """Reported counts and recognitions, optionally for some units and one year."""

    @abstractmethod
    def recognitions(self, unit_ids: Sequence[int] | None = None, up_to_year: int | None = None) -> list[Recognition]:
        """Recognition events, optionally for some units and for the years up to ``up_to_year``
        (a recognition holds in later years), in the order they were stored."""

    @abstractmethod
    def add_targets(self, record: ImportRecord, targets: Sequence[Target]) -> int:
        """Store targets with their import record in one transaction; a target of the same unit,
        level and year as a stored one replaces it (an import repeated changes nothing). Returns the
        import id."""

    @abstractmethod
    def targets(self, unit_ids: Sequence[int] | None = None) -> list[Target]:
        """The stored targets, optionally of some units, in the order they were stored."""

    @abstractmethod
    def add_data_flags(self, flags: Sequence[DataFlag]) -> None:
        """Store data flags found by a check of the stored data (no import of their own)."""

    @abstractmethod
    def data_flags(
        self, year: int | None = None, province_code: str | None = None, district_code: str | None = None
    ) -> list[DataFlag]:
        """The stored data flags, optionally of one year, province and district, in the order found."""

    @abstractmethod
    def add_indicator_set(self, indicator_set: IndicatorSet, actor: str | None = None) -> int:
        """Store a validated indicator set with its source file and an import record naming
        ``actor``, atomically; returns its set id."""

    @abstractmethod
    def indicator_sets(self, framework_id: str | None = None) -> list[IndicatorSet]:
        """The stored indicator sets (of one framework), in the order they were stored."""

    @abstractmethod
    def data_extent(self) -> list[DataExtent]:
        """Per vintage, province and year: the number of status rows (statuses, summaries,
        recognitions and indicator statuses)."""

    # -- commune groups and classifications -----------------------------------------------------
    @abstractmethod
    def add_groups(
        self,
        record: ImportRecord,
        groups: Sequence[CommuneGroup],
        classifications: Sequence[UnitClassification] = (),
    ) -> int:
        """Store one groups import (commune groups and unit classifications) atomically; returns
        its import id."""

    @abstractmethod
    def unit_groups(self, unit_ids: Sequence[int], on: dt.date) -> dict[int, CommuneGroup]:
        """The NTM group in force on ``on`` for each of ``unit_ids`` that has one: the latest
        decision dated on or before it (the last stored among decisions of one day)."""

    @abstractmethod
    def unit_classifications(
        self, unit_ids: Sequence[int], on: dt.date
    ) -> dict[int, dict[ClassificationKind, UnitClassification]]:
        """Per unit, the classification of each kind in force on ``on`` (the latest act dated on
        or before it), for the units that have any."""

    @abstractmethod
    def imports(self) -> list[ImportRecord]:
        """The audit trail of imports, oldest first."""

    # -- infrastructure layers ---------------------------------------------------------------
    @abstractmethod
    def add_layer(
        self,
        name: str,
        kind: LayerKind,
        valid_date: dt.date,
        source: str,
        crs: str,
        features: gpd.GeoDataFrame | None,
        raster: bytes | None,
        summary: dict,
        record: ImportRecord,
    ) -> Layer:
        """Store one layer atomically: vector ``features`` (EPSG:4326; columns ``road_class``,
        ``surface``, ``kind``, ``name``, ``properties`` (JSON text), ``geometry``) or a ``raster``
        (GeoTIFF bytes, kept in its own CRS). A layer name is stored once."""

    @abstractmethod
    def layers(self) -> list[Layer]:
        """Stored layers in import order."""

    @abstractmethod
    def layer_named(self, text: str) -> Layer:
        """A layer by its id or name (the first imported if both match); ``NotFoundError`` listing
        the stored layers otherwise."""

    @abstractmethod
    def latest_layer(self, kind: LayerKind, day: dt.date | None = None) -> Layer:
        """The layer of ``kind`` describing the latest day on or before ``day`` (default: any), the
        last imported among those of that day; ``NotFoundError`` if there is none."""

    @abstractmethod
    def layer_features(
        self, layer_id: int, bbox: BBox | None = None, attributes: tuple[str, ...] = FEATURE_ATTRIBUTES
    ) -> gpd.GeoDataFrame:
        """Features of a vector layer (EPSG:4326) with ``feature_id``, the ``attributes`` asked (of
        ``FEATURE_ATTRIBUTES``; fewer read faster) and the geometry, optionally only those whose
        envelope meets ``bbox``."""

    @abstractmethod
    def layer_feature_batches(
        self,
        layer_id: int,
        attributes: tuple[str, ...] = FEATURE_ATTRIBUTES,
        size: int = 100_000,
        ids: range | None = None,
    ) -> Iterator[gpd.GeoDataFrame]:
        """All features of a vector layer as ``layer_features`` gives them (same columns, in
        ``feature_id`` order), or those whose ``feature_id`` is in ``ids`` (a step-1 range), in
        frames of at most ``size`` rows read as they are consumed: the memory a whole-layer
        computation needs does not grow with the layer."""

    @abstractmethod
    def layer_feature_ids(self, layer_id: int) -> range:
        """The range from a vector layer's lowest ``feature_id`` to its highest (empty for a layer
        without features): what ``layer_feature_batches`` splits a layer's features by."""

    @abstractmethod
    def layer_raster(self, layer_id: int) -> bytes:
        """The GeoTIFF bytes of a raster layer."""

    @abstractmethod
    def partition(self, vintage_id: int, bbox: BBox | None = None) -> gpd.GeoDataFrame | None:
        """The clean partition of a vintage's communes (``unit_id``, ``code``, ``geometry``; cells
        meeting ``bbox`` by envelope), or None while it has not been built."""

    @abstractmethod
    def add_partition(self, vintage_id: int, cells: gpd.GeoDataFrame, report: dict) -> None:
        """Store a vintage's partition cells (``unit_id``, ``geometry``); a no-op if already stored."""

    @abstractmethod
    def generalisation(self, vintage_id: int) -> dict | None:
        """How a vintage was generalised for vector tiles (the report stored with its shapes), or
        None while it has not been."""

    @abstractmethod
    def generalised(
        self, vintage_id: int, tier: AdminTier, band: int, bbox: BBox | None = None
    ) -> gpd.GeoDataFrame | None:
        """The generalised shapes of a vintage's units of ``tier`` for zoom ``band`` (``unit_id``,
        ``code``, ``geometry``; shapes meeting ``bbox`` by envelope), or None while the vintage has
        not been generalised."""

    @abstractmethod
    def add_generalised(self, vintage_id: int, shapes: gpd.GeoDataFrame, report: dict) -> None:
        """Store a vintage's generalised shapes (``unit_id``, ``tier``, ``band``, ``geometry``) and
        how they were made; a no-op if already stored."""

    @abstractmethod
    def vector_tile(
        self,
        vintage_id: int,
        tier: AdminTier,
        band: int,
        tile: Tile,
        layer: str,
        properties: Callable[[list[str]], Mapping[str, Mapping]],
    ) -> bytes:
        """The Mapbox Vector Tile (one layer named ``layer``) of the generalised shapes of ``tier``
        and ``band`` meeting ``tile``, each with the properties ``properties`` gives for the codes
        of the units in the tile (a unit it gives none for is left out); b'' when none is."""

    @abstractmethod
    def road_km(self, layer_id: int, vintage_id: int) -> pd.DataFrame | None:
        """The stored km of a road layer per commune of a vintage (``unit_id``, ``road_class``,
        ``surface``, ``km``; rows with km only), or None while they have not been stored."""

    @abstractmethod
    def add_road_km(self, layer_id: int, vintage_id: int, table: pd.DataFrame) -> None:
        """Store ``road_km``'s table of a layer and vintage; a no-op if already stored."""

    @abstractmethod
    def water_reach(self, sources: str, vintage_id: int, distance: float) -> pd.DataFrame | None:
        """The stored people per commune of a vintage and those within ``distance`` metres of the
        water ``sources`` (``unit_id``, ``population``, ``population_within``), or None while they
        have not been stored."""

    @abstractmethod
    def add_water_reach(self, sources: str, vintage_id: int, distance: float, table: pd.DataFrame) -> None:
        """Store ``water_reach``'s table of sources, vintage and distance; a no-op if already stored."""

    @abstractmethod
    def content_version(self) -> int:
        """The version of the stored data answers are computed on: the latest import's id (0 for an
        empty store). Every import raises it, so an answer stored under an older one is stale."""

    @abstractmethod
    def data_version(self) -> DataVersion:
        """The data's version, one cheap read: it changes with every write to the store, whatever
        it writes, so HTTP validators (ETags) built on it go stale with the data."""

    @abstractmethod
    def computed_result(self, question: str, content_version: int) -> tuple[pd.DataFrame, dict] | None:
        """The per-commune table (without geometry) and the totals stored for ``question`` (a
        canonical text naming everything the answer depends on) on ``content_version``, or None."""

    @abstractmethod
    def add_computed_result(
        self, question: str, content_version: int, topic: str, table: pd.DataFrame, totals: dict
    ) -> None:
        """Store the answer to ``question`` on ``content_version`` (a no-op if already stored) and
        drop the answers of older content versions, stale since."""

    @property
    @abstractmethod
    def schema_version(self) -> int:
        """The version of the store's schema (created or upgraded when the store is opened)."""

    @abstractmethod
    def close(self) -> None:
        """Release connections."""

    # -- derived conveniences, the same for every backend -------------------------------------
    def vintage_for_year(self, year: int) -> Vintage:
        """The vintage in force on 31 December of ``year``."""
        return self.vintage_on(dt.date(year, 12, 31))

    def resolve_vintage(
        self, *, vintage: str | None = None, day: dt.date | None = None, year: int | None = None
    ) -> Vintage:
        """The boundaries a query asks for: a named vintage, else the one in force on ``day``,
        else on 31 December of ``year``, else today."""
        if vintage:
            return self.vintage_named(vintage)
        if day is not None:
            return self.vintage_on(day)
        if year is not None:
            return self.vintage_for_year(year)
        return self.vintage_on(dt.date.today())

    def snapshot(self) -> AbstractContextManager[Store]:
        """A block whose reads all see one state of the data, the one before or after any write
        of another connection, never a mix (one read-only transaction on SQL backends; the API
        opens one per request). A write inside the block is allowed: it ends the snapshot, and the
        reads after it see a newer one, with the write. This default gives no snapshot: a backend
        overrides it (``sql.SqlStore`` does)."""
        return nullcontext(self)

    def renew_snapshot(self) -> None:
        """Inside ``snapshot()``: let the reads that follow see the data committed since it began
        (the answer a background job has just stored). Without a snapshot (this default), every
        read already sees the latest data."""
        return None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _opt(value):
    return None if value is None or value != value else value  # NaN -> None


def unit_from_row(row) -> Unit:
    """Build a ``Unit`` from one row of a unit frame (as produced by ``itertuples``)."""
    return Unit(
        unit_id=int(row.unit_id),
        vintage_id=int(row.vintage_id),
        level=AdminTier(row.level),
        code=row.code,
        name=_opt(row.name),
        name_short=_opt(row.name_short),
        unit_type=UnitType(row.unit_type) if _opt(row.unit_type) else None,
        parent_code=_opt(row.parent_code),
        province_code=_opt(row.province_code),
        district_code=_opt(row.district_code),
        flag=UnitFlag(row.flag) if _opt(row.flag) else None,
    )
