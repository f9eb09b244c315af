"""Measures of features and rows already read: area share, counts, densities, column stats.

No file is read here: each function takes a GeoDataFrame (or a table with ``ubigeo``) and the
districts, and returns one float per district indexed by ``ubigeo``, with what a user should
know in ``attrs["notices"]``. Areas are computed in an equal-area CRS (:data:`EQUAL_AREA_CRS`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import columns as C
from geo.errors import DataError
from geo.geography.checks import (
    _check_same_crs,
    _geometry,
    _name,
    _numeric,
    _require_column,
    _ubigeo_index,
)
from geo.geography.io import Notice
from geo.geography.points import locate_points

__all__ = ["EQUAL_AREA_CRS", "area_share", "column_stat", "count_features", "density",
           "district_area_km2", "table_stat"]


#: World Cylindrical Equal Area (NSIDC EASE-Grid 2.0): exact areas at Peru's latitudes,
#: unlike UTM 18S (off by ~0.8 % at the country's edges) or degrees (meaningless).
EQUAL_AREA_CRS = "EPSG:6933"


_POLYGON_TYPES = (3, 6)  # shapely type ids of Polygon, MultiPolygon


_POINT_TYPES = (0,)  # Point


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
            raise DataError("geografia.measure_area_share_necesita", name=_name(source),
                            kinds=kinds)
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
            raise DataError("geografia.densidad_poblacion_necesita_columna", poblacion=C.POBLACION)
        denom = pd.to_numeric(districts[C.POBLACION], errors="coerce").to_numpy(dtype=float)
        scale = 1000.0
    else:
        raise DataError("geografia.per_no_existe_use", per=per)
    bad = ~(denom > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.where(bad, np.nan, counts.to_numpy() * scale / denom)
    if bad.any():
        codes = ", ".join(index[bad][:10])
        notices.append(Notice("geografia.distrito_sin_valido_densidad", bad=int(bad.sum()), per=per,
                              codes=codes))
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
        raise DataError("geografia.distritos_no_tienen_crs")
    area = districts.geometry.to_crs(EQUAL_AREA_CRS).area.to_numpy() / 1e6
    return pd.Series(area, index=index)


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


def _outside_notice(where: np.ndarray, source: Any) -> list[Notice]:
    outside = int((where < 0).sum())
    if not outside:
        return []
    return [Notice("geografia.elementos_caen_fuera_distritos", name=_name(source), outside=outside,
                   n_where=len(where))]
