"""Dated layers as they stood at the end of past years (:func:`layer_history`).

A concession claimed in 2021 was not there in 2019: the model pairs each inspection with the
layers of its year, so a dated layer is rebuilt year by year from its features' years, a
raster's year values or bands, or a table's years.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import columns as C
from geo.config import MISSING_NAN, MISSING_ZERO, RASTER_MEASURES, LayerSpec
from geo.errors import DataError
from geo.geography.checks import _check_districts, _name, _ubigeo_index
from geo.geography.io import Notice
from geo.geography.layers.aggregation import (
    _counted_in_chunks,
    _is_table,
    _measure_features,
    _measure_table,
)
from geo.geography.layers.reading import _read_layers, _read_matched
from geo.geography.layers.tables import _combine, _value_matrix
from geo.geography.rasters import raster_measure
from geo.messages import Message

__all__ = ["HISTORY_YEARS", "layer_history"]


#: How many years back :func:`layer_history` rebuilds a dated layer (a record older than
#: that is paired with the oldest state kept).
HISTORY_YEARS = 20


def layer_history(spec: LayerSpec, districts: gpd.GeoDataFrame,
                  renamed: pd.DataFrame | None = None, names: pd.DataFrame | None = None,
                  until: int | None = None, client: Any = None) -> pd.DataFrame:
    """Return a dated layer as it stood at the end of past years: a column per year it changed.

    A concession claimed in 2021 was not there in 2019; forest lost in 2022 was standing in
    2020. The model pairs each inspection with the layers *of its year* and scores today
    with today's (:mod:`models.risk.score`), so a district where a frontier opened is not judged
    by records made before it, and a backtest year never sees a later layer.

    * vector features and table rows with ``year_column`` (a year, or a date such as
      INGEMMET's ``FEC_DENU``): the state at the end of year ``Y`` counts those that began
      in ``Y`` or before; one without a year counts in every year (and is reported);
    * a raster with ``years`` (values are years, e.g. Hansen's loss year): the state at
      ``Y`` counts the pixels of ``years`` up to ``Y``;
    * a raster with one band per year and ``band_first_year`` (MapBiomas: band 1 is 1985):
      the state at ``Y`` is the band of ``Y``, up to today's ``band``;
    * a table with years (a ``{year}`` pattern, or a panel with ``panel_year``): the state
      at ``Y`` is the same ``combine`` over a window as long as the layer's years, ending at
      ``Y`` (a 2020–2024 sum is, in 2018, the 2014–2018 sum; a single ``year``, the value of
      ``Y``), for each ``Y`` whose window the file holds, up to the layer's end year. A
      district without a value stays NaN (unless ``missing = "zero"``).

    Columns: the year before the kept span (``until - HISTORY_YEARS``, the state of every
    earlier year too) and each year of the span in which something began (a table: each
    year of the span the data allows). The state at a year between two columns is the
    earlier column's.

    Returns
    -------
    DataFrame
        Index ``ubigeo``, integer year columns, float values; ``attrs["notices"]``.

    Raises
    ------
    DataError
        A year the column cannot be read as (naming file, row and value), or a layer whose
        past cannot be rebuilt (a point file counted in chunks).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point, box
    >>> from geo.config import LayerSpec
    >>> d = gpd.GeoDataFrame({"ubigeo": ["080101"]}, geometry=[box(0, 0, 1, 1)], crs=4326)
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "dragas.geojson"
    >>> gpd.GeoDataFrame({"anio": [2019, 2021, 2021]}, crs=4326,
    ...     geometry=[Point(.5, .5)] * 3).to_file(f)
    >>> spec = LayerSpec("dragas", "mineria", f, "count", year_column="anio")
    >>> layer_history(spec, d, until=2025).loc["080101"].to_dict()
    {2005: 0.0, 2019: 1.0, 2021: 3.0}
    """
    _check_districts(districts)
    until = dt.date.today().year if until is None else int(until)
    first = until - HISTORY_YEARS
    notices: list[Notice] = []
    if spec.measure in RASTER_MEASURES and spec.band_first_year is not None:
        start = int(spec.band_first_year)
        last = min(until, start + spec.band - 1)  # today's band is the newest state
        cols = {}
        for year in range(max(start, first), last + 1):
            cols[year] = raster_measure(spec.path, districts, spec.measure,
                                        classes=spec.classes, years=spec.years,
                                        year_base=spec.year_base, band=year - start + 1,
                                        client=client, none_ok=True)
        out = pd.DataFrame(cols)
    elif spec.measure in RASTER_MEASURES:
        if spec.years is None:
            raise DataError("geografia.capa_no_tiene_anos", name=spec.name)
        start, stop = spec.years
        cols = {first: pd.Series(0.0, index=_ubigeo_index(districts))} if first < start \
            else {}
        for year in range(max(start, first), min(stop, until) + 1):
            cols[year] = raster_measure(spec.path, districts, spec.measure,
                                        classes=spec.classes, years=(start, year),
                                        year_base=spec.year_base, band=spec.band,
                                        client=client, none_ok=True)
        out = pd.DataFrame(cols)
    elif spec.is_table_value and (spec.year_pattern or spec.panel_year):
        table = _read_matched(spec, districts, names, renamed)[0]
        out = _table_history(spec, table, districts, until, first)
    else:
        if _counted_in_chunks(spec):
            raise DataError("geografia.capa_year_column_no", name=spec.name)
        tabular = _is_table(spec)
        items = _read_matched(spec, districts, names, renamed)[0] if tabular \
            else _read_layers(spec)
        years = _item_years(items, spec)
        undated = int(np.isnan(years).sum())
        if undated:
            notices.append(Notice("geografia.elemento_sin_ano_cuentan", undated=undated,
                                  year_column=spec.year_column))
        # undated: in every year; dated after ``until`` (a typo, a claim dated ahead): in
        # today's state like in today's column, so the newest state is today's
        began = np.minimum(np.where(np.isnan(years), -np.inf, years), until)
        marks = [first] + sorted({int(y) for y in began[np.isfinite(began)]
                                  if first < y <= until})
        cols = {}
        for year in marks:
            subset = items[began <= year]
            if len(subset) == 0:  # nothing yet: none there, or no value for a table
                cols[year] = pd.Series(np.nan if spec.missing == MISSING_NAN else 0.0,
                                       index=_ubigeo_index(districts))
            elif tabular:
                cols[year] = _measure_table(spec, subset, districts)
            else:
                cols[year] = _measure_features(spec, subset, districts)
        out = pd.DataFrame(cols)
    out = out.astype(float).reindex(_ubigeo_index(districts))
    if spec.missing == MISSING_ZERO:  # a table's district without a value stays empty
        out = out.fillna(0.0)
    out.index.name = C.UBIGEO
    out.attrs["notices"] = notices
    return out


def _item_years(items: pd.DataFrame, spec: LayerSpec) -> np.ndarray:
    """Return the year each feature or row began (NaN without one), from ``year_column``.

    A Date or DateTime field (a shapefile's ``FEC_DENU``, a GeoPackage date), a year (2021,
    "2021", 2021.0), or a date as text (ISO, or day first as Peruvian sources write it:
    15/03/2021). A bad value is named by file and line (tables) or feature (vector files).
    """
    column = spec.year_column
    if column not in items.columns:
        raise DataError("geografia.capa_no_tiene_columna", name=_name(spec.path),
                        spec_name=spec.name, column=column,
                        columns=', '.join(map(str, items.columns[:20])))
    raw = items[column]
    if pd.api.types.is_datetime64_any_dtype(raw):  # a real Date/DateTime field
        year = raw.dt.year.astype(float)
        blank = raw.isna()
    else:
        numeric = pd.to_numeric(raw, errors="coerce")
        year = np.floor(numeric)  # a year as a number (2021.0 is 2021)
        text = raw.notna() & numeric.isna()
        if text.any():
            values = raw[text].astype(str).str.strip()
            iso = pd.to_datetime(values, errors="coerce", format="ISO8601", utc=True)
            # day first, as Peruvian sources write dates (12/05/1998)
            other = pd.to_datetime(values[iso.isna()], errors="coerce", dayfirst=True,
                                   format="mixed", utc=True)
            year[text] = iso.fillna(other).dt.year.astype(float)
        blank = raw.isna() | raw.astype(str).str.strip().isin(["", "nan", "NaT", "None"])
    bad = ~blank & (year.isna() | (year < 1800) | (year > 2200))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        row = items.iloc[i]
        if "_linea" in items.columns:  # a table: its file and line
            where = Message("geografia.historia.archivo_linea",
                            {"file": Path(str(row["_archivo"])).name,
                             "line": int(row["_linea"])})
        else:  # vector features (_read_layers): their file and position in it
            name, n = Path(str(row["_archivo"])).name, int(row["_objeto"])
            after = Message("geografia.historia.tras_filtro_where") if spec.where else ""
            where = Message("geografia.historia.archivo_objeto",
                            {"file": name, "n": n, "after": after})
        raise DataError("geografia.historia.no_es_anio_ni_fecha", where=where, column=column,
                        value=repr(raw.iloc[i]), n=int(bad.sum()))
    return year.where(~blank).to_numpy(dtype=float)


def _table_history(spec: LayerSpec, table: pd.DataFrame, districts: gpd.GeoDataFrame,
                   until: int, first: int) -> pd.DataFrame:
    """Rebuild a table layer with years as it stood at the end of each year the data allows.

    The state at ``Y`` is the same ``combine`` over a window as long as the layer's years,
    ending at ``Y`` (a 2020–2024 sum is, in 2018, the 2014–2018 sum); only windows whose
    years are all in the file, ``Y`` from ``first`` up to the layer's end year (or
    ``until``, if earlier). The end year's state is today's column.
    """
    start, end = spec.table_years or (until, until)
    length = end - start + 1
    matrix = _value_matrix(spec, table, None, spec.path)
    have = {int(y) for y in matrix.columns}
    index = _ubigeo_index(districts)
    last = min(end, until)
    cols = {}
    for year in range(min(first, last), last + 1):  # the end state even before ``first``
        window = list(range(year - length + 1, year + 1))
        if not set(window) <= have:
            continue
        cols[year] = _combine(matrix[window], spec.combine).reindex(index)
    out = pd.DataFrame(cols, index=index, dtype=float)
    return out.fillna(0.0) if spec.missing == MISSING_ZERO else out
