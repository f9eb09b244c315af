"""Scores as files: the score table as a GeoPackage, GeoJSON, CSV or XLSX, with its metadata.

Atomic and owner-only (the table holds exact counts): a GeoPackage carries layer ``riesgo``,
table ``metadatos`` and the map's style; CSV and GeoJSON a ``.metadatos.json`` sidecar; an
XLSX (for a spreadsheet: UBIGEO stays text) its sheet ``metadatos`` (:mod:`geo.records.workbook`).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from geo import columns as C
from geo.config import Settings
from geo.errors import DataError
from geo.geography.display import write_display_layers
from geo.geography.io import GPKG_OPTIONS
from geo.geography.styles import CLASE, class_breaks, classify, qml, sld, write_gpkg_style
from geo.private import private_dir, private_path, write_private
from geo.records.inspections import ILO_INDICATORS
from geo.records.sheets import csvt, neutralise_frame
from geo.records.workbook import write_workbook
from models.risk.metadata import (
    COLUMN_DESCRIPTIONS,
    N_EFECTIVAS,
    PATH_KEYS,
    PERCENT_COLUMNS,
    model_metadata,
    portable_path,
)
from models.risk.scorer import HISTORIAL, feature_label

__all__ = ["describe_columns", "export_frame", "write_scores"]

_LAYER = "riesgo"
_META_TABLE = "metadatos"


def write_scores(gdf: gpd.GeoDataFrame, out: str | Path, settings: Settings) -> Path:
    """Write scores to ``.gpkg``, ``.geojson``, ``.csv`` or ``.xlsx``.

    A GeoPackage holds layer ``riesgo`` and table ``metadatos``, an XLSX sheets ``riesgo``
    and ``metadatos``.

    The file is written to a temporary name beside ``out`` and renamed, so an existing file
    is never left half-written; it and its sidecars are owner-only (0600, folders created
    0700: :mod:`geo.private`), as they hold exact counts. CSV and GeoJSON carry the metadata
    in a sidecar ``<out>.metadatos.json``; an XLSX holds the same metadata in its sheet
    ``metadatos`` and the CSV's rows with typed cells (:func:`geo.records.workbook.write_workbook`).

    Parameters
    ----------
    gdf : GeoDataFrame
        From :func:`score_districts`.
    out : str or Path
        Destination; the suffix chooses the format.
    settings : geo.config.Settings
        For the config hash and the simulated flag.

    Returns
    -------
    Path
    """
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".gpkg", ".geojson", ".csv", ".xlsx"):
        raise DataError("riesgo.formato_salida_no_soportado", name=out.name)
    stored = getattr(gdf, "attrs", {}).get("metadatos")
    meta = dict(stored or model_metadata(settings, None, None, _frame_counts(gdf)))
    for key in PATH_KEYS:  # never a server path, whoever built the metadata
        if meta.get(key):
            meta[key] = portable_path(meta[key], settings)
    meta["hash_configuracion"] = settings.digest()
    meta["simulado"] = bool(settings.simulated)
    meta["escrito"] = dt.datetime.now().isoformat(timespec="seconds")
    frame, breaks = export_frame(gdf, settings)
    meta["clases_cortes"] = breaks
    meta["clases_metodo"] = ("cuantiles de riesgo de los distritos del archivo (5 clases, "
                             "mapclassify), como el mapa del tablero; clase 1 = menor riesgo")
    meta["descripcion_columnas"] = describe_columns(
        [c for c in frame.columns if c != frame.geometry.name], settings)
    meta["fuentes_base"] = _base_sources(settings)
    meta["fuentes"] = [_portable_source(row, settings) for row in meta.get("fuentes", [])]
    meta["licencia_riskmap"] = "GPL-3.0-or-later"
    style_qml = qml(breaks, _low(frame))
    style_sld = sld(breaks, _low(frame), _LAYER)
    target = getattr(settings, "scores_gpkg", None)
    own = target is not None and Path(target).resolve() == out.resolve()
    if own:  # the deployment's working folder holds the scores, the card and the changes
        private_dir(out.parent, tighten=True)
    if suffix == ".xlsx":  # the CSV's rows and its metadata JSON, in one spreadsheet
        return write_workbook(out, pd.DataFrame(frame.drop(columns=frame.geometry.name)), meta,
                              sheet=_LAYER, percent=PERCENT_COLUMNS)
    with private_path(out) as tmp:  # 0600 from the first byte, in a 0700 folder if new
        if suffix == ".csv":
            _write_csv(pd.DataFrame(frame.drop(columns=frame.geometry.name)), tmp)
        elif suffix == ".geojson":
            # the layer is "riesgo" whatever the file is called (GeoJSON's "name" member)
            frame.to_crs(4326).to_file(tmp, driver="GeoJSON", layer=_LAYER)
        else:
            frame.to_file(tmp, layer=_LAYER, driver="GPKG", dataset_options=GPKG_OPTIONS)
            write_gpkg_style(tmp, _LAYER, style_qml, style_sld,
                             description="Clases de riesgo del tablero riskmap y rayado de "
                                         "la evidencia insuficiente")
            table = pd.DataFrame(
                {"clave": list(meta), "valor": [_as_text(v) for v in meta.values()]}
            )
            pyogrio.write_dataframe(table, tmp, layer=_META_TABLE, driver="GPKG", append=True,
                                    dataset_options=GPKG_OPTIONS)
            if own:
                # the deployment's own scores: the map's display geometry goes with them, so
                # the first map after a server start does not make it
                write_display_layers(tmp, frame)
    sidecars = {}
    if suffix != ".gpkg":
        sidecars[out.with_name(out.name + ".metadatos.json")] = json.dumps(
            meta, ensure_ascii=False, indent=2, default=str)
    if suffix == ".geojson":  # QGIS loads <name>.qml with the layer; GeoServer takes the SLD
        sidecars[out.with_suffix(".qml")] = style_qml
        sidecars[out.with_suffix(".sld")] = style_sld
    if suffix == ".csv":  # GDAL's CSV driver reads each column's type from <name>.csvt
        sidecars[out.with_suffix(".csvt")] = csvt(frame.drop(columns=frame.geometry.name))
    for side, text in sidecars.items():  # the metadata holds the totals: private as well
        write_private(side, text)
    return out


def export_frame(gdf: gpd.GeoDataFrame, settings: Settings) -> tuple[gpd.GeoDataFrame, list[float]]:
    """Return the table an export writes: ``clase``, counts as integers, ``simulado``.

    ``clase`` is the map's class of each district's risk (1 = lowest; quantiles of the risks
    in the file, as the dashboard's map classes the districts it shows), empty where no
    risk is published. Count columns that hold whole numbers become (nullable) integers,
    so a CSV says ``45`` and not ``45.0``.

    Returns
    -------
    (GeoDataFrame, list of float)
        The table and the class breaks (upper bounds).
    """
    frame = gdf.copy()
    frame.attrs = dict(gdf.attrs)
    risk = pd.to_numeric(frame[C.RIESGO], errors="coerce") if C.RIESGO in frame else \
        pd.Series(np.nan, index=frame.index)
    breaks = class_breaks(risk.to_numpy(float))
    cls = classify(risk.to_numpy(float), breaks) + 1
    frame[CLASE] = pd.array(np.where(cls > 0, cls, 0), dtype="Int64")
    frame.loc[cls <= 0, CLASE] = pd.NA
    for col in frame.columns:
        if col == frame.geometry.name or not pd.api.types.is_float_dtype(frame[col]):
            continue
        if not (col.startswith(("n_", "oit_")) or col == C.RANGO):
            continue
        values = frame[col].dropna()
        if len(values) == 0 or np.all(np.mod(values.to_numpy(float), 1.0) == 0.0):
            if col != N_EFECTIVAS:
                frame[col] = frame[col].astype("Int64")
    frame["simulado"] = bool(settings.simulated)
    order = [c for c in frame.columns if c not in (frame.geometry.name, CLASE)]
    # right after the contract's fixed columns (SCORE_COLUMNS keep their places)
    at = order.index(C.N_HALLAZGOS) + 1 if C.N_HALLAZGOS in order else len(order)
    order.insert(at, CLASE)
    return frame[order + [frame.geometry.name]], breaks


def describe_columns(columns: Sequence[str], settings: Settings) -> dict[str, str]:
    """Return a plain-Spanish description of every column of an export."""
    known = {
        C.UBIGEO: "código UBIGEO del distrito (INEI), texto de 6 dígitos con su cero inicial",
        C.DISTRITO: "nombre del distrito (INEI)",
        C.PROVINCIA: "provincia a la que pertenece el distrito",
        C.DEPARTAMENTO: "departamento (región) al que pertenece el distrito",
        C.EVIDENCIA: "cuánto historial respalda el riesgo: 'suficiente', 'limitada' o "
                     "'evidencia insuficiente' (menos de min_inspections inspecciones "
                     "efectivas; rayado en el mapa y en el estilo)",
        C.N_INSPECCIONES: "inspecciones registradas en el distrito (todas las fechas)",
        C.N_HALLAZGOS: "inspecciones con hallazgo de trabajo forzoso (hallazgo_tf = 1)",
        CLASE: "clase del mapa (1 = menor riesgo … 5 = mayor; cuantiles del riesgo de los "
               "distritos del archivo, cortes en clases_cortes); vacía sin riesgo publicado",
        "simulado": "verdadero si algún dato de entrada es SIMULADO (no real)",
        "publicacion": "cómo se publicó el distrito para este rol: 'completo' o 'sin "
                       "historial' (riesgo solo por sus características; control de "
                       "divulgación)",
        C.CONTRIB_PREFIX + HISTORIAL: "aporte del propio historial de inspecciones del "
                                      "distrito al logit del riesgo, frente a lo que predicen "
                                      "sus características",
    }
    labels = {layer.name: layer.description or feature_label(layer.name)
              for layer in settings.layers}
    out = {}
    for col in columns:
        if col in known:
            out[col] = known[col]
        elif col in COLUMN_DESCRIPTIONS:
            out[col] = COLUMN_DESCRIPTIONS[col]
        elif col.startswith(C.CONTRIB_PREFIX):
            name = col[len(C.CONTRIB_PREFIX):]
            out[col] = (f"aporte de '{labels.get(name) or feature_label(name)}' al logit del "
                        "riesgo frente al distrito promedio de la región (log-odds)")
        elif col.startswith("oit_") and col[4:] in ILO_INDICATORS:
            out[col] = (f"inspecciones del distrito en que se halló el indicador OIT "
                        f"'{col[4:]}' (config/indicadores_oit.toml); vacía si se suprimió "
                        "por ser de 1 a k-1")
        elif col.endswith("_suprimido"):
            out[col] = f"verdadero si '{col[:-len('_suprimido')]}' se dejó en blanco por ser " \
                       "un conteo de 1 a k-1"
        else:
            out[col] = col.replace("_", " ")
    return out


def _portable_source(row: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Return a layer's ``fuentes`` row with its files relative and its licence said."""
    out = dict(row)
    if out.get("ruta"):
        out["ruta"] = ";".join(portable_path(p, settings) for p in str(out["ruta"]).split(";"))
    if not out.get("licencia"):
        out["licencia"] = "no indicada: añádala con 'license' en su [[layers]]"
    if not out.get("cita"):
        out["cita"] = "no indicada: añádala con 'citation' en su [[layers]]"
    return out


def _low(frame) -> float | None:
    risk = pd.to_numeric(frame[C.RIESGO], errors="coerce") if C.RIESGO in frame else None
    return None if risk is None or risk.isna().all() else float(risk.min())


def _write_csv(table: pd.DataFrame, path: Path) -> None:
    """UTF-8 with BOM (Excel reads the accents), text quoted, numbers bare, no formulas."""
    clean = neutralise_frame(table)
    for col in clean.columns:  # nullable integers print as 45, not 45.0
        if isinstance(clean[col].dtype, pd.Int64Dtype):
            clean[col] = clean[col].astype(object).where(clean[col].notna(), None)
    clean.to_csv(path, index=False, encoding="utf-8-sig", quoting=csv.QUOTE_NONNUMERIC,
                 lineterminator="\n")


def _base_sources(settings: Settings) -> list[dict[str, Any]]:
    """Return the base's public sources (boundaries, poverty, population…) and licences."""
    path = Path(getattr(settings, "base", "") or "")
    if not path.is_file():
        return []
    try:
        table = pd.DataFrame(pyogrio.read_dataframe(path, layer="fuentes"))
    except Exception:  # noqa: BLE001 - a base without `fuentes` still exports
        return []
    keep = [c for c in ("clave", "archivo", "url", "sha256", "licencia", "cita", "formato")
            if c in table.columns]
    return json.loads(table[keep].to_json(orient="records"))



def _frame_counts(gdf) -> pd.DataFrame | None:
    """Per-district ``n`` and ``k`` from the score table's own columns, if it has them."""
    cols = getattr(gdf, "columns", ())
    if C.N_INSPECCIONES not in cols or C.N_HALLAZGOS not in cols:
        return None
    return pd.DataFrame({
        "n": pd.to_numeric(gdf[C.N_INSPECCIONES], errors="coerce").fillna(0).to_numpy(),
        "k": pd.to_numeric(gdf[C.N_HALLAZGOS], errors="coerce").fillna(0).to_numpy(),
    })



def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)
