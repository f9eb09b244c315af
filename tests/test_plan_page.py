"""Headless smoke tests of the Planificación page (``streamlit.testing.v1.AppTest``)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

from geo import columns as C

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
PAGE = "views/planificacion.py"
TIMEOUT = 120

SETTINGS = """config_version = 1
[data]
workdir = "."
simulated = true
[planning]
exploration_share = 0.15
max_trip_days = 10
days_per_inspection = 2
seed = 0
[[planning.offices]]
name = "Intendencia Regional Cusco"
lat = -13.5226
lon = -71.9673
capacity_days = 40
department = "08"
[[planning.offices]]
name = "Intendencia Regional Loreto (Iquitos)"
lat = -3.7491
lon = -73.2538
capacity_days = 40
department = "16"
"""


@pytest.fixture(scope="module")
def synthetic_world(shared_data, tmp_path_factory) -> Path:
    """A settings file and a riesgo.gpkg with made-up scores on the real 169 districts."""
    root = tmp_path_factory.mktemp("plan-page")
    gdf = gpd.read_file(shared_data / "boundaries" / "cusco_loreto_distritos_mapsperu_full.geojson")
    gdf = gdf.rename(columns={"UBIGEO": C.UBIGEO, "DISTRITO": C.DISTRITO,
                              "PROVINCIA": C.PROVINCIA, "DEPARTAMENTO": C.DEPARTAMENTO})
    rng = np.random.default_rng(11)
    gdf[C.RIESGO] = rng.beta(1.0, 8.0, len(gdf))
    gdf[C.RIESGO_P05] = gdf[C.RIESGO] * 0.5
    gdf[C.RIESGO_P95] = np.minimum(1.0, gdf[C.RIESGO] * 1.8)
    gdf[C.EVIDENCIA] = np.where(rng.random(len(gdf)) < 0.3, C.EVIDENCIA_INSUFICIENTE,
                                "suficiente")
    gdf[C.RANGO] = gdf[C.RIESGO].rank(ascending=False, method="first").astype(int)
    cols = [C.UBIGEO, C.DISTRITO, C.PROVINCIA, C.DEPARTAMENTO, C.RIESGO, C.RIESGO_P05,
            C.RIESGO_P95, C.EVIDENCIA, C.RANGO, "geometry"]
    gdf[cols].to_file(root / "riesgo.gpkg", layer="riesgo")
    (root / "settings.toml").write_text(SETTINGS, encoding="utf-8")
    return root / "settings.toml"


def _page(lang: str | None = None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if lang:
        at.session_state["lang"] = lang
    at.run()
    at.switch_page(PAGE).run()
    return at


def _no_exception(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


def test_page_shows_plan_against_naive(synthetic_world, monkeypatch):
    monkeypatch.setenv("RISKMAP_CONFIG", str(synthetic_world))
    at = _page()
    _no_exception(at)
    assert at.title[0].value == "Planificación de inspecciones"
    assert not at.error
    labels = [m.label for m in at.metric]
    assert "Hallazgos esperados (plan)" in labels and "Plan simple" in labels
    plan = float(at.metric[0].value)
    naive = float(at.metric[1].value)
    assert plan >= naive > 0
    assert len(at.dataframe) == 2  # summary by office, trips
    trips = at.dataframe[1].value
    assert len(trips) > 0 and "exploración" in set(trips["Tipo"])


def test_inputs_change_the_plan_and_bad_budget_is_a_message(synthetic_world, monkeypatch):
    monkeypatch.setenv("RISKMAP_CONFIG", str(synthetic_world))
    at = _page()
    before = float(at.metric[0].value)
    at.number_input(key="plan_cap_0").set_value(80.0).run()
    _no_exception(at)
    assert float(at.metric[0].value) > before
    at.slider(key="plan_exploracion").set_value(0.0).run()
    _no_exception(at)
    assert "exploración" not in set(at.dataframe[1].value["Tipo"])
    at.number_input(key="plan_cap_0").set_value(1.0)
    at.number_input(key="plan_cap_1").set_value(1.0).run()
    _no_exception(at)
    assert at.error and "no alcanza" in at.error[0].value


def test_page_in_english(synthetic_world, monkeypatch):
    monkeypatch.setenv("RISKMAP_CONFIG", str(synthetic_world))
    at = _page("en")
    _no_exception(at)
    assert at.title[0].value == "Inspection planning"
    assert "Expected findings (plan)" in [m.label for m in at.metric]


@pytest.mark.slow
def test_page_on_the_demo_world(demo_settings, scores_gpkg, monkeypatch):
    monkeypatch.setenv("RISKMAP_CONFIG", str(demo_settings.path))
    at = _page()
    _no_exception(at)
    assert not at.error
    assert float(at.metric[0].value) >= float(at.metric[1].value)
