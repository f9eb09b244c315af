"""Pages at 1366×768: ranks within the region, the region held across pages, Streamlit's words.

Issue 23's page points, as a planner on a laptop reads them, in Spanish and in English:
the Mapa table's rank of a Cusco district is the card's rank in Cusco; Cusco chosen on the
map holds on Distrito and Planificación; the Spanish Datos and Exportar pages show no word of
Streamlit's own English; no table of Mapa, Planificación, Modelo or Exportar is wider than
the screen. Screenshots of Mapa (Cusco), Planificación and Modelo go to ``test-results/``.
"""

from __future__ import annotations

import re

import pytest

from .conftest import RESULTS, AppPage

pytestmark = pytest.mark.e2e

LAPTOP = {"width": 1366, "height": 768}
WORDS = {  # what each language calls the region, the rank in it, and the plan's line
    "es": ("Cusco", "Puesto en Cusco", "Plan de las oficinas de Cusco"),
    "en": ("Cusco", "Rank in Cusco", "Plan of the offices of Cusco"),
}
# Streamlit's own English words (1.67) that the Spanish pages must not show
STREAMLIT_ENGLISH = ("Upload", "per file", "Drag and drop", "Browse files", "Select all",
                     "No results", "Choose an option", "Choose options", "Press Enter")

# The text a person sees: every text node whose element is rendered with a non-zero font
# size, plus what CSS writes in ::before/::after.
_VISIBLE_TEXT_JS = """
(root) => {
  const out = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT);
  for (let el = walker.currentNode; el; el = walker.nextNode()) {
    const style = getComputedStyle(el);
    if (style.display === "none" || style.visibility === "hidden") continue;
    for (const node of el.childNodes) {
      if (node.nodeType === 3 && node.textContent.trim() && parseFloat(style.fontSize) > 0)
        out.push(node.textContent.trim());
    }
    for (const pseudo of ["::before", "::after"]) {
      const content = getComputedStyle(el, pseudo).content;
      if (content && content !== "none" && content !== "normal")
        out.push(content.replace(/^"|"$/g, ""));
    }
  }
  return out.join(" | ");
}
"""

# st.dataframe draws on a canvas inside a scroller: wider content than the box = cut columns
_OVERFLOWING_TABLES_JS = """
() => Array.from(document.querySelectorAll("[data-testid='stDataFrame']")).map(d => {
  const s = d.querySelector(".dvn-scroller");
  return s ? s.scrollWidth - s.clientWidth : 0;
}).filter(extra => extra > 1)
"""


def expect(*args, **kwargs):
    from playwright.sync_api import expect as _expect

    return _expect(*args, **kwargs)


def _switch_language(app: AppPage, lang: str) -> None:
    label = {"es": "Español", "en": "English"}[lang]
    widget = app.page.get_by_test_id("stSidebar").get_by_role(
        "radiogroup", name="Idioma / Language")
    widget.get_by_text(label, exact=True).click()
    app.wait()


def _region_radio(app: AppPage, key: str):
    return app.main().locator(f".st-key-{key}").get_by_role("radiogroup")


def _shot(app: AppPage, name: str) -> None:
    """What the laptop's screen shows (not the whole page), to ``test-results/<name>.png``."""
    RESULTS.mkdir(exist_ok=True)
    app.page.screenshot(path=str(RESULTS / f"{name}.png"))


def _no_table_cut(app: AppPage, page: str) -> None:
    app.page.wait_for_timeout(500)  # the grid sizes its columns after it is drawn
    assert app.page.evaluate(_OVERFLOWING_TABLES_JS) == [], f"{page}: a table is cut"


@pytest.mark.parametrize("lang", ["es", "en"])
def test_rank_in_cusco_and_the_region_hold_from_mapa_to_planificacion(app: AppPage,
                                                                      lang: str) -> None:
    region, rank_word, plan_line = WORDS[lang]
    app.page.set_viewport_size(LAPTOP)
    app.open()
    if lang == "en":
        _switch_language(app, "en")
    _region_radio(app, "mapa_region").get_by_text(region, exact=True).click()
    app.wait()
    app.main().locator(".st-key-mapa_top15 label").first.click()
    app.wait()
    table = app.table(app.main().get_by_test_id("stDataFrame").first)
    assert rank_word in table.columns, table.columns
    assert table["UBIGEO"].str.startswith("08").all(), table.to_string()
    assert table[rank_word].astype(int).tolist()[:3] == [1, 2, 3]
    _no_table_cut(app, "mapa")
    _shot(app, f"mapa_cusco_{lang}")
    third = table.iloc[2]

    # the card of the third district: the same rank in Cusco, the region held
    app.goto("distrito")
    expect(_region_radio(app, "distrito_region").get_by_role("radio", name=region, exact=True)) \
        .to_be_checked()
    search = app.main().locator(".st-key-distrito_buscar input")
    search.fill(str(third["UBIGEO"]))
    search.press("Enter")
    app.wait()
    tile = app.main().get_by_test_id("stMetric").filter(has_text=rank_word)
    expect(tile).to_have_count(1)
    value = tile.get_by_test_id("stMetricValue").inner_text()
    assert re.fullmatch(rf"{int(third[rank_word])}\s*/\s*\d+", value.strip()), value

    # the plan: Cusco still chosen, Cusco's offices only
    app.goto("planificacion")
    expect(_region_radio(app, "plan_region").get_by_role("radio", name=region, exact=True)) \
        .to_be_checked()
    expect(app.main().get_by_text(plan_line).first).to_be_visible()
    _no_table_cut(app, "planificacion")
    _shot(app, f"planificacion_cusco_{lang}")
    app.main().get_by_test_id("stDataFrame").last.scroll_into_view_if_needed()
    _shot(app, f"planificacion_cusco_viajes_{lang}")
    app.assert_no_exception()


def test_spanish_pages_show_no_english_streamlit_word(app: AppPage) -> None:
    app.page.set_viewport_size(LAPTOP)
    app.goto("datos")
    uploader = app.main().get_by_test_id("stFileUploader").first
    expect(uploader).to_be_visible()
    seen = uploader.evaluate(_VISIBLE_TEXT_JS)
    assert "Subir archivo" in seen and "por archivo" in seen, seen
    page = app.main().evaluate(_VISIBLE_TEXT_JS)
    assert not [w for w in STREAMLIT_ENGLISH if w in page], page
    # a file dragged over the box: the drop hint in Spanish too
    uploader.get_by_test_id("stFileUploaderDropzone").evaluate(
        """zone => { const dt = new DataTransfer();
           dt.items.add(new File(["a"], "a.csv", {type: "text/csv"}));
           zone.dispatchEvent(new DragEvent("dragenter", {bubbles: true, dataTransfer: dt})); }""")
    expect(uploader.get_by_text("Drag and drop a file here")).to_have_count(1)  # (in the DOM)
    seen = uploader.evaluate(_VISIBLE_TEXT_JS)
    assert "Suelte el archivo aquí" in seen and "Drag and drop" not in seen, seen

    app.goto("exportar")
    # typing in the threshold shows Streamlit's hint under it
    box = app.main().locator(".st-key-exportar_umbral input")
    box.fill("7")
    hint = app.main().get_by_test_id("InputInstructions").first
    expect(hint).to_be_attached()
    page = app.main().evaluate(_VISIBLE_TEXT_JS)
    assert "Pulse Enter para aplicar" in page, page
    assert not [w for w in STREAMLIT_ENGLISH if w in page], page
    box.press("Enter")
    app.wait()
    _no_table_cut(app, "exportar")

    # the map's layer list: "Seleccionar todo", and "Sin resultados" for nothing found
    app.goto("mapa")
    layers = app.main().locator(".st-key-mapa_capas input")
    layers.click()
    dropdown = app.page.get_by_test_id("stMultiSelectDropdown")
    expect(dropdown).to_be_visible()
    assert "Seleccionar todo" in dropdown.evaluate(_VISIBLE_TEXT_JS)
    layers.fill("zzzz")
    app.page.wait_for_timeout(300)
    seen = dropdown.evaluate(_VISIBLE_TEXT_JS)
    assert "Sin resultados" in seen and "No results" not in seen, seen
    app.assert_no_exception()


def test_english_keeps_streamlit_words(app: AppPage) -> None:
    # the Spanish words are only for Spanish: in English the uploader says what it says
    app.goto("datos")
    _switch_language(app, "en")
    seen = app.main().get_by_test_id("stFileUploader").first.evaluate(_VISIBLE_TEXT_JS)
    assert "Upload" in seen and "Subir" not in seen, seen


def test_modelo_tables_fit_a_laptop_screen(app: AppPage) -> None:
    app.page.set_viewport_size(LAPTOP)
    app.goto("modelo")
    expect(app.main().get_by_test_id("stDataFrame").first).to_be_visible()
    _no_table_cut(app, "modelo")
    _shot(app, "modelo_1366")
    app.main().locator(".st-key-modelo_metricas_todas").scroll_into_view_if_needed()
    _shot(app, "modelo_1366_metricas")
    # the columns left out are one switch away
    app.main().locator(".st-key-modelo_metricas_todas label").first.click()
    app.wait()
    app.assert_no_exception()
