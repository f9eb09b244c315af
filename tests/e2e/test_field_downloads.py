"""From plan to field in the browser: the field sheets and the checklist as downloads.

Planificación gives the plan's field sheets and the printed plan with them, Distrito the
district's own sheet, Datos the checklist template (XLSX) that imports unchanged: each is
clicked as a user would and the file it hands over is read.
"""

from __future__ import annotations

import re

import openpyxl
import pytest
from playwright.sync_api import expect

from geo.records.contract import RECORD_COLUMNS
from models.planning.printable import page_count
from tests.e2e.conftest import AppPage

pytestmark = pytest.mark.e2e


def _button(app: AppPage, name: str):
    return app.main().get_by_role("button", name=re.compile(name))


def test_planificacion_hands_over_field_sheets_and_the_printed_plan(app: AppPage, tmp_path):
    app.goto("planificacion")
    expect(_button(app, "Descargar fichas de campo")).to_be_visible()
    sheets = app.download(_button(app, "Descargar fichas de campo"), tmp_path)
    text = sheets.read_text(encoding="utf-8")
    n = text.count("<section class='page ficha'>")
    assert n > 0 and text.count("Ruta de derivación") == n
    assert "Centro Emergencia Mujer (CEM)" in text and "SIMULADO" in text
    printed = app.download(_button(app, "Descargar página imprimible"), tmp_path).read_text(
        encoding="utf-8")
    assert printed.count("<section class='page ficha'>") == n
    assert page_count(printed) == printed.count("<section class='page")
    app.assert_no_exception()


def test_distrito_hands_over_its_field_sheet(app: AppPage, tmp_path):
    app.goto("distrito")
    search = app.main().get_by_label(re.compile("Buscar por nombre o UBIGEO"))
    search.fill("080101")
    search.press("Enter")
    app.wait()
    sheet = app.download(_button(app, "Descargar ficha de campo"), tmp_path)
    assert sheet.name == "ficha_080101.html"
    text = sheet.read_text(encoding="utf-8")
    assert text.count("<section class='page ficha'>") == 1 and "UBIGEO 080101" in text
    assert "Ruta de derivación" in text and "Base legal" in text
    app.assert_no_exception()


def test_datos_hands_over_the_checklist_template(app: AppPage, tmp_path):
    app.goto("datos")
    book = openpyxl.load_workbook(app.download(_button(app, "Plantilla de la lista"),
                                               tmp_path))
    assert tuple(c.value for c in book["inspecciones"][1]) == RECORD_COLUMNS
    checklist = app.download(_button(app, "Lista de verificación imprimible"), tmp_path)
    assert checklist.read_text(encoding="utf-8").count("class='code'") >= 11
    app.assert_no_exception()
