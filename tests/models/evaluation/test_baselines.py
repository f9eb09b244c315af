"""Baselines: hand-computed rankings and probabilities on tiny tables."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from models.evaluation import metrics as M
from models.evaluation.baselines import (
    ExpertIndexBaseline,
    OneFeatureBaseline,
    PastRateBaseline,
    RandomBaseline,
    default_baselines,
)

X = pd.DataFrame({"pobreza_monetaria": [10.0, 50.0, 30.0], "mineria": [0.0, 0.0, 1.0]},
                 index=["a", "b", "c"])


def _rows():
    # district a: 4 inspections 1 finding; b: 2 inspections 0; c: never inspected
    Xr = pd.concat([X, X], ignore_index=True)
    y = np.array([1, 1, 1, 0, 0, 0])
    w = np.array([1.0, 0.0, 0.0, 3.0, 2.0, 0.0])
    g = np.array(["a", "b", "c", "a", "b", "c"])
    return Xr, y, w, g


def test_past_rate_ranks_by_k_over_n_and_fills_the_overall_rate():
    Xr, y, w, g = _rows()
    b = PastRateBaseline().fit(Xr, y, sample_weight=w, groups=g)
    np.testing.assert_allclose(b.predict_risk(X, groups=X.index), [0.25, 0.0, 1 / 6])
    assert list(np.argsort(-b.decision_function(X, groups=X.index))) == [0, 2, 1]


def test_past_rate_needs_groups():
    Xr, y, w, _ = _rows()
    with pytest.raises(ValueError, match="groups"):
        PastRateBaseline().fit(Xr, y, sample_weight=w)


def test_poverty_alone_ranks_by_poverty():
    Xr, y, w, g = _rows()
    b = OneFeatureBaseline("pobreza_monetaria").fit(Xr, y, sample_weight=w, groups=g)
    assert list(np.argsort(-b.decision_function(X))) == [1, 2, 0]
    p = b.predict_risk(X)
    assert ((p > 0) & (p < 1)).all()
    # the calibration is monotone non-decreasing in the feature
    assert p[1] >= p[2] >= p[0]


def test_expert_index_is_the_prior_weighted_z_score():
    Xr, y, w, g = _rows()
    b = ExpertIndexBaseline({"mineria": 2.0}).fit(Xr, y, sample_weight=w, groups=g)
    z = (X["mineria"] - X["mineria"].mean()) / X["mineria"].std(ddof=0)
    np.testing.assert_allclose(b.decision_function(X), 2.0 * z)


def test_random_ranks_nobody_first_and_uses_the_training_rate():
    Xr, y, w, g = _rows()
    a = RandomBaseline(random_state=1).fit(Xr, y, sample_weight=w, groups=g)
    # no information: one score for all, so every order is equally likely
    np.testing.assert_array_equal(a.decision_function(X), np.zeros(3))
    np.testing.assert_allclose(a.predict_risk(X), 1 / 6)
    # a concrete order for display is a seeded draw
    b = RandomBaseline(random_state=1).fit(Xr, y, sample_weight=w, groups=g)
    np.testing.assert_array_equal(a.sample_order(X), b.sample_order(X))


def test_random_hit_rate_is_the_expectation_k_over_n_and_lift_one():
    Xr, y, w, g = _rows()
    b = RandomBaseline(random_state=1).fit(Xr, y, sample_weight=w, groups=g)
    big = pd.DataFrame({"pobreza_monetaria": np.arange(169.0), "mineria": 0.0})
    findings = np.zeros(169)
    findings[:5] = 3.0  # all findings in five districts: one lucky draw could hit them all
    for k in (1, 10, 20):
        assert M.hit_rate_at_k(b.decision_function(big), findings, k) == pytest.approx(k / 169)
        assert M.lift_at_k(b.decision_function(big), findings, k) == pytest.approx(1.0)
    # the expectation equals the mean over all orders (exhaustively, on 4 districts)
    f4 = np.array([2.0, 0.0, 1.0, 1.0])
    perms = list(itertools.permutations(range(4)))
    mean = np.mean([M.hit_rate_at_k(-np.array(p, float), f4, 2) for p in perms])
    assert M.hit_rate_at_k(np.zeros(4), f4, 2) == pytest.approx(mean) == pytest.approx(0.5)


def test_all_zero_weights_are_refused():
    Xr, y, _, g = _rows()
    for b in default_baselines({"mineria": 1.0}).values():
        with pytest.raises(ValueError, match="weight"):
            b.fit(Xr, y, sample_weight=np.zeros(len(y)), groups=g)
