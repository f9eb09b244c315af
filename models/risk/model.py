"""The deployed risk model: the whole fitting recipe as one scikit-learn estimator.

:class:`RiskModel` owns every step between a district table and its scores, and every choice
made before seeing the data is one of its ``__init__`` parameters: ``clone(model)`` is the
deployed model, unfitted. The scores (:func:`models.risk.score.score_districts`) and every
backtest fold (:mod:`models.evaluation.folds`) build it once
(:meth:`RiskModel.from_settings`) and call ``clone(model).fit(X, records, ...)`` with the
same inputs, so the recipe is written here and nowhere else:

1. **complaints as a factor** (``complaint_intensity``): the district's complaint-driven
   inspections against what is expected of it, :data:`models.risk.complaints.DENUNCIAS`;
2. **dated layers**: each district's features as its inspections saw them (the layers of
   the records' years, :func:`models.risk.features.history_features`);
3. **complaints as evidence** (``complaint_evidence``): their number informs each district's
   own effect (:func:`models.risk.complaints.complaint_counts`; only the joint fit reads it);
4. **the statistical core**, :class:`models.risk.scorer.RiskScorer`: the expert prior, the
   selection correction and the district random effect, fitted on per-district counts (the
   expert prior alone where there is no record);
5. **recency** (``half_life``, ``"auto"`` chosen by the records): old findings weigh less
   (:func:`models.risk.recency.recency_fit`);
6. **the learnt range** (``hold_range``): a district is scored with each feature held within
   the range the weights were learnt from, never a straight line into the unknown.

Missing values are the features' business (:func:`models.risk.features.feature_matrix` leaves a
missing value's term out and adds a ``falta_*`` indicator): ``X`` has none.

A fitted model scores the districts it was fitted on (``X`` indexed by district key): their
own records, complaints and dated layers are part of what it learnt.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from geo.config import Settings
from geo.errors import ConfigError
from models.risk import complaints
from models.risk.features import (
    district_counts,
    history_features,
    hold_in_range,
    learnt_range,
    training_rows,
)
from models.risk.recency import drift_alerts, recency_fit
from models.risk.scorer import Explanation, RiskScorer, simulate_uncertainty

__all__ = ["RiskModel"]


class RiskModel(BaseEstimator):
    """District risk from features and inspection records: the recipe the deployment runs.

    Parameters
    ----------
    prior : mapping, optional
        Expert weight per feature (log-odds per standard deviation); features it does not
        name weigh 0 (:class:`models.risk.scorer.RiskScorer`).
    prior_strength : float, default=10.0
        Cap of the prior's precision chosen by empirical Bayes.
    selection_correction : {"joint", "design", "cluster", "none"}, default="joint"
        How the weights are protected from risk-driven selection.
    half_life : "auto" or float, default="auto"
        How each district's records age (:mod:`models.risk.recency`): chosen from the records,
        a number of years, or 0 (never discounted).
    complaint_intensity : bool, default=False
        Add the complaint-driven inspections against what is expected of each district as a
        factor (:func:`models.risk.complaints.complaint_intensity`).
    complaint_evidence : bool, default=True
        Read the number of complaint-driven inspections as evidence about each district's own
        effect (the joint fit reads it; the others ignore it).
    hold_range : bool, default=True
        Hold each feature within the range of the inspected districts (today's features and
        those their records saw) when scoring; the districts held say so
        (:meth:`held_features`).

    Attributes
    ----------
    scorer_ : RiskScorer
        The fitted core, its district records discounted with age: what scores.
    undiscounted_ : RiskScorer
        The same fit before the age discount (drift alerts and the selection check read it).
    recency_ : dict
        What the age discount did (``vida_media_anios``, the likelihood of each half-life).
    counts_ : DataFrame
        Inspections ``n`` and findings ``k`` per district key.
    seen_ : DataFrame
        The features each district's records were made under.
    complaints_ : DataFrame or None
        The complaints read as evidence (``c``, ``log_mu`` per district), if any.
    complaint_factor_ : Series or None
        The complaint factor of each district, when ``complaint_intensity``.
    range_ : tuple of Series or None
        Lower and upper bound of each feature (``None``: nothing learnt, or not held).

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.base import clone
    >>> X = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]}, index=["a", "b", "c", "d"])
    >>> records = pd.DataFrame({"ubigeo": ["a", "c", "d", "d"], "hallazgo_tf": [0, 1, 1, 0],
    ...                         "fecha": pd.to_datetime(["2020-01-01"] * 4)})
    >>> model = RiskModel(prior={"x": 1.0}, half_life=0)
    >>> risk = clone(model).fit(X, records).predict_risk(X)
    >>> bool(risk[0] < risk[3])
    True
    """

    def __init__(
        self,
        prior: Mapping[str, float] | None = None,
        prior_strength: float = 10.0,
        selection_correction: str = "joint",
        half_life: float | str = "auto",
        complaint_intensity: bool = False,
        complaint_evidence: bool = True,
        hold_range: bool = True,
    ):
        self.prior = prior
        self.prior_strength = prior_strength
        self.selection_correction = selection_correction
        self.half_life = half_life
        self.complaint_intensity = complaint_intensity
        self.complaint_evidence = complaint_evidence
        self.hold_range = hold_range

    @classmethod
    def from_settings(cls, settings: Settings) -> RiskModel:
        """Return the model ``[model]`` of the settings describes (unfitted).

        Complaints are read as evidence only where :func:`models.risk.complaints.reads_complaints`
        says so (not when they are already a factor, and only by the joint fit).

        Raises
        ------
        ConfigError
            The prior names a feature the model does not use.
        """
        names = list(settings.feature_names)
        prior = {str(k): float(v) for k, v in dict(settings.model.prior).items()}
        unknown = sorted(set(prior) - set(names))
        if unknown:
            raise ConfigError("riesgo.model_prior_nombra_variables", path=settings.path,
                              unknown=', '.join(unknown), names=', '.join(names))
        return cls(prior=prior, prior_strength=float(settings.model.prior_strength),
                   selection_correction=settings.model.selection_correction,
                   half_life=settings.model.half_life,
                   complaint_intensity=bool(settings.model.complaint_intensity),
                   complaint_evidence=complaints.reads_complaints(settings.model))

    def scorer(self, features: Any = None) -> RiskScorer:
        """Return the statistical core this model fits, unfitted.

        ``features``: the columns it will see; the prior is restricted to them.
        """
        prior = dict(self.prior or {})
        if features is not None:
            prior = {f: v for f, v in prior.items() if f in set(features)}
        return RiskScorer(prior=prior, prior_strength=self.prior_strength,
                          selection_correction=self.selection_correction)

    # ------------------------------------------------------------------ fitting
    def fit(self, X: pd.DataFrame, records: pd.DataFrame | None, *, population: Any = None,
            offices: Any = None, history: pd.DataFrame | None = None) -> RiskModel:
        """Fit on the districts' features and their inspection records.

        Parameters
        ----------
        X : DataFrame
            One row per district, index = district key, the model features (no missing
            value: :func:`models.risk.features.feature_matrix`).
        records : DataFrame
            Inspection records (``ubigeo``, ``fecha``, ``hallazgo_tf``, ``origen``); empty:
            the expert prior alone ranks.
        population, offices : array-like, optional
            Each district's population and office (aligned with ``X``): what is expected of
            its complaints.
        history : DataFrame, optional
            The dated layers' past states (:func:`models.risk.features.model_history`).

        Returns
        -------
        self
        """
        keys = X.index.to_numpy()
        factor = (complaints.complaint_intensity(X, population, records)
                  if self.complaint_intensity else None)
        self.complaint_factor_ = None if factor is None else pd.Series(
            factor.to_numpy(), index=X.index, name=complaints.DENUNCIAS)
        X_all = self._with_factor(X)
        # each record paired with the dated layers of its year; today's score reads today's
        seen = history_features(X_all, history, records)
        evidence = (complaints.complaint_counts(seen[list(X.columns)], population, records,
                                                offices)
                    if self.complaint_evidence else None)
        counts = district_counts(records, keys)
        core = self.scorer(X.columns)
        if counts["n"].sum() > 0:
            Xr, yr, wr, gr = training_rows(seen, counts)
            core.fit(Xr, yr, sample_weight=wr, groups=gr, complaints=evidence)
        else:
            core.fit_prior(X_all, groups=keys)
        self.undiscounted_ = copy.deepcopy(core)
        self.scorer_, self.recency_ = recency_fit(core, X_all, keys, records, self.half_life,
                                                  history=history)
        self.counts_, self.seen_, self.complaints_ = counts, seen, evidence
        self.range_ = learnt_range(X_all, seen, counts) if self.hold_range else None
        return self

    # --------------------------------------------------------------- predicting
    def held_features(self, X: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
        """Return the features as scored and, per district, those held at the learnt range.

        The second is ``;``-separated feature names (``""``: none held).
        """
        check_is_fitted(self)
        # never a straight line into the unknown: features beyond what the weights were
        # learnt from are held at the edge of that range, and the district says so
        return hold_in_range(self._with_factor(X), self.range_)

    def predict_risk(self, X: pd.DataFrame) -> np.ndarray:
        """Probability that an inspection in each district of ``X`` finds indicators."""
        check_is_fitted(self)
        held, _ = self.held_features(X)
        return self.scorer_.predict_risk(held, groups=X.index.to_numpy())

    def explain(self, X: pd.DataFrame) -> Explanation:
        """Contributions of each feature and of the district's record, against the average."""
        check_is_fitted(self)
        held, _ = self.held_features(X)
        reference = self._with_factor(X).mean(axis=0).to_numpy()
        return self.scorer_.explain(held, groups=X.index.to_numpy(), reference=reference)

    def simulate_uncertainty(self, X: pd.DataFrame, *, n_draws: int = 200, top_k: int = 10,
                             random_state: int | None = 0) -> pd.DataFrame:
        """Return intervals and the probability of being in the top ``k``.

        By posterior simulation (:func:`models.risk.scorer.simulate_uncertainty`).
        """
        check_is_fitted(self)
        held, _ = self.held_features(X)
        return simulate_uncertainty(self.scorer_, held, X.index.to_numpy(), n_bootstrap=n_draws,
                                    top_k=top_k, random_state=random_state)

    def drift_alerts(self, X: pd.DataFrame, records: pd.DataFrame | None,
                     history: pd.DataFrame | None = None) -> pd.DataFrame:
        """Return the districts whose recent findings or layers disagree with their record.

        Read on the undiscounted record (:func:`models.risk.recency.drift_alerts`).
        """
        check_is_fitted(self)
        return drift_alerts(self.undiscounted_, self._with_factor(X), X.index.to_numpy(),
                            records, history=history)

    def selection_effect(self, X: pd.DataFrame) -> dict[str, Any]:
        """How much the selection correction changes the ranking (for the model card).

        The same model fitted with ``selection_correction = "none"`` (and no complaints as
        evidence): Spearman correlation of the two risk rankings, districts shared by the two
        top 10s, the intercept's shift and, when complaints were evidence, their strength ``g``
        (``denuncias_como_evidencia``, :meth:`models.risk.scorer.RiskScorer._fit_complaint_sd`).
        """
        check_is_fitted(self)
        fitted = self.undiscounted_
        out: dict[str, Any] = {"metodo": self.selection_correction}
        if self.selection_correction == "none" or self.counts_["n"].sum() <= 0 \
                or fitted.re_sd_ <= 0:
            return out
        X_all, keys = self._with_factor(X), X.index.to_numpy()
        plain = self.scorer(X.columns).set_params(selection_correction="none")
        Xr, yr, wr, gr = training_rows(self.seen_, self.counts_)
        plain.fit(Xr, yr, sample_weight=wr, groups=gr)
        a = fitted.predict_risk(X_all, groups=keys)
        b = plain.predict_risk(X_all, groups=keys)
        top = min(10, len(keys))
        shared = len(set(np.argsort(-a)[:top]) & set(np.argsort(-b)[:top]))
        rho = float(pd.Series(a).rank().corr(pd.Series(b).rank()))
        out.update(spearman_con_sin=round(rho, 4), top10_compartidos=int(shared),
                   desplazamiento_intercepto=round(float(getattr(fitted, "selection_shift_",
                                                                 0.0)), 4))
        if getattr(fitted, "complaints_", None) is not None:
            # how strongly the number of complaints moves a district's own effect (0: not at
            # all), out of how much complaints stray from what is expected of a district
            out["denuncias_como_evidencia"] = round(float(fitted.complaint_sd_), 3)
            out["dispersion_denuncias"] = round(float(getattr(fitted, "complaint_spread_",
                                                              0.0)), 3)
        return out

    # ---------------------------------------------------------------- internals
    def _with_factor(self, X: pd.DataFrame) -> pd.DataFrame:
        """``X`` with the complaint factor the fit computed, when the model has one."""
        if self.complaint_factor_ is None:
            return X
        values = self.complaint_factor_.reindex(X.index).to_numpy()
        return X.assign(**{complaints.DENUNCIAS: values})
