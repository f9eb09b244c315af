"""Metrics pooled over folds, with paired bootstrap intervals.

Metrics (:mod:`models.evaluation.metrics`) are pooled over folds; their 95% intervals come
from a bootstrap that resamples districts within each fold, the same resample for every
model, so differences between models are paired.

The random baseline is evaluated in expectation over all random orders: each district is in
the top ``k`` with probability ``k / n`` (ties are shared,
:func:`models.evaluation.metrics.expected_top_k`),
so its hit rate at ``k`` is ``k / n`` and its lift 1, in every fold and every bootstrap
replicate. The margin model − random is then the model's own (paired) replicates minus
``k / n``: what the model adds over choosing districts blindly, without the luck of one draw.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from models.evaluation import metrics as M
from models.evaluation.folds import MODEL, ORACLE, Fold

__all__ = ["evaluate_folds", "per_fold_metrics"]

_KS = (10, 20)


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
