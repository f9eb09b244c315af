"""Services for victims as a layer: Centros Emergencia Mujer, prosecutors, police, shelters.

A ``[[layers]]`` entry with ``kind = "servicios"`` names a point file (GeoPackage,
GeoJSON, Shapefile, CSV with lon/lat…, several files allowed, ``where`` as for any layer).
``riskmap build`` reads it with :func:`read_services` and stores the points as layer
``servicios`` of ``distritos.gpkg``; :mod:`models.planning.services` then gives each district the
travel time to the nearest service.

Each point keeps ``capa`` (the layer's name), ``nombre`` (from a column ``nombre``,
``name``, ``NOMBRE`` or ``DENOMINACION`` when the file has one), ``tipo`` (the value of
the layer's ``column``, lower-cased; the layer's name when no ``column`` is given) and
``contacto`` (a column ``telefono``, ``phone``, ``contacto`` or ``contact``; empty when the
file has none: a field sheet then says "sin dato", it never makes a contact up).

Examples
--------
>>> import tempfile, pathlib
>>> import geopandas as gpd
>>> from shapely.geometry import Point, box
>>> from geo.config import LayerSpec
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> pts = gpd.GeoDataFrame({"NOMBRE": ["CEM Cusco"], "TIPO": ["CEM"]},
...                        geometry=[Point(-71.97, -13.52)], crs=4326)
>>> pts.to_file(folder / "s.gpkg")
>>> spec = LayerSpec(name="servicios", sector="servicios", path=folder / "s.gpkg",
...                  measure="servicios", column="TIPO", kind="servicios")
>>> d = gpd.GeoDataFrame({"ubigeo": ["080101"]}, geometry=[box(-72.1, -13.6, -71.9, -13.4)],
...                      crs=4326)
>>> read_services([spec], d)[["capa", "nombre", "tipo"]].values.tolist()
[['servicios', 'CEM Cusco', 'cem']]
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geo import columns as C
from geo.config import LayerSpec
from geo.errors import DataError
from geo.geography.layers.reading import _read_layers

__all__ = ["CONTACT_COLUMNS", "CONTACTO", "LAYER", "NAME_COLUMNS", "SERVICE_COLUMNS",
           "read_services", "read_stored"]

LAYER = "servicios"  # the layer of distritos.gpkg holding the points
CAPA, NOMBRE, TIPO, CONTACTO = "capa", "nombre", "tipo", "contacto"
SERVICE_COLUMNS = (CAPA, NOMBRE, TIPO, CONTACTO)
#: Columns a service's name is taken from, in order (case-insensitive).
NAME_COLUMNS = ("nombre", "name", "denominacion", "nombre_servicio", "establecimiento")
#: Columns a service's contact (a phone) is taken from, in order (case-insensitive).
CONTACT_COLUMNS = ("telefono", "teléfono", "phone", "contacto", "contact")
#: Services farther than this from every district of the region are left out (a CEM in the
#: next department may be the nearest help; one across the country is not).
MAX_KM_OUTSIDE = 150.0


def read_services(specs: Iterable[LayerSpec], districts: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Read every services layer into one table of points in EPSG:4326.

    Raises
    ------
    DataError
        A file holds something other than points, or lacks the ``column`` named as the
        type (the message names the file, the key and the columns present).
    """
    frames = []
    for spec in specs:
        gdf = _read_layers(spec)
        geoms = gdf.geometry
        bad = geoms.notna() & ~geoms.is_empty & (geoms.geom_type != "Point")
        if bad.any():
            kinds = ", ".join(sorted(set(geoms[bad].geom_type)))
            raise DataError("geografia.capa_servicios_tiene_esperaban", name=spec.name,
                            files=_files(spec), kinds=kinds)
        gdf = gdf[geoms.notna() & ~geoms.is_empty]
        lower = {str(c).lower(): c for c in gdf.columns}
        if spec.column and spec.column not in gdf.columns:
            raise DataError("geografia.capa_servicios_column_no", name=spec.name,
                            files=_files(spec), column=spec.column,
                            columns=', '.join(map(str, gdf.columns)))
        name_col = next((lower[n] for n in NAME_COLUMNS if n in lower), None)
        kind = (gdf[spec.column].fillna("").astype(str).str.strip().str.lower()
                if spec.column else pd.Series(spec.name, index=gdf.index))
        names = (gdf[name_col].fillna("").astype(str).str.strip() if name_col
                 else pd.Series("", index=gdf.index))
        names = names.where(names.ne(""), kind.str.upper() + " " +
                            pd.Series(range(1, len(gdf) + 1), index=gdf.index).astype(str))
        contact_col = next((lower[n] for n in CONTACT_COLUMNS if n in lower), None)
        contact = (gdf[contact_col].fillna("").astype(str).str.strip() if contact_col
                   else pd.Series("", index=gdf.index))
        frames.append(gpd.GeoDataFrame({CAPA: spec.name, NOMBRE: names, TIPO: kind,
                                        CONTACTO: contact},
                                       geometry=gdf.geometry.to_numpy(), crs=4326))
    if not frames:
        return gpd.GeoDataFrame({c: pd.Series(dtype=str) for c in (*SERVICE_COLUMNS, C.UBIGEO)},
                                geometry=gpd.GeoSeries([], crs=4326), crs=4326)
    out = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=4326)
    out = out[_near_region(out, districts)].reset_index(drop=True)
    out.insert(len(SERVICE_COLUMNS), C.UBIGEO,
               _ubigeo_of(out, districts).to_numpy() if len(out) else [])
    return out


def _near_region(points: gpd.GeoDataFrame, districts: gpd.GeoDataFrame) -> pd.Series:
    if points.empty or districts.empty:
        return pd.Series(True, index=points.index)
    region = districts.to_crs(4326).geometry.union_all().envelope
    lat = abs(float(region.centroid.y))
    deg = MAX_KM_OUTSIDE / (111.32 * max(math.cos(math.radians(lat)), 0.2))
    return points.geometry.within(region.buffer(deg))


def read_stored(districts_gpkg: str | Path) -> gpd.GeoDataFrame | None:
    """Read the ``servicios`` layer of a built ``distritos.gpkg`` (None when absent)."""
    path = Path(districts_gpkg)
    if not path.is_file():
        return None
    if LAYER not in {str(n) for n, _ in pyogrio.list_layers(path)}:
        return None
    gdf = pyogrio.read_dataframe(path, layer=LAYER)
    return gdf.set_crs(4326, allow_override=True) if gdf.crs is None else gdf


def _files(spec: LayerSpec) -> str:
    return ", ".join(Path(f).name for f in spec.files)


def _ubigeo_of(points: gpd.GeoDataFrame, districts: gpd.GeoDataFrame) -> pd.Series:
    """Return the district each service lies in ("" when outside the region)."""
    polys = districts.to_crs(4326)
    joined = gpd.sjoin(points[[points.geometry.name]],
                       polys[[C.UBIGEO, polys.geometry.name]], predicate="within", how="left")
    joined = joined[~joined.index.duplicated()]
    return joined[C.UBIGEO].fillna("").astype(str)
