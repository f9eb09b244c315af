"""The base GeoPackage: Peru's 1,891 districts with their public indicators.

:func:`build_base` converts the downloaded public sources (``config/sources.toml``) into
``peru_base.gpkg``:

- layer ``distritos``: the current INEI division (mapsPERU), full resolution, EPSG:4326,
  with ``area_km2`` computed in an equal-area CRS (EPSG:6933), population and monetary
  poverty with its 95 % interval (INEI 2018 poverty map), HDI, density, altitude,
  ``lejania_km`` (great-circle km from the district to its department capital),
  the representative point (``lon``, ``lat``) and ``imputado``;
- layers ``provincias`` (196) and ``departamentos`` (25);
- table ``fuentes``: one row per source with its URL, sha256, licence and citation.

The 17 districts created after 2017 have no row in the poverty map. Their population comes
from the 2020 population of the district they were split from (found by overlap with the
INEI-2007 division), shared between it and its new districts in proportion to area, so the
department totals stay INEI's; their other indicators are the mean of the other districts of
their province. ``imputado`` lists what was filled in, for the parents too.

- table ``nombres_anteriores``: district names of the 2007 division that changed since
  (``departamento, provincia, distrito_anterior, ubigeo``), so tables keyed by old names
  still find their district (:mod:`geo.geography.names`).

:func:`read_districts`, :func:`read_provinces` and :func:`read_departments` read it back
for a region (department codes; ``()`` = all of Peru).
"""

from __future__ import annotations

import datetime as _dt
import functools
import os
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import rdata
import shapely
from pyproj import CRS, Geod

from geo import columns as C
from geo.config import parse_region
from geo.errors import DataError
from geo.geography.io import GPKG_OPTIONS
from geo.geography.names import normalise
from geo.geography.sources import Source, load_registry, sha256_file

__all__ = [
    "DISTRICT_COLUMNS",
    "EQUAL_AREA_CRS",
    "IMPUTADO",
    "build_base",
    "read_departments",
    "read_districts",
    "read_provinces",
    "read_renamed",
]

TABLE_RENAMED = "nombres_anteriores"
IMPUTADO = "imputado"  # ";"-separated indicators filled in because the source had no row
EQUAL_AREA_CRS = "EPSG:6933"  # WGS 84 / NSIDC EASE-Grid 2.0 Global: equal-area, metres
WGS84 = "EPSG:4326"
DISTRICT_COLUMNS = (
    C.UBIGEO, C.DISTRITO, C.PROVINCIA, C.DEPARTAMENTO, C.COD_DEP, C.COD_PROV,
    C.REGION_NATURAL, C.AREA_KM2, C.POBLACION, C.POBREZA, C.POBREZA_INF, C.POBREZA_SUP,
    C.IDH, C.DENSIDAD, C.ALTITUD, C.LEJANIA, C.CENTROIDE_LON, C.CENTROIDE_LAT, IMPUTADO,
)
PROVINCE_COLUMNS = (C.COD_PROV, C.COD_DEP, C.PROVINCIA, C.DEPARTAMENTO)
DEPARTMENT_COLUMNS = (C.COD_DEP, C.DEPARTAMENTO)
LAYER_DISTRICTS, LAYER_PROVINCES, LAYER_DEPARTMENTS, TABLE_SOURCES = (
    "distritos", "provincias", "departamentos", "fuentes"
)
# indicators filled from the province mean when a district has no row in its source
_IMPUTABLE = (C.POBREZA, C.POBREZA_INF, C.POBREZA_SUP, C.IDH, C.DENSIDAD, C.ALTITUD)
_GEOD = Geod(ellps="WGS84")


def build_base(sources_dir: str | Path, out: str | Path) -> Path:
    """Convert the downloaded public sources into the base GeoPackage.

    Parameters
    ----------
    sources_dir : str or Path
        Folder filled by :func:`geo.geography.sources.fetch_sources`.
    out : str or Path
        The GeoPackage to write (replaced atomically: written to a temporary file in
        the same folder, then renamed).

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    DataError
        A source file is missing, differs from the registry's sha256, or cannot be
        converted.
    """
    sources_dir, out = Path(sources_dir), Path(out)
    registry = {s.key: s for s in load_registry()}
    files = _check_sources(sources_dir, registry)
    crs_seen: list[str] = []
    dist = _read_sf(files["mapsperu_distritos"], "map_DIST", crs_seen)
    prov = _read_sf(files["mapsperu_provincias"], "map_PROV", crs_seen)
    dep = _read_sf(files["mapsperu_departamentos"], "map_DEP", crs_seen)
    poverty = _read_rda(files["pobreza_2018"], "pobreza2018")
    indicators = pd.read_csv(files["ubigeo_indicadores"], dtype={"inei": str, "reniec": str})
    old = _read_2007(files.get("juaneladio_distritos_2007"))

    districts = _districts(dist, poverty, indicators, files["mapsperu_distritos"], old)
    renamed = _renamed(districts, old)
    provinces = gpd.GeoDataFrame(
        {
            C.COD_PROV: prov["COD_PROVINCIA"].str[:4].to_numpy(),
            C.COD_DEP: prov["COD_DEPARTAMENTO"].str[:2].to_numpy(),
            C.PROVINCIA: prov["PROVINCIA"].to_numpy(),
            C.DEPARTAMENTO: prov["DEPARTAMENTO"].to_numpy(),
        },
        geometry=prov.geometry.to_numpy(),
        crs=WGS84,
    )
    departments = gpd.GeoDataFrame(
        {
            C.COD_DEP: dep["COD_DEPARTAMENTO"].str[:2].to_numpy(),
            C.DEPARTAMENTO: dep["DEPARTAMENTO"].to_numpy(),
        },
        geometry=dep.geometry.to_numpy(),
        crs=WGS84,
    )
    fuentes = _sources_table(registry, files, {
        "mapsperu_distritos": len(districts),
        "mapsperu_provincias": len(provinces),
        "mapsperu_departamentos": len(departments),
        "pobreza_2018": len(poverty),
        "ubigeo_indicadores": len(indicators),
        "juaneladio_distritos_2007": 0 if old is None else len(old),
    })

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem}.{os.getpid()}.tmp.gpkg")
    try:
        tmp.unlink(missing_ok=True)
        pyogrio.write_dataframe(districts, tmp, layer=LAYER_DISTRICTS, driver="GPKG",
                                dataset_options=GPKG_OPTIONS)
        pyogrio.write_dataframe(provinces, tmp, layer=LAYER_PROVINCES, driver="GPKG",
                                dataset_options=GPKG_OPTIONS)
        pyogrio.write_dataframe(departments, tmp, layer=LAYER_DEPARTMENTS, driver="GPKG",
                                dataset_options=GPKG_OPTIONS)
        pyogrio.write_dataframe(fuentes, tmp, layer=TABLE_SOURCES, driver="GPKG",
                                dataset_options=GPKG_OPTIONS)
        pyogrio.write_dataframe(renamed, tmp, layer=TABLE_RENAMED, driver="GPKG",
                                dataset_options=GPKG_OPTIONS)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def read_districts(
    base: str | Path, region: tuple[str, ...] | str | None = C.DEFAULT_DEPARTMENTS
) -> gpd.GeoDataFrame:
    """Read the districts of ``region`` from the base GeoPackage.

    Parameters
    ----------
    base : str or Path
        ``peru_base.gpkg`` written by :func:`build_base`.
    region : tuple of str, str or None
        Department codes (``("08", "16")`` = Cusco and Loreto, the default); ``()`` =
        all of Peru; a string is parsed with :func:`geo.config.parse_region`
        (``"cusco"``, ``"all"``).

    Returns
    -------
    GeoDataFrame
        Columns :data:`DISTRICT_COLUMNS` and geometry, EPSG:4326, ``ubigeo`` as str,
        sorted by ``ubigeo``.

    Raises
    ------
    DataError
        The file is missing or not a base GeoPackage, or a department code has no
        districts.
    """
    return _read_layer(base, LAYER_DISTRICTS, region, DISTRICT_COLUMNS, C.UBIGEO)


def national_ubigeos(base: str | Path) -> frozenset[str]:
    """Every district code of Peru in the base (for ``ubigeo_origen``), read without geometry."""
    return _national_ubigeos(str(base), Path(base).stat().st_mtime)


@functools.lru_cache(maxsize=4)
def _national_ubigeos(base: str, stamp: float) -> frozenset[str]:
    table = pyogrio.read_dataframe(base, layer=LAYER_DISTRICTS, columns=[C.UBIGEO],
                                   read_geometry=False)
    return frozenset(table[C.UBIGEO].astype(str))


def read_renamed(base: str | Path) -> pd.DataFrame:
    """Read the table of 2007 district names that changed (empty for an older base)."""
    try:
        return pd.DataFrame(pyogrio.read_dataframe(base, layer=TABLE_RENAMED,
                                                   read_geometry=False)).fillna("")
    except Exception:  # noqa: BLE001 - a base built before this table existed
        return pd.DataFrame(columns=[C.DEPARTAMENTO, C.PROVINCIA, "distrito_anterior",
                                     C.UBIGEO])


def read_provinces(
    base: str | Path, region: tuple[str, ...] | str | None = C.DEFAULT_DEPARTMENTS
) -> gpd.GeoDataFrame:
    """Read the provinces of ``region`` (as in :func:`read_districts`)."""
    return _read_layer(base, LAYER_PROVINCES, region, PROVINCE_COLUMNS, C.COD_PROV)


def read_departments(
    base: str | Path, region: tuple[str, ...] | str | None = C.DEFAULT_DEPARTMENTS
) -> gpd.GeoDataFrame:
    """Read the departments of ``region`` (as in :func:`read_districts`)."""
    return _read_layer(base, LAYER_DEPARTMENTS, region, DEPARTMENT_COLUMNS, C.COD_DEP)


# ---------------------------------------------------------------------------------------
def _check_sources(sources_dir: Path, registry: dict[str, Source]) -> dict[str, Path]:
    files: dict[str, Path] = {}
    for key in (
        "mapsperu_distritos", "mapsperu_provincias", "mapsperu_departamentos",
        "pobreza_2018", "ubigeo_indicadores",
    ):
        source = registry.get(key)
        if source is None:
            raise DataError("geografia.config_sources_toml_no", key_=key)
        path = sources_dir / source.file
        if not path.is_file():
            raise DataError("geografia.falta_ejecute_riskmap_data", path=path)
        digest = sha256_file(path)
        if digest != source.sha256:
            raise DataError("geografia.sha256_no_registro_borrelo", path=path, digest=digest,
                            sha256=source.sha256)
        files[key] = path
    # the INEI-2007 division: optional (older names, parents of new districts), checked too
    old = registry.get("juaneladio_distritos_2007")
    if old is not None and (sources_dir / old.file).is_file() and \
            sha256_file(sources_dir / old.file) == old.sha256:
        files[old.key] = sources_dir / old.file
    return files


def _rda_objects(path: Path, constructors: dict | None = None) -> dict:
    try:
        with warnings.catch_warnings():
            # rdata warns for every R class it has no constructor for (sf, tibble);
            # we convert those ourselves below
            warnings.filterwarnings(
                "ignore", message="Missing constructor for R class", category=UserWarning
            )
            return rdata.read_rda(path, constructor_dict=constructors or {}) if constructors \
                else rdata.read_rda(path)
    except Exception as err:  # noqa: BLE001 - rdata raises many kinds on a damaged file
        raise DataError("geografia.no_pudo_leer_archivo", path=path, err=err) from err


def _read_rda(path: Path, name: str) -> pd.DataFrame:
    objects = _rda_objects(path)
    if name not in objects or not isinstance(objects[name], pd.DataFrame):
        raise DataError("geografia.no_contiene_tabla_contiene", path=path, name=name,
                        objects=', '.join(objects))
    return objects[name].reset_index(drop=True)


def _read_sf(path: Path, name: str, crs_seen: list[str]) -> gpd.GeoDataFrame:
    """Read an R ``sf`` data frame: MULTIPOLYGON = list of polygons = list of (n, 2) rings."""
    found_crs: list[str] = []

    def _crs(obj: object, attrs: object) -> object:
        # sf stores the CRS as a classed list (input, wkt) on the geometry column
        if isinstance(obj, dict):
            wkt = obj.get("wkt")
            if wkt is not None and len(wkt):
                found_crs.append(str(wkt[0]))
        return obj

    objects = _rda_objects(path, {**rdata.conversion.DEFAULT_CLASS_MAP, "crs": _crs})
    df = objects.get(name)
    if not isinstance(df, pd.DataFrame) or "geometry" not in df.columns:
        raise DataError("geografia.no_contiene_objeto_sf", path=path, name=name)
    if found_crs and not _is_wgs84(found_crs[0]):
        raise DataError("geografia.sistema_coordenadas_no_wgs", path=path,
                        found_crs=found_crs[0][:60])
    crs_seen.extend(found_crs)
    geoms = _multipolygons(df["geometry"].tolist(), path)
    bad = ~shapely.is_valid(geoms)
    if bad.any():
        # the source has a few self-touching rings; make_valid keeps their area
        geoms[bad] = [_polygonal(g) for g in shapely.make_valid(geoms[bad])]
    df = df.drop(columns=["geometry"]).reset_index(drop=True)
    return gpd.GeoDataFrame(df, geometry=geoms, crs=WGS84)


def _is_wgs84(wkt: str) -> bool:
    try:
        return CRS.from_wkt(wkt).equals(CRS.from_epsg(4326), ignore_axis_order=True)
    except Exception:  # noqa: BLE001 - an unparseable CRS is not WGS 84
        return False


def _multipolygons(items: list, path: Path) -> np.ndarray:
    """Build shapely MultiPolygons from sf's nested lists in one vectorised call."""
    rings: list[np.ndarray] = []
    ring_counts: list[int] = []
    polygon_counts: list[int] = []
    try:
        for geom in items:
            polygon_counts.append(len(geom))
            for polygon in geom:
                ring_counts.append(len(polygon))
                rings.extend(np.asarray(r, dtype=float).reshape(-1, 2) for r in polygon)
        coords = np.concatenate(rings)
    except (TypeError, ValueError) as err:
        raise DataError("geografia.geometria_no_tiene_forma", path=path, err=err) from err
    def offsets(counts: list[int]) -> np.ndarray:
        return np.ascontiguousarray(np.concatenate([[0], np.cumsum(counts)]), dtype=np.int64)

    return shapely.from_ragged_array(
        shapely.GeometryType.MULTIPOLYGON,
        np.ascontiguousarray(coords),
        (offsets([len(r) for r in rings]), offsets(ring_counts), offsets(polygon_counts)),
    )


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    polys = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    parts = [q for p in polys for q in shapely.get_parts(p)]
    return shapely.MultiPolygon(parts) if parts else geom


def _read_2007(path: Path | None) -> gpd.GeoDataFrame | None:
    """Read the INEI-2007 division (code, names, polygon); None without the file."""
    if path is None or not Path(path).is_file():
        return None
    gdf = gpd.read_file(path)
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty].copy()
    gdf["IDDIST"] = gdf["IDDIST"].astype(str).str.zfill(6)
    return gdf[["IDDIST", "NOMBDEP", "NOMBPROV", "NOMBDIST", "geometry"]].to_crs(WGS84)


def _renamed(districts: gpd.GeoDataFrame, old: gpd.GeoDataFrame | None) -> pd.DataFrame:
    """2007 names of districts whose name changed since (same UBIGEO, another name)."""
    columns = [C.DEPARTAMENTO, C.PROVINCIA, "distrito_anterior", C.UBIGEO]
    if old is None:
        return pd.DataFrame(columns=columns)
    now = districts.set_index(C.UBIGEO)[C.DISTRITO]
    rows = [(o.NOMBDEP, o.NOMBPROV, o.NOMBDIST, o.IDDIST) for o in old.itertuples()
            if o.IDDIST in now.index and normalise(o.NOMBDIST) != normalise(now[o.IDDIST])]
    return pd.DataFrame(rows, columns=columns)


def _split_population(out: pd.DataFrame, geoms: np.ndarray,
                      old: gpd.GeoDataFrame | None) -> list[str]:
    """Share the parents' 2020 population with the districts created from them.

    A district without population is matched to the 2007 district it overlaps most; the
    current district with that UBIGEO is its parent. The parent's population (its 2018
    territory: itself plus its new districts) is shared in proportion to area: the total
    stays what INEI counted. Returns the UBIGEO of every district whose figure changed.
    """
    missing = out[C.POBLACION].isna().to_numpy()
    if old is None or not missing.any():
        return []
    children = gpd.GeoDataFrame({C.UBIGEO: out[C.UBIGEO].to_numpy()[missing]},
                                geometry=geoms[missing], crs=WGS84).to_crs(EQUAL_AREA_CRS)
    pieces = gpd.overlay(children, old.to_crs(EQUAL_AREA_CRS)[["IDDIST", "geometry"]],
                         how="intersection", keep_geom_type=True)
    pieces["a"] = pieces.area
    parent_of = (pieces.sort_values("a").groupby(C.UBIGEO)["IDDIST"].last())
    pop = out.set_index(C.UBIGEO)[C.POBLACION]
    area = out.set_index(C.UBIGEO)[C.AREA_KM2]
    changed: list[str] = []
    for parent, kids in parent_of.groupby(parent_of):
        if parent not in pop.index or pd.isna(pop[parent]):
            continue  # its parent is new too, or unknown: the province mean fills it
        family = [parent, *kids.index]
        total_area = area[family].sum()
        shares = area[family] / total_area
        values = pop[parent] * shares
        out.loc[out[C.UBIGEO].isin(family), C.POBLACION] = \
            out.loc[out[C.UBIGEO].isin(family), C.UBIGEO].map(values).to_numpy()
        changed.extend(family)
    return changed


def _districts(
    dist: gpd.GeoDataFrame, poverty: pd.DataFrame, indicators: pd.DataFrame, path: Path,
    old: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    ubigeo = dist["COD_DISTRITO"].astype(str).to_numpy()
    if len(set(ubigeo)) != len(ubigeo) or not all(len(u) == 6 and u.isdigit() for u in ubigeo):
        raise DataError("geografia.codigos_cod_distrito_no", path=path)
    geoms = dist.geometry.to_numpy()
    area = gpd.GeoSeries(geoms, crs=WGS84).to_crs(EQUAL_AREA_CRS).area.to_numpy() / 1e6
    points = shapely.point_on_surface(geoms)
    lon, lat = shapely.get_x(points), shapely.get_y(points)

    out = pd.DataFrame(
        {
            C.UBIGEO: ubigeo,
            C.DISTRITO: dist["DISTRITO"].astype(str).to_numpy(),
            C.PROVINCIA: dist["PROVINCIA"].astype(str).to_numpy(),
            C.DEPARTAMENTO: dist["DEPARTAMENTO"].astype(str).to_numpy(),
            C.COD_DEP: [u[:2] for u in ubigeo],
            C.COD_PROV: [u[:4] for u in ubigeo],
            C.REGION_NATURAL: dist["REGION_NATURAL"].astype(str).to_numpy(),
            C.AREA_KM2: area,
        }
    )
    pov = poverty.assign(ubigeo=poverty["ubigeo"].astype(str)).set_index("ubigeo")
    ind = indicators.dropna(subset=["inei"]).drop_duplicates("inei").set_index("inei")
    pob = out[C.UBIGEO].map(pov["pob_2020"])
    # fallback: the CEPLAN table's 2020 density times its own area
    pob_alt = out[C.UBIGEO].map(
        pd.to_numeric(ind["pob_densidad_2020"], errors="coerce")
        * pd.to_numeric(ind["superficie"], errors="coerce")
    )
    from_density = pob.isna() & pob_alt.notna()
    out[C.POBLACION] = pob.fillna(pob_alt)
    split = set(_split_population(out, geoms, old))
    out[C.POBREZA] = out[C.UBIGEO].map(pov["pobreza_monetaria"])
    out[C.POBREZA_INF] = out[C.UBIGEO].map(pov["conf_95_inf"])
    out[C.POBREZA_SUP] = out[C.UBIGEO].map(pov["conf_95_sup"])
    out[C.IDH] = out[C.UBIGEO].map(pd.to_numeric(ind["idh_2019"], errors="coerce"))
    out[C.DENSIDAD] = out[C.POBLACION] / out[C.AREA_KM2]
    out[C.ALTITUD] = out[C.UBIGEO].map(pd.to_numeric(ind["altitude"], errors="coerce"))

    filled = _impute_by_province(out)
    no_pop = out[C.POBLACION].isna()
    out.loc[no_pop, C.POBLACION] = out.loc[no_pop, C.DENSIDAD] * out.loc[no_pop, C.AREA_KM2]
    shared = out[C.UBIGEO].isin(split).to_numpy()
    for i in np.flatnonzero(from_density.to_numpy() | no_pop.to_numpy() | shared):
        filled[i].insert(0, C.POBLACION)
    out[IMPUTADO] = [";".join(names) for names in filled]

    out[C.LEJANIA] = _distance_to_capital(out[C.UBIGEO].to_numpy(), lon, lat, path)
    out[C.CENTROIDE_LON] = lon
    out[C.CENTROIDE_LAT] = lat
    out = out[list(DISTRICT_COLUMNS)]
    return gpd.GeoDataFrame(out, geometry=geoms, crs=WGS84)


def _impute_by_province(out: pd.DataFrame) -> list[list[str]]:
    """Fill missing indicators with the mean of the province (else the department)."""
    filled: list[list[str]] = [[] for _ in range(len(out))]
    for col in _IMPUTABLE:
        missing = out[col].isna().to_numpy()
        if not missing.any():
            continue
        by_prov = out.groupby(C.COD_PROV)[col].transform("mean")
        by_dep = out.groupby(C.COD_DEP)[col].transform("mean")
        out[col] = out[col].fillna(by_prov).fillna(by_dep)
        for i in np.flatnonzero(missing):
            filled[i].append(col)
    return filled


def _distance_to_capital(
    ubigeo: np.ndarray, lon: np.ndarray, lat: np.ndarray, path: Path
) -> np.ndarray:
    """Geodesic km from each district's point to its department capital's (``DD0101``)."""
    index = {u: i for i, u in enumerate(ubigeo)}
    capital = np.array([index.get(u[:2] + "0101", -1) for u in ubigeo])
    if (capital < 0).any():
        missing = sorted({u[:2] for u, c in zip(ubigeo, capital, strict=True) if c < 0})
        raise DataError("geografia.faltan_distritos_capital_dd0101", path=path, missing=missing)
    _, _, metres = _GEOD.inv(lon, lat, lon[capital], lat[capital])
    return np.asarray(metres) / 1000.0


def _sources_table(
    registry: dict[str, Source], files: dict[str, Path], counts: dict[str, int]
) -> pd.DataFrame:
    built = _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()
    rows = []
    for key in files:
        source = registry[key]
        rows.append(
            {
                "clave": key,
                "archivo": source.file,
                "url": source.url,
                "sha256": source.sha256,  # verified in _check_sources
                "licencia": source.license,
                "cita": source.citation,
                "formato": source.format,
                "n_filas": counts.get(key, 0),
                "fecha_construccion": built,
            }
        )
    return pd.DataFrame(rows)


def _read_layer(
    base: str | Path,
    layer: str,
    region: tuple[str, ...] | str | None,
    columns: tuple[str, ...],
    sort_by: str,
) -> gpd.GeoDataFrame:
    base = Path(base)
    codes = parse_region(region)  # accepts ("08", "16"), "cusco,loreto", "all", () …
    if not base.is_file():
        raise DataError("geografia.no_existe_base_distritos", base=base)
    try:
        layers = {str(n) for n, _ in pyogrio.list_layers(base)}
    except Exception as err:  # noqa: BLE001
        raise DataError("geografia.no_geopackage_legible_ejecute", base=base, err=err) from err
    if layer not in layers:
        raise DataError("geografia.no_tiene_capa_no", base=base, layer=layer)
    where = None
    if codes:
        if not all(len(c) == 2 and c.isdigit() for c in codes):
            raise DataError("geografia.codigos_departamento_invalidos_use", codes=codes)
        where = f"{C.COD_DEP} IN ({', '.join(repr(c) for c in codes)})"
    gdf = pyogrio.read_dataframe(base, layer=layer, where=where)
    missing = [c for c in columns if c not in gdf.columns]
    if missing:
        raise DataError("geografia.capa_faltan_columnas_reconstruyala", base=base, layer=layer,
                        missing=missing)
    absent = [c for c in codes if c not in set(gdf[C.COD_DEP])]
    if absent:
        raise DataError("geografia.no_departamento_codigos_van", layer=layer,
                        absent=', '.join(absent), base=base)
    for col in (C.UBIGEO, C.COD_DEP, C.COD_PROV):
        if col in gdf.columns:
            gdf[col] = gdf[col].astype(str)
    if gdf.crs is None or not gdf.crs.equals(WGS84):
        gdf = gdf.set_crs(WGS84, allow_override=True) if gdf.crs is None else gdf.to_crs(WGS84)
    gdf = gdf[[*columns, gdf.geometry.name]].sort_values(sort_by).reset_index(drop=True)
    return gdf
