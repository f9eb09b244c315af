"""Table layers keyed by UBIGEO: a column, several, or years of a panel -> one value per district.

A table's key is found and normalised with :mod:`geo.geography.ubigeo`; the columns it names (a
list, a ``{year}`` pattern, or the rows of some years of a long panel) are combined by
``combine``; a district the table does not list has no value (NaN) unless ``missing = "zero"``.
Codes that name no district are reported, never silently dropped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import columns as C
from geo.config import MISSING_NAN, MISSING_ZERO, YEAR_FIELD, LayerSpec
from geo.errors import DataError
from geo.geography import ubigeo as U
from geo.geography.checks import (
    _OWN_COLUMNS,
    _is_csv,
    _name,
    _numeric,
    _place,
    _require_column,
    _ubigeo_index,
)
from geo.geography.io import Notice

__all__ = ["value_by_ubigeo"]


def value_by_ubigeo(
    table: pd.DataFrame,
    column: str,
    districts: gpd.GeoDataFrame,
    source: str | Path | None = None,
    *,
    missing: str = MISSING_NAN,
    missing_reason: str = "",
) -> pd.Series:
    """Take ``column`` of a table keyed by ubigeo, one value per district.

    The key column is found and normalised with :mod:`geo.geography.ubigeo` (a code that lost its
    leading zero is padded). Codes of the table that name no district of the same
    departments are reported (another UBIGEO vintage?), never silently dropped; districts
    without a row (or with an empty cell) have no value: NaN, or 0 with ``missing =
    "zero"`` (and its reason), and a notice says how many.

    Parameters
    ----------
    table : DataFrame
        With a ubigeo key column (``ubigeo``, ``UBIGEO``, ``IDDIST``…) and ``column``.
    column : str
        The numeric column to take.
    districts : GeoDataFrame
        With ``ubigeo``.
    source : str or Path, optional
        The table's file, named in errors and notices.
    missing : {"nan", "zero"}
        What a district without a value gets.
    missing_reason : str
        Why 0 is right there (said in the notice).

    Returns
    -------
    pandas.Series
        Indexed by ``ubigeo``; ``attrs["notices"]`` lists the notices, ``attrs["sin_dato"]``
        counts the districts without a value (before ``missing`` fills them).

    Raises
    ------
    DataError
        No key column, a malformed or repeated code, or a non-numeric value.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> d = gpd.GeoDataFrame({"ubigeo": ["080101", "080102"]},
    ...                      geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=4326)
    >>> t = pd.DataFrame({"UBIGEO": [80101], "ha": ["2.5"]})
    >>> value_by_ubigeo(t, "ha", d).tolist()
    [2.5, nan]
    >>> value_by_ubigeo(t, "ha", d, missing="zero", missing_reason="sin bosque").tolist()
    [2.5, 0.0]
    """
    spec = LayerSpec(str(column), "otro", Path(_name(source)), "value", column=column,
                     missing=missing, missing_reason=missing_reason)
    return _table_value(spec, table, districts, source)


def _table_value(spec: LayerSpec, table: pd.DataFrame, districts: gpd.GeoDataFrame,
                 source: Any) -> pd.Series:
    """Compute a table layer's value per district: columns or years combined, ``missing``."""
    matrix = _value_matrix(spec, table, _span(spec), source)
    return _by_district(_combine(matrix, spec.combine), districts, spec, source)


def _span(spec: LayerSpec) -> list[int] | None:
    """Return the years a table layer reads today (``None``: it has no years)."""
    span = spec.table_years
    return None if span is None else list(range(span[0], span[1] + 1))


def _value_matrix(spec: LayerSpec, table: pd.DataFrame, years: Sequence[int] | None,
                  source: Any) -> pd.DataFrame:
    """One row per district of the table, one column per year (or listed column).

    ``years``: those of a ``{year}`` pattern or a panel to read (``None``: every year the
    file has). Repeated districts (district and year in a panel) are refused.
    """
    codes = _table_codes(table, source)
    if spec.panel_year:
        return _panel_matrix(spec, table, codes, years, source)
    if spec.year_pattern:
        names = _pattern_columns(spec, table, years, source)
    else:
        listed = spec.column if isinstance(spec.column, tuple) else (spec.column,)
        names = {c: c for c in listed}
    for col in names.values():
        _require_column(table, col, source)
    _refuse_repeated(codes, table, source)
    data = {label: _numeric(table[col], col, source, rows=table)
            for label, col in names.items()}
    return pd.DataFrame(data, index=pd.Index(codes.to_numpy(dtype=str), name=C.UBIGEO))


def _table_codes(table: pd.DataFrame, source: Any) -> pd.Series:
    """Return the district codes as 6-digit text; refuse a bad one naming file and line."""
    # the reader's own columns (file, line) are no candidates, nor named to the user
    key = U.find_ubigeo_column(pd.DataFrame(columns=[
        c for c in table.columns if c not in _OWN_COLUMNS]), _name(source))
    if "_linea" not in table.columns:
        return U.normalize_ubigeo(table[key], _name(source),
                                  first_line=2 if _is_csv(source) else None)
    files = table["_archivo"] if "_archivo" in table.columns else \
        pd.Series(_name(source), index=table.index)
    parts = [U.normalize_ubigeo(part[key], name, lines=part["_linea"].to_numpy())
             for name, part in table.groupby(files, sort=False)]
    return pd.concat(parts).reindex(table.index) if parts else table[key].astype(object)


def _pattern_columns(spec: LayerSpec, table: pd.DataFrame, years: Sequence[int] | None,
                     source: Any) -> dict[int, str]:
    """Return the column of each year of a ``{year}`` pattern (``years=None``: all found)."""
    pattern = str(spec.column)
    regex = re.compile(re.escape(pattern).replace(re.escape(YEAR_FIELD), r"(\d{4})"))
    found = {int(m.group(1)): str(c) for c in table.columns
             if (m := regex.fullmatch(str(c)))}
    if years is None:
        return dict(sorted(found.items()))
    absent = [y for y in years if y not in found]
    if absent:
        names = ", ".join(f"'{pattern.replace(YEAR_FIELD, str(y))}'" for y in absent[:5])
        if found:
            have_es = f"tiene las de {_year_ranges(found)}"
            have_en = f"has those of {_year_ranges(found)}"
        else:
            listed = ", ".join(str(c) for c in table.columns[:30] if not str(c).startswith("_"))
            have_es = f"no tiene ninguna columna así (columnas: {listed})"
            have_en = f"has no such column (columns: {listed})"
        raise DataError(
            es=f"{_name(source)}: la capa '{spec.name}' lee column = '{pattern}' de "
            f"{_year_ranges(years)}, pero faltan {names}: la tabla {have_es}. Corrija years "
            "(o year) en la configuración, o descargue la versión de la tabla con esos años.",
            en=f"{_name(source)}: layer '{spec.name}' reads column = '{pattern}' for "
            f"{_year_ranges(years)}, but {names} are missing: the table {have_en}. Fix "
            "years (or year) in the settings, or download the version of the table with "
            "those years.",
        )
    return {y: found[y] for y in years}


def _panel_matrix(spec: LayerSpec, table: pd.DataFrame, codes: pd.Series,
                  years: Sequence[int] | None, source: Any) -> pd.DataFrame:
    """Reshape a long district × year panel: one row per district, one column per year."""
    column, year_col = str(spec.column), str(spec.panel_year)
    _require_column(table, year_col, source, key="panel_year")
    _require_column(table, column, source)
    row_years = _panel_years(table, year_col, source)
    found = sorted({int(y) for y in row_years})
    if years is None:
        years = found
    absent = [y for y in years if y not in set(found)]
    if absent:
        have_es = f"tiene {_year_ranges(found)}" if found else "no tiene filas"
        have_en = f"has {_year_ranges(found)}" if found else "has no rows"
        raise DataError(
            es=f"{_name(source)}: la capa '{spec.name}' lee el panel en {_year_ranges(years)}, "
            f"pero la columna '{year_col}' no tiene filas de {_year_ranges(absent)}: "
            f"{have_es}. Corrija year (o years) en la configuración.",
            en=f"{_name(source)}: layer '{spec.name}' reads the panel in "
            f"{_year_ranges(years)}, but column '{year_col}' has no rows for "
            f"{_year_ranges(absent)}: it {have_en}. Fix year (or years) in the settings.",
        )
    _refuse_repeated(codes, table, source, row_years, year_col)
    keep = np.isin(row_years, list(years))
    rows = table[keep]
    values = _numeric(rows[column], column, source, rows=rows)
    long = pd.DataFrame({C.UBIGEO: codes[keep].to_numpy(dtype=str), "anio": row_years[keep],
                         "valor": values})
    wide = long.pivot(index=C.UBIGEO, columns="anio", values="valor")
    return wide.reindex(columns=list(years)).rename_axis(columns=None)


def _panel_years(table: pd.DataFrame, column: str, source: Any) -> np.ndarray:
    """Return the year of each row of a panel (integers); refuse others naming the line."""
    raw = table[column]
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        num = pd.Series(raw.to_numpy(dtype=float, na_value=np.nan), index=raw.index)
    else:
        num = pd.to_numeric(raw.astype("string").str.strip(), errors="coerce").astype(float)
    bad = num.isna() | (num % 1 != 0) | (num < 1800) | (num > 2200)
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        value = raw.iloc[pos]
        text = repr(value) if isinstance(value, str) else str(value)
        shown, shown_en = ("vacía", "empty") if pd.isna(value) else (text, text)
        raise DataError(
            es=f"{_name(source)}, {_place(table, pos, source)}, columna '{column}': {shown} "
            f"no es un año ({int(bad.sum())} valor(es) así). Cada fila del panel dice su año "
            "con un entero (2020): corrija la celda o quite la fila.",
            en=f"{_name(source)}, {_place(table, pos, source, 'en')}, column '{column}': "
            f"{shown_en} is not a year ({int(bad.sum())} such value(s)). Each row of the "
            "panel gives its year as an integer (2020): fix the cell or remove the row.",
        )
    return num.to_numpy(dtype=int)


def _refuse_repeated(codes: pd.Series, table: pd.DataFrame, source: Any,
                     row_years: np.ndarray | None = None, year_col: str = "") -> None:
    """Refuse a district with two rows (two rows of one year, in a panel), naming the lines."""
    key = codes.astype(str) if row_years is None else \
        codes.astype(str) + "/" + pd.Series(row_years, index=codes.index).astype(str)
    repeated = key.duplicated(keep=False).to_numpy()
    if not repeated.any():
        return
    first = key.iloc[int(np.flatnonzero(repeated)[0])]
    same = np.flatnonzero((key == first).to_numpy())
    code = str(codes.iloc[same[0]])
    lines_es = " y ".join(_place(table, int(i), source) for i in same[:5])
    lines_en = " and ".join(_place(table, int(i), source, "en") for i in same[:5])
    others = int(key[repeated].nunique()) - 1
    more_es = f" (y {others} caso(s) más)" if others else ""
    more_en = f" (and {others} more case(s))" if others else ""
    if row_years is None:
        raise DataError(
            es=f"{_name(source)}: el código UBIGEO {code} se repite ({lines_es}){more_es}. "
            "Cada distrito debe tener una sola fila en una tabla con measure = 'value': "
            "quite las repetidas (o use panel_year si cada fila es un año).",
            en=f"{_name(source)}: UBIGEO code {code} is repeated ({lines_en}){more_en}. "
            "Each district must have a single row in a table used with measure = 'value': "
            "remove the repeated ones (or use panel_year if each row is a year).",
        )
    year = first.split("/")[1]
    raise DataError(
        es=f"{_name(source)}: el distrito {code} tiene más de una fila de {year} en "
        f"'{year_col}' ({lines_es}){more_es}. Un panel tiene una sola fila por distrito y "
        "año: quite las repetidas.",
        en=f"{_name(source)}: district {code} has more than one row for {year} in "
        f"'{year_col}' ({lines_en}){more_en}. A panel has a single row per district and "
        "year: remove the repeated ones.",
    )


def _combine(matrix: pd.DataFrame, how: str) -> pd.Series:
    """Years (or listed columns) into one value per district.

    ``sum`` needs every one (else no value); ``mean`` and ``last`` use those present.

    >>> m = pd.DataFrame({2020: [1.0, 1.0, np.nan], 2021: [2.0, np.nan, np.nan]})
    >>> [_combine(m, how).tolist() for how in ("sum", "mean", "last")]
    [[3.0, nan, nan], [1.5, 1.0, nan], [2.0, 1.0, nan]]
    """
    if matrix.shape[1] == 1:
        return matrix.iloc[:, 0].astype(float)
    if how == "sum":
        return matrix.sum(axis=1, skipna=False).astype(float)
    if how == "mean":
        return matrix.mean(axis=1).astype(float)
    return matrix.ffill(axis=1).iloc[:, -1].astype(float)


def _by_district(values: pd.Series, districts: gpd.GeoDataFrame, spec: LayerSpec,
                 source: Any) -> pd.Series:
    """Values by code -> one per district; say how many have none, apply ``missing``."""
    index = _ubigeo_index(districts)
    notices = _unknown_code_notices(pd.Index(values.index.astype(str)), index, source)
    out = values.reindex(index).astype(float)
    none = out.isna().to_numpy()
    n = int(none.sum())
    if n:
        absent = int((~index.isin(values.index)).sum())
        blank = n - absent
        sample = ", ".join(index[none][:10]) + ("…" if n > 10 else "")
        span = spec.table_years
        several = (isinstance(spec.column, tuple) and len(spec.column) > 1) or \
            (span is not None and span[0] != span[1])
        summed = several and spec.combine == "sum"
        why_es = f"{absent} no figuran en la tabla"
        why_en = f"{absent} are not in the table"
        if blank:
            why_es += f", {blank} tienen celdas vacías" + (
                " (la suma necesita todos los años)" if summed else "")
            why_en += f", {blank} have empty cells" + (
                " (the sum needs every year)" if summed else "")
        head_es = (f"{_name(source)}: {n} de {len(index)} distritos no tienen valor en "
                   f"{_label(spec)} ({sample}; {why_es})")
        head_en = (f"{_name(source)}: {n} of {len(index)} districts have no value in "
                   f"{_label(spec)} ({sample}; {why_en})")
        if spec.missing == MISSING_ZERO:
            notices.append(Notice(
                es=f"{head_es}; se les asigna 0: {spec.missing_reason}",
                en=f"{head_en}; they get 0 (missing = \"zero\"): {spec.missing_reason}"))
            out = out.fillna(0.0)
        else:
            notices.append(Notice(
                es=f"{head_es}; quedan sin dato (vacíos, no 0).",
                en=f"{head_en}; they are left without a value (empty, not 0)."))
    out.index.name = C.UBIGEO
    out.attrs = {"notices": notices, "sin_dato": n}
    return out


def _label(spec: LayerSpec) -> str:
    """Name the columns (and years) a table layer reads, for a notice."""
    if isinstance(spec.column, tuple):
        return ", ".join(f"'{c}'" for c in spec.column)
    if spec.panel_year:
        return f"'{spec.column}' ({spec.panel_year} {spec.years_label})"
    if spec.year_pattern:
        return f"'{spec.column}' ({spec.years_label})"
    return f"'{spec.column}'"


def _year_ranges(years: Any) -> str:
    """Years as runs: ``2001–2020, 2022``.

    >>> _year_ranges([2001, 2002, 2003, 2005])
    '2001–2003, 2005'
    """
    ordered = sorted({int(y) for y in years})
    runs: list[list[int]] = []
    for y in ordered:
        if runs and y == runs[-1][1] + 1:
            runs[-1][1] = y
        else:
            runs.append([y, y])
    return ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in runs)


def _unknown_code_notices(codes: pd.Index, index: pd.Index, source: Any) -> list[Notice]:
    """Report the codes of a table that name no district.

    Codes of other departments are simply outside the selected region; codes of the same
    departments that match no district are reported with
    :func:`geo.geography.ubigeo.compare_vintages`.
    """
    departments = {c[:2] for c in index}
    in_region = codes[codes.str[:2].isin(list(departments))]
    notices: list[Notice] = []
    unknown = sorted(set(in_region) - set(index))
    if unknown:
        report = U.compare_vintages(in_region, index, _name(source), "base de distritos")
        notices.append(Notice("geografia.codigos_desconocidos_no_se_usan", report=report,
                              n_unknown=len(unknown)))
    outside = len(codes) - len(in_region)
    if outside:  # codes, not rows: a panel has a row per district and year
        notices.append(Notice("geografia.distrito_otros_departamentos_quedan", name=_name(source),
                              outside=outside))
    return notices
