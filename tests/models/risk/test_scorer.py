"""RiskScorer: scikit-learn contract, shrinkage, additivity, expert prior, uncertainty."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.utils.estimator_checks import parametrize_with_checks

from models.evaluation.synthetic import TRUE_WEIGHTS, make_world
from models.risk.score import district_counts, training_rows
from models.risk.scorer import HISTORIAL, RiskScorer, feature_label, simulate_uncertainty

PRIOR = {"mineria": 0.5, "pobreza": 0.5, "lejania": 0.3}


@parametrize_with_checks([RiskScorer(), RiskScorer(prior_strength=10.0, shrinkage=False)])
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def world():
    return make_world(n_districts=169, n_years=10, seed=3)


def _fit(world, records=None, **kw):
    X = world.features
    counts = district_counts(world.records if records is None else records, X.index)
    Xr, y, w, g = training_rows(X, counts)
    return RiskScorer(prior=PRIOR, **kw).fit(Xr, y, sample_weight=w, groups=g), counts


def test_recovers_the_truth_of_a_synthetic_world(world):
    model, _ = _fit(world)
    X = world.features
    risk = model.predict_risk(X, groups=X.index)
    assert stats.spearmanr(risk, world.truth)[0] > 0.7
    # mining, the strongest true weight, is recovered with the right sign and size
    coef = dict(zip(X.columns, model.coef_.ravel(), strict=True))
    assert coef["mineria"] == pytest.approx(TRUE_WEIGHTS["mineria"], abs=0.35)


def test_one_lucky_finding_never_ranks_first(world):
    X = world.features.copy()
    # a new district with average features, inspected once, with a finding
    X.loc["999999"] = X.mean()
    lucky = pd.DataFrame({"fecha": [pd.Timestamp("2025-06-01")], "ubigeo": ["999999"],
                          "hallazgo_tf": [1]})
    records = pd.concat([world.records, lucky], ignore_index=True)
    counts = district_counts(records, X.index)
    Xr, y, w, g = training_rows(X, counts)
    model = RiskScorer(prior=PRIOR).fit(Xr, y, sample_weight=w, groups=g)
    risk = pd.Series(model.predict_risk(X, groups=X.index), index=X.index)
    raw_rate = counts["k"] / counts["n"].where(counts["n"] > 0)
    assert raw_rate.idxmax() == "999999" or raw_rate.max() == 1.0  # the naive rate puts it on top
    assert risk.rank(ascending=False)["999999"] > 10
    # shrunk toward its features: far below the raw 100 %
    assert risk["999999"] < 0.5


def test_contributions_add_up_to_the_logit(world):
    model, counts = _fit(world)
    X = world.features
    e = model.explain(X, groups=X.index)
    total = e.base + e.contributions.sum(axis=1).to_numpy()
    np.testing.assert_allclose(total, model.decision_function(X, groups=X.index), atol=1e-10)
    assert list(e.contributions.columns) == [*X.columns, HISTORIAL]
    # the average district's features contribute nothing
    avg = model.explain(X.mean().to_frame().T, reference=X.mean().to_numpy())
    np.testing.assert_allclose(avg.contributions[list(X.columns)].to_numpy(), 0.0, atol=1e-12)
    # never-inspected districts have no record effect
    never = counts["n"].to_numpy() == 0
    np.testing.assert_allclose(e.contributions[HISTORIAL].to_numpy()[never], 0.0, atol=1e-9)


def test_no_inspections_ranks_by_the_expert_index(world):
    X = world.features
    model = RiskScorer(prior=PRIOR).fit_prior(X, groups=X.index)
    z = (X - X.mean()) / X.std(ddof=0)
    index = sum(PRIOR[c] * z[c] for c in PRIOR)
    risk = model.predict_risk(X, groups=X.index)
    assert stats.spearmanr(risk, index)[0] == pytest.approx(1.0)
    np.testing.assert_allclose(model.coef_.ravel(), [PRIOR[c] for c in X.columns])


def test_thin_data_leans_on_the_prior(world):
    wrong_prior = {"mineria": -1.0, "pobreza": 0.0, "lejania": 0.0}
    few = world.records.iloc[:15]
    thin = RiskScorer(prior=wrong_prior, prior_strength=5.0)
    thick = RiskScorer(prior=wrong_prior, prior_strength=5.0)
    X = world.features
    for model, recs in ((thin, few), (thick, world.records)):
        Xr, y, w, g = training_rows(X, district_counts(recs, X.index))
        model.fit(Xr, y, sample_weight=w, groups=g)
    mine = list(X.columns).index("mineria")
    assert abs(thin.coef_[0, mine] - (-1.0)) < abs(thick.coef_[0, mine] - (-1.0))
    assert thick.coef_[0, mine] > thin.coef_[0, mine]


def test_uncertainty_intervals_and_top_k(world):
    model, _ = _fit(world)
    X = world.features
    unc = simulate_uncertainty(model, X, X.index.to_numpy(), n_bootstrap=150, random_state=1)
    risk = model.predict_risk(X, groups=X.index)
    assert (unc["riesgo_p05"] <= unc["riesgo_p95"]).all()
    assert unc["prob_top10"].sum() == pytest.approx(10.0)
    inside = (risk >= unc["riesgo_p05"]) & (risk <= unc["riesgo_p95"])
    assert inside.mean() > 0.95
    covered = (world.truth >= unc["riesgo_p05"]) & (world.truth <= unc["riesgo_p95"])
    assert 0.75 <= covered.mean() <= 1.0


def test_uncertainty_without_inspections_comes_from_the_prior(world):
    X = world.features
    model = RiskScorer(prior=PRIOR).fit_prior(X, groups=X.index)
    unc = simulate_uncertainty(model, X, X.index.to_numpy(), n_bootstrap=100)
    assert (unc["riesgo_p95"] - unc["riesgo_p05"] > 0).all()


def test_prior_must_name_features():
    X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match="prior"):
        RiskScorer(prior={"b": 1.0}).fit(X, [0, 1, 0, 1])


def test_coefficients_table_speaks_spanish(world):
    model, _ = _fit(world)
    table = model.coefficients({"mineria": "Concesiones mineras"})
    assert table.loc[0, "nombre"] == "Concesiones mineras"
    assert feature_label("lejania_km").startswith("Lejanía")
    np.testing.assert_allclose(table["razon_de_odds"], np.exp(table["peso"]))


def test_empirical_bayes_trusts_a_right_prior_more_than_a_wrong_one(world):
    X = world.features
    Xr, y, w, g = training_rows(X, district_counts(world.records, X.index))
    wrong = {"mineria": -1.0, "pobreza": -0.5, "lejania": 0.0}
    right = RiskScorer(prior=TRUE_WEIGHTS, prior_strength=1e3).fit(Xr, y, sample_weight=w,
                                                                   groups=g)
    bad = RiskScorer(prior=wrong, prior_strength=1e3).fit(Xr, y, sample_weight=w, groups=g)
    assert 0.01 <= bad.prior_strength_ < right.prior_strength_ <= 1e3
    # the records override a wrong expert: mining comes out positive anyway
    assert bad.coef_[0, list(X.columns).index("mineria")] > 0


def test_prior_strength_is_a_cap_or_the_value_used(world):
    X = world.features
    Xr, y, w, g = training_rows(X, district_counts(world.records, X.index))
    capped = RiskScorer(prior=TRUE_WEIGHTS, prior_strength=0.5).fit(Xr, y, sample_weight=w,
                                                                     groups=g)
    assert 0.01 <= capped.prior_strength_ <= 0.5
    fixed = RiskScorer(prior=PRIOR, prior_strength=2.0, empirical_bayes=False).fit(
        Xr, y, sample_weight=w, groups=g)
    assert fixed.prior_strength_ == 2.0


@pytest.mark.parametrize("noise_sd", [0.1, 1.2])
def test_district_effect_spread_is_estimated(noise_sd):
    w = make_world(n_districts=169, n_years=10, seed=4, noise_sd=noise_sd,
                   inspections_per_year=300.0)
    model, _ = _fit(w)
    assert model.re_sd_weights_.sum() == pytest.approx(1.0)
    assert model.re_sd_grid_[0] == 0.0 and model.re_sd_weights_[0] == 0.0  # never exactly 0
    if noise_sd > 1:
        assert 0.7 < model.re_sd_ < 1.8
    else:
        assert model.re_sd_ < 0.45


def test_intervals_widen_with_the_unexplained_variation(world):
    # the same records, but a prior belief in a larger district effect: wider intervals
    # for never-inspected districts, whose risk their features explain only in part
    model, counts = _fit(world)
    X = world.features
    never = counts["n"].to_numpy() == 0
    assert never.any()
    unc = simulate_uncertainty(model, X, X.index.to_numpy(), n_bootstrap=300, random_state=0)
    width = (unc["riesgo_p95"] - unc["riesgo_p05"]).to_numpy()
    # never-inspected: nothing but features and the spread of u; inspected ones learn from
    # their record, so their intervals are narrower relative to their level
    rel = width / model.predict_risk(X, groups=X.index)
    assert np.median(rel[never]) > np.median(rel[counts["n"].to_numpy() >= 10])
    covered = (world.truth >= unc["riesgo_p05"]) & (world.truth <= unc["riesgo_p95"])
    assert 0.8 <= covered[never].mean() <= 1.0
