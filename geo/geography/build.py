"""The district table: base districts plus one numeric column per sector layer.

:func:`build_districts` reads the districts of the selected region from the base
GeoPackage (:func:`geo.geography.base.read_districts`), aggregates every layer the settings declare
(:func:`geo.geography.layers.aggregate`) and writes ``distritos.gpkg``:

- layer ``distritos``: the base columns (``ubigeo``, ``distrito``, ``provincia``,
  ``departamento``, ``area_km2``, ``poblacion`` …, geometry) and one float column per layer,
  named as the layer; NULL (NaN) where a table layer has no value for the district;
- table ``fuentes``: one row per layer with its file, sha256, feature count, build date,
  measure, whether it is simulated (``simulado``, ``origen``), its source, unit and years,
  how many districts the source gives no value (``sin_dato``) and why those hold 0 when
  they do (``motivo_cero``);
- table ``capas_por_anio`` (when a layer is dated: ``year_column``, or a raster of years):
  ``ubigeo, capa, anio, valor``, each dated layer as it stood at the end of the years it
  changed (:func:`geo.geography.layers.layer_history`), read by :func:`read_layer_history`.

The file is written to a temporary name next to ``out`` and renamed at the end, so an
error never leaves a half-written table behind nor destroys the previous one.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio

from geo import columns as C
from geo.config import MISSING_ZERO, LayerSpec, Settings, parse_region
from geo.errors import ConfigError, DataError
from geo.geography.base import read_districts, read_renamed
from geo.geography.io import GPKG_OPTIONS, Notice
from geo.geography.layers import aggregate, layer_history
from geo.geography.services import LAYER as SERVICES_LAYER
from geo.geography.services import read_services
from geo.messages import t

__all__ = [
    "DISTRICTS_LAYER",
    "FUENTES_COLUMNS",
    "FUENTES_TABLE",
    "HISTORY_TABLE",
    "LayerHistory",
    "add_layers",
    "build_districts",
    "file_sha256",
    "read_fuentes",
    "read_layer_history",
    "write_districts",
]

DISTRICTS_LAYER = "distritos"
FUENTES_TABLE = "fuentes"
#: Dated layers in past years: ``ubigeo, capa, anio, valor`` (long).
HISTORY_TABLE = "capas_por_anio"


class LayerHistory:
    """The dated layers' past, carried in a district table's ``attrs``.

    pandas copies ``attrs`` deeply on every operation and compares them when concatenating;
    a DataFrame there would be copied each time and make ``pd.concat`` fail ("truth value of
    a DataFrame is ambiguous"). This holder is passed on by reference and equal only to
    itself.

    >>> import copy
    >>> h = LayerHistory(pd.DataFrame({"a": [1]}))
    >>> copy.deepcopy(h) is h, h == LayerHistory(h.frame)
    (True, False)
    """

    __slots__ = ("frame",)

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame

    def __deepcopy__(self, memo: dict) -> LayerHistory:
        return self

    def __copy__(self) -> LayerHistory:
        return self

# columns of the ``fuentes`` table (one row per layer)
CAPA = "capa"
RUTA = "ruta"
SHA256 = "sha256"
N_ELEMENTOS = "n_elementos"
FECHA_CONSTRUCCION = "fecha_construccion"
SIMULADO = "simulado"
MEDIDA = "medida"
COLUMNA = "columna"
POR = "por"
DESCRIPCION = "descripcion"
SIN_DISTRITO = "filas_sin_distrito"  # rows of a name-keyed table matching no district
LICENCIA = "licencia"
CITA = "cita"
ORIGEN = "origen"  # "real" or "simulado" (LayerSpec.origin)
FUENTE = "fuente"  # short name of the source, for legends ([[layers]] source)
UNIDAD = "unidad"  # of the district value ([[layers]] unit)
ANIOS = "anios"  # the years the value describes: "2020–2024", "2020" or ""
SIN_DATO = "sin_dato"  # districts of the built region the source gives no value
MOTIVO_CERO = "motivo_cero"  # why those districts hold 0 ([[layers]] missing_reason) or ""
FUENTES_COLUMNS = (
    CAPA, C.SECTOR, RUTA, SHA256, N_ELEMENTOS, FECHA_CONSTRUCCION, SIMULADO, MEDIDA, COLUMNA,
    POR, DESCRIPCION, SIN_DISTRITO, LICENCIA, CITA, ORIGEN, FUENTE, UNIDAD, ANIOS, SIN_DATO,
    MOTIVO_CERO,
)
#: What a ``fuentes`` table written before a column existed reads as (:func:`read_fuentes`).
_FUENTES_DEFAULTS = {FUENTE: "", UNIDAD: "", ANIOS: "", SIN_DATO: 0, MOTIVO_CERO: ""}
_INT_COLUMNS = (N_ELEMENTOS, SIN_DISTRITO, SIN_DATO)
#: Licence and citation of a simulated layer that names none.
SIMULATED_LICENCE = "simulada por riskmap (GPL-3.0-or-later)"
SIMULATED_CITATION = "riskmap, mundo simulado: ver LEEME.md de la carpeta de la demostración"


def licence_of(spec) -> tuple[str, str]:
    """``([[layers]] license, citation)``, the simulated ones' default, or blanks."""
    if spec.license or spec.citation or not spec.simulated:
        return spec.license, spec.citation
    return SIMULATED_LICENCE, SIMULATED_CITATION


def build_districts(
    settings: Settings,
    region: str | Iterable[str] | None = None,
    out: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
    client: Any = None,
) -> gpd.GeoDataFrame:
    """Build the district table of a deployment and write it to a GeoPackage.

    Parameters
    ----------
    settings : Settings
        From :func:`geo.config.load_settings`: the base GeoPackage and the layers.
    region : str or sequence of str, optional
        Department codes or names (``"cusco,loreto"``, ``("08",)``, ``"all"``); default
        ``settings.region``. ``()`` or ``"all"`` means all of Peru.
    out : str or Path, optional
        The GeoPackage to write (default ``settings.districts_gpkg``).
    progress : callable, optional
        Called with a short message (in the current language) before each step.
    client : dask.distributed.Client, optional
        Aggregate point files and rasters on this cluster (see :mod:`geo.geography.chunks`).

    Returns
    -------
    GeoDataFrame
        The table written to ``distritos``. ``attrs["notices"]`` lists the
        :class:`geo.geography.io.Notice` of every layer, ``attrs["fuentes"]`` the ``fuentes`` rows
        (list of dicts) and ``attrs["simulated"]`` whether anything is simulated.

    Raises
    ------
    ConfigError
        The base GeoPackage is missing, or a layer's name clashes with a base column.
    DataError
        A layer cannot be read or aggregated (missing CRS, a ``column`` it lacks, a
        non-numeric value…); nothing is written then.
    """
    say = progress or (lambda _msg: None)
    codes = settings.region if region is None else (
        parse_region(region) if isinstance(region, str) else parse_region(list(region)))
    out = Path(out) if out is not None else settings.districts_gpkg
    base = Path(settings.base)
    if not base.exists():
        raise ConfigError("geografia.no_existe_base_distritos_ejecute_riskmap_data", base=base)
    say(t("geografia.leyendo_distritos", name=base.name))
    districts = read_districts(base, codes)
    names = renamed = None
    if any(spec.match for spec in settings.layers):
        names = pd.DataFrame(pyogrio.read_dataframe(
            base, layer="distritos", read_geometry=False,
            columns=[C.UBIGEO, C.DISTRITO, C.PROVINCIA, C.DEPARTAMENTO]))
        renamed = read_renamed(base)
    gdf, fuentes, notices = add_layers(districts, settings.layers, progress=say,
                                       names=names, renamed=renamed, client=client)
    services = None
    if settings.services:
        say(t("geografia.leyendo_servicios_atencion"))
        services = read_services(settings.services, districts)
        fuentes = pd.concat([fuentes, _service_sources(settings, services)], ignore_index=True)
    say(t("geografia.escribiendo", out=out))
    write_districts(gdf, fuentes, out, services=services,
                    history=_unwrap(gdf.attrs.get(HISTORY_TABLE)))
    gdf.attrs["notices"] = notices
    gdf.attrs["fuentes"] = fuentes.to_dict("records")
    gdf.attrs["simulated"] = bool(settings.simulated or fuentes[SIMULADO].any())
    return gdf


def add_layers(
    districts: gpd.GeoDataFrame,
    layers: Iterable[LayerSpec],
    progress: Callable[[str], None] | None = None,
    names: pd.DataFrame | None = None,
    renamed: pd.DataFrame | None = None,
    client: Any = None,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame, list[Notice]]:
    """Aggregate each layer into ``districts``: one float column per layer.

    Parameters
    ----------
    districts : GeoDataFrame
        Districts with ``ubigeo`` and geometry (as :func:`geo.geography.base.read_districts` gives).
    layers : iterable of LayerSpec
    progress : callable, optional
        Called with a short message before each layer.

    Returns
    -------
    (GeoDataFrame, DataFrame, list of Notice)
        The districts with the new columns (a copy), the ``fuentes`` table and the
        notices, each prefixed with the layer's name.

    Raises
    ------
    ConfigError
        A layer's name is already a column of the districts.
    """
    say = progress or (lambda _msg: None)
    gdf = districts.copy()
    built = datetime.now(UTC).isoformat(timespec="seconds")
    rows: list[dict[str, object]] = []
    notices: list[Notice] = []
    histories: list[pd.DataFrame] = []
    layers = tuple(layers)
    for i, spec in enumerate(layers, start=1):
        if spec.name in gdf.columns:
            raise ConfigError("geografia.capa_tiene_mismo_nombre", name=spec.name)
        say(t("geografia.capa", i=i, n_layers=len(layers), name=spec.name, measure=spec.measure))
        values = aggregate(spec, gdf, renamed=renamed, names=names, client=client)
        # NaN stays NaN (NULL in the GeoPackage): a table's district without a value
        gdf[spec.name] = values.reindex(gdf[C.UBIGEO].astype(str)).to_numpy(dtype=float)
        notices.extend(Notice("geografia.aviso_de_capa", name=spec.name, notice=n)
                       for n in values.attrs.get("notices", []))
        if spec.dated:
            say(t("geografia.capa_estado_anos_anteriores", name=spec.name))
            past = layer_history(spec, districts, renamed=renamed, names=names, client=client)
            notices.extend(Notice("geografia.aviso_de_capa", name=spec.name, notice=n)
                           for n in past.attrs.get("notices", []))
            if past.shape[1]:  # a table whose file allows no past state keeps none
                # NaN rows kept: a district the source does not cover, a year it lacks
                long = past.rename_axis(columns="anio").stack().rename("valor").reset_index()
                histories.append(long.assign(capa=spec.name)[[C.UBIGEO, "capa", "anio",
                                                              "valor"]])
        rows.append({
            CAPA: spec.name,
            C.SECTOR: spec.sector,
            RUTA: ";".join(str(f) for f in spec.files),
            SHA256: ";".join(file_sha256(f) for f in spec.files),
            N_ELEMENTOS: int(values.attrs.get("n_features", 0)),
            FECHA_CONSTRUCCION: built,
            SIMULADO: bool(values.attrs.get("simulated", spec.simulated)),
            MEDIDA: spec.measure,
            COLUMNA: _column_text(spec.column),
            POR: spec.per or "",
            DESCRIPCION: spec.description,
            SIN_DISTRITO: int(values.attrs.get("unmatched", 0)),
            LICENCIA: licence_of(spec)[0],
            CITA: licence_of(spec)[1],
            **_people_columns(spec, int(values.attrs.get("sin_dato", 0))),
        })
    fuentes = pd.DataFrame(rows, columns=list(FUENTES_COLUMNS))
    fuentes[SIMULADO] = fuentes[SIMULADO].astype(bool)
    for col in _INT_COLUMNS:
        fuentes[col] = fuentes[col].astype("int64")
    if histories:
        gdf.attrs[HISTORY_TABLE] = LayerHistory(pd.concat(histories, ignore_index=True).astype(
            {"anio": "int64", "valor": float}))
    return gdf, fuentes, notices


def _column_text(column: str | tuple[str, ...] | None) -> str:
    """``[[layers]] column`` as one text: a list joined by ``;``, a pattern as written."""
    if isinstance(column, tuple):
        return ";".join(column)
    return column or ""


def _people_columns(spec: LayerSpec, sin_dato: int) -> dict[str, object]:
    """Return the ``fuentes`` columns that tell people what a layer's numbers are."""
    return {ORIGEN: spec.origin, FUENTE: spec.source, UNIDAD: spec.unit,
            ANIOS: spec.years_label, SIN_DATO: int(sin_dato),
            MOTIVO_CERO: spec.missing_reason if spec.missing == MISSING_ZERO else ""}


def _service_sources(settings: Settings, services: gpd.GeoDataFrame) -> pd.DataFrame:
    """One ``fuentes`` row per services layer (``medida`` = ``servicios``)."""
    built = datetime.now(UTC).isoformat(timespec="seconds")
    rows = [{
        CAPA: spec.name, C.SECTOR: spec.sector, RUTA: ";".join(str(f) for f in spec.files),
        SHA256: ";".join(file_sha256(f) for f in spec.files),
        N_ELEMENTOS: int((services["capa"] == spec.name).sum()), FECHA_CONSTRUCCION: built,
        SIMULADO: bool(spec.simulated), MEDIDA: spec.measure, COLUMNA: spec.column or "",
        POR: "", DESCRIPCION: spec.description, SIN_DISTRITO: 0,
        LICENCIA: licence_of(spec)[0], CITA: licence_of(spec)[1],
        **_people_columns(spec, 0),
    } for spec in settings.services]
    frame = pd.DataFrame(rows, columns=list(FUENTES_COLUMNS))
    return frame.astype({SIMULADO: bool, **{c: "int64" for c in _INT_COLUMNS}})


def write_districts(gdf: gpd.GeoDataFrame, fuentes: pd.DataFrame, out: str | Path,
                    services: gpd.GeoDataFrame | None = None,
                    history: pd.DataFrame | None = None) -> Path:
    """Write layer ``distritos`` and table ``fuentes`` (and the optional ones), atomically.

    Optional: layer ``servicios`` and table ``capas_por_anio``. The GeoPackage is written
    under a temporary name in the same folder and renamed over
    ``out`` only when complete.
    """
    out = Path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DataError("geografia.no_pudo_crear_carpeta", parent=out.parent, err=err) from err
    tmp = out.with_name(f".{out.stem}.{os.getpid()}.tmp.gpkg")
    try:
        pyogrio.write_dataframe(gdf, tmp, layer=DISTRICTS_LAYER, driver="GPKG",
                                dataset_options=GPKG_OPTIONS)
        pyogrio.write_dataframe(_for_gpkg(fuentes), tmp, layer=FUENTES_TABLE, driver="GPKG",
                                dataset_options=GPKG_OPTIONS)
        if services is not None:
            pyogrio.write_dataframe(services, tmp, layer=SERVICES_LAYER, driver="GPKG",
                                    dataset_options=GPKG_OPTIONS)
        if history is not None and len(history):
            pyogrio.write_dataframe(history, tmp, layer=HISTORY_TABLE, driver="GPKG",
                                    dataset_options=GPKG_OPTIONS)
        os.replace(tmp, out)
    except Exception:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return out


def read_fuentes(path: str | Path) -> pd.DataFrame:
    """Read the ``fuentes`` table of a built district GeoPackage.

    A table written before a column of :data:`FUENTES_COLUMNS` existed gets it: ``origen``
    from ``simulado``, ``sin_dato`` 0 (such builds gave every district a value), the texts
    empty.
    """
    table = pd.DataFrame(pyogrio.read_dataframe(path, layer=FUENTES_TABLE,
                                                read_geometry=False))
    if ORIGEN not in table.columns:
        flags = table[SIMULADO] if SIMULADO in table.columns else \
            pd.Series(False, index=table.index)
        table[ORIGEN] = ["simulado" if bool(f) else "real" for f in flags]
    for col, default in _FUENTES_DEFAULTS.items():
        if col not in table.columns:
            table[col] = default
    if SIN_DATO in table.columns:
        table[SIN_DATO] = pd.to_numeric(table[SIN_DATO], errors="coerce").fillna(0) \
            .astype("int64")
    return table


def _unwrap(held: Any) -> pd.DataFrame | None:
    return held.frame if isinstance(held, LayerHistory) else held


def read_layer_history(path: str | Path) -> pd.DataFrame | None:
    """Return the dated layers' past states of a built GeoPackage (or ``None``).

    Wide: index ``(ubigeo, anio)``, one column per dated layer; NaN where a layer has no
    value for the district that year (or keeps no state that year). ``None`` when no layer
    is dated (or the file was built before layers had dates).
    """
    path = Path(path)
    if not path.is_file() or HISTORY_TABLE not in {
            name for name, _ in pyogrio.list_layers(path)}:
        return None
    long = pd.DataFrame(pyogrio.read_dataframe(path, layer=HISTORY_TABLE,
                                               read_geometry=False))
    if long.empty:
        return None
    long[C.UBIGEO] = long[C.UBIGEO].astype(str)
    # a state without a value (a district the source does not cover) stays, as NaN
    return long.groupby([C.UBIGEO, "anio", "capa"])["valor"].first().unstack("capa")


def file_sha256(path: str | Path) -> str:
    """Return the sha256 of a file (of every file, in name order, for a folder).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> _ = p.write_bytes(b"abc")
    >>> file_sha256(p)[:16]
    'ba7816bf8f01cfea'
    """
    path = Path(path)
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for f in files:
        if path.is_dir():
            digest.update(str(f.relative_to(path)).encode())
        with f.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def _for_gpkg(fuentes: pd.DataFrame) -> pd.DataFrame:
    if len(fuentes):
        return fuentes
    # GDAL cannot infer field types from an empty frame: give it typed empty columns
    return fuentes.astype({
        c: ("int64" if c in _INT_COLUMNS else "bool" if c == SIMULADO else "object")
        for c in fuentes.columns
    })
