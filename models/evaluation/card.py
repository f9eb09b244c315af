"""The model card: the deployment's model evaluated, described and written for people.

:func:`evaluate` runs the temporal and spatial folds (:mod:`models.evaluation.folds`) on a
deployment, pools their metrics (:mod:`models.evaluation.pooled`) and returns the model card
(a JSON-ready dict); :func:`write_card` writes it, :func:`card_to_markdown` renders it.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from geo import columns as C
from geo.config import Settings
from geo.errors import DataError
from geo.formatting import format_date, format_field, format_number
from geo.private import write_private
from geo.records.inspections import load_records
from models.evaluation.folds import MODEL, ORACLE, backtest_folds, spatial_folds
from models.evaluation.pooled import evaluate_folds, per_fold_metrics
from models.risk.complaints import offices_of, population_of
from models.risk.features import feature_matrix, model_history, read_district_table
from models.risk.metadata import (
    COLUMN_DESCRIPTIONS,
    MODEL_VERSION,
    feature_sources,
    layer_descriptions,
    portable_path,
)
from models.risk.model import RiskModel
from models.risk.scorer import feature_label

__all__ = ["EVALUATION_FILE", "TARGETS", "card_to_markdown", "evaluate", "write_card"]

#: The model card the dashboard reads, in ``settings.workdir``.
EVALUATION_FILE = "evaluacion.json"
#: Done-when targets of the project, checked on simulated worlds.
TARGETS = {"captura_top10_min": 0.85, "cobertura_min": 0.85, "cobertura_max": 0.95}


def evaluate(
    settings: Settings,
    districts: pd.DataFrame | None = None,
    inspections: pd.DataFrame | None = None,
    *,
    n_bootstrap: int | None = None,
    n_uncertainty: int = 100,
) -> dict[str, Any]:
    """Evaluate the deployment's model and return its model card.

    Parameters
    ----------
    settings : geo.config.Settings
    districts : DataFrame, optional
        District table (default: ``settings.districts_gpkg``).
    inspections : DataFrame, optional
        Records (default :func:`geo.records.inspections.load_records`).
    n_bootstrap : int, optional
        Replicates of the metric intervals (default ``settings.model.n_bootstrap``).
    n_uncertainty : int
        Replicates of the model's intervals inside each backtest fold.

    Returns
    -------
    dict
        The model card, ready for ``json.dumps``: data and dates, features and coefficients,
        temporal and spatial metrics against every baseline, recovery of the true risk on a
        simulated world, the project's targets, and the caveats.
    """
    if districts is None:
        districts = read_district_table(settings)
    if inspections is None:
        inspections = load_records(settings)
    X = feature_matrix(districts, settings)
    # the layers and base indicators, and a falta_* column where a source is silent
    features = list(X.columns)
    table = X.copy()
    if C.POBREZA in districts.columns and C.POBREZA not in table.columns:
        table[C.POBREZA] = pd.to_numeric(districts[C.POBREZA], errors="coerce").fillna(
            pd.to_numeric(districts[C.POBREZA], errors="coerce").median()
        ).to_numpy()
    keys = X.index
    prior = dict(settings.model.prior)
    model = RiskModel.from_settings(settings)  # validates the prior against the features
    seed = int(settings.model.seed)
    nb = int(n_bootstrap if n_bootstrap is not None else settings.model.n_bootstrap)
    truth = _read_truth(settings, keys)
    areas = (pd.Series(pd.to_numeric(districts[C.AREA_KM2], errors="coerce").to_numpy(),
                       index=keys) if C.AREA_KM2 in districts.columns else None)
    blocks = (pd.Series(districts[C.PROVINCIA].astype(str).to_numpy(), index=keys)
              if C.PROVINCIA in districts.columns else None)
    records = inspections[inspections[C.UBIGEO].astype(str).isin(keys)] if len(inspections) else \
        inspections
    history = model_history(districts, settings)
    population = population_of(districts)
    offices = offices_of(districts)
    # every fold fits a clone of the deployed model, as the scores do
    temporal = backtest_folds(table, features, records, prior, n_uncertainty=n_uncertainty,
                              seed=seed, truth=truth, population=population, offices=offices,
                              history=history, model=model)
    spatial = (spatial_folds(table, features, records, prior, blocks, seed=seed, truth=truth,
                             population=population, offices=offices, history=history,
                             model=model)
               if blocks is not None else [])
    described = feature_sources(settings, features)  # origin, source, years, unit
    card: dict[str, Any] = {
        # each falta_* factor and the layers it stands for (models.risk.features.fill_missing)
        "faltantes": {k: list(v) for k, v in X.attrs.get("faltantes", {}).items()},
        "titulo": "Ficha del modelo de riesgo de trabajo forzoso por distrito",
        "version_modelo": MODEL_VERSION,
        "generado": dt.datetime.now().isoformat(timespec="seconds"),
        "hash_configuracion": settings.digest(),
        "simulado": bool(settings.simulated),
        "datos": _data_summary(records, keys, settings),
        "variables": [
            {"factor": f, "nombre": feature_label(f, layer_descriptions(settings)),
             "peso_experto": float(prior.get(f, 0.0)), **described[f]}
            for f in features
        ],
        "modelo": _model_summary(settings, districts, records, model),
        # what `riskmap score` writes, described as its metadata describes it
        "descripcion_columnas": dict(COLUMN_DESCRIPTIONS),
        "evaluacion": {
            "temporal": evaluate_folds(temporal, truth=truth, areas=areas,
                                       n_bootstrap=nb, seed=seed),
            "espacial": evaluate_folds(spatial, truth=truth, areas=areas,
                                       n_bootstrap=nb, seed=seed),
        },
    }
    card["evaluacion"]["temporal"]["por_anio"] = per_fold_metrics(temporal, truth=truth)
    card["objetivos"] = _targets(card["evaluacion"]["temporal"], truth is not None)
    caveats = _caveats(card, settings)
    card["advertencias"] = [es for es, _ in caveats]
    card["advertencias_en"] = [en for _, en in caveats]
    return _jsonable(card)


def write_card(card: Mapping[str, Any], out: str | Path) -> Path:
    """Write the model card as ``.json`` or ``.md`` (atomically: temp file, then rename).

    The card holds exact counts of the records: the file is owner-only (0600), a folder
    made for it 0700 (:mod:`geo.private`).
    """
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix == ".json":
        text = json.dumps(card, ensure_ascii=False, indent=2, default=str)
    elif suffix == ".md":
        text = card_to_markdown(card)
    else:
        raise DataError("evaluacion.formato_no_soportado_ficha", name=out.name)
    return write_private(out, text)  # the card has exact counts: 0600 (geo.private)


def card_to_markdown(card: Mapping[str, Any]) -> str:
    """Render the model card for people (Spanish).

    >>> md = card_to_markdown({"titulo": "Ficha", "simulado": True, "advertencias": ["x"]})
    >>> md.splitlines()[0]
    '# Ficha'
    """
    lines = [f"# {card.get('titulo', 'Ficha del modelo')}", ""]
    variables = card.get("variables") or []
    real = [v for v in variables if v.get("origen") == "real"]
    if card.get("simulado"):
        lines += ["> **DATOS SIMULADOS.** Estas cifras describen un mundo simulado, no la "
                  "realidad de Cusco y Loreto"
                  + (": las inspecciones y el riesgo verdadero son simulados; las capas "
                     "marcadas 'real' abajo son datos públicos." if real else "."), ""]
    lines += [f"- Versión del modelo: `{card.get('version_modelo', '')}`",
              f"- Generada: {card.get('generado', '')}",
              f"- Hash de la configuración: `{card.get('hash_configuracion', '')}`", ""]
    datos = card.get("datos") or {}
    if datos:
        lines += ["## Datos", ""]
        lines += [f"- {k.replace('_', ' ')}: {_spoken(v)}" for k, v in datos.items()]
        lines.append("")
    if any("origen" in v for v in variables):
        lines += ["## Variables", "",
                  "| Factor | Origen | Fuente | Años | Unidad |", "|---|---|---|---|---|"]
        lines += [f"| {v['nombre']} | {v.get('origen', '')} | {v.get('fuente', '')} | "
                  f"{v.get('anios', '')} | {v.get('unidad', '')} |" for v in variables]
        lines.append("")
    coefs = (card.get("modelo") or {}).get("coeficientes") or []
    if coefs:
        lines += ["## Factores y pesos", "",
                  "Peso = cambio en log-odds por una desviación estándar del factor.", "",
                  "| Factor | Peso ajustado | Peso experto | Razón de odds |", "|---|---|---|---|"]
        for c in coefs:
            lines.append(f"| {c['nombre']} | {_fmt(c['peso'])} | {_fmt(c['peso_experto'])} | "
                         f"{_fmt(c['razon_de_odds'])} |")
        lines.append("")
    cols = card.get("descripcion_columnas") or {}
    if cols:
        lines += ["## Columnas de la tabla de riesgo", ""]
        lines += [f"- `{k}`: {v}" for k, v in cols.items()]
        lines.append("")
    for key, title in (("temporal", "Backtest temporal (entrenar hasta t, probar en t+1)"),
                       ("espacial", "Validación espacial por provincias")):
        block = (card.get("evaluacion") or {}).get(key) or {}
        metrics = block.get("metricas") or {}
        if not metrics:
            continue
        lines += [f"## {title}", "", f"Pliegues: {', '.join(map(str, block['pliegues']))}. "
                  f"Inspecciones de prueba: {_spoken(block.get('inspecciones_prueba'))}, "
                  f"hallazgos: {_spoken(block.get('hallazgos_prueba'))}. "
                  "Intervalos: bootstrap 95%.", ""]
        names = list(next(iter(metrics.values())))
        lines.append("| Modelo | " + " | ".join(names) + " |")
        lines.append("|---" * (len(names) + 1) + "|")
        for model, vals in metrics.items():
            cells = [_fmt_ci(vals.get(n)) for n in names]
            lines.append(f"| {model} | " + " | ".join(cells) + " |")
        lines.append("")
        diffs = block.get("diferencias") or {}
        if diffs:
            lines += ["Diferencia del modelo frente a cada referencia (acierto en 10):", ""]
            for base, vals in diffs.items():
                lines.append(f"- {base}: {_fmt_ci(vals.get('acierto_10'))}")
            lines.append("")
        ceiling = block.get("techo_oraculo_acierto_10") or {}
        if ceiling:
            lines += ["Techo: diferencia del riesgo verdadero (oráculo) frente a cada referencia "
                      "(acierto en 10): lo que cabe esperar como máximo en estos pliegues.", ""]
            for base, entry in ceiling.items():
                lines.append(f"- {base}: {_fmt_ci(entry)}")
            lines.append("")
        yearly = block.get("por_anio") or {}
        if yearly:
            years = list(next(iter(yearly.values())))
            lines += ["Acierto en 10 por año de prueba (hallazgos del año entre paréntesis):", "",
                      "| Modelo | " + " | ".join(
                          f"{y} ({next(iter(yearly.values()))[y].get('hallazgos')})"
                          for y in years) + " |",
                      "|---" * (len(years) + 1) + "|"]
            for model, per in yearly.items():
                cells = [_fmt((per.get(y) or {}).get("acierto_10")) for y in years]
                lines.append(f"| {model} | " + " | ".join(cells) + " |")
            lines.append("")
    obj = card.get("objetivos") or {}
    if obj:
        lines += ["## Objetivos", ""]
        lines += [f"- {k}: {v}" for k, v in obj.items()]
        lines.append("")
    if card.get("advertencias"):
        lines += ["## Advertencias", ""]
        lines += [f"- {w}" for w in card["advertencias"]]
        lines.append("")
    return "\n".join(lines)



def _read_truth(settings: Settings, keys) -> pd.Series | None:
    path = getattr(settings, "truth", None)
    if not path or not Path(path).is_file():
        return None
    df = pd.read_csv(path, dtype={C.UBIGEO: str})
    if C.RIESGO_VERDADERO not in df.columns or C.UBIGEO not in df.columns:
        raise DataError("evaluacion.faltan_columnas", path=path, ubigeo=C.UBIGEO,
                        riesgo_verdadero=C.RIESGO_VERDADERO)
    out = df.set_index(C.UBIGEO)[C.RIESGO_VERDADERO].astype(float).reindex(keys)
    if "riesgo_anterior" in df.columns and "anio_deriva" in df.columns:  # risk that moved
        out.attrs["antes"] = df.set_index(C.UBIGEO)["riesgo_anterior"].astype(float).reindex(
            keys)
        out.attrs["anio_deriva"] = int(pd.to_numeric(df["anio_deriva"]).max())
    # risk that moves with the dated layers: one column per year
    prefix = C.RIESGO + "_"
    years = {int(c[len(prefix):]): c for c in df.columns
             if c.startswith(prefix) and c[len(prefix):].isdigit()}
    if years:
        indexed = df.set_index(C.UBIGEO)
        out.attrs["por_anio"] = {y: indexed[c].astype(float).reindex(keys)
                                 for y, c in sorted(years.items())}
    return out


def _data_summary(records, keys, settings: Settings) -> dict[str, Any]:
    out: dict[str, Any] = {"distritos": int(len(keys)), "inspecciones": int(len(records))}
    if len(records):
        fechas = pd.to_datetime(records[C.FECHA])
        out["hallazgos"] = int(pd.to_numeric(records[C.HALLAZGO]).sum())
        out["desde"] = str(fechas.min().date())
        out["hasta"] = str(fechas.max().date())
        out["anios"] = sorted(int(y) for y in fechas.dt.year.unique())
        out["distritos_inspeccionados"] = int(records[C.UBIGEO].nunique())
    out["inspecciones_fuente"] = portable_path(settings.inspections, settings)
    out["region"] = list(settings.region)
    return out


def _model_summary(settings: Settings, districts: pd.DataFrame, records: pd.DataFrame,
                   model: RiskModel | None = None) -> dict[str, Any]:
    """Fit the deployed model on every record and describe it for the card.

    ``model``: the deployment's (default :meth:`RiskModel.from_settings`), cloned and fitted
    as :func:`models.risk.score.score_districts` fits it.
    """
    X = feature_matrix(districts, settings)
    history = model_history(districts, settings)
    model = RiskModel.from_settings(settings) if model is None else model
    fitted = clone(model).fit(X, records, population=population_of(districts),
                              offices=offices_of(districts), history=history)
    scorer, recency = fitted.scorer_, fitted.recency_
    alerts = fitted.drift_alerts(X, records, history=history)
    selection = fitted.selection_effect(X)
    flagged = alerts[alerts["alerta_deriva"] != ""]
    names = districts.set_index(districts[C.UBIGEO].astype(str))[C.DISTRITO] \
        if C.DISTRITO in districts.columns else pd.Series(dtype=str)
    return {
        "seleccion": {
            **selection,
            "explicacion": "Las inspecciones siguen a las denuncias y las denuncias al riesgo: "
                           "los distritos más inspeccionados son los de mayor efecto propio. "
                           "Con 'joint' los pesos y el efecto propio de cada distrito se "
                           "ajustan juntos (modelo mixto), así el exceso de un distrito muy "
                           "denunciado queda en su efecto y no sube el riesgo de todos. "
                           "El número de inspecciones por denuncia frente a lo que esperan la "
                           "población, las características y el volumen de la oficina informa "
                           "además el efecto propio de cada distrito (modelo de parámetro "
                           "compartido; denuncias_como_evidencia es su fuerza g, 0 = no "
                           "informa; complaint_evidence = false lo apaga). "
                           "Con complaint_intensity = true, además, el número de inspecciones "
                           "por denuncia frente a lo esperado por su población y "
                           "características entra como un factor más (denuncias_relativas). "
                           "spearman_con_sin y "
                           "top10_compartidos dicen cuánto cambia el ranking frente a contar "
                           "cada inspección por separado.",
        },
        "deriva": {
            "vida_media_anios": recency.get("vida_media_anios"),
            "verosimilitud_por_vida_media": recency.get("verosimilitud_por_vida_media", {}),
            "explicacion": "El historial de cada distrito se descuenta con la edad (cada "
                           "inspección pesa 0.5^(edad/vida media)); la vida media la eligen los "
                           "registros (predicción de cada uno de los 3 últimos años con los "
                           "anteriores) y queda sin descuento si ninguna mejora en 1.92 la "
                           "log-verosimilitud. Con capas con fecha (capas_con_fecha), cada "
                           "inspección se lee con las capas de su año; una alerta con motivo "
                           "'capas' marca un distrito cuyas capas duplicaron (o redujeron a la "
                           "mitad) sus odds desde sus inspecciones (cambio_capas, en logit).",
            "alertas": [{"ubigeo": u, "distrito": str(names.get(u, "")),
                         "alerta": row["alerta_deriva"], "motivo": row["motivo_deriva"],
                         "p": round(float(row["p_deriva"]), 4),
                         "cambio_capas": round(float(row["cambio_capas"]), 3)}
                        for u, row in flagged.iterrows()],
            # layers whose past is kept: each record paired with the layers of its year
            "capas_con_fecha": sorted(history.columns) if history is not None else [],
        },
        "metodo": "Regresión logística penalizada hacia los pesos expertos (L2 centrada en el "
                  "prior, con la fuerza del prior elegida por Bayes empírico —evidencia de "
                  "Laplace— y limitada por la configuración) + efecto aleatorio por distrito "
                  "en escala logit (desviación estimada por verosimilitud marginal con prior "
                  "Gamma(2)); intervalos por simulación de la posterior de Laplace de los pesos, "
                  "de la desviación y del efecto de cada distrito.",
        "intercepto": float(scorer.intercept_[0]),
        "sd_efecto_distrital": float(scorer.re_sd_),
        "fuerza_prior": float(scorer.prior_strength_),
        "fuerza_prior_maxima": float(settings.model.prior_strength),
        "coeficientes": scorer.coefficients(layer_descriptions(settings)).to_dict("records"),
    }


def _targets(temporal: Mapping[str, Any], has_truth: bool) -> dict[str, Any]:
    met = temporal.get("metricas") or {}
    if MODEL not in met:
        return {}
    out: dict[str, Any] = {}
    diffs = temporal.get("diferencias") or {}
    beats = {
        b: bool((d.get("acierto_10") or {}).get("ic95", [None])[0] is not None
                and d["acierto_10"]["ic95"][0] > 0)
        for b, d in diffs.items() if b != ORACLE
    }
    out["supera_a_cada_referencia_en_acierto_10"] = beats
    if ORACLE in met:
        # the ceiling: can even the truth beat each baseline by a margin the bootstrap supports?
        out["acierto_10_oraculo"] = (met[ORACLE].get("acierto_10") or {}).get("valor")
    if has_truth:
        cap = (met[MODEL].get("captura_top10") or {}).get("valor")
        cov = (met[MODEL].get("cobertura_90") or {}).get("valor")
        out["captura_top10"] = cap
        out["captura_top10_cumple"] = bool(cap is not None and cap >= TARGETS["captura_top10_min"])
        out["cobertura_90"] = cov
        out["cobertura_90_cumple"] = bool(
            cov is not None and TARGETS["cobertura_min"] <= cov <= TARGETS["cobertura_max"]
        )
    return out


def _caveats(card, settings: Settings) -> list[tuple[str, str]]:
    """Return the model card's caveats as (Spanish, English) pairs, in the order shown."""
    out = [
        ("Sesgo de selección: las inspecciones no son aleatorias (se concentran cerca de las "
         "oficinas y tras denuncias); el acierto mide dónde se encontró, no dónde existe.",
         "Selection bias: inspections are not random (they cluster near the offices and follow "
         "complaints); the hit rate measures where indicators were found, not where they "
         "exist."),
        ("Etiquetas escasas: los hallazgos de trabajo forzoso son pocos por año; los intervalos "
         "de las métricas son anchos y las diferencias pequeñas no son concluyentes.",
         "Sparse labels: forced-labour findings are few each year; the metrics' intervals are "
         "wide and small differences are not conclusive."),
        ("Los distritos con pocas inspecciones se marcan como 'evidencia insuficiente': su "
         "riesgo viene de sus características y del criterio experto, no de su historial; no "
         "significa riesgo bajo.",
         "Districts with few inspections are marked 'insufficient evidence': their risk comes "
         "from their features and the expert judgement, not from their record; it does not "
         "mean low risk."),
    ]
    if settings.simulated:
        simulated = [layer.name for layer in settings.layers if layer.simulated]
        real = [layer.name for layer in settings.layers if not layer.simulated]
        if real:
            extra_es = f" ({', '.join(simulated)})" if simulated else ""
            extra_en = f" ({', '.join(simulated)})" if simulated else ""
            out.insert(0, (
                "DATOS SIMULADOS: las inspecciones y el riesgo verdadero son simulados"
                + (f", y las capas{extra_es}" if simulated else "")
                + f"; las capas {', '.join(real)} son datos públicos reales. Las cifras de "
                "desempeño describen el mundo simulado, no la realidad.",
                "SIMULATED DATA: the inspections and the true risk are simulated"
                + (f", and the layers{extra_en}" if simulated else "")
                + f"; the layers {', '.join(real)} are real public data. The performance "
                "figures describe the simulated world, not reality."))
        else:
            out.insert(0, ("DATOS SIMULADOS: las capas, las inspecciones y el riesgo verdadero "
                           "son simulados; las cifras no describen la realidad.",
                           "SIMULATED DATA: the layers, the inspections and the true risk are "
                           "simulated; the figures do not describe reality."))
    faltan = sorted({n for n in card.get("faltantes", {}).values() for n in n})
    if faltan:
        out.append((
            f"Sin dato público: las capas {', '.join(faltan)} no cubren todos los distritos; "
            "en los que no cubren, su término queda fuera del riesgo y un factor 'falta_*' "
            "aprende de los registros qué dice no tener dato (nunca se lee como 0).",
            f"No public data: the layers {', '.join(faltan)} do not cover every district; "
            "where they do not, their term is left out of the risk and a 'falta_*' factor "
            "learns from the records what having no data says (never read as 0)."))
    temporal = card["evaluacion"]["temporal"]
    if not temporal.get("pliegues"):
        out.append(("No hay años suficientes con inspecciones para un backtest temporal.",
                    "There are not enough years with inspections for a temporal backtest."))
    unsupported = [b for b, e in (temporal.get("techo_oraculo_acierto_10") or {}).items()
                   if (e.get("ic95") or [None])[0] is not None and e["ic95"][0] <= 0]
    if unsupported:
        names = ", ".join(unsupported)
        n = temporal.get("hallazgos_prueba")
        out.append((
            f"Potencia limitada: con {n} hallazgos de prueba, ni el riesgo verdadero supera a "
            f"{names} en acierto en 10 con un margen que el bootstrap respalde; frente a esas "
            "referencias una diferencia no significativa del modelo no es concluyente.",
            f"Limited power: with {n} test findings, not even the true risk beats {names} on "
            "hit rate at 10 by a margin the bootstrap supports; against those baselines a "
            "non-significant difference of the model is not conclusive.",
        ))
    elif temporal.get("pliegues") and ORACLE not in (temporal.get("metricas") or {}):
        # no truth to measure the ceiling against (real records): say what an unsupported
        # margin means when the findings are few
        weak = [b for b, d in (temporal.get("diferencias") or {}).items()
                if ((d.get("acierto_10") or {}).get("ic95") or [None])[0] is not None
                and d["acierto_10"]["ic95"][0] <= 0]
        if weak:
            names = ", ".join(weak)
            n = temporal.get("hallazgos_prueba")
            years = len(temporal["pliegues"])
            out.append((
                f"Potencia limitada: {n} hallazgos de prueba en {years} años. Frente a {names} "
                "el margen del modelo en acierto en 10 no está respaldado por el bootstrap; con "
                "tan pocos hallazgos eso no prueba que el modelo no sea mejor, ni que lo sea.",
                f"Limited power: {n} test findings in {years} years. Against {names} the "
                "model's margin on hit rate at 10 is not supported by the bootstrap; with so "
                "few findings that proves neither that the model is better nor that it is not.",
            ))
    return out


def _fmt(v) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "—"
    return format_number(v, "es", digits=3) if isinstance(v, float) else format_field(v)


def _spoken(v) -> str:
    """Write a value of the (Spanish) card as people read it: counts grouped, days in words.

    >>> _spoken(24510), _spoken("2019-01-04"), _spoken([2019, 2020])
    ('24,510', '4 de enero de 2019', '[2019, 2020]')
    """
    if isinstance(v, str) and len(v) == 10:
        return format_date(v, "es", missing=v)
    return format_field(v, ",", "es") if isinstance(v, (int, float)) else str(v)


def _fmt_ci(entry) -> str:
    if not entry:
        return "—"
    lo, hi = entry.get("ic95") or [None, None]
    if lo is None:
        return _fmt(entry.get("valor"))
    return f"{_fmt(entry.get('valor'))} [{_fmt(lo)}, {_fmt(hi)}]"


def _jsonable(obj):
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj
