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
    # Leaflet itself came from the app: the guard (checked at teardown) saw no other host.
    leaflet = [url for url, _ in app.guard.requests if re.search(r"leaflet[^/]*\.js", url)]
    assert leaflet and all(app.guard.is_own(url) for url in leaflet)


def test_click_on_a_district_opens_its_card(app: AppPage, district_names: dict) -> None:
    app.goto("mapa")
    wait_for_shapes(app, N_DISTRICTS)
    frame = app.map_frame()
    names = sorted(set(district_names.values()), key=len, reverse=True)
    tooltip = frame.locator(".leaflet-tooltip")
    name = None
    shapes = app.shapes()
    # the district shapes come first or last depending on the layer order: try a few
    for index in (0, 5, 20, -1):
        shape = shapes.nth(index) if index >= 0 else shapes.last
        try:
            point = app.point_inside(shape)
        except AssertionError:
            continue
        shape.hover(position=point)
        try:
            expect(tooltip.first).to_be_visible(timeout=5000)
        except AssertionError:
            continue
        text = tooltip.first.inner_text()
        name = next((n for n in names if re.search(rf"\b{re.escape(n)}\b", text)), None)
        if name:
            shape.click(position=point)
            break
    assert name, "no district shape showed a tooltip with a district name"
    app.wait()
    card = app.main().get_by_role("heading", name=re.compile(re.escape(name)))
    expect(card.first).to_be_visible()
    app.assert_no_exception()


def test_language_switch_to_english_is_remembered_across_pages(app: AppPage) -> None:
    app.goto("mapa")
    switch_language(app, "en")
    expect(app.nav_link("modelo")).to_have_text(re.compile(r"^\W*Model\W*$"))
    expect(app.main().get_by_text("SIMULATED DATA").first).to_be_visible()
    # another page, reached through the navigation: still English
    app.goto("exportar")
    labels = app.nav_labels()
    assert [label for label in labels if label] == [en for _, en in PAGES.values()], labels
    expect(app.main().get_by_text("SIMULATED DATA").first).to_be_visible()
    expect(app.main().get_by_text("DATOS SIMULADOS")).to_have_count(0)
    # and back to Spanish
    switch_language(app, "es")
    expect(app.nav_link("modelo")).to_have_text(re.compile(r"^\W*Modelo\W*$"))
    app.assert_no_exception()


def switch_language(app: AppPage, lang: str) -> None:
    """Flip the "Idioma / Language" switch to ``lang`` like a user would."""
    label = {"es": re.compile(r"^\W*(ES|Español)\W*$", re.I),
             "en": re.compile(r"^\W*(EN|English)\W*$", re.I)}[lang]
    widget = app.page.locator("[data-testid^='st']", has_text="Idioma / Language").filter(
        has=app.page.locator("label, button, [role='radio'], [role='option']")
    ).last
    option = widget.locator("label, button, [role='radio'], [role='tab']").filter(has_text=label)
    option.first.click()
    app.wait()


def test_upload_with_a_bad_row_shows_the_row_and_leaves_the_store_unchanged(
    app: AppPage, e2e_data: E2EData, tmp_path
) -> None:
    from geo.store import InspectionStore

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
    expect(main.get_by_text(re.compile(r"línea 3\b.*fecha", re.S)).first).to_be_visible()
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
    from geo.store import InspectionStore

    store = InspectionStore(e2e_data.store_path(), role="planificador", user="e2e")
    return store.records()[C.ID].astype(str).tolist()


def test_export_geojson_downloads_every_district_with_metadata(
    app: AppPage, tmp_path
) -> None:
    app.goto("exportar")
    main = app.main()
    fmt = main.get_by_text("GeoJSON", exact=True)
    if fmt.count():
        fmt.first.click()
        app.wait()
    button = main.get_by_test_id("stDownloadButton").filter(has_text=re.compile("GeoJSON", re.I))
    if not button.count():
        button = main.get_by_test_id("stDownloadButton")
    with app.page.expect_download() as info:
        button.first.locator("button").click()
    target = tmp_path / (info.value.suggested_filename or "export.geojson")
    info.value.save_as(target)
    assert target.suffix.lower() in (".geojson", ".json"), target.name
    doc = json.loads(target.read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection"
    assert len(doc["features"]) == N_DISTRICTS
    ubigeos = {f["properties"][C.UBIGEO] for f in doc["features"]}
    assert len(ubigeos) == N_DISTRICTS and all(u[:2] in ("08", "16") for u in ubigeos)
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in doc["features"])
    assert all(0 <= f["properties"][C.RIESGO] <= 1 for f in doc["features"])
    meta = doc.get("metadata") or doc.get("metadatos")
    assert meta, f"no metadata member in the GeoJSON (keys: {sorted(doc)})"
    text = json.dumps(meta, ensure_ascii=False).lower()
    for word in ("version", "hash", "fuente"):
        assert word in text, f"metadata lacks {word!r}: {text[:300]}"
    app.assert_no_exception()


def test_planning_page_computes_a_plan(app: AppPage) -> None:
    app.goto("planificacion")
    main = app.main()
    button = main.get_by_role("button", name=re.compile(r"(Calcular|Planificar|Compute)", re.I))
    if button.count():
        button.first.click()
        app.wait()
    app.assert_no_exception()
    # the plan: a table of trips/districts and the comparison with the naive plan
    expect(main.get_by_test_id("stDataFrame").or_(main.get_by_test_id("stTable")).first
           ).to_be_visible()
    expect(main.get_by_text(re.compile(r"ingenu|naive", re.I)).first).to_be_visible()
    expect(main.get_by_text(re.compile(r"hallazgos esperados|expected findings", re.I)).first
           ).to_be_visible()
