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
from geo.messages import Message, t

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
            have = Message("geografia.capas.tiene_las_de", {"years": _year_ranges(found)})
        else:
            listed = ", ".join(str(c) for c in table.columns[:30] if not str(c).startswith("_"))
            have = Message("geografia.capas.ninguna_columna_asi", {"columns": listed})
        raise DataError("geografia.capas.faltan_columnas_de_anios", source=_name(source),
                        name=spec.name, pattern=pattern, years=_year_ranges(years),
                        names=names, have=have)
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
        have = Message("geografia.capas.panel_tiene", {"years": _year_ranges(found)}) \
            if found else Message("geografia.capas.panel_sin_filas")
        raise DataError("geografia.capas.panel_faltan_anios", source=_name(source),
                        name=spec.name, years=_year_ranges(years), year_col=year_col,
                        absent=_year_ranges(absent), have=have)
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
        shown = Message("geografia.capas.celda_vacia") if pd.isna(value) else text
        raise DataError("geografia.capas.no_es_un_anio", source=_name(source),
                        place=U.InLanguage(lambda lang: _place(table, pos, source, lang)),
                        column=column, shown=shown, n=int(bad.sum()))
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
    lines = U.InLanguage(lambda lang: t("geografia.capas.y", lang=lang).join(
        _place(table, int(i), source, lang) for i in same[:5]))
    others = int(key[repeated].nunique()) - 1
    more = Message("geografia.capas.y_n_casos_mas", {"n": others}) if others else ""
    if row_years is None:
        raise DataError("geografia.capas.ubigeo_se_repite", source=_name(source), code=code,
                        lines=lines, more=more)
    year = first.split("/")[1]
    raise DataError("geografia.capas.panel_fila_repetida", source=_name(source), code=code,
                    year=year, year_col=year_col, lines=lines, more=more)


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
        if not blank:
            why = Message("geografia.capas.no_figuran", {"absent": absent})
        else:
            why = Message("geografia.capas.no_figuran_vacias_suma" if summed
                          else "geografia.capas.no_figuran_vacias",
                          {"absent": absent, "blank": blank})
        head = Message("geografia.capas.distritos_sin_valor",
                       {"source": _name(source), "n": n, "total": len(index),
                        "label": _label(spec), "sample": sample, "why": why})
        if spec.missing == MISSING_ZERO:
            notices.append(Notice("geografia.capas.se_les_asigna_cero", head=head,
                                  reason=spec.missing_reason))
            out = out.fillna(0.0)
        else:
            notices.append(Notice("geografia.capas.quedan_sin_dato", head=head))
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
