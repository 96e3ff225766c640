"""The interface of a status layout, and what it is given: the header and one row's cells."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

from geo_ntm.domain import Framework
from geo_ntm.status_import.cells import Counts, CriterionValue, IndicatorValue, Issue, Recognised, RowCheck, SheetRow


@dataclass(frozen=True)
class Header:
    """A header row: which column holds which canonical field and which criterion."""

    row_index: int  # index among the rows read, not the row number a person sees
    fields: dict[str, int]  # canonical field -> column index
    criteria: dict[int, int]  # criterion number -> column index (TC1..TC19 columns)
    labels: list[str | None]  # every column's header as written
    ignored: list[str]  # headers not recognised (or repeated)
    #: indicator id -> (column index, criterion, unit in the header or None): TC17.1, Chỉ tiêu 17.1 (%)
    indicators: dict[str, tuple[int, int, str | None]] = field(default_factory=dict)

    def column_label(self, col: int) -> str:
        """The header of a field or criterion column as written (never empty: a column without a
        header is neither)."""
        label = self.labels[col]
        if label is None:
            raise ValueError(f"column {col} has no header, so it is no field or criterion column")
        return label


@dataclass(frozen=True)
class Cells:
    """One data row's cells (as text), looked up through the header."""

    header: Header
    texts: list[str | None]

    def at(self, col: int) -> str | None:
        """The cell in column ``col``; None when the row is shorter."""
        return self.texts[col] if col < len(self.texts) else None

    def get(self, name: str) -> str | None:
        """The cell of the canonical field ``name``; None when the header has no such column."""
        col = self.header.fields.get(name)
        return self.at(col) if col is not None else None

    def label(self, name: str) -> str:
        """The header of field ``name`` as written (problems name the column as the person sees it)."""
        col = self.header.fields.get(name)
        return self.header.column_label(col) if col is not None else name

    def parse(self, check: RowCheck, name: str, parser: Callable, *args):
        """The field ``name`` parsed by ``parser(text, *args)``, or None after ``check`` recorded why not."""
        return check.parse(self.label(name), self.get(name), parser, *args)


@dataclass(frozen=True)
class Reported:
    """What a row reports: criterion by criterion, criteria met out of a total, a recognition
    decision (with counts or alone); ``year`` when the layout takes it from the row's cells (a
    recognition without a year column is for the year of its decision)."""

    values: tuple[CriterionValue, ...] = ()
    counts: Counts | None = None
    recognition: Recognised | None = None
    year: int | None = None
    indicators: tuple[IndicatorValue, ...] = ()


def needed(framework: Framework | None) -> Framework:
    """The framework of a layout that reports criteria (the reader gives one to every such layout)."""
    if framework is None:
        raise ValueError("a layout reporting criteria was given no framework")
    return framework


class StatusLayout(ABC):
    """One way of laying out criterion statuses in a table.

    The columns every layout shares (province, district, commune, year, framework, level, source)
    are read by ``reading``; a layout names the columns of its own (``fields``), says whether a
    header is of its kind (``detect``), reads what a row reports (``read``) and may warn about a
    valid row (``validate``). The layouts are tried in the order of ``layouts.LAYOUTS``."""

    #: The name reports and logs show ("long", "wide", "counts").
    name: ClassVar[str]
    #: The columns that make a header of this layout, for the message when no header is found.
    columns_hint: ClassVar[str]
    #: The columns only this layout reads: canonical field -> the folded header names that stand for it.
    fields: ClassVar[dict[str, tuple[str, ...]]] = {}
    #: Shared columns this layout may do without (every layout needs year, framework and level
    #: unless it names them here).
    optional: ClassVar[frozenset[str]] = frozenset()

    @abstractmethod
    def detect(self, header: Header) -> bool:
        """Whether ``header`` (which names a commune column) is of this layout."""

    @abstractmethod
    def read(self, cells: Cells, framework: Framework | None, check: RowCheck) -> Reported:
        """What one data row reports under ``framework`` (None only when the layout's ``optional``
        has "framework" and the row names none); every bad cell goes to ``check``."""

    def validate(self, row: SheetRow, cells: Cells) -> list[Issue]:
        """Warnings about a valid row (it is stored all the same); none unless a layout has some."""
        return []
