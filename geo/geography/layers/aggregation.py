"""One declared layer -> one value per district: :func:`aggregate` picks the reader and measure.

A :class:`geo.config.LayerSpec` says what its files are and which measure to take; a raster
goes to :mod:`geo.geography.rasters`, millions of points to :mod:`geo.geography.chunks`, a table
to :mod:`.tables`, vector features to :mod:`.measures`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import rasterio

from geo import columns as C
from geo.config import MEASURES, RASTER_MEASURES, LayerSpec
from geo.errors import DataError
from geo.geography.checks import _check_districts, _name, _require_column, _ubigeo_index
from geo.geography.chunks import count_point_file, is_point_file
from geo.geography.io import Notice
from geo.geography.layers.measures import (
    area_share,
    column_stat,
    count_features,
    density,
    table_stat,
)
from geo.geography.layers.reading import _flag, _read_layers, _read_matched
from geo.geography.layers.tables import _table_value
from geo.geography.rasters import raster_measure
from geo.geography.ubigeo import InLanguage

__all__ = ["aggregate"]


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
        raise DataError("geografia.capa_tiene_measure_no", name=spec.name, measure=spec.measure,
                        measures=', '.join(MEASURES))
    read_notices: list[Notice] = []
    unmatched: list = []
    if spec.measure in RASTER_MEASURES:
        if len(spec.files) > 1:
            raise DataError("geografia.capa_raster_indique_solo", name=spec.name)
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
            read_notices.append(Notice("geografia.punto_caen_fuera_distritos", outside=outside,
                                       name=_name(spec.path)))
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
        + [Notice("geografia.capas.fila_sin_distrito", description=InLanguage(
            lambda lang, u=u, u_source=u_source: u.describe(_name(u_source), lang)))
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


def _count_point_files(spec: LayerSpec, districts: gpd.GeoDataFrame, client: Any
                       ) -> tuple[pd.Series, int, int]:
    """Count per district over every file of a point layer, read in chunks."""
    total = pd.Series(0.0, index=_ubigeo_index(districts))
    points = outside = 0
    for f in spec.files:
        part = count_point_file(f, districts, where=spec.where, client=client)
        total = total.add(part.counts.reindex(total.index, fill_value=0.0))
        points += part.points
        outside += part.outside
    total.index.name = C.UBIGEO
    return total, points, outside


def _raster_pixels(path: Path) -> int:
    with rasterio.open(path) as ds:
        return int(ds.width) * int(ds.height)
