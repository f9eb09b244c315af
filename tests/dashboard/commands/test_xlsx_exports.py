"""XLSX exports as a spreadsheet user gets them: from the commands, the pages, and LibreOffice.

``riskmap score --out riesgo.xlsx``, ``riskmap indicators --out indicadores.xlsx`` and
``riskmap plan --out plan.xlsx`` (as the README writes them, on the demo world's settings)
write XLSX files whose UBIGEO cells are six-digit text, whose counts are numbers, with a
``metadatos`` sheet; each holds the same cells as the CSV of the same command; the pages'
downloads hold the same cells as the command line's file for the same selection. Then a real
spreadsheet opens them: LibreOffice Calc headless (Debian ``libreoffice-calc-nogui``) converts
each to CSV and re-saves it as XLSX, and the copies keep every UBIGEO with six digits and every
count a number. ``soffice`` missing is a skip on a workstation and a failure under CI
(``.ci/run`` installs it).
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from dashboard.cli import main
from geo import columns as C
from geo.paths import REPO_ROOT
from geo.records.workbook import METADATA_SHEET
from geo.trust.access import Principal

pytestmark = pytest.mark.slow

#: Count columns each file must keep as numbers (those present in it).
COUNTS = {"riesgo": (C.N_INSPECCIONES, C.N_HALLAZGOS, C.RANGO, "clase", C.N_DENUNCIAS),
          "indicadores": (C.N_INSPECCIONES, "engano", "n_trabajo_forzoso_oit", "n_indicios",
                          "n_victimas"),
          "plan": (C.N_INSPECCIONES, "orden")}


@pytest.fixture(scope="module")
def soffice() -> str:
    path = shutil.which("soffice") or shutil.which("libreoffice")
    if path is None:
        msg = "soffice (Debian libreoffice-calc-nogui) not found"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(msg + " (CI=true: .ci/run installs libreoffice-calc-nogui)")
        pytest.skip(msg)
    return path


@pytest.fixture(scope="module")
def files(demo_settings, scores_gpkg, tmp_path_factory) -> dict[str, Path]:
    """The README's three XLSX commands as written (demo settings), and the same to .csv."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    commands = [line.strip().split() for line in readme.splitlines()
                if re.fullmatch(r"riskmap (score|indicators|plan) --out \w+\.xlsx", line.strip())]
    assert [words[1] for words in commands] == ["score", "indicators", "plan"]
    out = tmp_path_factory.mktemp("hojas")
    written = {}
    old = os.environ.get("RISKMAP_CONFIG"), Path.cwd()
    os.environ["RISKMAP_CONFIG"] = str(demo_settings.path)  # the demo's, as `make serve` does
    os.chdir(out)
    try:
        for words in commands:
            name = Path(words[-1]).stem
            assert main(words[1:]) == 0, words
            assert main([*words[1:-1], f"{name}.csv"]) == 0, words
            written |= {f"{name}.xlsx": out / f"{name}.xlsx", f"{name}.csv": out / f"{name}.csv"}
    finally:
        os.chdir(old[1])
        if old[0] is None:
            os.environ.pop("RISKMAP_CONFIG", None)
        else:
            os.environ["RISKMAP_CONFIG"] = old[0]
    return written


def _sheet(path_or_bytes, name: str) -> pd.DataFrame:
    """A sheet as a table of its cells' values (header row as names)."""
    src = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    ws = load_workbook(src)[name]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    return pd.DataFrame(rows[1:], columns=rows[0])


def _cell_types(path: Path, name: str) -> dict[str, set[str]]:
    """Each column's cell types (openpyxl: ``s`` text, ``n`` number), empty cells left out."""
    ws = load_workbook(path)[name]
    heads = [c.value for c in ws[1]]
    types: dict[str, set[str]] = {h: set() for h in heads}
    for row in ws.iter_rows(min_row=2):
        for head, cell in zip(heads, row, strict=False):
            if cell.value is not None:
                types[head].add(cell.data_type)
    return types


def _raw(path: Path, name: str, col: str) -> list:
    """The cells of one column as openpyxl reads them (no pandas conversion)."""
    ws = load_workbook(path)[name]
    j = [c.value for c in ws[1]].index(col) + 1
    return [ws.cell(row=i, column=j).value for i in range(2, ws.max_row + 1)]


def _check(path: Path, name: str) -> pd.DataFrame:
    """UBIGEO six-digit text, counts numbers, a metadatos sheet describing every column."""
    book = load_workbook(path)
    assert book.sheetnames == [name, METADATA_SHEET]
    table = _sheet(path, name)
    types = _cell_types(path, name)
    if C.UBIGEO in table:
        assert types[C.UBIGEO] == {"s"}
        assert table[C.UBIGEO].str.fullmatch(r"\d{6}").all()
        assert table[C.UBIGEO].str.startswith("0").any()  # Cusco's 08…: the zero kept
    counts = [c for c in COUNTS[name] if c in table]
    assert counts, table.columns
    for col in counts:
        assert types[col] <= {"n"} and types[col], (col, types[col])
        values = [v for v in _raw(path, name, col) if v is not None]
        assert values and all(type(v) is int for v in values), col
    meta = [[c.value for c in row] for row in book[METADATA_SHEET].iter_rows()]
    described = {row[0] for row in meta if row and row[2]}
    assert set(table.columns) <= described, set(table.columns) - described
    assert any("DATOS SIMULADOS" in str(row[0]) for row in meta)  # the demo is simulated
    return table


def _same_as_csv(table: pd.DataFrame, csv_path: Path) -> None:
    """The XLSX holds the CSV's rows: same columns, codes, counts and blanks."""
    text = pd.read_csv(csv_path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(table.columns) == list(text.columns)
    assert len(table) == len(text)
    for col in table.columns:
        got = pd.Series([("" if v is None or (isinstance(v, float) and v != v) else v)
                         for v in table[col]], dtype=object)
        if col in (C.UBIGEO, "cod_prov") or got.map(type).eq(str).all():
            assert got.tolist() == text[col].tolist(), col
        else:
            expect = pd.to_numeric(text[col].replace({"True": "1", "False": "0"}),
                                   errors="coerce")
            assert (got.replace("", None).isna() == expect.isna()).all(), col  # same blanks
            assert pd.Series(got.replace("", None), dtype=float).fillna(-1).round(9).tolist() \
                == expect.fillna(-1).round(9).tolist(), col


@pytest.mark.parametrize("name", ["riesgo", "indicadores", "plan"])
def test_the_readme_commands_write_typed_xlsx_with_the_csv_s_cells(files, name):
    table = _check(files[f"{name}.xlsx"], name)
    _same_as_csv(table, files[f"{name}.csv"])
    if name == "indicadores":  # investigador by default: small counts blank, never zero
        assert table["suprimido"].fillna("").ne("").any()
        assert table["engano"].isna().any()


def test_libreoffice_opens_each_xlsx_and_keeps_codes_and_counts(files, soffice, tmp_path):
    xlsx = [files[f"{n}.xlsx"] for n in ("riesgo", "indicadores", "plan")]
    profile = f"-env:UserInstallation=file://{tmp_path / 'perfil_lo'}"  # no shared profile
    for target, folder in (("csv:Text - txt - csv (StarCalc):44,34,76,1", "csv"),
                           ("xlsx:Calc MS Excel 2007 XML", "xlsx")):
        done = subprocess.run([soffice, profile, "--headless", "--convert-to", target,
                               "--outdir", str(tmp_path / folder), *map(str, xlsx)],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
    for path in xlsx:
        name = path.stem
        original = _sheet(path, name)
        # Calc's CSV of the first sheet: what a user sees, UBIGEO with its six digits
        with open(tmp_path / "csv" / f"{name}.csv", encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        heads = rows[0]
        assert heads == list(original.columns)
        if C.UBIGEO in heads:
            codes = [r[heads.index(C.UBIGEO)] for r in rows[1:]]
            assert codes == original[C.UBIGEO].tolist()
            assert all(len(c) == 6 and c.isdigit() for c in codes)
        for col in (c for c in COUNTS[name] if c in heads):
            shown = [r[heads.index(col)] for r in rows[1:]]
            assert shown == ["" if v is None else str(v) for v in _raw(path, name, col)], col
        # Calc's own XLSX: the cells' types survive a real spreadsheet's load and save
        copy = tmp_path / "xlsx" / f"{name}.xlsx"
        assert load_workbook(copy).sheetnames == [name, METADATA_SHEET]
        types = _cell_types(copy, name)
        resaved = _sheet(copy, name)
        if C.UBIGEO in resaved:
            assert types[C.UBIGEO] == {"s"}
            assert resaved[C.UBIGEO].tolist() == original[C.UBIGEO].tolist()
        for col in (c for c in COUNTS[name] if c in resaved):
            assert types[col] == {"n"}, (name, col, types[col])
            assert _raw(copy, name, col) == _raw(path, name, col), (name, col)


def test_the_pages_give_the_command_line_s_cells(files, demo_settings, tmp_path, monkeypatch):
    """Exportar (planner, exact counts, all regions) and Indicadores (investigador) downloads."""
    from dashboard import state

    monkeypatch.setenv("RISKMAP_CONFIG", str(demo_settings.path))
    monkeypatch.setenv("RISKMAP_DATA_DIR", str(tmp_path / "datos"))  # no store of its own
    region = tuple(demo_settings.region or ("08", "16"))
    path = demo_settings.scores_gpkg
    page = state.export_bytes("xlsx", region, 1, (str(path), state.mtime(path)),
                              state.export_counts(True), False, False, 1, "es")
    mine = _sheet(page, "riesgo").set_index(C.UBIGEO)
    cli = _sheet(files["riesgo.xlsx"], "riesgo").set_index(C.UBIGEO)
    assert sorted(mine.index) == sorted(cli.index)
    for col in cli.columns:  # the page adds the indicator columns; the rest is the CLI's
        pd.testing.assert_series_equal(mine.loc[cli.index, col], cli[col], check_dtype=False,
                                       obj=col)
    meta = _sheet(page, METADATA_SHEET)
    assert C.UBIGEO in meta.iloc[:, 0].tolist()

    rosa = Principal("rosa", "investigador")
    page = state.indicator_xlsx(rosa, C.UBIGEO, region)
    for sheet in ("indicadores", METADATA_SHEET):
        assert _sheet(page, sheet).equals(_sheet(files["indicadores.xlsx"], sheet)), sheet
