"""Raster layers into districts: land-cover shares, hectares lost, means (exactextract).

The real sources of forest, mining and agriculture in Peru are rasters: MapBiomas Perú land
cover (30 m, one band per year, class codes such as 3 forest, 15 pasture, 18 agriculture,
30 mining, 33 water) and GeoBosques or Hansen forest loss (30 m, the year of loss in each
pixel). A 30 m raster of Loreto alone has ~400 million pixels: it is never read whole.
`exactextract <https://isciences.github.io/exactextract/>`_ reads it window by window
(``max_cells_in_memory``) and weighs each pixel by the fraction of it inside the district, so
a district's share does not depend on where its border cuts the pixels.

Three measures (``[[layers]] measure``):

``raster_share``
    Share (0–1) of the district's area whose pixels are in ``classes`` (or whose value is a
    year within ``years``).
``raster_sum``
    With ``classes`` or ``years``: **hectares** of such pixels (e.g. forest lost in
    2020–2024). Without them: the coverage-weighted sum of the pixel values (e.g. people in
    a population grid).
``raster_mean``
    The coverage-weighted mean of the pixel values (e.g. travel time to a town).

``band`` picks a band of a multi-band file (1-based: MapBiomas' band 1 is its first year);
``year_base`` is added to pixel values before comparing them with ``years`` (Hansen's
``lossyear`` stores 1–23 for 2001–2023: ``year_base = 2000``). The districts are reprojected
to the raster's CRS; hectares of a geographic (degrees) raster use each district's latitude
for the pixel size.

Examples
--------
>>> import numpy as np, tempfile, pathlib, geopandas as gpd
>>> from shapely.geometry import box
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> grid = np.full((10, 10), 3, dtype="uint8"); grid[:, 5:] = 18   # west forest, east farms
>>> tif = write_raster(d / "cobertura.tif", grid, crs="EPSG:32718",
...                    origin=(500000, 9000000), size=30)
>>> districts = gpd.GeoDataFrame({"ubigeo": ["080101"]},
...     geometry=[box(500000, 8999700, 500300, 9000000)], crs=32718).to_crs(4326)
>>> raster_measure(tif, districts, "raster_share", classes=(18,)).round(3).tolist()
[0.5]
>>> raster_measure(tif, districts, "raster_sum", classes=(18,)).round(2).tolist()  # ha
[4.5]
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely
from exactextract import exact_extract
from exactextract.raster import RasterioRasterSource
from rasterio.transform import from_origin
from rasterio.windows import Window

from geo import columns as C
from geo.errors import DataError

__all__ = ["RASTER_MEASURES", "RASTER_SUFFIXES", "raster_measure", "write_raster"]

RASTER_MEASURES = ("raster_share", "raster_sum", "raster_mean")
RASTER_SUFFIXES = (".tif", ".tiff", ".vrt", ".img", ".jp2")
#: Pixels held in memory at once by the zonal statistics (~30 MB of uint8): a Peru-wide
#: 30 m raster is read window by window, never whole.
MAX_CELLS = 30_000_000
EQUAL_AREA_CRS = "EPSG:6933"
EARTH_RADIUS_M = 6_371_008.8


def raster_measure(path: str | Path, districts: gpd.GeoDataFrame, measure: str, *,
                   classes: Sequence[int] = (), years: Sequence[int] | None = None,
                   year_base: int = 0, band: int = 1, client: Any = None,
                   none_ok: bool = False) -> pd.Series:
    """Aggregate one band of a raster into the districts (see the module docstring).

    Parameters
    ----------
    path : str or Path
        Any raster GDAL reads (GeoTIFF, VRT, ...), in any CRS.
    districts : GeoDataFrame
        ``ubigeo`` and polygons (any CRS; reprojected to the raster's).
    measure : str
        ``raster_share``, ``raster_sum`` or ``raster_mean``.
    classes : sequence of int
        Pixel values that count (``raster_share``, ``raster_sum``).
    years : (int, int), optional
        An inclusive range of years instead of ``classes`` (after adding ``year_base``).
    year_base : int
        Added to the pixel values before comparing them with ``years``.
    band : int
        1-based band.
    client : dask.distributed.Client, optional
        Split the districts among this cluster's workers; each reads its districts'
        windows of the raster (which every worker must reach at ``path``).
    none_ok : bool
        No pixel with the values asked for gives zeros instead of an error (a past year in
        which nothing had been lost yet, :func:`geo.geography.layers.layer_history`).

    Returns
    -------
    pandas.Series
        Float, indexed by ``ubigeo``; 0 for a district the raster does not reach.

    Raises
    ------
    DataError
        For a raster that cannot be opened, has no CRS, lacks the band, or holds none of
        the classes asked for; naming the file and what to do.
    """
    if client is not None and len(districts) > 1:
        n = max(1, len(client.scheduler_info().get("workers", {})))
        groups = np.array_split(np.arange(len(districts)), min(len(districts), n * 2))
        futures = [client.submit(raster_measure, path, districts.iloc[g], measure,
                                 classes=classes, years=years, year_base=year_base, band=band,
                                 none_ok=True, pure=False) for g in groups if len(g)]
        parts = client.gather(futures)
        out = pd.concat(parts).reindex(districts[C.UBIGEO]).fillna(0.0).astype(float)
        wanted = _wanted_values(classes, years, year_base)
        if wanted is not None and measure != "raster_mean" and not out.any() and not none_ok:
            raise _no_values(Path(path), wanted)  # each part may lack them, not all
        return out
    path = Path(path)
    if measure not in RASTER_MEASURES:
        raise DataError("geografia.medida_raster_desconocida", measure=measure)
    wanted = _wanted_values(classes, years, year_base)
    if measure == "raster_share" and wanted is None:
        raise DataError("geografia.measure_raster_share_necesita", name=path.name)
    try:
        ds = rasterio.open(path)
    except (rasterio.errors.RasterioIOError, OSError) as err:
        raise DataError("geografia.no_pudo_abrir_raster", path=path, err=err) from err
    with ds:
        if ds.crs is None:
            raise DataError("geografia.raster_no_declara_sistema", name=path.name)
        if not 1 <= band <= ds.count:
            raise DataError("geografia.tiene_banda_band_no", name=path.name, count=ds.count,
                            band=band)
        zones = districts[[C.UBIGEO, "geometry"]].to_crs(ds.crs).reset_index(drop=True)
        if measure == "raster_mean" or wanted is None:
            source, ops = RasterioRasterSource(ds, band_idx=band), \
                ["mean" if measure == "raster_mean" else "sum"]
        else:  # a 0/1 raster of the wanted values, made window by window: its sum is cells
            source, ops = _hit_source(ds, band, wanted, year_base), ["sum"]
        table = exact_extract(source, zones, ops, include_cols=[C.UBIGEO], output="pandas",
                              max_cells_in_memory=MAX_CELLS)
        pixel_m2 = _pixel_area_m2(ds, zones)
    table = table.set_index(C.UBIGEO)
    if measure == "raster_mean" or wanted is None:
        out = table[ops[0]].astype(float).fillna(0.0)
    else:
        cells = table[ops[0]].astype(float).fillna(0.0).to_numpy()
        if not cells.any() and not none_ok:
            raise _no_values(path, wanted)
        hectares = cells * pixel_m2.to_numpy() / 1e4
        if measure == "raster_sum":
            out = pd.Series(hectares, index=table.index)
        else:
            area_ha = districts.set_index(C.UBIGEO).geometry.to_crs(EQUAL_AREA_CRS).area / 1e4
            out = pd.Series(np.clip(hectares / area_ha.reindex(table.index).to_numpy(), 0, 1),
                            index=table.index)
    return out.reindex(districts[C.UBIGEO]).fillna(0.0).astype(float)


def _wanted_values(classes: Sequence[int], years: Sequence[int] | None, year_base: int):
    if years is not None and len(years):
        if len(years) != 2 or years[0] > years[1]:
            raise DataError("geografia.years_debe_hasta_encontro", years=list(years))
        return ("years", int(years[0]), int(years[1]))
    if classes:
        return ("classes", frozenset(int(c) for c in classes))
    return None


def _hits(values: np.ndarray, wanted, year_base: int) -> np.ndarray:
    """Whether each raster value is one asked for (a class, or a year in the range)."""
    if wanted[0] == "years":
        year = values.astype(np.int64) + year_base
        return (year >= wanted[1]) & (year <= wanted[2])
    return np.isin(values, np.fromiter(wanted[1], dtype=np.int64))


def _hit_source(ds, band: int, wanted, year_base: int):
    """Return an exactextract raster source of 1 where ``band`` holds a wanted value, else 0.

    exactextract's ``sum`` of it is the number of wanted cells weighted by how much of each
    the district covers: one pass, no per-district histogram of every value.
    """
    class HitSource(RasterioRasterSource):
        def read_window(self, x0, y0, nx, ny):
            arr = self.ds.read(self.band_idx, window=Window(x0, y0, nx, ny), masked=True)
            hit = _hits(np.asarray(arr.data), wanted, year_base).astype(np.uint8)
            mask = np.ma.getmaskarray(arr)
            return np.ma.array(hit, mask=mask) if mask.any() else hit

        def nodata_value(self):
            return None  # nodata cells come masked

    source = HitSource(ds, band_idx=band)
    source.isfloat = False
    return source


def _no_values(path: Path, wanted) -> DataError:
    return DataError("geografia.ningun_pixel_distritos_tiene", name=path.name,
                     describe=_describe(wanted))


def _describe(wanted) -> str:
    if wanted[0] == "years":
        return f"años {wanted[1]}–{wanted[2]}"
    return ", ".join(map(str, sorted(wanted[1])))


def _pixel_area_m2(ds, zones: gpd.GeoDataFrame) -> pd.Series:
    """Return a pixel's ground area per district (by latitude for a raster in degrees)."""
    width, height = abs(ds.res[0]), abs(ds.res[1])
    if not ds.crs.is_geographic:
        factor = ds.crs.linear_units_factor[1] if ds.crs.linear_units_factor else 1.0
        return pd.Series(width * height * factor ** 2, index=zones[C.UBIGEO])
    lat = np.radians(shapely.get_y(shapely.point_on_surface(zones.geometry.to_numpy())))
    dlat, dlon = np.radians(height), np.radians(width)
    area = EARTH_RADIUS_M ** 2 * dlon * np.abs(np.sin(lat + dlat / 2) - np.sin(lat - dlat / 2))
    return pd.Series(area, index=zones[C.UBIGEO])


def write_raster(path: str | Path, data: np.ndarray, *, crs: str, origin: tuple[float, float],
                 size: float, nodata: int | float | None = None, bands_last: bool = False
                 ) -> Path:
    """Write ``data`` (rows x cols, or bands x rows x cols) as a tiled, compressed GeoTIFF.

    ``origin`` is the upper-left corner; ``size`` the pixel size in the CRS's units. Used by
    the simulated world and the tests to make rasters in the real sources' shape.
    """
    array = np.asarray(data)
    if array.ndim == 2:
        array = array[None, ...]
    elif bands_last:
        array = np.moveaxis(array, -1, 0)
    path = Path(path)
    profile = {"driver": "GTiff", "width": array.shape[2], "height": array.shape[1],
               "count": array.shape[0], "dtype": array.dtype.name, "crs": crs,
               "transform": from_origin(origin[0], origin[1], size, size), "tiled": True,
               "blockxsize": 256, "blockysize": 256, "compress": "deflate"}
    if nodata is not None:
        profile["nodata"] = nodata
    if array.shape[1] < 256 or array.shape[2] < 256:
        profile.update(tiled=False)
        profile.pop("blockxsize")
        profile.pop("blockysize")
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(array)
    return path
