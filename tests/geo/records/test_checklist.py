"""The checklist template: its sheets and lists, and filled rows that import unchanged."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from geo import columns as C
from geo.records.checklist import CODES_SHEET, COLUMNS_SHEET, RECORDS_SHEET, write_template
from geo.records.classification import CLASE_OIT, classify_records
from geo.records.contract import ILO_INDICATORS, RECORD_COLUMNS
from geo.records.inspections import validate_inspections
from geo.records.store import InspectionStore

#: Rows as an inspector's office would type them (a date cell, a UBIGEO typed as text).
ROWS = [
    {C.ID: "CUS-2026-0001", C.FECHA: dt.date(2026, 3, 4), C.UBIGEO: "080101",
     C.SECTOR: "mineria", C.HALLAZGO: 1, C.ORIGEN: "denuncia",
     C.INDICADORES: "engano;retencion_documentos", C.TRABAJADORES: 12, C.VICTIMAS: 5,
     C.VICTIMAS_MUJERES: 2, C.VICTIMAS_MENORES: 1, C.UBIGEO_ORIGEN: "160101"},
    {C.ID: "CUS-2026-0002", C.FECHA: dt.date(2026, 3, 9), C.UBIGEO: "080101",
     C.SECTOR: "tala", C.HALLAZGO: 0, C.ORIGEN: "planificada", C.INDICADORES: "engano",
     C.TRABAJADORES: 7, C.VICTIMAS: 0},
    {C.ID: "LOR-2026-0001", C.FECHA: dt.date(2026, 4, 1), C.UBIGEO: "160101",
     C.SECTOR: "domestico", C.HALLAZGO: 0, C.ORIGEN: "aleatoria", C.INDICADORES: "",
     C.TRABAJADORES: 1, C.VICTIMAS: 0},
]


def _fill(template, out, rows=ROWS):
    book = openpyxl.load_workbook(template)
    sheet = book[RECORDS_SHEET]
    header = [c.value for c in sheet[1]]
    for i, row in enumerate(rows, start=2):
        for col, value in row.items():
            sheet.cell(row=i, column=header.index(col) + 1, value=value)
    book.save(out)
    return out


@pytest.mark.parametrize("lang", ["es", "en"])
def test_the_template_speaks_the_contract(tmp_path, lang):
    path = write_template(tmp_path / "plantilla.xlsx", lang=lang)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[0] == RECORDS_SHEET and COLUMNS_SHEET in book.sheetnames
    sheet = book[RECORDS_SHEET]
    assert tuple(c.value for c in sheet[1]) == RECORD_COLUMNS
    col = {c.value: c.column_letter for c in sheet[1]}
    assert sheet[f"{col[C.UBIGEO]}2"].number_format == "@"
    assert sheet[f"{col[C.UBIGEO_ORIGEN]}500"].number_format == "@"
    lists = {str(v.sqref).split(":")[0]: v.formula1 for v in sheet.data_validations.dataValidation
             if v.type == "list"}
    assert lists[f"{col[C.SECTOR]}2"] == '"' + ",".join(C.SECTORES_INSPECCION) + '"'
    assert lists[f"{col[C.ORIGEN]}2"] == '"' + ",".join(C.ORIGENES) + '"'
    assert lists[f"{col[C.HALLAZGO]}2"] == '"0,1"'
    codes = [r[0].value for r in book[CODES_SHEET].iter_rows(min_row=2, max_row=12)]
    assert codes == list(ILO_INDICATORS)
    guide = {r[0].value: r[2].value for r in book[COLUMNS_SHEET].iter_rows(min_row=2)}
    assert set(RECORD_COLUMNS) <= set(guide)
    word = "Victims" if lang == "en" else "Víctimas"
    assert guide[C.VICTIMAS].startswith(word)


def test_filled_rows_validate_as_typed(tmp_path, districts):
    path = _fill(write_template(tmp_path / "t.xlsx"), tmp_path / "lleno.xlsx")
    report = validate_inspections(path, districts, today=dt.date(2026, 12, 1))
    assert [e for e in report.errors if e.column != C.HALLAZGO] == []
    valid = report.valid.set_index(C.ID)
    assert valid.loc["CUS-2026-0001", C.UBIGEO] == "080101"
    assert valid.loc["CUS-2026-0001", C.FECHA] == dt.datetime(2026, 3, 4)


def test_a_typo_in_a_code_is_still_caught_by_the_import(tmp_path, districts):
    bad = [dict(ROWS[0], **{C.SECTOR: "minería ilegal"})]
    path = _fill(write_template(tmp_path / "t.xlsx"), tmp_path / "mal.xlsx", bad)
    report = validate_inspections(path, districts, today=dt.date(2026, 12, 1))
    assert [e.column for e in report.errors] == [C.SECTOR]


def test_the_cli_writes_a_template_that_imports_unchanged(base_gpkg, tmp_path, capsys):
    """The done-when test: template -> filled by a script -> imported -> same in the store."""
    from dashboard.cli import main

    template = tmp_path / "lista.xlsx"
    assert main(["inspections", "template", "--out", str(template)]) == 0
    assert str(template) in capsys.readouterr().out
    filled = _fill(template, tmp_path / "oficina_cusco.xlsx")
    db = tmp_path / "almacen.sqlite"
    assert main(["inspections", "import", str(filled), "--base", str(base_gpkg),
                 "--store", str(db)]) == 0
    stored = InspectionStore(db, role="planificador").records().set_index(C.ID)
    assert sorted(stored.index) == sorted(r[C.ID] for r in ROWS)
    classes = classify_records(stored.reset_index()).set_index(C.ID)[CLASE_OIT]
    assert classes.to_dict() == {"CUS-2026-0001": "trabajo_forzoso",
                                 "CUS-2026-0002": "indicios", "LOR-2026-0001": "sin_indicios"}
    for row in ROWS:
        got = stored.loc[row[C.ID]]
        assert set(filter(None, got[C.INDICADORES].split(";"))) == \
            set(filter(None, row[C.INDICADORES].split(";")))
        for col in (C.VICTIMAS, C.VICTIMAS_MUJERES, C.VICTIMAS_MENORES, C.TRABAJADORES):
            assert (None if got[col] is None or str(got[col]) == "<NA>" else int(got[col])) \
                == row.get(col)
        assert got[C.UBIGEO] == row[C.UBIGEO] and got[C.SECTOR] == row[C.SECTOR]
    assert stored.loc["CUS-2026-0001", C.UBIGEO_ORIGEN] == "160101"


def test_the_cli_refuses_another_extension(tmp_path, capsys):
    from dashboard.cli import main

    assert main(["--lang", "en", "inspections", "template", "--out", str(tmp_path / "x.csv")]) == 2
    said = capsys.readouterr()
    assert "ending in .xlsx" in said.err + said.out
