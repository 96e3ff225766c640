"""Exports that a spreadsheet opens safely: no text cell becomes a formula.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by Excel,
LibreOffice and Google Sheets as a formula (``=HYPERLINK(...)``, ``=cmd|' /C calc'!A0``). Following
OWASP's guidance on CSV injection, such a *text* cell is written with a single quote in front
(``'=HYPERLINK(...)``), which spreadsheets show as the text itself; numbers, negative ones included,
stay numbers. In XLSX every text cell is written as a string cell, never as a formula
(``xlsx_row``). Every CSV and XLSX the service and the command line write goes through here."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

#: First characters that make a spreadsheet read a cell as a formula (OWASP), with their
#: full-width forms, which some spreadsheets fold to the ASCII ones.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_csv_cell(value: Any) -> Any:
    """``value`` with a single quote in front when it is text a spreadsheet would run as a
    formula; any other value (numbers, None, dates, harmless text) unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_csv_row(values: Iterable[Any]) -> list[Any]:
    """Every cell of a CSV row through ``safe_csv_cell``."""
    return [safe_csv_cell(v) for v in values]


def safe_frame_for_csv(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and column names) are safe for ``to_csv``; numeric,
    boolean and date columns are left as they are."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_object_dtype(series.dtype) or pd.api.types.is_string_dtype(series.dtype):
            out[column] = series.map(safe_csv_cell, na_action="ignore")
    out.columns = [safe_csv_cell(c) if isinstance(c, str) else c for c in out.columns]
    return out


def write_safe_csv(frame: pd.DataFrame, target: Any, **options: Any) -> None:
    """``frame.to_csv(target, index=False, **options)`` with its text cells made safe, and rows
    ending in CRLF, so that a carriage return inside a cell is quoted (with pandas' own ``\\n`` a lone
    ``\\r`` is not, and a spreadsheet would start a new row, and a formula, there)."""
    safe_frame_for_csv(frame).to_csv(target, index=False, lineterminator="\r\n", **options)


def xlsx_row(sheet: Any, values: Iterable[Any]) -> list[Any]:
    """The cells of one row of an openpyxl write-only ``sheet``: text as string cells (never a
    formula, whatever it starts with), other values as they are."""
    from openpyxl.cell import WriteOnlyCell

    row: list[Any] = []
    for value in values:
        if isinstance(value, str):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"  # openpyxl would make a text starting with '=' a formula
            row.append(cell)
        else:
            row.append(value)
    return row
