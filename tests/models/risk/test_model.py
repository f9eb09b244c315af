"""One model object: the deployed scores and every backtest fold fit the same RiskModel."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from geo import columns as C
from geo.errors import ConfigError
from geo.records.inspections import load_records
from models.evaluation.folds import MODEL, _run_fold
from models.risk.complaints import offices_of, population_of, reads_complaints
from models.risk.features import feature_matrix, model_history, read_district_table
from models.risk.model import RiskModel
from models.risk.score import score_districts


def test_clone_gives_the_deployed_model_unfitted(demo_settings):
    """Every setting of [model] the recipe reads is a parameter: clone() keeps them all."""
    model = RiskModel.from_settings(demo_settings)
    copy = clone(model)
    assert copy is not model
    assert copy.get_params() == model.get_params()
    spec = demo_settings.model
    assert copy.get_params() == {
        "prior": {str(k): float(v) for k, v in dict(spec.prior).items()},
        "prior_strength": float(spec.prior_strength),
        "selection_correction": spec.selection_correction,
        "half_life": spec.half_life,
        "complaint_intensity": spec.complaint_intensity,
        "complaint_evidence": reads_complaints(spec),
        "hold_range": True,
    }
    assert not hasattr(copy, "scorer_")  # unfitted
    # set_params reaches every step: a half-life is the model's, not the caller's
    assert clone(model.set_params(half_life=3.0)).half_life == 3.0


def test_a_fold_and_the_scores_fit_the_same_model(demo_settings, districts_gpkg):
    """Fitted on the same records and layers, a backtest fold ranks as the deployed scores do
    (the same risks, bit for bit); a fold fitted another way would not."""
    districts = read_district_table(demo_settings)
    records = load_records(demo_settings)
    model = RiskModel.from_settings(demo_settings)
    scores = score_districts(demo_settings, districts, records, n_bootstrap=10)
    deployed = scores.set_index(C.UBIGEO)[C.RIESGO]
    X = feature_matrix(districts, demo_settings)

    def fold_risk(fitted_like: RiskModel) -> pd.Series:
        fold = _run_fold("todo", X, list(X.columns), records, records.iloc[:0], fitted_like,
                         0, 0, population=population_of(districts),
                         offices=offices_of(districts),
                         history=model_history(districts, demo_settings))
        return pd.Series(fold.risks[MODEL], index=fold.keys)

    same = fold_risk(model).reindex(deployed.index)
    np.testing.assert_array_equal(same.to_numpy(), deployed.to_numpy())
    # the test can fail: another recipe in the fold gives other risks
    other = fold_risk(clone(model).set_params(selection_correction="none"))
    assert not np.allclose(other.reindex(deployed.index).to_numpy(), deployed.to_numpy(),
                           rtol=0, atol=1e-12)


def test_the_model_refuses_a_prior_on_an_unknown_feature(demo_settings):
    bad = dataclasses.replace(demo_settings, model=dataclasses.replace(
        demo_settings.model, prior={**dict(demo_settings.model.prior), "no_existe": 1.0}))
    with pytest.raises(ConfigError):
        RiskModel.from_settings(bad)
