"""Fast point-in-polygon: the district each point falls in, and how many points each holds.

A point belongs to a district when it lies in its interior *or on its boundary*; a point on a
boundary shared by several districts (or in a sliver where two source polygons overlap) goes to
the first of them in the row order of ``districts``, so every point is counted at most once.
Points outside every district are not counted. :mod:`geo.geography.layers` places features with
it and :mod:`geo.geography.chunks` counts millions of points chunk by chunk with it.

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

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geo.geography.checks import _check_same_crs, _geometry

__all__ = ["count_points", "locate_points"]


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
