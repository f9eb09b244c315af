"""The Indicadores page in a real browser: its three maps, offline, in both languages.

The first two tests run on the demo world of ``conftest`` (simulated data, no sign-in, the
visitor is a planner); the last one on the sign-in world of ``test_trust`` (the same demo
data and settings, ``[auth] mode = "local"``), as a role that only sees aggregates. Every
test also fails if the page asked any host but the app for anything, or if any request
failed (``NetworkGuard``, checked when the browser context closes).
"""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest

from dashboard.indicator_words import VIEWS  # the radio "Vista" / "View"

from . import test_trust as trust_world
from .conftest import LOCAL_HOSTS, AppPage
from .test_dashboard import switch_language, wait_for_shapes

pytestmark = pytest.mark.e2e

# The sign-in world of test_trust (its server, accounts and records), reused as is: the
# fixtures are bound here so that this module gets its own server for its own tests.
trust = trust_world.trust
tab = trust_world.tab

N_DISTRICTS = 169  # Cusco 116 + Loreto 53
K_AGGREGATE = 5  # default floor of the roles without record access (geo.trust.access.floor)
ROUTE_COLOR = "#b2182b"  # dashboard.indicatormaps.ROUTE_COLOR
LOCAL_COLOR = "#e69f00"  # recruitment in the same district: a circle, not a line
DAY_COLORS = {"#f1eef6", "#bdc9e1", "#74a9cf", "#2b8cbe", "#045a8d"}
SERVICE_COLORS = {"#cc79a7", "#d55e00", "#0072b2", "#009e73", "#000000"}
RECORD_ID = re.compile(r"\b(?:SIM-\d{4}-\d{4}|TRUST-(?:CUS|LOR)-\d{4})\b")
LEAFLET_JS = re.compile(r"/app/static/leaflet-1\.9\.3/[^?#]*leaflet[^/]*\.js")

WORDS = {  # what each map and the page say, Spanish then English
    "mapa_titulo": ("Inspecciones con el indicador", "Inspections with the indicator"),
    "rutas_titulo": ("Rutas de captación", "Recruitment routes"),
    "dias_titulo": ("Días de viaje (ida) al servicio más cercano",
                    "Travel days (one way) to the nearest service"),
    "brecha": ("Brecha: riesgo alto y ayuda lejos", "Gap: high risk and help far away"),
    "en_brecha": (r"(\d+) distritos en la brecha", r"(\d+) districts in the gap"),
}


def expect(*args, **kwargs):
    from playwright.sync_api import expect as _expect

    return _expect(*args, **kwargs)


def word(key: str, lang: str) -> str:
    return WORDS[key][0 if lang == "es" else 1]


def other(lang: str) -> str:
    return "en" if lang == "es" else "es"


# --------------------------------------------------------------------------------------
# helpers
_PATHS_JS = """
() => [...document.querySelectorAll("path")].map(p => ({
  interactive: p.classList.contains("leaflet-interactive"),
  stroke: (p.getAttribute("stroke") || "").toLowerCase(),
  fill: (p.getAttribute("fill") || "").toLowerCase(),
  dash: p.getAttribute("stroke-dasharray") || "",
}))
"""


def view_radio(app: AppPage):
    """The radio that chooses the page's view, in whichever language."""
    return app.main().get_by_role("radiogroup", name=re.compile(r"^\s*(Vista|View)\s*$"))


def choose_view(app: AppPage, view: str, lang: str) -> None:
    """Click a view of the radio "Vista" like a user and wait for the page to settle."""
    label = VIEWS[view][0 if lang == "es" else 1]
    view_radio(app).get_by_text(label, exact=True).click()
    app.wait()
    app.assert_no_exception()


def map_with_legend(app: AppPage, title: str):
    """The map iframe whose legend title is ``title`` (waits until it is drawn).

    Returns the iframe's Playwright ``Frame``. The legend is a Leaflet control added by the
    map's script after its layers: once it shows, the shapes are in the SVG.
    """
    from playwright.sync_api import Error as PlaywrightError

    iframes = app.page.locator("iframe[title='streamlit_folium.st_folium']")
    exact = re.compile(rf"^\s*{re.escape(title)}\s*$")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # a rerun may still be replacing the old map
        for i in range(iframes.count()):
            try:
                frame = iframes.nth(i).element_handle(timeout=2_000).content_frame()
                legend = frame.locator(".riskmap-legend b").filter(has_text=exact)
                if legend.count() == 1 and legend.is_visible():
                    return frame
            except (AttributeError, PlaywrightError):  # detached, or not loaded yet
                continue
        app.page.wait_for_timeout(250)
    raise AssertionError(f"no map iframe with the legend {title!r}")


def paths_of(frame, at_least: int = 1, timeout_s: float = 60) -> list[dict]:
    """The SVG paths of a map iframe, once it holds at least ``at_least`` interactive ones."""
    deadline = time.monotonic() + timeout_s
    while True:
        paths = frame.evaluate(_PATHS_JS)
        if sum(p["interactive"] for p in paths) >= at_least or time.monotonic() > deadline:
            return paths
        time.sleep(0.25)


def assert_all_local(urls: list[str]) -> None:
    """Every URL stays on this machine (or needs no network at all)."""
    foreign = [url for url in urls if urlsplit(url).scheme not in ("data", "blob", "about")
               and urlsplit(url).hostname not in LOCAL_HOSTS]
    assert not foreign, "requests that left the machine:\n" + "\n".join(foreign)


def check_indicator_map(app: AppPage, lang: str) -> None:
    """The Mapa view: one shape per district, and the legend of the indicator's map."""
    frame = map_with_legend(app, word("mapa_titulo", lang))
    wait_for_shapes(app, 100)
    paths = paths_of(frame, 100)
    districts = [p for p in paths if p["interactive"]]
    assert len(districts) >= 100, len(districts)  # 169 districts of Cusco and Loreto
    assert len(districts) <= 2 * N_DISTRICTS, len(districts)
    legend = frame.locator(".riskmap-legend")
    expect(legend).not_to_contain_text(word("mapa_titulo", other(lang)))


def check_routes_map(app: AppPage, lang: str) -> None:
    """The routes view: lines in the route colour from origin to destination, and a legend."""
    frame = map_with_legend(app, word("rutas_titulo", lang))
    paths = paths_of(frame, 100)
    lines = [p for p in paths if p["interactive"] and p["stroke"] == ROUTE_COLOR
             and p["fill"] == "none"]
    assert lines, "the routes map draws no line in the route colour"
    # the districts are drawn under the routes, in light grey
    assert sum(p["interactive"] and p["fill"] == "#f0f0f0" for p in paths) >= 100
    legend = frame.locator(".riskmap-legend")
    expect(legend).to_contain_text(word("rutas_titulo", lang))
    expect(legend).not_to_contain_text(word("rutas_titulo", other(lang)))
    # the table of routes below the map
    expect(app.main().get_by_test_id("stDataFrame").first).to_be_visible()


def check_services_map(app: AppPage, lang: str) -> int:
    """The services view: districts coloured by days, services, the gap. Returns N."""
    frame = map_with_legend(app, word("dias_titulo", lang))
    paths = paths_of(frame, 100)
    filled = [p for p in paths if p["interactive"] and p["fill"] in DAY_COLORS]
    assert len(filled) >= 100, f"{len(filled)} districts coloured by days to a service"
    services = [p for p in paths if p["interactive"] and p["stroke"] == "#ffffff"
                and p["fill"] in SERVICE_COLORS]
    assert services, "the services map shows no service"
    legend = frame.locator(".riskmap-legend")
    expect(legend).to_contain_text(word("brecha", lang))
    expect(legend).not_to_contain_text(word("brecha", other(lang)))
    expect(legend).not_to_contain_text(word("dias_titulo", other(lang)))
    # "N distritos en la brecha", in bold under the map, with N > 0 ...
    line = app.main().locator("strong").filter(
        has_text=re.compile(rf"^\s*{word('en_brecha', lang)}\s*$"))
    expect(line).to_have_count(1)
    n = int(re.search(word("en_brecha", lang), line.inner_text()).group(1))
    assert n > 0, "the demo world should have districts in the gap"
    # ... outlined on the map (dashed, in the gap's colour) and listed in the table
    outlined = [p for p in paths if not p["interactive"] and p["stroke"] == ROUTE_COLOR
                and p["dash"].replace(",", " ").split() == ["5", "3"]]
    assert len(outlined) == n, (len(outlined), n)
    table = app.table(app.main().get_by_test_id("stDataFrame").first)
    assert len(table) == n, table.to_string()
    assert table["UBIGEO"].str.fullmatch(r"(08|16)\d{4}").all(), table.to_string()
    return n


# --------------------------------------------------------------------------------------
def test_indicator_maps_draw_offline_in_spanish(app: AppPage) -> None:
    requested: list[str] = []
    app.page.on("request", lambda request: requested.append(request.url))
    app.open("indicadores")
    expect(app.main().get_by_role("heading", name="Indicadores de trabajo forzoso"))\
        .to_be_visible()
    radio = view_radio(app)
    expect(radio.get_by_role("radio")).to_have_count(len(VIEWS))
    for es, _ in VIEWS.values():
        expect(radio.get_by_text(es, exact=True)).to_be_visible()
    expect(radio.get_by_role("radio", name="Mapa")).to_be_checked()  # the first view
    check_indicator_map(app, "es")

    choose_view(app, "rutas", "es")
    check_routes_map(app, "es")

    choose_view(app, "servicios", "es")
    check_services_map(app, "es")
    app.assert_no_exception()

    # offline: every request of every frame (the map iframes too) stayed on this machine,
    # Leaflet included, served by the app itself
    assert requested, "no request recorded"
    assert_all_local(requested)
    assert_all_local([url for url, _ in app.guard.requests])
    assert any(LEAFLET_JS.search(url) for url, _ in app.guard.requests), \
        "Leaflet was not loaded from /app/static/leaflet-1.9.3"
    app.guard.assert_clean()


def test_indicator_maps_in_english(app: AppPage) -> None:
    app.open("indicadores")
    switch_language(app, "en")
    expect(app.main().get_by_role("heading", name="Forced-labour indicators")).to_be_visible()
    radio = view_radio(app)
    expect(radio).to_have_accessible_name(re.compile(r"^\s*View\s*$"))
    expect(radio.get_by_role("radio")).to_have_count(len(VIEWS))
    shown = " | ".join(radio.inner_text().splitlines())
    for es, en in VIEWS.values():
        expect(radio.get_by_text(en, exact=True)).to_be_visible()
        if es != en:
            expect(radio.get_by_text(es, exact=True)).to_have_count(0)
            assert es not in shown, shown
    check_indicator_map(app, "en")
    expect(app.main().get_by_text(re.compile(r"districts have inspections")).first)\
        .to_be_visible()

    choose_view(app, "rutas", "en")
    check_routes_map(app, "en")
    expect(app.main().get_by_text(re.compile(r"\d+ routes \(\d+ recruited in the same"))
           .first).to_be_visible()

    choose_view(app, "servicios", "en")
    check_services_map(app, "en")
    expect(app.main().get_by_text(re.compile(r"distritos en la brecha"))).to_have_count(0)
    assert "lang=en" in app.page.url
    app.assert_no_exception()


_ROUTE_TIP = re.compile(
    r"(\d[\d ]*|–) (?:inspecciones|inspections), (\d[\d ]*|–) (?:víctimas|victims) "
    r"\((\d[\d ]*|–) (?:mujeres|women), (\d[\d ]*|–) (?:menores|minors)\)")


def _unescape(text: str) -> str:
    """``text`` with its JSON escapes (``\\u00ed``, once or twice escaped) decoded."""
    return re.sub(r"\\+u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)


def _count(text: str) -> int | None:
    return None if text == "–" else int(text.replace(" ", ""))


@pytest.mark.parametrize("user", ["gore", "rosa"])
def test_routes_of_an_aggregate_role_carry_no_record_and_no_small_count(
        tab: AppPage, trust, user: str) -> None:
    # The trust world serves the demo's own settings (its services layer, and the history
    # file whose records name the district of origin of their victims), with sign-in.
    trust_world.sign_in(tab, user, path="indicadores")
    assert "/indicadores" in tab.page.url, tab.page.url
    sidebar = tab.page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_role("radiogroup", name="Rol")).to_have_count(0)
    choose_view(tab, "rutas", "es")
    frame = map_with_legend(tab, word("rutas_titulo", "es"))
    paths = paths_of(frame, 10)
    marks = [p for p in paths if p["interactive"] and (
        p["stroke"] == ROUTE_COLOR or p["fill"] == LOCAL_COLOR)]
    hidden = tab.main().get_by_text(re.compile(r"no se muestran con su rol"))
    assert marks or hidden.count(), "neither routes nor the note that some are not shown"
    if hidden.count():
        expect(hidden.first).to_be_visible()
        expect(hidden.first).to_contain_text(
            re.compile(rf"menos de {K_AGGREGATE} inspecciones o víctimas|conteos pequeños"))
    # the table of routes, if any: no count from 1 to k-1
    tables = tab.main().get_by_test_id("stDataFrame")
    if tables.count():
        table = tab.table(tables.first)
        for col in ("Inspecciones", "Víctimas"):
            counts = table[col].astype(float)
            assert (counts >= K_AGGREGATE).all(), table.to_string()
        for col in ("Mujeres", "Menores"):
            counts = table[col].astype(float).dropna()
            assert not ((counts > 0) & (counts < K_AGGREGATE)).any(), table.to_string()

    # everything the server sent this browser: every websocket frame, then the DOM
    assert tab.guard.frames, "no websocket frame recorded"
    # (the map's script travels as JSON text inside the protobuf: "captaci\\u00f3n")
    texts = [_unescape(frame.decode("utf-8", "replace")) for frame in tab.guard.frames]
    assert any(word("rutas_titulo", "es") in text for text in texts), \
        "the routes map should travel in the frames (the check must see what was sent)"
    found = sorted({m.group() for text in texts for m in RECORD_ID.finditer(text)})
    assert found == [], f"record ids sent to {user}: {found[:10]}"
    assert trust_world.leaked(tab, trust.all_ids) == []
    # the routes' tooltips travel in the map's script: none says a small count either
    tips = [m.groups() for text in texts for m in _ROUTE_TIP.finditer(text)]
    assert bool(tips) == bool(marks), (len(tips), len(marks))
    for n_insp, victims, women, minors in tips:
        assert (_count(n_insp) or 0) >= K_AGGREGATE, (n_insp, victims)
        assert (_count(victims) or 0) >= K_AGGREGATE, (n_insp, victims)
        for sub in (women, minors):
            assert _count(sub) in (None, 0) or _count(sub) >= K_AGGREGATE, (women, minors)
    tab.assert_no_exception()
