"""The interpretable, exposure-aware district risk scorer.

:class:`RiskScorer` estimates, for each district, the probability that a labour inspection
there finds forced-labour indicators. It has two stages, both small enough to explain to a
director:

1. a **logistic regression on standardised district features**, penalised toward the expert
   prior (an L2 penalty centred on the prior weights instead of zero, solved by Newton's
   method): where inspections are few the weights stay near the expert's,
   and with no inspections at all (:meth:`RiskScorer.fit_prior`) the expert index alone ranks;
2. an **empirical-Bayes beta-binomial** layer: each district's own record (``k`` findings in ``n``
   inspections) moves it away from what its features predict ``p`` by ``(k + m p) / (n + m)``,
   where the concentration ``m`` is estimated from all districts' records (and kept at least
   ``min_concentration``) — so one lucky finding in one inspection cannot put a district first.

Why one row per inspection (``y`` = 0/1 finding, ``X`` = the features of the district where it
happened, ``groups`` = the district key): that is a plain binary classification problem, so the
estimator passes scikit-learn's ``parametrize_with_checks``, and integer ``sample_weight`` is the
same as repeating rows — a district's ``n`` inspections and ``k`` findings can be passed as two
weighted rows (``y=1`` weight ``k``, ``y=0`` weight ``n-k``), which is how :mod:`models.score`
does it. ``groups`` only switches on stage 2 and defines the reference for standardisation (each
district counted once, including districts with zero weight, i.e. never inspected).

Everything on the logit scale is additive: for each district,
``logit(riesgo) = base + sum(contributions)`` where ``base`` is the logit at the regional
average district and the contributions are one per feature plus the district's own record
(:data:`HISTORIAL`); see :meth:`RiskScorer.explain`.

Examples
--------
>>> import numpy as np
>>> X = np.array([[0.0], [0.0], [1.0], [1.0], [2.0], [2.0]])
>>> y = np.array([0, 0, 0, 1, 1, 1])
>>> model = RiskScorer(prior=[1.0]).fit(X, y)
>>> p = model.predict_risk(np.array([[0.0], [2.0]]))
>>> bool(p[0] < p[1])
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from geo import columns as C

__all__ = [
    "HISTORIAL",
    "Explanation",
    "RiskScorer",
    "feature_label",
    "simulate_uncertainty",
]

#: Name of the contribution of a district's own inspection record (stage 2).
HISTORIAL = "historial"

_LABELS_ES = {
    C.POBLACION: "Población",
    C.POBREZA: "Pobreza monetaria (%)",
    C.POBREZA_INF: "Pobreza monetaria, límite inferior (%)",
    C.POBREZA_SUP: "Pobreza monetaria, límite superior (%)",
    C.IDH: "Índice de desarrollo humano",
    C.DENSIDAD: "Densidad de población (hab/km²)",
    C.ALTITUD: "Altitud de la capital (m)",
    C.LEJANIA: "Lejanía de la capital del departamento (km)",
    C.AREA_KM2: "Superficie (km²)",
    HISTORIAL: "Historial de inspecciones del distrito",
}


def feature_label(name: str, descriptions: Mapping[str, str] | None = None) -> str:
    """Plain-language Spanish name of a model feature.

    Parameters
    ----------
    name : str
        Column name of the feature (a base indicator or a layer name).
    descriptions : mapping, optional
        Layer name -> description from the settings (``LayerSpec.description``).

    Examples
    --------
    >>> feature_label("pobreza_monetaria")
    'Pobreza monetaria (%)'
    >>> feature_label("concesiones_mineras")
    'Concesiones mineras'
    """
    if descriptions and descriptions.get(name):
        return str(descriptions[name])
    if name in _LABELS_ES:
        return _LABELS_ES[name]
    return name.replace("_", " ").strip().capitalize()


@dataclass(frozen=True)
class Explanation:
    """Additive explanation of districts' scores on the logit scale.

    ``logit(risk) == base + contributions.sum(axis=1)`` exactly, for every row.

    Attributes
    ----------
    base : float
        Logit of the risk of the regional average district (average features, no record).
    contributions : pandas.DataFrame
        One column per feature plus :data:`HISTORIAL`, one row per district.
    """

    base: float
    contributions: pd.DataFrame


class RiskScorer(ClassifierMixin, BaseEstimator):
    """Penalised logistic regression toward an expert prior, with beta-binomial shrinkage.

    Parameters
    ----------
    prior : mapping or array-like, optional
        Expert weight per feature on the standardised scale (change in log-odds per standard
        deviation of the feature across districts). A mapping is matched to the column names
        of ``X``; features it does not name get 0. ``None``: all zero (plain ridge).
    prior_strength : float, default=1.0
        Precision of the prior (1 / variance of each weight around the expert's): larger
        leans harder on the expert where inspections are few.
    base_rate : float, default=0.1
        Prior finding rate of an average district (the intercept is pulled toward its logit).
    base_rate_strength : float, default=0.1
        Precision of that intercept prior; small, so a handful of inspections overrides it.
    shrinkage : bool, default=True
        Whether to apply the beta-binomial district effect when ``groups`` are given.
    min_concentration, max_concentration : float, default=5.0, 500.0
        Bounds of the beta prior's concentration ``m`` (in pseudo-inspections). The lower bound
        is what keeps one lucky finding from dominating.

    Attributes
    ----------
    coef_ : ndarray of shape (1, n_features)
        Weights on the standardised features (log-odds per standard deviation).
    intercept_ : ndarray of shape (1,)
        Logit of the risk at the mean of the features.
    prior_coef_ : ndarray of shape (n_features,)
        The expert prior, resolved to the columns of ``X``.
    mean_, scale_ : ndarray of shape (n_features,)
        Standardisation reference: each district once when ``groups`` are given, otherwise the
        (weighted) rows.
    concentration_ : float
        Estimated ``m`` of the beta prior (``inf`` without groups or shrinkage).
    group_counts_ : pandas.DataFrame
        Per district key: ``n`` inspections and ``k`` findings (empty without groups).
    classes_ : ndarray
        ``[0, 1]`` for 0/1 targets (both always present, even if a training year had no
        finding), otherwise the sorted labels.
    """

    def __init__(
        self,
        prior: Mapping[str, float] | Sequence[float] | None = None,
        prior_strength: float = 1.0,
        base_rate: float = 0.1,
        base_rate_strength: float = 0.1,
        shrinkage: bool = True,
        min_concentration: float = 5.0,
        max_concentration: float = 500.0,
    ):
        self.prior = prior
        self.prior_strength = prior_strength
        self.base_rate = base_rate
        self.base_rate_strength = base_rate_strength
        self.shrinkage = shrinkage
        self.min_concentration = min_concentration
        self.max_concentration = max_concentration

    # ------------------------------------------------------------------ fitting
    def fit(self, X, y, sample_weight=None, groups=None):
        """Fit on inspection outcomes.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
            Features of the district of each row (a DataFrame keeps the names).
        y : array-like of shape (n_rows,)
            Outcome of the inspection: 1 found forced-labour indicators, 0 did not.
        sample_weight : array-like of shape (n_rows,), optional
            Number of inspections a row stands for (integer weight == repeated rows).
        groups : array-like of shape (n_rows,), optional
            District key of each row. Enables the per-district shrinkage and makes the
            standardisation count each district once (zero-weight rows included, so pass
            never-inspected districts with weight 0 to standardise over the whole region).

        Returns
        -------
        self
        """
        X, y = validate_data(self, X, y, dtype=np.float64)
        y_type = type_of_target(y, input_name="y", raise_unknown=True)
        if y_type not in ("binary",):
            raise ValueError(
                "Only binary classification is supported. The type of the target "
                f"is {y_type}."
            )
        sample_weight = _check_sample_weight(sample_weight, X)
        if not np.any(sample_weight > 0):
            raise ValueError("Sample weights must contain at least one non-zero weight.")
        labels = np.unique(y)
        if set(np.asarray(labels).tolist()) <= {0, 1}:
            self.classes_ = np.array([0, 1], dtype=np.asarray(labels).dtype)
            y01 = np.asarray(y, dtype=np.float64)
        else:
            self.classes_ = labels
            y01 = (y == labels[-1]).astype(np.float64)
        groups = None if groups is None else np.asarray(groups)
        if groups is not None and groups.shape[0] != X.shape[0]:
            raise ValueError(f"groups has {groups.shape[0]} rows, X has {X.shape[0]}.")
        self._set_reference(X, sample_weight, groups)
        Z = (X - self.mean_) / self.scale_
        self.prior_coef_ = self._resolve_prior(X.shape[1])
        beta = _fit_logistic(
            Z, y01, sample_weight, self.prior_coef_, float(self.prior_strength),
            _logit(self.base_rate), float(self.base_rate_strength),
        )
        self.intercept_ = beta[:1].copy()
        self.coef_ = beta[1:].reshape(1, -1).copy()
        self._fit_groups(Z, y01, sample_weight, groups)
        return self

    def fit_prior(self, X, groups=None):
        """Set the model to the expert prior alone, for a region with no inspections yet.

        The weights are the prior's, the intercept is ``logit(base_rate)``, and there is no
        district record, so the ranking is the expert index ``sum(prior * z)``.

        Parameters
        ----------
        X : array-like of shape (n_districts, n_features)
            The districts (one row each): the standardisation reference.
        groups : array-like, optional
            District keys (accepted for symmetry with :meth:`fit`; none has inspections).

        Returns
        -------
        self
        """
        X = validate_data(self, X, dtype=np.float64)
        self.classes_ = np.array([0, 1])
        self._set_reference(X, np.ones(X.shape[0]), None)
        self.prior_coef_ = self._resolve_prior(X.shape[1])
        self.intercept_ = np.array([_logit(self.base_rate)])
        self.coef_ = self.prior_coef_.reshape(1, -1).copy()
        self.concentration_ = np.inf
        self.group_counts_ = _empty_counts()
        self._bootstrap_data = None
        return self

    # --------------------------------------------------------------- predicting
    def predict_risk(self, X, groups=None):
        """Probability that an inspection in each row's district finds indicators.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
        groups : array-like of shape (n_rows,), optional
            District keys: known districts get their record's shrinkage; unknown keys (and
            ``None``) get what their features predict.

        Returns
        -------
        ndarray of shape (n_rows,)
        """
        check_is_fitted(self)
        return special.expit(self._logit(X, groups))

    def predict_proba(self, X, groups=None):
        """Class probabilities ``[P(no finding), P(finding)]`` per row."""
        check_is_fitted(self)
        p = self.predict_risk(X, groups)
        return np.column_stack([1.0 - p, p])

    def decision_function(self, X, groups=None):
        """Logit of the risk (the scale on which contributions add up)."""
        check_is_fitted(self)
        return self._logit(X, groups)

    def predict(self, X, groups=None):
        """Most likely class (a finding only where the risk exceeds one half)."""
        check_is_fitted(self)
        p = self.predict_risk(X, groups)
        return self.classes_[(p > 0.5).astype(int)]

    def explain(self, X, groups=None, reference=None) -> Explanation:
        """Per-feature contributions relative to the regional average, on the logit scale.

        Parameters
        ----------
        X : array-like of shape (n_districts, n_features)
        groups : array-like, optional
            District keys; their record's effect is the :data:`HISTORIAL` contribution.
        reference : array-like of shape (n_features,), optional
            The "average district" (raw feature values). Default: the mean of ``X``'s rows,
            i.e. the regional average when ``X`` is the region's districts.

        Returns
        -------
        Explanation
            ``base + contributions.sum(axis=1) == decision_function(X, groups)``.

        Examples
        --------
        >>> import numpy as np
        >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0]])
        >>> m = RiskScorer(prior=[0.5, -0.2]).fit(X, np.array([0, 0, 1, 1]))
        >>> e = m.explain(X)
        >>> bool(np.allclose(e.base + e.contributions.sum(axis=1), m.decision_function(X)))
        True
        """
        check_is_fitted(self)
        Xv = validate_data(self, X, dtype=np.float64, reset=False)
        ref = Xv.mean(axis=0) if reference is None else np.asarray(reference, dtype=float)
        coef = self.coef_.ravel()
        base = float(self.intercept_[0] + ((ref - self.mean_) / self.scale_) @ coef)
        contrib = (Xv - ref) / self.scale_ * coef
        feature_logit = self.intercept_[0] + ((Xv - self.mean_) / self.scale_) @ coef
        history = self._logit(X, groups) - feature_logit
        names = list(self._feature_names())
        df = pd.DataFrame(contrib, columns=names, index=_index_of(X))
        df[HISTORIAL] = history
        return Explanation(base=base, contributions=df)

    def coefficients(self, descriptions: Mapping[str, str] | None = None) -> pd.DataFrame:
        """Return the weights as a table a planner can read.

        Returns
        -------
        pandas.DataFrame
            ``factor`` (column name), ``nombre`` (plain Spanish), ``peso`` (log-odds per
            standard deviation), ``peso_experto`` (the prior), ``razon_de_odds`` (odds ratio
            for one standard deviation more), ``desviacion_estandar`` (in the feature's units).
        """
        check_is_fitted(self)
        names = list(self._feature_names())
        coef = self.coef_.ravel()
        return pd.DataFrame(
            {
                "factor": names,
                "nombre": [feature_label(n, descriptions) for n in names],
                "peso": coef,
                "peso_experto": self.prior_coef_,
                "razon_de_odds": np.exp(coef),
                "desviacion_estandar": self.scale_,
            }
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags

    # ---------------------------------------------------------------- internals
    def _feature_names(self):
        names = getattr(self, "feature_names_in_", None)
        if names is not None:
            return [str(n) for n in names]
        return [f"x{i}" for i in range(self.n_features_in_)]

    def _resolve_prior(self, n_features: int) -> np.ndarray:
        if self.prior is None:
            return np.zeros(n_features)
        if isinstance(self.prior, Mapping):
            names = self._feature_names()
            unknown = sorted(set(self.prior) - set(names))
            if unknown:
                raise ValueError(
                    f"prior names features not in X: {unknown}; X has {names}."
                )
            return np.array([float(self.prior.get(n, 0.0)) for n in names])
        arr = np.asarray(self.prior, dtype=float).ravel()
        if arr.shape[0] != n_features:
            raise ValueError(f"prior has {arr.shape[0]} weights, X has {n_features} features.")
        return arr

    def _set_reference(self, X, sample_weight, groups) -> None:
        if groups is not None:
            _, first = np.unique(groups, return_index=True)
            ref, w = X[first], np.ones(first.shape[0])
        else:
            ref, w = X, sample_weight
        w = np.where(w > 0, w, 0.0)
        if not np.any(w > 0):
            w = np.ones_like(w)
        mean = np.average(ref, axis=0, weights=w)
        var = np.average((ref - mean) ** 2, axis=0, weights=w)
        scale = np.sqrt(var)
        self.mean_ = mean
        self.scale_ = np.where(scale > 1e-12 * (1.0 + np.abs(mean)), scale, 1.0)

    def _fit_groups(self, Z, y01, sample_weight, groups) -> None:
        self.concentration_ = np.inf
        self.group_counts_ = _empty_counts()
        self._bootstrap_data = None
        if groups is None:
            return
        frame = pd.DataFrame(
            {"g": groups, "n": sample_weight, "k": sample_weight * y01, "row": np.arange(len(y01))}
        )
        agg = frame.groupby("g", sort=True).agg(
            n=("n", "sum"), k=("k", "sum"), row=("row", "first")
        )
        self.group_counts_ = agg[["n", "k"]]
        zg = Z[agg["row"].to_numpy()]
        self._bootstrap_data = (zg, agg["n"].to_numpy(float), agg["k"].to_numpy(float))
        if self.shrinkage:
            p = special.expit(self.intercept_[0] + zg @ self.coef_.ravel())
            self.concentration_ = _fit_concentration(
                agg["n"].to_numpy(float), agg["k"].to_numpy(float), p,
                float(self.min_concentration), float(self.max_concentration),
            )

    def _logit(self, X, groups):
        X = validate_data(self, X, dtype=np.float64, reset=False)
        eta = self.intercept_[0] + ((X - self.mean_) / self.scale_) @ self.coef_.ravel()
        if groups is None or not np.isfinite(self.concentration_) or self.group_counts_.empty:
            return eta
        n, k = _lookup_counts(self.group_counts_, groups)
        p = special.expit(eta)
        m = self.concentration_
        post = (k + m * p) / (n + m)
        return _logit(post)


# ----------------------------------------------------------------------------- uncertainty
def simulate_uncertainty(
    scorer: RiskScorer,
    X,
    groups,
    *,
    n_bootstrap: int = 200,
    top_k: int = 10,
    random_state: int | None = 0,
    levels: tuple[float, float] = (0.05, 0.95),
) -> pd.DataFrame:
    """Intervals and probability of being in the top ``k`` by a district bootstrap.

    Each replicate resamples the inspected districts with replacement (all their
    inspections go with them), refits both stages, and then draws each district's risk from
    its beta posterior ``Beta(k + m p, n - k + m (1 - p))`` given its own record. The spread
    therefore holds both the uncertainty of the weights and the district's own unexplained
    variation. With no inspections at all, weights are drawn from the prior instead.

    Parameters
    ----------
    scorer : RiskScorer
        Fitted with ``groups`` (or with :meth:`RiskScorer.fit_prior`).
    X : array-like of shape (n_districts, n_features)
        The districts to score (one row each).
    groups : array-like of shape (n_districts,)
        Their keys.
    n_bootstrap : int
        Replicates.
    top_k : int
        ``k`` of the probability of being among the ``k`` highest risks.
    random_state : int, optional
    levels : (float, float)
        Lower and upper quantiles of the interval.

    Returns
    -------
    pandas.DataFrame
        Columns ``riesgo_p05``, ``riesgo_p95``, ``prob_top10`` (named after the default
        levels and k), indexed like ``groups``.
    """
    check_is_fitted(scorer)
    rng = np.random.default_rng(random_state)
    Xv = validate_data(scorer, X, dtype=np.float64, reset=False)
    keys = np.asarray(groups)
    Z = (Xv - scorer.mean_) / scorer.scale_
    n, k = _lookup_counts(scorer.group_counts_, keys)
    beta_hat = np.concatenate([scorer.intercept_, scorer.coef_.ravel()])
    data = getattr(scorer, "_bootstrap_data", None)
    has_data = data is not None and data[1].sum() > 0
    draws = np.empty((n_bootstrap, Z.shape[0]))
    if has_data:
        zg, ng, kg = data
        inspected = np.flatnonzero(ng > 0)
    for b in range(n_bootstrap):
        if has_data:
            pick = rng.choice(inspected, size=inspected.shape[0], replace=True)
            beta = _fit_logistic(
                zg[pick], None, None, scorer.prior_coef_, float(scorer.prior_strength),
                _logit(scorer.base_rate), float(scorer.base_rate_strength),
                counts=(ng[pick], kg[pick]), start=beta_hat,
            )
            if scorer.shrinkage and np.isfinite(scorer.concentration_):
                pg = special.expit(beta[0] + zg[pick] @ beta[1:])
                m = _fit_concentration(
                    ng[pick], kg[pick], pg,
                    float(scorer.min_concentration), float(scorer.max_concentration),
                )
            else:
                m = np.inf
        else:
            sd_w = 1.0 / np.sqrt(max(float(scorer.prior_strength), 1e-6))
            sd_0 = 1.0 / np.sqrt(max(float(scorer.base_rate_strength), 1e-6))
            beta = np.concatenate(
                [[beta_hat[0] + rng.normal(0, sd_0)],
                 beta_hat[1:] + rng.normal(0, sd_w, beta_hat.shape[0] - 1)]
            )
            m = np.inf
        p = special.expit(beta[0] + Z @ beta[1:])
        if np.isfinite(m):
            a = k + m * p
            bb = (n - k) + m * (1.0 - p)
            draws[b] = rng.beta(np.maximum(a, 1e-9), np.maximum(bb, 1e-9))
        else:
            draws[b] = p
    lo, hi = np.quantile(draws, levels, axis=0)
    kk = min(top_k, Z.shape[0])
    # rank within each replicate: the k largest draws are "top k"
    order = np.argsort(-draws, axis=1)[:, :kk]
    top = np.zeros_like(draws, dtype=bool)
    np.put_along_axis(top, order, True, axis=1)
    return pd.DataFrame(
        {C.RIESGO_P05: lo, C.RIESGO_P95: hi, C.PROB_TOP10: top.mean(axis=0)},
        index=pd.Index(keys, name=C.UBIGEO),
    )


# ----------------------------------------------------------------------------- numerics
def _logit(p):
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return np.log(p) - np.log1p(-p)


def _empty_counts() -> pd.DataFrame:
    return pd.DataFrame({"n": pd.Series(dtype=float), "k": pd.Series(dtype=float)})


def _index_of(X):
    return X.index if isinstance(X, pd.DataFrame) else None


def _lookup_counts(counts: pd.DataFrame, groups) -> tuple[np.ndarray, np.ndarray]:
    keys = pd.Index(np.asarray(groups))
    got = counts.reindex(keys)
    return got["n"].fillna(0.0).to_numpy(float), got["k"].fillna(0.0).to_numpy(float)


def _fit_logistic(
    Z, y, w, prior, alpha, intercept_prior, alpha0, *, counts=None, start=None
) -> np.ndarray:
    """Minimise binomial deviance + alpha/2 |b - prior|^2 + alpha0/2 (b0 - intercept_prior)^2.

    Rows are either (y, w) pairs or aggregated (n, k) counts; both are binomial likelihoods.
    """
    if counts is not None:
        n, k = counts
    else:
        n, k = w, w * y
    design = np.column_stack([np.ones(Z.shape[0]), Z])
    centre = np.concatenate([[intercept_prior], prior])
    precision = np.concatenate([[alpha0], np.full(prior.shape[0], alpha)])
    precision = np.maximum(precision, 1e-8)

    def penalised(beta):
        eta = design @ beta
        d = beta - centre
        # n * log(1 + e^eta) - k * eta is the binomial negative log-likelihood
        return np.sum(n * np.logaddexp(0.0, eta) - k * eta) + 0.5 * np.sum(precision * d * d)

    # Newton-Raphson with step halving: the problem is small (a few weights) and strictly
    # convex (the penalty makes the Hessian positive definite), so it converges in a handful
    # of steps, much faster than a general-purpose optimiser.
    beta = centre.copy() if start is None else np.asarray(start, dtype=float).copy()
    value = penalised(beta)
    for _ in range(100):
        p = special.expit(design @ beta)
        grad = design.T @ (n * p - k) + precision * (beta - centre)
        hess = (design * (n * p * (1.0 - p))[:, None]).T @ design + np.diag(precision)
        step = np.linalg.solve(hess, grad)
        t = 1.0
        while True:
            cand = beta - t * step
            cand_value = penalised(cand)
            if cand_value <= value + 1e-12 or t < 1e-6:
                break
            t *= 0.5
        beta, done = cand, abs(value - cand_value) < 1e-10 * (1.0 + abs(value))
        value = cand_value
        if done and np.max(np.abs(t * step)) < 1e-8:
            break
    return beta


def _fit_concentration(n, k, p, lo, hi) -> float:
    """Maximum marginal likelihood of the beta-binomial concentration m in [lo, hi]."""
    mask = n > 0
    if not np.any(mask) or hi <= lo:
        return float(lo if hi <= lo else hi)
    n, k, p = n[mask], k[mask], np.clip(p[mask], 1e-6, 1 - 1e-6)

    def negloglik(log_m):
        m = np.exp(log_m)
        a, b = m * p, m * (1.0 - p)
        return -np.sum(special.betaln(k + a, n - k + b) - special.betaln(a, b))

    res = optimize.minimize_scalar(negloglik, bounds=(np.log(lo), np.log(hi)), method="bounded",
                                   options={"xatol": 1e-3})
    return float(np.exp(res.x))

