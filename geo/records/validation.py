"""Validating an inspection file: every row checked against the contract, one report.

:func:`validate_inspections` reads a file (:mod:`geo.records.reading`), parses each cell of
each row, places points in their districts, checks ids, dates, codes and counts, and returns a
:class:`ValidationReport`: the valid rows, normalised, and one :class:`RowError` per problem,
naming the line the user sees; records whose finding contradicts their ILO indicators under
the ICLS rule (:mod:`geo.records.classification`) are warnings, never errors.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from geo import columns as C
from geo.errors import DataError
from geo.formatting import format_month
from geo.geography.base import national_ubigeos
from geo.messages import Message, Rendered, t
from geo.records.classification import CLASE_OIT, INCONSISTENTE, SIN_INDICIOS, classify_records
from geo.records.contract import ILO_INDICATORS, ILO_NUMBERED, records_frame
from geo.records.reading import (
    XLSX_SUFFIXES,
    check_limits,
    is_sheet,
    norm,
    place,
    read_table,
    rename_columns,
)

__all__ = [
    "BOUNDARY_TOLERANCE_M",
    "MIN_YEAR",
    "RowError",
    "ValidationReport",
    "validate_inspections",
    "validate_upload",
]


#: How far (metres) a point may lie outside the district its ``ubigeo`` names, or outside
#: every district, before it is an error: the boundaries are simplified.
BOUNDARY_TOLERANCE_M = 1000.0
_MAX_RENDERED = 50
_TRUE = {"1", "si", "s", "true", "t", "verdadero", "v", "yes", "y"}
_FALSE = {"0", "no", "n", "false", "f", "falso"}
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")
#: Dates before this year are typing errors (a 2-digit year "15/03/21" reads as year 21).
MIN_YEAR = 1990


class RowError(NamedTuple):
    """One problem in one row of an inspection file.

    Attributes
    ----------
    line : int
        The line the user sees in a spreadsheet (header = line 1). For GIS files, the
        feature's position + 1 (the header line of its attribute table counts as 1).
    column : str
        The contract column at fault (``""`` for the whole row).
    text : Message
        What is wrong and what to do (a catalogue key and its parameters).
    """

    line: int
    column: str
    text: Message

    @property
    def es(self) -> str:
        """What is wrong, in Spanish."""
        return self.text.message("es")

    @property
    def en(self) -> str:
        """What is wrong, in English."""
        return self.text.message("en")

    def message(self, lang: str | None = None, *, sheet: bool = False) -> str:
        """Return ``"línea N, columna 'c': reason"`` in ``lang`` (default: current).

        ``sheet=True`` (an XLSX file) says ``"fila N"`` / ``"row N"``: a spreadsheet has
        numbered rows, not lines.
        """
        where = place(self.line, sheet).message(lang)
        if self.column:
            where += t("registros.columna", lang=lang, column=self.column)
        return f"{where}: {self.text.message(lang)}"


@dataclass
class ValidationReport:
    """What :func:`validate_inspections` found in a file.

    Attributes
    ----------
    path : Path
        The file validated.
    valid : DataFrame
        The valid rows, normalised, with columns :data:`RECORD_COLUMNS`: ``fecha``
        datetime64, ``ubigeo`` 6-digit str, ``hallazgo_tf`` int 0/1, ``lat``/``lon``
        float (NaN when not given), ``origen`` str or NA, ``indicadores`` ``;``-separated
        codes (``""`` when none), ``trabajadores``/``victimas`` nullable Int64.
    errors : list of RowError
        One entry per problem, in file order.
    n_rows : int
        Data rows read (blank rows not counted).
    notes : list of Message
        Things done to the file that the user should know (encoding, ignored columns).
    valid_lines : list of int
        The line of each row of ``valid`` in the file.
    warnings : list of RowError
        Rows imported as they are but worth a second look: ``hallazgo_tf`` contradicting
        the indicators under the ICLS rule (:mod:`geo.records.indicators`).
    """

    path: Path
    valid: pd.DataFrame
    errors: list[RowError]
    n_rows: int
    notes: list[Message] = field(default_factory=list)
    valid_lines: list[int] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no row has an error."""
        return not self.errors

    @property
    def bad_lines(self) -> list[int]:
        """The lines with at least one error, sorted."""
        return sorted({e.line for e in self.errors})

    def render(self, lang: str | None = None, max_errors: int | None = _MAX_RENDERED) -> str:
        """Render the report as text for a person, in ``lang`` (default: the current language).

        Parameters
        ----------
        lang : {"es", "en"}, optional
        max_errors : int or None
            Show at most this many row errors (then a count of the rest); ``None`` = all.
        """
        n_bad = len(self.bad_lines)
        n_ok = self.n_rows - n_bad
        lines = [t("registros.resumen", lang=lang, file=self.path.name,
                   read=Message.plural(self.n_rows, "registros.n_fila_leida",
                                       "registros.n_filas_leidas"),
                   valid=Message.plural(n_ok, "registros.n_valida", "registros.n_validas"),
                   bad=Message.plural(n_bad, "registros.n_con_error",
                                      "registros.n_con_errores"))]
        lines += [note.message(lang) for note in self.notes]
        shown = self.errors if max_errors is None else self.errors[:max_errors]
        sheet = self.path.suffix.lower() in XLSX_SUFFIXES
        if self.warnings:
            n = len(self.warnings)
            lines.append(Message.plural(n, "registros.advertencia_contradice",
                                        "registros.advertencia_contradicen").message(lang))
            limit = len(self.warnings) if max_errors is None else max_errors
            lines += ["  " + w.message(lang, sheet=sheet) for w in self.warnings[:limit]]
            if n > limit:
                lines.append(t("registros.more", lang=lang, n=n - limit))
        lines += ["  " + e.message(lang, sheet=sheet) for e in shown]
        if len(shown) < len(self.errors):
            rest = len(self.errors) - len(shown)
            lines.append("  " + Message.plural(rest, "registros.y_n_error_mas",
                                               "registros.y_n_errores_mas").message(lang))
        if self.errors:
            lines.append(t("registros.corrija_esas_filas_vuelva", lang=lang))
        return "\n".join(lines)

    def raise_if_invalid(self) -> None:
        """Raise a :class:`~geo.errors.DataError` with the rendered report if any row is bad."""
        if self.errors:
            raise DataError("registros.informe_validacion", report=Rendered(self, 20))


def validate_inspections(
    path: str | Path,
    districts: gpd.GeoDataFrame,
    *,
    today: dt.date | None = None,
    limits: tuple[float, int] | None = None,
    origins: Iterable[str] | None = None,
) -> ValidationReport:
    """Read an inspection file and check every row against the contract.

    Parameters
    ----------
    path : str or Path
        CSV (UTF-8, UTF-8 with BOM or Latin-1/Windows-1252; comma, semicolon or tab),
        XLSX, or a GIS file of points (GeoPackage, GeoJSON, ...).
    districts : GeoDataFrame
        The districts records may belong to: column ``ubigeo`` and polygons in EPSG:4326
        (another CRS is reprojected).
    today : date, optional
        Dates after this are errors (default: today).
    limits : (float, int), optional
        Largest file in MB and most rows (``[limits]``): a larger file is refused before it
        is read (:func:`check_limits`), so no file can make the reader grow without bound.
    origins : iterable of str, optional
        Every district of Peru (:func:`geo.geography.base.national_ubigeos`), against which
        ``ubigeo_origen`` is checked (victims are often recruited outside the region).
        Without it, an origin in one of the region's departments must be one of
        ``districts`` and any other must at least have a department code 01-25.

    Returns
    -------
    ValidationReport

    Raises
    ------
    DataError
        The file does not exist, is empty, cannot be read, is over the limits, or lacks
        required columns (one error naming all of them and listing the columns found).
    """
    path = Path(path)
    today = today or dt.date.today()
    if limits is not None and path.is_file():
        check_limits(path, *limits)
    table, lines, notes = read_table(path)
    table = rename_columns(table, path, notes)
    districts = _check_districts(districts)
    origin_check = _OriginCheck(set(districts.index), set(origins) if origins else None)
    return _validate(path, table, lines, districts, today, notes, origin_check)


def validate_upload(path: str | Path, districts_gpkg: str | Path,
                    limits: tuple[float, int] | None = None,
                    base: str | Path | None = None) -> ValidationReport:
    """Validate an uploaded file against the built district table (for a worker process).

    What the dashboard runs in :func:`geo.trust.isolation.run_limited`: everything it needs is a
    path, so the call pickles small and the reading happens in the worker. ``base`` (the
    national base GeoPackage) gives the districts of Peru ``ubigeo_origen`` may name.
    """
    districts = pyogrio.read_dataframe(districts_gpkg, layer="distritos")
    origins = None
    if base is not None and Path(base).is_file():
        origins = national_ubigeos(base)
    return validate_inspections(path, districts, limits=limits, origins=origins)


def _check_districts(districts: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if C.UBIGEO not in districts.columns:
        raise DataError("registros.tabla_distritos_no_tiene")
    if districts.crs is None:
        raise DataError("registros.tabla_distritos_no_declara")
    if not districts.crs.equals("EPSG:4326"):
        districts = districts.to_crs(4326)
    out = districts[[C.UBIGEO, districts.geometry.name]].copy()
    out[C.UBIGEO] = out[C.UBIGEO].astype(str)
    return out.set_index(C.UBIGEO, drop=False)


# --------------------------------------------------------------------------------------
# validating


def _validate(
    path: Path,
    table: pd.DataFrame,
    lines: list[int],
    districts: gpd.GeoDataFrame,
    today: dt.date,
    notes: list[Message],
    origins: _OriginCheck | None = None,
) -> ValidationReport:
    origins = origins or _OriginCheck(set(districts.index), None)
    errors: list[RowError] = []
    records: list[dict[str, Any]] = []
    failed: list[bool] = []
    known = set(districts.index)
    first_line: dict[str, int] = {}
    too_long = table.attrs.get("too_long", {})
    geom_kind = table.attrs.get("geom_kind")
    for i, (line, row) in enumerate(zip(lines, table.to_dict("records"), strict=True)):
        row_errors: list[RowError] = []

        def bad(column: str, text: Message, _line: int = line, _errs=row_errors) -> None:
            _errs.append(RowError(_line, column, text))

        if line in too_long.get("lines", {}):
            n, width = too_long["lines"][line], too_long["width"]
            sep = too_long["delimiter"]
            bad("", Message.of("registros.fila_tiene_campos_encabezado", n=n, width=width, sep=sep))
        rec = _parse_row(row, bad, known, today, origins)
        if geom_kind is not None and geom_kind[i]:
            bad("geometry", Message.of("registros.geometria_esperaba_punto",
                                       geom_kind=geom_kind[i]))
        rid = rec.get(C.ID)
        if rid:
            if rid in first_line:
                at = place(first_line[rid], is_sheet(path))
                bad(C.ID, Message.of("registros.id_repetido_aparece_inspeccion", rid=rid, at=at))
            else:
                first_line[rid] = line
        errors.extend(row_errors)
        records.append(rec)
        failed.append(bool(row_errors))

    # Points are checked on every row that has them, so one pass reports all problems.
    _check_points(records, failed, lines, errors, districts)
    errors.sort(key=lambda e: e.line)  # stable: within a line, in column order
    valid = records_frame([r for r, bad_row in zip(records, failed, strict=True)
                           if not bad_row])
    valid_lines = [line for line, bad_row in zip(lines, failed, strict=True) if not bad_row]
    # a file without the column says nothing about indicators: nothing to contradict
    warnings = _contradictions(valid, valid_lines) if C.INDICADORES in table.columns else []
    found = int(valid[C.HALLAZGO].sum()) if len(valid) else 0
    if C.INDICADORES not in table.columns and found:
        notes.append(Message.plural(found, "registros.sin_columna_indicadores_uno",
                                    "registros.sin_columna_indicadores_varios"))
    return ValidationReport(path=path, valid=valid, errors=errors, n_rows=len(lines),
                            notes=notes, valid_lines=valid_lines, warnings=warnings)


class _OriginCheck:
    """Which codes ``ubigeo_origen`` may take: Peru's districts, or a structural check."""

    def __init__(self, region: set[str], national: set[str] | None) -> None:
        self.region = region
        self.national = national
        self.departments = {c[:2] for c in region}

    def problem(self, code: str) -> Message | None:
        if self.national is not None:
            ok = code in self.national
        elif code[:2] in self.departments:
            ok = code in self.region
        else:
            ok = 1 <= int(code[:2]) <= 25 and code[2:] != "0000"
        if ok:
            return None
        return Message.of("registros.no_distrito_peru_inei", code=code)


def _contradictions(valid: pd.DataFrame, lines: list[int]) -> list[RowError]:
    """Warnings for records whose ``hallazgo_tf`` contradicts the ICLS class of indicators."""
    if valid.empty:
        return []
    rec = classify_records(valid)
    out = []
    for line, flag, found, cls in zip(lines, rec[INCONSISTENTE], rec[C.HALLAZGO],
                                      rec[CLASE_OIT], strict=True):
        if not flag:
            continue
        if cls == SIN_INDICIOS:
            out.append(RowError(line, C.HALLAZGO, Message.of("registros.hallazgo_tf_no_anoto")))
        else:
            what = Message.of("registros.clase_trabajo_forzoso" if cls == "trabajo_forzoso"
                              else "registros.clase_indicios")
            out.append(RowError(line, C.HALLAZGO, Message.of(
                "registros.hallazgo_tf_indicadores_anotados", found=int(found), what=what)))
    return out


def _parse_row(row: dict[str, Any], bad, known: set[str], today: dt.date,
               origins: _OriginCheck) -> dict[str, Any]:
    rec: dict[str, Any] = {}
    get = lambda col: str(row.get(col, "") or "").strip()  # noqa: E731 - local shorthand

    rid = get(C.ID)
    if not rid:
        bad(C.ID, Message.of("registros.falta_id_inspeccion"))
    hidden = _hidden_characters(rid)
    if hidden:
        bad(C.ID, Message.of("registros.id_tiene_caracteres_control", hidden=hidden))
        rid = ""  # never carried further, not even into another row's message
    rec[C.ID] = rid

    rec[C.FECHA] = _parse_date(get(C.FECHA), today, bad)

    raw_ubigeo = get(C.UBIGEO)
    rec[C.UBIGEO] = _parse_ubigeo(raw_ubigeo, known, bad) if raw_ubigeo else None

    rec[C.LAT], rec[C.LON] = _parse_point(get(C.LAT), get(C.LON), bad)
    if not raw_ubigeo and not get(C.LAT) and not get(C.LON):
        bad(C.UBIGEO, Message.of("registros.no_ubigeo_ni_coordenadas"))

    rec[C.SECTOR] = _parse_choice(get(C.SECTOR), C.SECTOR, C.SECTORES_INSPECCION, True, bad)
    rec[C.HALLAZGO] = _parse_flag(get(C.HALLAZGO), bad)
    rec[C.ORIGEN] = _parse_choice(get(C.ORIGEN), C.ORIGEN, C.ORIGENES, False, bad)
    rec[C.INDICADORES] = _parse_indicators(get(C.INDICADORES), bad)
    rec[C.TRABAJADORES] = _parse_count(get(C.TRABAJADORES), C.TRABAJADORES, bad)
    rec[C.VICTIMAS] = _parse_count(get(C.VICTIMAS), C.VICTIMAS, bad)
    n_w, n_v = rec[C.TRABAJADORES], rec[C.VICTIMAS]
    if n_w is not None and n_v is not None and n_v > n_w:
        bad(C.VICTIMAS, Message.of("registros.victimas_trabajadores_revise_ambas", n_v=n_v,
                                   n_w=n_w))
    for col, who in ((C.VICTIMAS_MUJERES, Message.of("registros.victimas_mujeres")),
                     (C.VICTIMAS_MENORES, Message.of("registros.victimas_menores"))):
        rec[col] = _parse_count(get(col), col, bad)
        if rec[col] is None:
            continue
        if n_v is None:
            bad(col, Message.of("registros.victimas_columna_victimas_vacia", rec=rec[col], who=who))
        elif rec[col] > n_v:
            bad(col, Message.of("registros.victimas_victimas_total_revise", who=who, rec=rec[col],
                                n_v=n_v))
    raw_origin = get(C.UBIGEO_ORIGEN)
    rec[C.UBIGEO_ORIGEN] = None
    if raw_origin:
        code = _ubigeo_code(raw_origin)
        if code is None:
            bad(C.UBIGEO_ORIGEN, Message.of("registros.no_ubigeo_debe_tener_digitos_ej_160101",
                                            raw_origin=raw_origin))
        else:
            problem = origins.problem(code)
            if problem:
                bad(C.UBIGEO_ORIGEN, problem)
            else:
                rec[C.UBIGEO_ORIGEN] = code
    return rec


def _parse_date(text: str, today: dt.date, bad) -> dt.date | None:
    if not text:
        bad(C.FECHA, Message.of("registros.falta_fecha_use_aaaa"))
        return None
    value = text.split(" ")[0].split("T")[0]  # a time of day, if any, is dropped
    for fmt in _DATE_FORMATS:
        try:
            date = dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
        if date.year < MIN_YEAR:
            bad(C.FECHA, Message.of("registros.fecha_anterior_ano_tiene", text=text,
                                    min_year=MIN_YEAR))
            return None
        if date > today:
            bad(C.FECHA, Message.of("registros.fecha_futuro_hoy_invirtieron", text=text,
                                    today=today.isoformat()))
            return None
        return date
    impossible = _impossible_date(value)
    if impossible:
        bad(C.FECHA, Message.of("registros.fecha_no_existe_revise", text=text,
                                impossible=impossible))
        return None
    bad(C.FECHA, Message.of("registros.no_entiende_fecha_use", text=text))
    return None


def _impossible_date(value: str) -> Message | None:
    """Say why a well-formed date cannot exist (31/02/2024, 2023-13-01), else None.

    >>> why = _impossible_date("31/02/2024")
    >>> why.es, why.en
    ('febrero de 2024 tiene 29 días', 'February 2024 has 29 days')
    >>> _impossible_date("hola") is None
    True
    """
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", value)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", value)
        if not match:
            return None
        day, month, year = (int(g) for g in match.groups())
    if not 1 <= month <= 12:
        return Message.of("registros.no_hay_mes", month=month)
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        return Message.of("registros.mes_tiene_dias", month=_Month(year, month), days=days)
    return None


class _Month:
    """A month of a year as a message parameter, named as CLDR names it in each language."""

    def __init__(self, year: int, month: int) -> None:
        self.first = dt.date(year, month, 1)

    def message(self, lang: str | None = None) -> str:
        return format_month(self.first, lang)


#: Unicode categories an id may not contain: control characters (NUL, tab, line breaks,
#: escape codes), format characters (zero-width spaces, right-to-left overrides that make one
#: id look like another) and line or paragraph separators.
_HIDDEN_CATEGORIES = {"Cc", "Cf", "Zl", "Zp"}


def _hidden_characters(text: str) -> str:
    r"""Name the control or invisible characters in ``text`` (``""`` when there are none).

    >>> _hidden_characters("A-1"), _hidden_characters("A\x00B"), _hidden_characters("A\u202eB")
    ('', 'U+0000', 'U+202E')
    """
    found = sorted({f"U+{ord(ch):04X}" for ch in text
                    if unicodedata.category(ch) in _HIDDEN_CATEGORIES})
    return ", ".join(found[:5]) + (" …" if len(found) > 5 else "")


def _ubigeo_code(text: str) -> str | None:
    """Return a cell's 6-digit UBIGEO (a lost leading zero padded), or None if it is none.

    >>> _ubigeo_code("80101.0"), _ubigeo_code("160101"), _ubigeo_code("Cusco")
    ('080101', '160101', None)
    """
    code = text[:-2] if re.fullmatch(r"\d+\.0", text) else text  # 80101.0 from a float cell
    if not code.isdigit() or len(code) not in (5, 6):
        return None
    return code.zfill(6)


def _parse_ubigeo(text: str, known: set[str], bad) -> str | None:
    padded = _ubigeo_code(text)
    if padded is None:
        bad(C.UBIGEO, Message.of("registros.no_ubigeo_debe_tener", text=text))
        return None
    if padded not in known:
        if not text.startswith(padded):  # a zero was added to 5 digits
            bad(C.UBIGEO, Message.of("registros.tiene_digitos_completado_con", text=text,
                                     padded=padded))
        else:
            bad(C.UBIGEO, Message.of("registros.ubigeo_no_distrito_region", padded=padded))
        return None
    return padded


def _parse_point(lat_text: str, lon_text: str, bad) -> tuple[float | None, float | None]:
    if not lat_text and not lon_text:
        return None, None
    if not lat_text or not lon_text:
        missing = C.LAT if not lat_text else C.LON
        bad(missing, Message.of("registros.coordenada_sin_pareja_falta", missing=missing))
        return None, None
    values = []
    for col, text, limit in ((C.LAT, lat_text, 90.0), (C.LON, lon_text, 180.0)):
        try:
            number = float(text.replace(",", ".") if "." not in text else text)
        except ValueError:
            number = math.nan
        if not math.isfinite(number) or abs(number) > limit:
            what = Message.of("registros.latitud" if col == C.LAT else "registros.longitud")
            bad(col, Message.of("registros.no_grados_decimales_wgs84", text=text, what=what))
            number = math.nan
        values.append(number)
    if any(math.isnan(v) for v in values):
        return None, None
    return values[0], values[1]


def _parse_choice(
    text: str, column: str, allowed: Sequence[str], required: bool, bad
) -> str | None:
    if not text:
        if required:
            bad(column, Message.of("registros.falta_valor_use", allowed=', '.join(allowed)))
        return None
    value = norm(text)
    if value not in allowed:
        bad(column, Message.of("registros.no_valor_valido_use", text=text,
                               allowed=', '.join(allowed)))
        return None
    return value


def _parse_flag(text: str, bad) -> int | None:
    value = norm(text)
    value = value[:-2] if value.endswith("_0") else value  # "1.0" from a float cell
    if value in _TRUE:
        return 1
    if value in _FALSE:
        return 0
    given = Message.of("registros.valor_dado", text=text) if text else \
        Message.of("registros.valor_vacio")
    bad(C.HALLAZGO, Message.of("registros.no_indica_hubo_hallazgo", given=given))
    return None


def _parse_indicators(text: str, bad) -> str:
    if not text:
        return ""
    codes: list[str] = []
    unknown: list[str] = []
    for part in text.split(";"):
        if not part.strip():
            continue
        code = norm(part)
        code = ILO_NUMBERED.get(code, code)
        if code in ILO_INDICATORS:
            if code not in codes:
                codes.append(code)
        else:
            unknown.append(part.strip())
    if unknown:
        bad(C.INDICADORES, Message.of("registros.indicadores_desconocidos_separe_con",
                                      unknown=', '.join(unknown),
                                      ilo_indicators=', '.join(ILO_INDICATORS)))
    return ";".join(codes)


def _parse_count(text: str, column: str, bad) -> int | None:
    if not text:
        return None
    value = text[:-2] if re.fullmatch(r"\d+\.0", text) else text
    if not value.isdigit():
        bad(column, Message.of("registros.no_numero_entero_mayor", text=text))
        return None
    return int(value)


def _check_points(
    records: list[dict[str, Any]],
    failed: list[bool],
    lines: list[int],
    errors: list[RowError],
    districts: gpd.GeoDataFrame,
) -> None:
    """Assign a district to rows with lat/lon and no ubigeo; check the others agree."""
    idx = [i for i, r in enumerate(records) if r[C.LAT] is not None]
    if not idx:
        return
    points = gpd.GeoDataFrame(
        {"row": idx},
        geometry=gpd.points_from_xy(
            [records[i][C.LON] for i in idx], [records[i][C.LAT] for i in idx]
        ),
        crs=4326,
    )
    joined = gpd.sjoin(points, districts[[districts.geometry.name]].reset_index(),
                       predicate="intersects", how="left")
    inside: dict[int, list[str]] = {}
    for row, code in zip(joined["row"], joined[C.UBIGEO], strict=True):
        inside.setdefault(int(row), [])
        if isinstance(code, str):
            inside[int(row)].append(code)
    # Tolerance for simplified boundaries, in metres, in the UTM zone of each point.
    metric = _metric_crs(points)
    pts_m = points.to_crs(metric).set_index("row").geometry
    polys_m = districts.to_crs(metric).geometry
    for i in idx:
        rec = records[i]
        found = inside.get(i, [])
        lat, lon = rec[C.LAT], rec[C.LON]
        given = rec[C.UBIGEO]
        problem: tuple[str, Message] | None = None
        if given is None:
            if found:
                rec[C.UBIGEO] = found[0]
                continue
            dist = polys_m.distance(pts_m.loc[i])
            nearest = dist.idxmin()
            if dist.loc[nearest] <= BOUNDARY_TOLERANCE_M:
                rec[C.UBIGEO] = nearest
                continue
            swap = _swapped_hint(lat, lon, districts)
            problem = (C.LAT, Message.of("registros.punto_fuera_distritos_region", lat=lat, lon=lon,
                                         loc=dist.loc[nearest] / 1000, swap=swap))
        elif given not in found:
            dist = polys_m.loc[given].distance(pts_m.loc[i])
            if dist <= BOUNDARY_TOLERANCE_M:
                continue
            where = Message.of("registros.cae_en_distrito", district=found[0]) if found \
                else Message.of("registros.cae_fuera_region")
            problem = (C.UBIGEO, Message.of("registros.punto_km_distrito_corrija", lat=lat, lon=lon,
                                            dist=dist / 1000, given=given, where=where))
        if problem:
            errors.append(RowError(lines[i], *problem))
            failed[i] = True


def _metric_crs(points: gpd.GeoDataFrame) -> str:
    """Return the UTM zone (south) of the points' mean longitude: ~0.1 % error over Peru."""
    lon = float(np.nanmean(points.geometry.x))
    zone = int(min(max((lon + 180) // 6 + 1, 1), 60))
    return f"EPSG:{32700 + zone}"


def _swapped_hint(lat: float, lon: float, districts: gpd.GeoDataFrame) -> Message:
    if abs(lon) > 90:
        return Message.of("registros.sin_pista")
    swapped = gpd.points_from_xy([lat], [lon], crs=4326)[0]
    if districts.geometry.intersects(swapped).any():
        return Message.of("registros.pista_intercambio")
    return Message.of("registros.pista_revise_coordenadas")


