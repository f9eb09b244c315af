"""The printed plan in chromium: the PDF has exactly the pages its cover states.

``riskmap plan --html`` on the demo world, printed to A4 with Playwright's ``page.pdf`` on
Debian's chromium: every page is one A4 sheet of fixed height (``.page`` in ``plan.css``),
so the count is known before printing and a page whose content overflows is a failure.
"""

from __future__ import annotations

import io
import re

import pytest

from dashboard.cli import main
from models.planning.printable import page_count

pytestmark = pytest.mark.e2e


def _pdf_pages(data: bytes) -> int:
    """Count a PDF's pages (pypdf when installed, else its ``/Type /Page`` objects)."""
    try:
        import pypdf  # optional: not a dependency; the object count is exact for chromium's PDFs

        return len(pypdf.PdfReader(io.BytesIO(data)).pages)
    except ImportError:
        return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))


@pytest.mark.parametrize("lang", ["es", "en"])
def test_the_printed_plan_prints_to_the_pages_its_cover_states(
        browser, demo_settings, scores_gpkg, tmp_path, lang, capsys):
    page_file = tmp_path / "plan.html"
    assert main(["--lang", lang, "plan", "--config", str(demo_settings.path), "--html",
                 str(page_file), "--month", "2026-12"]) == 0
    capsys.readouterr()
    stated = page_count(page_file.read_text(encoding="utf-8"))
    page = browser.new_page(viewport={"width": 794, "height": 1123})
    try:
        page.goto(page_file.as_uri())
        page.emulate_media(media="print")
        overflowing = page.evaluate(
            "() => [...document.querySelectorAll('section.page')]"
            ".map((e, i) => [i, e.querySelector('h1,h2')?.textContent, e.scrollHeight,"
            " e.clientHeight]).filter(x => x[2] > x[3] + 1)")
        assert overflowing == [], f"content cut off at the page's foot: {overflowing}"
        pdf = page.pdf(format="A4", print_background=True)
    finally:
        page.close()
    assert _pdf_pages(pdf) == stated > 3
