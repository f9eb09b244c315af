"""Missing is not zero, and no straight line into the unknown (issue 20, the model's side).

A district a public source does not cover has no value; the model leaves the term out and
learns what being uncovered says from a ``falta_*`` feature. A district whose features lie
beyond what the weights were learnt from is scored at the edge of that range and flagged.
"""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy import special

from geo import columns as C
from geo.errors import DataError
from geo.records.inspections import load_records
from models.risk.score import (
    FALTA_PREFIX,
    FUERA_RANGO,
    SIN_DATO,
    feature_matrix,
    fill_missing,
    hold_in_range,
    learnt_range,
    model_history,
    score_districts,
)
from models.risk.scorer import feature_label


@pytest.fixture(scope="module")
def districts(districts_gpkg):
    return gpd.read_file(districts_gpkg, layer="distritos")


@pytest.fixture(scope="module")
def records(demo_settings):
    return load_records(demo_settings)


def _layer(settings) -> str:
    """A layer every district has a value of (the default world's forest loss: zero where
    GeoBosques lists no Amazon forest), so that the tests choose who lacks it."""
    table = settings.layers
    return next(layer.name for layer in table if layer.missing == "zero")


def test_a_missing_value_leaves_its_term_out_and_is_a_feature_of_its_own(demo_settings,
                                                                           districts):
    name = _layer(demo_settings)
    table = districts.copy()
    gone = table.index % 3 == 0
    table.loc[gone, name] = np.nan
    X = feature_matrix(table, demo_settings)
    assert not X.isna().any().any()
    flag = FALTA_PREFIX + name
    assert X[flag].tolist() == gone.astype(float).tolist()
    assert X.attrs["faltantes"][flag] == (name,)
    # the filled value is the observed mean: standardised over the districts, it is 0
    z = (X[name] - X[name].mean()) / X[name].std(ddof=0)
    np.testing.assert_allclose(z[gone], 0.0, atol=1e-9)
    raw = pd.to_numeric(table.loc[~gone, name]).astype(float).to_numpy()
    logged = name in demo_settings.model.log_features
    np.testing.assert_allclose(X.loc[~gone, name], np.log1p(raw) if logged else raw)


def test_layers_missing_together_share_one_indicator():
    X = pd.DataFrame({"a": [1.0, np.nan, 3.0, np.nan], "b": [np.nan, 1.0, 2.0, 3.0],
                      "c": [5.0, np.nan, 1.0, np.nan]})
    out = fill_missing(X)
    assert out.attrs["faltantes"] == {"falta_a": ("a", "c"), "falta_b": ("b",)}
    assert list(out.columns) == ["a", "b", "c", "falta_a", "falta_b"]
    assert fill_missing(X.fillna(0.0)).attrs["faltantes"] == {}
    assert feature_label("falta_pobreza_monetaria") == "Sin dato público: Pobreza monetaria (%)"


def test_scores_with_missing_layers_say_which_and_never_read_them_as_zero(demo_settings,
                                                                          districts, records):
    name = _layer(demo_settings)
    table = districts.copy()
    gone = table.index % 3 == 0
    table.loc[gone, name] = np.nan
    gdf = score_districts(demo_settings, districts=table, inspections=records, n_bootstrap=30)
    by = gdf.set_index(C.UBIGEO)
    missing = set(table.loc[gone, C.UBIGEO])
    said = by[SIN_DATO].str.split(";")
    assert set(by.index[said.map(lambda names: name in names)]) == missing
    assert not said[~by.index.isin(missing)].map(lambda names: name in names).any()
    assert by[C.RIESGO].notna().all()
    # the layer's own term is out; the indicator speaks for it
    assert np.allclose(by.loc[list(missing), C.CONTRIB_PREFIX + name], 0.0, atol=1e-9)
    flag = C.CONTRIB_PREFIX + FALTA_PREFIX + name
    assert flag in by.columns
    assert by.loc[list(missing), flag].nunique() == 1
    contrib = [c for c in gdf.columns if c.startswith(C.CONTRIB_PREFIX)]
    np.testing.assert_allclose(special.expit(gdf.attrs["logit_base"] + gdf[contrib].sum(axis=1)),
                               gdf[C.RIESGO], rtol=1e-9)
    # read as zero, the districts' risks would differ: the fix can fail
    zero = table.copy()
    zero.loc[gone, name] = 0.0
    as_zero = score_districts(demo_settings, districts=zero, inspections=records,
                              n_bootstrap=30).set_index(C.UBIGEO)
    assert not np.allclose(as_zero.loc[list(missing), C.RIESGO], by.loc[list(missing), C.RIESGO])


def test_a_district_far_beyond_the_learnt_range_is_flagged_and_not_extrapolated(
        demo_settings, districts, records, monkeypatch):
    name = C.LEJANIA  # a feature the model reads as it is (not as log(1 + x))
    table = districts.copy()
    seen = set(records[C.UBIGEO].astype(str))
    never = table.index[~table[C.UBIGEO].isin(seen)]
    if len(never) == 0:  # every district inspected: drop one district's records
        target = table[C.UBIGEO].iloc[0]
        records = records[records[C.UBIGEO].astype(str) != target]
        never = table.index[table[C.UBIGEO] == target]
    i = never[0]
    top = pd.to_numeric(table[name]).max()
    table.loc[i, name] = 20 * top + 1.0
    far = score_districts(demo_settings, districts=table, inspections=records,
                          n_bootstrap=40).set_index(C.UBIGEO)
    code = table.loc[i, C.UBIGEO]
    assert name in far.loc[code, FUERA_RANGO].split(";")
    assert (far.drop(index=code)[FUERA_RANGO] == "").all()
    # scored as if at the edge of what was learnt: the same risk as there
    edge = table.copy()
    inspected = edge[C.UBIGEO].isin(set(records[C.UBIGEO].astype(str)))
    edge.loc[i, name] = pd.to_numeric(edge.loc[inspected, name]).max()
    at_edge = score_districts(demo_settings, districts=edge, inspections=records,
                              n_bootstrap=40).set_index(C.UBIGEO)
    # (the standardisation still counts the far value, so the two fits differ a little)
    assert far.loc[code, C.RIESGO] == pytest.approx(at_edge.loc[code, C.RIESGO], rel=0.5)
    # a straight line would have gone far away: the fix can fail
    import models.risk.model as score_module

    monkeypatch.setattr(score_module, "hold_in_range",
                        lambda X, bounds: (X, pd.Series("", index=X.index, dtype=object)))
    line = score_districts(demo_settings, districts=table, inspections=records,
                           n_bootstrap=40).set_index(C.UBIGEO)
    jump = abs(line.loc[code, C.RIESGO] - far.loc[code, C.RIESGO])
    assert jump > 10 * abs(far.loc[code, C.RIESGO] - at_edge.loc[code, C.RIESGO]), (
        line.loc[code, C.RIESGO], far.loc[code, C.RIESGO], at_edge.loc[code, C.RIESGO])


def test_hold_in_range_and_learnt_range():
    X = pd.DataFrame({"a": [0.0, 2.0, 50.0]}, index=["x", "y", "z"])
    counts = pd.DataFrame({"n": [3.0, 1.0, 0.0], "k": [1.0, 0.0, 0.0]}, index=["x", "y", "z"])
    bounds = learnt_range(X, None, counts)
    assert bounds[0]["a"] == 0.0 and bounds[1]["a"] == 2.0
    held, out = hold_in_range(X, bounds)
    assert held["a"].tolist() == [0.0, 2.0, 2.0]
    assert out.tolist() == ["", "", "a"]
    assert learnt_range(X, None, counts.assign(n=0.0)) is None


def _with_logs(settings, names):
    model = settings.model
    if not hasattr(model, "log_features"):
        pytest.skip("ModelSpec has no log_features yet")
    return dataclasses.replace(settings, model=dataclasses.replace(model, log_features=names))


def test_log_features_are_logged_today_and_in_the_past(demo_settings, districts):
    name = _layer(demo_settings)
    settings = _with_logs(demo_settings, (name,))
    X = feature_matrix(districts, settings)
    np.testing.assert_allclose(X[name], np.log1p(pd.to_numeric(districts[name]).to_numpy()))
    bad = districts.copy()
    bad.loc[0, name] = -1.0
    with pytest.raises(DataError, match="log_features"):
        feature_matrix(bad, settings)


def test_model_history_logs_and_forgets_the_past_of_a_district_missing_today(demo_settings,
                                                                             districts):
    from geo.geography.build import HISTORY_TABLE, LayerHistory

    name = _layer(demo_settings)
    keys = districts[C.UBIGEO].astype(str)
    past = pd.DataFrame({name: np.arange(2 * len(keys), dtype=float)},
                        index=pd.MultiIndex.from_product([keys, [2015, 2020]],
                                                         names=[C.UBIGEO, "anio"]))
    table = districts.copy()
    table.loc[0, name] = np.nan
    table.attrs[HISTORY_TABLE] = LayerHistory(past)
    settings = _with_logs(demo_settings, (name,))
    history = model_history(table, settings)
    first = keys.iloc[0]
    assert history.loc[first, name].isna().all()
    other = keys.iloc[1]
    np.testing.assert_allclose(history.loc[other, name], np.log1p(past.loc[other, name]))
