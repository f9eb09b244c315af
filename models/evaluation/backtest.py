"""Honest evaluation of the risk model: temporal backtest, spatial blocks, model card.

- **Temporal backtest**: for every year ``t`` with data, fit on records up to ``t`` and score
  the districts for ``t + 1``; the test findings are that next year's.
- **Spatial block cross-validation**: leave one province out at a time; its districts are
  scored from features alone by a model that never saw them. No random splits of spatial data.

Every model — :class:`~models.risk.scorer.RiskScorer` and each baseline of
:mod:`models.evaluation.baselines` —
is fitted and scored on exactly the same folds. Metrics
(:mod:`models.evaluation.metrics`) are pooled over
folds; their 95% intervals come from a bootstrap that resamples districts within each fold, the
same resample for every model, so differences between models are paired.

The random baseline is evaluated in expectation over all random orders: each district is in
the top ``k`` with probability ``k / n`` (ties are shared,
:func:`models.evaluation.metrics.expected_top_k`),
so its hit rate at ``k`` is ``k / n`` and its lift 1, in every fold and every bootstrap
replicate. The margin model − random is then the model's own (paired) replicates minus
``k / n``: what the model adds over choosing districts blindly, without the luck of one draw.

:func:`evaluate` runs both on a deployment and returns the model card (a JSON-ready dict);
:func:`card_to_markdown` renders it for people.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geo import columns as C
from geo.errors import DataError
from geo.private import write_private
from models.evaluation import metrics as M
from models.evaluation.baselines import default_baselines
from models.risk.recency import recency_fit
from models.risk.score import (
    COLUMN_DESCRIPTIONS,
    MODEL_VERSION,
    district_counts,
    features_in,
    portable_path,
    training_rows,
)
from models.risk.scorer import RiskScorer, feature_label, simulate_uncertainty

__all__ = [
    "EVALUATION_FILE",
    "MODEL",
    "ORACLE",
    "TARGETS",
    "Fold",
    "backtest_folds",
    "bayes_ceiling",
    "card_to_markdown",
    "evaluate",
    "evaluate_folds",
    "per_fold_metrics",
    "spatial_folds",
    "write_card",
]

#: The model card the dashboard reads, in ``settings.workdir``.
EVALUATION_FILE = "evaluacion.json"
#: Name of the risk model in the tables (baselines use their own names).
MODEL = "modelo"
#: The oracle: ranks by the true risk (simulated worlds only) — the ceiling, not a competitor.
ORACLE = "oraculo"
#: Done-when targets of the project, checked on simulated worlds.
TARGETS = {"captura_top10_min": 0.85, "cobertura_min": 0.85, "cobertura_max": 0.95}
_KS = (10, 20)


@dataclass
class Fold:
    """One train/test split and every model's scores on it.

    Attributes
    ----------
    name : str
        ``"2021"`` (test year) or a province.
    keys : ndarray
        District keys scored in this fold.
    n_test, k_test : ndarray
        Test inspections and findings per district.
    scores, risks : dict
        Model name -> ranking score and probability per district.
    lower, upper : ndarray or None
        The risk model's 90% interval per district.
    """

    name: str
    keys: np.ndarray
    n_test: np.ndarray
    k_test: np.ndarray
    scores: dict[str, np.ndarray] = field(default_factory=dict)
    risks: dict[str, np.ndarray] = field(default_factory=dict)
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None
    truth: np.ndarray | None = None  # the true risk during the test year, when it moved


def backtest_folds(
    table: pd.DataFrame,
    features: Sequence[str],
    records: pd.DataFrame,
    prior: Mapping[str, float],
    *,
    prior_strength: float = 10.0,
    n_uncertainty: int = 100,
    seed: int = 0,
    truth: pd.Series | None = None,
    half_life: float | str = "auto",
    selection_correction: str = "joint",
    population: Any = None,
    complaints: bool = True,
    complaint_evidence: bool = True,
    offices: Any = None,
    history: pd.DataFrame | None = None,
) -> list[Fold]:
    """Temporal backtest: train on years ``<= t``, test on ``t + 1``, for every ``t`` with data.

    Parameters
    ----------
    table : DataFrame
        One row per district, index = ubigeo; the model features plus ``pobreza_monetaria``
        (for the poverty baseline) when available.
    features : sequence of str
        Model features (columns of ``table``).
    records : DataFrame
        Inspection records (``fecha``, ``ubigeo``, ``hallazgo_tf``).
    prior : mapping
        Expert weight per feature.
    prior_strength : float
    n_uncertainty : int
        Bootstrap replicates of the model's intervals in each fold.
    seed : int
    truth : Series, optional
        True risk per district (simulated worlds): adds the ``oraculo`` reference, the
        ceiling any model could reach on these folds.
    half_life : "auto", float
        How the district records are discounted with age (:mod:`models.risk.recency`), chosen
        again in every fold from its own training years.
    selection_correction : {"joint", "design", "cluster", "none"}
        See :class:`models.risk.scorer.RiskScorer`.
    population : array-like, optional
        Population of each district (rows of ``table``), for the complaint feature.
    complaints : bool
        Add :data:`models.risk.score.DENUNCIAS` from each fold's training records.
    complaint_evidence : bool
        Let each fold's training complaints inform the district effects
        (:func:`models.risk.score.complaint_counts`, the shared-parameter model of the scorer).
    offices : array-like, optional
        Department of each district (rows of ``table``): each office its own volume of
        complaints.
    history : DataFrame, optional
        The dated layers' past states (:func:`geo.geography.build.read_layer_history`): each fold
        trains on the layers of its records' years and scores ``t + 1`` with the layers as
        they stood at the end of ``t`` (no fold sees a layer from after its test year began).

    Returns
    -------
    list of Fold
    """
    if records is None or len(records) == 0:
        return []
    years = sorted(pd.to_datetime(records[C.FECHA]).dt.year.unique().tolist())
    folds = []
    year_of = pd.to_datetime(records[C.FECHA]).dt.year
    for t in years:
        if t + 1 not in years:
            continue
        train = records[year_of <= t]
        test = records[year_of == t + 1]
        # the layers as they stood when the test year began: what a planner had then
        folds.append(_run_fold(str(t + 1), features_in(table, history, t), features,
                               train, test, prior, prior_strength,
                               n_uncertainty, seed, truth_in(truth, t + 1), half_life,
                               selection_correction,
                               complaints=train if complaints else None,
                               population=population,
                               evidence=train if complaint_evidence else None,
                               offices=offices, history=history))
    return folds


def spatial_folds(
    table: pd.DataFrame,
    features: Sequence[str],
    records: pd.DataFrame,
    prior: Mapping[str, float],
    blocks: pd.Series,
    *,
    prior_strength: float = 10.0,
    seed: int = 0,
    truth: pd.Series | None = None,
    population: Any = None,
    complaints: bool = True,
    complaint_evidence: bool = True,
    offices: Any = None,
    history: pd.DataFrame | None = None,
) -> list[Fold]:
    """Spatial block cross-validation: leave one province out, pooled into one fold.

    Each province's districts are scored by models fitted on the other provinces' records
    only (their own record unseen, so the risk model relies on its features). The test
    findings are all of the district's records.

    Parameters
    ----------
    blocks : Series
        Block (province) of each district, index = ubigeo.

    Returns
    -------
    list of Fold
        One pooled fold (``"provincias"``), or none without records.
    """
    if records is None or len(records) == 0:
        return []
    keys = table.index.to_numpy()
    block = blocks.reindex(table.index).fillna("?").astype(str).to_numpy()
    rec_block = pd.Series(block, index=table.index).reindex(records[C.UBIGEO].astype(str))
    scores: dict[str, np.ndarray] = {}
    risks: dict[str, np.ndarray] = {}
    for b in np.unique(block):
        held = block == b
        train = records[(rec_block != b).to_numpy()]
        # a district held out has no record of its own, so no complaint count either
        # (complaint-driven inspections are records): the complaint feature and the
        # complaints as evidence count the other provinces' only
        part = _run_fold(b, table, features, train, train.iloc[:0], prior, prior_strength, 0, seed,
                         truth, complaints=train if complaints else None,
                         population=population,
                         evidence=train if complaint_evidence else None,
                         offices=offices, history=history)
        for m in part.scores:
            scores.setdefault(m, np.zeros(len(keys)))
            risks.setdefault(m, np.zeros(len(keys)))
            # a ranking score from different fits is only comparable through its probability
            scores[m][held] = part.risks[m][held] if m != "aleatorio" else part.scores[m][held]
            risks[m][held] = part.risks[m][held]
    test = district_counts(records, keys)
    fold = Fold("provincias", keys, test["n"].to_numpy(), test["k"].to_numpy(), scores, risks)
    return [fold]


def evaluate_folds(
    folds: Sequence[Fold],
    *,
    truth: pd.Series | None = None,
    areas: pd.Series | None = None,
    ks: Sequence[int] = _KS,
    n_bootstrap: int = 200,
    seed: int = 0,
) -> dict[str, Any]:
    """Pooled metrics of every model over the folds, with paired bootstrap intervals.

    Returns
    -------
    dict
        ``{"pliegues": [...], "metricas": {model: {metric: {"valor", "ic95"}}},
        "diferencias": {baseline: {metric: {"valor", "ic95"}}}, "calibracion": [...]}`` where
        a difference is the risk model's metric minus the baseline's (positive = model
        better, except for ``brier`` where negative is better).
    """
    if not folds:
        return {"pliegues": [], "metricas": {}, "diferencias": {}, "calibracion": []}
    rng = np.random.default_rng(seed)
    weights = [_bootstrap_counts(len(f.keys), n_bootstrap, rng) for f in folds]
    names = list(folds[0].scores)
    values: dict[str, dict[str, tuple[float, np.ndarray]]] = {}
    for m in names:
        values[m] = _model_metrics(folds, m, weights, truth, areas, ks)
    metrics = {
        m: {name: _summary(v, boot) for name, (v, boot) in vals.items()}
        for m, vals in values.items()
    }
    diffs = {}
    for m in names:
        if m == MODEL:
            continue
        diffs[m] = {
            name: _summary(values[MODEL][name][0] - v, values[MODEL][name][1] - boot)
            for name, (v, boot) in values[m].items()
            if name in values[MODEL]
        }
    ceiling = {}
    if ORACLE in values:
        # what the truth itself achieves over each baseline on these folds: a margin the
        # model cannot be asked to exceed
        ceiling = {
            m: _summary(values[ORACLE]["acierto_10"][0] - values[m]["acierto_10"][0],
                        values[ORACLE]["acierto_10"][1] - values[m]["acierto_10"][1])
            for m in names if m not in (MODEL, ORACLE) and "acierto_10" in values[m]
        }
    risk = np.concatenate([f.risks[MODEL] for f in folds])
    n = np.concatenate([f.n_test for f in folds])
    k = np.concatenate([f.k_test for f in folds])
    calib = M.calibration_table(risk, n, k, bins=5)
    return {
        "pliegues": [f.name for f in folds],
        "inspecciones_prueba": int(n.sum()),
        "hallazgos_prueba": int(k.sum()),
        "metricas": metrics,
        "diferencias": diffs,
        "techo_oraculo_acierto_10": ceiling,
        "calibracion": calib.to_dict("records"),
    }


def per_fold_metrics(
    folds: Sequence[Fold],
    *,
    truth: pd.Series | None = None,
    ks: Sequence[int] = _KS,
) -> dict[str, dict[str, dict[str, Any]]]:
    """Metrics of every model in each fold separately (for the temporal backtest: per year).

    Parameters
    ----------
    folds : sequence of Fold
    truth : Series, optional
        True risk per district: adds ``captura_top10`` per fold.
    ks : sequence of int

    Returns
    -------
    dict
        ``{model: {fold name: {"acierto_10": float, "acierto_20": float, "hallazgos": int,
        "inspecciones": int[, "captura_top10": float[, "cobertura_90": float]]}}}``: capture
        with a truth, and the risk model's interval coverage when it has intervals. A hit rate
        is ``nan`` in a fold with no findings.

    Examples
    --------
    >>> f = Fold("2020", np.array(["a", "b", "c"]), np.array([2, 3, 1]), np.array([1, 2, 0]),
    ...          scores={"m": np.array([0.1, 0.9, 0.5])})
    >>> per_fold_metrics([f], ks=(1,))["m"]["2020"]
    {'acierto_1': 0.6666666666666666, 'hallazgos': 3, 'inspecciones': 6}
    """
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for f in folds:
        t = None if truth is None else (  # the year's own truth where risk moved
            f.truth if f.truth is not None else truth.reindex(f.keys).to_numpy(dtype=float))
        for m, scores in f.scores.items():
            row: dict[str, Any] = {
                f"acierto_{k}": M.hit_rate_at_k(scores, f.k_test, k) for k in ks
            }
            row["hallazgos"] = int(np.sum(f.k_test))
            row["inspecciones"] = int(np.sum(f.n_test))
            if t is not None:
                row["captura_top10"] = M.capture_at_k(scores, t, 10)
                if m == MODEL and f.lower is not None and f.upper is not None:
                    row["cobertura_90"] = M.interval_coverage(f.lower, f.upper, t)
            out.setdefault(m, {})[f.name] = row
    return out


def evaluate(
    settings: Any,
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
    from models.risk.score import feature_matrix, make_scorer, read_district_table, score_districts

    if districts is None:
        districts = read_district_table(settings)
    if inspections is None:
        from geo.records.inspections import load_records

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
    make_scorer(settings)  # validates the prior against the features
    seed = int(settings.model.seed)
    nb = int(n_bootstrap if n_bootstrap is not None else settings.model.n_bootstrap)
    truth = _read_truth(settings, keys)
    areas = (pd.Series(pd.to_numeric(districts[C.AREA_KM2], errors="coerce").to_numpy(),
                       index=keys) if C.AREA_KM2 in districts.columns else None)
    blocks = (pd.Series(districts[C.PROVINCIA].astype(str).to_numpy(), index=keys)
              if C.PROVINCIA in districts.columns else None)
    records = inspections[inspections[C.UBIGEO].astype(str).isin(keys)] if len(inspections) else \
        inspections
    from models.risk.score import model_history, offices_of, population_of, reads_complaints

    history = model_history(districts, settings)
    population = population_of(districts)
    use_complaints = bool(getattr(settings.model, "complaint_intensity", False))
    evidence = reads_complaints(settings.model)
    offices = offices_of(districts)
    temporal = backtest_folds(table, features, records, prior,
                              prior_strength=settings.model.prior_strength,
                              n_uncertainty=n_uncertainty, seed=seed, truth=truth,
                              half_life=getattr(settings.model, "half_life", "auto"),
                              selection_correction=getattr(settings.model,
                                                           "selection_correction", "joint"),
                              population=population, complaints=use_complaints,
                              complaint_evidence=evidence, offices=offices, history=history)
    spatial = (spatial_folds(table, features, records, prior, blocks,
                             prior_strength=settings.model.prior_strength, seed=seed,
                             truth=truth, population=population, complaints=use_complaints,
                             complaint_evidence=evidence, offices=offices, history=history)
               if blocks is not None else [])
    from models.risk.score import feature_sources

    described = feature_sources(settings, features)  # origin, source, years, unit
    card: dict[str, Any] = {
        # each falta_* factor and the layers it stands for (models.risk.score.fill_missing)
        "faltantes": {k: list(v) for k, v in X.attrs.get("faltantes", {}).items()},
        "titulo": "Ficha del modelo de riesgo de trabajo forzoso por distrito",
        "version_modelo": MODEL_VERSION,
        "generado": dt.datetime.now().isoformat(timespec="seconds"),
        "hash_configuracion": settings.digest(),
        "simulado": bool(settings.simulated),
        "datos": _data_summary(records, keys, settings),
        "variables": [
            {"factor": f, "nombre": feature_label(f, _descriptions(settings)),
             "peso_experto": float(prior.get(f, 0.0)), **described[f]}
            for f in features
        ],
        "modelo": _model_summary(settings, districts, records),
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
    _ = score_districts  # the scores themselves come from `riskmap score`
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
        raise DataError(
            es=f"Formato no soportado para la ficha del modelo: '{out.name}'. Use .json o .md.",
            en=f"Unsupported model card format: '{out.name}'. Use .json or .md.",
        )
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
        lines += [f"- {k.replace('_', ' ')}: {v}" for k, v in datos.items()]
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
                  f"Inspecciones de prueba: {block.get('inspecciones_prueba')}, hallazgos: "
                  f"{block.get('hallazgos_prueba')}. Intervalos: bootstrap 95 %.", ""]
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


# ----------------------------------------------------------------------------- internals
def _run_fold(name, table, features, train, test, prior, prior_strength, n_uncertainty, seed,
              truth=None, half_life: float | str = "auto",
              selection_correction: str = "joint", complaints=None, population=None,
              evidence=None, offices=None, history=None):
    from models.risk.score import (
        complaint_counts,
        history_features,
        hold_in_range,
        learnt_range,
        with_complaints,
    )

    keys = table.index.to_numpy()
    X = with_complaints(table[list(features)], population, complaints)
    seen = history_features(X, history, train)  # the layers of the training records' years
    counted = (complaint_counts(seen[list(features)], population, evidence, offices)
               if evidence is not None else None)
    tr = district_counts(train, keys)
    te = district_counts(test, keys)
    fold = Fold(name, keys, te["n"].to_numpy(), te["k"].to_numpy())
    scorer = RiskScorer(prior={f: v for f, v in prior.items() if f in features},
                        prior_strength=prior_strength,
                        selection_correction=selection_correction)
    if tr["n"].sum() > 0:
        Xr, yr, wr, gr = training_rows(seen, tr)
        scorer.fit(Xr, yr, sample_weight=wr, groups=gr, complaints=counted)
        scorer, _ = recency_fit(scorer, X, keys, train, half_life, history=history)
    else:
        scorer.fit_prior(X, groups=keys)
    # as the deployed score: no straight line beyond what the training records saw
    held, _ = hold_in_range(X, learnt_range(X, seen, tr))
    risk = scorer.predict_risk(held, groups=keys)
    fold.scores[MODEL] = risk
    fold.risks[MODEL] = risk
    if n_uncertainty:
        unc = simulate_uncertainty(scorer, held, keys, n_bootstrap=n_uncertainty,
                                   random_state=seed)
        fold.lower = np.minimum(unc[C.RIESGO_P05].to_numpy(), risk)
        fold.upper = np.maximum(unc[C.RIESGO_P95].to_numpy(), risk)
    for bname, base in default_baselines(prior, seed).items():
        if bname == "pobreza" and C.POBREZA not in table.columns:
            continue
        if tr["n"].sum() > 0:
            Tr, yr, wr, gr = training_rows(table, tr)
            base.fit(Tr, yr, sample_weight=wr, groups=gr)
            fold.scores[bname] = np.asarray(base.decision_function(table, groups=keys), float)
            fold.risks[bname] = np.asarray(base.predict_risk(table, groups=keys), float)
        else:
            fold.scores[bname] = np.zeros(len(keys))
            fold.risks[bname] = np.full(len(keys), np.nan)
    if truth is not None:
        t = truth.reindex(keys).to_numpy(dtype=float)
        fold.scores[ORACLE] = t
        fold.risks[ORACLE] = t
        fold.truth = t
    return fold


def bayes_ceiling(truth: pd.Series, effect: pd.Series, records: pd.DataFrame,
                  years: Sequence[int], *, spread: float | None = None,
                  k: int = 10) -> dict[int, float]:
    """Top-``k`` capture of the best ranking the records allow, per test year (worlds only).

    The ranking knows what no model is told: the true weights of the features and any
    frontier that opened (``truth`` minus each district's own ``effect``, year by year,
    :func:`truth_in`), and the spread of the effects. It learns each district's own effect
    from the same records a model would train on (findings and inspections before the test
    year) and ranks by the posterior mean risk. No model that learns its weights from the
    records can expect more: it is the ceiling against which a capture target can be read.
    (Complaints are not read; in a world where they follow risk a model reading them may
    pass it by a little.)

    Parameters
    ----------
    truth : Series
        True risk per district key (with the ``antes``/``anio_deriva`` attributes of a world
        where risk moved, as :func:`_read_truth` gives it).
    effect : Series
        Each district's own effect on the logit (``verdad.csv`` ``efecto_aleatorio``).
    records : DataFrame
        Inspection records (``ubigeo``, ``fecha``, ``hallazgo_tf``).
    years : sequence of int
        Test years; each is learnt from the records of the years before it.
    spread : float, optional
        Standard deviation of the effects (default: their own, as the world drew them).
    k : int

    Returns
    -------
    dict
        Test year -> capture at ``k`` of the ceiling ranking, judged against that year's risk.

    Examples
    --------
    With no spread the ranking is the true risk's own, whatever the records say:

    >>> t = pd.Series([0.1, 0.3, 0.2], index=["a", "b", "c"])
    >>> rec = pd.DataFrame({C.UBIGEO: ["a"], C.FECHA: ["2020-03-01"], C.HALLAZGO: [1]})
    >>> bayes_ceiling(t, t * 0, rec, [2021], k=1)
    {2021: 1.0}
    """
    from numpy.polynomial.hermite_e import hermegauss
    from scipy import special

    keys = truth.index
    u = effect.reindex(keys).to_numpy(float)
    tau = float(np.std(u)) if spread is None else float(spread)
    nodes, wts = hermegauss(61)
    log_prior = np.log(wts / wts.sum())
    rec = records[records[C.UBIGEO].astype(str).isin(keys)]
    rec_year = pd.to_datetime(rec[C.FECHA]).dt.year.to_numpy()
    idx = keys.get_indexer(rec[C.UBIGEO].astype(str))
    found = pd.to_numeric(rec[C.HALLAZGO]).to_numpy(float)

    def feature_part(year: int) -> np.ndarray:
        p = truth_in(truth, year).reindex(keys).to_numpy(float)
        return special.logit(np.clip(p, 1e-9, 1 - 1e-9)) - u

    out: dict[int, float] = {}
    for year in years:
        loglik = np.zeros((len(keys), nodes.size))
        for y in np.unique(rec_year[rec_year < year]):
            sel = rec_year == y
            n = np.bincount(idx[sel], minlength=len(keys)).astype(float)
            hits = np.bincount(idx[sel], weights=found[sel], minlength=len(keys))
            lin = feature_part(int(y))[:, None] + tau * nodes[None, :]
            loglik -= hits[:, None] * np.logaddexp(0, -lin) + (n - hits)[:, None] * np.logaddexp(
                0, lin)
        post = loglik + log_prior
        post = np.exp(post - post.max(axis=1, keepdims=True))
        post /= post.sum(axis=1, keepdims=True)
        risk = np.sum(post * special.expit(feature_part(year)[:, None] + tau * nodes), axis=1)
        # rounding noise of logit(truth) - effect must not break ties among equals
        out[int(year)] = M.capture_at_k(np.round(risk, 10),
                                        truth_in(truth, year).reindex(keys).to_numpy(), k)
    return out


def truth_in(truth: pd.Series | None, year: int) -> pd.Series | None:
    """Return the true risk during ``year``: that year's, or the earlier risk before a drift.

    A world whose risk moves with its dated layers (``geo.world.demo``, columns ``riesgo_<year>``
    of ``verdad.csv``) carries each year's risk in ``truth.attrs["por_anio"]`` (a year
    outside them takes the nearest earlier one, else the first); a world where a frontier
    opened (scenario ``deriva``) carries the earlier risk in ``truth.attrs["antes"]`` and the
    year it changed in ``truth.attrs["anio_deriva"]``. A model tested on 2019 is judged
    against 2019's risk, not against today's.

    >>> t = pd.Series([0.3], index=["a"])
    >>> t.attrs.update(antes=pd.Series([0.1], index=["a"]), anio_deriva=2021)
    >>> float(truth_in(t, 2020).iloc[0]), float(truth_in(t, 2021).iloc[0])
    (0.1, 0.3)
    >>> t.attrs["por_anio"] = {2016: pd.Series([0.2], index=["a"])}
    >>> float(truth_in(t, 2019).iloc[0])
    0.2
    """
    if truth is None:
        return None
    by_year = truth.attrs.get("por_anio")
    if by_year:
        kept = [y for y in by_year if y <= year]
        return by_year[max(kept) if kept else min(by_year)]
    before, year0 = truth.attrs.get("antes"), truth.attrs.get("anio_deriva")
    if before is not None and year0 is not None and year < int(year0):
        return before
    return truth


def _bootstrap_counts(n: int, b: int, rng) -> np.ndarray:
    """(b, n) multiplicities of a resample with replacement of n units."""
    idx = rng.integers(0, n, size=(b, n))
    counts = np.zeros((b, n))
    rows = np.repeat(np.arange(b), n)
    np.add.at(counts, (rows, idx.ravel()), 1.0)
    return counts


def _model_metrics(folds, m, weights, truth, areas, ks):
    """Point value and bootstrap replicates of each metric, pooled over folds."""
    out: dict[str, tuple[float, np.ndarray]] = {}
    nfold = len(folds)
    ones = [np.ones(len(f.keys)) for f in folds]
    for k in ks:
        # expected top-k membership: ties (all of the random baseline) shared in expectation
        tops = [M.expected_top_k(f.scores[m], k) for f in folds]
        hit = _ratio([f.k_test * t for f, t in zip(folds, tops, strict=True)],
                     [f.k_test for f in folds], ones, weights)
        n_d = len(folds[0].keys)
        out[f"acierto_{k}"] = hit
        out[f"lift_{k}"] = (hit[0] / (min(k, n_d) / n_d), hit[1] / (min(k, n_d) / n_d))
        if areas is not None:
            share = np.mean([
                areas.reindex(f.keys).to_numpy() @ t / areas.reindex(f.keys).to_numpy().sum()
                for f, t in zip(folds, tops, strict=True)
            ])
            out[f"pai_{k}"] = (hit[0] / share, hit[1] / share)
    if all(np.all(np.isfinite(f.risks[m])) for f in folds):
        num = [f.k_test * (1 - f.risks[m]) ** 2 + (f.n_test - f.k_test) * f.risks[m] ** 2
               for f in folds]
        out["brier"] = _ratio(num, [f.n_test for f in folds], ones, weights)
        exp = [f.n_test * f.risks[m] for f in folds]
        oe = _ratio([f.k_test for f in folds], exp, ones, weights)
        out["observado_sobre_esperado"] = oe
    if truth is not None:
        t = [f.truth if f.truth is not None else truth.reindex(f.keys).to_numpy()
             for f in folds]
        k10 = 10
        cap = [M.capture_at_k(f.scores[m], tt, k10) for f, tt in zip(folds, t, strict=True)]
        cap_boot = np.mean([
            _weighted_capture(f.scores[m], tt, k10, w)
            for f, tt, w in zip(folds, t, weights, strict=True)
        ], axis=0)
        out["captura_top10"] = (float(np.mean(cap)), cap_boot)
        rho = [M.spearman(f.scores[m], tt) for f, tt in zip(folds, t, strict=True)]
        out["spearman"] = (float(np.nanmean(rho)) if np.any(np.isfinite(rho)) else float("nan"),
                           np.full(weights[0].shape[0], np.nan))
        if m == MODEL and all(f.lower is not None for f in folds):
            inside = [((tt >= f.lower) & (tt <= f.upper)).astype(float)
                      for f, tt in zip(folds, t, strict=True)]
            out["cobertura_90"] = _ratio(inside, [np.ones_like(i) for i in inside], ones, weights)
    del nfold
    return out


def _ratio(nums, dens, ones, weights):
    """Pooled sum(num) / sum(den) and its bootstrap replicates (weights per fold)."""
    num = sum(float(np.sum(n)) for n in nums)
    den = sum(float(np.sum(d)) for d in dens)
    point = num / den if den > 0 else float("nan")
    bnum = sum(w @ n for w, n in zip(weights, nums, strict=True))
    bden = sum(w @ d for w, d in zip(weights, dens, strict=True))
    with np.errstate(invalid="ignore", divide="ignore"):
        boot = np.where(bden > 0, bnum / np.where(bden > 0, bden, 1.0), np.nan)
    return point, boot


def _weighted_capture(scores, truth, k, w):
    """Capture at k with district multiplicities w (b, n): the weighted top-k true risk."""
    top = M.expected_top_k(scores, k)
    oracle = M.top_k_mask(truth, k)
    num = w @ (truth * top)
    den = w[:, oracle] @ truth[oracle]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def _summary(point, boot) -> dict[str, Any]:
    boot = np.asarray(boot, dtype=float)
    boot = boot[np.isfinite(boot)]
    ci = [float(np.quantile(boot, 0.025)), float(np.quantile(boot, 0.975))] if boot.size else \
        [None, None]
    return {"valor": float(point) if point is not None else None, "ic95": ci}


def _read_truth(settings, keys) -> pd.Series | None:
    path = getattr(settings, "truth", None)
    if not path or not Path(path).is_file():
        return None
    df = pd.read_csv(path, dtype={C.UBIGEO: str})
    if C.RIESGO_VERDADERO not in df.columns or C.UBIGEO not in df.columns:
        raise DataError(
            es=f"{path}: faltan las columnas '{C.UBIGEO}' y '{C.RIESGO_VERDADERO}'.",
            en=f"{path}: columns '{C.UBIGEO}' and '{C.RIESGO_VERDADERO}' are missing.",
        )
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


def _data_summary(records, keys, settings) -> dict[str, Any]:
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


def _model_summary(settings, districts, records) -> dict[str, Any]:
    from models.risk.recency import drift_alerts
    from models.risk.score import (
        complaints_for,
        feature_matrix,
        fit_scorer,
        history_features,
        model_history,
        population_of,
        selection_effect,
        with_complaints,
    )

    X = with_complaints(feature_matrix(districts, settings), population_of(districts), records,
                        settings)
    keys = X.index.to_numpy()
    counts = district_counts(records, keys)
    history = model_history(districts, settings)
    seen = history_features(X, history, records)
    scorer = fit_scorer(settings, X, counts, keys,
                        complaints=complaints_for(settings, districts, records, seen=seen),
                        seen=seen)
    alerts = drift_alerts(scorer, X, keys, records, history=history)
    selection = selection_effect(settings, X, counts, keys, scorer, seen=seen)
    _, recency = recency_fit(scorer, X, keys, records,
                             getattr(settings.model, "half_life", "auto"), history=history)
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
                           "inspección pesa 0,5^(edad/vida media)); la vida media la eligen los "
                           "registros (predicción de cada uno de los 3 últimos años con los "
                           "anteriores) y queda sin descuento si ninguna mejora en 1,92 la "
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
        "coeficientes": scorer.coefficients(_descriptions(settings)).to_dict("records"),
    }


def _descriptions(settings) -> dict[str, str]:
    return {layer.name: layer.description for layer in settings.layers if layer.description}


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


def _caveats(card, settings) -> list[tuple[str, str]]:
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
    return f"{v:.3f}" if isinstance(v, float) else str(v)


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
