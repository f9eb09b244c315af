"""The region chosen once holds across pages, and every rank shown is the rank within it.

Headless (``streamlit.testing.v1.AppTest``) on the demo world, the visitor a planner; the
browser test of the same path is ``tests/e2e/test_pages_region.py``.
"""

from __future__ import annotations

import pytest

from geo.paths import REPO_ROOT

APP = str(REPO_ROOT / "dashboard" / "app.py")
TIMEOUT = 120

pytestmark = pytest.mark.slow


@pytest.fixture()
def demo_env(demo_settings, scores_gpkg, monkeypatch):
    monkeypatch.setenv("RISKMAP_CONFIG", str(demo_settings.path))
    return demo_settings


def _no_exception(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _app():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    _no_exception(at)
    return at


def test_cusco_table_ranks_are_the_card_ranks_and_the_region_holds(demo_env):
    at = _app()
    at.radio(key="mapa_region").set_value("cusco").run()
    at.toggle(key="mapa_top15").set_value(True).run()
    _no_exception(at)
    table = at.dataframe[0].value
    assert "Puesto en Cusco" in table.columns and "Puesto" not in table.columns
    assert table["Puesto en Cusco"].tolist()[:3] == [1, 2, 3]
    assert table["UBIGEO"].str[:2].eq("08").all()
    for _, row in table.head(6).iterrows():  # what a click on the map does, for six districts
        at.session_state["ubigeo"] = row["UBIGEO"]
        at.switch_page("views/distrito.py").run()
        _no_exception(at)
        card = {m.label: m.value for m in at.metric}
        assert card["Puesto en Cusco"].split(" / ")[0] == str(row["Puesto en Cusco"])
        assert at.radio(key="distrito_region").value == "cusco"  # the region held
        at.switch_page("views/mapa.py").run()
        assert at.radio(key="mapa_region").value == "cusco"
    at.switch_page("views/planificacion.py").run()
    _no_exception(at)
    assert at.radio(key="plan_region").value == "cusco"
    offices = at.dataframe[0].value.iloc[:-1, 0].tolist()  # by office, then the total
    assert offices and all("Cusco" in o for o in offices), offices
    assert not any("Loreto" in w.value for w in at.warning)


def test_a_district_of_another_region_moves_the_region_to_it(demo_env):
    at = _app()
    at.radio(key="mapa_region").set_value("cusco").run()
    at.session_state["ubigeo"] = "160101"  # Iquitos, Loreto
    at.switch_page("views/distrito.py").run()
    _no_exception(at)
    assert at.selectbox(key="distrito_sel").value == "160101"
    assert at.radio(key="distrito_region").value == "loreto"
    # and the choice on Distrito holds on the map
    at.radio(key="distrito_region").set_value("todo").run()
    at.switch_page("views/mapa.py").run()
    assert at.radio(key="mapa_region").value == "todo"


def test_a_regional_government_is_offered_only_its_region(demo_settings, scores_gpkg,
                                                         monkeypatch):
    # a region remembered in the session that the identity may not see is never offered
    import time
    import tomllib

    import tomli_w
    from streamlit.testing.v1 import AppTest

    raw = tomllib.loads(demo_settings.path.read_text(encoding="utf-8"))
    raw["auth"] = {"mode": "oidc", "oidc": {
        "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
        "client_id": "riskmap", "redirect_uri": "http://localhost:8501/oauth2callback",
        "rules": [{"email": "gore@cusco.test", "roles": ["gobierno_regional"],
                   "regions": ["cusco"]}]}}
    path = demo_settings.path.with_name("settings_oidc_regions.toml")
    path.write_text(tomli_w.dumps(raw), encoding="utf-8")
    monkeypatch.setenv("RISKMAP_CONFIG", str(path))
    monkeypatch.setenv("RISKMAP_OIDC_CLIENT_SECRET", "secreto-de-prueba")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.user = {"is_logged_in": True, "iss": "http://127.0.0.1:9", "sub": "gore_cusco",
               "email_verified": True, "iat": int(time.time()),
               "email": "gore@cusco.test", "name": "GORE Cusco"}
    at.session_state["region_elegida"] = "loreto"
    at.run()
    _no_exception(at)
    assert at.radio(key="mapa_region").options == ["Cusco"]
    assert at.radio(key="mapa_region").value == "cusco"
