"""Baselines that compete with :class:`models.risk.scorer.RiskScorer` on equal terms.

Each is an estimator with the scorer's interface — ``fit(X, y, sample_weight, groups)``,
``predict_risk(X, groups)`` (a probability, for the Brier score) and ``decision_function(X,
groups)`` (the ranking) — so the evaluation treats them all the same way, like triage's
``PercentileRankOneFeature``:

- :class:`RandomBaseline`: a random order, evaluated in expectation (hit rate ``k / n``, lift
  1); the training finding rate as probability;
- :class:`PastRateBaseline`: rank by each district's past finding rate (the naive "go where we
  found it before");
- :class:`OneFeatureBaseline`: rank by one feature (poverty alone), calibrated by a one-variable
  logistic fit;
- :class:`ExpertIndexBaseline`: rank by the expert index ``sum(prior * z)`` alone, calibrated the
  same way.

Examples
--------
>>> import numpy as np, pandas as pd
>>> X = pd.DataFrame({"pobreza_monetaria": [10.0, 50.0, 30.0]})
>>> b = OneFeatureBaseline("pobreza_monetaria").fit(X, np.array([0, 1, 0]))
>>> b.decision_function(X).tolist()
[10.0, 50.0, 30.0]
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import special
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import _check_sample_weight, check_is_fitted

from geo import columns as C
from models.risk.likelihood import fit_logistic, logit

__all__ = [
    "ExpertIndexBaseline",
    "OneFeatureBaseline",
    "PastRateBaseline",
    "RandomBaseline",
    "default_baselines",
]


class _Baseline(ClassifierMixin, BaseEstimator):
    """Shared plumbing: inputs, training rate, and the probability from a ranking."""

    def _prepare(self, X, y, sample_weight):
        X = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X, dtype=float))
        y = np.asarray(y, dtype=float)
        w = _check_sample_weight(sample_weight, X.to_numpy(dtype=float))
        if not np.any(w > 0):
            raise ValueError("Sample weights must contain at least one non-zero weight.")
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = X.shape[1]
        self.rate_ = float(np.clip(np.sum(w * y) / np.sum(w), 1e-4, 1 - 1e-4))
        return X, y, w

    def _calibrate(self, score, y, w):
        """Intercept and slope of a logistic fit of y on the standardised ranking score."""
        mu, sd = float(np.mean(score)), float(np.std(score)) or 1.0
        z = ((score - mu) / sd).reshape(-1, 1)
        beta = fit_logistic(z, y, w, np.zeros(1), 1.0, logit(self.rate_), 0.1)
        self.calibration_ = (mu, sd, float(beta[0]), float(max(beta[1], 0.0)))

    def _prob_from_score(self, score):
        mu, sd, b0, b1 = self.calibration_
        return special.expit(b0 + b1 * (np.asarray(score, dtype=float) - mu) / sd)

    def predict_proba(self, X, groups=None):
        """``[P(no finding), P(finding)]`` per row."""
        p = self.predict_risk(X, groups)
        return np.column_stack([1 - p, p])

    def predict(self, X, groups=None):
        """Predict a finding where the risk exceeds one half."""
        return (self.predict_risk(X, groups) > 0.5).astype(int)


class RandomBaseline(_Baseline):
    """Random order of districts, in expectation; probability = training finding rate.

    The ranking carries no information: :meth:`decision_function` gives every district the
    same score, and the metrics of
    :mod:`models.evaluation.metrics` break ties at random *in expectation*
    (each of ``n`` districts is in the top ``k`` with probability ``k / n``). So the baseline's
    hit rate at ``k`` is exactly ``k / n`` and its lift exactly 1 — the expectation over all
    random orders. One seeded draw (as before) is a single lottery ticket: on the demo it
    reached 27.6 % at 20 where random expects 11.8 %, and repeated the same draw every year.
    The expectation is exact, costs nothing and has no Monte Carlo noise; averaging many
    permutations would only approach it.

    Parameters
    ----------
    random_state : int, optional
        Seed of :meth:`sample_order` (one concrete random order, for display); the
        evaluation does not use it.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from models.evaluation.metrics import lift_at_k
    >>> X = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]})
    >>> b = RandomBaseline().fit(X, np.array([1, 0, 0, 0]))
    >>> lift_at_k(b.decision_function(X), [3, 0, 1, 0], 2)
    1.0
    """

    def __init__(self, random_state=None):
        self.random_state = random_state

    def fit(self, X, y, sample_weight=None, groups=None):
        """Store the training finding rate."""
        self._prepare(X, y, sample_weight)
        return self

    def decision_function(self, X, groups=None):
        """Return the same score for every district: all orders are equally likely."""
        check_is_fitted(self)
        return np.zeros(len(X))

    def sample_order(self, X, groups=None):
        """Return one random ranking score (a seeded draw), e.g. to show a random list."""
        check_is_fitted(self)
        return np.random.default_rng(self.random_state).random(len(X))

    def predict_risk(self, X, groups=None):
        """Return the training finding rate, everywhere."""
        check_is_fitted(self)
        return np.full(len(X), self.rate_)


class PastRateBaseline(_Baseline):
    """Rank by each district's past finding rate ``k / n``; never-inspected get the overall rate.

    Ties (e.g. the many districts with no finding) are broken by the number of inspections,
    then by position.
    """

    def fit(self, X, y, sample_weight=None, groups=None):
        """Count inspections and findings per district key."""
        X, y, w = self._prepare(X, y, sample_weight)
        if groups is None:
            raise ValueError("PastRateBaseline needs groups (the district key of each row).")
        frame = pd.DataFrame({"g": np.asarray(groups), "n": w, "k": w * y})
        self.counts_ = frame.groupby("g")[["n", "k"]].sum()
        return self

    def _rates(self, groups):
        got = self.counts_.reindex(pd.Index(np.asarray(groups)))
        n = got["n"].fillna(0.0).to_numpy()
        k = got["k"].fillna(0.0).to_numpy()
        rate = np.where(n > 0, k / np.maximum(n, 1e-12), self.rate_)
        return rate, n

    def decision_function(self, X, groups=None):
        """Past rate, plus a tiny tie-breaker by number of inspections."""
        check_is_fitted(self)
        rate, n = self._rates(groups if groups is not None else np.arange(len(X)))
        return rate + 1e-6 * n / (1.0 + n.max(initial=0.0))

    def predict_risk(self, X, groups=None):
        """Return the raw past finding rate (overall rate where never inspected)."""
        check_is_fitted(self)
        return self._rates(groups if groups is not None else np.arange(len(X)))[0]


class OneFeatureBaseline(_Baseline):
    """Rank by one feature, higher = riskier (poverty alone by default).

    Parameters
    ----------
    feature : str
        Column of ``X``.
    """

    def __init__(self, feature: str = C.POBREZA):
        self.feature = feature

    def _column(self, X):
        if not isinstance(X, pd.DataFrame) or self.feature not in X.columns:
            raise ValueError(f"X must be a DataFrame with column {self.feature!r}.")
        return X[self.feature].to_numpy(dtype=float)

    def fit(self, X, y, sample_weight=None, groups=None):
        """Calibrate the feature into a probability."""
        X, y, w = self._prepare(X, y, sample_weight)
        self._calibrate(self._column(X), y, w)
        return self

    def decision_function(self, X, groups=None):
        """Return the feature's value."""
        check_is_fitted(self)
        return self._column(X)

    def predict_risk(self, X, groups=None):
        """Monotone calibration of the feature."""
        check_is_fitted(self)
        return self._prob_from_score(self._column(X))


class ExpertIndexBaseline(_Baseline):
    """Rank by the expert index ``sum(prior_j * z_j)``, with ``z`` standardised over districts.

    Parameters
    ----------
    prior : mapping
        Expert weight per feature (features not named weigh 0).
    """

    def __init__(self, prior: Mapping[str, float] | None = None):
        self.prior = prior

    def _index(self, X):
        prior = dict(self.prior or {})
        cols = [c for c in prior if c in X.columns]
        if not cols:
            return np.zeros(len(X))
        Z = (X[cols].to_numpy(dtype=float) - self.mean_[cols].to_numpy()) / self.scale_[
            cols
        ].to_numpy()
        return Z @ np.array([prior[c] for c in cols])

    def fit(self, X, y, sample_weight=None, groups=None):
        """Standardise over districts (each once) and calibrate the index."""
        X, y, w = self._prepare(X, y, sample_weight)
        ref = X if groups is None else X.loc[~pd.Index(np.asarray(groups)).duplicated()]
        self.mean_ = ref.mean()
        self.scale_ = ref.std(ddof=0).replace(0.0, 1.0)
        self._calibrate(self._index(X), y, w)
        return self

    def decision_function(self, X, groups=None):
        """Return the expert index."""
        check_is_fitted(self)
        return self._index(X)

    def predict_risk(self, X, groups=None):
        """Monotone calibration of the index."""
        check_is_fitted(self)
        return self._prob_from_score(self._index(X))


def default_baselines(prior: Mapping[str, float], seed: int = 0) -> dict[str, _Baseline]:
    """Return the four baselines, keyed by their Spanish name.

    >>> sorted(default_baselines({"x": 1.0}))
    ['aleatorio', 'indice_experto', 'pobreza', 'tasa_pasada']
    """
    return {
        "aleatorio": RandomBaseline(random_state=seed),
        "tasa_pasada": PastRateBaseline(),
        "pobreza": OneFeatureBaseline(C.POBREZA),
        "indice_experto": ExpertIndexBaseline(dict(prior)),
    }
