r"""Text cells that a spreadsheet will not run: formula-injection neutralisation.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by
Excel, LibreOffice and Google Sheets as a formula (``=HYPERLINK(...)`` can send data away,
``=cmd|...`` once ran programs). OWASP's advice for CSV injection is followed: such a
*text* cell gets a leading apostrophe, which spreadsheets show as text and hide. Numbers
stay numbers (``-3.5`` in a numeric column is a value, not a formula), so only text
columns are touched.

Examples
--------
>>> neutralise("=HYPERLINK('http://x')"), neutralise("Cusco"), neutralise(-3)
("'=HYPERLINK('http://x')", 'Cusco', -3)
>>> import pandas as pd
>>> neutralise_frame(pd.DataFrame({"id": ["@A", "B"], "n": [-1, 2]}))["id"].tolist()
["'@A", 'B']
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["FORMULA_PREFIXES", "KINDS", "column_kinds", "csvt", "neutralise", "neutralise_frame"]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Prefix ``'`` to a string that a spreadsheet would take for a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``frame`` whose text (object or string) cells are neutralised."""
    out = frame.copy()
    for col in out.columns:
        if col == getattr(out, "_geometry_column_name", None):
            continue
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col].dtype):
            out[col] = out[col].map(neutralise)
    return out


#: What a column holds, as the CSV's ``.csvt`` and the XLSX (:mod:`geo.records.workbook`) say it.
KINDS = ("text", "integer", "number", "percent", "date", "boolean")

_GDAL = {"boolean": '"Integer(Boolean)"', "integer": '"Integer"', "number": '"Real"',
         "percent": '"Real"', "date": '"String"', "text": '"String"'}


def column_kinds(table: pd.DataFrame, percent: tuple[str, ...] = ()) -> dict[str, str]:
    """Return each column's kind (:data:`KINDS`) from its type: codes text, counts integers.

    The one reading of a table's types: the CSV's ``.csvt`` (:func:`csvt`) and the XLSX's
    cells follow it. A text column stays text whatever it looks like (UBIGEO ``"080910"``);
    ``percent`` names the real columns that are shares or probabilities.

    >>> column_kinds(pd.DataFrame({"ubigeo": ["080101"], "n": [3], "r": [0.5], "s": [True]}),
    ...              percent=("r",))
    {'ubigeo': 'text', 'n': 'integer', 'r': 'percent', 's': 'boolean'}
    """
    def kind(col: str, s: pd.Series) -> str:
        if pd.api.types.is_bool_dtype(s):
            return "boolean"
        if pd.api.types.is_integer_dtype(s):
            return "integer"
        if pd.api.types.is_float_dtype(s):
            return "percent" if col in percent else "number"
        if pd.api.types.is_datetime64_any_dtype(s):
            return "date"
        return "text"

    return {col: kind(col, table[col]) for col in table.columns}


def csvt(table: pd.DataFrame) -> str:
    """Return GDAL's column types of a CSV (its ``.csvt``): codes text, counts integers.

    >>> csvt(pd.DataFrame({"ubigeo": ["080101"], "n": [3], "r": [0.5], "s": [True]})).strip()
    '"String","Integer","Real","Integer(Boolean)"'
    """
    return ",".join(_GDAL[k] for k in column_kinds(table).values()) + "\n"
