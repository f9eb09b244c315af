r"""Read any vector source a user brings, and check it before anything is built on it.

:func:`read_vector` reads whatever GDAL reads (GeoPackage, GeoJSON, Shapefile, a zipped
Shapefile, …) through pyogrio, and CSV tables with a WKT column or lon/lat columns. It
returns a GeoDataFrame in EPSG:4326 and never changes data silently: a projected CRS
(UTM 18S/19S, Peru96 …) is reprojected and an invalid polygon is repaired with
``make_valid``, and both are reported as :class:`Notice` objects in
``gdf.attrs["notices"]`` for the caller to print. What cannot be fixed safely — an empty
file, no CRS, empty geometries — is a :class:`~geo.errors.DataError` naming the file and
the rows.

:func:`read_boundaries` adds the district key: it finds the UBIGEO column, normalises it
to 6-digit strings in column ``ubigeo`` and rejects duplicate keys.

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "d.csv").write_text(
...     'UBIGEO,wkt\n80101,"POLYGON ((0 0, 1 0, 1 1, 0 1, 0 0))"\n')
>>> gdf = read_boundaries(d / "d.csv")
>>> gdf["ubigeo"].tolist(), gdf.crs.to_epsg()
(['080101'], 4326)
"""

from __future__ import annotations

import csv
import io as _stdio
import sqlite3
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from geo import columns as C
from geo.errors import DataError
from geo.formatting import format_number
from geo.geography.ubigeo import InLanguage, find_ubigeo_column, normalize_ubigeo
from geo.messages import Message, t

__all__ = ["GPKG_OPTIONS", "Notice", "notices", "read_boundaries", "read_vector"]

WGS84 = "EPSG:4326"
#: Every GeoPackage riskmap writes: ``dataset_options=GPKG_OPTIONS``. GDAL >= 3.7 writes
#: GeoPackage 1.4 by default, which GDAL 3.6 (Debian 12's QGIS and ogrinfo) opens only with
#: a warning ("may only be partially supported"); 1.2 is read by every GDAL since 2.2.
GPKG_OPTIONS = {"VERSION": "1.2"}
CSV_SUFFIXES = (".csv", ".txt", ".tsv")
WKT_COLUMNS = ("geometry", "wkt", "geom", "the_geom", "geometria", "wkt_geom")
LONLAT_COLUMNS = (
    ("lon", "lat"),
    ("longitude", "latitude"),
    ("longitud", "latitud"),
    ("lng", "lat"),
    ("x", "y"),
)
_MAX_LISTED = 10


class Notice(Message):
    """Something riskmap changed in the data: a catalogue key and its parameters.

    A :class:`geo.messages.Message` given its parameters as keywords, written in the
    language current when it is shown; two notices that read the same are equal (a frame's
    notices are kept once each).

    Examples
    --------
    >>> Notice("comun.n_distritos", n=4).message("en")
    '4 districts'
    >>> Notice("comun.n_distritos", n=4).es
    '4 distritos'
    """

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key, params)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Notice):
            return NotImplemented
        return (self.es, self.en) == (other.es, other.en)

    def __hash__(self) -> int:
        return hash((self.es, self.en))

    def __repr__(self) -> str:
        return f"Notice(es={self.es!r}, en={self.en!r})"


def notices(gdf: pd.DataFrame) -> list[Notice]:
    """Return the notices :func:`read_vector` attached to a frame (``[]`` if none)."""
    return list(gdf.attrs.get("notices", []))


def read_vector(
    path: str | Path,
    layer: str | int | None = None,
    *,
    crs: str | int | None = None,
    drop_empty: bool = False,
    where: str | None = None,
    none_matching_ok: bool = False,
) -> gpd.GeoDataFrame:
    """Read a vector file into a validated GeoDataFrame in EPSG:4326.

    Parameters
    ----------
    path : str or Path
        Any file GDAL reads (``.gpkg``, ``.geojson``, ``.shp``, a ``.zip`` holding a
        Shapefile, …) or a CSV with a WKT column (``geometry``, ``wkt``) or lon/lat
        columns (``lon``/``lat``, ``longitud``/``latitud``, ``x``/``y``).
    layer : str or int, optional
        A layer inside a multi-layer file (default: the first layer with geometry).
    crs : str or int, optional
        The CRS to assume when the file declares none (for example ``"EPSG:4326"``).
        A declared CRS is never overridden, except a geographic one whose coordinates
        cannot be degrees (a GeoJSON in UTM metres without a ``crs`` member, which GDAL
        reads as EPSG:4326): then a projected ``crs`` is used, and without one it is an
        error.
    drop_empty : bool
        Drop features without geometry (reported) instead of raising.
    where : str, optional
        An attribute filter in GDAL's SQL WHERE syntax (``"LEYENDA = 'TITULADO'"``), applied
        while reading (a CSV is filtered with SQLite, whose syntax is the same for this).
    none_matching_ok : bool
        With ``where``: return an empty frame when no feature matches (one file of several,
        such as an INGEMMET zone without titled concessions) instead of raising.

    Returns
    -------
    GeoDataFrame
        In EPSG:4326, with ``attrs["notices"]``: the list of :class:`Notice` saying what
        was changed (reprojection, repaired polygons, dropped rows).

    Raises
    ------
    DataError
        The file does not exist, cannot be read, has no features, has no CRS, has
        coordinates in metres under a geographic CRS, or has empty geometries (naming the
        rows).
    """
    path = Path(path)
    if not path.exists():
        raise DataError("comun.no_existe_archivo_revise", path=path)
    if path.is_file() and path.stat().st_size == 0:
        raise _empty_error(path)
    found: list[Notice] = []
    if path.suffix.lower() in CSV_SUFFIXES:
        gdf, rows = _read_csv(path, crs, found)
        if where:
            gdf = filter_where(gdf, where, path)
    else:
        gdf, rows = _read_gdal(path, layer, found, where), _row_namer(None)
    if len(gdf) == 0:
        if where and none_matching_ok:
            return gdf.set_crs(WGS84 if gdf.crs is None else gdf.crs).to_crs(WGS84) \
                if isinstance(gdf, gpd.GeoDataFrame) else gdf
        if where:
            raise DataError("geografia.ningun_objeto_cumple_where", path=path, where=where)
        raise _empty_error(path)
    gdf = _check_crs(gdf, path, crs, found)
    gdf = _check_empty(gdf, path, rows, drop_empty, found)
    gdf = _repair(gdf, path, rows, found)
    gdf.attrs["notices"] = found
    return gdf


def read_boundaries(
    path: str | Path,
    layer: str | int | None = None,
    *,
    crs: str | int | None = None,
    drop_empty: bool = False,
) -> gpd.GeoDataFrame:
    """Read district boundaries: :func:`read_vector` plus a clean, unique ``ubigeo`` key.

    Parameters
    ----------
    path, layer, crs, drop_empty
        As in :func:`read_vector`.

    Returns
    -------
    GeoDataFrame
        EPSG:4326, with column ``ubigeo`` (6-digit strings, unique) first; the source's
        key column (``UBIGEO``, ``IDDIST`` …) is renamed to it. ``attrs["notices"]``
        also says when lost leading zeros were restored.

    Raises
    ------
    DataError
        Everything :func:`read_vector` raises; no key column; a code that is not
        6 digits (naming the row); duplicate codes (listing them); non-polygon features.
    """
    path = Path(path)
    gdf = read_vector(path, layer, crs=crs, drop_empty=drop_empty)
    found = notices(gdf)
    first_line = 2 if path.suffix.lower() in CSV_SUFFIXES else None
    col = find_ubigeo_column(gdf, path)
    raw = gdf[col]
    codes = normalize_ubigeo(raw, path, first_line=first_line)
    was_padded = codes.str.startswith("0") & ~raw.astype(str).str.strip().str.startswith("0")
    if was_padded.any():
        example = codes[was_padded].iloc[0]
        found.append(
            Notice("geografia.restauro_cero_inicial_codigo", path=path,
                   was_padded=int(was_padded.sum()), example=example)
        )
    dupes = codes[codes.duplicated(keep=False)]
    if len(dupes):
        where = _row_namer(first_line)
        pos = np.flatnonzero(codes.duplicated(keep=False).to_numpy())
        groups: dict[str, list[int]] = {}
        for p in pos:
            groups.setdefault(codes.iloc[p], []).append(int(p))
        items = sorted(groups.items())[:_MAX_LISTED]
        listed = InLanguage(lambda lang: "; ".join(
            f"{c} ({', '.join(where(p, lang) for p in ps)})" for c, ps in items))
        more = len(groups) - len(items)
        raise DataError("geografia.io.ubigeo_repetidos", path=path, n=len(groups), col=col,
                        items=listed,
                        more=Message("geografia.ubigeo.y_n_mas", {"rest": more}) if more else "")
    polygonal = gdf.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    if not polygonal.all():
        where = _row_namer(first_line)
        bad = np.flatnonzero(~polygonal)
        kinds = sorted(set(gdf.geometry.geom_type.iloc[bad]))
        raise DataError("geografia.io.limites_no_poligonos", path=path, n=len(bad),
                        kinds=", ".join(kinds), rows=_rows(bad, where))
    out = gdf.drop(columns=[col])
    if C.UBIGEO in out.columns:  # e.g. both 'UBIGEO' and 'ubigeo': keep the other one aside
        out = out.rename(columns={C.UBIGEO: f"{C.UBIGEO}_original"})
    out.insert(0, C.UBIGEO, codes.to_numpy())
    out = gpd.GeoDataFrame(out, geometry=gdf.geometry.name, crs=gdf.crs)
    out.attrs["notices"] = found
    return out


# ---------------------------------------------------------------------------------------
def _row_namer(first_line: int | None) -> Callable[[int, str], str]:
    """How to name row ``i`` (0-based position): a CSV line, or a feature number."""

    def where(i: int, lang: str) -> str:
        if first_line is not None:
            return t("geografia.linea", lang=lang, i=i + first_line)
        return t("geografia.objeto", lang=lang, i=i + 1)

    return where


def _rows(positions: np.ndarray, where: Callable[[int, str], str]) -> InLanguage:
    """Name the rows at ``positions`` (the first few) in the language of the moment."""
    return InLanguage(lambda lang: _list_rows(positions, where, lang))


def _list_rows(positions: np.ndarray, where: Callable[[int, str], str], lang: str) -> str:
    shown = ", ".join(where(int(p), lang) for p in positions[:_MAX_LISTED])
    rest = len(positions) - _MAX_LISTED
    if rest > 0:
        shown += t("geografia.more", lang=lang, rest=rest)
    return shown


def _empty_error(path: Path) -> DataError:
    return DataError("geografia.archivo_vacio_no_tiene", path=path)


def filter_where(table: pd.DataFrame, where: str, path: Path) -> pd.DataFrame:
    """Keep the rows of ``table`` that match a SQL WHERE clause (evaluated by SQLite).

    >>> t = pd.DataFrame({"LEYENDA": ["TITULADO", "EXTINGUIDO"], "HAS": [100, 50]})
    >>> filter_where(t, "LEYENDA = 'TITULADO' AND HAS > 10", Path("c.csv"))["HAS"].tolist()
    [100]
    """
    plain = pd.DataFrame({c: table[c] for c in table.columns
                          if c != getattr(table, "_geometry_column_name", None)})
    plain.columns = [str(c) for c in plain.columns]
    with sqlite3.connect(":memory:") as conn:
        plain.assign(_fila=np.arange(len(plain))).to_sql("t", conn, index=False)
        try:
            keep = [r[0] for r in conn.execute(f"SELECT _fila FROM t WHERE {where}")]
        except sqlite3.Error as err:
            raise _bad_where(path, where, err) from err
    return table.iloc[keep]


def _bad_where(path: Path, where: str, err: Exception) -> DataError:
    return DataError("geografia.filtro_where_no_valido", name=path.name, where=where, err=err)


def _read_gdal(path: Path, layer: str | int | None, found: list[Notice],
               where: str | None = None) -> gpd.GeoDataFrame:
    try:
        listed = pyogrio.list_layers(path)
    except Exception as err:  # noqa: BLE001 - pyogrio raises several GDAL error types
        raise DataError("geografia.gdal_no_puede_leer", path=path, err=err) from err
    names = [str(n) for n, _ in listed]
    spatial = [str(n) for n, g in listed if g is not None]
    if layer is None:
        if not spatial:
            raise DataError("geografia.no_tiene_ninguna_capa", path=path, names=', '.join(names))
        layer = spatial[0]
        if len(names) > 1:
            others = ", ".join(n for n in names if n != layer)
            found.append(
                Notice("geografia.leyo_capa_archivo_tiene", path=path, layer=layer, others=others)
            )
    elif isinstance(layer, str) and layer not in names:
        raise DataError("geografia.no_existe_capa_capas", path=path, layer=layer,
                        names=', '.join(names))
    try:
        with warnings.catch_warnings():
            # GDAL warns about odd but readable files (e.g. a .prj it cannot fully parse);
            # what matters is checked below
            warnings.simplefilter("ignore", RuntimeWarning)
            gdf = pyogrio.read_dataframe(path, layer=layer, where=where)
    except Exception as err:  # noqa: BLE001
        if where:
            raise _bad_where(path, where, err) from err
        raise DataError("geografia.no_pudo_leer_capa", path=path, layer=layer, err=err) from err
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise DataError("geografia.capa_no_tiene_geometria", path=path, layer=layer)
    return gdf


def _read_csv(
    path: Path, crs: str | int | None, found: list[Notice]
) -> tuple[gpd.GeoDataFrame, Callable[[int, str], str]]:
    text = _decode(path)
    try:
        sep = csv.Sniffer().sniff(text[:20000], delimiters=",;\t|").delimiter
    except csv.Error:
        sep = ","
    try:
        df = pd.read_csv(_stdio.StringIO(text), sep=sep)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise DataError("geografia.no_csv_legible", path=path, err=err) from err
    where = _row_namer(2)
    if len(df) == 0:
        raise _empty_error(path)
    lower = {str(c).strip().lower(): c for c in df.columns}
    wkt_col = next((lower[n] for n in WKT_COLUMNS if n in lower), None)
    if wkt_col is not None:
        texts = df[wkt_col]
        missing = texts.isna().to_numpy()
        geoms = np.empty(len(df), dtype=object)
        bad = []
        for i, t in enumerate(texts):
            if missing[i] or not str(t).strip():
                geoms[i] = None
                continue
            try:
                geoms[i] = shapely.from_wkt(str(t))
            except shapely.errors.GEOSException:
                bad.append(i)
        if bad:
            raise DataError("geografia.io.wkt_ilegible", path=path, col=wkt_col,
                            rows=_rows(np.array(bad), where))
        gdf = gpd.GeoDataFrame(df.drop(columns=[wkt_col]), geometry=list(geoms), crs=crs)
        if crs is None and _looks_lonlat(gdf):
            # a CSV cannot declare a CRS; degrees within lon/lat range can only be WGS84-like
            gdf = gdf.set_crs(WGS84)
            found.append(
                Notice("geografia.csv_no_declara_sistema", path=path)
            )
        return gdf, where
    for xname, yname in LONLAT_COLUMNS:
        if xname in lower and yname in lower:
            xcol, ycol = lower[xname], lower[yname]
            x = pd.to_numeric(df[xcol], errors="coerce")
            y = pd.to_numeric(df[ycol], errors="coerce")
            bad = np.flatnonzero((x.isna() & df[xcol].notna()) | (y.isna() & df[ycol].notna()))
            if len(bad):
                raise DataError("geografia.io.lonlat_no_numeros", path=path, xcol=xcol,
                                ycol=ycol, rows=_rows(bad, where))
            points = gpd.points_from_xy(x, y)
            points[(x.isna() | y.isna()).to_numpy()] = None
            # lon/lat columns are WGS84 by convention unless the caller says otherwise
            return gpd.GeoDataFrame(df, geometry=points, crs=crs or WGS84), where
    raise DataError("geografia.csv_no_tiene_geometria", path=path,
                    columns=', '.join(map(str, df.columns)))


def _looks_lonlat(gdf: gpd.GeoDataFrame) -> bool:
    geoms = gdf.geometry.to_numpy()
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not present.any():
        return False
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms[present])
    return -180 <= xmin <= xmax <= 180 and -90 <= ymin <= ymax <= 90


def _decode(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # spreadsheets in Peru often save Latin-1 (Windows-1252) CSV
        return raw.decode("cp1252", errors="replace")


def _check_crs(
    gdf: gpd.GeoDataFrame, path: Path, crs: str | int | None, found: list[Notice]
) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        if crs is not None:
            gdf = gdf.set_crs(crs)
            found.append(
                Notice("geografia.no_declara_sistema_coordenadas", path=path, crs=crs)
            )
        else:
            raise DataError("geografia.archivo_no_declara_sistema", path=path)
    source_crs = CRS.from_user_input(gdf.crs)
    if source_crs.is_geographic and _outside_degrees(gdf):
        gdf, source_crs = _projected_in_degrees(gdf, path, source_crs, crs, found)
    if source_crs.equals(CRS.from_epsg(4326), ignore_axis_order=True):
        # OGC:CRS84 (GeoJSON) is EPSG:4326 with lon/lat order, which is what we store
        return gdf.set_crs(WGS84, allow_override=True)
    name = source_crs.name
    code = source_crs.to_epsg()
    label = f"{name} (EPSG:{code})" if code else name
    gdf = gdf.to_crs(WGS84)
    found.append(
        Notice("geografia.estaba_reproyecto_epsg_4326", path=path, label=label)
    )
    return gdf


def _outside_degrees(gdf: gpd.GeoDataFrame) -> bool:
    """Return True when the coordinates cannot be degrees (|lon| > 180 or |lat| > 90)."""
    xmin, ymin, xmax, ymax = gdf.total_bounds
    if not np.all(np.isfinite([xmin, ymin, xmax, ymax])):  # no geometry at all
        return False
    return bool(xmin < -180 or xmax > 180 or ymin < -90 or ymax > 90)


def _projected_in_degrees(
    gdf: gpd.GeoDataFrame,
    path: Path,
    source_crs: CRS,
    crs: str | int | None,
    found: list[Notice],
) -> tuple[gpd.GeoDataFrame, CRS]:
    """Use a projected ``crs`` for metres under a geographic CRS, else refuse.

    GDAL assumes EPSG:4326 for any GeoJSON without a ``crs`` member, so UTM metres
    (865209, 8494143) would otherwise pass as degrees.
    """
    xmin, ymin, xmax, ymax = gdf.total_bounds
    xmin, ymin, xmax, ymax = (format_number(v, digits=0) for v in (xmin, ymin, xmax, ymax))
    extent = f"x {xmin} … {xmax}, y {ymin} … {ymax}"
    if crs is not None and not CRS.from_user_input(crs).is_geographic:
        gdf = gdf.set_crs(crs, allow_override=True)
        found.append(
            Notice("geografia.declara_grados_coordenadas_metros", path=path, name=source_crs.name,
                   extent=extent, crs=crs)
        )
        return gdf, CRS.from_user_input(gdf.crs)
    raise DataError("geografia.coordenadas_no_pueden_grados", path=path, extent=extent,
                    name=source_crs.name)


def _check_empty(
    gdf: gpd.GeoDataFrame,
    path: Path,
    where: Callable[[int, str], str],
    drop_empty: bool,
    found: list[Notice],
) -> gpd.GeoDataFrame:
    geoms = gdf.geometry.to_numpy()
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if not empty.any():
        return gdf
    bad = np.flatnonzero(empty)
    if not drop_empty:
        raise DataError("geografia.io.sin_geometria", path=path, n=len(bad),
                        rows=_rows(bad, where))
    if empty.all():
        raise _empty_error(path)
    found.append(
        Notice("geografia.io.descartados_sin_geometria", path=path, n=len(bad),
               rows=_rows(bad, where))
    )
    out = gdf.loc[~empty].reset_index(drop=True)
    return out


def _repair(
    gdf: gpd.GeoDataFrame, path: Path, where: Callable[[int, str], str], found: list[Notice]
) -> gpd.GeoDataFrame:
    geoms = gdf.geometry.to_numpy()
    invalid = ~shapely.is_valid(geoms)
    if not invalid.any():
        return gdf
    bad = np.flatnonzero(invalid)
    reasons = shapely.is_valid_reason(geoms[bad])
    fixed = shapely.make_valid(geoms[bad])
    # make_valid may add lines or points where a polygon touched itself: keep the area
    for k, (old, new) in enumerate(zip(geoms[bad], fixed, strict=True)):
        if old.geom_type in ("Polygon", "MultiPolygon"):
            fixed[k] = _polygonal_part(new)
    geoms = geoms.copy()
    geoms[bad] = fixed
    gdf = gdf.copy()
    gdf[gdf.geometry.name] = gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs)
    detail = InLanguage(lambda lang: "; ".join(
        f"{where(int(p), lang)}: {r}" for p, r in zip(bad[:_MAX_LISTED], reasons, strict=False)
    ))
    rest = len(bad) - _MAX_LISTED
    found.append(
        Notice("geografia.io.geometrias_reparadas", path=path, n=len(bad), detail=detail,
               more=Message("geografia.ubigeo.y_n_mas", {"rest": rest}) if rest > 0 else "")
    )
    return gdf


def _polygonal_part(geom: shapely.Geometry) -> shapely.Geometry:
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    polys = [p for part in parts for p in shapely.get_parts(part)]
    return shapely.MultiPolygon(polys) if len(polys) > 1 else (polys[0] if polys else geom)
