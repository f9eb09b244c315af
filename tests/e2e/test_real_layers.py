"""Real public layers in the browser (issue 20): a table layer drawn, and honest where silent.

A world of its own (:mod:`tests.e2e.real_world`): the demo world's settings with the REAL
mining layer of the Amazon district panel (MapBiomas via Quispe et al. 2022, 2020, ha; 22 of
Cusco's 116 districts have a value) and GeoBosques' forest loss 2020–2024 (0 with a reason
where GeoBosques lists no Amazon forest), built for Cusco with ``riskmap build`` and scored
with ``riskmap score``, served by its own Streamlit server and driven with Debian's chromium.
The user chooses the mining layer on the Mapa page, sees it drawn with its source, years
and unit in the legend, the layer control and the tooltips, clicks a district the panel
does not cover and reads "sin dato público" on its card. Every request stays on this
machine (``NetworkGuard``); screenshots go to ``test-results/``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from geo import columns as C

from .conftest import APP, AppPage, guarded_page, run_streamlit
from .real_world import IN_PANEL, UNINSPECTED, build_and_score, write_real_world

pytestmark = pytest.mark.e2e

N_CUSCO = 116
SOURCE = "MapBiomas Perú vía Quispe et al. (2022)"
BYLINE = f"{SOURCE} · 2020 · ha · real"
#: A district whose forest loss is held at the edge of the learnt range in this world:
#: Megantoni, La Convención, 5,540 ha lost in 2020–2024 and never inspected here.
BEYOND = UNINSPECTED[0]


def expect(*args, **kwargs):
    from playwright.sync_api import expect as _expect

    return _expect(*args, **kwargs)


@pytest.fixture(scope="module")
def real_world(chromium_path, demo_settings, upstream_dir: Path, data_root: Path,
               tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real-layer world, built and scored as a user would; returns its settings file.

    Megantoni and Echarate are left uninspected: their forest loss is beyond what the
    inspected districts span, and the model flags them ``fuera_rango``.
    """
    out = tmp_path_factory.mktemp("real-layers")
    settings = write_real_world(demo_settings.path, upstream_dir, out)
    build_and_score(settings, {"RISKMAP_DATA_DIR": str(data_root)})
    return settings


@pytest.fixture(scope="module")
def silent_district(real_world: Path) -> tuple[str, str]:
    """The largest Cusco district the panel does not cover: (UBIGEO, name)."""
    import pyogrio

    table = pyogrio.read_dataframe(real_world.parent / "distritos.gpkg", layer="distritos",
                                   read_geometry=False)
    silent = table[table["mineria"].isna()].sort_values(C.AREA_KM2, ascending=False)
    assert len(silent) == N_CUSCO - 22, "the panel names 22 of Cusco's districts"
    first = silent.iloc[0]
    return str(first[C.UBIGEO]), str(first[C.DISTRITO])


@pytest.fixture(scope="module")
def real_server(real_world: Path, data_root: Path,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The dashboard on the real-layer world, served once for the module."""
    log = tmp_path_factory.mktemp("streamlit-real") / "streamlit.log"
    env = {"RISKMAP_DATA_DIR": str(data_root), "RISKMAP_CONFIG": str(real_world)}
    with run_streamlit(APP, env, log) as url:
        yield url


@pytest.fixture
def app(browser, real_server: str, request: pytest.FixtureRequest) -> Iterator[AppPage]:
    """A fresh, network-guarded browser context on the real-layer world's dashboard."""
    with guarded_page(browser, real_server, request) as page:
        yield page


# --------------------------------------------------------------------------------------
# the map's own document: find a district's shape of a layer by its properties
_SHAPE_JS = """
([ubigeo, field]) => {
  // the Leaflet map of this iframe, and the shape of the district in the layer whose
  // features carry `field` ('v': a table layer's value; 'r': the risk)
  const maps = Object.values(window).filter(v => v instanceof L.Map);
  for (const map of maps) {
    for (const layer of Object.values(map._layers)) {
      const p = layer.feature && layer.feature.properties;
      if (p && p.u === ubigeo && field in p && layer._path) return layer._path;
    }
  }
  return null;
}
"""


def map_document(app: AppPage):
    """The ``Frame`` of the map iframe (its own window, where Leaflet lives)."""
    iframe = app.page.locator("iframe[title='streamlit_folium.st_folium']").first
    return iframe.element_handle().content_frame()


def district_shape(app: AppPage, ubigeo: str, field: str, timeout_s: float = 60):
    """The SVG path of ``ubigeo`` in the layer whose features carry ``field``."""
    deadline = time.monotonic() + timeout_s
    while True:
        handle = map_document(app).evaluate_handle(_SHAPE_JS, [ubigeo, field]).as_element()
        if handle is not None or time.monotonic() > deadline:
            assert handle is not None, f"no shape of {ubigeo} carrying {field!r} on the map"
            return handle
        app.page.wait_for_timeout(250)


def hover_tooltip(app: AppPage, shape) -> str:
    """Move the pointer onto ``shape`` and return the tooltip it opens."""
    point = app.point_inside(shape)
    shape.hover(position=point)
    tooltip = app.map_frame().locator(".leaflet-tooltip")
    expect(tooltip.first).to_be_visible()
    return tooltip.first.inner_text()


def card_layers(app: AppPage):
    """The district card's table of sector layers (key ``distrito_capas``), as a DataFrame."""
    box = app.main().locator(".st-key-distrito_capas").first
    box.scroll_into_view_if_needed()
    table = box if box.get_attribute("data-testid") == "stDataFrame" else \
        box.get_by_test_id("stDataFrame").first
    return app.table(table)


def choose_layer(app: AppPage, label: re.Pattern) -> None:
    """Pick a layer of "Capas sectoriales" like a user: open the list, click the option."""
    picker = app.main().get_by_test_id("stMultiSelect").filter(has_text="Capas sectoriales")
    picker.locator("input").click()
    app.page.get_by_role("option", name=label).click()
    app.page.keyboard.press("Escape")
    app.wait()
    app.assert_no_exception()


# --------------------------------------------------------------------------------------
def test_a_real_table_layer_is_drawn_with_its_source_years_and_unit(app: AppPage) -> None:
    # the choice says what the layer is, before anything is drawn
    choose_layer(app, re.compile(rf"^Minería — {re.escape(BYLINE)}$"))
    frame = map_document(app)
    # its own legend: name, source line, classes in hectares, the silent districts counted
    legend = frame.locator(".riskmap-legend-capa")
    expect(legend).to_be_visible()
    expect(legend).to_contain_text("Minería")
    expect(legend).to_contain_text(BYLINE)
    expect(legend).to_contain_text(re.compile(r"\d ha"))
    expect(legend).to_contain_text(f"sin dato público ({N_CUSCO - 22})")
    # and its place in the layer control (an icon that opens on hover), by name and source
    control = frame.locator(".leaflet-control-layers")
    control.hover()
    expect(control.get_by_text(f"Minería — {BYLINE}")).to_be_visible()
    app.screenshot("real_layers_control")
    app.page.mouse.move(0, 0)
    # the districts of the table layer are drawn over the risk: 116 more shapes
    expect(app.shapes()).to_have_count(2 * N_CUSCO, timeout=60_000)
    # a district with a value: its hectares (CLDR es_PE), its source and years
    text = hover_tooltip(app, district_shape(app, IN_PANEL, "v"))
    assert "Camanti" in text and IN_PANEL in text, text
    assert "919 ha" in text and BYLINE in text, text
    # the page says how many districts the source does not cover, and that it is not zero
    expect(app.main().get_by_text(re.compile(
        rf"Minería: .* {N_CUSCO - 22} de {N_CUSCO} distritos sin dato público"))).to_be_visible()
    app.screenshot("real_layers_map")
    assert not app.page.get_by_test_id("stAlertContentError").count()


def test_a_district_the_source_does_not_cover_says_so_on_the_map_and_its_card(
        app: AppPage, silent_district: tuple[str, str]) -> None:
    ubigeo, name = silent_district
    choose_layer(app, re.compile(r"^Minería — "))
    shape = district_shape(app, ubigeo, "v")
    text = hover_tooltip(app, shape)
    assert ubigeo in text and "sin dato público" in text and SOURCE in text, text
    # a click on it opens its card
    shape.click(position=app.point_inside(shape))
    expect(app.page).to_have_url(re.compile(rf"/distrito\b.*ubigeo={ubigeo}"))
    app.wait()
    app.assert_no_exception()
    expect(app.main().get_by_role("heading", name=re.compile(re.escape(name))).first) \
        .to_be_visible()
    heading = app.main().get_by_role("heading", name="Capas sectoriales: qué dicen las fuentes")
    heading.scroll_into_view_if_needed()
    expect(heading).to_be_visible()
    layers = card_layers(app)
    mining = layers[layers["Capa"] == "Minería"].iloc[0]
    assert mining["En el distrito"] == "sin dato público"
    assert mining["Fuente"] == SOURCE and mining["Años"] == "2020"
    assert mining["Origen"] == "real"
    assert mining["Nota"] == "la fuente no cubre el distrito (no es 0)"
    forest = layers[layers["Capa"] == "Pérdida de bosque"].iloc[0]
    assert re.fullmatch(r"[\d,]+(\.\d+)? ha", forest["En el distrito"]), forest.to_dict()
    expect(app.main().get_by_text(re.compile(r"indicador propio \(aquí: .*Minería"))) \
        .to_be_visible()
    app.screenshot("real_layers_card")


def test_a_district_outside_the_learnt_range_is_marked_on_the_map_and_its_card(
        app: AppPage) -> None:
    frame = map_document(app)
    legend = frame.locator(".riskmap-legend")
    expect(legend).to_contain_text("Fuera del rango aprendido")
    text = hover_tooltip(app, district_shape(app, BEYOND, "r"))
    assert "fuera del rango aprendido: Pérdida de bosque (GeoBosques (MINAM))" in text, text
    app.screenshot("real_layers_out_of_range_map")
    app.open(f"distrito?ubigeo={BEYOND}")
    warning = app.main().get_by_text(re.compile(r"^Fuera del rango aprendido: Pérdida de "
                                                r"bosque \(GeoBosques \(MINAM\)\)"))
    expect(warning).to_be_visible()
    warning.scroll_into_view_if_needed()
    app.screenshot("real_layers_out_of_range_card")
    layers = card_layers(app)
    forest = layers[layers["Capa"] == "Pérdida de bosque"].iloc[0]
    assert forest["En el distrito"] == "5,540 ha", forest.to_dict()


def test_in_english_the_layer_says_no_public_data(app: AppPage,
                                                   silent_district: tuple[str, str]) -> None:
    ubigeo, _ = silent_district
    app.open("?lang=en")
    picker = app.main().get_by_test_id("stMultiSelect").filter(has_text="Sector layers")
    picker.locator("input").click()
    app.page.get_by_role("option", name=re.compile(r"^Mining — .*· 2020 · ha · real$")).click()
    app.page.keyboard.press("Escape")
    app.wait()
    legend = map_document(app).locator(".riskmap-legend-capa")
    expect(legend).to_contain_text(f"no public data ({N_CUSCO - 22})")
    text = hover_tooltip(app, district_shape(app, ubigeo, "v"))
    assert "no public data" in text, text
