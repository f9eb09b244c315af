"""The inspection checklist as a spreadsheet: a template whose filled rows import unchanged.

An inspector's office fills one row per inspection in the sheet ``inspecciones`` (the
sheet :mod:`geo.records.reading` reads first), whose header is the records contract
(:data:`geo.records.contract.RECORD_COLUMNS`): the same column names, the same codes, so
``riskmap inspections import`` takes the file as it comes back. The ICLS class is not a
column: riskmap computes it from ``indicadores`` (:mod:`geo.records.classification`).

- code columns (``sector``, ``hallazgo_tf``, ``origen``, ``indicadores``) offer their codes
  as a drop-down list (``indicadores`` takes several codes separated by ``;``, so its list
  only informs, it does not refuse);
- ``ubigeo``, ``ubigeo_origen`` and ``id`` are text cells, so ``080101`` keeps its zero;
- a second sheet, ``columnas``, says what each column holds, in the user's language, and a
  third, ``codigos``, lists the 11 ILO indicators with their ICLS dimension.

Examples
--------
>>> import tempfile, pathlib, openpyxl
>>> out = write_template(pathlib.Path(tempfile.mkdtemp()) / "t.xlsx", lang="en")
>>> book = openpyxl.load_workbook(out)
>>> book.sheetnames
['inspecciones', 'columnas', 'codigos']
>>> [c.value for c in book["inspecciones"][1]][:3]
['id', 'fecha', 'ubigeo']
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from geo import columns as C
from geo.messages import get_language, t
from geo.records.classification import load_table
from geo.records.contract import ILO_INDICATORS, RECORD_COLUMNS

__all__ = ["CODES_SHEET", "COLUMNS_SHEET", "RECORDS_SHEET", "TEMPLATE_ROWS", "template_book",
           "template_bytes", "write_template"]

RECORDS_SHEET, COLUMNS_SHEET, CODES_SHEET = "inspecciones", "columnas", "codigos"
#: Rows prepared (text format, drop-down lists) below the header.
TEMPLATE_ROWS = 1000
#: Columns kept as text, so a leading zero survives a spreadsheet.
_TEXT_COLUMNS = (C.ID, C.UBIGEO, C.UBIGEO_ORIGEN)
_COUNT_COLUMNS = (C.TRABAJADORES, C.VICTIMAS, C.VICTIMAS_MUJERES, C.VICTIMAS_MENORES)
_REQUIRED = (C.ID, C.FECHA, C.SECTOR, C.HALLAZGO)
_HEADER_FILL = PatternFill("solid", fgColor="DDDDDD")


def write_template(path: str | Path, lang: str | None = None) -> Path:
    """Write the checklist template to ``path`` (an ``.xlsx``), atomically; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    book = template_book(lang)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".xlsx")
    os.close(fd)
    try:
        book.save(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def template_bytes(lang: str | None = None) -> bytes:
    """Return the checklist template as the bytes of an ``.xlsx`` (a page's download)."""
    buffer = io.BytesIO()
    template_book(lang).save(buffer)
    return buffer.getvalue()


def template_book(lang: str | None = None) -> openpyxl.Workbook:
    """Return the template workbook: records sheet, column guide, indicator codes."""
    book = openpyxl.Workbook()
    records = book.active
    records.title = RECORDS_SHEET
    _codes_sheet(book.create_sheet(CODES_SHEET), lang)
    _records_sheet(records, lang)
    _columns_sheet(book.create_sheet(COLUMNS_SHEET, 1), lang)
    return book


def _records_sheet(sheet, lang: str | None) -> None:
    last = TEMPLATE_ROWS + 1
    for j, col in enumerate(RECORD_COLUMNS, start=1):
        cell = sheet.cell(row=1, column=j, value=col)
        cell.font, cell.fill = Font(bold=True), _HEADER_FILL
        letter = get_column_letter(j)
        sheet.column_dimensions[letter].width = max(12, len(col) + 4)
        if col in _TEXT_COLUMNS:
            for i in range(2, last + 1):
                sheet.cell(row=i, column=j).number_format = "@"
        elif col == C.FECHA:
            for i in range(2, last + 1):
                sheet.cell(row=i, column=j).number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    letter = {col: get_column_letter(j) for j, col in enumerate(RECORD_COLUMNS, start=1)}

    def choose(col: str, values: str, strict: bool = True) -> None:
        rule = DataValidation(type="list", formula1=values, allow_blank=True,
                              showErrorMessage=True, errorStyle="stop" if strict else "information",
                              promptTitle=col[:32], prompt=t(f"lista.columna.{col}", lang)[:255],
                              showInputMessage=True)
        rule.error = t("lista.plantilla.valor_no_valido", lang, column=col)[:255]
        rule.add(f"{letter[col]}2:{letter[col]}{last}")
        sheet.add_data_validation(rule)

    choose(C.SECTOR, '"' + ",".join(C.SECTORES_INSPECCION) + '"')
    choose(C.HALLAZGO, '"0,1"')
    choose(C.ORIGEN, '"' + ",".join(C.ORIGENES) + '"')
    n = len(ILO_INDICATORS)
    choose(C.INDICADORES, f"{CODES_SHEET}!$A$2:$A${n + 1}", strict=False)
    for col in _COUNT_COLUMNS:
        rule = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0",
                              allow_blank=True, showErrorMessage=True)
        rule.error = t("lista.plantilla.entero", lang, column=col)[:255]
        rule.add(f"{letter[col]}2:{letter[col]}{last}")
        sheet.add_data_validation(rule)


def _columns_sheet(sheet, lang: str | None) -> None:
    header = (t("lista.plantilla.col_columna", lang), t("lista.plantilla.col_obligatoria", lang),
              t("lista.plantilla.col_contenido", lang))
    sheet.append(header)
    for cell in sheet[1]:
        cell.font, cell.fill = Font(bold=True), _HEADER_FILL
    yes, no = t("lista.plantilla.si", lang), t("lista.plantilla.no", lang)
    for col in RECORD_COLUMNS:
        sheet.append((col, yes if col in _REQUIRED else no, t(f"lista.columna.{col}", lang)))
    sheet.append(())
    sheet.append((t("lista.plantilla.nota_clase", lang),))
    sheet.column_dimensions["A"].width = 18
    sheet.column_dimensions["B"].width = 12
    sheet.column_dimensions["C"].width = 100
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def _codes_sheet(sheet, lang: str | None) -> None:
    table = load_table()
    english = (lang or get_language()) == "en"
    sheet.append((t("lista.plantilla.col_codigo", lang), "OIT/ILO",
                  t("lista.plantilla.col_indicador", lang),
                  t("lista.plantilla.col_dimension", lang)))
    for cell in sheet[1]:
        cell.font, cell.fill = Font(bold=True), _HEADER_FILL
    for code in table.codes:
        dims = " + ".join(table.names[d][1 if english else 0] for d in table.dimensions[code])
        sheet.append((code, f"OIT{table.numbers[code]:02d}", ILO_INDICATORS[code][1 if english
                                                                                 else 0], dims))
    sheet.append(())
    sheet.append((t("lista.plantilla.fuente_indicadores", lang),))
    for letter, width in zip("ABCD", (26, 8, 40, 40), strict=True):
        sheet.column_dimensions[letter].width = width
