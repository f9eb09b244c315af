"""Numbers as the reader's language writes them, on every page, in the real app (issue 23).

Every page is opened in Spanish and in English on the default demo world, each of its tabs
shown and the map's legend read, and its text searched for a number written the way
neither CLDR ``es_PE`` nor ``en`` writes it: a decimal comma (``4,6 %``), a space before
the percent sign (``3.4 %``: CLDR writes ``3.4%``), scientific notation (``5,54e+03``) or
an integer of 10,000 and more without its grouping (``24510``; a UBIGEO is a code, not a
number). The export page's GeoPackage opens in GDAL 3.6's ``ogrinfo`` without a warning.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from geo import columns as C

from .conftest import AppPage, E2EData
from .test_dashboard import switch_language

pytestmark = pytest.mark.e2e

#: What no page may show, whatever the language (CLDR es_PE and en agree on every one).
WRONG = {
    "decimal comma": re.compile(r"(?<![\d,])\d+,\d{1,2}(?![\d,])"),
    "space before %": re.compile(r"\d[ \u00a0\u202f]%"),
    # (a hash's hex digits, "939e7b", are a word: not a number)
    "scientific notation": re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)?e[+-]?\d+(?!\w)",
                                      re.IGNORECASE),
    "ungrouped integer": re.compile(r"(?<![\w.,/:#-])\d{5,}(?![\w.,/:-])"),
}


def _tab_texts(app: AppPage) -> list[str]:
    """The main area's text with each of its tabs shown in turn (a hidden tab has none)."""
    main = app.main()
    texts = [main.inner_text()]
    tabs = main.get_by_role("tab")
    for i in range(tabs.count()):
        tab = tabs.nth(i)
        if tab.is_visible():
            tab.click()
            app.wait()
            texts.append(main.inner_text())
    return texts


def _map_texts(app: AppPage) -> list[str]:
    """The text of every map on the page (legends, labels; tooltips are drawn on hover)."""
    frames = app.page.frame_locator("iframe[title='streamlit_folium.st_folium']")
    out = []
    count = app.page.locator("iframe[title='streamlit_folium.st_folium']").count()
    for i in range(count):
        body = frames.nth(i).locator("body")
        body.wait_for(state="attached", timeout=30_000)
        out.append(body.inner_text())
    return out


def _offences(text: str, codes: set[str]) -> list[str]:
    found = []
    for why, pattern in WRONG.items():
        for m in pattern.finditer(text):
            if why == "ungrouped integer" and m.group(0) in codes:
                continue  # a UBIGEO: a district's code
            context = text[max(0, m.start() - 40):m.end() + 20].replace("\n", " ")
            found.append(f"{why}: {m.group(0)!r} in …{context}…")
    return found


@pytest.fixture(scope="module")
def codes(e2e_data: E2EData) -> set[str]:
    import pyogrio

    scores = pyogrio.read_dataframe(e2e_data.load_settings().scores_gpkg, layer="riesgo",
                                    read_geometry=False)
    return set(scores[C.UBIGEO].astype(str))


@pytest.mark.parametrize("lang", ["es", "en"])
def test_every_page_writes_its_numbers_as_its_language_does(app: AppPage, codes: set[str],
                                                            lang: str) -> None:
    if lang == "en":
        switch_language(app, "en")
    links = app.page.locator("[data-testid='stSidebarNavLink'], [data-testid='stTopNavLink']")
    n_pages = links.count()
    assert n_pages >= 6, app.nav_labels()
    problems, read = [], 0
    for i in range(n_pages):
        name = links.nth(i).inner_text().strip().splitlines()[-1]
        links.nth(i).click()
        app.wait()
        app.assert_no_exception()
        texts = _tab_texts(app) + _map_texts(app)
        read += sum(len(x) for x in texts)
        numbers = sum(len(re.findall(r"\d", x)) for x in texts)
        assert numbers, f"{name}: no number on the page at all"
        for text in texts:
            problems += [f"{name}: {p}" for p in _offences(text, codes)]
    assert read > 5_000, read  # the pages were really read
    if problems:
        app.screenshot(f"numbers-{lang}")
    assert not problems, "\n".join(dict.fromkeys(problems))


def test_the_offence_patterns_catch_each_wrong_number() -> None:
    bad = ["riesgo 4,6", "3.4 %", "5,54e+03", "2451 de 24510 filas", "1.2E5"]
    good = ["1,234.5", "3.4%", "2,451 de 24,510 filas", "año 2026", "080101", "SIM-2024-00012",
            "sha256 3a318bdcaefd6f939e7b393a"]
    assert all(_offences(x, {"080101"}) for x in bad), [x for x in bad if not _offences(x, set())]
    assert not [x for x in good if _offences(x, {"080101"})]


def test_the_pages_geopackage_opens_in_gdal_3_6_without_a_warning(app: AppPage,
                                                                  tmp_path) -> None:
    ogrinfo = shutil.which("ogrinfo")
    if ogrinfo is None:
        pytest.skip("ogrinfo (Debian gdal-bin) not found")
    app.goto("exportar")
    main = app.main()
    main.get_by_role("radiogroup", name=re.compile("Formato")).get_by_text(
        "GeoPackage", exact=True).click()
    app.wait()
    target = app.download(main.get_by_test_id("stDownloadButton").first.locator("button"),
                          tmp_path)
    assert target.suffix == ".gpkg", target.name
    done = subprocess.run([ogrinfo, "-ro", "-so", "-al", str(target)], capture_output=True,
                          text=True, check=True)
    assert "Layer name: riesgo" in done.stdout
    assert "warning" not in done.stderr.lower(), done.stderr
