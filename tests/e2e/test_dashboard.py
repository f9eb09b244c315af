"""The dashboard in a real browser, on the prepared demo world, with no internet.

One Streamlit server for the whole module (``app_server``), a fresh browser context per
test (``app``). Every test also fails if the page asked any host but the app for anything,
or if any request failed (see ``NetworkGuard`` in conftest).
"""

from __future__ import annotations

import json
import re
import time

import pytest

from geo import columns as C

from .conftest import PAGES, AppPage, E2EData

pytestmark = pytest.mark.e2e

N_DISTRICTS = 169  # Cusco 116 + Loreto 53
SIMULATED = re.compile(r"DATOS SIMULADOS|SIMULATED DATA")


def expect(*args, **kwargs):
    from playwright.sync_api import expect as _expect

    return _expect(*args, **kwargs)


def wait_for_shapes(app: AppPage, at_least: int, timeout_s: float = 60) -> int:
    """Wait until the map iframe holds at least ``at_least`` vector shapes; return the count."""
    shapes = app.shapes()
    deadline = time.monotonic() + timeout_s
    count = 0
    while time.monotonic() < deadline:
        count = shapes.count()
        if count >= at_least:
            return count
        app.page.wait_for_timeout(250)
    raise AssertionError(f"the map shows {count} shapes after {timeout_s}s, expected >= {at_least}")


@pytest.fixture(scope="module")
def district_names(e2e_data: E2EData) -> dict[str, str]:
    """UBIGEO -> district name of the 169 scored districts (read from the scores file)."""
    import pyogrio

    settings = e2e_data.load_settings()
    scores = pyogrio.read_dataframe(settings.scores_gpkg, layer="riesgo", read_geometry=False)
    return dict(zip(scores[C.UBIGEO].astype(str), scores[C.DISTRITO].astype(str), strict=True))


# --------------------------------------------------------------------------------------
def test_every_page_opens_in_spanish_and_says_the_data_is_simulated(app: AppPage) -> None:
    failures = []
    for key, (label_es, _) in PAGES.items():
        try:
            link = app.nav_link(key)
            expect(link).to_be_visible()
            expect(link).to_contain_text(label_es)
            app.goto(key)
            app.assert_no_exception()
            expect(app.main().get_by_text(SIMULATED).first).to_be_visible()
            expect(app.page.get_by_test_id("stAlertContentError")).to_have_count(0)
        except AssertionError as err:
            app.screenshot(f"page-{key}")
            failures.append(f"{key}: {err}")
    assert not failures, "\n\n".join(failures)


def test_map_draws_every_district_without_internet(app: AppPage) -> None:
    app.goto("mapa")
    count = wait_for_shapes(app, N_DISTRICTS)
    assert count >= N_DISTRICTS
    # the region switch offers what the scores hold: both departments first, then each
    regions = app.main().get_by_role("radiogroup", name="Región")
    expect(regions).to_contain_text(f"Cusco y Loreto ({N_DISTRICTS} distritos)")
    regions.get_by_text("Loreto", exact=True).click()
    app.wait()
    deadline = time.monotonic() + 60
    while app.shapes().count() != 53 and time.monotonic() < deadline:
        app.page.wait_for_timeout(250)
    assert app.shapes().count() == 53  # Loreto's districts only (borders are not clickable)
    # Leaflet itself came from the app: the guard (checked at teardown) saw no other host.
    leaflet = [url for url, _ in app.guard.requests if re.search(r"leaflet[^/]*\.js", url)]
    assert leaflet and all(app.guard.is_own(url) for url in leaflet)


_DISTRICT_POINTS_JS = """
([top, bottom]) => {
  // points of the map document (its own pixels) where a click lands on a district shape
  const out = [];
  for (let y = top; y < bottom; y += 6) {
    for (let x = 40; x < innerWidth - 40; x += 6) {
      const el = document.elementFromPoint(x, y);
      if (el && el.tagName === "path" && el.classList.contains("leaflet-interactive")) {
        out.push([x, y]);
      }
    }
  }
  return out;
}
"""


def test_click_on_a_district_opens_its_card(app: AppPage, district_names: dict) -> None:
    # A laptop screen, the page not scrolled: the map runs past the window's bottom edge.
    # A click in its lower visible part must open the district under the pointer (Leaflet
    # used to focus the map on mousedown and the page scrolled under the pointer).
    app.page.set_viewport_size({"width": 1366, "height": 768})
    app.open()
    app.goto("mapa")
    wait_for_shapes(app, N_DISTRICTS)
    app.page.wait_for_timeout(1000)  # fitBounds done
    iframe = app.page.locator("iframe[title='streamlit_folium.st_folium']").first
    box = iframe.bounding_box()
    visible = min(box["y"] + box["height"], 768) - box["y"]
    assert box["y"] + box["height"] > 768, "the map should run past the window's edge here"
    points = iframe.element_handle().content_frame().evaluate(
        _DISTRICT_POINTS_JS, [int(visible * 0.6), int(visible) - 4])
    assert points, "no district in the lower visible part of the map"
    tooltip = app.map_frame().locator(".leaflet-tooltip")
    ubigeo = None
    for x, y in (points[len(points) // 2], points[0], points[-1]):
        app.page.mouse.move(box["x"] + x, box["y"] + y)
        expect(tooltip.first).to_be_visible()
        match = re.search(r"\b((?:08|16)\d{4})\b", tooltip.first.inner_text())
        if match and match.group(1) in district_names:
            ubigeo = match.group(1)
            app.page.mouse.click(box["x"] + x, box["y"] + y)  # no scrolling into view first
            break
    assert ubigeo, "no district shape showed a tooltip with its UBIGEO"
    expect(app.page).to_have_url(re.compile(rf"/distrito\b.*ubigeo={ubigeo}"))
    app.wait()
    name = district_names[ubigeo]
    card = app.main().get_by_role("heading", name=re.compile(re.escape(name)))
    expect(card.first).to_be_visible()
    # its risk, interval, rank within its department (116 or 53) and evidence
    expect(app.main().get_by_test_id("stMetric")).not_to_have_count(0)
    expect(app.main().get_by_text(re.compile(r"/\s*(116|53)\b")).first).to_be_visible()
    app.assert_no_exception()


_CLIPPED_METRICS_JS = """
() => [...document.querySelectorAll("[data-testid=stMetricValue]")]
  .map(el => [el.innerText, (el.querySelector("div") || el).scrollWidth,
              (el.querySelector("div") || el).clientWidth])
  .filter(([, scroll, client]) => scroll > client)
  .map(([text]) => text)
"""


def test_district_card_values_are_not_cut_off(app: AppPage, e2e_data: E2EData) -> None:
    import pyogrio

    scores = pyogrio.read_dataframe(e2e_data.load_settings().scores_gpkg, layer="riesgo",
                                    read_geometry=False)
    few = scores[scores[C.EVIDENCIA] == C.EVIDENCIA_INSUFICIENTE]
    assert len(few), "the demo world has districts with insufficient evidence"
    widest = few.loc[(few[C.RIESGO_P95] - few[C.RIESGO_P05]).idxmax()]
    app.page.set_viewport_size({"width": 1366, "height": 768})
    app.open()
    app.goto("distrito")
    search = app.main().get_by_label(re.compile("Buscar por nombre o UBIGEO"))
    search.fill(str(widest[C.UBIGEO]))
    search.press("Enter")
    app.wait()
    for lang in ("es", "en"):
        if lang == "en":
            switch_language(app, "en")
        metrics = app.main().get_by_test_id("stMetricValue")
        expect(metrics.filter(has_text=re.compile(r"^(Insuficiente|Insufficient)$"))) \
            .to_have_count(1)
        expect(app.main().get_by_text(re.compile(r"/\s*(116|53)\b")).first).to_be_visible()
        assert app.page.evaluate(_CLIPPED_METRICS_JS) == [], lang


def test_language_switch_to_english_is_remembered_across_pages(app: AppPage) -> None:
    app.goto("mapa")
    switch_language(app, "en")
    expect(app.nav_link("modelo")).to_have_accessible_name("Model")
    expect(app.main().get_by_text("SIMULATED DATA").first).to_be_visible()
    expect(app.main().get_by_role("heading", name="Risk map by district")).to_be_visible()
    # another page, reached through the navigation: still English
    app.goto("exportar")
    labels = " | ".join(app.nav_labels())
    for key, (es, en) in PAGES.items():
        if key == "planificacion" and not app.nav_link(key).count():
            continue  # (the planning page joins when its module exists)
        assert re.search(rf"\b{en}\b", labels), labels
        assert not re.search(rf"\b{es}\b", labels) or es == en, labels
    expect(app.main().get_by_text("SIMULATED DATA").first).to_be_visible()
    expect(app.main().get_by_text("DATOS SIMULADOS")).to_have_count(0)
    assert "lang=en" in app.page.url  # a reload or a shared link keeps it too
    # and back to Spanish
    switch_language(app, "es")
    expect(app.nav_link("modelo")).to_have_accessible_name("Modelo")
    expect(app.main().get_by_text("DATOS SIMULADOS").first).to_be_visible()
    app.assert_no_exception()


def switch_language(app: AppPage, lang: str) -> None:
    """Flip the "Idioma / Language" radio in the sidebar like a user would."""
    label = {"es": "Español", "en": "English"}[lang]
    sidebar = app.page.get_by_test_id("stSidebar")
    widget = sidebar.get_by_role("radiogroup", name="Idioma / Language")
    widget.get_by_text(label, exact=True).click()
    app.wait()


def test_upload_with_a_bad_row_shows_the_row_and_leaves_the_store_unchanged(
    app: AppPage, e2e_data: E2EData, tmp_path
) -> None:
    from geo.records.store import InspectionStore

    store = InspectionStore(e2e_data.store_path())
    before = store.count()
    bad = tmp_path / "inspecciones_con_error.csv"
    bad.write_text(
        "id,fecha,ubigeo,sector,hallazgo_tf\n"
        "E2E-1,2021-03-15,080101,mineria,1\n"
        "E2E-2,2021-02-30,160101,tala,0\n"  # line 3: 30 February does not exist
        "E2E-3,2022-07-01,080101,agricultura,0\n",
        encoding="utf-8",
    )
    app.goto("datos")
    app.page.get_by_test_id("stFileUploaderDropzoneInput").first.set_input_files(str(bad))
    app.wait()
    main = app.main()
    # the page says the file has errors and nothing will be imported ...
    expect(main.get_by_test_id("stAlertContentError").first).to_contain_text(
        re.compile(r"1 error.*1 fila", re.S))
    # ... and lists the bad row: line 3 (header = line 1), column fecha
    errors = app.table(main.get_by_test_id("stDataFrame").first)
    assert errors.iloc[:, :2].values.tolist() == [["3", "fecha"]], errors.to_string()
    assert "2021-02-30" in errors.iloc[0, 2]
    app.assert_no_exception()
    # an import button, if the page offers one at all, must not store anything
    button = main.get_by_role("button", name=re.compile(r"^\W*Importar", re.I))
    if button.count() and button.first.is_enabled():
        button.first.click()
        app.wait()
        app.assert_no_exception()
    assert InspectionStore(e2e_data.store_path()).count() == before
    assert "E2E-1" not in set(_stored_ids(e2e_data))


def _stored_ids(e2e_data: E2EData) -> list[str]:
    from geo.records.store import InspectionStore

    store = InspectionStore(e2e_data.store_path(), role="planificador", user="e2e")
    return store.records()[C.ID].astype(str).tolist()


def test_export_geojson_downloads_every_district_with_metadata(
    app: AppPage, e2e_data: E2EData, tmp_path
) -> None:
    app.goto("exportar")
    main = app.main()
    main.get_by_role("radiogroup", name=re.compile("Formato")).get_by_text(
        "GeoJSON", exact=True).click()
    app.wait()
    target = app.download(main.get_by_test_id("stDownloadButton").first.locator("button"),
                          tmp_path)
    app.assert_no_exception()

    files = _unpack(target, tmp_path / "export")
    geojson = [f for f in files if f.suffix.lower() == ".geojson"]
    assert len(geojson) == 1, [f.name for f in files]
    doc = json.loads(geojson[0].read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection"
    assert len(doc["features"]) == N_DISTRICTS
    ubigeos = {f["properties"][C.UBIGEO] for f in doc["features"]}
    assert len(ubigeos) == N_DISTRICTS and all(u[:2] in ("08", "16") for u in ubigeos)
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in doc["features"])
    assert all(0 <= f["properties"][C.RIESGO] <= 1 for f in doc["features"])
    assert all(f["properties"].get("simulado") in (True, 1, "true") for f in doc["features"])

    # the metadata travels with the file: in the GeoJSON or in a sidecar beside it
    sidecars = [f for f in files if f.name.endswith(".metadatos.json")]
    meta = doc.get("metadata") or doc.get("metadatos") or (
        json.loads(sidecars[0].read_text(encoding="utf-8")) if sidecars else None)
    assert meta, f"no metadata in the export: {[f.name for f in files]}"
    stored = _stored_metadata(e2e_data)
    settings = e2e_data.load_settings()
    assert meta["hash_configuracion"] == settings.digest()
    assert meta["simulado"] in (True, "true", "True")
    for key in ("version_modelo", "n_inspecciones", "n_hallazgos", "inspecciones_desde",
                "inspecciones_hasta"):
        if key in stored:  # the export says what the scores file says
            assert str(meta.get(key)) == str(stored[key]), (key, meta.get(key), stored[key])
    assert meta.get("fuentes"), "the export does not name its data sources"
    # numbers and lists travel as what they are, not as text, and nothing stored is lost
    assert meta["n_inspecciones"] == int(stored["n_inspecciones"]) > 0
    assert isinstance(meta["fuentes"], list)
    if "coeficientes" in stored:
        assert isinstance(meta["coeficientes"], list) and meta["coeficientes"]
    assert set(stored) - {"escrito"} <= set(meta), set(stored) - set(meta)
    assert meta.get("riesgo_calculado") == stored.get("escrito")


def _unpack(path, folder):
    """The files of a download: the file itself, or the members of a zip."""
    import zipfile

    if not zipfile.is_zipfile(path):
        return [path]
    with zipfile.ZipFile(path) as zf:
        zf.extractall(folder)
    return sorted(p for p in folder.rglob("*") if p.is_file())


def _stored_metadata(e2e_data: E2EData) -> dict:
    """The ``metadatos`` table of the scores GeoPackage as a dict (what `riskmap score` wrote)."""
    import pyogrio

    settings = e2e_data.load_settings()
    table = pyogrio.read_dataframe(settings.scores_gpkg, layer="metadatos", read_geometry=False)
    return dict(zip(table.iloc[:, 0].astype(str), table.iloc[:, 1], strict=True))


def metric_value(app: AppPage, label: str) -> float:
    """The number shown by the ``st.metric`` whose label is ``label``."""
    metric = app.main().get_by_test_id("stMetric").filter(
        has=app.page.get_by_test_id("stMetricLabel").filter(has_text=label)).first
    text = metric.get_by_test_id("stMetricValue").inner_text()
    return float(re.search(r"[-+]?\d+(?:[.,]\d+)?", text).group().replace(",", "."))


def test_planning_page_computes_a_plan(app: AppPage, tmp_path) -> None:
    app.goto("planificacion")
    main = app.main()
    expect(main.get_by_test_id("stMetric").first).to_be_visible()
    planned = metric_value(app, "Hallazgos esperados (plan)")
    naive = metric_value(app, "Plan simple")
    assert planned > 0 and planned >= naive - 1e-9, (planned, naive)
    # the naive comparison is named plainly on the page
    expect(main.get_by_text(re.compile(
        r"Plan simple: los de mayor riesgo hasta agotar los días")).first).to_be_visible()
    # the plan as a table of trips, and on its own map (offline too: see the guard)
    expect(main.get_by_role("heading", name="Viajes")).to_be_visible()
    with app.page.expect_download() as info:
        main.get_by_test_id("stDownloadButton").filter(has_text="Descargar CSV").locator(
            "button").click()
    import pandas as pd

    plan = pd.read_csv(info.value.path(), dtype=str, encoding="utf-8-sig")
    assert len(plan) > 0 and C.UBIGEO in plan.columns, plan.columns.tolist()
    assert plan[C.UBIGEO].str.fullmatch(r"(08|16)\d{4}").all()
    assert (plan["simulado"] == "SIMULADO").all()
    # each trip leg by leg: Loreto's by river or air, never a straight line across basins;
    # by road only where Loreto has one (the Iquitos-Nauta road: San Juan Bautista, Nauta…)
    loreto = plan[plan[C.UBIGEO].str.startswith("16")]
    road_towns = {"Iquitos", "Punchana", "Belén", "San Juan Bautista", "Nauta", "Yurimaguas"}
    assert len(loreto)
    for legs in loreto["tramos_del_viaje"]:
        for leg in (part.strip() for part in legs.split(";")):
            mode, rest = leg.split(" ", 1)
            assert mode in ("río", "avión", "carretera", "trocha"), leg
            if mode == "carretera":
                ends = [p.strip() for p in rest.rsplit("(", 1)[0].split("→")]
                assert all(e in road_towns or "SPST" in e or "SPQT" in e for e in ends), leg
    # fewer inspector-days in Cusco: the page recomputes, and the plan finds less
    days = main.get_by_label(re.compile(r"Días inspector.*Cusco"))
    days.fill("10")
    days.press("Enter")
    app.wait()
    app.assert_no_exception()
    smaller = metric_value(app, "Hallazgos esperados (plan)")
    assert smaller < planned, (smaller, planned)
    assert smaller >= metric_value(app, "Plan simple") - 1e-9


def test_the_demo_visitor_is_shown_not_chosen(app: AppPage) -> None:
    # `make serve` on the simulated demo: no sign-in, labelled; the role is the server's
    sidebar = app.page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Visitante (demostración)")).to_be_visible()
    expect(sidebar.get_by_text("Sin inicio de sesión: demostración con datos simulados."))\
        .to_be_visible()
    expect(sidebar.get_by_role("radiogroup", name="Rol")).to_have_count(0)
    switch_language(app, "en")
    expect(sidebar.get_by_text("Visitor (demonstration)")).to_be_visible()
    app.goto("datos")
    expect(sidebar.get_by_text("Inspection planner")).to_be_visible()
    expect(app.main().get_by_role("button", name=re.compile("Recompute the risk"))).to_be_visible()
    app.assert_no_exception()


# --------------------------------------------------------------------------------------
def _rss_mb(pid: int) -> float:
    from geo.trust.isolation import rss_mb

    return rss_mb(pid)


def test_an_xlsx_bomb_is_refused_while_another_visitor_loads_the_map(
        app: AppPage, app_server, browser, request, tmp_path) -> None:
    import sys
    import threading
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from hostile_files import xlsx_bomb

    from .conftest import guarded_page

    bomb = xlsx_bomb(tmp_path / "bomba.xlsx")
    before = _rss_mb(app_server.pid)
    peak = [before]
    done = threading.Event()

    def watch() -> None:  # the server's own memory while both visitors are served
        while not done.is_set():
            peak[0] = max(peak[0], _rss_mb(app_server.pid))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    app.goto("datos")
    start = time.monotonic()
    app.page.get_by_test_id("stFileUploaderDropzoneInput").first.set_input_files(str(bomb))
    with guarded_page(browser, app_server, request) as other:  # a second visitor, meanwhile
        drawn = wait_for_shapes(other, N_DISTRICTS, timeout_s=60)
    app.wait()
    seconds = time.monotonic() - start
    done.set()
    watcher.join()
    assert drawn >= N_DISTRICTS
    expect(app.main().get_by_test_id("stAlertContentError").first).to_contain_text(
        re.compile(r"bomba\.xlsx.*se descomprime", re.S))
    app.assert_no_exception()
    assert seconds < 60, seconds
    assert peak[0] - before < 300, (before, peak[0])  # the server did not grow with the file


def test_markdown_and_html_in_cells_show_as_text_and_fetch_nothing(app: AppPage,
                                                                    tmp_path) -> None:
    # a host that is not the app's: the network guard fails the test if the page asks it
    pixel = "http://127.0.0.1:9/pixel.png"
    hostile = tmp_path / "celdas.csv"
    hostile.write_text(
        "id,fecha,ubigeo,sector,hallazgo_tf\n"
        f"MD-1,2021-03-15,![p]({pixel}),mineria,1\n"
        f'MD-2,2021-03-15,"<img src={pixel}>",tala,0\n'
        "MD-3,2021-03-15,[clic](http://127.0.0.1:9/x),tala,0\n",
        encoding="utf-8")
    app.goto("datos")
    app.page.get_by_test_id("stFileUploaderDropzoneInput").first.set_input_files(str(hostile))
    app.wait()
    main = app.main()
    main.get_by_text(re.compile("Leer cada problema completo")).click()
    app.wait()
    shown = main.get_by_test_id("stText").filter(has_text="Fila 2")
    expect(shown).to_be_visible()
    text = shown.inner_text()
    assert f"![p]({pixel})" in text and f"<img src={pixel}>" in text, text
    assert main.locator(f"img[src='{pixel}']").count() == 0
    assert main.locator("a[href='http://127.0.0.1:9/x']").count() == 0
    app.assert_no_exception()
