"""Ids typed by people, as pages show them (issue 21): formulas stay text on every page.

An inspection id is free text from a planner's file. A page's table has a "Download as
CSV" button, and that file opens in a spreadsheet: an id such as ``=HYPERLINK(…)`` must
reach it as text, by the same rule as every CSV riskmap writes (:mod:`geo.records.sheets`).
"""

from __future__ import annotations

import csv

import geopandas as gpd
import pytest

from geo.paths import REPO_ROOT
from geo.records.sheets import FORMULA_PREFIXES

APP = str(REPO_ROOT / "dashboard" / "app.py")
TIMEOUT = 120
FORMULA_IDS = ('=HYPERLINK("http://127.0.0.1:9/x?"&A1,"ver")', "@SUM(1+1)*cmd|' /C calc'!A0",
               "+51-984-000-000", "-2+3")

pytestmark = pytest.mark.slow


@pytest.fixture()
def formula_ids(demo_settings, scores_gpkg, tmp_path, monkeypatch) -> str:
    """The demo (a planner of every region, no sign-in) with a store of formula-like ids.

    Returns the district they were recorded in.
    """
    from geo.records.store import InspectionStore

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


# --- an upload's bytes do not stay in the session's memory (issue 21) --------------------
def test_an_uploads_bytes_leave_memory_once_its_private_copy_is_written(
        demo_settings, scores_gpkg, tmp_path, monkeypatch):
    """Streamlit keeps an upload in memory until its session ends, and a session whose
    browser closed never ends: the page writes the file to the private folder and frees
    the bytes in the same run; the copy serves the import."""
    from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
    from streamlit.testing.v1 import AppTest

    from geo import paths

    monkeypatch.setenv("RISKMAP_CONFIG", str(demo_settings.path))
    monkeypatch.setenv("RISKMAP_DATA_DIR", str(tmp_path))
    freed: list[tuple[str, int]] = []
    original = MemoryUploadedFileManager.remove_file

    def remove_file(self, session_id: str, file_id: str) -> None:
        original(self, session_id, file_id)
        freed.append((file_id, len(self.file_storage.get(session_id, {}))))

    monkeypatch.setattr(MemoryUploadedFileManager, "remove_file", remove_file)
    good = (b"id,fecha,ubigeo,sector,hallazgo_tf\n"
            b"MEM-1,2024-05-02,080101,construccion,0\n")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page("views/datos.py").run()
    at.file_uploader(key="datos_archivo").set_value(("memoria.csv", good, "text/csv")).run()
    _no_exception(at)
    assert len(freed) == 1 and freed[0][1] == 0, freed  # nothing of it left in memory
    kept = [p for p in paths.uploads_dir().rglob("*.csv")]
    assert [p.read_bytes() for p in kept] == [good]  # on disk, private, for the import
    assert not at.button(key="datos_importar").disabled


# --- the Datos page's totals for roles without record access -----------------------------
@pytest.fixture()
def signed_in(demo_settings, scores_gpkg, monkeypatch):
    """The demo world behind OIDC sign-in with tests/dashboard/test_app.py's accounts and rules."""
    import test_app

    path = test_app._variant(demo_settings, "settings_oidc_region_writes.toml", auth={
        "mode": "oidc", "oidc": {
            "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
            "client_id": "riskmap", "redirect_uri": "http://localhost:8501/oauth2callback",
            "rules": test_app.RULES}})
    monkeypatch.setenv("RISKMAP_CONFIG", str(path))
    monkeypatch.setenv("RISKMAP_OIDC_CLIENT_SECRET", "secreto-de-prueba")
    return demo_settings


def test_the_datos_totals_of_a_role_without_record_access_are_rounded(signed_in):
    """One import must not show itself exactly in the totals of a protected role
    (dashboard.state.shown_total): "unos N", N a multiple of 5; a planner sees them exact."""
    import re

    import pandas as pd
    from test_app import _app, _text

    history = pd.read_csv(signed_in.inspections, dtype={"ubigeo": str})
    n_cusco = int(history["ubigeo"].str.startswith("08").sum())
    gore = _text(_app("datos", who="gore_cusco"))
    shown = re.search(r"`inspecciones\.csv`, unos ([\d,]+) registros de sus regiones", gore)
    assert shown, gore
    about = int(shown.group(1).replace(",", ""))  # grouped as CLDR es-PE writes it: 1,215
    assert about % 5 == 0 and abs(about - n_cusco) <= 2
    planner = _text(_app("datos", who="ana"))
    assert f"`inspecciones.csv`, {n_cusco:,} registros de sus regiones" in planner
