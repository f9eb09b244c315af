"""Sector layers -> one number per district.

A sector layer (mining concessions, logging camps, a table of coca hectares…) is declared
in the settings file as a :class:`geo.config.LayerSpec`; :func:`aggregate` turns it into one
float per district, indexed by ``ubigeo``, with the measure the spec names:

``area_share``
    share of the district's area covered by the layer's polygons. Overlapping polygons are
    dissolved first, so a hectare covered twice counts once. Areas are computed in an
    equal-area CRS (:data:`EQUAL_AREA_CRS`), never in degrees or UTM.
``count``
    number of features in the district; a polygon or a line is placed by its
    representative point (a point guaranteed to lie on it), so it is counted once.
``density``
    ``count`` per km² (``per = "km2"``) or per 1,000 inhabitants (``per = "poblacion"``).
``sum``, ``mean``
    of ``spec.column`` over the features in the district (placed as for ``count``).
``value``
    ``spec.column`` of a table keyed by ubigeo (CSV or any file GDAL reads), as downloaded;
    several columns (a list) or one per year (``"{year}_ha"`` with ``years``), or the rows
    of some years of a long district × year panel (``panel_year``), combined by
    ``spec.combine`` (``sum``, ``mean``, ``last``).

Districts where there is nothing to aggregate get 0 — a layer of features, a count, a
raster covers the whole region. A table is different: a district it does not list (or
leaves empty) has **no value**, NaN, unless the layer says ``missing = "zero"`` and why.
What a user should know but is not an error (features outside every district, codes of a
table that name no district, districts without a value) is returned as
:class:`geo.geography.io.Notice` objects in ``series.attrs["notices"]``.

Point-in-polygon rule (:func:`locate_points`, :func:`count_points`): a point belongs to a
district when it lies in its interior *or on its boundary*; a point on a boundary shared by
several districts (or in a sliver where two source polygons overlap) goes to the first of
them in the row order of ``districts``, so every point is counted at most once. Points
outside every district are not counted.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import Point, box
>>> districts = gpd.GeoDataFrame(
...     {"ubigeo": ["080101", "080102"]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)],
...     crs="EPSG:4326")
>>> count_points(gpd.GeoSeries([Point(0.5, 0.5), Point(1, 0.5), Point(5, 5)],
...                            crs="EPSG:4326"), districts)
array([2, 0])
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import columns as C
from geo.config import MEASURES, MISSING_NAN, MISSING_ZERO, RASTER_MEASURES, YEAR_FIELD, LayerSpec
from geo.errors import DataError
from geo.geography.chunks import is_point_file
from geo.geography.io import Notice, read_vector
from geo.geography.rasters import raster_measure

__all__ = [
    "EQUAL_AREA_CRS",
    "HISTORY_YEARS",
    "aggregate",
    "area_share",
    "column_stat",
    "count_features",
    "count_points",
    "density",
    "district_area_km2",
    "layer_history",
    "locate_points",
    "read_layer",
    "read_table",
    "value_by_ubigeo",
]

#: World Cylindrical Equal Area (NSIDC EASE-Grid 2.0): exact areas at Peru's latitudes,
#: unlike UTM 18S (off by ~0.8 % at the country's edges) or degrees (meaningless).
EQUAL_AREA_CRS = "EPSG:6933"

#: Column of the demo layers that marks simulated features.
SIMULADO = "simulado"

_POLYGON_TYPES = (3, 6)  # shapely type ids of Polygon, MultiPolygon
_POINT_TYPES = (0,)  # Point
_CSV_SUFFIXES = (".csv", ".txt", ".tsv")
#: Columns the readers add to name a row in errors: its file, its line (tables) or position.
_OWN_COLUMNS = ("_archivo", "_linea", "_objeto")


# ---------------------------------------------------------------------------------------
# The entry point


def aggregate(spec: LayerSpec, districts: gpd.GeoDataFrame,
              renamed: pd.DataFrame | None = None,
              names: pd.DataFrame | None = None, client: Any = None) -> pd.Series:
    """Aggregate one sector layer into the districts.

    Parameters
    ----------
    spec : LayerSpec
        The layer as declared in the settings file (``path``, ``layer``, ``measure``,
        ``column``, ``per``).
    districts : GeoDataFrame
        The districts, with ``ubigeo`` and geometry (EPSG:4326 as ``geo.geography.base`` stores
        them); ``poblacion`` for ``per = "poblacion"``; ``area_km2`` is used for densities
        when present.
    renamed : DataFrame, optional
        Old district names that changed (:func:`geo.geography.base.read_renamed`), for ``match``.
    names : DataFrame, optional
        ``ubigeo, distrito, provincia, departamento`` of every district of Peru, for
        ``match``: a row naming a district outside ``districts`` is counted as another
        department's, not as unmatched (default: ``districts`` themselves).
    client : dask.distributed.Client, optional
        Count point files (GeoParquet, large CSV) and rasters on this cluster's workers.

    Returns
    -------
    pandas.Series
        Float, one value per district, indexed by ``ubigeo`` and named ``spec.name``; 0
        where a layer of features, a count or a raster has nothing; NaN where a table
        (``measure = "value"``) has no value, unless its ``missing`` is ``"zero"``.
        ``attrs["sin_dato"]`` counts the districts the source gives no value (before
        ``missing`` fills them). ``attrs["unmatched"]`` counts the rows of a
        name-keyed table that matched no district (each also a notice naming file, line,
        names and the closest district names). ``attrs["notices"]`` holds a list of
        :class:`geo.geography.io.Notice` (what the reader changed, features outside every district,
        unknown codes…), ``attrs["n_features"]`` the number of features (or table rows)
        read and ``attrs["simulated"]`` whether the layer is simulated (``spec.simulated``
        or a true ``simulado`` column).

    Raises
    ------
    DataError
        For a file that cannot be read, a missing CRS or a CRS different from the
        districts', a ``column`` the file lacks, or a non-numeric value in it.
    """
    _check_districts(districts)
    if spec.measure not in MEASURES:
        raise DataError(
            es=f"La capa '{spec.name}' tiene measure = {spec.measure!r}, que no existe. Use una "
            f"de: {', '.join(MEASURES)}.",
            en=f"Layer '{spec.name}' has measure = {spec.measure!r}, which does not exist. Use "
            f"one of: {', '.join(MEASURES)}.",
        )
    read_notices: list[Notice] = []
    unmatched: list = []
    if spec.measure in RASTER_MEASURES:
        if len(spec.files) > 1:
            raise DataError(
                es=f"La capa '{spec.name}' es un ráster: indique un solo archivo. Para varios "
                "mosaicos, únalos en un .vrt ('gdalbuildvrt capa.vrt *.tif') y use ese.",
                en=f"Layer '{spec.name}' is a raster: give one file. For several tiles, join "
                "them in a .vrt ('gdalbuildvrt layer.vrt *.tif') and use that.",
            )
        result = raster_measure(spec.path, districts, spec.measure, classes=spec.classes,
                                years=spec.years, year_base=spec.year_base, band=spec.band,
                                client=client)
        n_items = _raster_pixels(spec.path)
        simulated = spec.simulated
    elif _counted_in_chunks(spec):
        # millions of points (alerts): counted chunk by chunk, on a cluster if there is one
        counts, n_items, outside = _count_point_files(spec, districts, client)
        result = counts if spec.measure == "count" else density(counts, districts,
                                                                 per=spec.per or "km2")
        if outside:
            read_notices.append(Notice(
                es=f"{outside} punto(s) de {_name(spec.path)} caen fuera de los distritos: no "
                "se cuentan.",
                en=f"{outside} point(s) of {_name(spec.path)} fall outside the districts: not "
                "counted."))
        simulated = spec.simulated
    elif _is_table(spec):
        table, unmatched = _read_matched(spec, districts, names, renamed)
        result = _measure_table(spec, table, districts)
        n_items = len(table) + len(unmatched)
        simulated = spec.simulated or _flag(table)
    else:
        features = _read_layers(spec)
        n_items = len(features)
        simulated = spec.simulated or _flag(features)
        read_notices = list(features.attrs.get("notices", []))
        result = _measure_features(spec, features, districts)
    out = result.astype(float).rename(spec.name)
    out.attrs = {
        "notices": read_notices + list(result.attrs.get("notices", []))
        + [Notice(es=u.describe(_name(u_source), "es"), en=u.describe(_name(u_source), "en"))
           for u, u_source in unmatched],
        "n_features": int(n_items),
        "simulated": bool(simulated),
        "unmatched": len(unmatched),
        # districts the source gives no value: a table's (even where missing = "zero" then
        # gives them 0), or an empty density (a district without population)
        "sin_dato": int(result.attrs.get("sin_dato", int(out.isna().sum()))),
    }
    return out


def _counted_in_chunks(spec: LayerSpec) -> bool:
    """Whether the layer is points counted chunk by chunk (GeoParquet, large CSV)."""
    return spec.measure in ("count", "density") and any(is_point_file(f) for f in spec.files)


def _is_table(spec: LayerSpec) -> bool:
    """Whether the layer is rows keyed by UBIGEO or by district names, not geometries."""
    return spec.measure == "value" or bool(spec.match)


def _read_matched(spec: LayerSpec, districts: gpd.GeoDataFrame, names: pd.DataFrame | None,
                  renamed: pd.DataFrame | None) -> tuple[pd.DataFrame, list]:
    """Read a table layer's rows with their ``ubigeo`` (by name with ``match``); the unmatched."""
    table, unmatched = _read_tables(spec), []
    if spec.match:
        table, unmatched = _match_names(table, spec, districts if names is None else names,
                                        renamed)
    return table, unmatched


def _measure_table(spec: LayerSpec, table: pd.DataFrame, districts: gpd.GeoDataFrame
                   ) -> pd.Series:
    """``spec``'s measure of a table keyed by ``ubigeo`` (rows already matched)."""
    if spec.measure == "value":
        return _table_value(spec, table, districts, spec.path)
    if spec.measure != "count":
        _require_column(table, spec.column, spec.path)
    return table_stat(table, districts, spec.column, how=spec.measure, source=spec.path)


def _measure_features(spec: LayerSpec, features: gpd.GeoDataFrame,
                      districts: gpd.GeoDataFrame) -> pd.Series:
    """``spec``'s measure of vector features (areas, counts, densities, column stats)."""
    if spec.measure == "area_share":
        return area_share(features, districts, source=spec.path)
    if spec.measure == "count":
        return count_features(features, districts, source=spec.path)
    if spec.measure == "density":
        return density(count_features(features, districts, source=spec.path), districts,
                       per=spec.per or "km2")
    _require_column(features, spec.column, spec.path)
    return column_stat(features, districts, spec.column, how=spec.measure, source=spec.path)


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
    import datetime as dt

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
            raise DataError(
                es=f"La capa '{spec.name}' no tiene años (years): su pasado no se puede "
                "reconstruir.", en=f"Layer '{spec.name}' has no years: its past cannot be "
                "rebuilt.")
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
            raise DataError(
                es=f"La capa '{spec.name}': year_column no se admite en archivos de puntos que "
                "se cuentan por tramos (GeoParquet, CSV grande). Filtre los años con 'where'.",
                en=f"Layer '{spec.name}': year_column is not supported for point files "
                "counted in chunks (GeoParquet, large CSV). Filter the years with 'where'.")
        tabular = _is_table(spec)
        items = _read_matched(spec, districts, names, renamed)[0] if tabular \
            else _read_layers(spec)
        years = _item_years(items, spec)
        undated = int(np.isnan(years).sum())
        if undated:
            notices.append(Notice(
                es=f"{undated} elemento(s) sin año en '{spec.year_column}': se cuentan en "
                "todos los años.",
                en=f"{undated} feature(s) without a year in '{spec.year_column}': counted in "
                "every year."))
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
        raise DataError(
            es=f"{_name(spec.path)}: la capa '{spec.name}' no tiene la columna '{column}' "
            f"(year_column). Columnas: {', '.join(map(str, items.columns[:20]))}.",
            en=f"{_name(spec.path)}: layer '{spec.name}' has no column '{column}' "
            f"(year_column). Columns: {', '.join(map(str, items.columns[:20]))}.")
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
            where_es = f"{Path(str(row['_archivo'])).name}, línea {int(row['_linea'])}"
            where_en = f"{Path(str(row['_archivo'])).name}, line {int(row['_linea'])}"
        else:  # vector features (_read_layers): their file and position in it
            name, n = Path(str(row["_archivo"])).name, int(row["_objeto"])
            after = " (tras el filtro where)" if spec.where else ""
            after_en = " (after the where filter)" if spec.where else ""
            where_es, where_en = f"{name}, objeto {n}{after}", f"{name}, feature {n}{after_en}"
        raise DataError(
            es=f"{where_es}: '{column}' = {raw.iloc[i]!r} no es un año ni una fecha "
            f"({int(bad.sum())} valor(es) así). Use un año (2021) o una fecha (2021-03-15 o "
            "15/03/2021), o deje la celda vacía.",
            en=f"{where_en}: '{column}' = {raw.iloc[i]!r} is neither a year nor a date "
            f"({int(bad.sum())} such value(s)). Use a year (2021) or a date (2021-03-15 or "
            "15/03/2021), or leave the cell empty.")
    return year.where(~blank).to_numpy(dtype=float)


def _count_point_files(spec: LayerSpec, districts: gpd.GeoDataFrame, client: Any
                       ) -> tuple[pd.Series, int, int]:
    """Count per district over every file of a point layer, read in chunks."""
    from geo.geography.chunks import count_point_file

    total = pd.Series(0.0, index=_ubigeo_index(districts))
    points = outside = 0
    for f in spec.files:
        part = count_point_file(f, districts, where=spec.where, client=client)
        total = total.add(part.counts.reindex(total.index, fill_value=0.0))
        points += part.points
        outside += part.outside
    total.index.name = C.UBIGEO
    return total, points, outside


def _read_layers(spec: LayerSpec) -> gpd.GeoDataFrame:
    """Every file of a vector layer (each in its own CRS, all read to EPSG:4326), filtered."""
    several = len(spec.files) > 1
    frames = [read_vector(Path(f), layer=spec.layer, where=spec.where,
                          none_matching_ok=several) for f in spec.files]
    # each feature's file and position in it, to name it in an error
    frames = [frame.assign(_archivo=str(f), _objeto=np.arange(len(frame)) + 1)
              for f, frame in zip(spec.files, frames, strict=True)]
    if not several:
        return frames[0]
    if not any(len(frame) for frame in frames):
        raise DataError(
            es=f"La capa '{spec.name}': ningún objeto de {', '.join(f.name for f in spec.files)}"
            f" cumple where = \"{spec.where}\". Revise el filtro y los valores de la columna.",
            en=f"Layer '{spec.name}': no feature of {', '.join(f.name for f in spec.files)} "
            f"matches where = \"{spec.where}\". Check the filter and the column's values.",
        )
    kinds = {f.name: _kind(frame) for f, frame in zip(spec.files, frames, strict=True)
             if len(frame)}
    if len(set(kinds.values())) > 1:
        listed = ", ".join(f"{name}: {kind}" for name, kind in kinds.items())
        raise DataError(
            es=f"La capa '{spec.name}' mezcla tipos de geometría entre archivos ({listed}). "
            "Declare una capa por tipo.",
            en=f"Layer '{spec.name}' mixes geometry types across files ({listed}). Declare "
            "one layer per type.",
        )
    frames = [frame for frame in frames if len(frame)]
    out = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)
    out.attrs["notices"] = [n for frame in frames for n in frame.attrs.get("notices", [])]
    return out


def _kind(gdf: gpd.GeoDataFrame) -> str:
    types = set(gdf.geom_type.dropna().str.replace("Multi", "", regex=False))
    return "/".join(sorted(types)) or "?"


def _read_tables(spec: LayerSpec) -> pd.DataFrame:
    """Every file of a table layer, filtered by ``where`` (rows keep their file and line)."""
    frames = []
    for f in spec.files:
        table = read_table(f, spec.layer)
        table = table.assign(_archivo=str(f), _linea=np.arange(len(table)) + 2)
        if spec.where:
            from geo.geography.io import filter_where

            table = filter_where(table, spec.where, Path(f))
        frames.append(table)
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def _match_names(table: pd.DataFrame, spec: LayerSpec, districts: pd.DataFrame,
                 renamed: pd.DataFrame | None) -> tuple[pd.DataFrame, list]:
    """Add ``ubigeo`` from the name columns; return the matched rows and the unmatched."""
    from geo.geography.names import match_districts

    missing = [c for c in (C.DISTRITO, C.PROVINCIA, C.DEPARTAMENTO) if c not in districts]
    if missing:
        raise DataError(
            es=f"La capa '{spec.name}' usa match, que necesita los nombres de los distritos "
            f"(faltan {', '.join(missing)} en la tabla de distritos).",
            en=f"Layer '{spec.name}' uses match, which needs the districts' names "
            f"({', '.join(missing)} missing from the district table).",
        )
    codes: list = []
    unmatched: list = []
    for source, part in table.groupby("_archivo", sort=False):
        found = match_districts(part, spec.match or {}, districts, source=source,
                                first_line=int(part["_linea"].iloc[0]), renamed=renamed)
        codes.extend(zip(part.index, found.ubigeo, strict=True))
        unmatched.extend((u, source) for u in found.unmatched)
    ubigeo = pd.Series(dict(codes)).reindex(table.index)
    matched = table.assign(**{C.UBIGEO: ubigeo})
    return matched[ubigeo.notna()].reset_index(drop=True), unmatched


def table_stat(table: pd.DataFrame, districts: gpd.GeoDataFrame, column: str | None,
               how: str, source: Any = None) -> pd.Series:
    """Count the rows, or sum or average ``column``, per district of a table with ubigeo.

    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> d = gpd.GeoDataFrame({"ubigeo": ["080101", "080102"]},
    ...                      geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=4326)
    >>> t = pd.DataFrame({"ubigeo": ["080101", "080101"], "ha": ["2.5", "1"]})
    >>> table_stat(t, d, None, "count").tolist(), table_stat(t, d, "ha", "sum").tolist()
    ([2.0, 0.0], [3.5, 0.0])
    """
    index = _ubigeo_index(districts)
    codes = table[C.UBIGEO].astype(str).str.zfill(6)
    if how == "count":
        out = codes.value_counts().reindex(index, fill_value=0).astype(float)
    else:
        values = pd.Series(_numeric(table[column], column, source, rows=table),
                           index=table.index)
        grouped = values.groupby(codes.to_numpy())
        out = (grouped.sum() if how == "sum" else grouped.mean()).reindex(index)
        out = out.fillna(0.0).astype(float)
    out.index.name = C.UBIGEO
    return out


def _raster_pixels(path: Path) -> int:
    import rasterio

    with rasterio.open(path) as ds:
        return int(ds.width) * int(ds.height)


# ---------------------------------------------------------------------------------------
# Measures on GeoDataFrames (no file reading)


def area_share(
    features: gpd.GeoDataFrame | gpd.GeoSeries,
    districts: gpd.GeoDataFrame,
    source: str | Path | None = None,
) -> pd.Series:
    """Compute the share of each district's area covered by the polygons of ``features``.

    Overlapping polygons are dissolved first (``union_all``), so ground covered twice
    counts once; areas are computed in :data:`EQUAL_AREA_CRS`. Points and lines of the
    layer are ignored (they have no area); a layer with no polygon at all is an error.

    Parameters
    ----------
    features : GeoDataFrame or GeoSeries
        The layer, in the same CRS as ``districts`` (nothing is reprojected silently).
    districts : GeoDataFrame
        With ``ubigeo`` and polygon geometry.
    source : str or Path, optional
        The layer's file, named in errors.

    Returns
    -------
    pandas.Series
        Between 0 and 1, indexed by ``ubigeo``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> d = gpd.GeoDataFrame({"ubigeo": ["080101"]}, geometry=[box(0, 0, 1000, 1000)],
    ...                      crs="EPSG:6933")
    >>> f = gpd.GeoSeries([box(0, 0, 500, 1000), box(0, 0, 500, 500)], crs="EPSG:6933")
    >>> area_share(f, d).round(6).tolist()
    [0.5]
    """
    geoms = _geometry(features)
    _check_same_crs(geoms, districts, source)
    index = _ubigeo_index(districts)
    covered = np.zeros(len(districts))
    parts = shapely.get_parts(np.asarray(geoms.values, dtype=object))
    parts = parts[np.isin(shapely.get_type_id(parts), _POLYGON_TYPES) & ~shapely.is_empty(parts)]
    if len(parts) == 0:
        if len(geoms.dropna()) and not geoms.is_empty.all():
            kinds = ", ".join(sorted(set(geoms.dropna().geom_type)))
            raise DataError(
                es=f"{_name(source)}: measure = 'area_share' necesita polígonos, pero la capa "
                f"solo tiene {kinds}. Use measure = 'count' o 'density' para puntos.",
                en=f"{_name(source)}: measure = 'area_share' needs polygons, but the layer "
                f"only has {kinds}. Use measure = 'count' or 'density' for points.",
            )
        return pd.Series(covered, index=index, dtype=float)
    parts_ea = gpd.GeoSeries(parts, crs=geoms.crs).to_crs(EQUAL_AREA_CRS).values
    dist_ea = np.asarray(districts.geometry.to_crs(EQUAL_AREA_CRS).values, dtype=object)
    # Dissolve, then split the union into its disjoint pieces: the pieces do not overlap,
    # so the areas of their intersections with a district simply add up.
    pieces = shapely.get_parts(shapely.union_all(np.asarray(parts_ea, dtype=object)))
    tree = shapely.STRtree(pieces)
    d_idx, p_idx = tree.query(dist_ea, predicate="intersects")
    if len(d_idx):
        areas = shapely.area(shapely.intersection(dist_ea[d_idx], pieces[p_idx]))
        covered = np.bincount(d_idx, weights=areas, minlength=len(districts))
    total = shapely.area(dist_ea)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total > 0, covered / total, 0.0)
    return pd.Series(np.clip(share, 0.0, 1.0), index=index, dtype=float)


def count_features(
    features: gpd.GeoDataFrame | gpd.GeoSeries,
    districts: gpd.GeoDataFrame,
    source: str | Path | None = None,
) -> pd.Series:
    """Count the features in each district, a polygon or line by its representative point.

    Parameters
    ----------
    features : GeoDataFrame or GeoSeries
        Any geometry type, in the same CRS as ``districts``.
    districts : GeoDataFrame
        With ``ubigeo`` and polygon geometry.
    source : str or Path, optional
        The layer's file, named in errors and notices.

    Returns
    -------
    pandas.Series
        Counts as floats, indexed by ``ubigeo``. ``attrs["notices"]`` says how many features
        fell outside every district.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> d = gpd.GeoDataFrame({"ubigeo": ["080101", "080102"]},
    ...                      geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs="EPSG:4326")
    >>> f = gpd.GeoSeries([box(0.1, 0.1, 0.3, 0.3), box(0.8, 0.1, 1.9, 0.2)], crs="EPSG:4326")
    >>> count_features(f, d).tolist()
    [1.0, 1.0]
    """
    where = _locate_features(features, districts, source)
    counts = np.bincount(where[where >= 0], minlength=len(districts)).astype(float)
    out = pd.Series(counts, index=_ubigeo_index(districts), dtype=float)
    out.attrs["notices"] = _outside_notice(where, source)
    return out


def density(counts: pd.Series, districts: gpd.GeoDataFrame, per: str = "km2") -> pd.Series:
    """Divide counts by the district's area (per km²) or population (per 1,000 inhabitants).

    Parameters
    ----------
    counts : pandas.Series
        Indexed by ``ubigeo``, as :func:`count_features` returns.
    districts : GeoDataFrame
        With ``ubigeo``; ``area_km2`` (or geometry) for ``per="km2"``, ``poblacion`` for
        ``per="poblacion"``.
    per : {"km2", "poblacion"}

    Returns
    -------
    pandas.Series
        Indexed by ``ubigeo``. NaN (with a notice) where the population is missing or 0.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> d = gpd.GeoDataFrame({"ubigeo": ["080101"], "area_km2": [4.0], "poblacion": [2000]},
    ...                      geometry=[None], crs="EPSG:4326")
    >>> counts = pd.Series([2.0], index=pd.Index(["080101"], name="ubigeo"))
    >>> density(counts, d).tolist(), density(counts, d, per="poblacion").tolist()
    ([0.5], [1.0])
    """
    index = _ubigeo_index(districts)
    counts = counts.reindex(index).fillna(0.0).astype(float)
    notices: list[Notice] = []
    if per == "km2":
        denom = district_area_km2(districts).to_numpy(dtype=float)
        scale = 1.0
    elif per == "poblacion":
        if C.POBLACION not in districts.columns:
            raise DataError(
                es=f"La densidad por población necesita la columna '{C.POBLACION}' en los "
                "distritos, y no está. Use per = 'km2' o reconstruya la base con "
                "'riskmap data fetch'.",
                en=f"Density per population needs the column '{C.POBLACION}' in the districts, "
                "and it is missing. Use per = 'km2' or rebuild the base with "
                "'riskmap data fetch'.",
            )
        denom = pd.to_numeric(districts[C.POBLACION], errors="coerce").to_numpy(dtype=float)
        scale = 1000.0
    else:
        raise DataError(
            es=f"per = {per!r} no existe; use 'km2' o 'poblacion'.",
            en=f"per = {per!r} does not exist; use 'km2' or 'poblacion'.",
        )
    bad = ~(denom > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.where(bad, np.nan, counts.to_numpy() * scale / denom)
    if bad.any():
        codes = ", ".join(index[bad][:10])
        notices.append(Notice(
            es=f"{int(bad.sum())} distrito(s) sin {per} válido(s) ({codes}): densidad vacía.",
            en=f"{int(bad.sum())} district(s) without a valid {per} ({codes}): density left "
            "empty.",
        ))
    out = pd.Series(values, index=index, dtype=float)
    out.attrs["notices"] = list(counts.attrs.get("notices", [])) + notices
    return out


def column_stat(
    features: gpd.GeoDataFrame,
    districts: gpd.GeoDataFrame,
    column: str,
    how: str = "sum",
    source: str | Path | None = None,
) -> pd.Series:
    """Sum or average ``column`` over the features in each district.

    Features are placed as in :func:`count_features` (points by location, polygons by
    representative point). Empty cells are missing: left out of both the sum and the mean.

    Parameters
    ----------
    features : GeoDataFrame
        In the same CRS as ``districts``, with ``column``.
    districts : GeoDataFrame
        With ``ubigeo`` and polygon geometry.
    column : str
        Numeric column to aggregate.
    how : {"sum", "mean"}
    source : str or Path, optional
        The layer's file, named in errors.

    Returns
    -------
    pandas.Series
        Indexed by ``ubigeo``; 0 where the district has no feature with a value.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point, box
    >>> d = gpd.GeoDataFrame({"ubigeo": ["080101"]}, geometry=[box(0, 0, 1, 1)],
    ...                      crs="EPSG:4326")
    >>> f = gpd.GeoDataFrame({"ha": [2.0, 4.0]}, geometry=[Point(.2, .2), Point(.5, .5)],
    ...                      crs="EPSG:4326")
    >>> column_stat(f, d, "ha").tolist(), column_stat(f, d, "ha", how="mean").tolist()
    ([6.0], [3.0])
    """
    if how not in ("sum", "mean"):
        raise ValueError(f"how must be 'sum' or 'mean', got {how!r}")
    _require_column(features, column, source)
    values = _numeric(features[column], column, source)
    where = _locate_features(features, districts, source)
    keep = (where >= 0) & ~np.isnan(values)
    n = len(districts)
    total = np.bincount(where[keep], weights=values[keep], minlength=n)
    if how == "mean":
        count = np.bincount(where[keep], minlength=n)
        with np.errstate(divide="ignore", invalid="ignore"):
            total = np.where(count > 0, total / np.maximum(count, 1), 0.0)
    out = pd.Series(total, index=_ubigeo_index(districts), dtype=float)
    out.attrs["notices"] = _outside_notice(where, source)
    return out


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
    from geo.geography import ubigeo as U

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


# ---------------------------------------------------------------------------------------
# Fast point-in-polygon


def locate_points(
    points: gpd.GeoSeries | gpd.GeoDataFrame | np.ndarray | Sequence[Any],
    districts: gpd.GeoDataFrame | gpd.GeoSeries | np.ndarray,
) -> np.ndarray:
    """Find the row position of the district each point falls in (-1 when outside all).

    Parameters
    ----------
    points : GeoSeries, GeoDataFrame, array of shapely Points, ``(x, y)`` or an (n, 2) array
        Coordinates in the CRS of ``districts`` (checked when both carry a CRS). Empty or
        missing points are outside.
    districts : GeoDataFrame, GeoSeries or array of polygons

    Returns
    -------
    numpy.ndarray
        int64, one entry per point.

    Notes
    -----
    A point in the interior or on the boundary of a district belongs to it; when several
    districts qualify (a shared boundary, an overlap between source polygons) the first in
    row order wins, so each point is located once. This is what
    ``sjoin(predicate="intersects")`` followed by keeping the lowest ``index_right`` per
    point gives, without building a DataFrame: the points are sorted by x once, each
    district (prepared) tests only the points in its bounding box that are not yet placed,
    with :func:`shapely.intersects_xy`.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> locate_points(np.array([[0.5, 0.5], [1.0, 0.5], [3.0, 3.0]]),
    ...               np.array([box(0, 0, 1, 1), box(1, 0, 2, 1)]))
    array([ 0,  0, -1])
    """
    x, y = _xy(points)
    polys = _district_geometries(districts)
    if isinstance(points, gpd.GeoSeries | gpd.GeoDataFrame) and isinstance(
        districts, gpd.GeoSeries | gpd.GeoDataFrame
    ) and (points.crs is not None or districts.crs is not None):
        # bare geometries on both sides are the caller's business; one CRS is checked
        _check_same_crs(_geometry(points), districts, None)
    n = len(x)
    located = np.full(n, -1, dtype=np.int64)
    if n == 0 or len(polys) == 0:
        return located
    order = np.argsort(x, kind="stable")  # NaN (empty points) sorts last, never selected
    xs, ys = x[order], y[order]
    sorted_loc = np.full(n, -1, dtype=np.int64)
    valid = ~(shapely.is_missing(polys) | shapely.is_empty(polys))
    bounds = shapely.bounds(polys)
    shapely.prepare(polys[valid])
    for i in np.flatnonzero(valid):
        minx, miny, maxx, maxy = bounds[i]
        lo = np.searchsorted(xs, minx, side="left")
        hi = np.searchsorted(xs, maxx, side="right")
        if lo >= hi:
            continue
        window_y = ys[lo:hi]
        cand = np.flatnonzero(
            (window_y >= miny) & (window_y <= maxy) & (sorted_loc[lo:hi] < 0)
        ) + lo
        if len(cand) == 0:
            continue
        hit = shapely.intersects_xy(polys[i], xs[cand], ys[cand])
        sorted_loc[cand[hit]] = i
    located[order] = sorted_loc
    return located


def count_points(
    points: gpd.GeoSeries | gpd.GeoDataFrame | np.ndarray | Sequence[Any],
    districts: gpd.GeoDataFrame | gpd.GeoSeries | np.ndarray,
) -> np.ndarray:
    """Count the points in each district (int64, in the row order of ``districts``).

    Same rule as :func:`locate_points`: boundary points count once, in the first district
    that holds them; points outside all districts are not counted.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> count_points((np.array([0.5, 1.5, 1.0]), np.array([0.5, 0.5, 0.0])),
    ...              np.array([box(0, 0, 1, 1), box(1, 0, 2, 1)]))
    array([2, 1])
    """
    where = locate_points(points, districts)
    n = len(_district_geometries(districts))
    return np.bincount(where[where >= 0], minlength=n).astype(np.int64)


# ---------------------------------------------------------------------------------------
# Reading


def read_layer(path: str | Path, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a sector layer with :func:`geo.geography.io.read_vector` (EPSG:4326, CRS checked).

    What the reader changed (a reprojection, repaired polygons) is in
    ``attrs["notices"]``.
    """
    return read_vector(Path(path), layer=layer)


def read_table(path: str | Path, layer: str | None = None) -> pd.DataFrame:
    """Read a table: a CSV, an Excel sheet (``layer`` = its name) or any file GDAL reads.

    CSV files may be UTF-8 (with or without BOM) or Latin-1, comma- or semicolon-separated;
    a semicolon file whose numbers are written the Peruvian office way (``1.234,5``) is read
    as numbers. Geometry, if any, is ignored.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(
            es=f"No existe el archivo {path}. Corrija 'path' en la configuración.",
            en=f"File {path} does not exist. Fix 'path' in the settings.",
        )
    if path.suffix.lower() in _CSV_SUFFIXES:
        return _read_csv(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            table = pd.read_excel(path, sheet_name=layer or 0, engine="openpyxl")
            table.columns = [str(c) for c in table.columns]  # a year heading (2023) is text
            return table
        except Exception as err:  # noqa: BLE001 - openpyxl raises many types
            raise DataError(
                es=f"No se pudo leer {path}" + (f" (hoja '{layer}')" if layer else "")
                + f": {err}. Guárdelo de nuevo como .xlsx o expórtelo a CSV.",
                en=f"Could not read {path}" + (f" (sheet '{layer}')" if layer else "")
                + f": {err}. Save it again as .xlsx or export it to CSV.",
            ) from err
    import pyogrio

    try:
        table = pyogrio.read_dataframe(path, layer=layer, read_geometry=False)
    except Exception as err:  # noqa: BLE001 - GDAL raises many types; all mean "unreadable"
        raise DataError(
            es=f"No se pudo leer {path}" + (f" (capa '{layer}')" if layer else "")
            + f": {err}. Revise que sea una tabla CSV o un archivo que GDAL lea.",
            en=f"Could not read {path}" + (f" (layer '{layer}')" if layer else "")
            + f": {err}. Check that it is a CSV table or a file GDAL reads.",
        ) from err
    return pd.DataFrame(table)


def _read_csv(path: Path) -> pd.DataFrame:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "latin-1"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if not text.strip():
        raise DataError(
            es=f"{path} está vacío: se esperaba una tabla con una columna ubigeo.",
            en=f"{path} is empty: expected a table with a ubigeo column.",
        )
    first = text.splitlines()[0]
    try:
        sep = csv.Sniffer().sniff(first, delimiters=",;\t").delimiter
    except csv.Error:
        sep = ","
    office = sep == ";" and _decimal_comma(text)
    try:
        # default type inference on purpose: an all-digit key column becomes an integer,
        # which geo.geography.ubigeo pads when it lost its leading zero
        # (a 5-digit *text* is refused);
        # low_memory=False: one type per column, not one per chunk of rows
        if office:  # "1.234,5": thousands dots, a decimal comma, as Excel saves it in Peru
            return pd.read_csv(io.StringIO(text), sep=sep, decimal=",", thousands=".",
                               low_memory=False)
        return _thousands_commas(pd.read_csv(io.StringIO(text), sep=sep, low_memory=False))
    except (pd.errors.ParserError, ValueError) as err:
        raise DataError(
            es=f"{path} no es un CSV legible ({err}). Revise el separador y las comillas.",
            en=f"{path} is not a readable CSV ({err}). Check the separator and quotes.",
        ) from err


#: A number whose thousands are grouped with commas: ``2,403.72``, ``-1,000``.
_GROUPED = r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?"


def _thousands_commas(table: pd.DataFrame) -> pd.DataFrame:
    r"""Read ``"2,403.72"`` as 2403.72 in a CSV whose decimal mark is a point.

    There a comma in a number can only group thousands (GeoBosques quotes its large
    hectares so). Only cells grouped exactly so (1 to 3 digits, then groups of 3) change; a
    column whose cells are then all numbers becomes numeric, else the other cells stay as
    they are, for :func:`_numeric` to name.

    >>> t = pd.read_csv(io.StringIO('u,ha\n1,"2,403.72"\n2,5.5\n'))
    >>> _thousands_commas(t)["ha"].tolist()
    [2403.72, 5.5]
    """
    for col in table.columns:
        values = table[col]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            continue
        text = values.astype("string").str.strip()
        grouped = text.str.fullmatch(_GROUPED).fillna(False).astype(bool)
        if not grouped.any():
            continue
        text = text.where(~grouped, text.str.replace(",", "", regex=False))
        num = pd.to_numeric(text, errors="coerce")
        if (num.notna() | text.isna() | (text == "")).all():
            table[col] = num.to_numpy(dtype=float, na_value=np.nan)
        else:
            table[col] = text
    return table


_COMMA_NUMBER = re.compile(r"^-?\d{1,3}(\.\d{3})*,\d+$|^-?\d+,\d+$")
_DOT_DECIMAL = re.compile(r"^-?\d+\.\d+$")


def _decimal_comma(text: str) -> bool:
    r"""Whether a semicolon CSV clearly writes numbers with a decimal comma.

    Clearly: some cell is a number with a decimal comma (``2,5`` or ``1.234,5``) and no cell
    is a number with a decimal point that cannot be a thousands group (``2.5``).

    >>> _decimal_comma("a;b\n1.234,5;2\n3,25;4\n"), _decimal_comma("a;b\n2.5;1\n")
    (True, False)
    """
    cells = [c.strip().strip('"') for line in text.splitlines()[1:200] for c in line.split(";")]
    commas = any(_COMMA_NUMBER.match(c) for c in cells)
    dots = any(_DOT_DECIMAL.match(c) and not re.match(r"^-?\d{1,3}(\.\d{3})+$", c)
               for c in cells)
    return commas and not dots


# ---------------------------------------------------------------------------------------
# Helpers


def district_area_km2(districts: gpd.GeoDataFrame) -> pd.Series:
    """Return each district's area in km²: ``area_km2``, else computed in an equal-area CRS.

    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> d = gpd.GeoDataFrame({"ubigeo": ["1"]}, geometry=[box(0, 0, 2000, 1000)],
    ...                      crs="EPSG:6933")
    >>> district_area_km2(d).tolist()
    [2.0]
    """
    index = _ubigeo_index(districts)
    if C.AREA_KM2 in districts.columns:
        return pd.Series(pd.to_numeric(districts[C.AREA_KM2], errors="coerce").to_numpy(float),
                         index=index)
    if districts.crs is None:
        raise DataError(
            es="Los distritos no tienen CRS: no se puede calcular su área.",
            en="The districts have no CRS: their area cannot be computed.",
        )
    area = districts.geometry.to_crs(EQUAL_AREA_CRS).area.to_numpy() / 1e6
    return pd.Series(area, index=index)


def _check_districts(districts: gpd.GeoDataFrame) -> None:
    if not isinstance(districts, gpd.GeoDataFrame):
        raise TypeError(f"'districts' should be a GeoDataFrame, got {type(districts)}")
    if C.UBIGEO not in districts.columns:
        raise DataError(
            es=f"La tabla de distritos no tiene la columna '{C.UBIGEO}'.",
            en=f"The district table has no '{C.UBIGEO}' column.",
        )


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
        raise DataError(
            es=f"{_name(source)}: la capa no tiene sistema de coordenadas (CRS). Asigne uno "
            "(p. ej. EPSG:4326 o EPSG:32718) y vuelva a intentar.",
            en=f"{_name(source)}: the layer has no coordinate reference system (CRS). Assign "
            "one (e.g. EPSG:4326 or EPSG:32718) and try again.",
        )
    if districts.crs is None:
        raise DataError(
            es="Los distritos no tienen sistema de coordenadas (CRS); léalos con "
            "geo.geography.base.read_districts (EPSG:4326).",
            en="The districts have no coordinate reference system (CRS); read them with "
            "geo.geography.base.read_districts (EPSG:4326).",
        )
    if geoms.crs != districts.crs:
        raise DataError(
            es=f"{_name(source)}: la capa está en {geoms.crs.to_string()} y los distritos en "
            f"{districts.crs.to_string()}. riskmap no reproyecta en silencio: lea la capa con "
            "geo.geography.io.read_vector (que la lleva a EPSG:4326).",
            en=f"{_name(source)}: the layer is in {geoms.crs.to_string()} and the districts in "
            f"{districts.crs.to_string()}. riskmap does not reproject silently: read the layer "
            "with geo.geography.io.read_vector (which brings it to EPSG:4326).",
        )


def _locate_features(
    features: gpd.GeoDataFrame | gpd.GeoSeries, districts: gpd.GeoDataFrame, source: Any
) -> np.ndarray:
    geoms = _geometry(features)
    _check_same_crs(geoms, districts, source)
    arr = np.asarray(geoms.values, dtype=object)
    ok = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
    reps = np.full(len(arr), None, dtype=object)
    is_point = np.isin(shapely.get_type_id(arr), _POINT_TYPES) & ok
    reps[is_point] = arr[is_point]
    other = ok & ~is_point
    reps[other] = shapely.point_on_surface(arr[other])
    return locate_points(reps, districts)


def _xy(points: Any) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(points, tuple) and len(points) == 2:
        return (np.asarray(points[0], dtype=float), np.asarray(points[1], dtype=float))
    if isinstance(points, gpd.GeoDataFrame | gpd.GeoSeries):
        arr = np.asarray(_geometry(points).values, dtype=object)
    else:
        arr = np.asarray(points)
        if arr.dtype != object:
            arr = arr.astype(float)
            if arr.ndim != 2 or arr.shape[1] != 2:
                raise ValueError(f"points as an array must have shape (n, 2), got {arr.shape}")
            return arr[:, 0].copy(), arr[:, 1].copy()
    types = shapely.get_type_id(arr)
    if np.all(types == 0):
        coords = shapely.get_coordinates(arr)
        if len(coords) == len(arr):  # no empty point: one coordinate pair per point
            return coords[:, 0].copy(), coords[:, 1].copy()
    ok = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
    types = types[ok]
    if len(types) and not np.all(types == 0):
        raise TypeError("points must be Point geometries; place other geometries by "
                        "their representative point first")
    x = np.full(len(arr), np.nan)
    y = np.full(len(arr), np.nan)
    x[ok] = shapely.get_x(arr[ok])
    y[ok] = shapely.get_y(arr[ok])
    return x, y


def _district_geometries(districts: Any) -> np.ndarray:
    if isinstance(districts, gpd.GeoDataFrame | gpd.GeoSeries):
        return np.asarray(_geometry(districts).values, dtype=object)
    return np.asarray(districts, dtype=object)


def _outside_notice(where: np.ndarray, source: Any) -> list[Notice]:
    outside = int((where < 0).sum())
    if not outside:
        return []
    return [Notice(
        es=f"{_name(source)}: {outside} de {len(where)} elementos caen fuera de los distritos "
        "seleccionados (o no tienen geometría) y no se cuentan.",
        en=f"{_name(source)}: {outside} of {len(where)} features fall outside the selected "
        "districts (or have no geometry) and are not counted.",
    )]


def _unknown_code_notices(codes: pd.Index, index: pd.Index, source: Any) -> list[Notice]:
    """Report the codes of a table that name no district.

    Codes of other departments are simply outside the selected region; codes of the same
    departments that match no district are reported with
    :func:`geo.geography.ubigeo.compare_vintages`.
    """
    from geo.geography import ubigeo as U

    departments = {c[:2] for c in index}
    in_region = codes[codes.str[:2].isin(list(departments))]
    notices: list[Notice] = []
    unknown = sorted(set(in_region) - set(index))
    if unknown:
        report = U.compare_vintages(in_region, index, _name(source), "base de distritos")
        notices.append(Notice(
            es=f"{report.es} Los {len(unknown)} código(s) desconocido(s) no se usan.",
            en=f"{report.en} The {len(unknown)} unknown code(s) are not used.",
        ))
    outside = len(codes) - len(in_region)
    if outside:  # codes, not rows: a panel has a row per district and year
        notices.append(Notice(
            es=f"{_name(source)}: {outside} distrito(s) de otros departamentos quedan fuera "
            "de la región seleccionada.",
            en=f"{_name(source)}: {outside} district(s) from other departments are outside the "
            "selected region.",
        ))
    return notices


def _require_column(table: pd.DataFrame, column: str | None, source: Any,
                    key: str = "column") -> None:
    if column is None or column in table.columns:
        return
    found = ", ".join(str(c) for c in table.columns
                      if c != "geometry" and c not in _OWN_COLUMNS)
    raise DataError(
        es=f"{_name(source)}: no existe la columna '{column}'. Columnas encontradas: {found}. "
        f"Corrija '{key}' en la configuración.",
        en=f"{_name(source)}: column '{column}' does not exist. Columns found: {found}. "
        f"Fix '{key}' in the settings.",
    )


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
            es=f"{_name(source)}, {_place(rows, pos, source)}, columna '{column}': "
            f"{text.iloc[pos]!r} no es un número ({n} valor(es) así). Se esperaba un número "
            "con punto decimal (1234.5); en un CSV separado por comas se aceptan comas de "
            "miles entre comillas (\"2,403.72\"), y un CSV con ';' y coma decimal (1.234,5) "
            "se lee como número solo si ninguna celda usa punto decimal. Corrija la celda, o "
            "déjela vacía si no hay dato.",
            en=f"{_name(source)}, {_place(rows, pos, source, 'en')}, column '{column}': "
            f"{text.iloc[pos]!r} is not a number ({n} such value(s)). Expected a number with "
            "a decimal point (1234.5); a comma-separated CSV may group thousands with commas "
            "inside quotes (\"2,403.72\"), and a ';' CSV with a decimal comma (1.234,5) is "
            "read as numbers only if no cell uses a decimal point. Fix the cell, or leave it "
            "empty when there is no value.",
        )
    return num.to_numpy(dtype=float, na_value=np.nan)


def _place(rows: pd.DataFrame | None, pos: int, source: Any, lang: str = "es") -> str:
    """Name row ``pos`` of ``rows`` by its file line (and file, if not ``source``)."""
    if rows is None or "_linea" not in rows.columns:
        return _row(pos, source, lang)
    line = int(rows["_linea"].iloc[pos])
    text = f"línea {line}" if lang == "es" else f"line {line}"
    if "_archivo" in rows.columns and str(rows["_archivo"].iloc[pos]) != _name(source):
        text = f"{Path(str(rows['_archivo'].iloc[pos])).name}, {text}"
    return text


def _row(pos: Any, source: Any, lang: str = "es") -> str:
    """Name a row as the user sees it: the line of a CSV (header = line 1), else the feature."""
    if not isinstance(pos, int | np.integer):
        return f"fila {pos}" if lang == "es" else f"row {pos}"
    if _is_csv(source):
        return f"línea {pos + 2}" if lang == "es" else f"line {pos + 2}"
    return f"elemento {pos + 1}" if lang == "es" else f"feature {pos + 1}"


def _is_csv(source: Any) -> bool:
    return source is not None and Path(str(source)).suffix.lower() in _CSV_SUFFIXES


def _name(source: Any) -> str:
    return str(source) if source is not None else "capa"


def _flag(table: pd.DataFrame) -> bool:
    if SIMULADO not in table.columns:
        return False
    col = table[SIMULADO]
    if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
        return bool(col.fillna(0).astype(bool).any())
    return bool(col.astype(str).str.strip().str.lower().isin(["1", "true", "si", "sí"]).any())
