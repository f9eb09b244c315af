"""The monthly inspection plan: travel estimate, trips, MILP vs naive, exploration, errors."""

from __future__ import annotations

import dataclasses
import io

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from geo import columns as C
from geo.config import Office, PlanningSpec
from geo.errors import DataError, RiskmapError
from geo.messages import Message
from models.planning import plan as P
from models.planning import travel as T
from models.planning.printable import page_count

CUSCO = Office("Intendencia Regional Cusco", -13.5226, -71.9673, 40.0, "08")
IQUITOS = Office("Intendencia Regional Loreto (Iquitos)", -3.7491, -73.2538, 40.0, "16")


# --- synthetic scores on the real boundaries ---------------------------------------------
@pytest.fixture(scope="module")
def scores(shared_data) -> gpd.GeoDataFrame:
    """169 real districts with a made-up risk: skewed, a third with thin evidence."""
    gdf = gpd.read_file(shared_data / "boundaries" / "cusco_loreto_distritos_mapsperu_full.geojson")
    gdf = gdf.rename(columns={"UBIGEO": C.UBIGEO, "DISTRITO": C.DISTRITO,
                              "PROVINCIA": C.PROVINCIA, "DEPARTAMENTO": C.DEPARTAMENTO,
                              "REGION_NATURAL": C.REGION_NATURAL})
    rng = np.random.default_rng(7)
    risk = rng.beta(1.0, 8.0, len(gdf))
    gdf[C.RIESGO] = risk
    gdf[C.RIESGO_P05] = risk * 0.5
    gdf[C.RIESGO_P95] = np.minimum(1.0, risk * 1.8)
    gdf[C.N_INSPECCIONES] = rng.poisson(3, len(gdf))
    gdf[C.EVIDENCIA] = np.where(gdf[C.N_INSPECCIONES] < 2, C.EVIDENCIA_INSUFICIENTE, "suficiente")
    return gdf[[C.UBIGEO, C.DISTRITO, C.PROVINCIA, C.DEPARTAMENTO, C.REGION_NATURAL, C.RIESGO,
                C.RIESGO_P05, C.RIESGO_P95, C.N_INSPECCIONES, C.EVIDENCIA, "geometry"]]


def spec(cusco=40.0, iquitos=40.0, **kw) -> PlanningSpec:
    return PlanningSpec(offices=(dataclasses.replace(CUSCO, capacity_days=cusco),
                                 dataclasses.replace(IQUITOS, capacity_days=iquitos)), **kw)


def _line(n: int, step: float = 0.1, risk=None) -> gpd.GeoDataFrame:
    """n square Sierra districts in a row east of (-72, -13.6), 0.1 degree wide."""
    risk = risk if risk is not None else [0.1] * n
    return gpd.GeoDataFrame(
        {C.UBIGEO: [f"0801{i + 1:02d}" for i in range(n)], C.RIESGO: risk,
         C.EVIDENCIA: ["suficiente"] * n},
        geometry=[box(-72 + i * step, -13.6, -72 + (i + 1) * step, -13.5) for i in range(n)],
        crs=4326)


# --- travel ------------------------------------------------------------------------------
def test_estimate_follows_the_documented_formula():
    # 1 degree of latitude = 111.195 km; Sierra 1.7 detour at 250 km/day, river 1.6 at 130
    d = pd.DataFrame({C.UBIGEO: ["080101", "160201", "160101"], "lon": [-72.0, -72.0, -72.0],
                      "lat": [-12.0, -12.0, -12.0],
                      C.REGION_NATURAL: ["Sierra", "Selva", "Selva"]})
    t = T.estimate_travel([Office("X", -13.0, -72.0, 10)], d)["X"]
    km = 111.195
    assert t["080101"] == pytest.approx(km * 1.7 / 250, rel=1e-3)
    assert t["160201"] == pytest.approx(km * 1.6 / 130, rel=1e-3)
    assert t["160101"] == pytest.approx(km * 1.3 / 300, rel=1e-3)  # Iquitos-Nauta road


def test_minimum_leg_and_hops_are_symmetric(scores):
    t = T.estimate_travel([CUSCO], scores)[CUSCO.name]
    assert t.min() == pytest.approx(T.MIN_LEG_DAYS)
    h = T.hop_days(scores)
    assert np.allclose(h, h.T) and np.all(np.diag(h) == 0)
    # a Loreto river district is further in days than a Cusco Sierra one at the same distance
    assert t["080101"] < 1.0


def test_loreto_far_districts_take_days_by_river(scores):
    t = T.estimate_travel([IQUITOS], scores)[IQUITOS.name]
    # Yurimaguas: ~390 km straight from Iquitos, 3-5 days by boat
    assert 3.0 < t["160201"] < 6.0


def test_travel_table_replaces_the_estimate(tmp_path, scores):
    path = tmp_path / "viajes.csv"
    path.write_text("ubigeo,dias_viaje,oficina\n080101,2.0,\n160201,1.0,"
                    f"{IQUITOS.name}\n", encoding="utf-8")
    table = T.read_travel_table(path, scores[C.UBIGEO], [CUSCO.name, IQUITOS.name])
    est = T.estimate_travel([CUSCO, IQUITOS], scores)
    new, used = T.apply_travel_table(est, table)
    assert new.loc["080101"].tolist() == [2.0, 2.0]
    assert new.loc["160201", IQUITOS.name] == 1.0
    assert new.loc["160201", CUSCO.name] == est.loc["160201", CUSCO.name]
    assert int(used.to_numpy().sum()) == 3


def test_travel_table_with_unknown_ubigeo_names_the_line(tmp_path, scores):
    path = tmp_path / "viajes.csv"
    path.write_text("ubigeo,dias_viaje\n080101,1\n150101,2\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        T.read_travel_table(path, scores[C.UBIGEO])
    assert "línea 3" in err.value.es and "150101" in err.value.es
    assert "line 3" in err.value.en


@pytest.mark.parametrize(("body", "needle"), [
    ("ubigeo,dias\n080101,1\n", "dias_viaje"),
    ("ubigeo,dias_viaje\n080101,-1\n", "línea 2"),
    ("ubigeo,dias_viaje\n080101,uno\n", "línea 2"),
    ("ubigeo,dias_viaje,oficina\n080101,1,Lima\n", "Lima"),
])
def test_bad_travel_tables_are_clear(tmp_path, scores, body, needle):
    path = tmp_path / "viajes.csv"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(DataError) as err:
        T.read_travel_table(path, scores[C.UBIGEO], [CUSCO.name])
    assert needle in err.value.es


def test_plan_rejects_unknown_ubigeo_in_table_from_spec(tmp_path, scores):
    path = tmp_path / "viajes.csv"
    path.write_text("ubigeo,dias_viaje\n999999,1\n", encoding="utf-8")
    with pytest.raises(DataError, match="999999"):
        P.plan_inspections(scores, spec(travel_table=path))


@pytest.mark.parametrize("office", [
    Office("Lima", -12.0464, -77.0428, 20, ""),  # another department
    Office("Cusco al revés", -71.9673, -13.5226, 20, ""),  # lat and lon swapped
    Office("Cusco", -13.5226, -71.9673, 20, "15"),  # department not planned
])
def test_office_outside_the_region_is_an_error(scores, office):
    with pytest.raises(RiskmapError) as err:
        P.plan_inspections(scores, PlanningSpec(offices=(office,)))
    assert office.name in err.value.es and "región" in err.value.es
    assert office.name in err.value.en


# --- trips and the plan ------------------------------------------------------------------
def test_grouping_neighbours_beats_separate_trips():
    # four neighbours 0.1 degree apart, every leg the minimum 0.25 day: a single trip is
    # 0.25 + 2 + 0.25 -> 2.5 days; k districts in one trip 0.25 * (k + 1) + 2k, rounded up to
    # half a day (3 -> 7.0, 4 -> 9.5). Only grouping fits all four in 9.5 days.
    gdf = _line(4, risk=[0.3, 0.2, 0.2, 0.1])
    s = PlanningSpec(offices=(Office("C", -13.55, -71.95, 9.5, "08"),), exploration_share=0.0)
    plan = P.plan_inspections(gdf, s)
    assert sorted(plan.visits[C.UBIGEO]) == ["080101", "080102", "080103", "080104"]
    assert plan.trips[P.DIAS].sum() == 9.5
    assert plan.trips[P.N_DISTRITOS].max() >= 3
    assert plan.expected_findings == pytest.approx(0.8)
    # naive: three single trips of 2.5 days fit in 9.5, the fourth does not
    assert plan.naive_findings == pytest.approx(0.7)
    assert plan.gain == pytest.approx(0.1)
    assert plan.visits[C.UBIGEO].is_unique


def test_trip_never_exceeds_max_days_and_offices_stay_in_budget(scores):
    s = spec(cusco=60, iquitos=35, max_trip_days=8)
    plan = P.plan_inspections(scores, s)
    assert (plan.trips[P.DIAS] <= 8).all()
    used = plan.trips.groupby(P.OFICINA)[P.DIAS].sum()
    assert used[CUSCO.name] <= 60 and used[IQUITOS.name] <= 35
    assert plan.visits[C.UBIGEO].is_unique
    # Loreto districts only from Iquitos, Cusco's only from Cusco
    by_office = plan.visits.groupby(P.OFICINA)[C.UBIGEO].agg(lambda s: set(s.str[:2]))
    assert by_office[CUSCO.name] == {"08"} and by_office[IQUITOS.name] == {"16"}
    # days of each trip = route travel + inspections, rounded up to half a day
    row = plan.trips.iloc[0]
    expect = np.ceil((row[P.DIAS_VIAJE] + row[P.DIAS_INSPECCION]) / 0.5 - 1e-6) * 0.5
    assert row[P.DIAS] == pytest.approx(expect, abs=0.01)


@pytest.mark.parametrize("budget", [5, 12, 25, 40, 80])
def test_plan_is_never_worse_than_naive(scores, budget):
    plan = P.plan_inspections(scores, spec(cusco=budget, iquitos=budget))
    assert plan.expected_findings >= plan.naive_findings - 1e-9
    total = plan.summary.iloc[-1]
    assert total["ganancia"] == pytest.approx(plan.expected_findings - plan.naive_findings)
    assert total[P.HALLAZGOS_P05] <= total[P.HALLAZGOS] <= total[P.HALLAZGOS_P95]
    # the same exploration trips in both plans: the comparison is on equal terms
    e1 = plan.trips[plan.trips[P.TIPO] == P.TIPO_EXPLORACION][P.UBIGEOS].tolist()
    e2 = plan.naive_trips[plan.naive_trips[P.TIPO] == P.TIPO_EXPLORACION][P.UBIGEOS].tolist()
    assert e1 == e2


@pytest.mark.serial  # the solver's time limit: with another test on the other core it finds less
def test_plan_gains_over_naive_at_a_typical_budget(scores):
    plan = P.plan_inspections(scores, spec(cusco=40, iquitos=40))
    assert plan.gain > 0.0
    assert plan.gap <= P.MIP_GAP + 1e-12


def test_exploration_share_is_honoured_and_reproducible(scores):
    s = spec(cusco=60, iquitos=60, exploration_share=0.2, seed=3)
    plan = P.plan_inspections(scores, s)
    ex = plan.trips[plan.trips[P.TIPO] == P.TIPO_EXPLORACION]
    for office in s.offices:
        days = ex.loc[ex[P.OFICINA] == office.name, P.DIAS].sum()
        reserved = 0.2 * 60
        assert days <= reserved + 1e-9
        assert days > 0
    # every exploration district has thin evidence
    visits = plan.visits[plan.visits[P.TIPO] == P.TIPO_EXPLORACION]
    assert (visits[C.EVIDENCIA] == C.EVIDENCIA_INSUFICIENTE).all()
    assert visits[P.MOTIVO].str.contains("semilla 3").all()
    again = P.plan_inspections(scores, s)
    assert again.visits[C.UBIGEO].tolist() == plan.visits[C.UBIGEO].tolist()
    draws = {tuple(sorted(P.plan_inspections(scores, dataclasses.replace(s, seed=k)).visits
                          .query("tipo == 'exploracion'")[C.UBIGEO])) for k in range(4)}
    assert len(draws) > 1


def test_exploration_fills_its_share_up_to_one_trip(scores):
    s = spec(cusco=100, iquitos=100, exploration_share=0.15)
    plan = P.plan_inspections(scores, s)
    ex = plan.trips[plan.trips[P.TIPO] == P.TIPO_EXPLORACION]
    cusco = ex.loc[ex[P.OFICINA] == CUSCO.name, P.DIAS].sum()
    # Cusco's cheapest thin-evidence districts cost 2.5 days: the 15 reserved days are
    # filled to within one trip of the longest allowed
    assert 15 - s.max_trip_days <= cusco <= 15


def test_no_exploration_when_share_is_zero(scores):
    plan = P.plan_inspections(scores, spec(exploration_share=0.0))
    assert (plan.trips[P.TIPO] == P.TIPO_PLAN).all()
    assert plan.exploration_days == 0


def test_budget_that_fits_no_trip_is_a_clear_error(scores):
    with pytest.raises(RiskmapError) as err:
        P.plan_inspections(scores, spec(cusco=1, iquitos=1))
    assert "no alcanza" in err.value.es and "fits no trip" in err.value.en


def test_one_office_without_budget_is_a_warning(scores):
    plan = P.plan_inspections(scores, spec(cusco=30, iquitos=0.5))
    assert any("Loreto" in m and "no tiene viajes" in m for m in plan.messages("es"))
    assert set(plan.trips[P.OFICINA]) == {CUSCO.name}


def test_trip_limit_that_reaches_nothing_is_an_error(scores):
    with pytest.raises(RiskmapError, match="Ningún distrito"):
        P.plan_inspections(scores, spec(max_trip_days=1.0))


def test_unreachable_districts_are_reported(scores):
    plan = P.plan_inspections(scores, spec())
    assert not set(plan.unreachable) & set(plan.visits[C.UBIGEO])
    assert plan.unreachable  # far Loreto districts need more than 10 days by river
    warning = next(m for m in plan.messages("es") if "no caben" in m or "no cabe" in m)
    # one district is said in the singular, several in the plural (never "1 distritos")
    n = len(plan.unreachable)
    assert warning.startswith("1 distrito no cabe" if n == 1 else f"{n:,} distritos no caben")
    # the planner reads names, with the code beside them
    first = plan.unreachable[0]
    name = scores.set_index(C.UBIGEO).loc[first, C.DISTRITO]
    assert f"{name} ({first})" in warning


def test_capacities_override_and_unknown_office(scores):
    plan = P.plan_inspections(scores, spec(), capacities={CUSCO.name: 20})
    assert plan.summary.set_index(P.OFICINA).loc[CUSCO.name, "capacidad_dias"] == 20
    with pytest.raises(RiskmapError, match="Lima"):
        P.plan_inspections(scores, spec(), capacities={"Lima": 20})


def test_scores_with_bad_risk_are_rejected():
    gdf = _line(2, risk=[0.2, 1.5])
    with pytest.raises(DataError, match="080102"):
        P.plan_inspections(gdf, PlanningSpec(offices=(Office("C", -13.55, -71.95, 10, "08"),)))


def test_csv_and_html_outputs(tmp_path, scores):
    plan = P.plan_inspections(scores, spec())
    csv = plan.to_csv(tmp_path / "plan.csv")
    back = pd.read_csv(csv, dtype={C.UBIGEO: str})
    assert len(back) == len(plan.visits)
    assert {P.VIAJE, C.UBIGEO, P.TIPO, "dias_del_viaje", P.MOTIVO} <= set(back.columns)
    page = plan.write_html(tmp_path / "plan.html", simulated=True,
                           month="2026-12").read_text(encoding="utf-8")
    assert "Plan de inspecciones de diciembre de 2026" in page and "<svg" in page
    assert "DATOS SIMULADOS" in page and "<script" not in page  # prints and works offline
    assert "Inspection plan for December 2026" in plan.to_html("en", month="2026-12")
    # one page per office, each with its name and month, its map, legend and trips
    offices = [o.name for o in plan.spec.offices if (plan.trips[P.OFICINA] == o.name).any()]
    assert page.count("<section class='page office'>") == len(plan.spec.offices) + 1  # + method
    assert page_count(page) == len(plan.spec.offices) + 2  # + cover; no sheets given
    for name in offices:
        assert f"<h2>{name} — diciembre de 2026</h2>" in page
    assert page.count("<svg") == len(offices) and page.count("class='legend'") == len(offices)
    # every page of a simulated plan says so
    assert page.count("DATOS SIMULADOS") == len(plan.spec.offices) + 2
    visited = plan.visits[C.DISTRITO] if C.DISTRITO in plan.visits else plan.visits[C.UBIGEO]
    assert all(f"{name} (" in page for name in visited)  # place names on the map
    assert list(tmp_path.glob(".*.tmp")) == []


def test_the_plan_csv_opens_right_in_excel_and_says_simulated(tmp_path, scores):
    plan = P.plan_inspections(scores.assign(**{C.DISTRITO: "La Convención"}), spec())
    raw = plan.to_csv(tmp_path / "plan.csv", simulated=True).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8, "ó" stays "ó"
    back = pd.read_csv(tmp_path / "plan.csv", dtype=str, encoding="utf-8-sig")
    assert back.columns[0] == "simulado" and (back["simulado"] == "SIMULADO").all()
    assert (back[C.DISTRITO] == "La Convención").all()
    real = pd.read_csv(io.StringIO(plan.csv_text().lstrip("\ufeff")), dtype=str)
    assert real["simulado"].isna().all()


def test_plan_csv_neutralises_formulas(tmp_path, scores):
    hostile = scores.copy()
    hostile[C.DISTRITO] = "=cmd|' /C calc'!A0"
    plan = P.plan_inspections(hostile, spec())
    text = plan.csv_text()
    assert "=cmd" in text and ",=cmd" not in text and "\n=cmd" not in text
    assert "'=cmd" in text


def test_load_scores_missing_file_says_what_to_run(tmp_path):
    with pytest.raises(DataError, match="riskmap score"):
        P.load_scores(tmp_path / "riesgo.gpkg")


# --- the real pipeline -----------------------------------------------------------------------
@pytest.mark.slow
def test_plan_on_the_demo_world(scores_gpkg, demo_settings):
    scores = P.load_scores(scores_gpkg)
    for budget in (15, 40, 90):
        plan = P.plan_inspections(scores, demo_settings.planning,
                                  capacities={o.name: budget
                                              for o in demo_settings.planning.offices})
        assert plan.expected_findings >= plan.naive_findings - 1e-9
        assert plan.visits[C.UBIGEO].is_unique
        assert (plan.trips[P.DIAS] <= demo_settings.planning.max_trip_days).all()
        share = demo_settings.planning.exploration_share
        said = " ".join(plan.messages("es"))
        for office in demo_settings.planning.offices:
            ex = plan.trips[(plan.trips[P.OFICINA] == office.name)
                            & (plan.trips[P.TIPO] == P.TIPO_EXPLORACION)]
            # within the share; or, when no trip fits it, the one nearest trip and a word why
            assert ex[P.DIAS].sum() <= share * budget + 1e-9 or (
                len(ex) == 1 and f"de '{office.name}' no alcanzan" in said
                and "se reservan" in said), (office.name, budget, ex[P.DIAS].tolist())
            # exploration never vanishes while a trip within twice its share can serve it
            assert len(ex) >= 1 or f"'{office.name}' no alcanzan" in said


def test_a_change_alert_is_visited_first_in_the_exploration_draw(scores):
    s = spec(cusco=60, iquitos=60, exploration_share=0.2, seed=3)
    ranked = scores.sort_values(C.RIESGO)
    # a low-risk Cusco district with enough evidence: never drawn without its alert
    calm = ranked[(ranked[C.UBIGEO].str[:2] == "08")
                  & (ranked[C.EVIDENCIA] != C.EVIDENCIA_INSUFICIENTE)][C.UBIGEO].iloc[0]
    before = P.plan_inspections(scores, s).visits
    assert calm not in set(before[C.UBIGEO])
    flagged = scores.assign(alerta_deriva=np.where(scores[C.UBIGEO] == calm, "al alza", ""))
    plan = P.plan_inspections(flagged, s)
    ex = plan.visits[plan.visits[P.TIPO] == P.TIPO_EXPLORACION].set_index(C.UBIGEO)
    assert calm in ex.index
    assert "alerta de cambio" in ex.loc[calm, P.MOTIVO]
    assert "hallazgos recientes" in ex.loc[calm, P.MOTIVO]
    # flagged by its dated layers: the reason says so, not findings it does not have
    by_layers = flagged.assign(motivo_deriva=np.where(scores[C.UBIGEO] == calm, "capas", ""))
    plan = P.plan_inspections(by_layers, s)
    ex = plan.visits[plan.visits[P.TIPO] == P.TIPO_EXPLORACION].set_index(C.UBIGEO)
    assert "capas con fecha cambiaron" in ex.loc[calm, P.MOTIVO]
    assert "hallazgos recientes" not in ex.loc[calm, P.MOTIVO]


def test_left_out_districts_are_counted_in_the_singular_and_the_plural():
    one = Message.plural(1, "plan.distrito_no_cabe_en_viaje", "plan.distritos_no_caben_en_viaje",
                         max_days=10.0, codes="Andoas (160706)")
    two = Message.plural(2, "plan.distrito_sin_oficina", "plan.distritos_sin_oficina")
    assert one.es.startswith("1 distrito no cabe en un viaje de 10 días y queda fuera")
    assert one.en.startswith("1 district does not fit in a 10-day trip and is left out")
    assert two.es.startswith("2 distritos no pertenecen") and "2 districts belong" in two.en
