"""Headless smoke tests of every dashboard page (``streamlit.testing.v1.AppTest``).

They run the real app on the demo world built by the conftest fixtures (real boundaries,
simulated sector layers and inspections) and assert on what the page shows: titles,
numbers, the simulated-data banner, row-level errors — and that no page raises.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pandas as pd
import pytest

from geo.formatting import format_number, format_percent
from geo.paths import REPO_ROOT

APP = str(REPO_ROOT / "dashboard" / "app.py")
TIMEOUT = 120

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def evaluation_json(demo_settings, scores_gpkg) -> Path:
    """The model card where the dashboard reads it (small replicate counts: a smoke test)."""
    from models.evaluation.backtest import evaluate

    path = demo_settings.workdir / "evaluacion.json"
    if not path.exists():
        card = evaluate(demo_settings, n_bootstrap=10, n_uncertainty=5)
        path.write_text(json.dumps(card, ensure_ascii=False, default=str), encoding="utf-8")
    return path


@pytest.fixture()
def app_env(demo_settings, scores_gpkg, evaluation_json, monkeypatch):
    """The demo world as `make serve` shows it: no sign-in, the visitor is a planner."""
    monkeypatch.setenv("RISKMAP_CONFIG", str(demo_settings.path))
    return demo_settings


# Identities for the role tests: OIDC sign-in (AppTest seeds st.user as the identity
# provider's verified claims would), mapped to roles and regions by the settings' rules.
ACCOUNTS = {
    "ana": {"email": "ana@sunafil.test", "name": "Ana Quispe"},  # planner, Cusco
    "luis": {"email": "luis@sunafil.test", "name": "Luis Pérez"},  # planner, Loreto
    "gore_cusco": {"email": "gore@cusco.test", "name": "GORE Cusco"},
    "gore_loreto": {"email": "gore@loreto.test", "name": "GORE Loreto"},
    "rosa": {"email": "rosa@uni.test", "name": "Rosa", "groups": ["investigacion"]},
    "root": {"email": "root@sunafil.test", "name": "Admin"},
    "nadie": {"email": "nadie@otro.test", "name": "Nadie"},
}
RULES = [
    {"email": "ana@sunafil.test", "roles": ["planificador"], "regions": ["cusco"]},
    {"email": "luis@sunafil.test", "roles": ["planificador"], "regions": ["loreto"]},
    {"email": "gore@cusco.test", "roles": ["gobierno_regional"], "regions": ["cusco"]},
    {"email": "gore@loreto.test", "roles": ["gobierno_regional"], "regions": ["loreto"]},
    {"group": "investigacion", "roles": ["investigador"]},
    {"email": "root@sunafil.test", "roles": ["admin"]},
]


@pytest.fixture()
def oidc_env(demo_settings, scores_gpkg, evaluation_json, monkeypatch):
    """The demo world behind OIDC sign-in with the rules above."""
    path = _variant(demo_settings, "settings_oidc_apptest.toml", auth={
        "mode": "oidc", "oidc": {
            "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
            "client_id": "riskmap", "redirect_uri": "http://localhost:8501/oauth2callback",
            "rules": RULES}})
    monkeypatch.setenv("RISKMAP_CONFIG", str(path))
    monkeypatch.setenv("RISKMAP_OIDC_CLIENT_SECRET", "secreto-de-prueba")
    return demo_settings


def _variant(demo_settings, name: str, simulated: bool | None = None, **tables) -> Path:
    """A copy of the demo settings beside it (relative paths hold) with tables replaced."""
    import tomllib

    import tomli_w

    raw = tomllib.loads(demo_settings.path.read_text(encoding="utf-8"))
    raw.update(tables)
    if simulated is not None:
        raw["data"]["simulated"] = simulated
    path = demo_settings.path.with_name(name)
    path.write_text(tomli_w.dumps(raw), encoding="utf-8")
    return path


def _claims(who: str, **extra) -> dict:
    import time

    return {"is_logged_in": True, "iss": "http://127.0.0.1:9", "sub": who,
            "email_verified": True, "iat": int(time.time()), **ACCOUNTS[who], **extra}


def _app(page: str | None = None, lang: str | None = None, who: str | None = None,
         **claims):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if who:
        at.user = _claims(who, **claims)
    if lang:
        at.session_state["lang"] = lang
    at.run()
    if page:
        at.switch_page(f"views/{page}.py").run()
    return at


def _text(at) -> str:
    parts = [e.value for e in at.markdown] + [e.value for e in at.title] + \
        [e.value for e in at.caption] + [e.value for e in at.warning] + \
        [e.value for e in at.error] + [e.value for e in at.info] + \
        [e.value for e in at.success] + [e.value for e in at.subheader]
    return "\n".join(str(p) for p in parts)


def _no_exception(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


def test_mapa_page_shows_map_and_banner(app_env):
    at = _app()
    _no_exception(at)
    assert at.title[0].value == "Mapa de riesgo por distrito"
    assert "DATOS SIMULADOS" in at.warning[0].value
    assert "169 distritos" in _text(at)
    assert not at.error
    # change region, classes, layers and hot spots: still no error, fewer districts
    at.radio(key="mapa_region").set_value("loreto").run()
    _no_exception(at)
    assert "53 distritos" in _text(at)
    at.selectbox(key="mapa_esquema").set_value("fisher_jenks").run()
    at.toggle(key="mapa_hotspots").set_value(True).run()
    layers = at.multiselect(key="mapa_capas")
    at.multiselect(key="mapa_capas").set_value(layers.options[:2]).run()
    _no_exception(at)
    assert not at.error
    assert "puntos calientes" in _text(at)


def test_language_switch_is_remembered(app_env):
    at = _app()
    at.radio(key="ui_idioma").set_value("en").run()
    _no_exception(at)
    assert at.title[0].value == "Risk map by district"
    assert "SIMULATED DATA" in at.warning[0].value
    at.switch_page("views/modelo.py").run()
    assert at.title[0].value == "How the model performs"
    assert at.session_state["lang"] == "en"


def _sidebar_text(at) -> str:
    """The sidebar's markdown as a reader sees it (without markdown's escapes)."""
    return "\n".join(str(m.value) for m in at.sidebar.markdown).replace("\\", "")


def test_identity_is_shown_not_chosen(oidc_env):
    at = _app(who="ana")
    _no_exception(at)
    assert "ui_rol" not in {r.key for r in at.radio}, "no role picker"
    assert not [t for t in at.text_input if t.key == "ui_usuario"], "no typed name"
    side = _sidebar_text(at)
    assert "Ana Quispe" in side and "Planificador/a de inspecciones" in side
    assert "Regiones: Cusco" in side
    assert "ui_salir" in {b.key for b in at.sidebar.button}
    at.radio(key="ui_idioma").set_value("en").run()
    _no_exception(at)
    assert "Inspection planner" in _sidebar_text(at) and "Regions: Cusco" in _sidebar_text(at)
    at.switch_page("views/datos.py").run()
    _no_exception(at)
    assert "datos_recalcular" in {b.key for b in at.button}


def test_a_role_cannot_be_set_from_the_session(oidc_env):
    # what an old browser tab (or a crafted message) could send: the role comes only from
    # the sign-in's rule, never from session values
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.user = _claims("rosa")
    at.session_state["rol"] = "planificador"
    at.session_state["ui_rol"] = "planificador"
    at.run()
    at.switch_page("views/datos.py").run()
    _no_exception(at)
    assert "datos_importar" not in {b.key for b in at.button}
    assert "datos_recalcular" not in {b.key for b in at.button}
    assert "Investigador/a" in _sidebar_text(at)


def test_distrito_page_card_and_search(app_env):
    from geo.config import load_settings

    settings = load_settings(os.environ["RISKMAP_CONFIG"])
    import pyogrio

    scores = pyogrio.read_dataframe(settings.scores_gpkg, layer="riesgo", read_geometry=False)
    top = scores.sort_values("rango").iloc[0]
    at = _app("distrito")
    _no_exception(at)
    assert at.title[0].value == "Ficha del distrito"
    # search by UBIGEO selects that district and shows its rank 1
    at.text_input(key="distrito_buscar").set_value(str(top["ubigeo"])).run()
    _no_exception(at)
    assert at.selectbox(key="distrito_sel").value == top["ubigeo"]
    assert top["distrito"] in at.subheader[0].value
    metrics = {m.label: m.value for m in at.metric}
    dep = top["departamento"]
    n_dep = int((scores["ubigeo"].str[:2] == str(top["ubigeo"])[:2]).sum())
    # the rank within its department (a Cusco office never counts Loreto's districts)
    assert metrics[f"Puesto en {dep}"] == f"1 / {n_dep}"
    assert metrics["Riesgo"] == format_percent(top["riesgo"], "es")
    # contributions in percentage points, and the record said for what it is
    text = _text(at)
    assert "puntos porcentuales" in text and "escala logit" not in text
    assert "Con sus características, el modelo esperaría un riesgo de" in text
    # a search that matches nothing says so, without an error
    at.text_input(key="distrito_buscar").set_value("zzzz-no-existe").run()
    _no_exception(at)
    assert "Ningún distrito coincide" in _text(at)


def test_distrito_opens_from_session_ubigeo(app_env):
    # what a click on the map does: session_state["ubigeo"] then switch to the card
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.session_state["ubigeo"] = "160101"
    at.switch_page("views/distrito.py").run()
    _no_exception(at)
    assert at.selectbox(key="distrito_sel").value == "160101"
    assert "Iquitos" in at.subheader[0].value


def test_modelo_page(app_env):
    at = _app("modelo")
    _no_exception(at)
    assert at.title[0].value == "Cómo se comporta el modelo"
    assert not at.error
    text = _text(at)
    assert "Tasa de acierto" in text and "Coeficientes" in text
    assert len(at.dataframe) >= 1
    # the selection correction and the complaints' strength, as the card says them
    card = json.loads((app_env.workdir / "evaluacion.json").read_text(encoding="utf-8"))
    g = card["modelo"]["seleccion"]["denuncias_como_evidencia"]
    assert "Cuando el riesgo se mueve" in text
    assert f"Fuerza estimada g = {format_number(g, 'es', digits=2)}" in text


def test_modelo_page_says_which_layers_are_dated_and_why_a_district_is_flagged(app_env):
    # a card as a deployment with dated layers writes it (the demo world has none)
    path = app_env.workdir / "evaluacion.json"
    original = path.read_text(encoding="utf-8")
    card = json.loads(original)
    card["modelo"]["deriva"]["capas_con_fecha"] = ["concesiones_mineras", "dragas"]
    card["modelo"]["deriva"]["alertas"] = [
        {"ubigeo": "160803", "distrito": "Teniente Manuel Clavero", "alerta": "al alza",
         "motivo": "capas", "p": None, "cambio_capas": 0.91},
        {"ubigeo": "080902", "distrito": "Echarate", "alerta": "al alza",
         "motivo": "hallazgos", "p": 0.01, "cambio_capas": 0.0}]
    try:
        path.write_text(json.dumps(card, ensure_ascii=False), encoding="utf-8")
        at = _app("modelo")
        _no_exception(at)
        text = _text(at)
        assert "Capas con fecha (concesiones mineras, dragas de oro en ríos)" in text
        table = next(d.value for d in at.dataframe if "Motivo" in d.value.columns)
        assert table.set_index("UBIGEO")["Motivo"].to_dict() == {"160803": "capas",
                                                                  "080902": "hallazgos"}
        assert "Por capas" in text
        assert table.set_index("UBIGEO")["Sus capas multiplican sus odds por"].to_dict() == {
            "160803": "×2.5", "080902": "—"}
    finally:
        path.write_text(original, encoding="utf-8")


def test_datos_page_bad_upload_leaves_store_unchanged(app_env, tmp_path):
    from geo import paths
    from geo.records.store import InspectionStore

    before = InspectionStore(paths.store_path()).count()
    at = _app("datos")
    _no_exception(at)
    bad = (
        b"id,fecha,ubigeo,sector,hallazgo_tf,origen\n"
        b"T-1,2023-05-02,080101,mineria,1,planificada\n"
        b"T-2,2023-13-45,080101,mineria,1,planificada\n"  # impossible date
        b"T-3,2023-06-01,999999,tala,0,denuncia\n"  # unknown district
    )
    at.file_uploader(key="datos_archivo").set_value(("malo.csv", bad, "text/csv")).run()
    _no_exception(at)
    tables = [d.value for d in at.dataframe if "Fila" in d.value.columns]
    assert tables, [e.value for e in at.error]
    assert sorted(tables[0]["Fila"].unique().tolist()) == [3, 4]
    assert at.button(key="datos_importar").disabled
    assert any("No se importará nada" in e.value for e in at.error)
    assert InspectionStore(paths.store_path()).count() == before


def test_datos_page_unreadable_file_is_a_message(app_env):
    at = _app("datos")
    at.file_uploader(key="datos_archivo").set_value(("vacio.csv", b"", "text/csv")).run()
    _no_exception(at)
    assert at.error, "an empty file must show a message"
    at.file_uploader(key="datos_archivo").set_value(
        ("raro.csv", b"foo;bar\n1;2\n", "text/csv")).run()
    _no_exception(at)
    assert at.error


def test_datos_page_good_upload_is_ready_to_import(app_env):
    # The import click itself is covered by the browser tests: AppTest does not replay
    # the uploaded file on the button's rerun.
    good = (
        b"id,fecha,ubigeo,sector,hallazgo_tf,origen\n"
        b"TEST-OK-1,2024-05-02,080101,construccion,0,planificada\n"
        b"TEST-OK-2,2024-06-02,160101,tala,1,denuncia\n"
    )
    at = _app("datos")
    at.file_uploader(key="datos_archivo").set_value(("bueno.csv", good, "text/csv")).run()
    _no_exception(at)
    assert not at.error
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Filas válidas"] == "2" and metrics["Filas con errores"] == "0"
    assert not at.button(key="datos_importar").disabled
    # plain headers, blank (not "None") empty cells, where the model's records come from
    preview = [d.value for d in at.dataframe if "Fecha" in d.value.columns][0]
    assert "fecha" not in preview.columns and "hallazgo_tf" not in preview.columns
    assert "Víctimas" in preview.columns
    assert "None" not in preview.astype(str).to_numpy().ravel().tolist()
    assert preview["Víctimas"].tolist() == ["", ""]
    text = _text(at)
    assert "De dónde salen los registros del modelo" in text
    assert "El modelo usará" in text


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "csv", "xlsx"])
def test_exportar_page(app_env, fmt):
    at = _app("exportar")
    _no_exception(at)
    at.radio(key="exportar_formato").set_value(fmt).run()
    at.radio(key="exportar_region").set_value("cusco").run()
    _no_exception(at)
    assert not at.error
    text = _text(at)
    assert "116 distritos" in text
    assert "DATOS SIMULADOS" in text
    assert "Descargue el XLSX" in text  # which file a spreadsheet user should take
    from dashboard.state import FORMATS

    button = at.get("download_button")[0].proto
    assert button.label.startswith(f"Descargar {FORMATS[fmt][0]} (")


def test_indicadores_page_offers_the_profile_as_xlsx(oidc_env):
    """For each grouping, a download (made on the click: the read is audited then)."""
    at = _app("indicadores", who="gore_cusco")
    _no_exception(at)
    assert at.radio(key="ind_xlsx_por").options == ["distrito", "provincia", "sector", "año"]
    for by in ("provincia", "anio"):
        at.radio(key="ind_xlsx_por").set_value(by).run()
        _no_exception(at)
        labels = [b.proto.label for b in at.get("download_button")]
        assert labels == ["Descargar XLSX"], labels
    assert "riskmap indicators --by" in _text(at)


def test_missing_artefacts_say_run_prepare(tmp_path, monkeypatch):
    settings = tmp_path / "settings.toml"
    settings.write_text('config_version = 1\n[data]\nworkdir = "."\nsimulated = true\n',
                        encoding="utf-8")
    monkeypatch.setenv("RISKMAP_CONFIG", str(settings))
    for page in (None, "distrito", "modelo", "datos", "exportar"):
        at = _app(page)
        _no_exception(at)
        assert any("riskmap prepare" in e.value for e in at.error), page


# --- roles --------------------------------------------------------------------------------
def _scores(settings_path: str):
    import pyogrio

    from geo.config import load_settings

    settings = load_settings(settings_path)
    return pyogrio.read_dataframe(settings.scores_gpkg, layer="riesgo", read_geometry=False)


def test_regional_government_sees_suppressed_aggregates_only(oidc_env):
    scores = _scores(os.environ["RISKMAP_CONFIG"])
    few = scores[(scores["n_inspecciones"] >= 1) & (scores["n_inspecciones"] < 5)]
    assert len(few), "the demo world should have districts with 1 to 4 inspections"
    ubigeo = str(few.iloc[0]["ubigeo"])
    at = _app(who="gore_cusco" if ubigeo.startswith("08") else "gore_loreto")
    assert "Gobierno regional" in _sidebar_text(at)
    at.session_state["ubigeo"] = ubigeo
    at.switch_page("views/distrito.py").run()
    _no_exception(at)
    assert not at.error
    text = _text(at)
    assert "un número oculto de inspecciones" in text  # the card's caption, suppressed
    assert "no se muestran inspecciones una por una" in text
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Inspecciones"] == "oculto"
    # no table by year: record-level history is for planners only
    assert not [d for d in at.dataframe if "Año" in d.value.columns]
    # Datos: a file can be checked, but there is no import or recompute button
    at.switch_page("views/datos.py").run()
    _no_exception(at)
    assert any("solo Planificador/a de inspecciones" in i.value for i in at.info)
    keys = {b.key for b in at.button}
    assert "datos_importar" not in keys and "datos_recalcular" not in keys


def test_regional_government_never_gets_a_small_complaint_count(oidc_env):
    # a district with enough inspections and findings but 1 to 4 complaint-driven ones: the
    # complaints move its history term (models.risk.disclosure), so its record is withheld too,
    # and the card says why in words that hold for its visible counts
    scores = _scores(os.environ["RISKMAP_CONFIG"])
    # (no finding, or five or more: neither visible count is itself small)
    few = scores[scores["n_denuncias"].between(1, 4) & (scores["n_inspecciones"] >= 5)
                 & ((scores["n_hallazgos"] >= 5) | (scores["n_hallazgos"] == 0))]
    assert len(few), "the demo world should have such a district"
    row = few.iloc[0]
    ubigeo = str(row["ubigeo"])
    at = _app(who="gore_cusco" if ubigeo.startswith("08") else "gore_loreto")
    at.session_state["ubigeo"] = ubigeo
    at.switch_page("views/distrito.py").run()
    _no_exception(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Inspecciones"] == str(int(row["n_inspecciones"]))  # not itself small
    assert metrics["Intervalo 90%"] == "no publicado"
    text = _text(at)
    assert "Menos de 5 de ellas respondieron a denuncias" in text
    assert "Con tan pocos registros" not in text
    assert not re.search(r"\d+ por denuncia", text)
    # nor in the export page's preview: its complaint column is blank where small
    at.switch_page("views/exportar.py").run()
    at.toggle(key="exportar_vista_todas").set_value(True).run()  # the counts: on demand
    _no_exception(at)
    preview = [d.value for d in at.dataframe if "Inspecciones por denuncia" in d.value.columns]
    assert preview, "the preview shows the complaint-driven inspections"
    counts = pd.to_numeric(preview[0]["Inspecciones por denuncia"], errors="coerce")
    assert counts.isna().any() and counts.notna().any()
    assert not counts.between(1, 4).any()


def test_one_finding_is_said_in_the_singular(oidc_env):
    scores = _scores(os.environ["RISKMAP_CONFIG"])
    one = scores[(scores["n_hallazgos"] == 1) & (scores["n_inspecciones"] > 1)
                 & scores["ubigeo"].astype(str).str.startswith("08")]  # ana plans Cusco
    assert len(one), "the demo world should have a Cusco district with a single finding"
    row = one.iloc[0]
    at = _app(who="ana")
    at.session_state["ubigeo"] = str(row["ubigeo"])
    at.switch_page("views/distrito.py").run()
    _no_exception(at)
    text = _text(at)
    assert f"Basado en {int(row['n_inspecciones'])} inspecciones con 1 hallazgo." in text


def test_planner_sees_history_by_year_and_can_import(oidc_env):
    scores = _scores(os.environ["RISKMAP_CONFIG"])
    cusco = scores[scores["ubigeo"].astype(str).str.startswith("08")]
    busy = cusco.sort_values("n_inspecciones", ascending=False).iloc[0]
    at = _app(who="ana")
    at.session_state["ubigeo"] = str(busy["ubigeo"])
    at.switch_page("views/distrito.py").run()
    _no_exception(at)
    years = [d.value for d in at.dataframe if "Año" in d.value.columns]
    assert years, "the planner sees the history by year"
    assert years[0]["Inspecciones"].sum() == int(busy["n_inspecciones"])
    span = years[0]["Año"].tolist()
    assert span == list(range(span[0], span[-1] + 1)), "every year of the period, 0 if none"
    assert "entre los 10 distritos de mayor riesgo" in _text(at)
    indicators = [d.value for d in at.dataframe if "Indicador" in d.value.columns][0]
    cells = " ".join(indicators.iloc[:, 1].astype(str))
    assert "%" in cells and "km" in cells
    at.switch_page("views/datos.py").run()
    _no_exception(at)
    assert "datos_recalcular" in {b.key for b in at.button}
    assert not any("solo Planificador/a" in i.value for i in at.info)


@pytest.mark.parametrize("who", ["gore_loreto", "rosa"])
def test_export_suppression_cannot_be_turned_off_by_other_roles(oidc_env, who):
    at = _app("exportar", who=who)
    _no_exception(at)
    threshold = at.number_input(key="exportar_umbral")
    assert threshold.value == 5 and threshold.min == 5
    # a crafted request below the floor (the browser's minimum is not a control): the
    # server clamps it, and the page and the file stay suppressed at 5
    threshold.set_value(1).run()
    _no_exception(at)
    assert at.number_input(key="exportar_umbral").value == 5
    suppressed = re.search(r"(\d+) conteos de hallazgos suprimidos", _text(at))
    assert suppressed and int(suppressed.group(1)) > 0
    # every count column, inspections too, and the metadata says so; no server paths
    insp = re.search(r"(\d+) conteos de inspecciones suprimidos", _text(at))
    assert insp and int(insp.group(1)) > 0
    meta = at.json[0].value
    meta = json.loads(meta) if isinstance(meta, str) else meta
    assert "n_inspecciones" in meta["columnas_con_conteos_suprimidos"]
    for key in ("configuracion", "tabla_distritos", "base", "inspecciones_fuente"):
        assert not str(meta.get(key, "")).startswith("/"), (key, meta.get(key))
    at.toggle(key="exportar_vista_todas").set_value(True).run()  # the counts: on demand
    preview = [d.value for d in at.dataframe if "Inspecciones" in d.value.columns][0]
    counts = preview["Inspecciones"].dropna()
    assert not ((counts > 0) & (counts < 5)).any()


def test_planner_may_export_exact_counts(oidc_env):
    at = _app("exportar", who="ana")
    threshold = at.number_input(key="exportar_umbral")
    assert threshold.value == 5 and threshold.min == 1
    threshold.set_value(1).run()
    _no_exception(at)
    assert "0 conteos de hallazgos suprimidos" in _text(at)


def test_store_audit_records_role_and_user(oidc_env, tmp_path, monkeypatch):
    import geopandas as gpd
    import pandas as pd

    from geo.records.store import InspectionStore

    monkeypatch.setenv("RISKMAP_DATA_DIR", str(tmp_path))  # a store of its own
    districts = gpd.read_file(oidc_env.districts_gpkg, layer="distritos")
    # a district with at most two records in the history file, so that history + store < 5
    history = pd.read_csv(oidc_env.inspections, dtype={"ubigeo": str})
    cusco = districts[districts["ubigeo"].str.startswith("08")]
    per = history["ubigeo"].value_counts().reindex(cusco["ubigeo"], fill_value=0)
    ubigeo = per[per <= 2].index[0]
    before = int(per[ubigeo])
    csv = tmp_path / "pocas.csv"
    csv.write_text("id,fecha,ubigeo,sector,hallazgo_tf\n"
                   f"AUD-1,2021-03-15,{ubigeo},mineria,1\n"
                   f"AUD-2,2022-03-15,{ubigeo},mineria,0\n", encoding="utf-8")
    store = InspectionStore(tmp_path / "inspecciones.sqlite", role="planificador", user="Ana")
    store.import_file(csv, districts)

    at = _app(who="ana")
    at.session_state["ubigeo"] = ubigeo
    at.switch_page("views/distrito.py").run()
    _no_exception(at)
    years = [d.value for d in at.dataframe if "Año" in d.value.columns]
    # the history file's records and the two imported ones, year by year
    assert years and int(years[0]["Inspecciones"].sum()) == before + 2

    at = _app(who="rosa")
    at.session_state["ubigeo"] = ubigeo
    at.switch_page("views/distrito.py").run()
    _no_exception(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Inspecciones"] == "oculto"  # < 5 records: suppressed for researchers

    audit = InspectionStore(store.db_path, role="admin", user="auditor").audit()
    reads = audit[audit["accion"] == "lectura_registros"]
    who = set(zip(reads["usuario"], reads["rol"], strict=True))
    assert ("ana@sunafil.test", "planificador") in who
    aggregates = audit[audit["accion"] == "lectura_agregados"]
    assert ("rosa@uni.test", "investigador") in set(zip(aggregates["usuario"],
                                                         aggregates["rol"], strict=True))
    assert not ((audit["rol"] == "investigador") & (audit["accion"] == "lectura_registros")).any()
    # the sign-ins, the pages and the districts opened are in the trail too
    assert {"inicio_sesion", "pagina", "distrito"} <= set(audit["accion"])
    assert store.verify_audit().ok


def test_deep_link_runs_through_the_app(app_env):
    # what a fresh browser on /distrito gets: the sidebar (language, who) and the banner
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.switch_page("views/distrito.py").run()
    _no_exception(at)
    assert at.title[0].value == "Ficha del distrito"
    assert at.radio(key="ui_idioma").value == "es"
    assert "Visitante (demostración)" in _sidebar_text(at)
    assert "DATOS SIMULADOS" in at.warning[0].value


def test_views_folder_is_not_a_streamlit_pages_folder():
    # A folder named pages/ beside app.py switches Streamlit to its legacy multipage mode.
    dashboard = Path(APP).parent
    assert not (dashboard / "pages").exists()
    assert (dashboard / "views" / "mapa.py").is_file()


# --- all of Peru ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def peru_env(demo_settings, scores_gpkg, evaluation_json):
    """The demo settings with ``region = ["all"]`` (1,891 districts), built and scored."""
    import re as _re

    from geo.config import load_settings
    from geo.geography.build import build_districts
    from models.risk.score import score_districts, write_scores

    path = demo_settings.path.with_name("settings_peru_apptest.toml")
    text = demo_settings.path.read_text(encoding="utf-8")
    text = _re.sub(r"(?m)^region\s*=.*$", 'region = ["all"]', text, count=1)
    text = _re.sub(r"(?m)^workdir\s*=.*$", 'workdir = "peru_apptest"', text, count=1)
    assert 'region = ["all"]' in text and 'workdir = "peru_apptest"' in text
    path.write_text(text, encoding="utf-8")
    settings = load_settings(path)
    if not settings.scores_gpkg.exists():
        settings.workdir.mkdir(parents=True, exist_ok=True)
        build_districts(settings, out=settings.districts_gpkg)
        write_scores(score_districts(settings), settings.scores_gpkg, settings)
    return settings


def test_all_peru_offers_every_department_and_draws_every_district(peru_env, monkeypatch):
    monkeypatch.setenv("RISKMAP_CONFIG", str(peru_env.path))
    at = _app()
    _no_exception(at)
    assert not at.error
    region = at.selectbox(key="mapa_region")  # 26 choices: a select box, not a radio
    assert region.options[0] == "Todo el ámbito (1,891 distritos)"
    assert region.options[1:3] == ["Cusco", "Loreto"]  # the pilot regions first
    assert len(region.options) == 26
    assert "1,891 distritos" in _text(at)
    region.set_value("lima").run()
    _no_exception(at)
    import pyogrio

    scores = pyogrio.read_dataframe(peru_env.scores_gpkg, layer="riesgo", read_geometry=False)
    n_lima = int((scores["ubigeo"].astype(str).str[:2] == "15").sum())
    assert f"{n_lima} distritos" in _text(at)
    # the export offers the same regions, and the region chosen on the map holds there
    at.switch_page("views/exportar.py").run()
    _no_exception(at)
    assert at.selectbox(key="exportar_region").options[0].startswith("Todo el ámbito")
    assert at.selectbox(key="exportar_region").value == "lima"
    assert f"{n_lima} distritos" in _text(at)


# --- sign-in and regions --------------------------------------------------------------------
def test_local_sign_in_shows_nothing_but_the_prompt(demo_settings, scores_gpkg, monkeypatch):
    path = _variant(demo_settings, "settings_local_apptest.toml", auth={"mode": "local"})
    monkeypatch.setenv("RISKMAP_CONFIG", str(path))
    at = _app()
    _no_exception(at)
    assert [t.value for t in at.title] == ["riskmap — iniciar sesión"]
    assert not at.warning and not at.dataframe and not at.metric
    assert not at.sidebar.radio and not at.sidebar.button  # no navigation, no switch
    for page in ("mapa", "distrito", "datos", "usuarios"):
        # not one page is registered without a session: a deep link has nothing to run
        with pytest.raises(ValueError, match=r"Known pages: \['riskmap'\]"):
            at.switch_page(f"views/{page}.py")


def test_none_with_real_data_is_refused(demo_settings, scores_gpkg, monkeypatch):
    path = _variant(demo_settings, "settings_real_none_apptest.toml", simulated=False)
    monkeypatch.setenv("RISKMAP_CONFIG", str(path))
    at = _app()
    _no_exception(at)
    assert any("solo se permite con datos simulados" in e.value for e in at.error)
    assert not at.title and not at.dataframe


def test_cusco_planner_sees_only_cusco(oidc_env):
    at = _app(who="ana")
    _no_exception(at)
    assert at.radio(key="mapa_region").options == ["Cusco"]
    assert "116 distritos" in _text(at)
    at.session_state["ubigeo"] = "160101"  # Iquitos, Loreto: a crafted click or link
    at.switch_page("views/distrito.py").run()
    _no_exception(at)
    assert "fuera de sus regiones (Cusco)" in _text(at)
    choices = at.selectbox(key="distrito_sel").options
    assert all("— 08" in c for c in choices) and len(choices) == 116
    at.switch_page("views/exportar.py").run()
    _no_exception(at)
    assert at.radio(key="exportar_region").options == ["Cusco"]


def test_account_without_a_rule_gets_no_page(oidc_env):
    at = _app(who="nadie")
    _no_exception(at)
    assert any("no tiene acceso a riskmap" in e.value for e in at.error)
    assert not at.dataframe and not at.metric and not at.warning


def test_expired_oidc_session_asks_to_sign_in_again(oidc_env):
    import time

    at = _app(who="ana", iat=int(time.time()) - 9 * 3600)
    _no_exception(at)
    assert any("pasó de 8 horas" in i.value for i in at.info)
    assert not at.dataframe and not at.metric


def test_admin_only_sees_the_audit_not_the_data(oidc_env):
    at = _app(who="root")
    _no_exception(at)
    # the first page of an administrator is Usuarios; there is no map or card to open
    assert at.title[0].value == "Usuarios"
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("views/distrito.py")
    at = _app("auditoria", who="root")
    _no_exception(at)
    assert at.title[0].value == "Auditoría"
    assert any("Auditoría íntegra" in s.value for s in at.success)
    trail = at.dataframe[0].value
    assert "inicio_sesion" in set(trail["Acción"])


# --- hostile uploads ------------------------------------------------------------------------
def test_upload_over_the_row_limit_is_refused_and_not_kept(demo_settings, scores_gpkg,
                                                           evaluation_json, monkeypatch):
    from geo import paths

    path = _variant(demo_settings, "settings_limits_apptest.toml",
                    limits={"upload_rows": 2, "upload_mb": 1})
    monkeypatch.setenv("RISKMAP_CONFIG", str(path))
    rows = b"id,fecha,ubigeo,sector,hallazgo_tf\n" + b"".join(
        f"L-{i},2024-01-0{i},080101,tala,0\n".encode() for i in range(1, 4))
    at = _app("datos")
    at.file_uploader(key="datos_archivo").set_value(("tres.csv", rows, "text/csv")).run()
    _no_exception(at)
    errors = [e.value.replace("\\", "") for e in at.error]  # as shown (markdown escapes)
    assert any("tres.csv" in e and "más de 2 filas" in e and "Divídalo" in e for e in errors)
    assert not [d for d in at.dataframe], "nothing of a refused file is shown"
    import hashlib

    kept = hashlib.sha256(rows).hexdigest()[:32]
    assert not (paths.uploads_dir() / kept).exists(), "a refused upload is not kept"
    big = b"id,fecha,ubigeo,sector,hallazgo_tf\n" + b"x" * 1_100_000
    at.file_uploader(key="datos_archivo").set_value(("grande.csv", big, "text/csv")).run()
    _no_exception(at)
    assert any("grande.csv" in e.value.replace("\\", "") and "el límite es 1 MB" in e.value
               for e in at.error)


def test_upload_name_never_becomes_a_path(app_env):
    from geo import paths

    good = (b"id,fecha,ubigeo,sector,hallazgo_tf\n"
            b"NAME-1,2024-05-02,080101,construccion,0\n")
    outside = paths.data_dir().parent / "evil.csv"
    at = _app("datos")
    at.file_uploader(key="datos_archivo").set_value(("../../evil.csv", good, "text/csv")).run()
    _no_exception(at)
    assert not outside.exists()
    saved = [p for p in paths.uploads_dir().rglob("*") if p.is_file()]
    assert saved and all(p.parent.parent == paths.uploads_dir() for p in saved)
    assert all(re.fullmatch(r"[0-9a-f]{32}", p.parent.name) for p in saved)
    assert all(".." not in p.name and "/" not in p.name for p in saved)
    assert paths.uploads_dir().stat().st_mode & 0o777 == 0o700
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in saved)
    assert all(p.parent.stat().st_mode & 0o777 == 0o700 for p in saved)
    # removed from the uploader (the user cancelled): the kept copy goes too
    import hashlib

    mine = paths.uploads_dir() / hashlib.sha256(good).hexdigest()[:32]
    assert [p.name for p in mine.iterdir()] == ["evil.csv"]  # its own name, made safe
    at.file_uploader(key="datos_archivo").set_value(None).run()
    _no_exception(at)
    assert not mine.exists()
    # markdown in a cell is shown as text, not rendered (no link, no image)
    md = (b"id,fecha,ubigeo,sector,hallazgo_tf\n"
          b"MD-1,2024-05-02,![p](http://127.0.0.1:9/x.png),construccion,0\n")
    at.file_uploader(key="datos_archivo").set_value(("md.csv", md, "text/csv")).run()
    _no_exception(at)
    assert any("![p](http://127.0.0.1:9/x.png)" in t.value for t in at.text)
    assert not any("![p]" in m.value for m in at.markdown)


def test_the_servers_warm_up_draws_the_maps_first_visits_ask_for(app_env, monkeypatch):
    """`state.warm_map` (run by dashboard/server.py as it starts) fills the cache the page reads.

    After it, the default map of every role's view is served without drawing; any other
    choice is still drawn (the stand-in renderer below raises), so the check can fail.
    """
    import streamlit as st

    from dashboard import mapview, state
    from geo.trust.access import DATA_ROLES, floor

    st.cache_data.clear()
    st.cache_resource.clear()
    state.warm_map("/app/static")

    def no_drawing(*args, **kwargs):
        raise AssertionError("the map was drawn again")

    monkeypatch.setattr(mapview, "risk_map", no_drawing)
    views = {0, *(floor(role, app_env.auth.suppression) for role in DATA_ROLES)}
    assert len(views) >= 2  # planners see counts, other roles a protected view
    for region in state.region_options().values():  # Cusco y Loreto, Cusco, Loreto
        for k in views:
            payload = state.map_payload(region.codes, "quantiles", "es",
                                        static_url="/app/static", k=k)
            assert "L.geoJson" in payload["script"]
    with pytest.raises(AssertionError, match="drawn again"):
        state.map_payload(("08", "16"), "fisher_jenks", "es", static_url="/app/static")



def test_what_changed_and_the_file_totals_reach_planners_only(oidc_env, last_rescoring):
    """The class moves of the last rescoring (made on raw risks) and the whole file's totals
    are a planner's; a regional government sees that the model was refitted, and no count."""
    from models.risk.explain import CHANGES_FILE

    path = last_rescoring(oidc_env.workdir / CHANGES_FILE, "Cusco", 1)
    # a weight that moved less than two decimals show
    changes = json.loads(path.read_text(encoding="utf-8"))
    changes["pesos"] = [{"factor": "dragas", "nombre": "Dragas de oro en ríos",
                         "antes": 0.3712, "despues": 0.3741}]
    path.write_text(json.dumps(changes), encoding="utf-8")
    try:
        gore = _app("modelo", who="gore_cusco")
        _no_exception(gore)
        text = _text(gore)
        assert "Qué cambió en el último recálculo" in text
        assert "el modelo se ajustó de nuevo" in text
        assert "cambiaron de clase" not in text and "1 de 116" not in text
        assert not any("Por qué" in d.value.columns for d in gore.dataframe)
        ana = _app("modelo", who="ana")
        _no_exception(ana)
        assert "1 de 116 distritos cambiaron de clase" in _text(ana)
        assert "Dragas de oro en ríos +0.371 → +0.374" in _text(ana)
        assert any("Por qué" in d.value.columns for d in ana.dataframe)
    finally:
        path.unlink(missing_ok=True)
    # the district card's sources: no whole-file totals for the regional government
    card = _app("distrito", who="gore_cusco")
    _no_exception(card)
    shown = [d.value for d in card.dataframe if "Dato" in d.value.columns]
    assert shown and not shown[0]["Dato"].isin(["Inspecciones", "Hallazgos"]).any()


# --- real public layers, honest where a source is silent (issue 20) ------------------------
@pytest.fixture(scope="module")
def real_world(demo_settings, upstream_dir, data_root, tmp_path_factory) -> Path:
    """A Cusco world with REAL table layers, built and scored by the command line.

    See ``tests/e2e/real_world.py``: the Amazon panel's mining (22 of Cusco's 116 districts
    have a value, the others none) and GeoBosques' forest loss (0 with a reason where it
    lists no Amazon forest); Megantoni and Echarate uninspected, so beyond the learnt range.
    """
    from e2e.real_world import build_and_score, write_real_world

    from models.evaluation.backtest import evaluate

    out = tmp_path_factory.mktemp("real-layers-apptest")
    path = write_real_world(demo_settings.path, upstream_dir, out)
    build_and_score(path, {"RISKMAP_DATA_DIR": str(data_root)})
    from geo.config import load_settings

    card = evaluate(load_settings(path), n_bootstrap=10, n_uncertainty=5)
    (out / "evaluacion.json").write_text(json.dumps(card, ensure_ascii=False, default=str),
                                         encoding="utf-8")
    return path


@pytest.fixture()
def real_env(real_world, monkeypatch):
    """The dashboard on the real-layer world."""
    monkeypatch.setenv("RISKMAP_CONFIG", str(real_world))
    return real_world


def _frames(at) -> list[pd.DataFrame]:
    return [d.value for d in at.dataframe]


def _card_layers(at) -> pd.DataFrame:
    return next(f for f in _frames(at)
                if {"Capa", "Layer"} & set(f.columns) and len(f.columns) >= 6)


def _open_card(ubigeo: str, lang: str | None = None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if lang:
        at.session_state["lang"] = lang
    at.run()
    at.session_state["ubigeo"] = ubigeo
    at.switch_page("views/distrito.py").run()
    _no_exception(at)
    assert at.selectbox(key="distrito_sel").value == ubigeo
    return at


def test_card_says_sin_dato_publico_for_a_layer_its_source_does_not_cover(real_env):
    from e2e.real_world import NOT_IN_PANEL

    at = _open_card(NOT_IN_PANEL)  # Cusco, Cusco: outside the Amazon panel
    layers = _card_layers(at).set_index("Capa")
    assert layers.loc["Minería", "En el distrito"] == "sin dato público"
    assert layers.loc["Minería", "Fuente"] == "MapBiomas Perú vía Quispe et al. (2022)"
    assert layers.loc["Minería", "Años"] == "2020" and layers.loc["Minería", "Origen"] == "real"
    assert layers.loc["Minería", "Nota"] == "la fuente no cubre el distrito (no es 0)"
    # forest loss: 0 where GeoBosques lists no Amazon forest, and why
    assert layers.loc["Pérdida de bosque", "En el distrito"] == "0 ha"
    assert layers.loc["Pérdida de bosque", "Años"] == "2020–2024"
    assert "ver abajo" in layers.loc["Pérdida de bosque", "Nota"]
    text = _text(at)
    assert ("Pérdida de bosque: 0 donde la fuente no nombra el distrito: GeoBosques vigila el "
            "bosque húmedo amazónico") in text
    said = re.search(r"indicador propio \(aquí: ([^)]*)\)", text)
    assert said and "Minería" in said.group(1), text
    # its contribution chart draws no bar for a layer without a value, and says so; a
    # left-out term is never "what raises the risk most"
    assert "Sin barra, porque su fuente no cubre el distrito" in text
    assert "Lo que más sube el riesgo aquí: minería" not in text
    # the indicators against the average: no value is no zero, and the average is of those
    # that have one
    comparison = next(f for f in _frames(at) if "Relación" in f.columns).set_index("Indicador")
    assert comparison.loc["Minería", "Distrito"] == "sin dato público"
    assert pd.isna(comparison.loc["Minería", "Relación"])
    assert re.fullmatch(r"[\d,.]+ ha", comparison.loc["Minería", "Prom. Cusco"])
    texts = comparison.reset_index().iloc[:, :3].to_numpy().ravel()
    assert all(isinstance(v, str) and v and v.lower() != "nan" for v in texts), texts


def test_card_writes_each_layer_in_its_unit_with_cldr(real_env):
    from e2e.real_world import IN_PANEL

    at = _open_card(IN_PANEL)  # Camanti: 919.08 ha of mining in 2020
    layers = _card_layers(at).set_index("Capa")
    assert layers.loc["Minería", "En el distrito"] == "919 ha"
    assert re.fullmatch(r"\d{1,3}(,\d{3})* ha", layers.loc["Pérdida de bosque", "En el distrito"])
    assert not any("e+" in str(v) for v in layers.to_numpy().ravel())


def test_card_in_english_says_no_public_data(real_env):
    from e2e.real_world import NOT_IN_PANEL

    at = _open_card(NOT_IN_PANEL, lang="en")
    layers = _card_layers(at).set_index("Layer")
    assert layers.loc["Mining", "In the district"] == "no public data"
    assert layers.loc["Mining", "Source"] == "MapBiomas Perú vía Quispe et al. (2022)"
    assert layers.loc["Mining", "Note"] == "not covered by its source (not 0)"
    assert layers.loc["Forest loss", "In the district"] == "0 ha"
    assert not any("sin dato público" in str(v) for v in layers.to_numpy().ravel())


def test_card_says_a_district_is_outside_the_learnt_range(real_env):
    from e2e.real_world import UNINSPECTED

    at = _open_card(UNINSPECTED[0])  # Megantoni: forest loss beyond any inspected district
    warnings = [w.value for w in at.warning]
    assert any(w.startswith("Fuera del rango aprendido: Pérdida de bosque (GeoBosques (MINAM))")
               for w in warnings), warnings
    layers = _card_layers(at).set_index("Capa")
    assert layers.loc["Pérdida de bosque", "En el distrito"] == "5,540 ha"
    # a district within the range says nothing of the kind
    from e2e.real_world import IN_PANEL

    inside = _open_card(IN_PANEL)
    assert not any("rango aprendido" in w.value for w in inside.warning)


def test_mapa_layer_choices_say_origin_source_years_and_unit(real_env):
    at = _app()
    _no_exception(at)
    picker = at.multiselect(key="mapa_capas")
    labels = [picker.format_func(o) for o in picker.options] \
        if callable(getattr(picker, "format_func", None)) else list(picker.options)
    assert "Minería — MapBiomas Perú vía Quispe et al. (2022) · 2020 · ha · real" in labels
    assert "Pérdida de bosque — GeoBosques (MINAM) · 2020–2024 · ha · real" in labels
    assert "DATOS SIMULADOS" in at.warning[0].value
    assert "capas sectoriales marcadas «real» son datos públicos" in at.warning[0].value


def test_mapa_draws_a_table_layer_and_says_how_many_districts_lack_it(real_env):
    import streamlit as st

    from dashboard import state

    at = _app()
    picker = at.multiselect(key="mapa_capas")
    mining = next(o for o in picker.options if str(o).startswith("Minería"))
    picker.set_value([mining]).run()
    _no_exception(at)
    assert not at.error
    text = _text(at)
    assert "Minería: un valor por distrito" in text
    assert "94 de 116 distritos sin dato público (gris rayado)" in text
    assert "2 fuera del rango aprendido (contorno azul punteado)" in text
    # the map itself: the table layer drawn from the district table, with its legend
    st.cache_data.clear()
    st.cache_resource.clear()
    payload = state.map_payload(("08",), "quantiles", "es", ("mineria",))
    assert payload["capas_tabla"] == [("mineria", 116, 94)] and payload["sin_dibujar"] == []
    assert "riskmap-legend-capa" in payload["script"] and "L.control.layers" in payload["script"]
    english = state.map_payload(("08",), "quantiles", "en", ("mineria",))
    assert "no public data (94)" in english["script"]


def test_modelo_lists_the_layers_and_names_the_missing_value_factors(real_env):
    at = _app("modelo")
    _no_exception(at)
    layers = next(f for f in _frames(at) if "Origen" in f.columns).set_index("Capa")
    assert layers.loc["Minería", "Fuente"] == "MapBiomas Perú vía Quispe et al. (2022)"
    assert layers.loc["Minería", "Años"] == "2020" and layers.loc["Minería", "Unidad"] == "ha"
    assert layers.loc["Minería", "Origen"] == "real"
    assert layers.loc["Minería", "Distritos sin dato público"] == 94
    assert layers.loc["Pérdida de bosque", "Años"] == "2020–2024"
    coefs = next(f for f in _frames(at) if "Peso" in f.columns)
    missing = [f for f in coefs["Factor"] if f.startswith("Sin dato público: ")]
    assert missing, coefs["Factor"].tolist()
    assert any("Minería (MapBiomas Perú vía Quispe et al. (2022))" in f for f in missing)
    assert not any(f.startswith(("Falta", "falta_")) for f in coefs["Factor"])
    english = _app("modelo", lang="en")
    coefs_en = next(f for f in _frames(english) if "Weight" in f.columns)
    assert any(f.startswith("No public data: ") and "Mining" in f for f in coefs_en["Factor"])
