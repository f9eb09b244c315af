"""Headless smoke tests of the Planificación page (``streamlit.testing.v1.AppTest``)."""

from __future__ import annotations

import pytest

from geo.paths import REPO_ROOT

APP = str(REPO_ROOT / "dashboard" / "app.py")
PAGE = "views/planificacion.py"
TIMEOUT = 120

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


def test_page_shows_plan_against_naive(synthetic_plan_world, monkeypatch):
    monkeypatch.setenv("RISKMAP_CONFIG", str(synthetic_plan_world))
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
    # the plan for a spreadsheet beside the CSV and the printable page
    downloads = [b.proto.label for b in at.get("download_button")]
    assert downloads == ["Descargar CSV", "Descargar XLSX (Excel, Calc)",
                         "Descargar página imprimible (HTML)",
                         "Descargar fichas de campo (HTML, A4)"], downloads


def test_inputs_change_the_plan_and_bad_budget_is_a_message(synthetic_plan_world, monkeypatch):
    monkeypatch.setenv("RISKMAP_CONFIG", str(synthetic_plan_world))
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


def test_page_in_english(synthetic_plan_world, monkeypatch):
    monkeypatch.setenv("RISKMAP_CONFIG", str(synthetic_plan_world))
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


def test_an_uploaded_travel_table_is_read_and_its_errors_name_the_upload():
    import hashlib
    from types import SimpleNamespace

    from dashboard.state.planning import read_uploaded_table
    from geo.errors import RiskmapError

    good = b"ubigeo,dias_viaje\n080101,1.5\n"
    upload = SimpleNamespace(name="viajes_cusco.csv", getvalue=lambda: good)
    table, digest = read_uploaded_table(upload, ["080101", "080102"], [])
    assert table["dias_viaje"].tolist() == [1.5] and digest == hashlib.sha256(good).hexdigest()
    assert read_uploaded_table(None, ["080101"], []) == (None, "")
    bad = SimpleNamespace(name="viajes_cusco.csv",
                          getvalue=lambda: b"ubigeo,dias_viaje\n999999,1\n")
    with pytest.raises(RiskmapError) as err:
        read_uploaded_table(bad, ["080101"], [])
    assert "viajes_cusco.csv" in err.value.es and "/tmp" not in err.value.es
