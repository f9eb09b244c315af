"""The score table's contract and what it says of itself.

Its column names and their plain-Spanish descriptions, where each model feature comes from,
the model's metadata (version, settings, sources, coefficients) and paths that travel
(relative to the settings file, never a server's absolute path).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyogrio

from geo import columns as C
from geo.config import Settings
from models.risk.features import FALTA_PREFIX
from models.risk.scorer import HISTORIAL, RiskScorer

__all__ = [
    "ALERTA_DERIVA",
    "BASE_FEATURE_SOURCES",
    "COLUMN_DESCRIPTIONS",
    "CONTRIB_HISTORIAL",
    "EVIDENCIA_LIMITADA",
    "EVIDENCIA_SUFICIENTE",
    "FUERA_RANGO",
    "MODEL_VERSION",
    "MOTIVO_DERIVA",
    "N_EFECTIVAS",
    "PATH_KEYS",
    "PERCENT_COLUMNS",
    "P_DERIVA",
    "SCORE_COLUMNS",
    "SIN_DATO",
    "feature_sources",
    "layer_descriptions",
    "model_metadata",
    "portable_path",
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
#: Columns of the score table that are probabilities (a spreadsheet shows them as percent).
PERCENT_COLUMNS = (C.RIESGO, C.RIESGO_P05, C.RIESGO_P95, C.PROB_TOP10)
#: What the uncertain columns of the score table mean (metadata and model card say the same).
COLUMN_DESCRIPTIONS = {
    C.RIESGO: "probabilidad estimada de hallazgo por inspección",
    C.RIESGO_P05: "límite inferior del intervalo del 90% del riesgo",
    C.RIESGO_P95: "límite superior del intervalo del 90% del riesgo",
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
#: Metadata keys that hold a path: written relative to the settings file's folder.
PATH_KEYS = ("configuracion", "tabla_distritos", "base", "inspecciones_fuente")


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


def feature_sources(settings: Settings, features: Sequence[str]) -> dict[str, dict[str, str]]:
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



def model_metadata(settings: Settings, scorer: RiskScorer | None,
                   inspections: pd.DataFrame | None, counts: pd.DataFrame | None
                   ) -> dict[str, Any]:
    """Return the score table's metadata: model version, settings, sources, counts, weights.

    ``scorer``, ``inspections`` and ``counts`` may be ``None`` (a table written without its
    fit): what they would say is left out, never written as 0.
    """
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
        coefs = scorer.coefficients(layer_descriptions(settings))
        meta["coeficientes"] = coefs.to_dict("records")
        meta["intercepto"] = float(scorer.intercept_[0])
        meta["fuerza_prior"] = float(scorer.prior_strength_)
        meta["sd_efecto_distrital"] = float(scorer.re_sd_)
    return meta


def portable_path(path: Any, settings: Settings) -> str:
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



def layer_descriptions(settings: Settings) -> dict[str, str]:
    """Return each layer's description from the settings (layers without one left out)."""
    return {layer.name: layer.description for layer in settings.layers if layer.description}


def _sources(settings: Settings) -> list[dict[str, Any]]:
    path = Path(settings.districts_gpkg)
    if not path.is_file():
        return []
    try:
        table = pyogrio.read_dataframe(path, layer="fuentes")
    except Exception:  # noqa: BLE001 - an older table without `fuentes` is still scorable
        return []
    return json.loads(pd.DataFrame(table).to_json(orient="records", date_format="iso"))
