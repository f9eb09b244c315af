"""Complaints as the model reads them: a feature of their number, or evidence of an effect.

Inspections that answer a complaint (``origen = denuncia``) carry information about risk in
their *number*: each district's count against what its population, characteristics and
office predict (:func:`complaint_counts`) is either a factor of the model
(:func:`complaint_intensity`, ``[model] complaint_intensity``) or evidence about the
district's own effect in the joint fit (``[model] complaint_evidence``,
:meth:`models.risk.scorer.RiskScorer.fit`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from geo import columns as C
from geo.config import ModelSpec, Settings
from models.risk.features import feature_matrix, history_features, model_history

__all__ = [
    "DENUNCIAS",
    "complaint_counts",
    "complaint_intensity",
    "complaint_records",
    "complaints_for",
    "offices_of",
    "population_of",
    "reads_complaints",
    "with_complaints",
]

#: The model's own feature: how many complaint-driven inspections a district drew against what
#: its population and characteristics predict (:func:`complaint_intensity`).
DENUNCIAS = "denuncias_relativas"


def complaint_intensity(X: pd.DataFrame, population: Any, records: pd.DataFrame | None
                        ) -> pd.Series | None:
    """Complaints a district drew against what is expected of it, on the log scale.

    Inspections that follow complaints (``origen = denuncia``) carry information about risk
    in their *number*, not only in their outcomes: people complain where forced labour is.
    ``log((c_d + 0.5) / (m_d + 0.5))``, with ``c_d`` the district's complaint-driven
    inspections in ``records`` and ``m_d`` what a Poisson regression on its log population
    and its features expects. Planned and random inspections are left out on purpose: they
    follow the plan, and the plan follows the model (a feedback loop).

    Returns
    -------
    Series or None
        Index = ``X.index``; ``None`` without complaint-driven records (or an ``origen``).
    """
    counts = complaint_counts(X, population, records)
    if counts is None:
        return None
    c, expected = counts["c"].to_numpy(), np.exp(counts["log_mu"].to_numpy())
    return pd.Series(np.log((c + 0.5) / (expected + 0.5)), index=X.index, name=DENUNCIAS)


def complaint_counts(X: pd.DataFrame, population: Any, records: pd.DataFrame | None,
                     offices: Any = None) -> pd.DataFrame | None:
    """Each district's complaint-driven inspections and what is expected of it.

    ``c``: the district's inspections with ``origen = denuncia`` in ``records``; ``log_mu``:
    the log of what a Poisson regression of ``c`` on its log population and its features
    expects (every district of ``X``, none inspected included) and, given ``offices`` (the
    department of each district), the office's own volume: each regional office receives
    and handles its own complaints. Planned and random inspections are left out on purpose:
    they follow the plan, and the plan follows the model (a feedback loop).

    Returns
    -------
    DataFrame or None
        Index = ``X.index``; ``None`` without complaint-driven records (or an ``origen``).
    """
    asked = complaint_records(records)
    if asked is None or len(asked) == 0:
        return None
    asked = asked[C.UBIGEO]
    # counted with numpy and one value_counts: this runs inside every fit
    keys = pd.Index([str(k) for k in X.index])
    count = asked.astype(str).value_counts().reindex(keys, fill_value=0).to_numpy(float)
    values = X.to_numpy(float)
    sd = values.std(axis=0)
    design = (values - values.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    if population is not None:
        pop = pd.to_numeric(pd.Series(np.asarray(population)), errors="coerce")
        if pop.notna().any():  # a population column with no value says nothing
            pop = np.log(np.maximum(pop.fillna(pop.median()).to_numpy(float), 1.0))
            design = np.column_stack([pop, design])
    if offices is not None:
        office = pd.Series(np.asarray(offices)).astype(str)
        dummies = pd.get_dummies(office, drop_first=True, dtype=float).to_numpy()
        design = np.column_stack([design, dummies]) if dummies.size else design
    expected = _poisson_fit(design, count)
    return pd.DataFrame({"c": count, "log_mu": np.log(np.maximum(expected, 1e-12))},
                        index=X.index)


def _poisson_fit(design: np.ndarray, count: np.ndarray, ridge: float = 1e-4) -> np.ndarray:
    """Fitted means of a Poisson regression with intercept (Newton, a light ridge).

    >>> x = np.array([[0.0], [1.0], [2.0]])
    >>> np.round(_poisson_fit(x, np.array([1.0, 2.0, 4.0])), 2).tolist()
    [1.0, 2.0, 4.0]
    """
    A = np.column_stack([np.ones(len(count)), design])
    beta = np.zeros(A.shape[1])
    beta[0] = np.log(max(count.mean(), 1e-3))
    penalty = np.r_[0.0, np.full(A.shape[1] - 1, ridge * len(count))]

    def loss(b):
        eta = np.clip(A @ b, -30, 30)
        return float(np.sum(np.exp(eta) - count * eta) + 0.5 * np.sum(penalty * b * b))

    value = loss(beta)
    for _ in range(100):
        mu = np.exp(np.clip(A @ beta, -30, 30))
        grad = A.T @ (mu - count) + penalty * beta
        step = np.linalg.solve((A * mu[:, None]).T @ A + np.diag(penalty + 1e-9), grad)
        t = 1.0
        while t > 1e-6 and loss(beta - t * step) > value + 1e-12:
            t *= 0.5
        beta = beta - t * step
        new = loss(beta)
        if abs(value - new) < 1e-10 * (1.0 + abs(value)):
            break
        value = new
    return np.exp(np.clip(A @ beta, -30, 30))


def complaints_for(settings: Settings, districts: pd.DataFrame, records: pd.DataFrame | None,
                   seen: pd.DataFrame | None = None) -> pd.DataFrame | None:
    """Return :func:`complaint_counts` of the deployment's districts, or ``None``.

    ``None`` when ``[model] complaint_evidence`` is off, when the count is already a factor
    (``complaint_intensity``), when the selection correction is not ``"joint"`` (the only fit
    that reads it), or when the records do not say where complaints came from. ``seen``: the
    features the records saw (:func:`history_features`), when the caller has them already.
    """
    if not reads_complaints(getattr(settings, "model", None)):
        return None
    # what is expected of a district's complaints: from the layers its records saw, as the
    # findings are read (today's where nothing is dated)
    if seen is None:
        seen = history_features(feature_matrix(districts, settings),
                                model_history(districts, settings), records)
    return complaint_counts(seen, population_of(districts), records, offices_of(districts))


def reads_complaints(model: ModelSpec | None) -> bool:
    """Whether ``[model]`` reads the complaints as evidence about each district's effect.

    ``complaint_evidence`` on (the default), and the count used once: not as evidence when it
    is already a factor (``complaint_intensity``); and only the joint fit reads it.
    """
    return bool(getattr(model, "complaint_evidence", True)) and \
        not getattr(model, "complaint_intensity", False) and \
        getattr(model, "selection_correction", "joint") == "joint"


def complaint_records(records: pd.DataFrame | None) -> pd.DataFrame | None:
    """Return the records of inspections that answered a complaint (``origen = denuncia``).

    ``None`` when there are no records or they do not say where inspections came from.
    """
    if records is None or len(records) == 0 or C.ORIGEN not in records.columns:
        return None
    origin = records[C.ORIGEN].astype(str).str.strip().str.lower().to_numpy()
    return records[origin == "denuncia"]


def with_complaints(X: pd.DataFrame, population: Any, records: pd.DataFrame | None,
                    settings: Settings | None = None) -> pd.DataFrame:
    """``X`` with :data:`DENUNCIAS` when the records have complaints and the settings use it."""
    model = getattr(settings, "model", None)
    if model is not None and not getattr(model, "complaint_intensity", False):
        return X
    extra = complaint_intensity(X, population, records)
    return X if extra is None else X.assign(**{DENUNCIAS: extra.to_numpy()})


def population_of(districts: pd.DataFrame):
    """Return the districts' population column (aligned with their rows), or None."""
    return districts[C.POBLACION].to_numpy() if C.POBLACION in districts.columns else None


def offices_of(districts: pd.DataFrame):
    """Return each district's office (its department, as text, aligned with its rows), or None."""
    return (districts[C.DEPARTAMENTO].astype(str).to_numpy()
            if C.DEPARTAMENTO in districts.columns else None)
