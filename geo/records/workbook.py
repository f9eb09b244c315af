"""Tables as spreadsheets: an XLSX with typed cells and its metadata inside.

A CSV opened in a spreadsheet loses what its ``.csvt`` says: Calc and Excel read UBIGEO
``080910`` as the number 80910. :func:`write_workbook` writes the same table as an XLSX
(openpyxl) whose cells carry their kind (:func:`geo.records.sheets.column_kinds`, the
reading the ``.csvt`` comes from): codes text, counts integers, shares and risks numbers with a
percent format, dates dates. The header row is frozen and filtered and the columns fit their
contents. A second sheet, ``metadatos``, holds what a CSV's ``.metadatos.json`` holds: every
column described with its kind, SIMULADO where it applies, what a blank cell means (the
suppression rule), the sources with their licence and citation, and the remaining keys.
No cell is ever a formula: text is neutralised as in a CSV
(:func:`geo.records.sheets.neutralise`) and stored as text. Missing values and suppressed
counts are empty cells, never zero. The file is written owner-only (:mod:`geo.private`).

Examples
--------
>>> import io, pandas as pd
>>> from openpyxl import load_workbook
>>> table = pd.DataFrame({"ubigeo": ["080910"], "n_inspecciones": pd.array([None], "Int64"),
...                       "riesgo": [0.25], "nota": ["=1+1"]})
>>> book = load_workbook(io.BytesIO(workbook_bytes(table, {"simulado": True}, sheet="riesgo",
...                                                percent=("riesgo",))))
>>> book.sheetnames
['riesgo', 'metadatos']
>>> [(c.value, c.data_type) for c in book["riesgo"][2]]
[('080910', 's'), (None, 'n'), (0.25, 'n'), ("'=1+1", 's')]
>>> book["riesgo"]["C2"].number_format, book["riesgo"].freeze_panes
('0.0%', 'A2')
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from geo.messages import t
from geo.private import write_private
from geo.records.sheets import column_kinds, neutralise

__all__ = ["METADATA_SHEET", "workbook_bytes", "write_workbook"]

#: The second sheet's name, whatever the language (a fixed name scripts can look for).
METADATA_SHEET = "metadatos"
#: Metadata keys the sheet shows in their own places (not in the key/value list).
_PLACED = ("descripcion_columnas", "simulado")
_BOLD = Font(bold=True)
_WARN = Font(bold=True, color="9C0006")
_WARN_FILL = PatternFill("solid", fgColor="FFC7CE")
_HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
_WRAP = Alignment(wrap_text=True, vertical="top")
_MAX_WIDTH = 60


def write_workbook(path: str | Path, table: pd.DataFrame, metadata: Mapping[str, Any], *,
                   sheet: str, percent: Sequence[str] = ()) -> Path:
    """Write ``table`` and its ``metadata`` as an XLSX at ``path``, owner-only (0600).

    Parameters
    ----------
    path : path
        The ``.xlsx`` to write (atomically: :func:`geo.private.write_private`).
    table : DataFrame
        The rows, as the CSV of the same export holds them (no geometry).
    metadata : mapping
        What the CSV's ``.metadatos.json`` holds; ``descripcion_columnas`` describes the
        columns, ``simulado`` marks simulated data, ``conteos_suprimidos_menores_que`` is
        the suppression threshold.
    sheet : str
        The data sheet's name (``riesgo``, ``indicadores``, ``plan``).
    percent : sequence of str
        Real columns that are shares or probabilities (shown as percent).

    Returns
    -------
    Path
    """
    return write_private(path, workbook_bytes(table, metadata, sheet=sheet, percent=percent))


def workbook_bytes(table: pd.DataFrame, metadata: Mapping[str, Any], *, sheet: str,
                   percent: Sequence[str] = ()) -> bytes:
    """Return the XLSX of :func:`write_workbook` as bytes (a page's download)."""
    kinds = column_kinds(table, tuple(percent))
    book = Workbook()
    data = book.active
    data.title = sheet[:31]
    _write_data(data, table, kinds)
    _write_metadata(book.create_sheet(METADATA_SHEET), table, kinds, metadata)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _write_data(ws, table: pd.DataFrame, kinds: dict[str, str]) -> None:
    """Write the table: header frozen and filtered, typed cells, formats, fitted widths."""
    ws.append([_text(c) for c in table.columns])
    for cell in ws[1]:
        cell.font, cell.fill = _BOLD, _HEAD_FILL
    formats = {col: _number_format(kinds[col], table[col]) for col in table.columns}
    for values in table.itertuples(index=False, name=None):
        ws.append([_cell(v, kinds[col]) for col, v in zip(table.columns, values, strict=True)])
    for j, col in enumerate(table.columns, start=1):
        for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
            cell.number_format = formats[col]
            if kinds[col] == "text" and cell.value is not None:
                cell.data_type = "s"  # never a formula, whatever the text
        width = max([len(str(col))] + [_shown_length(v, kinds[col])
                                       for v in table[col].head(2000)])
        ws.column_dimensions[get_column_letter(j)].width = min(width + 2, _MAX_WIDTH)
    ws.freeze_panes = "A2"
    if len(table.columns):
        ws.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{len(table) + 1}"


def _write_metadata(ws, table: pd.DataFrame, kinds: dict[str, str],
                    metadata: Mapping[str, Any]) -> None:
    """Write what the CSV's metadata JSON holds, laid out for people, in the current language."""
    rows: list[tuple[list[Any], str]] = [([t("hoja.titulo", sheet=METADATA_SHEET)], "title")]
    if metadata.get("simulado"):
        rows.append(([t("hoja.simulado")], "warn"))
    threshold = metadata.get("conteos_suprimidos_menores_que")
    if isinstance(threshold, int | float) and threshold > 1:
        rows.append(([t("hoja.celda_vacia_suprimida", k=int(threshold),
                        k_1=int(threshold) - 1)], "note"))
    else:
        rows.append(([t("hoja.celda_vacia")], "note"))
    rows.append(([t("hoja.formulas")], "note"))
    rows.append(([], ""))
    described = metadata.get("descripcion_columnas") or {}
    rows.append(([t("hoja.columnas")], "title"))
    rows.append(([t("hoja.columna"), t("hoja.tipo"), t("hoja.descripcion")], "head"))
    for col in table.columns:
        rows.append(([col, t(f"hoja.tipo.{kinds[col]}"), described.get(col, "")], ""))
    tables = {k: v for k, v in metadata.items()
              if k not in _PLACED and _is_table(v)}
    rest = {k: v for k, v in metadata.items() if k not in _PLACED and k not in tables}
    rows.append(([], ""))
    rows.append(([t("hoja.metadatos")], "title"))
    rows.append(([t("hoja.clave"), t("hoja.valor")], "head"))
    rows.append((["simulado", bool(metadata.get("simulado"))], ""))
    rows.extend(([key, _value(value)], "") for key, value in rest.items())
    for key, value in tables.items():
        heads = list(dict.fromkeys(h for row in value for h in row))
        rows.append(([], ""))
        rows.append(([key], "title"))
        rows.append((heads, "head"))
        rows.extend(([_value(row.get(h)) for h in heads], "") for row in value)
    widths: dict[int, int] = {}
    for values, style in rows:
        ws.append([_meta_cell(v) for v in values])
        for j, cell in enumerate(ws[ws.max_row], start=1):
            if isinstance(cell.value, str):
                cell.data_type = "s"
            if style == "title":
                cell.font = _BOLD
            elif style == "warn":
                cell.font, cell.fill = _WARN, _WARN_FILL
            elif style == "head":
                cell.font, cell.fill = _BOLD, _HEAD_FILL
            elif style == "":
                cell.alignment = _WRAP
                widths[j] = max(widths.get(j, 0), len(str(cell.value or "")))
    for j, width in widths.items():
        ws.column_dimensions[get_column_letter(j)].width = min(max(width, 10) + 2, 80)


def _is_table(value: Any) -> bool:
    """Say whether a value is a list of records (the sources: a table of its own)."""
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _value(value: Any) -> Any:
    """Return a metadata value as one cell: scalars as they are, lists joined, tables as JSON."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple) and all(
            isinstance(v, str | int | float) and not isinstance(v, bool) for v in value):
        return "; ".join(str(v) for v in value)
    return json.dumps(value, ensure_ascii=False, default=str)


def _meta_cell(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return neutralise(value) if isinstance(value, str) else value


def _text(value: Any) -> str:
    return neutralise(str(value))


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float | np.floating) and not math.isfinite(float(value))


def _cell(value: Any, kind: str) -> Any:
    """Return one value as the cell of its kind; missing (or suppressed) is an empty cell."""
    if _missing(value):
        return None
    if kind == "boolean":
        return bool(value)
    if kind == "integer":
        return int(value)
    if kind in ("number", "percent"):
        return float(value)
    if kind == "date":
        stamp = pd.Timestamp(value)
        if stamp.tzinfo is not None:  # spreadsheets have no time zones: local wall time
            stamp = stamp.tz_localize(None)
        return stamp.date() if stamp == stamp.normalize() else stamp.to_pydatetime()
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return _text(value)


def _number_format(kind: str, values: pd.Series) -> str:
    """Return the cell format of a column: text stays text, decimals by the column's magnitude."""
    if kind == "text":
        return "@"
    if kind == "integer":
        return "0"
    if kind == "percent":
        return "0.0%"
    if kind == "date":
        if pd.api.types.is_datetime64_any_dtype(values):
            clock = values.dropna()
            if len(clock) and (clock != clock.dt.normalize()).any():
                return "yyyy-mm-dd hh:mm"
        return "yyyy-mm-dd"
    if kind == "boolean":
        return "General"
    numbers = pd.to_numeric(values, errors="coerce").abs()
    top = float(numbers.max()) if numbers.notna().any() else 0.0
    if top >= 100:
        return "#,##0"
    if top >= 1:
        return "#,##0.00"
    return "0.000"


def _shown_length(value: Any, kind: str) -> int:
    """Return about how many characters a cell shows (for the column's width)."""
    if _missing(value):
        return 0
    if kind == "percent":
        return 6
    if kind in ("number", "integer"):
        return min(len(f"{float(value):,.3f}"), 14)
    if kind == "date":
        return 16
    return len(str(value))
