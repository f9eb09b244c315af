"""Risk that moves (issue 11): discounted records, the half-life the records choose, worlds.

The half-life tests use records written here with a known story (a district whose finding
rate jumps in 2021; one whose rate never changes) and check the choice against it; the
scenario tests read the demo world files as a user would.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import special

from geo import columns as C
from models.risk.recency import choose_half_life, recency_fit, weighted_counts


def _records(rates: dict[str, dict[int, tuple[int, int]]]) -> pd.DataFrame:
    """Records from ``{ubigeo: {year: (inspections, findings)}}``, mid-year dates."""
    rows = []
    for ubigeo, years in rates.items():
        for year, (n, k) in years.items():
            for i in range(n):
                rows.append({C.UBIGEO: ubigeo, C.FECHA: pd.Timestamp(f"{year}-07-01"),
                             C.HALLAZGO: int(i < k)})
    return pd.DataFrame(rows)


def test_weighted_counts_halve_every_half_life():
    recs = _records({"a": {2019: (2, 2), 2023: (1, 0)}, "b": {2023: (4, 1)}})
    today = pd.Timestamp("2023-07-01")
    c = weighted_counts(recs, ["a", "b", "c"], today, half_life=4.0)
    age = (today - pd.Timestamp("2019-07-01")).days / 365.25  # 4.0 years
    assert c.loc["a", "n"] == pytest.approx(2 * 0.5 ** (age / 4.0) + 1.0)
    assert c.loc["a", "k"] == pytest.approx(2 * 0.5 ** (age / 4.0))
    assert (c.loc["b", "n"], c.loc["b", "k"], c.loc["c", "n"]) == (4.0, 1.0, 0.0)
    plain = weighted_counts(recs, ["a"], today, half_life=math.inf)
    assert (plain.loc["a", "n"], plain.loc["a", "k"]) == (3.0, 2.0)


def _story(jump: float, seed: int = 0) -> pd.DataFrame:
    """40 districts, 8 inspections a year 2016-2025; half of them jump by ``jump`` in 2021."""
    rng = np.random.default_rng(seed)
    rates = {}
    for d in range(40):
        base = 0.08 + 0.1 * rng.random()
        years = {}
        for year in range(2016, 2026):
            p = min(0.95, base + (jump if d % 2 == 0 and year >= 2021 else 0.0))
            years[year] = (8, int(rng.binomial(8, p)))
        rates[f"{d:06d}"] = years
    return _records(rates)


def test_the_records_choose_no_discount_when_risk_stands_still():
    recs = _story(jump=0.0)
    keys = sorted(recs[C.UBIGEO].unique())
    h, table = choose_half_life(np.full(len(keys), -2.0), 0.5, recs, keys)
    assert h >= 8.0, table  # no discount, or a long half-life: old records still count


def test_the_records_choose_a_short_half_life_when_risk_jumps():
    recs = _story(jump=0.45)
    keys = sorted(recs[C.UBIGEO].unique())
    h, table = choose_half_life(np.full(len(keys), -2.0), 0.5, recs, keys)
    assert h <= 3.0, table
    assert table["inf"] < table[f"{h:g}"]


def test_a_discounted_record_widens_the_interval_of_a_district_seen_long_ago():
    from models.risk.scorer import RiskScorer, simulate_uncertainty

    recs = _records({"000001": {2016: (30, 3)}, "000002": {2025: (30, 3)},
                     "000003": {2020: (10, 1)}, "000004": {2024: (10, 2)}})
    keys = ["000001", "000002", "000003", "000004"]
    X = pd.DataFrame({"x": [0.0, 0.0, 1.0, 1.0]}, index=pd.Index(keys, name=C.UBIGEO))
    from models.risk.score import district_counts, training_rows

    Xr, yr, wr, gr = training_rows(X, district_counts(recs, keys))
    scorer = RiskScorer(prior=[0.0], selection_correction="none").fit(
        Xr, yr, sample_weight=wr, groups=gr)
    before = simulate_uncertainty(scorer, X, keys, n_bootstrap=400, random_state=1)
    scorer, info = recency_fit(scorer, X, keys, recs, half_life=3.0)
    after = simulate_uncertainty(scorer, X, keys, n_bootstrap=400, random_state=1)
    assert info["vida_media_anios"] == 3.0
    width = lambda t: (t[C.RIESGO_P95] - t[C.RIESGO_P05])  # noqa: E731
    # 2016's 30 inspections now weigh about 0.5 ** 3 of themselves: much wider
    assert width(after)["000001"] > 1.5 * width(before)["000001"]
    # 2025's still count almost fully
    assert width(after)["000002"] < 1.3 * width(before)["000002"]
    assert scorer.group_counts_.loc["000001", "n"] < 5


def _complaint_world(seed, tau=0.8, power=1.5, districts=300):
    """Inspections follow each district's own effect: n ~ Poisson(4 exp(1.5 u))."""
    from scipy import special

    rng = np.random.default_rng(seed)
    x = rng.normal(size=districts)
    u = rng.normal(0.0, tau, districts)
    n = rng.poisson(4 * np.exp(power * u))
    k = rng.binomial(n, special.expit(-2.5 + 0.5 * x + u))
    X = np.concatenate([x, x])[:, None]
    y = np.r_[np.ones(districts), np.zeros(districts)].astype(int)
    return X, y, np.r_[k, n - k].astype(float), np.r_[np.arange(districts),
                                                       np.arange(districts)]


@pytest.mark.parametrize("seed", range(5))
def test_the_joint_fit_keeps_complained_about_districts_from_raising_everyone(seed):
    """True intercept -2.5 and spread 0.8; the most inspected districts have the highest
    effect. Counted row by row they pull the intercept up (to about -1.5); reweighted by
    the design effect a little less; fitted jointly with the effects, least."""
    from models.risk.scorer import RiskScorer

    X, y, w, g = _complaint_world(seed)
    fits = {m: RiskScorer(prior=[0.0], prior_strength=0.01, selection_correction=m).fit(
        X, y, sample_weight=w, groups=g) for m in ("none", "design", "joint")}
    bias = {m: abs(f.intercept_[0] + 2.5) for m, f in fits.items()}
    assert bias["joint"] < bias["design"] < bias["none"], bias
    assert bias["joint"] < 0.75
    # the spread is estimated at the joint weights: closer to the true 0.8
    assert fits["joint"].re_sd_ > fits["none"].re_sd_
    assert fits["joint"].selection_shift_ < 0  # the intercept came down
    assert abs(fits["joint"].coef_[0, 0] - 0.5) < 0.15


def test_the_joint_fit_predicts_as_many_findings_as_were_found():
    """At the joint fit's optimum, each district's expected findings under the posterior of
    its effect add up to the findings recorded (the intercept's score equation)."""
    from scipy import special

    from models.risk.likelihood import S_NODES as _S_NODES
    from models.risk.likelihood import effect_loglik as _effect_loglik
    from models.risk.scorer import RiskScorer

    X, y, w, g = _complaint_world(1)
    m = RiskScorer(prior=[0.0], prior_strength=0.01, selection_correction="joint").fit(
        X, y, sample_weight=w, groups=g)
    d = len(w) // 2
    k, n = w[:d], w[:d] + w[d:]
    eta = m.intercept_[0] + (X[:d, 0] - m.mean_[0]) / m.scale_[0] * m.coef_[0, 0]
    logw = _effect_loglik(eta, n, k, m.re_sd_)
    post = np.exp(logw - logw.max(axis=1, keepdims=True))
    post /= post.sum(axis=1, keepdims=True)
    expected = n @ np.sum(post * special.expit(eta[:, None] + m.re_sd_ * _S_NODES), axis=1)
    assert expected == pytest.approx(k.sum(), rel=0.015)  # "none": 9 % over, "design": 2 %


# --- the worlds of issue 11 ------------------------------------------------------------------
@pytest.fixture(scope="module")
def drift_world(base_gpkg, tmp_path_factory):
    from geo.world.demo import make_demo

    return make_demo(base_gpkg, tmp_path_factory.mktemp("deriva") / "w", seed=3,
                     scenario="deriva")


def test_a_drift_world_opens_a_frontier_in_remote_quiet_districts(drift_world):
    truth = pd.read_csv(drift_world / "verdad.csv", dtype={C.UBIGEO: str})
    moved = truth[truth["deriva"] == 1]
    assert len(moved) == 10 and (truth["anio_deriva"] == 2021).all()
    assert (moved[C.RIESGO_VERDADERO] > 2 * moved["riesgo_anterior"]).all()
    still = truth[truth["deriva"] == 0]
    assert np.allclose(still[C.RIESGO_VERDADERO], still["riesgo_anterior"])
    # quiet before: below each department's median risk
    for dep, part in truth.groupby(truth[C.UBIGEO].str[:2]):
        median = part["riesgo_anterior"].median()
        assert (part.loc[part["deriva"] == 1, "riesgo_anterior"] < median).all(), dep
    recs = pd.read_csv(drift_world / "inspecciones.csv", dtype={C.UBIGEO: str})
    there = recs[recs[C.UBIGEO].isin(moved[C.UBIGEO])]
    after = pd.to_datetime(there[C.FECHA]).dt.year >= 2021
    assert there.loc[after, C.HALLAZGO].mean() > 2 * there.loc[~after, C.HALLAZGO].mean()
    leeme = (drift_world / "LEEME.md").read_text(encoding="utf-8")
    assert "Escenario: deriva" in leeme and moved[C.UBIGEO].iloc[0] in leeme


def test_the_evaluation_judges_each_year_by_the_risk_of_that_year(drift_world):
    from geo.config import load_settings
    from models.evaluation.card import _read_truth
    from models.evaluation.folds import truth_in

    settings = load_settings(drift_world / "settings.toml")
    truth = pd.read_csv(drift_world / "verdad.csv", dtype={C.UBIGEO: str})
    keys = pd.Index(truth[C.UBIGEO])
    read = _read_truth(settings, keys)
    # each year's risk: the real layers of that year, and the frontier from 2021 on
    assert np.allclose(truth_in(read, 2019).to_numpy(), truth["riesgo_2019"].to_numpy())
    assert np.allclose(truth_in(read, 2023).to_numpy(), truth["riesgo_2023"].to_numpy())
    assert np.allclose(truth_in(read, 2025).to_numpy(), truth[C.RIESGO_VERDADERO].to_numpy())
    jump = special.logit(truth["riesgo_2021"]) - special.logit(truth["riesgo_2020"])
    moved = truth["deriva"] == 1
    assert np.allclose(jump[moved], 1.8, atol=0.05)  # the frontier (the layers move a little)
    assert jump[~moved].abs().max() < 0.5  # elsewhere only the layers move


def test_a_visible_frontier_is_the_drift_world_with_its_dredges_dated(base_gpkg, drift_world,
                                                                      tmp_path):
    import geopandas as gpd

    from geo.config import load_settings
    from geo.geography.build import build_districts, read_layer_history
    from geo.world.demo import FRONTIER_DREDGES, OLD_DREDGE_YEARS, make_demo

    out = make_demo(base_gpkg, tmp_path / "frente", seed=3, scenario="frente_visible")
    # the same truth and the same records as the drift world of the same seed
    for name in ("verdad.csv", "inspecciones.csv"):
        assert (out / name).read_bytes() == (drift_world / name).read_bytes(), name
    settings = load_settings(out / "settings.toml")
    dredges = next(spec for spec in settings.layers if spec.name == "dragas")
    assert dredges.year_column == "anio"
    assert all(spec.year_column is None for spec in settings.layers if spec.name != "dragas")
    points = gpd.read_file(out / "capas" / "dragas.gpkg")
    new = points[points["anio"] == 2021]
    assert points.loc[points["anio"] != 2021, "anio"].between(*OLD_DREDGE_YEARS).all()
    truth = pd.read_csv(out / "verdad.csv", dtype={C.UBIGEO: str})
    assert len(new) == FRONTIER_DREDGES * int(truth["deriva"].sum())
    gdf = build_districts(settings, out=settings.districts_gpkg)
    # (years kept for other dated layers hold no state of the dredges)
    past = read_layer_history(settings.districts_gpkg)["dragas"].unstack("anio").dropna(
        axis=1, how="all")
    before = max(year for year in past.columns if year < 2021)  # the state kept for 2020
    assert before <= OLD_DREDGE_YEARS[1]
    rose = (past[2021] - past[before]).reindex(truth[C.UBIGEO]).to_numpy()
    # the layer rises in the frontier's districts in 2021, and nowhere else
    assert np.array_equal(rose > 0, truth["deriva"].to_numpy() == 1)
    assert past[2021].reindex(gdf[C.UBIGEO]).to_numpy().tolist() == gdf["dragas"].tolist()
    assert "la capa de dragas lo ve" in (out / "LEEME.md").read_text(encoding="utf-8")
    # what is expected of the complaints comes from the layers the records saw too
    from geo.records.inspections import load_records
    from models.risk.score import complaints_for, read_district_table

    districts, records = read_district_table(settings), load_records(settings)
    dated = complaints_for(settings, districts, records)
    districts.attrs.clear()
    undated = complaints_for(settings, districts, records)
    assert dated["c"].equals(undated["c"])
    assert not np.allclose(dated["log_mu"], undated["log_mu"])


@pytest.mark.parametrize(("scenario", "check"), [
    ("denuncias", lambda r, s: (r["origen"] == "denuncia").mean() > 0.55),
    ("bajo_volumen", lambda r, s: len(r) < 0.45 * len(s)),
])
def test_complaint_driven_and_low_volume_worlds(base_gpkg, demo_dir, tmp_path, scenario,
                                                check):
    from geo.world.demo import make_demo

    out = make_demo(base_gpkg, tmp_path / scenario, seed=0, scenario=scenario)
    recs = pd.read_csv(out / "inspecciones.csv")
    static = pd.read_csv(demo_dir / "inspecciones.csv")
    assert check(recs, static)


def test_an_unknown_scenario_is_refused(base_gpkg, tmp_path):
    from geo.errors import ConfigError
    from geo.world.demo import make_demo

    with pytest.raises(ConfigError, match="deriva"):
        make_demo(base_gpkg, tmp_path / "x", scenario="tormenta")


def test_the_demo_command_offers_every_kind_of_world():
    import argparse

    from dashboard.commands import demo
    from geo.world.demo import SCENARIOS

    parser = argparse.ArgumentParser()
    demo.register(parser.add_subparsers())
    action = next(a for sub in parser._subparsers._group_actions
                  for p in sub.choices.values() for a in p._actions if a.dest == "scenario")
    assert tuple(action.choices) == tuple(SCENARIOS)


# --- drift alerts, the plan's exploration, disclosure, settings ------------------------------
def _scorer_on(recs: pd.DataFrame, keys: list[str]):
    from models.risk.score import district_counts, training_rows
    from models.risk.scorer import RiskScorer

    X = pd.DataFrame({"x": np.linspace(0, 1, len(keys))}, index=pd.Index(keys, name=C.UBIGEO))
    Xr, yr, wr, gr = training_rows(X, district_counts(recs, keys))
    return X, RiskScorer(prior=[0.0]).fit(Xr, yr, sample_weight=wr, groups=gr)


def test_a_district_whose_recent_findings_jump_is_flagged_and_a_steady_one_is_not():
    from models.risk.recency import ALZA, drift_alerts

    story = {f"{d:06d}": {y: (6, 1 if (y + d) % 6 == 0 else 0) for y in range(2016, 2026)}
             for d in range(30)}
    story["000000"] = {**{y: (6, 0) for y in range(2016, 2024)}, 2024: (6, 5), 2025: (6, 5)}
    recs = _records(story)
    keys = sorted(story)
    X, scorer = _scorer_on(recs, keys)
    alerts = drift_alerts(scorer, X, keys, recs)
    assert alerts.loc["000000", "alerta_deriva"] == ALZA
    assert alerts.loc["000000", "p_deriva"] < 0.001
    assert (alerts.loc["000000", "n_recientes"], alerts.loc["000000", "k_recientes"]) == (12, 10)
    assert (alerts["alerta_deriva"] == ALZA).sum() <= 2  # the steady ones stay quiet


def test_protected_roles_get_no_alert_where_the_record_is_hidden():
    from models.risk.disclosure import protect_scores

    scores = pd.DataFrame({C.UBIGEO: ["a", "b"], C.RIESGO: [0.3, 0.2],
                           C.N_INSPECCIONES: [3, 20], C.N_HALLAZGOS: [2, 8],
                           "alerta_deriva": ["al alza", "al alza"], "p_deriva": [0.01, 0.02],
                           "n_efectivas": [3.0, 20.0]})
    out = protect_scores(scores, 5).set_index(C.UBIGEO)
    assert out.loc["a", "alerta_deriva"] == "" and out.loc["b", "alerta_deriva"] == "al alza"
    assert out["p_deriva"].isna().all() and pd.isna(out.loc["a", "n_efectivas"])


def test_the_settings_take_a_half_life_and_a_selection_correction(tmp_path):
    from geo.config import load_settings
    from geo.errors import ConfigError

    head = 'config_version = 1\n[data]\nbase = "b.gpkg"\n[model]\n'
    (tmp_path / "a.toml").write_text(head + 'half_life = 3\nselection_correction = "cluster"\n',
                                     encoding="utf-8")
    model = load_settings(tmp_path / "a.toml", check_files=False).model
    assert (model.half_life, model.selection_correction) == (3.0, "cluster")
    assert load_settings(tmp_path / "a.toml", check_files=False).model.half_life == 3.0
    (tmp_path / "b.toml").write_text(head + 'half_life = "pronto"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="half_life"):
        load_settings(tmp_path / "b.toml", check_files=False)
    (tmp_path / "c.toml").write_text(head + 'selection_correction = "todo"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="selection_correction"):
        load_settings(tmp_path / "c.toml", check_files=False)


def test_the_scores_and_the_card_say_what_the_records_chose(scores_gpkg, demo_settings):
    import json

    import pyogrio

    from models.evaluation.backtest import EVALUATION_FILE

    table = pyogrio.read_dataframe(scores_gpkg, layer="riesgo", read_geometry=False)
    assert {"alerta_deriva", "p_deriva", "n_efectivas"} <= set(table.columns)
    assert (table["n_efectivas"] <= table[C.N_INSPECCIONES] + 1e-6).all()
    meta = pyogrio.read_dataframe(scores_gpkg, layer="metadatos", read_geometry=False)
    keys = set(meta.iloc[:, 0])
    assert {"vida_media_anios", "correccion_seleccion", "alertas_deriva"} <= keys
    card_path = demo_settings.workdir / EVALUATION_FILE
    if card_path.is_file():
        card = json.loads(card_path.read_text(encoding="utf-8"))
        assert {"deriva", "seleccion"} <= set(card["modelo"])


def test_the_model_card_lists_alert_districts_only_to_planners_of_their_regions(monkeypatch):
    from dashboard.state import card as state
    from geo.trust.access import Principal

    card = {"modelo": {"deriva": {"alertas": [
        {"ubigeo": "080108", "distrito": "Wanchaq", "alerta": "al alza", "motivo": "capas",
         "p": None, "cambio_capas": 0.8},
        {"ubigeo": "160107", "distrito": "Napo", "alerta": "al alza", "motivo": "hallazgos",
         "p": 0.03, "cambio_capas": 0.0}]}}}
    monkeypatch.setattr(state, "evaluation", lambda: card)
    rosa = state.evaluation_for(Principal("rosa", "investigador"))
    assert "alertas" not in rosa["modelo"]["deriva"] and rosa["modelo"]["deriva"]["n_alertas"] == 2
    assert "Wanchaq" not in str(rosa)
    ana = state.evaluation_for(Principal("ana", "planificador", regions=("08",)))
    assert [a["distrito"] for a in ana["modelo"]["deriva"]["alertas"]] == ["Wanchaq"]
    assert ana["modelo"]["deriva"]["alertas"][0]["motivo"] == "capas"  # why, for its planner


# --- complaints carry information in their number (issue 11) --------------------------------
def test_complaint_intensity_counts_complaints_against_what_population_predicts():
    """Two districts alike in population and features, one drew 12 complaints and the other
    2: the first is above expectation, the second below; planned visits do not count."""
    from models.risk.score import DENUNCIAS, complaint_intensity

    keys = [f"0801{i:02d}" for i in range(1, 9)]
    X = pd.DataFrame({"x": [0.0, 0.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0]},
                     index=pd.Index(keys, name=C.UBIGEO))
    population = [1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000]
    complaints = {"080101": 12, "080102": 2, "080103": 5, "080104": 5, "080105": 6,
                  "080106": 6, "080107": 7, "080108": 7}
    rows = [{C.UBIGEO: u, C.FECHA: "2021-01-01", C.HALLAZGO: 0, C.ORIGEN: "denuncia"}
            for u, c in complaints.items() for _ in range(c)]
    rows += [{C.UBIGEO: "080102", C.FECHA: "2021-01-01", C.HALLAZGO: 0,
              C.ORIGEN: "planificada"}] * 30  # the plan's own visits: not evidence
    records = pd.DataFrame(rows).assign(**{C.FECHA: lambda d: pd.to_datetime(d[C.FECHA])})
    r = complaint_intensity(X, population, records)
    assert r.name == DENUNCIAS
    assert r["080101"] > 0.3 and r["080102"] < -0.5
    assert abs(r["080107"]) < 0.3
    assert complaint_intensity(X, population, records.drop(columns=C.ORIGEN)) is None
    planned = records.assign(**{C.ORIGEN: "planificada"})
    assert complaint_intensity(X, population, planned) is None


def test_the_settings_can_leave_the_complaint_feature_out(tmp_path):
    import types

    from geo.config import ConfigError, load_settings
    from models.risk.score import DENUNCIAS, with_complaints

    head = 'config_version = 1\n[data]\nregion = ["08"]\n[model]\n'
    (tmp_path / "a.toml").write_text(head + "complaint_intensity = true\n", encoding="utf-8")
    assert load_settings(tmp_path / "a.toml", check_files=False).model.complaint_intensity \
        is True
    (tmp_path / "c.toml").write_text(head, encoding="utf-8")  # off unless asked
    assert load_settings(tmp_path / "c.toml", check_files=False).model.complaint_intensity \
        is False
    (tmp_path / "b.toml").write_text(head + 'complaint_intensity = "si"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="complaint_intensity"):
        load_settings(tmp_path / "b.toml", check_files=False)
    X = pd.DataFrame({"x": [0.0, 1.0]}, index=["080101", "080102"])
    recs = pd.DataFrame({C.UBIGEO: ["080101"], C.FECHA: pd.to_datetime(["2021-01-01"]),
                         C.HALLAZGO: [1], C.ORIGEN: ["denuncia"]})
    off = types.SimpleNamespace(model=types.SimpleNamespace(complaint_intensity=False))
    assert DENUNCIAS not in with_complaints(X, None, recs, off).columns
    assert DENUNCIAS in with_complaints(X, None, recs, None).columns
