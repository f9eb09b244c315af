"""Backtest folds: every model fitted on the past (or other provinces) and scored on the rest.

- **Temporal backtest**: for every year ``t`` with data, fit on records up to ``t`` and score
  the districts for ``t + 1``; the test findings are that next year's.
- **Spatial block cross-validation**: leave one province out at a time; its districts are
  scored from features alone by a model that never saw them. No random splits of spatial data.

Every model is fitted and scored on exactly the same folds: the risk model as deployed
(``clone`` of :class:`models.risk.model.RiskModel`, the recipe
:func:`models.risk.score.score_districts` runs) and each baseline of
:mod:`models.evaluation.baselines`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.polynomial.hermite_e import hermegauss
from scipy import special
from sklearn.base import clone

from geo import columns as C
from models.evaluation import metrics as M
from models.evaluation.baselines import default_baselines
from models.risk.features import district_counts, features_in, training_rows
from models.risk.model import RiskModel

__all__ = [
    "MODEL",
    "ORACLE",
    "Fold",
    "backtest_folds",
    "bayes_ceiling",
    "spatial_folds",
    "truth_in",
]

#: Name of the risk model in the tables (baselines use their own names).
MODEL = "modelo"
#: The oracle: ranks by the true risk (simulated worlds only) — the ceiling, not a competitor.
ORACLE = "oraculo"


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
    model: RiskModel | None = None,
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
        Add :data:`models.risk.complaints.DENUNCIAS` from each fold's training records.
    complaint_evidence : bool
        Let each fold's training complaints inform the district effects
        (:func:`models.risk.complaints.complaint_counts`, the shared-parameter model of the scorer).
    offices : array-like, optional
        Department of each district (rows of ``table``): each office its own volume of
        complaints.
    history : DataFrame, optional
        The dated layers' past states (:func:`geo.geography.build.read_layer_history`): each fold
        trains on the layers of its records' years and scores ``t + 1`` with the layers as
        they stood at the end of ``t`` (no fold sees a layer from after its test year began).
    model : RiskModel, optional
        The model every fold fits (a ``clone``, as the deployed scores do): the deployment's
        is :meth:`models.risk.model.RiskModel.from_settings`. Default: the one ``prior``,
        ``prior_strength``, ``half_life``, ``selection_correction``, ``complaints`` and
        ``complaint_evidence`` describe (they are not read when ``model`` is given).

    Returns
    -------
    list of Fold
    """
    if records is None or len(records) == 0:
        return []
    if model is None:
        model = RiskModel(prior=dict(prior), prior_strength=prior_strength,
                          selection_correction=selection_correction, half_life=half_life,
                          complaint_intensity=complaints, complaint_evidence=complaint_evidence)
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
                               train, test, model, n_uncertainty, seed,
                               truth_in(truth, t + 1), population=population,
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
    model: RiskModel | None = None,
) -> list[Fold]:
    """Spatial block cross-validation: leave one province out, pooled into one fold.

    Each province's districts are scored by models fitted on the other provinces' records
    only (their own record unseen, so the risk model relies on its features). The test
    findings are all of the district's records.

    Parameters
    ----------
    blocks : Series
        Block (province) of each district, index = ubigeo.
    model : RiskModel, optional
        The model every fold fits (a ``clone``). Default: the one ``prior``,
        ``prior_strength``, ``complaints`` and ``complaint_evidence`` describe, with the
        default half-life and selection correction.

    Returns
    -------
    list of Fold
        One pooled fold (``"provincias"``), or none without records.
    """
    if records is None or len(records) == 0:
        return []
    if model is None:
        model = RiskModel(prior=dict(prior), prior_strength=prior_strength,
                          complaint_intensity=complaints, complaint_evidence=complaint_evidence)
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
        part = _run_fold(b, table, features, train, train.iloc[:0], model, 0, seed, truth,
                         population=population, offices=offices, history=history)
        for m in part.scores:
            scores.setdefault(m, np.zeros(len(keys)))
            risks.setdefault(m, np.zeros(len(keys)))
            # a ranking score from different fits is only comparable through its probability
            scores[m][held] = part.risks[m][held] if m != "aleatorio" else part.scores[m][held]
            risks[m][held] = part.risks[m][held]
    test = district_counts(records, keys)
    fold = Fold("provincias", keys, test["n"].to_numpy(), test["k"].to_numpy(), scores, risks)
    return [fold]



def _run_fold(name, table, features, train, test, model, n_uncertainty, seed, truth=None,
              population=None, offices=None, history=None) -> Fold:
    """Fit every model on ``train`` and score the districts of ``table`` for ``test``."""
    keys = table.index.to_numpy()
    X = table[list(features)]
    tr = district_counts(train, keys)
    te = district_counts(test, keys)
    fold = Fold(name, keys, te["n"].to_numpy(), te["k"].to_numpy())
    # the deployed recipe, on the training records only
    fitted = clone(model).fit(X, train, population=population, offices=offices,
                              history=history)
    risk = fitted.predict_risk(X)
    fold.scores[MODEL] = risk
    fold.risks[MODEL] = risk
    if n_uncertainty:
        unc = fitted.simulate_uncertainty(X, n_draws=n_uncertainty, random_state=seed)
        fold.lower = np.minimum(unc[C.RIESGO_P05].to_numpy(), risk)
        fold.upper = np.maximum(unc[C.RIESGO_P95].to_numpy(), risk)
    for bname, base in default_baselines(model.prior or {}, seed).items():
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
