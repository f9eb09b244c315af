"""geo.records.workbook: the XLSX a spreadsheet user opens, read back with openpyxl.

Small inline tables: codes stay text, counts integers, risks percent, dates dates, missing and
suppressed cells empty, no cell a formula, header frozen and filtered, the ``metadatos``
sheet in the current language, the file owner-only.
"""

from __future__ import annotations

import datetime as dt
import io
import stat

import pandas as pd
import pytest
from openpyxl import load_workbook

from geo.messages import language
from geo.records.sheets import column_kinds, csvt
from geo.records.workbook import METADATA_SHEET, workbook_bytes, write_workbook


@pytest.fixture
def table() -> pd.DataFrame:
    return pd.DataFrame({
        "ubigeo": ["080910", "160101", "080101"],
        "distrito": ["=HYPERLINK(\"http://x\")", "Iquitos", "@Cusco"],
        "n_inspecciones": pd.array([12, None, 0], dtype="Int64"),
        "riesgo": [0.25, float("nan"), 0.031],
        "contrib_pobreza": [-0.4, 1.25, 0.0],
        "fecha": pd.to_datetime(["2024-03-01", None, "2025-12-30"]),
        "simulado": [True, True, True],
    })


META = {
    "simulado": True,
    "descripcion_columnas": {"ubigeo": "código UBIGEO del distrito",
                             "n_inspecciones": "inspecciones registradas"},
    "conteos_suprimidos_menores_que": 5,
    "version_modelo": "riskmap-riesgo-1.0",
    "variables": ["pobreza", "coca"],
    "fuentes": [{"capa": "coca", "licencia": "CC-BY-4.0", "cita": "DEVIDA 2020"},
                {"capa": "=cmd|x", "licencia": "MIT"}],
}


def _book(table, meta=META, **kw):
    return load_workbook(io.BytesIO(workbook_bytes(table, meta, sheet="riesgo",
                                                   percent=("riesgo",), **kw)))


def _column(ws, name):
    heads = [c.value for c in ws[1]]
    j = heads.index(name) + 1
    return [ws.cell(row=i, column=j) for i in range(2, ws.max_row + 1)]


def test_cells_carry_their_kind(table):
    ws = _book(table)["riesgo"]
    ubigeo = _column(ws, "ubigeo")
    assert [c.value for c in ubigeo] == ["080910", "160101", "080101"]
    assert {c.data_type for c in ubigeo} == {"s"} and ubigeo[0].number_format == "@"
    counts = _column(ws, "n_inspecciones")
    assert [c.value for c in counts] == [12, None, 0]  # missing is empty, zero stays zero
    assert isinstance(counts[0].value, int) and counts[0].number_format == "0"
    risk = _column(ws, "riesgo")
    assert [c.value for c in risk] == [0.25, None, 0.031]
    assert risk[0].number_format == "0.0%"
    contrib = _column(ws, "contrib_pobreza")
    assert contrib[0].value == -0.4 and contrib[0].data_type == "n"  # a number, not a formula
    assert "%" not in contrib[0].number_format
    dates = _column(ws, "fecha")
    assert dates[0].value == dt.datetime(2024, 3, 1) and dates[0].is_date
    assert dates[1].value is None and dates[0].number_format == "yyyy-mm-dd"
    assert [c.value for c in _column(ws, "simulado")] == [True, True, True]


def test_no_cell_is_a_formula(table):
    book = _book(table)
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    names = [c.value for c in _column(book["riesgo"], "distrito")]
    assert names == ["'=HYPERLINK(\"http://x\")", "Iquitos", "'@Cusco"]  # as in the CSV
    sources = [c.value for row in book[METADATA_SHEET].iter_rows() for c in row]
    assert "'=cmd|x" in sources and "=cmd|x" not in sources


def test_header_frozen_filtered_and_columns_fit(table):
    ws = _book(table)["riesgo"]
    assert [c.value for c in ws[1]] == list(table.columns)
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:G4"
    widths = {c: ws.column_dimensions[c].width for c in "ABG"}
    assert widths["B"] > widths["A"] >= len("080910")  # the long name is wider
    assert all(w <= 60 for w in widths.values())


def test_the_metadata_sheet_holds_what_the_json_holds(table):
    book = _book(table)
    assert book.sheetnames == ["riesgo", METADATA_SHEET]
    rows = [[c.value for c in row] for row in book[METADATA_SHEET].iter_rows()]
    text = "\n".join(" | ".join(str(v) for v in row if v is not None) for row in rows)
    assert "DATOS SIMULADOS" in text
    assert "de 1 a 4 (menores que k = 5)" in text  # the suppression rule
    # every column of the data sheet, described with its kind
    described = {row[0]: row[1:3] for row in rows if row and row[0] in table.columns}
    assert set(described) == set(table.columns)
    assert described["ubigeo"] == ["texto", "código UBIGEO del distrito"]
    assert described["n_inspecciones"][0] == "número entero"
    assert described["riesgo"][0].startswith("número (porcentaje")
    assert described["fecha"][0] == "fecha"
    assert ["version_modelo", "riskmap-riesgo-1.0"] == rows[[r[0] for r in rows].index(
        "version_modelo")][:2]
    assert "pobreza; coca" in text
    # the sources as a table: licence and citation in their own columns
    head = next(r for r in rows if r[:2] == ["capa", "licencia"])
    assert head[:3] == ["capa", "licencia", "cita"]
    assert ["coca", "CC-BY-4.0", "DEVIDA 2020"] in [r[:3] for r in rows]


def test_the_metadata_sheet_speaks_english_when_asked(table):
    with language("en"):
        book = _book(table, meta={**META, "conteos_suprimidos_menores_que": 1,
                                  "simulado": False})
    rows = [[c.value for c in row] for row in book[METADATA_SHEET].iter_rows()]
    text = "\n".join(" | ".join(str(v) for v in row if v is not None) for row in rows)
    assert book.sheetnames[1] == "metadatos"  # the sheet's name is fixed
    assert "never a zero" in text and "SIMULATED" not in text and "suppressed" not in text
    assert ["column", "type", "description"] == next(r for r in rows if r[0] == "column")[:3]
    assert "whole number" in text and "texto" not in text


def test_kinds_are_the_csvt_s(table):
    """One reading of the types: the XLSX's kinds and the CSV's .csvt agree column by column."""
    kinds = column_kinds(table, ("riesgo",))
    gdal = csvt(table).strip().split(",")
    expected = {"text": '"String"', "integer": '"Integer"', "number": '"Real"',
                "percent": '"Real"', "boolean": '"Integer(Boolean)"', "date": '"String"'}
    assert [expected[k] for k in kinds.values()] == gdal
    assert kinds["ubigeo"] == "text" and kinds["n_inspecciones"] == "integer"


def test_written_owner_only_and_atomically(table, tmp_path):
    out = write_workbook(tmp_path / "nuevo" / "riesgo.xlsx", table, META, sheet="riesgo")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert stat.S_IMODE(out.parent.stat().st_mode) == 0o700
    assert load_workbook(out).sheetnames == ["riesgo", METADATA_SHEET]
    assert [p.name for p in out.parent.iterdir()] == ["riesgo.xlsx"]  # nothing left behind


def test_an_empty_table_still_opens(table):
    book = _book(table.iloc[:0])
    assert [c.value for c in book["riesgo"][1]] == list(table.columns)
    assert book["riesgo"].max_row == 1
