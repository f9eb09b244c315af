r"""Millions of points counted in chunks: constant memory, and optionally on a Dask cluster.

Deforestation alerts (GLAD, RADD and the like) come as millions of points, in GeoParquet or
CSV. :func:`count_point_file` never holds the file: it reads one chunk at a time (a
GeoParquet row group batch, or ``CHUNK_ROWS`` CSV lines), locates its points in the
districts (:func:`geo.geography.points.count_points`) and
adds the counts, so memory stays that of one
chunk whatever the file's size. With a ``dask.distributed`` client (an existing cluster,
``riskmap build --dask tcp://HOST:8786``, or a local one, ``--workers N``) the chunks are
counted on the workers and only the per-district counts come back.

GeoParquet's CRS comes from its ``geo`` metadata (OGC:CRS84 when absent, as the format
says); a CSV's points are longitude/latitude in EPSG:4326 unless ``crs`` says otherwise.

Examples
--------
>>> import tempfile, pathlib, geopandas as gpd
>>> from shapely.geometry import box
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> districts = gpd.GeoDataFrame({"ubigeo": ["080101", "080102"]},
...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=4326)
>>> _ = (d / "alertas.csv").write_text("lon,lat,fecha\n0.5,0.5,2024-01-02\n1.5,0.5,2023-05-01\n")
>>> result = count_point_file(d / "alertas.csv", districts, where="fecha >= '2024-01-01'")
>>> result.counts.tolist(), result.points
([1.0, 0.0], 1)
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from geo import columns as C
from geo.errors import DataError
from geo.geography.io import filter_where
from geo.geography.points import count_points

__all__ = ["CHUNK_ROWS", "LARGE_CSV_BYTES", "POINT_FILE_SUFFIXES", "PointCount",
           "count_point_file", "is_point_file"]

CHUNK_ROWS = 1_000_000
POINT_FILE_SUFFIXES = (".parquet", ".geoparquet")
LON_NAMES = ("lon", "longitud", "longitude", "x")
LAT_NAMES = ("lat", "latitud", "latitude", "y")


#: A CSV of points larger than this is counted in chunks too (smaller ones are read whole,
#: with every check of geo.geography.io.read_vector).
LARGE_CSV_BYTES = 64_000_000


def is_point_file(path: str | Path) -> bool:
    """Whether ``path`` is counted in chunks: a GeoParquet, or a large CSV of points."""
    path = Path(path)
    if path.suffix.lower() in POINT_FILE_SUFFIXES:
        return True
    return path.suffix.lower() == ".csv" and path.is_file() and \
        path.stat().st_size > LARGE_CSV_BYTES


@dataclass
class PointCount:
    """Counts per district (indexed by ``ubigeo``), points read, and points outside all."""

    counts: pd.Series
    points: int
    outside: int


def count_point_file(path: str | Path, districts: gpd.GeoDataFrame, *, where: str | None = None,
                     crs: str | None = None, chunk_rows: int = CHUNK_ROWS,
                     client: Any = None) -> PointCount:
    """Count the points of a GeoParquet or CSV file in each district, chunk by chunk.

    Parameters
    ----------
    path : str or Path
        GeoParquet (WKB points) or CSV with longitude/latitude columns.
    districts : GeoDataFrame
        ``ubigeo`` and polygons (reprojected to EPSG:4326 if needed).
    where : str, optional
        A SQL WHERE filter on the file's columns (evaluated per chunk by SQLite).
    crs : str, optional
        The CRS of a CSV's coordinates (default EPSG:4326).
    chunk_rows : int
        Rows per chunk.
    client : dask.distributed.Client, optional
        Count the chunks on this cluster's workers.

    Returns
    -------
    PointCount
    """
    path = Path(path)
    if not path.is_file():
        raise DataError("comun.no_existe_archivo_revise", path=path)
    zones = districts[[C.UBIGEO, "geometry"]].to_crs(4326)
    polys = zones.geometry.to_numpy()
    tasks = list(_chunk_tasks(path, chunk_rows))
    if client is None:
        parts = [_count_chunk(path, task, polys, where, crs) for task in tasks]
    else:
        shared = client.scatter(polys, broadcast=True)
        futures = [client.submit(_count_chunk, path, task, shared, where, crs, pure=False)
                   for task in tasks]
        parts = client.gather(futures)
    counts = np.zeros(len(polys), dtype=np.int64)
    points = outside = 0
    for chunk_counts, n, out in parts:
        counts += chunk_counts
        points += n
        outside += out
    return PointCount(pd.Series(counts.astype(float), index=zones[C.UBIGEO].to_numpy(),
                                name=C.UBIGEO).rename_axis(C.UBIGEO), points, outside)


def _chunk_tasks(path: Path, chunk_rows: int) -> Iterator[tuple]:
    """Independent pieces of the file: row-group ranges of a GeoParquet, line ranges of a CSV."""
    if path.suffix.lower() in POINT_FILE_SUFFIXES:
        import pyarrow.parquet as pq  # optional: GeoParquet files only (pyarrow is no dependency)

        meta = pq.ParquetFile(path).metadata
        group, rows = [], 0
        for i in range(meta.num_row_groups):
            group.append(i)
            rows += meta.row_group(i).num_rows
            if rows >= chunk_rows:
                yield ("parquet", tuple(group))
                group, rows = [], 0
        if group:
            yield ("parquet", tuple(group))
        return
    # a CSV: byte ranges of ``chunk_rows`` lines, found by scanning the line ends in blocks
    # (alert files have no quoted line breaks; every range starts at a line's start)
    with path.open("rb") as fh:
        header = fh.readline()
        starts, seen, offset = [len(header)], 0, len(header)
        for block in iter(lambda: fh.read(1 << 23), b""):
            ends = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == 10)
            while seen + len(ends) >= chunk_rows:
                take = chunk_rows - seen
                starts.append(offset + int(ends[take - 1]) + 1)
                ends, seen = ends[take:], 0
            seen += len(ends)
            offset += len(block)
    bounds = starts + ([offset] if starts[-1] != offset else [])
    for a, b in zip(bounds[:-1], bounds[1:], strict=False):
        yield ("csv", a, b)


def _count_chunk(path: Path, task: tuple, polys: np.ndarray, where: str | None,
                 crs: str | None) -> tuple[np.ndarray, int, int]:
    """Count one piece: ``(counts per district, points, points outside every district)``."""
    x, y = _read_chunk(path, task, where, crs)
    counts = count_points((x, y), polys) if len(x) else np.zeros(len(polys), dtype=np.int64)
    return counts, len(x), int(len(x) - counts.sum())


def _read_chunk(path: Path, task: tuple, where: str | None, crs: str | None
                ) -> tuple[np.ndarray, np.ndarray]:
    if task[0] == "parquet":
        import pyarrow.parquet as pq  # optional: GeoParquet files only (pyarrow is no dependency)
        pf = pq.ParquetFile(path)
        geo = json.loads((pf.schema_arrow.metadata or {}).get(b"geo", b"{}"))
        column = geo.get("primary_column", "geometry")
        names = pf.schema_arrow.names
        if column not in names:
            raise DataError("geografia.no_geoparquet_no_tiene", name=path.name, column=column,
                            names=', '.join(names))
        wanted = [column, *_where_columns(where, names)]
        table = pf.read_row_groups(list(task[1]), columns=wanted).to_pandas()
        if where:
            table = filter_where(table, where, path)
        geoms = shapely.from_wkb(table[column].to_numpy())
        x, y = shapely.get_x(geoms), shapely.get_y(geoms)
        source_crs = (geo.get("columns", {}).get(column, {}) or {}).get("crs")
        return _to_lonlat(x, y, source_crs)
    start, end = task[1], task[2]
    with path.open("rb") as fh:
        header = fh.readline().decode("utf-8-sig")
        fh.seek(start)
        body = fh.read(end - start).decode("utf-8", "replace")
    sep = ";" if header.count(";") > header.count(",") else ","
    table = pd.read_csv(_stdio(header + body), sep=sep)
    lon = next((c for c in table.columns if str(c).lower() in LON_NAMES), None)
    lat = next((c for c in table.columns if str(c).lower() in LAT_NAMES), None)
    if lon is None or lat is None:
        raise DataError("geografia.esperaban_columnas_longitud_latitud", name=path.name,
                        columns=', '.join(map(str, table.columns)))
    if where:
        table = filter_where(table, where, path)
    x = pd.to_numeric(table[lon], errors="coerce").to_numpy(float)
    y = pd.to_numeric(table[lat], errors="coerce").to_numpy(float)
    return _to_lonlat(x, y, crs)


def _stdio(text: str):
    return io.StringIO(text)


def _where_columns(where: str | None, names: list[str]) -> list[str]:
    if not where:
        return []
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", where))
    return [n for n in names if n in words]


def _to_lonlat(x: np.ndarray, y: np.ndarray, crs: Any) -> tuple[np.ndarray, np.ndarray]:
    """Points in EPSG:4326 (lon, lat); ``crs`` None or a geographic WGS 84 keeps them."""
    if crs is None:
        return x, y
    source = CRS.from_user_input(crs if not isinstance(crs, dict) else json.dumps(crs))
    if source.is_geographic and source.equals(CRS.from_epsg(4326), ignore_axis_order=True):
        return x, y
    transformer = Transformer.from_crs(source, 4326, always_xy=True)
    return transformer.transform(x, y)
