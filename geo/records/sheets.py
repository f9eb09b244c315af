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

__all__ = ["FORMULA_PREFIXES", "csvt", "neutralise", "neutralise_frame"]

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


def csvt(table: pd.DataFrame) -> str:
    """Return GDAL's column types of a CSV (its ``.csvt``): codes text, counts integers.

    >>> csvt(pd.DataFrame({"ubigeo": ["080101"], "n": [3], "r": [0.5], "s": [True]})).strip()
    '"String","Integer","Real","Integer(Boolean)"'
    """
    def kind(s: pd.Series) -> str:
        if pd.api.types.is_bool_dtype(s):
            return '"Integer(Boolean)"'
        if pd.api.types.is_integer_dtype(s):
            return '"Integer"'
        if pd.api.types.is_float_dtype(s):
            return '"Real"'
        return '"String"'

    return ",".join(kind(table[c]) for c in table.columns) + "\n"
