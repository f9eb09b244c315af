"""Checks the layer readers and point counters share, and how their messages name a place.

The districts (a GeoDataFrame with ``ubigeo``), a layer's CRS against theirs (never reprojected
silently), a column the settings name, numbers in a column; a file is named by its path, a row
by its CSV line (header = line 1) or its feature number. Private to :mod:`geo.geography`: the
underscore names are shared by :mod:`.points` and the modules of :mod:`.layers`, not offered
to other packages.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import columns as C
from geo.errors import DataError
from geo.geography.ubigeo import InLanguage
from geo.messages import t

_CSV_SUFFIXES = (".csv", ".txt", ".tsv")


#: Columns the readers add to name a row in errors: its file, its line (tables) or position.
_OWN_COLUMNS = ("_archivo", "_linea", "_objeto")


def _check_districts(districts: gpd.GeoDataFrame) -> None:
    if not isinstance(districts, gpd.GeoDataFrame):
        raise TypeError(f"'districts' should be a GeoDataFrame, got {type(districts)}")
    if C.UBIGEO not in districts.columns:
        raise DataError("geografia.tabla_distritos_no_tiene", ubigeo=C.UBIGEO)


def _ubigeo_index(districts: gpd.GeoDataFrame) -> pd.Index:
    if C.UBIGEO in getattr(districts, "columns", ()):
        return pd.Index(districts[C.UBIGEO].astype(str).to_numpy(), name=C.UBIGEO)
    return pd.Index(districts.index, name=C.UBIGEO)


def _geometry(features: gpd.GeoDataFrame | gpd.GeoSeries) -> gpd.GeoSeries:
    if isinstance(features, gpd.GeoDataFrame):
        return features.geometry
    if isinstance(features, gpd.GeoSeries):
        return features
    raise TypeError(f"'features' should be a GeoDataFrame or GeoSeries, got {type(features)}")


def _check_same_crs(
    geoms: gpd.GeoSeries, districts: gpd.GeoDataFrame | gpd.GeoSeries, source: Any
) -> None:
    # Never reproject silently: a layer in another CRS would be placed in the wrong districts.
    if geoms.crs is None:
        raise DataError("geografia.capa_no_tiene_sistema", name=_name(source))
    if districts.crs is None:
        raise DataError("geografia.distritos_no_tienen_sistema")
    if geoms.crs != districts.crs:
        raise DataError("geografia.capa_distritos_riskmap_no", name=_name(source),
                        crs=geoms.crs.to_string(), districts_crs=districts.crs.to_string())


def _require_column(table: pd.DataFrame, column: str | None, source: Any,
                    key: str = "column") -> None:
    if column is None or column in table.columns:
        return
    found = ", ".join(str(c) for c in table.columns
                      if c != "geometry" and c not in _OWN_COLUMNS)
    raise DataError("geografia.no_existe_columna_columnas", name=_name(source), column=column,
                    found=found, key_=key)


def _numeric(values: pd.Series, column: str, source: Any,
             rows: pd.DataFrame | None = None) -> np.ndarray:
    """Return ``values`` as floats (empty cells NaN); refuse text naming file, line, column.

    ``rows``: the table the values come from, whose ``_archivo`` and ``_linea`` name the
    file and line of a bad value (else its position in ``values``).
    """
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        return values.to_numpy(dtype=float, na_value=np.nan)
    text = values.astype("string").str.strip()
    num = pd.to_numeric(text, errors="coerce")
    bad = num.isna() & text.notna() & (text != "")
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        n = int(bad.sum())
        raise DataError(
            "geografia.celda_no_es_numero", source=_name(source),
            place=InLanguage(lambda lang: _place(rows, pos, source, lang)), column=column,
            value=repr(text.iloc[pos]), n=n,
        )
    return num.to_numpy(dtype=float, na_value=np.nan)


def _place(rows: pd.DataFrame | None, pos: int, source: Any, lang: str = "es") -> str:
    """Name row ``pos`` of ``rows`` by its file line (and file, if not ``source``)."""
    if rows is None or "_linea" not in rows.columns:
        return _row(pos, source, lang)
    line = int(rows["_linea"].iloc[pos])
    text = t("geografia.linea_n", lang=lang, n=line)
    if "_archivo" in rows.columns and str(rows["_archivo"].iloc[pos]) != _name(source):
        text = f"{Path(str(rows['_archivo'].iloc[pos])).name}, {text}"
    return text


def _row(pos: Any, source: Any, lang: str = "es") -> str:
    """Name a row as the user sees it: the line of a CSV (header = line 1), else the feature."""
    if not isinstance(pos, int | np.integer):
        return t("geografia.fila_n", lang=lang, n=pos)
    if _is_csv(source):
        return t("geografia.linea_n", lang=lang, n=pos + 2)
    return t("geografia.elemento_n", lang=lang, n=pos + 1)


def _is_csv(source: Any) -> bool:
    return source is not None and Path(str(source)).suffix.lower() in _CSV_SUFFIXES


def _name(source: Any) -> str:
    return str(source) if source is not None else "capa"
