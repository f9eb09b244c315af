"""Ranking, calibration and recovery metrics for district risk scores.

All functions take plain arrays, one entry per district (a score, the inspections ``n`` and
findings ``k`` of the test period), so they work for any model and any split.

Examples
--------
>>> import numpy as np
>>> scores = np.array([0.9, 0.1, 0.5, 0.2])
>>> findings = np.array([2, 0, 1, 1])
>>> hit_rate_at_k(scores, findings, 2)
0.75
>>> lift_at_k(scores, findings, 2)
1.5

Ties are broken at random, in expectation: the districts tied at the boundary of the top ``k``
share its remaining places equally (:func:`expected_top_k`). A ranking with no information (all
scores equal, :class:`models.evaluation.baselines.RandomBaseline`)
therefore puts every district in the
top ``k`` with probability ``k / n``: its hit rate is exactly ``k / n`` and its lift exactly 1,
the expectation over all random orders rather than one particular draw.

>>> hit_rate_at_k(np.zeros(4), findings, 1), lift_at_k(np.zeros(4), findings, 1)
(0.25, 1.0)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "brier_score",
    "calibration_table",
    "capture_at_k",
    "expected_top_k",
    "hit_rate_at_k",
    "interval_coverage",
    "lift_at_k",
    "pai_at_k",
    "spearman",
    "top_k_mask",
]


def top_k_mask(scores, k: int) -> np.ndarray:
    """Boolean mask of the ``k`` highest scores (ties broken by position, stable).

    >>> top_k_mask([0.2, 0.9, 0.9, 0.1], 2).tolist()
    [False, True, True, False]
    """
    s = np.asarray(scores, dtype=float)
    k = int(min(max(k, 0), s.shape[0]))
    order = np.argsort(-s, kind="stable")[:k]
    mask = np.zeros(s.shape[0], dtype=bool)
    mask[order] = True
    return mask


def expected_top_k(scores, k: int) -> np.ndarray:
    """Probability of each district being in the top ``k`` when ties are broken at random.

    Districts strictly above the ``k``-th score are in (1.0), those strictly below are out
    (0.0), and the ``t`` districts tied with the ``k``-th score share the ``r`` places left:
    ``r / t`` each. Without ties this is :func:`top_k_mask` as floats; with all scores equal it
    is ``k / n`` everywhere (a random order, in expectation).

    >>> expected_top_k([0.2, 0.9, 0.9, 0.1], 2).tolist()
    [0.0, 1.0, 1.0, 0.0]
    >>> expected_top_k([0.9, 0.5, 0.5, 0.5], 2).tolist()
    [1.0, 0.3333333333333333, 0.3333333333333333, 0.3333333333333333]
    >>> expected_top_k(np.zeros(4), 1).tolist()
    [0.25, 0.25, 0.25, 0.25]
    """
    s = np.asarray(scores, dtype=float)
    n = s.shape[0]
    k = int(min(max(k, 0), n))
    out = np.zeros(n)
    if k == 0:
        return out
    if k == n:
        return np.ones(n)
    kth = np.sort(s)[::-1][k - 1]
    above = s > kth
    tied = s == kth
    out[above] = 1.0
    out[tied] = (k - above.sum()) / tied.sum()
    return out


def hit_rate_at_k(scores, findings, k: int) -> float:
    """Share of the findings that happened in the ``k`` highest-scored districts.

    Ties at the boundary count in expectation (:func:`expected_top_k`). ``nan`` when there
    were no findings.
    """
    f = np.asarray(findings, dtype=float)
    total = f.sum()
    if total <= 0:
        return float("nan")
    return float(f @ expected_top_k(scores, k) / total)


def lift_at_k(scores, findings, k: int) -> float:
    """Hit rate at ``k`` over what a random choice of ``k`` districts expects (``k / n``)."""
    n = len(np.asarray(scores))
    return hit_rate_at_k(scores, findings, k) / (min(k, n) / n)


def pai_at_k(scores, findings, areas, k: int) -> float:
    """Predictive Accuracy Index: share of findings over share of the area in the top ``k``.

    >>> pai_at_k([3, 2, 1], [1, 0, 1], [1.0, 1.0, 2.0], 1)
    2.0
    """
    a = np.asarray(areas, dtype=float)
    share = a @ expected_top_k(scores, k) / a.sum()
    return float(hit_rate_at_k(scores, findings, k) / share)


def brier_score(risk, n, k) -> float:
    """Mean squared error of the predicted risk over the test inspections.

    A district with ``n`` inspections and ``k`` findings contributes
    ``k (1 - p)^2 + (n - k) p^2``.

    >>> brier_score([0.5, 0.0], [2, 1], [1, 0])
    0.16666666666666666
    """
    p = np.asarray(risk, dtype=float)
    n = np.asarray(n, dtype=float)
    k = np.asarray(k, dtype=float)
    if n.sum() <= 0:
        return float("nan")
    return float(np.sum(k * (1 - p) ** 2 + (n - k) * p**2) / n.sum())


def calibration_table(risk, n, k, bins: int = 5) -> pd.DataFrame:
    """Predicted against observed finding rate, in bins of equal numbers of inspections.

    Returns
    -------
    DataFrame
        ``riesgo_medio`` (inspection-weighted mean prediction), ``tasa_observada``,
        ``inspecciones``, ``hallazgos`` per bin, lowest risk first.
    """
    p = np.asarray(risk, dtype=float)
    n = np.asarray(n, dtype=float)
    k = np.asarray(k, dtype=float)
    keep = n > 0
    p, n, k = p[keep], n[keep], k[keep]
    if n.sum() == 0:
        return pd.DataFrame(columns=["riesgo_medio", "tasa_observada", "inspecciones", "hallazgos"])
    order = np.argsort(p, kind="stable")
    cum = np.cumsum(n[order]) / n.sum()
    b = np.minimum((cum * bins - 1e-9).astype(int), bins - 1)
    rows = []
    for i in np.unique(b):
        idx = order[b == i]
        rows.append({
            "riesgo_medio": float(np.average(p[idx], weights=n[idx])),
            "tasa_observada": float(k[idx].sum() / n[idx].sum()),
            "inspecciones": int(n[idx].sum()),
            "hallazgos": int(k[idx].sum()),
        })
    return pd.DataFrame(rows)


def interval_coverage(lower, upper, truth) -> float:
    """Share of districts whose true value lies in ``[lower, upper]``.

    >>> interval_coverage([0, 0.2], [0.1, 0.3], [0.05, 0.5])
    0.5
    """
    lo, hi, t = (np.asarray(a, dtype=float) for a in (lower, upper, truth))
    return float(np.mean((t >= lo) & (t <= hi)))


def capture_at_k(scores, truth, k: int) -> float:
    """Return the true risk of the model's top ``k`` as a share of the oracle's top ``k``.

    Ties at the boundary count in expectation (:func:`expected_top_k`).

    >>> round(capture_at_k([1, 2, 3], [0.1, 0.3, 0.2], 1), 4)
    0.6667
    """
    t = np.asarray(truth, dtype=float)
    oracle = np.sort(t)[::-1][: int(k)].sum()
    return float(t @ expected_top_k(scores, k) / oracle)


def spearman(scores, truth) -> float:
    """Spearman rank correlation (``nan`` for constant input)."""
    s = np.asarray(scores, dtype=float)
    t = np.asarray(truth, dtype=float)
    if np.ptp(s) == 0 or np.ptp(t) == 0:
        return float("nan")
    return float(stats.spearmanr(s, t)[0])
