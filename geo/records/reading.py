"""Reading an inspection file: CSV, XLSX or GIS points into a table of strings, and its limits.

The first half of validating a file (:mod:`geo.records.validation` is the second): find the
encoding, separator, sheet or layer; give each row the line the user sees; match the column
names of the contract (case, accents and spaces tolerated); refuse a file too large before
reading it (:func:`check_limits`). No cell is interpreted here.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import unicodedata
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio

from geo import columns as C
from geo.errors import DataError
from geo.formatting import format_number

__all__ = [
    "MAX_CELL_CHARS",
    "MAX_COLUMNS",
    "check_limits",
    "is_sheet",
    "norm",
    "place",
    "plural",
    "read_table",
    "rename_columns",
]

_REQUIRED = (C.ID, C.FECHA, C.SECTOR, C.HALLAZGO)


# Accepted spellings of each contract column, after norm() (lower case, no accents,
# spaces and dashes as "_").
_ALIASES: dict[str, str] = {
    "id": C.ID, "id_inspeccion": C.ID, "codigo": C.ID,
    "fecha": C.FECHA, "fecha_inspeccion": C.FECHA,
    "ubigeo": C.UBIGEO, "cod_ubigeo": C.UBIGEO, "ubigeo_distrito": C.UBIGEO,
    "lat": C.LAT, "latitud": C.LAT, "latitude": C.LAT,
    "lon": C.LON, "long": C.LON, "lng": C.LON, "longitud": C.LON, "longitude": C.LON,
    "sector": C.SECTOR,
    "hallazgo_tf": C.HALLAZGO, "hallazgo": C.HALLAZGO,
    "origen": C.ORIGEN,
    "indicadores": C.INDICADORES, "indicadores_oit": C.INDICADORES,
    "trabajadores": C.TRABAJADORES, "n_trabajadores": C.TRABAJADORES,
    "victimas": C.VICTIMAS, "n_victimas": C.VICTIMAS,
    "victimas_mujeres": C.VICTIMAS_MUJERES, "mujeres": C.VICTIMAS_MUJERES,
    "victimas_menores": C.VICTIMAS_MENORES, "menores": C.VICTIMAS_MENORES,
    "ubigeo_origen": C.UBIGEO_ORIGEN, "origen_victimas": C.UBIGEO_ORIGEN,
    "ubigeo_captacion": C.UBIGEO_ORIGEN,
}
_CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
_GEO_SUFFIXES = {".gpkg", ".geojson", ".json", ".shp", ".zip", ".fgb"}


def check_limits(path: str | Path, max_mb: float, max_rows: int, name: str = "") -> int:
    """Refuse a file larger than ``max_mb`` or with more than ``max_rows`` rows.

    The rows are counted without loading the file (a CSV's line ends in 1 MB blocks, an
    XLSX sheet in read-only mode, a GIS layer from its header), so a huge upload is
    refused quickly and cheaply. Returns the number of rows counted.

    Raises
    ------
    DataError
        Naming the file, the limit, what was found and what to do.
    """
    path = Path(path)
    shown = name or path.name
    size_mb = path.stat().st_size / 1e6
    advice_es = ("Divídalo en archivos más pequeños (por año, por ejemplo) o pida al "
                 "administrador que importe el archivo con 'riskmap inspections import'.")
    advice_en = ("Split it into smaller files (by year, for example) or ask the "
                 "administrator to import it with 'riskmap inspections import'.")
    if size_mb > max_mb:
        raise DataError(
            es=f"{shown}: pesa {_es(size_mb, 1)} MB y el límite es {_es(max_mb)} MB. {advice_es}",
            en=f"{shown}: is {_en(size_mb, 1)} MB and the limit is {_en(max_mb)} MB. {advice_en}",
        )
    if path.suffix.lower() in XLSX_SUFFIXES:
        _check_unpacked(path, shown, max_mb)
    rows = _count_rows(path)
    if rows > max_rows:
        raise DataError(
            es=f"{shown}: tiene más de {_es(max_rows)} filas (se contaron {_es(rows)}). "
            f"{advice_es}",
            en=f"{shown}: has more than {_en(max_rows)} rows ({_en(rows)} counted). {advice_en}",
        )
    return rows


#: An XLSX is a zip: its XML may unpack to this many times the size limit, and no member may
#: be compressed more than this ratio (Excel's own files stay under ~30:1; a "zip bomb" that
#: unpacks 17 MB into 4.4 GB is ~260:1).
UNPACKED_FACTOR = 20
MAX_RATIO = 100


def _es(value: float, decimals: int | None = None) -> str:
    """Write a number as Peru's Spanish does (CLDR es_PE, :mod:`geo.formatting`)."""
    return format_number(value, "es", digits=decimals)


def _en(value: float, decimals: int | None = None) -> str:
    """Write a number as English does (CLDR en)."""
    return format_number(value, "en", digits=decimals)


def _check_unpacked(path: Path, shown: str, max_mb: float) -> None:
    """Refuse an XLSX whose zip would unpack far beyond its size (read from the zip index)."""
    try:
        with zipfile.ZipFile(path) as zf:
            members = zf.infolist()
    except (zipfile.BadZipFile, OSError) as err:
        raise DataError("registros.no_archivo_excel_xlsx", shown=shown, err=err) from err
    unpacked = sum(m.file_size for m in members) / 1e6
    ratio = max((m.file_size / max(m.compress_size, 1) for m in members), default=0.0)
    if unpacked > UNPACKED_FACTOR * max_mb or (ratio > MAX_RATIO and unpacked > 10):
        raise DataError(
            es=f"{shown}: se descomprime a {_es(unpacked)} MB (hasta {_es(ratio)} veces su "
            f"tamaño); el límite es {_es(UNPACKED_FACTOR * max_mb)} MB y {MAX_RATIO}:1. No se "
            "lee: un libro así suele ser un error de exportación o un archivo dañino. "
            "Expórtelo a CSV desde Excel, o divídalo.",
            en=f"{shown}: unpacks to {_en(unpacked, 0)} MB (up to {_en(ratio, 0)} times its size); "
            f"the limit is {_en(UNPACKED_FACTOR * max_mb)} MB and {MAX_RATIO}:1. It is not read: "
            "a workbook like this is usually an export error or a harmful file. Export it to "
            "CSV from Excel, or split it.",
        )


def _count_rows(path: Path) -> int:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as err:  # noqa: BLE001 - the validation says what is wrong
            raise DataError("registros.no_pudo_abrir_excel", name=path.name, err=err) from err
        try:
            sheet = book.worksheets[0]
            return max(0, sum(1 for _ in sheet.iter_rows(values_only=True)) - 1)
        finally:
            book.close()
    if suffix in (".csv", ".txt", ".tsv", ""):
        lf = cr = 0  # old Macs end lines with CR alone: count whichever ending the file uses
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                lf += block.count(b"\n")
                cr += block.count(b"\r")
        return max(0, max(lf, cr) - 1)
    try:
        return int(pyogrio.read_info(path).get("features", 0) or 0)
    except Exception:  # noqa: BLE001 - unknown formats are counted by the validation
        return 0


def read_table(path: Path) -> tuple[pd.DataFrame, list[int], list[tuple[str, str]]]:
    """Read any supported file into a frame of strings, with each row's line number."""
    if not path.exists():
        raise DataError("comun.no_existe_archivo_revise", path=path)
    if path.is_file() and path.stat().st_size == 0:
        raise _empty_file(path)
    suffix = path.suffix.lower()
    if suffix in XLSX_SUFFIXES:
        return _read_xlsx(path)
    if suffix in _GEO_SUFFIXES:
        return _read_geo(path)
    if suffix in _CSV_SUFFIXES or suffix == "":
        return _read_csv(path)
    if suffix == ".xls":
        raise DataError("registros.formato_xls_excel_97", name=path.name)
    raise DataError("registros.formato_no_reconocido_use", name=path.name, suffix=suffix)


def _empty_file(path: Path) -> DataError:
    return DataError("registros.archivo_vacio_no_tiene", name=path.name)


def _read_csv(path: Path) -> tuple[pd.DataFrame, list[int], list[tuple[str, str]]]:
    raw = path.read_bytes()
    notes: list[tuple[str, str]] = []
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on Windows writes Windows-1252, a superset of Latin-1 for printable text.
        try:
            text = raw.decode("cp1252")
            enc = "Windows-1252"
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
            enc = "Latin-1"
        notes.append((
            f"El archivo no está en UTF-8; se leyó como {enc}.",
            f"The file is not UTF-8; it was read as {enc}.",
        ))
    if not text.strip():
        raise _empty_file(path)
    delimiter = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    start = 0
    # A spreadsheet shows one row per CSV record (blank lines included, a quoted cell with
    # line breaks is one row): that row number is what the user looks for.
    try:
        for start, values in enumerate(reader, start=1):
            if not any(v.strip() for v in values):
                continue
            if header is None:
                header = _checked_header(values, path)
                continue
            rows.append(values)
            lines.append(start)
    except csv.Error as err:
        raise _unreadable_csv(path, start + 1, err) from err
    assert header is not None
    width = len(header)
    fixed: list[list[str]] = []
    for values in rows:
        if len(values) < width:
            values = values + [""] * (width - len(values))
        elif len(values) > width and not any(v.strip() for v in values[width:]):
            values = values[:width]
        fixed.append(values)
    too_long = {
        line: len(values) for line, values in zip(lines, fixed, strict=True)
        if len(values) > width
    }
    table = pd.DataFrame(
        [v[:width] for v in fixed], columns=[h.strip() for h in header], dtype=object
    )
    table.attrs["too_long"] = {"width": width, "lines": too_long, "delimiter": delimiter}
    return table, lines, notes


#: Most characters in one CSV cell (Python's csv module refuses more): no inspection cell
#: comes near it, so a file that has one is not a table of inspections.
MAX_CELL_CHARS = csv.field_size_limit()
#: Most columns in a header: the contract has 14, exports from other systems a few dozen.
MAX_COLUMNS = 500


def _checked_header(values: list[str], path: Path) -> list[str]:
    if len(values) > MAX_COLUMNS:
        raise DataError(
            es=f"{path.name}: la fila de encabezados tiene {_es(len(values))} columnas y el "
            f"límite es {_es(MAX_COLUMNS)}. No parece una tabla de inspecciones (una fila "
            "por inspección, una columna por dato); revise el separador o exporte de nuevo.",
            en=f"{path.name}: the header row has {_en(len(values))} columns and the limit is "
            f"{_en(MAX_COLUMNS)}. It does not look like a table of inspections (one row per "
            "inspection, one column per field); check the separator or export it again.",
        )
    return values


def _unreadable_csv(path: Path, record: int, err: csv.Error) -> DataError:
    """Say why the csv module stopped, in the user's words (a huge cell, most often)."""
    if "field larger than field limit" in str(err):
        return DataError(
            es=f"{path.name}: una celda (registro {_es(record)} del archivo) pasa de "
            f"{_es(MAX_CELL_CHARS)} caracteres, el límite de una celda. No se lee: no parece "
            "una tabla de inspecciones (¿falta el salto de línea entre filas, o una comilla "
            "sin cerrar?). Ábralo en una hoja de cálculo y expórtelo de nuevo como CSV.",
            en=f"{path.name}: a cell (record {_en(record)} of the file) is longer than "
            f"{_en(MAX_CELL_CHARS)} characters, the limit for one cell. It is not read: it does "
            "not look like a table of inspections (is the line break between rows missing, "
            "or a quote left open?). Open it in a spreadsheet and export it again as CSV.",
        )
    return DataError(
        es=f"{path.name}: no se pudo leer como CSV (registro {_es(record)}: {err}). Ábralo en "
        "una hoja de cálculo y expórtelo de nuevo como CSV.",
        en=f"{path.name}: could not be read as CSV (record {_en(record)}: {err}). Open it in a "
        "spreadsheet and export it again as CSV.",
    )


def _sniff_delimiter(text: str) -> str:
    """Return the separator of the header line: contract column names never contain one."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {sep: header.count(sep) for sep in (";", ",", "\t")}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] else ","


def _read_xlsx(path: Path) -> tuple[pd.DataFrame, list[int], list[tuple[str, str]]]:
    try:
        # read-only: rows are streamed from the sheet's XML, never the whole book in memory
        book = openpyxl.load_workbook(path, data_only=True, read_only=True)
    except Exception as err:  # noqa: BLE001 - openpyxl raises many types for a bad file
        raise DataError("registros.no_pudo_abrir_libro", name=path.name, err=err) from err
    notes: list[tuple[str, str]] = []
    names = {norm(n): n for n in book.sheetnames}
    sheet_name = names.get("inspecciones", book.sheetnames[0])
    sheet = book[sheet_name]
    if len(book.sheetnames) > 1:
        notes.append((
            f"El libro tiene varias hojas; se leyó la hoja '{sheet_name}'.",
            f"The workbook has several sheets; sheet '{sheet_name}' was read.",
        ))
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    for number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
        cells = [_cell_text(v) for v in values]
        if not any(cells):
            continue
        if header is None:
            header = cells
            continue
        rows.append(cells)
        lines.append(number)
    book.close()
    if header is None:
        raise _empty_file(path)
    # Excel keeps formatting on columns to the right; drop trailing unnamed empty columns.
    while header and not header[-1] and not any(r[len(header) - 1] for r in rows):
        header.pop()
    table = pd.DataFrame([r[: len(header)] for r in rows], columns=header, dtype=object)
    return table, lines, notes


def _read_geo(path: Path) -> tuple[pd.DataFrame, list[int], list[tuple[str, str]]]:
    notes: list[tuple[str, str]] = []
    try:
        layers = [name for name, _ in pyogrio.list_layers(path)]
        layer = next((n for n in layers if norm(n) == "inspecciones"), layers[0])
        gdf = gpd.read_file(path, layer=layer)
    except Exception as err:  # noqa: BLE001 - GDAL errors come in many types
        raise DataError("registros.no_pudo_leer_archivo", name=path.name, err=err) from err
    if len(layers) > 1:
        notes.append((
            f"El archivo tiene varias capas; se leyó la capa '{layer}'.",
            f"The file has several layers; layer '{layer}' was read.",
        ))
    if gdf.empty:
        raise _empty_file(path)
    if gdf.crs is None:
        raise DataError("registros.capa_no_declara_sistema", name=path.name)
    if not gdf.crs.equals("EPSG:4326"):
        notes.append((
            f"Las coordenadas estaban en {gdf.crs.to_string()}; se reproyectaron a WGS84.",
            f"Coordinates were in {gdf.crs.to_string()}; they were reprojected to WGS84.",
        ))
        gdf = gdf.to_crs(4326)
    geoms = gdf.geometry
    attrs = pd.DataFrame(
        {col: [_cell_text(v) for v in gdf[col]] for col in gdf.columns if col != gdf.geometry.name},
        dtype=object,
    )
    present = {_ALIASES.get(norm(c)) for c in attrs.columns}
    if C.LAT in present or C.LON in present:
        notes.append((
            "Se usaron las coordenadas de la geometría; se ignoraron las columnas lat/lon.",
            "The geometry's coordinates were used; the lat/lon columns were ignored.",
        ))
        attrs = attrs[[c for c in attrs.columns if _ALIASES.get(norm(c)) not in (C.LAT, C.LON)]]
    lat, lon, kind = [], [], []
    for geom in geoms:
        if geom is None or geom.is_empty:
            lat.append(""), lon.append(""), kind.append("")
        elif geom.geom_type == "Point":
            lat.append(repr(geom.y)), lon.append(repr(geom.x)), kind.append("")
        else:
            lat.append(""), lon.append(""), kind.append(geom.geom_type)
    attrs[C.LAT], attrs[C.LON] = lat, lon
    attrs.attrs["geom_kind"] = kind
    lines = list(range(2, len(attrs) + 2))
    return attrs, lines, notes


def _cell_text(value: Any) -> str:
    """Return a spreadsheet or GIS cell as the text a user would have typed."""
    if value is None or value is pd.NaT:
        return ""
    if isinstance(value, bool | np.bool_):
        return "1" if value else "0"
    if isinstance(value, dt.datetime | pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return ""
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    return str(value).strip()


def norm(text: Any) -> str:
    """Lower case, no accents, runs of spaces/dashes/dots as ``_``.

    >>> norm(" Minería ")
    'mineria'
    >>> norm("Fecha de Inspección")
    'fecha_de_inspeccion'
    """
    text = unicodedata.normalize("NFKD", str(text).replace("\ufeff", ""))
    text = text.encode("ascii", "ignore").decode("ascii").strip().lower()
    return re.sub(r"[\s\-.]+", "_", text).strip("_")


def rename_columns(
    table: pd.DataFrame, path: Path, notes: list[tuple[str, str]]
) -> pd.DataFrame:
    """Give the table's columns their contract names; raise when a required one is missing."""
    found = [str(c) for c in table.columns]
    mapping: dict[str, str] = {}
    ignored: list[str] = []
    for col in found:
        target = _ALIASES.get(norm(col))
        if target is None:
            if col.strip():
                ignored.append(col)
            continue
        if target in mapping.values():
            first = next(k for k, v in mapping.items() if v == target)
            raise DataError("registros.columnas_significan_mismo_deje", name=path.name, first=first,
                            col=col, target=target)
        mapping[col] = target
    present = set(mapping.values())
    missing = [c for c in _REQUIRED if c not in present]
    has_point = C.LAT in present and C.LON in present
    if C.UBIGEO not in present and not has_point:
        missing.append(f"{C.UBIGEO} (o {C.LAT} y {C.LON})")
    if missing:
        listed = ", ".join(f"'{c}'" for c in found) or "(ninguna)"
        miss = ", ".join(missing)
        raise DataError(
            es=f"{path.name}: faltan columnas obligatorias: {miss}. Columnas encontradas: "
            f"{listed}. Revise la fila de encabezados ({place(1, is_sheet(path))[0]}) y el "
            "separador; columnas "
            f"obligatorias: {', '.join(_REQUIRED)} y {C.UBIGEO} o {C.LAT}/{C.LON}.",
            en=f"{path.name}: required columns are missing: "
            f"{miss.replace(' (o ', ' (or ').replace(' y ', ' and ')}. Columns found: "
            f"{listed.replace('(ninguna)', '(none)')}. Check the header row "
            f"({place(1, is_sheet(path))[1]}) and "
            f"the separator; required columns: {', '.join(_REQUIRED)} and {C.UBIGEO} or "
            f"{C.LAT}/{C.LON}.",
        )
    if (C.LAT in present) != (C.LON in present):
        only = C.LAT if C.LAT in present else C.LON
        notes.append((
            f"Solo hay columna '{only}' sin su pareja; se ignoró.",
            f"Only column '{only}' is present, without its pair; it was ignored.",
        ))
        mapping = {k: v for k, v in mapping.items() if v != only}
    if ignored:
        notes.append((
            f"Columnas no usadas: {', '.join(ignored)}.",
            f"Columns not used: {', '.join(ignored)}.",
        ))
    if len(table) == 0:
        raise _empty_file(path)
    renamed = table[list(mapping)].rename(columns=mapping)
    renamed.attrs = dict(table.attrs)
    return renamed


def plural(n: int, one: str, many: str) -> str:
    """Return ``one`` for 1 and ``many`` otherwise."""
    return one if n == 1 else many


def is_sheet(path: Path) -> bool:
    """Say whether the file is a spreadsheet (XLSX): its rows are numbered, not its lines."""
    return Path(path).suffix.lower() in XLSX_SUFFIXES


def place(n: int, sheet: bool) -> tuple[str, str]:
    """Where a row is, as the user sees it: ``línea N`` in a text file, ``fila N`` in XLSX."""
    return (f"fila {n}", f"row {n}") if sheet else (f"línea {n}", f"line {n}")

