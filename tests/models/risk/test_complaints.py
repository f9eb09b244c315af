"""Complaints as evidence about each district's own effect (issue 11, a shared-parameter model).

A district's complaint-driven inspections ``c ~ Poisson(mu e^(g s - g^2/2))`` share the
standardised effect ``s`` with its findings ``k ~ Binomial(n, expit(eta + tau s))``; ``mu`` is
what its population and characteristics predict, ``g`` is estimated from the data
(``models.risk.scorer.RiskScorer._fit_complaint_sd``). Hand-made worlds: 400 districts, spread 0.8,
complaints following the effect (``power``) or not at all.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import special

from geo import columns as C


def _world(seed: int, power: float, tau: float = 0.8, districts: int = 400, noise: float = 0.0):
    """Rows for ``RiskScorer.fit``, the complaints frame and the truth.

    ``noise``: standard deviation of a log complaint rate that has nothing to do with risk
    (real complaint counts vary more than a Poisson count: unions, radio, roads).
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(size=districts)
    u = rng.normal(0.0, tau, districts)
    e = rng.normal(0.0, noise, districts) if noise else np.zeros(districts)
    mean = 1.5  # complaints per district, on average over the effect
    c = rng.poisson(mean * np.exp(power * u - 0.5 * (power * tau) ** 2 + e - 0.5 * noise**2))
    n = c + rng.poisson(1.0, districts)  # plus planned visits that ignore the effect
    k = rng.binomial(n, special.expit(-2.0 + 0.5 * x + u))
    keys = np.array([f"{i:06d}" for i in range(districts)])
    X = pd.DataFrame({"x": np.concatenate([x, x])})
    y = np.r_[np.ones(districts), np.zeros(districts)].astype(int)
    w = np.r_[k, n - k].astype(float)
    groups = np.r_[keys, keys]
    complaints = pd.DataFrame({"c": c.astype(float), "log_mu": np.full(districts, np.log(mean))},
                              index=keys)
    return X, y, w, groups, complaints, u, keys


def _fit(world, with_complaints: bool):
    from models.risk.scorer import RiskScorer

    X, y, w, groups, complaints, _, _ = world
    return RiskScorer(prior=[0.0], prior_strength=0.01).fit(
        X, y, sample_weight=w, groups=groups,
        complaints=complaints if with_complaints else None)


@pytest.mark.parametrize("seed", range(3))
def test_complaints_that_follow_the_effect_are_found_and_sharpen_each_district(seed):
    """True g = power * tau = 0.8: estimated near it; each district's effect is then closer
    to the truth, above all where findings are few."""
    world = _world(seed, power=1.0)
    _, _, _, _, _, u, keys = world
    X1 = pd.DataFrame({"x": world[0]["x"].to_numpy()[: len(keys)]}, index=keys)
    without, with_ = _fit(world, False), _fit(world, True)
    assert without.complaint_sd_ == 0.0
    assert 0.5 < with_.complaint_sd_ < 1.1, with_.complaint_sd_

    def effect(m):
        return m.decision_function(X1, groups=keys) - m.decision_function(X1)

    err_without = np.mean((effect(without) - u) ** 2)
    err_with = np.mean((effect(with_) - u) ** 2)
    assert err_with < 0.9 * err_without, (err_with, err_without)


@pytest.mark.parametrize("seed", range(3))
def test_complaints_that_say_nothing_change_nothing(seed):
    """Complaints independent of the effect: g is estimated at (or next to) 0 and the risks
    are those of the model without them."""
    world = _world(seed, power=0.0)
    _, _, _, _, _, _, keys = world
    X1 = pd.DataFrame({"x": world[0]["x"].to_numpy()[: len(keys)]}, index=keys)
    without, with_ = _fit(world, False), _fit(world, True)
    assert with_.complaint_sd_ < 0.2
    a = without.predict_risk(X1, groups=keys)
    b = with_.predict_risk(X1, groups=keys)
    assert np.max(np.abs(a - b)) < 0.02


@pytest.mark.parametrize("seed", range(3))
def test_complaints_noisy_for_other_reasons_are_not_credited_to_risk(seed):
    """Complaint rates spread by a log-sd of 1 for reasons unrelated to risk: counted as
    Poisson, that spread would all be read as the district's effect (g near 1, tau halved);
    the negative binomial keeps it as noise, so g stays small and tau and the risks stay
    those of the model without complaints."""
    world = _world(seed, power=0.0, noise=1.0)
    _, _, _, _, _, _, keys = world
    X1 = pd.DataFrame({"x": world[0]["x"].to_numpy()[: len(keys)]}, index=keys)
    without, with_ = _fit(world, False), _fit(world, True)
    assert 0.7 < with_.complaint_spread_ < 1.4  # a log-sd of 1 drawn
    assert with_.complaint_sd_ < 0.35, with_.complaint_sd_
    assert with_.re_sd_ > 0.8 * without.re_sd_, (with_.re_sd_, without.re_sd_)
    a = without.predict_risk(X1, groups=keys)
    b = with_.predict_risk(X1, groups=keys)
    assert np.max(np.abs(a - b)) < 0.05


def test_a_district_never_inspected_reads_its_lack_of_complaints():
    """No inspection at all: its findings say nothing, but no complaint where many were
    expected lowers its risk below what its features give, and many complaints raise it."""
    from models.risk.scorer import simulate_uncertainty

    world = _world(0, power=1.0)
    X, y, w, groups, complaints, _, keys = world
    d = len(keys)
    w = w.copy()
    w[[0, d]] = 0.0  # district 0: never inspected
    w[[1, d + 1]] = 0.0  # district 1: never inspected
    complaints = complaints.copy()
    complaints.loc[keys[0], ["c", "log_mu"]] = [0.0, np.log(6.0)]
    complaints.loc[keys[1], ["c", "log_mu"]] = [0.0, np.log(1.5)]
    from models.risk.scorer import RiskScorer

    m = RiskScorer(prior=[0.0], prior_strength=0.01).fit(
        X, y, sample_weight=w, groups=groups, complaints=complaints)
    X1 = pd.DataFrame({"x": X["x"].to_numpy()[:d]}, index=keys)
    features_only = m.predict_risk(X1.iloc[:2])
    risk = m.predict_risk(X1.iloc[:2], groups=keys[:2])
    assert risk[0] < 0.85 * features_only[0]
    # district 1 expected 1.5 complaints and drew none: a little lower, much less so
    assert risk[0] / features_only[0] < risk[1] / features_only[1] <= 1.0
    # the interval reads it too: both ends below those of the model without complaints
    m0 = RiskScorer(prior=[0.0], prior_strength=0.01).fit(X, y, sample_weight=w, groups=groups)
    unc = simulate_uncertainty(m, X1, keys, n_bootstrap=400, random_state=0)
    unc0 = simulate_uncertainty(m0, X1, keys, n_bootstrap=400, random_state=0)
    for col in (C.RIESGO_P05, C.RIESGO_P95):
        assert unc[col].iloc[0] < unc0[col].iloc[0], col


def test_the_complaints_frame_is_checked():
    from models.risk.scorer import RiskScorer

    X, y, w, groups, complaints, _, _ = _world(0, power=1.0)
    m = RiskScorer(prior=[0.0])
    with pytest.raises(ValueError, match="log_mu"):
        m.fit(X, y, sample_weight=w, groups=groups, complaints=complaints[["c"]])
    bad = complaints.copy()
    bad.iloc[0, 0] = -1.0
    with pytest.raises(ValueError, match="counts >= 0"):
        m.fit(X, y, sample_weight=w, groups=groups, complaints=bad)
    with pytest.raises(ValueError, match="repeated keys"):
        m.fit(X, y, sample_weight=w, groups=groups,
              complaints=pd.concat([complaints, complaints.iloc[:1]]))
    # keys of another kind (numbers where the districts are "000001"...): said, not ignored
    with pytest.raises(ValueError, match="no row for any district key"):
        m.fit(X, y, sample_weight=w, groups=groups,
              complaints=complaints.reset_index(drop=True))
    # a district missing from the complaints: it gets no complaint term, the rest do
    partial = RiskScorer(prior=[0.0], prior_strength=0.01).fit(
        X, y, sample_weight=w, groups=groups, complaints=complaints.iloc[1:])
    full = RiskScorer(prior=[0.0], prior_strength=0.01).fit(
        X, y, sample_weight=w, groups=groups, complaints=complaints)
    assert np.isfinite(partial.complaint_sd_)
    assert partial.complaint_sd_ == pytest.approx(full.complaint_sd_, abs=0.05)


def test_complaint_counts_expect_each_office_its_own_volume():
    """Two departments, the second receiving twice the complaints: with the offices given,
    what is expected of a district follows its own office's volume."""
    from models.risk.score import complaint_counts

    keys = [f"{i:06d}" for i in range(40)]
    X = pd.DataFrame({"x": np.tile([0.0, 1.0], 20)}, index=keys)
    offices = np.repeat(["08", "16"], 20)
    rows = [(k, "denuncia") for i, k in enumerate(keys) for _ in range(2 if i < 20 else 4)]
    rows += [(keys[0], "planificada")] * 10  # planned visits are not complaints
    records = pd.DataFrame(rows, columns=[C.UBIGEO, C.ORIGEN]).assign(**{C.HALLAZGO: 0})
    pop = np.full(40, 1000.0)
    with_offices = complaint_counts(X, pop, records, offices)
    assert with_offices["c"].tolist() == [2.0] * 20 + [4.0] * 20
    assert np.allclose(np.exp(with_offices["log_mu"]), [2.0] * 20 + [4.0] * 20, rtol=0.02)
    pooled = complaint_counts(X, pop, records)
    assert np.allclose(np.exp(pooled["log_mu"]), 3.0, rtol=0.02)
    assert complaint_counts(X, pop, records[records[C.ORIGEN] == "planificada"]) is None


def test_the_settings_can_leave_complaints_out_of_the_evidence(tmp_path, demo_settings,
                                                              districts_gpkg):
    import dataclasses

    from geo.config import ConfigError, load_settings
    from geo.records.inspections import load_records
    from models.risk.score import complaints_for, read_district_table

    head = 'config_version = 1\n[data]\nregion = ["08"]\n[model]\n'
    (tmp_path / "a.toml").write_text(head + "complaint_evidence = false\n", encoding="utf-8")
    assert load_settings(tmp_path / "a.toml", check_files=False).model.complaint_evidence \
        is False
    (tmp_path / "c.toml").write_text(head, encoding="utf-8")
    assert load_settings(tmp_path / "c.toml", check_files=False).model.complaint_evidence \
        is True
    (tmp_path / "b.toml").write_text(head + 'complaint_evidence = "si"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="complaint_evidence"):
        load_settings(tmp_path / "b.toml", check_files=False)
    districts = read_district_table(demo_settings)
    records = load_records(demo_settings)
    on = complaints_for(demo_settings, districts, records)
    assert on is not None and on["c"].sum() == (records[C.ORIGEN] == "denuncia").sum()
    off = dataclasses.replace(demo_settings, model=dataclasses.replace(
        demo_settings.model, complaint_evidence=False))
    assert complaints_for(off, districts, records) is None


def test_the_model_card_says_how_strongly_complaints_count(scores_gpkg, demo_settings):
    """The demo's records say where inspections came from: the scores' metadata and the
    card name the strength the data chose (0 allowed: then complaints changed nothing)."""
    import pyogrio

    from geo.records.inspections import load_records
    from models.evaluation.card import _model_summary
    from models.risk.score import read_district_table

    meta = pyogrio.read_dataframe(scores_gpkg, layer="metadatos", read_geometry=False)
    text = " ".join(meta.astype(str).agg(" ".join, axis=1))
    assert "denuncias_como_evidencia" in text
    summary = _model_summary(demo_settings, read_district_table(demo_settings),
                             load_records(demo_settings))
    g = summary["seleccion"]["denuncias_como_evidencia"]
    assert 0.0 <= g <= 3.0


def test_the_spatial_check_never_reads_a_held_out_districts_complaints(monkeypatch):
    """Leave-one-province-out: a held-out district has no record, so no complaint count
    (c <= n); the complaints given as evidence are the other provinces' only."""
    import models.risk.complaints as score
    from models.evaluation.backtest import spatial_folds

    keys = [f"0801{i:02d}" for i in range(1, 13)]
    table = pd.DataFrame({"x": np.linspace(0.0, 1.0, 12)}, index=pd.Index(keys, name=C.UBIGEO))
    blocks = pd.Series(["P1"] * 6 + ["P2"] * 6, index=keys)
    rng = np.random.default_rng(0)
    rows = [(k, "2020-03-01", int(rng.random() < 0.3), o) for k in keys
            for o in ("denuncia", "planificada", "denuncia")]
    records = pd.DataFrame(rows, columns=[C.UBIGEO, C.FECHA, C.HALLAZGO, C.ORIGEN])
    seen = []
    real = score.complaint_counts

    def spy(X, population, recs, offices=None):
        if recs is not None:
            seen.append(set(recs[C.UBIGEO]))
        return real(X, population, recs, offices)

    monkeypatch.setattr(score, "complaint_counts", spy)
    spatial_folds(table, ["x"], records, {"x": 0.0}, blocks, seed=0, complaints=False)
    assert seen == [set(keys[6:]), set(keys[:6])]
    # the complaint feature (complaint_intensity) counts the other provinces' too
    seen.clear()
    spatial_folds(table, ["x"], records, {"x": 0.0}, blocks, seed=0, complaint_evidence=False)
    assert seen == [set(keys[6:]), set(keys[:6])]


def test_complaints_are_read_once_and_only_by_the_joint_fit(demo_settings, districts_gpkg):
    import dataclasses

    from geo.records.inspections import load_records
    from models.risk.score import complaint_counts, complaints_for, read_district_table

    districts, records = read_district_table(demo_settings), load_records(demo_settings)
    assert complaints_for(demo_settings, districts, records) is not None

    def with_model(**kw):
        return dataclasses.replace(demo_settings, model=dataclasses.replace(
            demo_settings.model, **kw))

    assert complaints_for(with_model(complaint_intensity=True), districts, records) is None
    assert complaints_for(with_model(selection_correction="design"), districts, records) is None
    # a population column with no value: left out, not a crash
    X = pd.DataFrame({"x": [0.0, 1.0, 2.0]}, index=["080101", "080102", "080103"])
    recs = pd.DataFrame({C.UBIGEO: ["080101", "080102", "080102"], C.HALLAZGO: 0,
                         C.ORIGEN: "denuncia"})
    got = complaint_counts(X, [np.nan, np.nan, np.nan], recs)
    assert np.isfinite(got["log_mu"]).all() and got["c"].tolist() == [1.0, 2.0, 0.0]


def test_a_few_complaints_are_a_small_count_for_roles_without_record_access():
    """With complaints as evidence, the history term moves with each complaint: a district
    with 1 to k-1 complaint-driven inspections has its record withheld like small counts,
    and what is published does not depend on that number."""
    from models.risk.disclosure import protect_scores

    table = pd.DataFrame({
        C.UBIGEO: ["1", "2", "3"], C.RIESGO: [0.30, 0.20, 0.10],
        C.RIESGO_P05: [0.2, 0.1, 0.05], C.RIESGO_P95: [0.4, 0.3, 0.2],
        C.PROB_TOP10: [0.9, 0.5, 0.1], C.EVIDENCIA: ["suficiente"] * 3, C.RANGO: [1, 2, 3],
        C.N_INSPECCIONES: [20, 20, 20], C.N_HALLAZGOS: [6, 5, 0], C.N_DENUNCIAS: [2, 0, 9],
        "contrib_historial": [0.4, 0.1, -0.2]})
    out = protect_scores(table, 5)
    assert out[C.N_DENUNCIAS].isna().tolist() == [True, False, False]
    assert out["publicacion"].tolist() == ["sin historial", "completa", "completa"]
    assert np.isnan(out.loc[0, "contrib_historial"])
    moved = table.assign(**{C.N_DENUNCIAS: [4, 0, 9]})
    again = protect_scores(moved, 5)
    cols = [C.RIESGO, C.RIESGO_P05, C.PROB_TOP10, "contrib_historial", C.N_DENUNCIAS]
    pd.testing.assert_frame_equal(out[cols], again[cols])


def test_the_record_sentence_names_the_inspections_that_answered_complaints():
    from models.risk.explain import record_words

    row = {C.RIESGO: 0.30, "contrib_historial": 0.4, C.N_INSPECCIONES: 20,
           C.N_HALLAZGOS: 6, C.N_DENUNCIAS: 9}
    assert "(6 hallazgos en 20 inspecciones, 30.0%; 9 por denuncia)" in record_words(row, "es")
    assert "9 after a complaint" in record_words(row, "en")
    row[C.N_DENUNCIAS] = float("nan")  # withheld: not said
    assert "denuncia" not in record_words(row, "es")


def test_the_drift_alerts_baseline_reads_the_earlier_complaints_only():
    """The score reads complaints as evidence; the change alert's baseline reads the ones
    before its recent window the same way, so a much-denounced district is not flagged for
    findings its score expected, and its recent complaints are not counted twice."""
    from models.risk.likelihood import S_NODES as _S_NODES
    from models.risk.recency import _earlier_complaints, drift_alerts

    world = _world(0, power=1.0)
    X, y, w, groups, complaints, u, keys = world
    m = _fit(world, True)
    assert m.complaint_sd_ > 0
    # records: district 0 drew 8 complaint-driven visits before 2023, district 1 none;
    # both 2 planned visits a year and the same recent findings
    rows = [(keys[0], "2020-05-01", 0, "denuncia")] * 8
    for d in keys[:2]:
        rows += [(d, f"{y}-05-01", 0, "planificada") for y in range(2019, 2023)]
        rows += [(d, "2024-05-01", 1, "planificada")] * 2
    records = pd.DataFrame(rows, columns=[C.UBIGEO, C.FECHA, C.HALLAZGO, C.ORIGEN])
    dates = pd.to_datetime(records[C.FECHA])
    earlier = records[dates < "2023-01-01"]
    term = _earlier_complaints(m, earlier, records, keys[:2])
    assert term is not None and term.shape == (2, _S_NODES.shape[0])
    # more complaints than expected: the earlier complaints favour a higher own effect
    assert _S_NODES[np.argmax(term[0])] > _S_NODES[np.argmax(term[1])]
    # recent complaints add nothing to the baseline
    later = pd.concat([records, pd.DataFrame([(keys[1], "2024-06-01", 0, "denuncia")] * 5,
                                             columns=records.columns)])
    again = _earlier_complaints(m, earlier, later, keys[:2])
    # district 1's five recent complaints are not read: no earlier complaint, no lift
    assert _S_NODES[np.argmax(again[1])] <= 0.0 < _S_NODES[np.argmax(again[0])]
    # without complaints read by the model, no term; the alerts run either way
    assert _earlier_complaints(_fit(world, False), earlier, records, keys[:2]) is None
    X1 = pd.DataFrame({"x": X["x"].to_numpy()[: len(keys)]}, index=keys)
    alerts = drift_alerts(m, X1.iloc[:2], keys[:2], records)
    assert alerts["p_deriva"].notna().all()


def test_a_half_life_ages_the_complaints_as_it_ages_the_findings():
    """With a half-life, an old complaint-driven inspection counts 0.5 ** (age / h), like an
    old finding; what is expected of every district shrinks by the region's same share."""
    from models.risk.recency import recency_fit

    world = _world(0, power=1.0)
    X, y, w, groups, complaints, u, keys = world
    m = _fit(world, True)
    before = m.complaints_.copy()
    # district 0: its complaint-driven visits all 8 years ago; district 1: all last year
    rows = [(keys[0], "2017-01-01", 0, "denuncia")] * 4 + \
        [(keys[1], "2024-01-01", 0, "denuncia")] * 4 + \
        [(k, "2024-06-01", 0, "planificada") for k in keys]
    records = pd.DataFrame(rows, columns=[C.UBIGEO, C.FECHA, C.HALLAZGO, C.ORIGEN])
    X1 = pd.DataFrame({"x": X["x"].to_numpy()[: len(keys)]}, index=keys)
    m, info = recency_fit(m, X1, keys, records, 2.0, today=pd.Timestamp("2025-01-01"))
    assert info["vida_media_anios"] == 2.0
    after = m.complaints_
    assert after.loc[keys[0], "c"] == pytest.approx(4 * 0.5 ** (8.0 / 2.0), rel=0.01)
    assert after.loc[keys[1], "c"] == pytest.approx(4 * 0.5 ** (1.0 / 2.0), rel=0.01)
    share = after["c"].sum() / before.loc[after.index, "c"].sum()
    assert np.allclose(after["log_mu"] - before["log_mu"], np.log(share))
    # and the model still scores (fractional counts are fine for the complaint table)
    assert np.isfinite(m.predict_risk(X1, groups=keys)).all()
