"""The interpretable, exposure-aware district risk scorer.

:class:`RiskScorer` estimates, for each district, the probability that a labour inspection
there finds forced-labour indicators. It has two stages, both small enough to explain to a
director:

1. a **logistic regression on standardised district features**, penalised toward the expert
   prior (an L2 penalty centred on the prior weights instead of zero, solved by Newton's
   method). How hard it leans on the expert — the prior's precision — is chosen from the data
   by **empirical Bayes** (the Laplace approximation of the marginal likelihood, the
   "evidence"), never above the configured ``prior_strength``: an expert the records
   contradict gets less weight, and where inspections are few the weights stay near the
   expert's. With no inspections at all (:meth:`RiskScorer.fit_prior`) the expert index alone
   ranks;
2. a **district random effect** on the logit scale, ``logit p_d = eta_d + u_d`` with
   ``u_d ~ Normal(0, tau^2)``: the part of a district's risk its features do not explain. Its
   spread ``tau`` is estimated from all districts' records (marginal likelihood on a grid, with
   a boundary-avoiding Gamma(2) prior, so its uncertainty is kept), and each district's
   own record (``k`` findings in ``n`` inspections) moves it from what its features predict
   by the posterior median of ``u_d`` — so one lucky finding in one inspection cannot put a
   district first, and a never-inspected district stays at its features' prediction.

Why one row per inspection (``y`` = 0/1 finding, ``X`` = the features of the district where it
happened, ``groups`` = the district key): that is a plain binary classification problem, so the
estimator passes scikit-learn's ``parametrize_with_checks``, and integer ``sample_weight`` is the
same as repeating rows — a district's ``n`` inspections and ``k`` findings can be passed as two
weighted rows (``y=1`` weight ``k``, ``y=0`` weight ``n-k``), which is how :mod:`models.risk.model`
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
from models.risk.likelihood import (
    ComplaintTable,
    check_complaints,
    district_rows,
    effect_loglik,
    effect_quantile,
    empty_counts,
    fit_logistic,
    fit_marginal,
    index_of,
    logit,
    logsumexp_rows,
    lookup_counts,
    posterior_cov,
    re_sd_posterior,
    select_strength,
)

__all__ = [
    "HISTORIAL",
    "Explanation",
    "RiskScorer",
    "feature_label",
    "simulate_uncertainty",
]

#: Name of the contribution of a district's own inspection record (stage 2).
HISTORIAL = "historial"
#: Prefix of a missing-value indicator feature (``models.risk.features.fill_missing``).
FALTA = "falta_"

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
    "denuncias_relativas": "Denuncias frente a lo esperado",
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
    if name.startswith(FALTA) and len(name) > len(FALTA):
        # a missing-value indicator (models.risk.features.fill_missing) names its first layer
        return f"Sin dato público: {feature_label(name[len(FALTA):], descriptions)}"
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
    """Penalised logistic regression toward an expert prior, with a district random effect.

    Parameters
    ----------
    prior : mapping or array-like, optional
        Expert weight per feature on the standardised scale (change in log-odds per standard
        deviation of the feature across districts). A mapping is matched to the column names
        of ``X``; features it does not name get 0. ``None``: all zero (plain ridge).
    prior_strength : float, default=10.0
        Precision of the prior (1 / variance of each weight around the expert's): larger
        leans harder on the expert where inspections are few. With ``empirical_bayes`` it is
        the *cap*: the precision actually used (``prior_strength_``) is the one that
        maximises the evidence in ``[min_prior_strength, prior_strength]``; without it (or
        when the evidence cannot be computed) it is used as given. The default 10 says no
        expert index is known better than about +/-0.3 log-odds per standard deviation: it
        lets the evidence lean on a good expert where records are thin, and stops the
        evidence, noisy with one or two years of records, from trusting the expert blindly
        (checked on :mod:`models.evaluation.synthetic` worlds, see ``benchmarks/model.md``).
    empirical_bayes : bool, default=True
        Choose the prior's precision from the data (Laplace-approximated marginal likelihood).
    min_prior_strength : float, default=0.01
        Lower bound of that search (a prior standard deviation of 10 log-odds: no expert).
    base_rate : float, default=0.1
        Prior finding rate of an average district (the intercept is pulled toward its logit).
    base_rate_strength : float, default=0.1
        Precision of that intercept prior; small, so a handful of inspections overrides it.
    shrinkage : bool, default=True
        Whether to estimate the district random effect when ``groups`` are given.
    selection_correction : {"joint", "design", "cluster", "none"}, default="joint"
        Inspections follow complaints and complaints follow risk, so the most inspected
        districts are those with a high own effect. ``joint`` fits the weights on the
        marginal likelihood with every district's effect integrated out (a random-intercept
        GLMM, :meth:`_fit_joint`); ``design`` and ``cluster`` reweight a pooled fit
        (:meth:`_correct_selection`). Measured on 20 worlds of each kind in
        ``benchmarks/model.md``: ``joint`` keeps the intervals' coverage where the others
        lose it to the most inspected districts.
    re_sd_scale : float, default=1.0
        Scale of the Gamma(2, scale) prior on ``tau``, the standard deviation of the district
        effect on the logit scale. The prior is zero at ``tau = 0`` (sparse records cannot
        collapse the district variation to nothing) and weak elsewhere; the marginal
        likelihood of all districts' records decides.

    Attributes
    ----------
    coef_ : ndarray of shape (1, n_features)
        Weights on the standardised features (log-odds per standard deviation).
    intercept_ : ndarray of shape (1,)
        Logit of the risk at the mean of the features.
    prior_coef_ : ndarray of shape (n_features,)
        The expert prior, resolved to the columns of ``X``.
    prior_strength_ : float
        Precision of the prior actually used (chosen by empirical Bayes, capped).
    mean_, scale_ : ndarray of shape (n_features,)
        Standardisation reference: each district once when ``groups`` are given, otherwise the
        (weighted) rows.
    re_sd_ : float
        Posterior mean of ``tau`` (0 without groups or shrinkage): used for the scores.
    re_sd_grid_, re_sd_weights_ : ndarray
        Grid of ``tau`` and its posterior weights: the intervals draw ``tau`` from them.
    group_counts_ : pandas.DataFrame
        Per district key: ``n`` inspections and ``k`` findings (empty without groups).
    group_z_ : pandas.DataFrame or None
        Per district key: the standardised features its records were fitted with. A score
        reads the district's effect against these and adds it to the features it is given:
        where a dated layer changed since the records (a concession claimed after them),
        old findings are not read as if made under today's layers.
    classes_ : ndarray
        ``[0, 1]`` for 0/1 targets (both always present, even if a training year had no
        finding), otherwise the sorted labels.
    """

    def __init__(
        self,
        prior: Mapping[str, float] | Sequence[float] | None = None,
        prior_strength: float = 10.0,
        base_rate: float = 0.1,
        base_rate_strength: float = 0.1,
        shrinkage: bool = True,
        empirical_bayes: bool = True,
        min_prior_strength: float = 0.01,
        re_sd_scale: float = 1.0,
        selection_correction: str = "joint",
    ):
        self.prior = prior
        self.prior_strength = prior_strength
        self.base_rate = base_rate
        self.base_rate_strength = base_rate_strength
        self.shrinkage = shrinkage
        self.empirical_bayes = empirical_bayes
        self.min_prior_strength = min_prior_strength
        self.re_sd_scale = re_sd_scale
        self.selection_correction = selection_correction

    # ------------------------------------------------------------------ fitting
    def fit(self, X, y, sample_weight=None, groups=None, complaints=None):
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
        complaints : DataFrame, optional
            Per district key: ``c``, its complaint-driven inspections, and ``log_mu``, the log
            of the number its population and characteristics predict
            (:func:`models.risk.complaints.complaint_counts`). With ``groups``, the number of
            complaints becomes evidence about each district's own effect, with a strength
            estimated from the data (:meth:`_fit_complaint_sd`): a shared-parameter model of
            selection. Every district the region has should have a row (0 complaints too).

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
        self.complaints_ = check_complaints(complaints) if groups is not None else None
        self.complaint_sd_, self.complaint_spread_ = 0.0, 0.0
        counts = (sample_weight, sample_weight * y01)
        args = (self.prior_coef_, logit(self.base_rate), float(self.base_rate_strength))
        cap = float(self.prior_strength)
        self.prior_strength_ = (
            select_strength(Z, counts, *args, lo=float(self.min_prior_strength), hi=cap)
            if self.empirical_bayes else cap
        )
        beta = fit_logistic(
            Z, None, None, self.prior_coef_, self.prior_strength_,
            logit(self.base_rate), float(self.base_rate_strength), counts=counts,
        )
        self.intercept_ = beta[:1].copy()
        self.coef_ = beta[1:].reshape(1, -1).copy()
        self._fit_groups(Z, y01, sample_weight, groups)
        if self.selection_correction == "joint" and groups is not None and self.re_sd_ > 0:
            self._fit_joint(Z, y01, sample_weight, groups, args)
        elif self.selection_correction in ("design", "cluster") and groups is not None \
                and self.re_sd_ > 0:
            self._correct_selection(Z, y01, sample_weight, groups, args)
        self.coef_cov_ = posterior_cov(Z, counts[0], beta, self.prior_strength_,
                                        float(self.base_rate_strength), self.re_sd_)
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
        self.complaints_ = None
        self.complaint_sd_, self.complaint_spread_ = 0.0, 0.0
        self.intercept_ = np.array([logit(self.base_rate)])
        self.coef_ = self.prior_coef_.reshape(1, -1).copy()
        self.prior_strength_ = float(self.prior_strength)
        self._no_random_effect()
        d = self.coef_.shape[1]
        self.coef_cov_ = np.diag(np.concatenate([
            [1.0 / max(float(self.base_rate_strength), 1e-6)],
            np.full(d, 1.0 / max(self.prior_strength_, 1e-6)),
        ]))
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
        df = pd.DataFrame(contrib, columns=names, index=index_of(X))
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

    def _correct_selection(self, Z, y01, sample_weight, groups, args) -> None:
        """Refit the weights with each district's inspections counted as one cluster.

        Inspections follow complaints, and complaints follow risk: the districts with the
        most records are those whose own effect is high. Counted row by row, they pull the
        weights and the intercept up for everyone. Weighting each district's rows by its
        design effect ``1 / (1 + (n_d - 1) tau^2 v_d)`` (the intra-district correlation of a
        logit-normal effect, as in the quasi-likelihood of a random-intercept model) lets a
        district inform the weights about as much as its record can, however many
        inspections it drew. ``selection_shift_`` keeps how far the intercept moved.
        """
        eta_rows = self.intercept_[0] + Z @ self.coef_.ravel()
        v = special.expit(eta_rows) * (1.0 - special.expit(eta_rows))
        n_g = pd.Series(sample_weight).groupby(np.asarray(groups)).transform("sum").to_numpy()
        design = 1.0 / (1.0 + np.maximum(n_g - 1.0, 0.0) * self.re_sd_**2 * v)
        if self.selection_correction == "cluster":  # every district counted once
            design = 1.0 / np.maximum(n_g, 1.0)
        counts = (sample_weight * design, sample_weight * y01 * design)
        before = float(self.intercept_[0])
        # the prior's strength stays the one the evidence chose: refitting only the weights
        # keeps the fit time within a second logistic fit
        beta = fit_logistic(Z, None, None, self.prior_coef_, self.prior_strength_,
                             args[1], args[2], counts=counts,
                             start=np.concatenate([self.intercept_, self.coef_.ravel()]))
        self.intercept_ = beta[:1].copy()
        self.coef_ = beta[1:].reshape(1, -1).copy()
        self.selection_shift_ = float(self.intercept_[0]) - before
        # the spread of the district effects and their records stay those of the first pass
        # (the weights moved little): recomputing them would double the fit time

    def _fit_joint(self, Z, y01, sample_weight, groups, args, rounds: int = 2) -> None:
        """Fit the weights and the districts' effects together (a random-intercept GLMM).

        The weights maximise the *marginal* likelihood, each district's effect integrated out
        (the quadrature of :func:`effect_loglik`), plus the prior's penalty; then ``tau`` is
        estimated again at those weights. Where inspections follow complaints and complaints
        follow a district's own effect, the most inspected districts are those with a high
        effect: a pooled fit lets their rows pull the intercept and the weights up for every
        district, the joint fit lets each district's effect absorb its own excess.
        """
        agg = district_rows(groups, sample_weight, y01)
        zg = Z[agg["row"].to_numpy()]
        n, k = agg["n"].to_numpy(float), agg["k"].to_numpy(float)
        before = float(self.intercept_[0])
        beta = np.concatenate([self.intercept_, self.coef_.ravel()])
        table = None
        if self.complaints_ is not None:
            # the complaints' part of every district at every node, tabulated once per fit
            table = ComplaintTable(*self._complaint_columns(agg.index))
            if not np.any(table.known):
                raise ValueError("complaints: no row for any district key of groups (keys "
                                 f"like {agg.index[0]!r} expected).")
            self.complaint_spread_ = table.spread
        for _ in range(rounds):
            extra = None
            if table is not None:
                self.complaint_sd_ = self._fit_complaint_sd(zg, n, k, table)
                if self.complaint_sd_ > 0:
                    extra = table.loglik(self.complaint_sd_)
            beta = fit_marginal(zg, n, k, self.prior_coef_, self.prior_strength_, args[1],
                                 args[2], self.re_sd_, start=beta, extra=extra)
            self.intercept_ = beta[:1].copy()
            self.coef_ = beta[1:].reshape(1, -1).copy()
            # tau again at these weights, where the previous round left it any mass
            self._fit_groups(Z, y01, sample_weight, groups, near=self.re_sd_weights_, agg=agg,
                             extra=extra)
            if self.re_sd_ <= 0:
                break
        self.selection_shift_ = float(self.intercept_[0]) - before

    def _fit_complaint_sd(self, zg, n, k, table) -> float:
        """How strongly the number of complaints follows a district's own effect.

        The shared-parameter model: a district's complaint-driven inspections are
        ``Poisson(mu_d exp(v_d - sigma^2 / 2))``, with ``mu_d`` what its population and
        characteristics predict (marginally) and ``v_d ~ Normal(0, sigma^2)`` how far its
        complaints stray from that. ``sigma`` is measured on the complaints alone
        (``complaint_spread_``, measured in :class:`models.risk.likelihood.ComplaintTable`).
        Complaint counts stray for reasons that have nothing to do with risk (a union, a
        radio programme, a road), so
        ``v_d = g s_d + e_d``: ``s_d`` is the district's standardised own effect, the same
        ``s`` whose ``tau s`` moves its risk, and ``e_d ~ Normal(0, sigma^2 - g^2)`` is the
        rest. Both parts have the same shape, so only the findings can say how much of the
        spread goes with risk: ``g`` (0 to ``sigma``) maximises the marginal likelihood of
        every district's findings *and* complaints at the current weights and ``tau``.
        ``g = 0`` is the model without it: where complaints do not follow risk beyond what
        the characteristics say, nothing changes.
        """
        spread, known = table.spread, table.known
        if self.re_sd_ <= 0 or spread <= 0:
            return 0.0
        eta = self.intercept_[0] + zg @ self.coef_.ravel()
        base = effect_loglik(eta[known], n[known], k[known], self.re_sd_)

        def negative(g: float) -> float:
            return -float(np.sum(logsumexp_rows(base + table.loglik(g)[known])))

        res = optimize.minimize_scalar(negative, bounds=(0.0, spread), method="bounded",
                                       options={"xatol": 2e-3 + 0.01 * spread})
        # the bounded search never evaluates the ends: "complaints say nothing" is one of them
        return 0.0 if negative(0.0) <= res.fun else float(res.x)

    def _complaint_columns(self, keys) -> tuple[np.ndarray, np.ndarray]:
        """``c`` and ``log_mu`` of each key; a key without a row has ``log_mu = nan``."""
        got = self.complaints_.reindex(pd.Index(np.asarray(keys)))
        return got["c"].fillna(0.0).to_numpy(float), got["log_mu"].to_numpy(float)

    def _complaint_terms(self, keys) -> np.ndarray | None:
        """Each key's complaint log-likelihood at each effect node, or ``None`` (no term).

        A key without a row in the complaints (a district the fit did not see) gets none.
        """
        if getattr(self, "complaints_", None) is None or getattr(self, "complaint_sd_", 0) <= 0:
            return None
        return ComplaintTable(*self._complaint_columns(keys), self.complaint_spread_).loglik(
            self.complaint_sd_)

    def _no_random_effect(self) -> None:
        self.re_sd_ = 0.0
        self.re_sd_grid_ = np.zeros(1)
        self.re_sd_weights_ = np.ones(1)
        self.group_counts_ = empty_counts()
        self.group_z_ = None

    def _fit_groups(self, Z, y01, sample_weight, groups, near=None, agg=None,
                    extra=None) -> None:
        self._no_random_effect()
        if groups is None:
            return
        agg = district_rows(groups, sample_weight, y01) if agg is None else agg
        self.group_counts_ = agg[["n", "k"]]
        zg = Z[agg["row"].to_numpy()]
        # the features each district's records were made under (the dated layers of their
        # years, models.risk.features.history_features): its effect is read against these, and a
        # score of today adds it to today's features
        self.group_z_ = pd.DataFrame(zg, index=agg.index)
        if self.shrinkage:
            eta = self.intercept_[0] + zg @ self.coef_.ravel()
            precision = np.concatenate([[float(self.base_rate_strength)],
                                        np.full(zg.shape[1], self.prior_strength_)])
            grid, weights = re_sd_posterior(
                eta, agg["n"].to_numpy(float), agg["k"].to_numpy(float), float(self.re_sd_scale),
                design=np.column_stack([np.ones(zg.shape[0]), zg]), precision=precision,
                near=near, extra=extra,
            )
            self.re_sd_grid_, self.re_sd_weights_ = grid, weights
            self.re_sd_ = float(grid @ weights)

    def refit_effects(self, X, counts: pd.DataFrame) -> RiskScorer:
        """Replace the districts' own records by ``counts`` (their spread ``tau`` stays).

        The feature weights stay; each district's effect is then estimated from ``counts``
        (``n``, ``k`` per key, fractional allowed): :func:`models.risk.recency` passes records
        weighted by their age, so that old findings weigh less where risk may have moved.

        Parameters
        ----------
        X : array-like of shape (n_districts, n_features)
            The districts (one row each, index = key) the counts belong to.
        counts : DataFrame
            ``n`` and ``k``, one row per district in the order of ``X``, indexed by key.
        """
        check_is_fitted(self)
        if not self.shrinkage or self.group_counts_.empty:
            return self
        n = counts["n"].to_numpy(float)
        k = counts["k"].to_numpy(float)
        # the spread of the district effects stays the one every record measured: a
        # discounted record says less about a district, not that districts differ less
        self.group_counts_ = pd.DataFrame({"n": n, "k": k},
                                          index=pd.Index(counts.index, name="g"))
        return self

    def _logit(self, X, groups):
        X = validate_data(self, X, dtype=np.float64, reset=False)
        if groups is None or self.re_sd_ <= 0 or self.group_counts_.empty:
            return self.intercept_[0] + ((X - self.mean_) / self.scale_) @ self.coef_.ravel()
        eta, seen = self.logits(X, groups)
        n, k = lookup_counts(self.group_counts_, groups)
        # the posterior median of the district effect: 0 for a district never inspected
        # (unless its number of complaints says otherwise); read against the features its
        # records were made under, added to today's
        u = effect_quantile(seen, n, k, self.re_sd_, np.full(eta.shape[0], 0.5),
                             extra=self._complaint_terms(groups))
        return eta + u

    def logits(self, X, groups) -> tuple[np.ndarray, np.ndarray]:
        """Return today's logit of ``X`` (an array) and that of what each key's records saw."""
        check_is_fitted(self)
        Z = (X - self.mean_) / self.scale_
        beta = np.concatenate([self.intercept_, self.coef_.ravel()])
        eta = beta[0] + Z @ beta[1:]
        return eta, self._seen_eta(eta, beta, self._seen_z(groups, Z))

    @staticmethod
    def _seen_eta(eta, beta, seen_z) -> np.ndarray:
        """Return the logit (weights ``beta``) of the features each key's records saw.

        ``eta`` itself, bit for bit, where those are the features ``eta`` was computed from
        (nothing dated changed), for a key the fit did not see, and for a model fitted before
        this was kept. ``seen_z``: :meth:`_seen_z` of the keys and the standardised features
        of ``eta``, computed once for many ``beta``.
        """
        z, moved = seen_z
        if z is None:
            return eta
        out = np.array(eta, dtype=float, copy=True)
        out[moved] = beta[0] + z[moved] @ beta[1:]
        return out

    def _seen_z(self, groups, Z) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Return the standardised features each key's records saw, and where they moved.

        ``Z``: the standardised features being scored; only keys whose records saw other
        features are marked.
        """
        table = getattr(self, "group_z_", None)
        if table is None:
            return None, None
        z = table.reindex(pd.Index(np.asarray(groups))).to_numpy(float)
        moved = ~np.isnan(z).any(axis=1) & np.any(z != Z, axis=1)
        return (z, moved) if moved.any() else (None, None)


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
    """Intervals and probability of being in the top ``k``, by posterior simulation.

    Each draw (1) takes the weights from their Laplace posterior ``Normal(b_hat, coef_cov_)``
    — the expert prior's uncertainty where data are thin, the data's where they are not, with
    the district effects widening it (:func:`posterior_cov`); (2) takes the spread ``tau`` of
    the district effects from its posterior; (3) takes each district's effect from its
    posterior given its own record ``(n, k)`` — for a never-inspected district that is the
    whole ``Normal(0, tau^2)``, the variation its features do not explain. The interval is the
    ``levels`` quantiles of the resulting risks. With no inspections at all, the weights come
    from the prior alone (and there is no district effect to draw).

    Parameters
    ----------
    scorer : RiskScorer
        Fitted with ``groups`` (or with :meth:`RiskScorer.fit_prior`).
    X : array-like of shape (n_districts, n_features)
        The districts to score (one row each).
    groups : array-like of shape (n_districts,)
        Their keys.
    n_bootstrap : int
        Draws (the name is kept from the earlier bootstrap version).
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
    n, k = lookup_counts(scorer.group_counts_, keys)
    extra = scorer._complaint_terms(keys)
    beta_hat = np.concatenate([scorer.intercept_, scorer.coef_.ravel()])
    # Laplace posterior of the weights (prior + overdispersed likelihood): its draws
    chol = np.linalg.cholesky(scorer.coef_cov_ + 1e-12 * np.eye(beta_hat.shape[0]))
    betas = beta_hat[None, :] + rng.standard_normal((n_bootstrap, beta_hat.shape[0])) @ chol.T
    seen_z = scorer._seen_z(keys, Z)
    draws = np.empty((n_bootstrap, Z.shape[0]))
    grid = np.asarray(scorer.re_sd_grid_, dtype=float)
    tau_p = np.asarray(scorer.re_sd_weights_, dtype=float)
    for b in range(n_bootstrap):
        beta = betas[b]
        eta = beta[0] + Z @ beta[1:]
        tau = float(grid[rng.choice(grid.shape[0], p=tau_p)]) if grid.shape[0] > 1 else 0.0
        if tau > 0:
            seen = scorer._seen_eta(eta, beta, seen_z)
            eta = eta + effect_quantile(seen, n, k, tau, rng.random(eta.shape[0]), extra=extra)
        draws[b] = special.expit(eta)
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
