"""Scores as a product: fit the risk model on a deployment and write one row per district.

:func:`score_districts` reads the district table (``riskmap build``) and the inspection
records, fits :class:`models.risk.scorer.RiskScorer` with the expert prior of the settings, and
returns the contract of ``docs/ARCHITECTURE.md`` §5. :func:`write_scores` writes it as a
GeoPackage (layer ``riesgo`` + table ``metadatos``), GeoJSON or CSV, atomically.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import columns as C
from geo.errors import ConfigError, DataError
from geo.geography.styles import CLASE, class_breaks, classify, qml, sld, write_gpkg_style
from geo.private import private_dir, private_path, write_private
from models.risk.scorer import FALTA, HISTORIAL, RiskScorer, feature_label, simulate_uncertainty

__all__ = [
    "COLUMN_DESCRIPTIONS",
    "CONTRIB_HISTORIAL",
    "EVIDENCIA_LIMITADA",
    "EVIDENCIA_SUFICIENTE",
    "MODEL_VERSION",
    "SCORE_COLUMNS",
    "DENUNCIAS",
    "complaint_intensity",
    "describe_columns",
    "district_counts",
    "evidence_labels",
    "export_frame",
    "feature_matrix",
    "feature_sources",
    "features_in",
    "fill_missing",
    "hold_in_range",
    "learnt_range",
    "log_features",
    "missing_features",
    "model_history",
    "fit_scorer",
    "history_features",
    "complaint_counts",
    "complaint_records",
    "complaints_for",
    "offices_of",
    "reads_complaints",
    "make_scorer",
    "portable_path",
    "read_district_table",
    "score_districts",
    "training_rows",
    "write_scores",
]

MODEL_VERSION = "riskmap-riesgo-1.0"
EVIDENCIA_SUFICIENTE = "suficiente"
EVIDENCIA_LIMITADA = "limitada"
#: Contribution of the district's own inspection record (shrinkage), so contributions add up.
CONTRIB_HISTORIAL = C.CONTRIB_PREFIX + HISTORIAL
#: Fixed columns of the score table, before the ``contrib_*`` columns and geometry.
SCORE_COLUMNS = (
    C.UBIGEO, C.DISTRITO, C.PROVINCIA, C.DEPARTAMENTO, C.RIESGO, C.RIESGO_P05, C.RIESGO_P95,
    C.PROB_TOP10, C.EVIDENCIA, C.RANGO, C.N_INSPECCIONES, C.N_HALLAZGOS,
)
_LAYER = "riesgo"
_META_TABLE = "metadatos"
#: What the uncertain columns of the score table mean (metadata and model card say the same).
COLUMN_DESCRIPTIONS = {
    C.RIESGO: "probabilidad estimada de hallazgo por inspección",
    C.RIESGO_P05: "límite inferior del intervalo del 90 % del riesgo",
    C.RIESGO_P95: "límite superior del intervalo del 90 % del riesgo",
    C.PROB_TOP10: "probabilidad de estar entre los 10 distritos de mayor riesgo (los 10 "
                  "primeros del ranking), según las simulaciones de la incertidumbre; suma 10 "
                  "sobre todos los distritos",
    C.RANGO: "puesto en el ranking de riesgo (1 = mayor riesgo)",
    "alerta_deriva": "'al alza' o 'a la baja' si los hallazgos de los 2 últimos años "
                     "difieren de lo que predice el historial anterior del distrito (cola < "
                     "0,05 de su distribución predictiva), o si sus capas con fecha cambiaron "
                     "desde sus inspecciones tanto que duplican o reducen a la mitad sus "
                     "odds; merece una visita aun con poca evidencia",
    "motivo_deriva": "por qué hay alerta: 'hallazgos' (los recientes) o 'capas' (cambiaron "
                     "desde sus inspecciones)",
    "p_deriva": "probabilidad de hallazgos tan extremos como los recientes según el "
                "historial anterior",
    C.N_DENUNCIAS: "inspecciones del distrito que respondieron a una denuncia (origen = "
                   "denuncia); su número frente a lo esperado informa el efecto propio del "
                   "distrito (denuncias como evidencia); vacía si se suprimió por ser de 1 a k-1",
    "n_efectivas": "inspecciones que el historial del distrito aún pesa: cada una cuenta "
                   "0,5^(edad/vida media) (vida media elegida por los registros, ver "
                   "vida_media_anios); la evidencia y el intervalo siguen este número",
    "oit_<indicador>": "inspecciones del distrito en que se halló ese indicador de trabajo "
                       "forzoso de la OIT (11 columnas; vacía si se suprimió por ser de 1 a "
                       "k-1)",
    "n_trabajo_forzoso_oit": "inspecciones con indicadores de ambas dimensiones de la OIT "
                             "(involuntariedad y amenaza: trabajo forzoso, CIET 2018; "
                             "config/indicadores_oit.toml)",
    "n_indicios": "inspecciones con indicadores de una sola dimensión",
    "n_inconsistentes": "inspecciones cuyo hallazgo_tf contradice sus indicadores",
    "n_victimas_mujeres": "víctimas mujeres (niñas incluidas) en las inspecciones del distrito",
    "n_victimas_menores": "víctimas menores de 18 años en las inspecciones del distrito",
    "indicadores_suprimidos": "columnas de indicadores suprimidas en esa fila (conteos "
                              "de 1 a k-1)",
    "sin_dato": "capas sin dato público en ese distrito (la fuente no lo cubre), separadas "
                "por ';': su término queda fuera del riesgo y un indicador de dato faltante "
                "(falta_<capa>, cuyo peso aprenden los registros) ocupa su lugar",
    "fuera_rango": "variables cuyo valor en el distrito está fuera del rango de los "
                   "distritos inspeccionados de los que se aprendieron los pesos, separadas "
                   "por ';': el riesgo y su intervalo se calculan con el valor llevado al "
                   "borde de ese rango (no se extrapola una recta a lo desconocido)",
    "falta_<capa>": "contribución del indicador de dato faltante (un distrito sin dato "
                    "público de esa capa y de las que faltan con ella)",
}
#: Inspections a district's record still weighs after the age discount (models.risk.recency).
N_EFECTIVAS = "n_efectivas"
#: Districts whose recent findings disagree with their longer record (models.risk.recency).
ALERTA_DERIVA, P_DERIVA, MOTIVO_DERIVA = "alerta_deriva", "p_deriva", "motivo_deriva"
#: The features a district has no public value of (``;``-separated), and those outside the
#: range the weights were learnt from (held at its edge).
SIN_DATO, FUERA_RANGO = "sin_dato", "fuera_rango"
#: Prefix of the 0/1 feature that marks a district without a public value (one per pattern
#: of missingness: layers missing in the same districts share it).
FALTA_PREFIX = FALTA
#: Metadata keys that hold a path: written relative to the settings file's folder.
_PATH_KEYS = ("configuracion", "tabla_distritos", "base", "inspecciones_fuente")


def score_districts(
    settings: Any,
    districts: gpd.GeoDataFrame | None = None,
    inspections: pd.DataFrame | None = None,
    *,
    n_bootstrap: int | None = None,
) -> gpd.GeoDataFrame:
    """Fit the risk model on all records and score every district.

    Parameters
    ----------
    settings : geo.config.Settings
        Features (``settings.feature_names``), expert prior and bootstrap settings.
    districts : GeoDataFrame, optional
        The district table (default: layer ``distritos`` of ``settings.districts_gpkg``).
    inspections : DataFrame, optional
        Records in the inspection contract (default:
        :func:`geo.records.inspections.load_records`). An empty table scores on the expert prior
        alone.
    n_bootstrap : int, optional
        Replicates for the intervals (default ``settings.model.n_bootstrap``).

    Returns
    -------
    GeoDataFrame
        :data:`SCORE_COLUMNS`, one ``contrib_<feature>`` per feature, ``contrib_historial``
        and geometry, sorted by ``rango``. ``logit(riesgo)`` equals
        ``attrs["logit_base"]`` plus the sum of the ``contrib_*`` columns.
        ``attrs["metadatos"]`` holds the model metadata.
    """
    if districts is None:
        districts = read_district_table(settings)
    if inspections is None:
        from geo.records.inspections import load_records

        inspections = load_records(settings)
    X = feature_matrix(districts, settings)
    X = with_complaints(X, population_of(districts), inspections, settings)
    keys = districts[C.UBIGEO].astype(str).to_numpy()
    counts = district_counts(inspections, keys)
    # each record paired with the dated layers of its year; today's score reads today's
    history = model_history(districts, settings)
    seen = history_features(X, history, inspections)
    complaints = complaints_for(settings, districts, inspections, seen=seen)
    scorer = fit_scorer(settings, X, counts, keys, complaints=complaints, seen=seen)
    from models.risk.recency import drift_alerts, recency_fit

    # on the undiscounted record
    alerts = drift_alerts(scorer, X, keys, inspections, history=history)
    selection = selection_effect(settings, X, counts, keys, scorer, seen=seen)
    scorer, recency = recency_fit(scorer, X, keys, inspections,
                                  getattr(settings.model, "half_life", "auto"), history=history)
    # never a straight line into the unknown: features beyond what the weights were learnt
    # from are held at the edge of that range, and the district says so
    held, outside = hold_in_range(X, learnt_range(X, seen, counts))
    risk = scorer.predict_risk(held, groups=keys)
    expl = scorer.explain(held, groups=keys, reference=X.mean(axis=0).to_numpy())
    unc = simulate_uncertainty(
        scorer, held, keys,
        n_bootstrap=int(n_bootstrap if n_bootstrap is not None else settings.model.n_bootstrap),
        top_k=10, random_state=settings.model.seed,
    )
    out = pd.DataFrame({C.UBIGEO: keys})
    for col in (C.DISTRITO, C.PROVINCIA, C.DEPARTAMENTO):
        out[col] = districts[col].to_numpy() if col in districts else ""
    out[C.RIESGO] = risk
    # the interval always contains the point estimate (the bootstrap median may not)
    out[C.RIESGO_P05] = np.minimum(unc[C.RIESGO_P05].to_numpy(), risk)
    out[C.RIESGO_P95] = np.maximum(unc[C.RIESGO_P95].to_numpy(), risk)
    out[C.PROB_TOP10] = unc[C.PROB_TOP10].to_numpy()
    n = counts["n"].to_numpy()
    # the evidence is what the record still weighs: old inspections count less when the
    # records say risk moves (models.risk.recency), and the interval is as wide as that
    effective = scorer.group_counts_["n"].reindex(keys).fillna(0.0).to_numpy() \
        if not scorer.group_counts_.empty else n
    out[C.EVIDENCIA] = evidence_labels(effective, settings.model.min_inspections)
    out[C.RANGO] = pd.Series(-risk).rank(method="first").astype(int).to_numpy()
    out[C.N_INSPECCIONES] = n.astype(int)
    out[C.N_HALLAZGOS] = counts["k"].to_numpy().astype(int)
    if complaints is not None:  # the model read them: a protected count like the others
        out[C.N_DENUNCIAS] = complaints["c"].reindex(keys).fillna(0.0).to_numpy().astype(int)
    out[N_EFECTIVAS] = np.round(effective, 2)
    out[ALERTA_DERIVA] = alerts["alerta_deriva"].reindex(keys).to_numpy()
    out[MOTIVO_DERIVA] = alerts["motivo_deriva"].reindex(keys).to_numpy()
    out[P_DERIVA] = alerts["p_deriva"].reindex(keys).to_numpy()
    out[SIN_DATO] = missing_features(districts, settings)
    out[FUERA_RANGO] = outside.to_numpy()
    for name in expl.contributions.columns:
        out[C.CONTRIB_PREFIX + name] = expl.contributions[name].to_numpy()
    gdf = gpd.GeoDataFrame(out, geometry=districts.geometry.to_numpy(), crs=districts.crs)
    gdf = gdf.sort_values(C.RANGO).reset_index(drop=True)
    gdf.attrs["logit_base"] = expl.base
    gdf.attrs["metadatos"] = _metadata(settings, scorer, inspections, counts)
    # each falta_* factor and the layers it stands for (fill_missing)
    gdf.attrs["metadatos"]["faltantes"] = {k: list(v) for k, v in
                                           X.attrs.get("faltantes", {}).items()}
    gdf.attrs["metadatos"]["vida_media_anios"] = recency.get("vida_media_anios")
    gdf.attrs["metadatos"]["correccion_seleccion"] = selection
    gdf.attrs["metadatos"]["alertas_deriva"] = {
        "al_alza": int((alerts["alerta_deriva"] == "al alza").sum()),
        "a_la_baja": int((alerts["alerta_deriva"] == "a la baja").sum())}
    if recency.get("verosimilitud_por_vida_media"):
        gdf.attrs["metadatos"]["verosimilitud_por_vida_media"] = \
            recency["verosimilitud_por_vida_media"]
    return gdf


def write_scores(gdf: gpd.GeoDataFrame, out: str | Path, settings: Any) -> Path:
    """Write scores to ``.gpkg`` (layer ``riesgo`` + table ``metadatos``), ``.geojson`` or ``.csv``.

    The file is written to a temporary name beside ``out`` and renamed, so an existing file
    is never left half-written; it and its sidecars are owner-only (0600, folders created
    0700: :mod:`geo.private`), as they hold exact counts. CSV and GeoJSON carry the metadata
    in a sidecar ``<out>.metadatos.json``.

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
    if suffix not in (".gpkg", ".geojson", ".csv"):
        raise DataError(
            es=f"Formato de salida no soportado: '{out.name}'. Use .gpkg, .geojson o .csv.",
            en=f"Unsupported output format: '{out.name}'. Use .gpkg, .geojson or .csv.",
        )
    stored = getattr(gdf, "attrs", {}).get("metadatos")
    meta = dict(stored or _metadata(settings, None, None, _frame_counts(gdf)))
    for key in _PATH_KEYS:  # never a server path, whoever built the metadata
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
    with private_path(out) as tmp:  # 0600 from the first byte, in a 0700 folder if new
        if suffix == ".csv":
            _write_csv(pd.DataFrame(frame.drop(columns=frame.geometry.name)), tmp)
        elif suffix == ".geojson":
            # the layer is "riesgo" whatever the file is called (GeoJSON's "name" member)
            frame.to_crs(4326).to_file(tmp, driver="GeoJSON", layer=_LAYER)
        else:
            frame.to_file(tmp, layer=_LAYER, driver="GPKG")
            write_gpkg_style(tmp, _LAYER, style_qml, style_sld,
                             description="Clases de riesgo del tablero riskmap y rayado de "
                                         "la evidencia insuficiente")
            table = pd.DataFrame(
                {"clave": list(meta), "valor": [_as_text(v) for v in meta.values()]}
            )
            import pyogrio

            pyogrio.write_dataframe(table, tmp, layer=_META_TABLE, driver="GPKG", append=True)
            if own:
                # the deployment's own scores: the map's display geometry goes with them, so
                # the first map after a server start does not make it
                from geo.geography.display import write_display_layers

                write_display_layers(tmp, frame)
    sidecars = {}
    if suffix != ".gpkg":
        sidecars[out.with_name(out.name + ".metadatos.json")] = json.dumps(
            meta, ensure_ascii=False, indent=2, default=str)
    if suffix == ".geojson":  # QGIS loads <name>.qml with the layer; GeoServer takes the SLD
        sidecars[out.with_suffix(".qml")] = style_qml
        sidecars[out.with_suffix(".sld")] = style_sld
    if suffix == ".csv":  # GDAL's CSV driver reads each column's type from <name>.csvt
        from geo.records.sheets import csvt

        sidecars[out.with_suffix(".csvt")] = csvt(frame.drop(columns=frame.geometry.name))
    for side, text in sidecars.items():  # the metadata holds the totals: private as well
        write_private(side, text)
    return out


def export_frame(gdf: gpd.GeoDataFrame, settings: Any) -> tuple[gpd.GeoDataFrame, list[float]]:
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


def describe_columns(columns: Sequence[str], settings: Any) -> dict[str, str]:
    """Return a plain-Spanish description of every column of an export."""
    from geo.records.inspections import ILO_INDICATORS

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


def _portable_source(row: dict[str, Any], settings: Any) -> dict[str, Any]:
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
    import csv

    from geo.records.sheets import neutralise_frame  # a spreadsheet runs no cell as a formula

    clean = neutralise_frame(table)
    for col in clean.columns:  # nullable integers print as 45, not 45.0
        if isinstance(clean[col].dtype, pd.Int64Dtype):
            clean[col] = clean[col].astype(object).where(clean[col].notna(), None)
    clean.to_csv(path, index=False, encoding="utf-8-sig", quoting=csv.QUOTE_NONNUMERIC,
                 lineterminator="\n")


def _base_sources(settings) -> list[dict[str, Any]]:
    """Return the base's public sources (boundaries, poverty, population…) and licences."""
    path = Path(getattr(settings, "base", "") or "")
    if not path.is_file():
        return []
    try:
        import pyogrio

        table = pd.DataFrame(pyogrio.read_dataframe(path, layer="fuentes"))
    except Exception:  # noqa: BLE001 - a base without `fuentes` still exports
        return []
    keep = [c for c in ("clave", "archivo", "url", "sha256", "licencia", "cita", "formato")
            if c in table.columns]
    return json.loads(table[keep].to_json(orient="records"))


# ------------------------------------------------------------------------- building blocks
def read_district_table(settings: Any) -> gpd.GeoDataFrame:
    """Read layer ``distritos`` of ``settings.districts_gpkg`` (built by ``riskmap build``)."""
    path = Path(settings.districts_gpkg)
    if not path.is_file():
        raise DataError(
            es=f"No existe la tabla de distritos {path}. Ejecute primero 'riskmap build'.",
            en=f"District table {path} does not exist. Run 'riskmap build' first.",
        )
    gdf = gpd.read_file(path, layer="distritos")
    gdf[C.UBIGEO] = gdf[C.UBIGEO].astype(str)
    from geo.geography.build import HISTORY_TABLE, LayerHistory, read_layer_history

    # the dated layers as they stood in past years (none when no layer is dated)
    history = read_layer_history(path)
    if history is not None:
        gdf.attrs[HISTORY_TABLE] = LayerHistory(history)
    return gdf


def layer_history_of(districts: pd.DataFrame) -> pd.DataFrame | None:
    """Return the dated layers' past states that came with a district table (or ``None``)."""
    from geo.geography.build import HISTORY_TABLE, LayerHistory

    held = districts.attrs.get(HISTORY_TABLE)
    return held.frame if isinstance(held, LayerHistory) else held


def features_in(X: pd.DataFrame, history: pd.DataFrame | None, year: int) -> pd.DataFrame:
    """``X`` with each dated layer as it stood at the end of ``year``.

    ``history``: :func:`geo.geography.build.read_layer_history` (index ``(ubigeo, anio)``, a column
    per dated layer). A year between two kept states takes the earlier; a year before the
    first kept state takes the first. Columns that are not dated, and every column without
    a history, stay as they are.

    >>> X = pd.DataFrame({"dragas": [3.0, 0.0], "pobreza": [0.5, 0.2]}, index=["a", "b"])
    >>> h = pd.DataFrame({"dragas": [0.0, 3.0, 0.0, 0.0]}, index=pd.MultiIndex.from_tuples(
    ...     [("a", 2005), ("a", 2021), ("b", 2005), ("b", 2021)], names=["ubigeo", "anio"]))
    >>> features_in(X, h, 2019)["dragas"].tolist(), features_in(X, h, 2022)["dragas"].tolist()
    ([0.0, 0.0], [3.0, 0.0])
    """
    states = _dated_states(X, history)
    return _state_in(X, states, year) if states else X


def _dated_states(X: pd.DataFrame, history: pd.DataFrame | None) -> dict[str, pd.DataFrame]:
    """Each dated column of ``X``: its states, district by kept year (gaps carried on)."""
    if history is None or history.empty:
        return {}
    return {col: history[col].unstack("anio").sort_index(axis=1).ffill(axis=1).bfill(axis=1)
            for col in X.columns if col in history.columns}


def _state_in(X: pd.DataFrame, states: dict[str, pd.DataFrame], year: int) -> pd.DataFrame:
    """``X`` with each column of ``states`` as it stood at the end of ``year``."""
    out = X.copy()
    for col, wide in states.items():
        years = wide.columns.to_numpy(int)
        at = years[years <= int(year)]
        chosen = at.max() if at.size else years.min()
        state = wide[chosen].reindex(out.index.astype(str))
        out[col] = state.where(state.notna(), out[col]).to_numpy(float)
    return out


def history_features(X: pd.DataFrame, history: pd.DataFrame | None,
                     records: pd.DataFrame | None, weights: Any = None) -> pd.DataFrame:
    """Each district's features as its inspections saw them.

    The dated layers in the year of each inspection (:func:`features_in`), averaged over the
    district's inspections; ``X`` itself for a district without records and for every
    column that is not dated. Fitted on these, a district whose layers changed since its
    inspections (a concession claimed after them) is not judged by old findings as if they
    had been made under today's layers; its score then adds its effect to today's layers.
    ``weights``: one per record (the age discount of :mod:`models.risk.recency`), so that the
    features average the records as the district's record weighs them.
    """
    states = _dated_states(X, history)
    if not states or records is None or len(records) == 0:
        return X
    keys = X.index.astype(str)
    year = pd.to_datetime(records[C.FECHA]).dt.year.to_numpy()
    idx = keys.get_indexer(records[C.UBIGEO].astype(str))
    ok = idx >= 0
    w = np.ones(len(idx)) if weights is None else np.asarray(weights, dtype=float)
    total = np.zeros(X.shape)
    n = np.zeros(len(keys))
    for y in np.unique(year[ok]):
        sel = ok & (year == y)
        counts = np.bincount(idx[sel], weights=w[sel], minlength=len(keys))
        total += counts[:, None] * _state_in(X, states, int(y)).to_numpy(float)
        n += counts
    seen = X.copy()
    has = n > 0
    for j, col in enumerate(X.columns):  # only the dated columns move, bit for bit
        if col in states:
            values = seen[col].to_numpy(float, copy=True)
            mean = total[has, j] / n[has]
            # a mean of equal states is that state (not its rounding)
            same = np.abs(mean - values[has]) <= 1e-12 * np.maximum(1.0, np.abs(values[has]))
            values[has] = np.where(same, values[has], mean)
            seen[col] = values
    return seen


def make_scorer(settings: Any) -> RiskScorer:
    """Build the :class:`RiskScorer` the settings describe (prior, its strength).

    Raises
    ------
    ConfigError
        The prior names a feature the model does not use.
    """
    names = list(settings.feature_names)
    prior = {str(k): float(v) for k, v in dict(settings.model.prior).items()}
    unknown = sorted(set(prior) - set(names))
    if unknown:
        raise ConfigError(
            es=f"{settings.path}: [model].prior nombra variables que el modelo no usa: "
            f"{', '.join(unknown)}. Variables disponibles: {', '.join(names)}.",
            en=f"{settings.path}: [model].prior names features the model does not use: "
            f"{', '.join(unknown)}. Available features: {', '.join(names)}.",
        )
    return RiskScorer(prior=prior, prior_strength=float(settings.model.prior_strength),
                      selection_correction=getattr(settings.model, "selection_correction",
                                                   "joint"))


def selection_effect(settings: Any, X: pd.DataFrame, counts: pd.DataFrame, keys: np.ndarray,
                     scorer: RiskScorer, seen: pd.DataFrame | None = None) -> dict[str, Any]:
    """How much the selection correction changes the ranking (for the model card).

    The same model fitted with ``selection_correction = "none"`` (and no complaints as
    evidence): Spearman correlation of the two risk rankings, districts shared by the two
    top 10s, the intercept's shift and, when complaints were evidence, their strength ``g``
    (``denuncias_como_evidencia``, :meth:`models.risk.scorer.RiskScorer._fit_complaint_sd`).
    """
    method = getattr(settings.model, "selection_correction", "joint")
    out: dict[str, Any] = {"metodo": method}
    if method == "none" or counts["n"].sum() <= 0 or scorer.re_sd_ <= 0:
        return out
    plain = make_scorer(settings).set_params(selection_correction="none")
    Xr, yr, wr, gr = training_rows(X if seen is None else seen, counts)
    plain.fit(Xr, yr, sample_weight=wr, groups=gr)
    a = scorer.predict_risk(X, groups=keys)
    b = plain.predict_risk(X, groups=keys)
    top = min(10, len(keys))
    shared = len(set(np.argsort(-a)[:top]) & set(np.argsort(-b)[:top]))
    rho = float(pd.Series(a).rank().corr(pd.Series(b).rank()))
    out.update(spearman_con_sin=round(rho, 4), top10_compartidos=int(shared),
               desplazamiento_intercepto=round(float(getattr(scorer, "selection_shift_",
                                                             0.0)), 4))
    if getattr(scorer, "complaints_", None) is not None:
        # how strongly the number of complaints moves a district's own effect (0: not at all),
        # out of how much complaints stray from what is expected of a district
        out["denuncias_como_evidencia"] = round(float(scorer.complaint_sd_), 3)
        out["dispersion_denuncias"] = round(float(getattr(scorer, "complaint_spread_", 0.0)), 3)
    return out


def fit_scorer(settings: Any, X: pd.DataFrame, counts: pd.DataFrame,
               keys: np.ndarray, complaints: pd.DataFrame | None = None,
               seen: pd.DataFrame | None = None) -> RiskScorer:
    """Fit the settings' :class:`RiskScorer` on per-district counts.

    ``complaints``: :func:`complaint_counts` (see :func:`complaints_for`), evidence about
    each district's own effect. ``seen``: the features the records were made under
    (:func:`history_features`; default ``X``). With no inspection at all the expert index
    alone ranks (``fit_prior``).
    """
    scorer = make_scorer(settings)
    if counts["n"].sum() > 0:
        Xr, yr, wr, gr = training_rows(X if seen is None else seen, counts)
        return scorer.fit(Xr, yr, sample_weight=wr, groups=gr, complaints=complaints)
    return scorer.fit_prior(X, groups=keys)


#: The model's own feature: how many complaint-driven inspections a district drew against what
#: its population and characteristics predict (:func:`complaint_intensity`).
DENUNCIAS = "denuncias_relativas"


def complaint_intensity(X: pd.DataFrame, population: Any, records: pd.DataFrame | None
                        ) -> pd.Series | None:
    """Complaints a district drew against what is expected of it, on the log scale.

    Inspections that follow complaints (``origen = denuncia``) carry information about risk
    in their *number*, not only in their outcomes: people complain where forced labour is.
    ``log((c_d + 0.5) / (m_d + 0.5))``, with ``c_d`` the district's complaint-driven
    inspections in ``records`` and ``m_d`` what a Poisson regression on its log population
    and its features expects. Planned and random inspections are left out on purpose: they
    follow the plan, and the plan follows the model (a feedback loop).

    Returns
    -------
    Series or None
        Index = ``X.index``; ``None`` without complaint-driven records (or an ``origen``).
    """
    counts = complaint_counts(X, population, records)
    if counts is None:
        return None
    c, expected = counts["c"].to_numpy(), np.exp(counts["log_mu"].to_numpy())
    return pd.Series(np.log((c + 0.5) / (expected + 0.5)), index=X.index, name=DENUNCIAS)


def complaint_counts(X: pd.DataFrame, population: Any, records: pd.DataFrame | None,
                     offices: Any = None) -> pd.DataFrame | None:
    """Each district's complaint-driven inspections and what is expected of it.

    ``c``: the district's inspections with ``origen = denuncia`` in ``records``; ``log_mu``:
    the log of what a Poisson regression of ``c`` on its log population and its features
    expects (every district of ``X``, none inspected included) and, given ``offices`` (the
    department of each district), the office's own volume: each regional office receives
    and handles its own complaints. Planned and random inspections are left out on purpose:
    they follow the plan, and the plan follows the model (a feedback loop).

    Returns
    -------
    DataFrame or None
        Index = ``X.index``; ``None`` without complaint-driven records (or an ``origen``).
    """
    asked = complaint_records(records)
    if asked is None or len(asked) == 0:
        return None
    asked = asked[C.UBIGEO]
    # counted with numpy and one value_counts: this runs inside every fit
    keys = pd.Index([str(k) for k in X.index])
    count = asked.astype(str).value_counts().reindex(keys, fill_value=0).to_numpy(float)
    values = X.to_numpy(float)
    sd = values.std(axis=0)
    design = (values - values.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    if population is not None:
        pop = pd.to_numeric(pd.Series(np.asarray(population)), errors="coerce")
        if pop.notna().any():  # a population column with no value says nothing
            pop = np.log(np.maximum(pop.fillna(pop.median()).to_numpy(float), 1.0))
            design = np.column_stack([pop, design])
    if offices is not None:
        office = pd.Series(np.asarray(offices)).astype(str)
        dummies = pd.get_dummies(office, drop_first=True, dtype=float).to_numpy()
        design = np.column_stack([design, dummies]) if dummies.size else design
    expected = _poisson_fit(design, count)
    return pd.DataFrame({"c": count, "log_mu": np.log(np.maximum(expected, 1e-12))},
                        index=X.index)


def _poisson_fit(design: np.ndarray, count: np.ndarray, ridge: float = 1e-4) -> np.ndarray:
    """Fitted means of a Poisson regression with intercept (Newton, a light ridge).

    >>> x = np.array([[0.0], [1.0], [2.0]])
    >>> np.round(_poisson_fit(x, np.array([1.0, 2.0, 4.0])), 2).tolist()
    [1.0, 2.0, 4.0]
    """
    A = np.column_stack([np.ones(len(count)), design])
    beta = np.zeros(A.shape[1])
    beta[0] = np.log(max(count.mean(), 1e-3))
    penalty = np.r_[0.0, np.full(A.shape[1] - 1, ridge * len(count))]

    def loss(b):
        eta = np.clip(A @ b, -30, 30)
        return float(np.sum(np.exp(eta) - count * eta) + 0.5 * np.sum(penalty * b * b))

    value = loss(beta)
    for _ in range(100):
        mu = np.exp(np.clip(A @ beta, -30, 30))
        grad = A.T @ (mu - count) + penalty * beta
        step = np.linalg.solve((A * mu[:, None]).T @ A + np.diag(penalty + 1e-9), grad)
        t = 1.0
        while t > 1e-6 and loss(beta - t * step) > value + 1e-12:
            t *= 0.5
        beta = beta - t * step
        new = loss(beta)
        if abs(value - new) < 1e-10 * (1.0 + abs(value)):
            break
        value = new
    return np.exp(np.clip(A @ beta, -30, 30))


def complaints_for(settings: Any, districts: pd.DataFrame, records: pd.DataFrame | None,
                   seen: pd.DataFrame | None = None) -> pd.DataFrame | None:
    """Return :func:`complaint_counts` of the deployment's districts, or ``None``.

    ``None`` when ``[model] complaint_evidence`` is off, when the count is already a factor
    (``complaint_intensity``), when the selection correction is not ``"joint"`` (the only fit
    that reads it), or when the records do not say where complaints came from. ``seen``: the
    features the records saw (:func:`history_features`), when the caller has them already.
    """
    if not reads_complaints(getattr(settings, "model", None)):
        return None
    # what is expected of a district's complaints: from the layers its records saw, as the
    # findings are read (today's where nothing is dated)
    if seen is None:
        seen = history_features(feature_matrix(districts, settings),
                                model_history(districts, settings), records)
    return complaint_counts(seen, population_of(districts), records, offices_of(districts))


def reads_complaints(model: Any) -> bool:
    """Whether ``[model]`` reads the complaints as evidence about each district's effect.

    ``complaint_evidence`` on (the default), and the count used once: not as evidence when it
    is already a factor (``complaint_intensity``); and only the joint fit reads it.
    """
    return bool(getattr(model, "complaint_evidence", True)) and \
        not getattr(model, "complaint_intensity", False) and \
        getattr(model, "selection_correction", "joint") == "joint"


def complaint_records(records: pd.DataFrame | None) -> pd.DataFrame | None:
    """Return the records of inspections that answered a complaint (``origen = denuncia``).

    ``None`` when there are no records or they do not say where inspections came from.
    """
    if records is None or len(records) == 0 or C.ORIGEN not in records.columns:
        return None
    origin = records[C.ORIGEN].astype(str).str.strip().str.lower().to_numpy()
    return records[origin == "denuncia"]


def with_complaints(X: pd.DataFrame, population: Any, records: pd.DataFrame | None,
                    settings: Any = None) -> pd.DataFrame:
    """``X`` with :data:`DENUNCIAS` when the records have complaints and the settings use it."""
    model = getattr(settings, "model", None)
    if model is not None and not getattr(model, "complaint_intensity", False):
        return X
    extra = complaint_intensity(X, population, records)
    return X if extra is None else X.assign(**{DENUNCIAS: extra.to_numpy()})


def population_of(districts: pd.DataFrame):
    """Return the districts' population column (aligned with their rows), or None."""
    return districts[C.POBLACION].to_numpy() if C.POBLACION in districts.columns else None


def offices_of(districts: pd.DataFrame):
    """Return each district's office (its department, as text, aligned with its rows), or None."""
    return (districts[C.DEPARTAMENTO].astype(str).to_numpy()
            if C.DEPARTAMENTO in districts.columns else None)


def feature_matrix(districts: pd.DataFrame, settings: Any) -> pd.DataFrame:
    """Return each district's model features as floats, with no missing value.

    ``[model] log_features`` are taken as ``log(1 + x)``; a district without a public value
    of a feature has its term left out and a ``falta_*`` column saying so
    (:func:`fill_missing`).

    Raises
    ------
    DataError
        A feature column is absent or has no value at all.
    """
    names = list(settings.feature_names)
    if not names:
        raise ConfigError(
            es=f"{settings.path}: el modelo no tiene variables. Declare capas ([[layers]]) o "
            "[model].features.",
            en=f"{settings.path}: the model has no features. Declare [[layers]] or "
            "[model].features.",
        )
    missing = [n for n in names if n not in districts.columns]
    if missing:
        raise DataError(
            es=f"La tabla de distritos no tiene las columnas {', '.join(missing)}. Vuelva a "
            "ejecutar 'riskmap build' con esta configuración.",
            en=f"The district table lacks columns {', '.join(missing)}. Run 'riskmap build' "
            "again with these settings.",
        )
    X = districts[names].apply(pd.to_numeric, errors="coerce").astype(float)
    empty = [n for n in names if X[n].isna().all()]
    if empty:
        raise DataError(
            es=f"Las columnas {', '.join(empty)} de la tabla de distritos no tienen ningún "
            "valor numérico. Revise esas capas en la configuración.",
            en=f"Columns {', '.join(empty)} of the district table have no numeric value. "
            "Check those layers in the settings.",
        )
    X = _logged(X, log_features(settings), settings)
    X.index = districts[C.UBIGEO].astype(str).to_numpy()
    return fill_missing(X)


def log_features(settings: Any) -> tuple[str, ...]:
    """Return the features the model enters as ``log(1 + x)`` (``[model] log_features``).

    Raises
    ------
    ConfigError
        A name that is not a feature of the model.
    """
    names = tuple(getattr(settings.model, "log_features", ()) or ())
    unknown = sorted(set(names) - set(settings.feature_names))
    if unknown:
        raise ConfigError(
            es=f"{settings.path}: [model] log_features nombra variables que el modelo no usa: "
            f"{', '.join(unknown)}. Variables: {', '.join(settings.feature_names)}.",
            en=f"{settings.path}: [model] log_features names features the model does not "
            f"use: {', '.join(unknown)}. Features: {', '.join(settings.feature_names)}.",
        )
    return names


def _logged(X: pd.DataFrame, names: Sequence[str], settings: Any) -> pd.DataFrame:
    """``X`` with the columns ``names`` as ``log(1 + x)`` (a negative value is refused)."""
    if not names:
        return X
    out = X.copy()
    for name in names:
        if name not in out.columns:
            continue
        values = out[name]
        if (values < 0).any():
            raise DataError(
                es=f"La variable '{name}' tiene valores negativos ({values.min():g}) y "
                f"[model] log_features de {settings.path} la toma como log(1 + x). Quítela de "
                "log_features o revise la capa.",
                en=f"Feature '{name}' has negative values ({values.min():g}) and "
                f"[model] log_features of {settings.path} takes it as log(1 + x). Remove it "
                "from log_features or check the layer.")
        out[name] = np.log1p(values)
    return out


def fill_missing(X: pd.DataFrame) -> pd.DataFrame:
    """Leave a missing value's term out, and say it is missing with a feature of its own.

    A district without a public value of a feature gets that feature's mean over the
    districts that have one, so its standardised value is 0 and the feature adds nothing to
    its risk (the term is left out, never read as zero). One 0/1 column per pattern of
    missingness (:data:`FALTA_PREFIX` + the first feature of the pattern) marks those
    districts; its weight, learnt from the records like any other, is what being outside
    the source's coverage says about risk. ``attrs["faltantes"]`` maps each such column to
    the features it stands for.

    >>> X = pd.DataFrame({"a": [1.0, None, 3.0], "b": [2.0, None, 4.0], "c": [1.0, 2, 3]})
    >>> out = fill_missing(X)
    >>> out["a"].tolist(), out["falta_a"].tolist(), out.attrs["faltantes"]
    ([1.0, 2.0, 3.0], [0.0, 1.0, 0.0], {'falta_a': ('a', 'b')})
    """
    missing = X.isna()
    patterns: dict[bytes, list[str]] = {}
    for col in X.columns:
        mask = missing[col].to_numpy()
        if mask.any():
            patterns.setdefault(mask.tobytes(), []).append(str(col))
    out = X.fillna(X.mean()) if patterns else X.copy()
    faltantes = {}
    for cols in patterns.values():
        name = FALTA_PREFIX + cols[0]
        out[name] = missing[cols[0]].astype(float).to_numpy()
        faltantes[name] = tuple(cols)
    out.attrs["faltantes"] = faltantes
    return out


def missing_features(districts: pd.DataFrame, settings: Any) -> np.ndarray:
    """Each district's features without a public value, ``;``-separated (``""``: none)."""
    names = [n for n in settings.feature_names if n in districts.columns]
    if not names:
        return np.full(len(districts), "", dtype=object)
    raw = districts[names].apply(pd.to_numeric, errors="coerce").isna().to_numpy()
    return np.array([";".join(n for n, m in zip(names, row, strict=True) if m) for row in raw],
                    dtype=object)


#: What the base indicators are, for the model card and the exports (the layers say it in
#: their settings: origin, source, years, unit).
BASE_FEATURE_SOURCES = {
    C.POBREZA: {"origen": "real", "fuente": "INEI, Mapa de pobreza monetaria 2018 (2020)",
                "anios": "2018", "unidad": "%"},
    C.POBLACION: {"origen": "real", "fuente": "INEI, población estimada 2020", "anios": "2020",
                  "unidad": "habitantes"},
    C.LEJANIA: {"origen": "real", "fuente": "calculada por riskmap: distancia a la capital "
                "del departamento (límites INEI, mapsPERU)", "anios": "", "unidad": "km"},
}


def feature_sources(settings: Any, features: Sequence[str]) -> dict[str, dict[str, str]]:
    """Say what each model feature is: origin (real/simulado), source, years, unit.

    The layers from their settings (``[[layers]]`` source, years, unit, simulated); the base
    indicators from :data:`BASE_FEATURE_SOURCES`; a ``falta_*`` feature names the layers it
    stands for.

    >>> from types import SimpleNamespace
    >>> feature_sources(SimpleNamespace(layers=()), ["lejania_km", "falta_x"])["falta_x"]
    {'origen': 'modelo', 'fuente': 'sin dato público de: x', 'anios': '', 'unidad': '0/1'}
    """
    layers = {layer.name: layer for layer in getattr(settings, "layers", ())}
    out: dict[str, dict[str, str]] = {}
    for name in features:
        if name in layers:
            spec = layers[name]
            out[name] = {"origen": "simulado" if spec.simulated else "real",
                         "fuente": str(getattr(spec, "source", "") or spec.citation or ""),
                         "anios": str(getattr(spec, "years_label", "") or ""),
                         "unidad": str(getattr(spec, "unit", "") or "")}
        elif name in BASE_FEATURE_SOURCES:
            out[name] = dict(BASE_FEATURE_SOURCES[name])
        elif name.startswith(FALTA_PREFIX):
            rest = name[len(FALTA_PREFIX):]
            out[name] = {"origen": "modelo", "fuente": f"sin dato público de: {rest}",
                         "anios": "", "unidad": "0/1"}
        else:
            out[name] = {"origen": "modelo", "fuente": "", "anios": "", "unidad": ""}
    return out


def model_history(districts: pd.DataFrame, settings: Any) -> pd.DataFrame | None:
    """Return the dated layers' past as the model reads it (logged, none where missing).

    The columns of ``[model] log_features`` are taken as ``log(1 + x)`` in every year, as in
    :func:`feature_matrix`; a district without a value today reads no past state either (its
    term is left out in every year, as today).
    """
    history = layer_history_of(districts)
    if history is None or history.empty:
        return history
    history = _logged(history, [n for n in log_features(settings) if n in history.columns],
                      settings)
    keys = history.index.get_level_values(C.UBIGEO).astype(str)
    today = districts.set_index(districts[C.UBIGEO].astype(str))
    for col in history.columns:
        if col in today.columns:
            gone = pd.to_numeric(today[col], errors="coerce").isna()
            absent = keys.isin(gone[gone].index)
            if absent.any():
                history.loc[absent, col] = np.nan
    return history


def learnt_range(X: pd.DataFrame, seen: pd.DataFrame | None, counts: pd.DataFrame
                 ) -> tuple[pd.Series, pd.Series] | None:
    """Return the range of each feature over the inspected districts (what the weights saw).

    Today's features and those the records were made under (``seen``); ``None`` when no
    district has a record (the expert prior ranks alone, and nothing was learnt).
    """
    inspected = counts["n"].reindex(X.index.astype(str)).fillna(0.0).to_numpy() > 0
    if not inspected.any():
        return None
    parts = [X[inspected]]
    if seen is not None:
        parts.append(seen.reindex(columns=X.columns)[inspected])
    both = pd.concat(parts)
    return both.min(), both.max()


def hold_in_range(X: pd.DataFrame, bounds: tuple[pd.Series, pd.Series] | None
                  ) -> tuple[pd.DataFrame, pd.Series]:
    """Hold each feature within ``bounds``; name, per district, the features held.

    >>> X = pd.DataFrame({"a": [0.0, 5.0, 9.0], "b": [1.0, 1.0, -2.0]}, index=list("xyz"))
    >>> held, out = hold_in_range(X, (pd.Series({"a": 0.0, "b": -1.0}),
    ...                               pd.Series({"a": 6.0, "b": 1.0})))
    >>> held["a"].tolist(), out.tolist()
    ([0.0, 5.0, 6.0], ['', '', 'a;b'])
    """
    if bounds is None:
        return X, pd.Series("", index=X.index, dtype=object)
    lo = bounds[0].reindex(X.columns)
    hi = bounds[1].reindex(X.columns)
    tol = 1e-9 * np.maximum(1.0, np.maximum(lo.abs(), hi.abs()))
    outside = X.lt(lo - tol, axis=1) | X.gt(hi + tol, axis=1)
    held = X.clip(lower=lo, upper=hi, axis=1)
    held.attrs = dict(X.attrs)
    names = np.array([str(c) for c in X.columns])
    flags = [";".join(names[row]) for row in outside.to_numpy()]
    return held, pd.Series(flags, index=X.index, dtype=object)


def district_counts(
    inspections: pd.DataFrame, keys, until: Any = None, since: Any = None
) -> pd.DataFrame:
    """Inspections ``n`` and findings ``k`` per district key (0 where none).

    Parameters
    ----------
    inspections : DataFrame
        Records with ``ubigeo``, ``hallazgo_tf`` and ``fecha``.
    keys : array-like of str
        District keys, in the order wanted; records of other districts are left out.
    until, since : date-like, optional
        Keep records with ``since <= fecha <= until``.

    Examples
    --------
    >>> recs = pd.DataFrame({"ubigeo": ["a", "a", "b"], "hallazgo_tf": [1, 0, 0],
    ...                      "fecha": pd.to_datetime(["2020-01-01"] * 3)})
    >>> district_counts(recs, ["a", "b", "c"]).to_dict("list")
    {'n': [2.0, 1.0, 0.0], 'k': [1.0, 0.0, 0.0]}
    """
    keys = pd.Index([str(k) for k in keys], name=C.UBIGEO)
    if inspections is None or len(inspections) == 0:
        return pd.DataFrame({"n": 0.0, "k": 0.0}, index=keys)
    rec = inspections
    if until is not None or since is not None:
        fecha = pd.to_datetime(rec[C.FECHA])
        mask = pd.Series(True, index=rec.index)
        if until is not None:
            mask &= fecha <= pd.Timestamp(until)
        if since is not None:
            mask &= fecha >= pd.Timestamp(since)
        rec = rec[mask]
    found = pd.to_numeric(rec[C.HALLAZGO]).astype(float)
    if not keys.is_unique:
        g = rec.assign(_k=found).groupby(rec[C.UBIGEO].astype(str))["_k"].agg(["size", "sum"])
        g.columns = ["n", "k"]
        return g.reindex(keys).fillna(0.0).astype(float)
    # numpy's bincount, not a groupby: this runs in every fit and every backtest fold
    where = keys.get_indexer(rec[C.UBIGEO].astype(str))
    inside = where >= 0
    n = np.bincount(where[inside], minlength=len(keys)).astype(float)
    k = np.bincount(where[inside], weights=np.nan_to_num(found.to_numpy()[inside]),
                    minlength=len(keys))
    return pd.DataFrame({"n": n, "k": k}, index=keys)


def training_rows(X: pd.DataFrame, counts: pd.DataFrame):
    """Two weighted rows per district: ``y=1`` weighted by findings, ``y=0`` by the rest.

    Never-inspected districts stay in with weight 0, so the standardisation reference is
    the whole region.

    Returns
    -------
    X_rows, y, sample_weight, groups
    """
    keys = X.index.to_numpy()
    n = counts["n"].to_numpy(float)
    k = counts["k"].to_numpy(float)
    Xr = pd.concat([X, X], ignore_index=True)
    y = np.concatenate([np.ones(len(X), dtype=int), np.zeros(len(X), dtype=int)])
    w = np.concatenate([k, n - k])
    groups = np.concatenate([keys, keys])
    return Xr, y, w, groups


def evidence_labels(n, min_inspections: int) -> np.ndarray:
    """``evidencia insuficiente`` below ``min_inspections``, ``limitada`` below three times it.

    >>> evidence_labels([0, 3, 10], 3).tolist()
    ['evidencia insuficiente', 'limitada', 'suficiente']
    """
    n = np.asarray(n, dtype=float)
    lab = np.where(n < min_inspections, C.EVIDENCIA_INSUFICIENTE,
                   np.where(n < 3 * min_inspections, EVIDENCIA_LIMITADA, EVIDENCIA_SUFICIENTE))
    return lab.astype(object)


def _metadata(settings, scorer, inspections, counts) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "version_modelo": MODEL_VERSION,
        "hash_configuracion": settings.digest(),
        "configuracion": portable_path(settings.path, settings),
        "simulado": bool(settings.simulated),
        "variables": list(settings.feature_names),
        "variables_fuentes": feature_sources(settings, settings.feature_names),
        "tabla_distritos": portable_path(settings.districts_gpkg, settings),
        "base": portable_path(settings.base, settings),
        "inspecciones_fuente": portable_path(settings.inspections, settings),
        "descripcion_columnas": dict(COLUMN_DESCRIPTIONS),
    }
    meta["fuentes"] = _sources(settings)
    if inspections is not None and len(inspections):
        fechas = pd.to_datetime(inspections[C.FECHA])
        meta["inspecciones_desde"] = str(fechas.min().date())
        meta["inspecciones_hasta"] = str(fechas.max().date())
    if counts is not None:  # unknown counts are left out, never written as 0
        meta["n_inspecciones"] = int(counts["n"].sum())
        meta["n_hallazgos"] = int(counts["k"].sum())
    if scorer is not None:
        coefs = scorer.coefficients(_descriptions(settings))
        meta["coeficientes"] = coefs.to_dict("records")
        meta["intercepto"] = float(scorer.intercept_[0])
        meta["fuerza_prior"] = float(scorer.prior_strength_)
        meta["sd_efecto_distrital"] = float(scorer.re_sd_)
    return meta


def portable_path(path: Any, settings: Any) -> str:
    """Return ``path`` relative to the settings file's folder, or its file name if outside.

    Metadata and model cards travel (exports, other machines): they never carry a server's
    absolute path. ``""`` for no path.

    >>> from types import SimpleNamespace
    >>> s = SimpleNamespace(path=Path("/srv/riskmap/config/settings.toml"))
    >>> portable_path("/srv/riskmap/config/work/distritos.gpkg", s)
    'work/distritos.gpkg'
    >>> portable_path("/home/ana/inspecciones.csv", s)
    'inspecciones.csv'
    >>> portable_path(None, s)
    ''
    """
    if path is None or str(path) == "":
        return ""
    p = Path(path)
    root = Path(settings.path).parent
    if not p.is_absolute():
        p = root / p
    try:
        return p.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return p.name


def _frame_counts(gdf) -> pd.DataFrame | None:
    """Per-district ``n`` and ``k`` from the score table's own columns, if it has them."""
    cols = getattr(gdf, "columns", ())
    if C.N_INSPECCIONES not in cols or C.N_HALLAZGOS not in cols:
        return None
    return pd.DataFrame({
        "n": pd.to_numeric(gdf[C.N_INSPECCIONES], errors="coerce").fillna(0).to_numpy(),
        "k": pd.to_numeric(gdf[C.N_HALLAZGOS], errors="coerce").fillna(0).to_numpy(),
    })


def _descriptions(settings) -> dict[str, str]:
    return {layer.name: layer.description for layer in settings.layers if layer.description}


def _sources(settings) -> list[dict[str, Any]]:
    path = Path(settings.districts_gpkg)
    if not path.is_file():
        return []
    try:
        import pyogrio

        table = pyogrio.read_dataframe(path, layer="fuentes")
    except Exception:  # noqa: BLE001 - an older table without `fuentes` is still scorable
        return []
    return json.loads(pd.DataFrame(table).to_json(orient="records", date_format="iso"))


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)
