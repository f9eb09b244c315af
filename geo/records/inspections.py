r"""Inspection records: the contract users feed, validated row by row.

A planner brings a file of past inspections (CSV in UTF-8, UTF-8 with BOM or Latin-1,
comma or semicolon separated; XLSX; GeoPackage or GeoJSON points).
:func:`validate_inspections` reads it, checks every row against the contract and returns a
:class:`ValidationReport`: the normalised valid rows and one :class:`RowError` per
problem, each naming the line the user sees in a spreadsheet (header = line 1), the
column and what to do, in Spanish and English. Problems with the file as a whole (empty,
unreadable, required columns missing) are raised as :class:`~geo.errors.DataError`.

Contract columns (names matched case-insensitively, accents and spaces tolerated):

========================  =========  ====================================================
column                    required   meaning
========================  =========  ====================================================
``id``                    yes        unique record id
``fecha``                 yes        ``YYYY-MM-DD`` or ``DD/MM/YYYY``, not in the future
``ubigeo``                unless     6-digit district code (a lost leading zero is padded)
                          lat/lon
``lat``, ``lon``          no         WGS84; district by spatial join when ``ubigeo`` is
                                     absent, checked against it when both are given
``sector``                yes        one of :data:`geo.columns.SECTORES_INSPECCION`
``hallazgo_tf``           yes        forced-labour indicators found: 1/0, si/no, true/false
``origen``                no         ``planificada``, ``denuncia``, ``aleatoria``
``indicadores``           no         ``;``-separated codes of :data:`ILO_INDICATORS`
                                     (or their numbers ``OIT01``..``OIT11``)
``trabajadores``          no         non-negative integer
``victimas``              no         non-negative integer, at most ``trabajadores``
``victimas_mujeres``      no         of the victims, women and girls (at most ``victimas``)
``victimas_menores``      no         of the victims, under 18 (at most ``victimas``)
``ubigeo_origen``         no         district where the victims were recruited (any
                                     district of Peru)
========================  =========  ====================================================

A record whose ``hallazgo_tf`` contradicts its ``indicadores`` under the ICLS rule
(:mod:`geo.records.indicators`: ``1`` with no indicator, ``0`` with indicators) is a **warning**
naming the row, not an error: the inspector judges, and the record is imported.

Examples
--------
>>> import tempfile, pathlib
>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> districts = gpd.GeoDataFrame(
...     {"ubigeo": ["080101"]}, geometry=[box(-72.0, -13.6, -71.9, -13.5)], crs=4326)
>>> f = pathlib.Path(tempfile.mkdtemp()) / "insp.csv"
>>> _ = f.write_text("id;fecha;ubigeo;sector;hallazgo_tf\n"
...                  "A1;15/03/2021;80101;Minería;sí\n"
...                  "A2;2021-02-30;080101;tala;no\n", encoding="latin-1")
>>> report = validate_inspections(f, districts)
>>> report.valid[["id", "ubigeo", "sector", "hallazgo_tf"]].values.tolist()
[['A1', '080101', 'mineria', 1]]
>>> report.errors[0].line, report.errors[0].column
(3, 'fecha')
"""

from __future__ import annotations

import csv
import datetime as dt
import io
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

from geo import columns as C
from geo.errors import DataError, tr

__all__ = [
    "ILO_INDICATORS",
    "RECORD_COLUMNS",
    "RowError",
    "ValidationReport",
    "empty_records",
    "check_limits",
    "history_records",
    "validate_upload",
    "load_records",
    "merge_records",
    "records_frame",
    "validate_inspections",
]

#: The 11 ILO indicators of forced labour (ILO, 2012), as codes accepted in ``indicadores``,
#: with their Spanish and English names.
ILO_INDICATORS: dict[str, tuple[str, str]] = {
    "abuso_vulnerabilidad": ("Abuso de la vulnerabilidad", "Abuse of vulnerability"),
    "engano": ("Engaño", "Deception"),
    "restriccion_movimiento": ("Restricción de la libertad de movimiento",
                               "Restriction of movement"),
    "aislamiento": ("Aislamiento", "Isolation"),
    "violencia_fisica_sexual": ("Violencia física y sexual", "Physical and sexual violence"),
    "intimidacion_amenazas": ("Intimidación y amenazas", "Intimidation and threats"),
    "retencion_documentos": ("Retención de documentos de identidad",
                             "Retention of identity documents"),
    "retencion_salarios": ("Retención de salarios", "Withholding of wages"),
    "servidumbre_deudas": ("Servidumbre por deudas", "Debt bondage"),
    "condiciones_abusivas": ("Condiciones de trabajo y de vida abusivas",
                             "Abusive working and living conditions"),
    "horas_extra_excesivas": ("Horas extraordinarias excesivas", "Excessive overtime"),
}

#: Numbered aliases: ``OIT01``..``OIT11`` (or ``ILO01``..) in the order of the ILO list.
_ILO_NUMBERED = {f"{prefix}{n:02d}": code for n, code in enumerate(ILO_INDICATORS, start=1)
                 for prefix in ("oit", "ilo")}

#: Columns of a normalised record table (``ValidationReport.valid``, ``store.records()``).
RECORD_COLUMNS: tuple[str, ...] = (
    C.ID, C.FECHA, C.UBIGEO, C.LAT, C.LON, C.SECTOR, C.HALLAZGO, C.ORIGEN, C.INDICADORES,
    C.TRABAJADORES, C.VICTIMAS, C.VICTIMAS_MUJERES, C.VICTIMAS_MENORES, C.UBIGEO_ORIGEN,
)

#: How far (metres) a point may lie outside the district its ``ubigeo`` names, or outside
#: every district, before it is an error: the boundaries are simplified.
BOUNDARY_TOLERANCE_M = 1000.0

_REQUIRED = (C.ID, C.FECHA, C.SECTOR, C.HALLAZGO)
_MAX_RENDERED = 50

# Accepted spellings of each contract column, after _norm() (lower case, no accents,
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
_TRUE = {"1", "si", "s", "true", "t", "verdadero", "v", "yes", "y"}
_FALSE = {"0", "no", "n", "false", "f", "falso"}
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")
#: Dates before this year are typing errors (a 2-digit year "15/03/21" reads as year 21).
MIN_YEAR = 1990
_CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
_XLSX_SUFFIXES = {".xlsx", ".xlsm"}
_GEO_SUFFIXES = {".gpkg", ".geojson", ".json", ".shp", ".zip", ".fgb"}


class RowError(NamedTuple):
    """One problem in one row of an inspection file.

    Attributes
    ----------
    line : int
        The line the user sees in a spreadsheet (header = line 1). For GIS files, the
        feature's position + 1 (the header line of its attribute table counts as 1).
    column : str
        The contract column at fault (``""`` for the whole row).
    es, en : str
        What is wrong and what to do, in Spanish and English.
    """

    line: int
    column: str
    es: str
    en: str

    def message(self, lang: str | None = None, *, sheet: bool = False) -> str:
        """Return ``"línea N, columna 'c': reason"`` in ``lang`` (default: current).

        ``sheet=True`` (an XLSX file) says ``"fila N"`` / ``"row N"``: a spreadsheet has
        numbered rows, not lines.
        """
        where = tr(*_place(self.line, sheet), lang)
        if self.column:
            where += tr(f", columna '{self.column}'", f", column '{self.column}'", lang)
        return f"{where}: {tr(self.es, self.en, lang)}"


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
    notes : list of (es, en)
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
    notes: list[tuple[str, str]] = field(default_factory=list)
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
        lines = [tr(
            f"{self.path.name}: {self.n_rows} {_plural(self.n_rows, 'fila leída', 'filas leídas')}"
            f", {n_ok} {_plural(n_ok, 'válida', 'válidas')}, {n_bad} con "
            f"{_plural(n_bad, 'error', 'errores')}.",
            f"{self.path.name}: {self.n_rows} {_plural(self.n_rows, 'row', 'rows')} read, "
            f"{n_ok} valid, {n_bad} with {_plural(n_bad, 'error', 'errors')}.",
            lang,
        )]
        lines += [tr(es, en, lang) for es, en in self.notes]
        shown = self.errors if max_errors is None else self.errors[:max_errors]
        sheet = self.path.suffix.lower() in _XLSX_SUFFIXES
        if self.warnings:
            n = len(self.warnings)
            lines.append(tr(
                f"Advertencia: {n} {_plural(n, 'registro contradice', 'registros contradicen')}"
                " sus indicadores según la regla de la OIT (CIET 2018); se importan tal como "
                "están, revise si el hallazgo o los indicadores están bien anotados:",
                f"Warning: {n} {_plural(n, 'record contradicts', 'records contradict')} its "
                "indicators under the ILO rule (ICLS 2018); they are imported as they are, "
                "check whether the finding or the indicators are recorded right:", lang))
            limit = len(self.warnings) if max_errors is None else max_errors
            lines += ["  " + w.message(lang, sheet=sheet) for w in self.warnings[:limit]]
            if n > limit:
                lines.append(tr(f"  … y {n - limit} más.", f"  … and {n - limit} more.", lang))
        lines += ["  " + e.message(lang, sheet=sheet) for e in shown]
        if len(shown) < len(self.errors):
            rest = len(self.errors) - len(shown)
            lines.append(tr(f"  … y {rest} {_plural(rest, 'error', 'errores')} más.",
                            f"  … and {rest} more {_plural(rest, 'error', 'errors')}.", lang))
        if self.errors:
            lines.append(tr(
                "Corrija esas filas y vuelva a validar; no se importa nada mientras haya "
                "errores.",
                "Fix those rows and validate again; nothing is imported while there are "
                "errors.",
                lang,
            ))
        return "\n".join(lines)

    def raise_if_invalid(self) -> None:
        """Raise a :class:`~geo.errors.DataError` with the rendered report if any row is bad."""
        if self.errors:
            raise DataError(es=self.render("es", 20), en=self.render("en", 20))


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
    table, lines, notes = _read_table(path)
    table = _rename_columns(table, path, notes)
    districts = _check_districts(districts)
    origin_check = _OriginCheck(set(districts.index), set(origins) if origins else None)
    return _validate(path, table, lines, districts, today, notes, origin_check)


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
            es=f"{shown}: pesa {_es(size_mb, 1)} MB y el límite es {max_mb:g} MB. {advice_es}",
            en=f"{shown}: is {size_mb:,.1f} MB and the limit is {max_mb:g} MB. {advice_en}",
        )
    if path.suffix.lower() in _XLSX_SUFFIXES:
        _check_unpacked(path, shown, max_mb)
    rows = _count_rows(path)
    if rows > max_rows:
        raise DataError(
            es=f"{shown}: tiene más de {_es(max_rows)} filas (se contaron {_es(rows)}). "
            f"{advice_es}",
            en=f"{shown}: has more than {max_rows:,} rows ({rows:,} counted). {advice_en}",
        )
    return rows


#: An XLSX is a zip: its XML may unpack to this many times the size limit, and no member may
#: be compressed more than this ratio (Excel's own files stay under ~30:1; a "zip bomb" that
#: unpacks 17 MB into 4.4 GB is ~260:1).
UNPACKED_FACTOR = 20
MAX_RATIO = 100


def _es(value: float, decimals: int = 0) -> str:
    """Write a number as Spanish does: ``1 344`` and ``2,5`` (English keeps ``1,344``)."""
    from geo.errors import number  # (``number`` is also a loop variable in this module)

    return number(value, decimals, "es")


def _check_unpacked(path: Path, shown: str, max_mb: float) -> None:
    """Refuse an XLSX whose zip would unpack far beyond its size (read from the zip index)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf:
            members = zf.infolist()
    except (zipfile.BadZipFile, OSError) as err:
        raise DataError(
            es=f"{shown}: no es un archivo Excel (.xlsx) válido ({err}). Guárdelo de nuevo como "
            ".xlsx o expórtelo a CSV.",
            en=f"{shown}: is not a valid Excel (.xlsx) file ({err}). Save it again as .xlsx "
            "or export it to CSV.",
        ) from err
    unpacked = sum(m.file_size for m in members) / 1e6
    ratio = max((m.file_size / max(m.compress_size, 1) for m in members), default=0.0)
    if unpacked > UNPACKED_FACTOR * max_mb or (ratio > MAX_RATIO and unpacked > 10):
        raise DataError(
            es=f"{shown}: se descomprime a {_es(unpacked)} MB (hasta {_es(ratio)} veces su "
            f"tamaño); el límite es {UNPACKED_FACTOR * max_mb:g} MB y {MAX_RATIO}:1. No se "
            "lee: un libro así suele ser un error de exportación o un archivo dañino. "
            "Expórtelo a CSV desde Excel, o divídalo.",
            en=f"{shown}: unpacks to {unpacked:,.0f} MB (up to {ratio:,.0f} times its size); "
            f"the limit is {UNPACKED_FACTOR * max_mb:g} MB and {MAX_RATIO}:1. It is not read: "
            "a workbook like this is usually an export error or a harmful file. Export it to "
            "CSV from Excel, or split it.",
        )


def _count_rows(path: Path) -> int:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except Exception as err:  # noqa: BLE001 - the validation says what is wrong
            raise DataError(es=f"{path.name}: no se pudo abrir como Excel ({err}).",
                            en=f"{path.name}: could not be opened as Excel ({err}).") from err
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
        import pyogrio

        return int(pyogrio.read_info(path).get("features", 0) or 0)
    except Exception:  # noqa: BLE001 - unknown formats are counted by the validation
        return 0


def validate_upload(path: str | Path, districts_gpkg: str | Path,
                    limits: tuple[float, int] | None = None,
                    base: str | Path | None = None) -> ValidationReport:
    """Validate an uploaded file against the built district table (for a worker process).

    What the dashboard runs in :func:`geo.trust.isolation.run_limited`: everything it needs is a
    path, so the call pickles small and the reading happens in the worker. ``base`` (the
    national base GeoPackage) gives the districts of Peru ``ubigeo_origen`` may name.
    """
    import pyogrio

    districts = pyogrio.read_dataframe(districts_gpkg, layer="distritos")
    origins = None
    if base is not None and Path(base).is_file():
        from geo.geography.base import national_ubigeos

        origins = national_ubigeos(base)
    return validate_inspections(path, districts, limits=limits, origins=origins)


def empty_records() -> pd.DataFrame:
    """Return an empty record table with the normalised columns and dtypes.

    >>> list(empty_records().columns) == list(RECORD_COLUMNS)
    True
    """
    return records_frame([])


def load_records(
    settings: Any,
    store: Any = None,
    *,
    user: str = "",
    districts: gpd.GeoDataFrame | None = None,
) -> pd.DataFrame:
    """Return the inspection records a model should use: the file plus the store.

    The deployment's records are the history file named in ``settings.inspections``
    (validated) **plus** the records imported into the store (dashboard or
    ``riskmap inspections import``). Importing a few new records never hides the history.
    When an ``id`` is in both, the store's version wins: it was imported later, so it is
    the correction. Those ids are listed in ``records.attrs["reemplazados"]`` and
    explained in ``records.attrs["notas"]`` (one ``(es, en)`` pair per note).

    Parameters
    ----------
    settings : geo.config.Settings
        ``settings.inspections`` (a file in the contract, or None) is validated against
        the districts of ``settings.base`` for ``settings.region``.
    store : geo.records.store.InspectionStore, path or False, optional
        The inspection store (default: :func:`geo.paths.store_path`, when that file
        exists; ``False``: ignore any store). Its records are read with the internal
        ``sistema`` role (model fitting), which the audit table records.
    user : str
        Who asks, for the audit table (default: the login name).
    districts : GeoDataFrame, optional
        The districts to validate ``settings.inspections`` against, when the caller has
        them already (default: read from ``settings.base``).

    Returns
    -------
    DataFrame
        Columns :data:`RECORD_COLUMNS`, sorted by date then id; empty when there are no
        records at all. ``attrs["fuentes"]`` counts the rows taken from each source
        (``archivo``, ``almacen``), ``attrs["reemplazados"]`` lists the file's ids
        replaced by the store's version, ``attrs["notas"]`` explains it.

    Raises
    ------
    DataError
        ``settings.inspections`` has invalid rows (the message lists them).

    Examples
    --------
    >>> import types
    >>> load_records(types.SimpleNamespace(inspections=None), False).empty
    True
    """
    if store is None:
        from geo import paths

        path = getattr(settings, "store_path", None) or paths.store_path()
        store = path if Path(path).is_file() else False
    stored = empty_records()
    if store is not False:
        from geo.records.store import ROL_SISTEMA, InspectionStore

        if not isinstance(store, InspectionStore):
            store = InspectionStore(store)
        if store.count() > 0:
            stored = store.records(role=ROL_SISTEMA, user=user or None)
    history = history_records(settings, districts, strict=True)
    name = Path(settings.inspections).name if settings.inspections is not None else ""
    return merge_records(history, stored, name)


def history_records(settings: Any, districts: gpd.GeoDataFrame | None = None, *,
                    strict: bool = False) -> pd.DataFrame:
    """Return the records of the settings' history file (``[data] inspections``), validated.

    What :func:`load_records` joins with the store, and what an import must know to keep
    writes in their region (:meth:`geo.records.store.InspectionStore.import_file`, ``history=``):
    an id of the history file is a record as much as an id of the store.

    Parameters
    ----------
    settings : geo.config.Settings
        ``settings.inspections`` (a file in the contract, or None), validated against the
        districts of ``settings.base`` for ``settings.region``.
    districts : GeoDataFrame, optional
        Those districts, when the caller has them already.
    strict : bool
        Raise on any invalid row (the model must not learn from half a file); otherwise the
        valid rows only.

    Returns
    -------
    DataFrame
        Columns :data:`RECORD_COLUMNS`; empty when the settings name no history file.

    Examples
    --------
    >>> import types
    >>> history_records(types.SimpleNamespace(inspections=None)).empty
    True
    """
    if getattr(settings, "inspections", None) is None:
        return empty_records()
    from geo.trust.audit import owner_only

    owner_only(Path(settings.inspections))  # the history file is as sensitive as the store
    if districts is None:
        from geo.geography.base import read_districts  # built by `riskmap data fetch`

        districts = read_districts(settings.base, region=settings.region)
    origins = None
    if getattr(settings, "base", None) is not None and Path(settings.base).is_file():
        from geo.geography.base import national_ubigeos

        origins = national_ubigeos(settings.base)
    report = validate_inspections(settings.inspections, districts, origins=origins)
    if strict:
        report.raise_if_invalid()
    return report.valid


def merge_records(history: pd.DataFrame, stored: pd.DataFrame, history_name: str = ""
                  ) -> pd.DataFrame:
    """Join the history file's records and the store's: the store wins on a shared ``id``.

    Parameters
    ----------
    history, stored : DataFrame
        Records with :data:`RECORD_COLUMNS` (e.g. ``ValidationReport.valid`` and
        :meth:`geo.records.store.InspectionStore.records`).
    history_name : str
        The history file's name, for the note about replaced records.

    Returns
    -------
    DataFrame
        Sorted by date then id, with ``attrs`` ``fuentes``, ``reemplazados`` and ``notas``
        as described in :func:`load_records`.

    Examples
    --------
    >>> a = records_frame([{"id": "1", "fecha": "2024-01-02", "ubigeo": "080101",
    ...                     "sector": "mineria", "hallazgo_tf": 0}])
    >>> b = records_frame([{"id": "1", "fecha": "2024-01-02", "ubigeo": "080101",
    ...                     "sector": "mineria", "hallazgo_tf": 1}])
    >>> merged = merge_records(a, b, "h.csv")
    >>> len(merged), int(merged["hallazgo_tf"].iloc[0]), merged.attrs["reemplazados"]
    (1, 1, ['1'])
    """
    replaced = sorted(set(history[C.ID]) & set(stored[C.ID]))
    kept = history[~history[C.ID].isin(replaced)]
    parts = [frame for frame in (kept, stored) if len(frame)]
    if not parts:
        records = empty_records()
    elif len(parts) == 1:
        records = parts[0][list(RECORD_COLUMNS)].copy()
    else:  # records_frame gives the union the dtypes of ValidationReport.valid
        records = records_frame(
            row for frame in parts for row in frame[list(RECORD_COLUMNS)].to_dict("records"))
    records = records.sort_values([C.FECHA, C.ID], kind="stable").reset_index(drop=True)
    notes: list[tuple[str, str]] = []
    if replaced:
        shown = ", ".join(replaced[:10]) + (" …" if len(replaced) > 10 else "")
        notes.append((
            f"{len(replaced)} registro(s) del archivo {history_name} "
            f"también están en el almacén; se usa la versión del almacén (importada "
            f"después): {shown}.",
            f"{len(replaced)} record(s) of file {history_name} are also "
            f"in the store; the store's version (imported later) is used: {shown}.",
        ))
    records.attrs.update(
        fuentes={"archivo": len(kept), "almacen": len(stored)},
        reemplazados=replaced,
        notas=notes,
    )
    return records


# --------------------------------------------------------------------------------------
# reading


def _read_table(path: Path) -> tuple[pd.DataFrame, list[int], list[tuple[str, str]]]:
    """Read any supported file into a frame of strings, with each row's line number."""
    if not path.exists():
        raise DataError(
            es=f"No existe el archivo {path}. Revise la ruta.",
            en=f"File {path} does not exist. Check the path.",
        )
    if path.is_file() and path.stat().st_size == 0:
        raise _empty_file(path)
    suffix = path.suffix.lower()
    if suffix in _XLSX_SUFFIXES:
        return _read_xlsx(path)
    if suffix in _GEO_SUFFIXES:
        return _read_geo(path)
    if suffix in _CSV_SUFFIXES or suffix == "":
        return _read_csv(path)
    if suffix == ".xls":
        raise DataError(
            es=f"{path.name}: el formato .xls (Excel 97-2003) no se admite. Guárdelo como "
            ".xlsx o CSV desde Excel y vuelva a intentarlo.",
            en=f"{path.name}: the .xls format (Excel 97-2003) is not supported. Save it as "
            ".xlsx or CSV from Excel and try again.",
        )
    raise DataError(
        es=f"{path.name}: formato no reconocido ({suffix}). Use CSV, XLSX, GeoPackage o "
        "GeoJSON.",
        en=f"{path.name}: unrecognised format ({suffix}). Use CSV, XLSX, GeoPackage or "
        "GeoJSON.",
    )


def _empty_file(path: Path) -> DataError:
    return DataError(
        es=f"El archivo {path.name} está vacío (no tiene filas de inspecciones). Exporte de "
        "nuevo los registros con una fila de encabezados y al menos una fila de datos.",
        en=f"File {path.name} is empty (it has no inspection rows). Export the records "
        "again with a header row and at least one data row.",
    )


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
            en=f"{path.name}: the header row has {len(values):,} columns and the limit is "
            f"{MAX_COLUMNS:,}. It does not look like a table of inspections (one row per "
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
            en=f"{path.name}: a cell (record {record:,} of the file) is longer than "
            f"{MAX_CELL_CHARS:,} characters, the limit for one cell. It is not read: it does "
            "not look like a table of inspections (is the line break between rows missing, "
            "or a quote left open?). Open it in a spreadsheet and export it again as CSV.",
        )
    return DataError(
        es=f"{path.name}: no se pudo leer como CSV (registro {_es(record)}: {err}). Ábralo en "
        "una hoja de cálculo y expórtelo de nuevo como CSV.",
        en=f"{path.name}: could not be read as CSV (record {record:,}: {err}). Open it in a "
        "spreadsheet and export it again as CSV.",
    )


def _sniff_delimiter(text: str) -> str:
    """Return the separator of the header line: contract column names never contain one."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {sep: header.count(sep) for sep in (";", ",", "\t")}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] else ","


def _read_xlsx(path: Path) -> tuple[pd.DataFrame, list[int], list[tuple[str, str]]]:
    import openpyxl

    try:
        # read-only: rows are streamed from the sheet's XML, never the whole book in memory
        book = openpyxl.load_workbook(path, data_only=True, read_only=True)
    except Exception as err:  # noqa: BLE001 - openpyxl raises many types for a bad file
        raise DataError(
            es=f"{path.name}: no se pudo abrir como libro de Excel ({err}). Guárdelo de nuevo "
            "como .xlsx o expórtelo a CSV.",
            en=f"{path.name}: could not be opened as an Excel workbook ({err}). Save it again "
            "as .xlsx or export it to CSV.",
        ) from err
    notes: list[tuple[str, str]] = []
    names = {_norm(n): n for n in book.sheetnames}
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
    import pyogrio

    notes: list[tuple[str, str]] = []
    try:
        layers = [name for name, _ in pyogrio.list_layers(path)]
        layer = next((n for n in layers if _norm(n) == "inspecciones"), layers[0])
        gdf = gpd.read_file(path, layer=layer)
    except Exception as err:  # noqa: BLE001 - GDAL errors come in many types
        raise DataError(
            es=f"{path.name}: no se pudo leer como archivo geográfico ({err}). Use un "
            "GeoPackage o GeoJSON de puntos, o un CSV con columnas lat y lon.",
            en=f"{path.name}: could not be read as a GIS file ({err}). Use a GeoPackage or "
            "GeoJSON of points, or a CSV with lat and lon columns.",
        ) from err
    if len(layers) > 1:
        notes.append((
            f"El archivo tiene varias capas; se leyó la capa '{layer}'.",
            f"The file has several layers; layer '{layer}' was read.",
        ))
    if gdf.empty:
        raise _empty_file(path)
    if gdf.crs is None:
        raise DataError(
            es=f"{path.name}: la capa no declara su sistema de coordenadas (CRS). Asígnele "
            "EPSG:4326 (WGS84) en su SIG y vuelva a exportarla.",
            en=f"{path.name}: the layer does not declare its coordinate reference system "
            "(CRS). Assign EPSG:4326 (WGS84) in your GIS and export it again.",
        )
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
    present = {_ALIASES.get(_norm(c)) for c in attrs.columns}
    if C.LAT in present or C.LON in present:
        notes.append((
            "Se usaron las coordenadas de la geometría; se ignoraron las columnas lat/lon.",
            "The geometry's coordinates were used; the lat/lon columns were ignored.",
        ))
        attrs = attrs[[c for c in attrs.columns if _ALIASES.get(_norm(c)) not in (C.LAT, C.LON)]]
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


def _norm(text: Any) -> str:
    """Lower case, no accents, runs of spaces/dashes/dots as ``_``.

    >>> _norm(" Minería ")
    'mineria'
    >>> _norm("Fecha de Inspección")
    'fecha_de_inspeccion'
    """
    text = unicodedata.normalize("NFKD", str(text).replace("\ufeff", ""))
    text = text.encode("ascii", "ignore").decode("ascii").strip().lower()
    return re.sub(r"[\s\-.]+", "_", text).strip("_")


def _rename_columns(
    table: pd.DataFrame, path: Path, notes: list[tuple[str, str]]
) -> pd.DataFrame:
    found = [str(c) for c in table.columns]
    mapping: dict[str, str] = {}
    ignored: list[str] = []
    for col in found:
        target = _ALIASES.get(_norm(col))
        if target is None:
            if col.strip():
                ignored.append(col)
            continue
        if target in mapping.values():
            first = next(k for k, v in mapping.items() if v == target)
            raise DataError(
                es=f"{path.name}: las columnas '{first}' y '{col}' significan lo mismo "
                f"('{target}'). Deje solo una.",
                en=f"{path.name}: columns '{first}' and '{col}' mean the same thing "
                f"('{target}'). Keep only one.",
            )
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
            f"{listed}. Revise la fila de encabezados ({_place(1, _is_sheet(path))[0]}) y el "
            "separador; columnas "
            f"obligatorias: {', '.join(_REQUIRED)} y {C.UBIGEO} o {C.LAT}/{C.LON}.",
            en=f"{path.name}: required columns are missing: "
            f"{miss.replace(' (o ', ' (or ').replace(' y ', ' and ')}. Columns found: "
            f"{listed.replace('(ninguna)', '(none)')}. Check the header row "
            f"({_place(1, _is_sheet(path))[1]}) and "
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


def _check_districts(districts: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if C.UBIGEO not in districts.columns:
        raise DataError(
            es="La tabla de distritos no tiene columna 'ubigeo'.",
            en="The district table has no 'ubigeo' column.",
        )
    if districts.crs is None:
        raise DataError(
            es="La tabla de distritos no declara su CRS; se esperaba EPSG:4326.",
            en="The district table declares no CRS; EPSG:4326 was expected.",
        )
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
    notes: list[tuple[str, str]],
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

        def bad(column: str, es: str, en: str, _line: int = line, _errs=row_errors) -> None:
            _errs.append(RowError(_line, column, es, en))

        if line in too_long.get("lines", {}):
            n, width = too_long["lines"][line], too_long["width"]
            sep = too_long["delimiter"]
            bad("", f"la fila tiene {n} campos y el encabezado {width}. ¿Hay un '{sep}' "
                "dentro de un valor? Póngalo entre comillas.",
                f"the row has {n} fields and the header {width}. Is there a '{sep}' inside "
                "a value? Put it in quotes.")
        rec = _parse_row(row, bad, known, today, origins)
        if geom_kind is not None and geom_kind[i]:
            bad("geometry", f"la geometría es {geom_kind[i]}; se esperaba un punto.",
                f"the geometry is a {geom_kind[i]}; a point was expected.")
        rid = rec.get(C.ID)
        if rid:
            if rid in first_line:
                es_at, en_at = _place(first_line[rid], _is_sheet(path))
                bad(C.ID, f"el id '{rid}' está repetido (ya aparece en la {es_at}). "
                    "Cada inspección necesita un id único.",
                    f"id '{rid}' is repeated (it already appears on {en_at}). "
                    "Each inspection needs a unique id.")
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
        whose = _plural(found, "su hallazgo", f"sus {found} hallazgos")
        notes.append((
            f"El archivo no tiene columna 'indicadores': {whose} "
            f"se {_plural(found, 'contará', 'contarán')} como sin indicadores OIT anotados "
            "(inconsistente con la regla de la OIT) en la página Indicadores. Añada la "
            "columna si los inspectores los anotaron.",
            f"The file has no 'indicadores' column: its {found} "
            f"{_plural(found, 'finding', 'findings')} will count as having no ILO indicator "
            "recorded (inconsistent with the ILO rule) on the Indicators page. Add the column "
            "if the inspectors recorded them.",
        ))
    return ValidationReport(path=path, valid=valid, errors=errors, n_rows=len(lines),
                            notes=notes, valid_lines=valid_lines, warnings=warnings)


class _OriginCheck:
    """Which codes ``ubigeo_origen`` may take: Peru's districts, or a structural check."""

    def __init__(self, region: set[str], national: set[str] | None) -> None:
        self.region = region
        self.national = national
        self.departments = {c[:2] for c in region}

    def problem(self, code: str) -> tuple[str, str] | None:
        if self.national is not None:
            ok = code in self.national
        elif code[:2] in self.departments:
            ok = code in self.region
        else:
            ok = 1 <= int(code[:2]) <= 25 and code[2:] != "0000"
        if ok:
            return None
        return (f"'{code}' no es un distrito del Perú (INEI, división vigente). Revise el "
                "código del distrito donde se captó a las víctimas, o deje la celda vacía.",
                f"'{code}' is not a district of Peru (INEI, current division). Check the code "
                "of the district where the victims were recruited, or leave the cell empty.")


def _contradictions(valid: pd.DataFrame, lines: list[int]) -> list[RowError]:
    """Warnings for records whose ``hallazgo_tf`` contradicts the ICLS class of indicators."""
    if valid.empty:
        return []
    from geo.records.indicators import CLASE_OIT, INCONSISTENTE, SIN_INDICIOS, classify_records

    rec = classify_records(valid)
    out = []
    for line, flag, found, cls in zip(lines, rec[INCONSISTENTE], rec[C.HALLAZGO],
                                      rec[CLASE_OIT], strict=True):
        if not flag:
            continue
        if cls == SIN_INDICIOS:
            out.append(RowError(line, C.HALLAZGO,
                                "hallazgo_tf = 1 pero no se anotó ningún indicador OIT.",
                                "hallazgo_tf = 1 but no ILO indicator was recorded."))
        else:
            what = ("trabajo forzoso según la OIT: ambas dimensiones" if cls == "trabajo_forzoso"
                    else "indicios")
            what_en = ("forced labour under the ILO rule: both dimensions"
                       if cls == "trabajo_forzoso" else "some indicators")
            out.append(RowError(line, C.HALLAZGO,
                                f"hallazgo_tf = {int(found)} pero los indicadores anotados dan "
                                f"{what}.",
                                f"hallazgo_tf = {int(found)} but the indicators recorded give "
                                f"{what_en}."))
    return out


def _parse_row(row: dict[str, Any], bad, known: set[str], today: dt.date,
               origins: _OriginCheck) -> dict[str, Any]:
    rec: dict[str, Any] = {}
    get = lambda col: str(row.get(col, "") or "").strip()  # noqa: E731 - local shorthand

    rid = get(C.ID)
    if not rid:
        bad(C.ID, "falta el id de la inspección.", "the inspection id is missing.")
    hidden = _hidden_characters(rid)
    if hidden:
        bad(C.ID, f"el id tiene caracteres de control o invisibles ({hidden}). Un id se "
            "escribe con letras, números y signos visibles; escríbalo de nuevo a mano.",
            f"the id has control or invisible characters ({hidden}). An id is written with "
            "letters, digits and visible signs; type it again by hand.")
        rid = ""  # never carried further, not even into another row's message
    rec[C.ID] = rid

    rec[C.FECHA] = _parse_date(get(C.FECHA), today, bad)

    raw_ubigeo = get(C.UBIGEO)
    rec[C.UBIGEO] = _parse_ubigeo(raw_ubigeo, known, bad) if raw_ubigeo else None

    rec[C.LAT], rec[C.LON] = _parse_point(get(C.LAT), get(C.LON), bad)
    if not raw_ubigeo and not get(C.LAT) and not get(C.LON):
        bad(C.UBIGEO, "no hay ubigeo ni coordenadas lat/lon: no se sabe en qué distrito "
            "fue la inspección. Complete el ubigeo de 6 dígitos.",
            "there is neither a ubigeo nor lat/lon coordinates: the inspection's district "
            "is unknown. Fill in the 6-digit ubigeo.")

    rec[C.SECTOR] = _parse_choice(get(C.SECTOR), C.SECTOR, C.SECTORES_INSPECCION, True, bad)
    rec[C.HALLAZGO] = _parse_flag(get(C.HALLAZGO), bad)
    rec[C.ORIGEN] = _parse_choice(get(C.ORIGEN), C.ORIGEN, C.ORIGENES, False, bad)
    rec[C.INDICADORES] = _parse_indicators(get(C.INDICADORES), bad)
    rec[C.TRABAJADORES] = _parse_count(get(C.TRABAJADORES), C.TRABAJADORES, bad)
    rec[C.VICTIMAS] = _parse_count(get(C.VICTIMAS), C.VICTIMAS, bad)
    n_w, n_v = rec[C.TRABAJADORES], rec[C.VICTIMAS]
    if n_w is not None and n_v is not None and n_v > n_w:
        bad(C.VICTIMAS, f"hay más víctimas ({n_v}) que trabajadores ({n_w}). Revise ambas "
            "cifras.", f"there are more victims ({n_v}) than workers ({n_w}). Check both "
            "figures.")
    for col, who_es, who_en in ((C.VICTIMAS_MUJERES, "mujeres", "women"),
                                (C.VICTIMAS_MENORES, "menores de edad", "minors")):
        rec[col] = _parse_count(get(col), col, bad)
        if rec[col] is None:
            continue
        if n_v is None:
            bad(col, f"hay {rec[col]} víctimas {who_es} pero la columna victimas está vacía. "
                "Complete el total de víctimas.",
                f"there are {rec[col]} {who_en} victims but column victimas is empty. Fill in "
                "the total number of victims.")
        elif rec[col] > n_v:
            bad(col, f"hay más víctimas {who_es} ({rec[col]}) que víctimas en total ({n_v}). "
                "Revise ambas cifras.",
                f"there are more {who_en} victims ({rec[col]}) than victims in total ({n_v}). "
                "Check both figures.")
    raw_origin = get(C.UBIGEO_ORIGEN)
    rec[C.UBIGEO_ORIGEN] = None
    if raw_origin:
        code = _ubigeo_code(raw_origin)
        if code is None:
            bad(C.UBIGEO_ORIGEN, f"'{raw_origin}' no es un ubigeo: debe tener 6 dígitos (p. ej. "
                "160101 para Iquitos).",
                f"'{raw_origin}' is not a ubigeo: it must have 6 digits (e.g. 160101 for "
                "Iquitos).")
        else:
            problem = origins.problem(code)
            if problem:
                bad(C.UBIGEO_ORIGEN, *problem)
            else:
                rec[C.UBIGEO_ORIGEN] = code
    return rec


def _parse_date(text: str, today: dt.date, bad) -> dt.date | None:
    if not text:
        bad(C.FECHA, "falta la fecha. Use AAAA-MM-DD (p. ej. 2023-05-17) o DD/MM/AAAA.",
            "the date is missing. Use YYYY-MM-DD (e.g. 2023-05-17) or DD/MM/YYYY.")
        return None
    value = text.split(" ")[0].split("T")[0]  # a time of day, if any, is dropped
    for fmt in _DATE_FORMATS:
        try:
            date = dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
        if date.year < MIN_YEAR:
            bad(C.FECHA, f"la fecha {text} es anterior a {MIN_YEAR}: ¿el año tiene 4 dígitos? "
                "Use AAAA-MM-DD o DD/MM/AAAA (p. ej. 17/05/2023).",
                f"date {text} is before {MIN_YEAR}: does the year have 4 digits? Use "
                "YYYY-MM-DD or DD/MM/YYYY (e.g. 17/05/2023).")
            return None
        if date > today:
            bad(C.FECHA, f"la fecha {text} está en el futuro (hoy es {today.isoformat()}). "
                "¿Se invirtieron día y mes, o el año está mal escrito?",
                f"date {text} is in the future (today is {today.isoformat()}). Were day and "
                "month swapped, or is the year mistyped?")
            return None
        return date
    impossible = _impossible_date(value)
    if impossible:
        bad(C.FECHA, f"la fecha {text} no existe ({impossible[0]}). Revise el día y el mes; "
            "use AAAA-MM-DD o DD/MM/AAAA.",
            f"date {text} does not exist ({impossible[1]}). Check the day and month; use "
            "YYYY-MM-DD or DD/MM/YYYY.")
        return None
    bad(C.FECHA, f"no se entiende la fecha '{text}'. Use AAAA-MM-DD (p. ej. 2023-05-17) o "
        "DD/MM/AAAA (p. ej. 17/05/2023), con una fecha que exista.",
        f"cannot read date '{text}'. Use YYYY-MM-DD (e.g. 2023-05-17) or DD/MM/YYYY "
        "(e.g. 17/05/2023), with a date that exists.")
    return None


def _impossible_date(value: str) -> tuple[str, str] | None:
    """Say why a well-formed date cannot exist (31/02/2024, 2023-13-01), else None.

    >>> _impossible_date("31/02/2024")
    ('febrero de 2024 tiene 29 días', 'February 2024 has 29 days')
    >>> _impossible_date("hola") is None
    True
    """
    import calendar

    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", value)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", value)
        if not match:
            return None
        day, month, year = (int(g) for g in match.groups())
    if not 1 <= month <= 12:
        return f"no hay mes {month}", f"there is no month {month}"
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        return (f"{_MESES[month - 1]} de {year} tiene {days} días",
                f"{calendar.month_name[month]} {year} has {days} days")
    return None


_MESES = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
          "septiembre", "octubre", "noviembre", "diciembre")


def _plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def _is_sheet(path: Path) -> bool:
    return Path(path).suffix.lower() in _XLSX_SUFFIXES


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


def _place(n: int, sheet: bool) -> tuple[str, str]:
    """Where a row is, as the user sees it: ``línea N`` in a text file, ``fila N`` in XLSX."""
    return (f"fila {n}", f"row {n}") if sheet else (f"línea {n}", f"line {n}")


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
        bad(C.UBIGEO, f"'{text}' no es un ubigeo: debe tener 6 dígitos (p. ej. 080101 para "
            "Cusco, 160101 para Iquitos).",
            f"'{text}' is not a ubigeo: it must have 6 digits (e.g. 080101 for Cusco, 160101 "
            "for Iquitos).")
        return None
    if padded not in known:
        if not text.startswith(padded):  # a zero was added to 5 digits
            bad(C.UBIGEO, f"'{text}' tiene 5 dígitos; completado con un cero queda "
                f"'{padded}', que no es un distrito de la región. Revise el código.",
                f"'{text}' has 5 digits; padded with a zero it is '{padded}', which is not a "
                "district of the region. Check the code.")
        else:
            bad(C.UBIGEO, f"el ubigeo '{padded}' no es un distrito de la región analizada. "
                "Revise el código (INEI, división vigente).",
                f"ubigeo '{padded}' is not a district of the region analysed. Check the code "
                "(INEI, current division).")
        return None
    return padded


def _parse_point(lat_text: str, lon_text: str, bad) -> tuple[float | None, float | None]:
    if not lat_text and not lon_text:
        return None, None
    if not lat_text or not lon_text:
        missing = C.LAT if not lat_text else C.LON
        bad(missing, f"hay una coordenada sin su pareja: falta '{missing}'. Complete ambas o "
            "deje ambas vacías.", f"one coordinate lacks its pair: '{missing}' is missing. "
            "Fill in both or leave both empty.")
        return None, None
    values = []
    for col, text, limit in ((C.LAT, lat_text, 90.0), (C.LON, lon_text, 180.0)):
        try:
            number = float(text.replace(",", ".") if "." not in text else text)
        except ValueError:
            number = math.nan
        if not math.isfinite(number) or abs(number) > limit:
            bad(col, f"'{text}' no es una {'latitud' if col == C.LAT else 'longitud'} en "
                "grados decimales WGS84 (p. ej. -13.52).",
                f"'{text}' is not a {'latitude' if col == C.LAT else 'longitude'} in WGS84 "
                "decimal degrees (e.g. -13.52).")
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
            bad(column, f"falta el valor. Use uno de: {', '.join(allowed)}.",
                f"the value is missing. Use one of: {', '.join(allowed)}.")
        return None
    value = _norm(text)
    if value not in allowed:
        bad(column, f"'{text}' no es un valor válido. Use uno de: {', '.join(allowed)}.",
            f"'{text}' is not a valid value. Use one of: {', '.join(allowed)}.")
        return None
    return value


def _parse_flag(text: str, bad) -> int | None:
    value = _norm(text)
    value = value[:-2] if value.endswith("_0") else value  # "1.0" from a float cell
    if value in _TRUE:
        return 1
    if value in _FALSE:
        return 0
    es, en = (f"'{text}'", f"'{text}'") if text else ("el valor vacío", "an empty value")
    bad(C.HALLAZGO, f"{es} no indica si hubo hallazgo. Use 1 o 0, sí o no, verdadero o "
        "falso.", f"{en} does not say whether there was a finding. Use 1 or 0, yes (si) "
        "or no, true or false.")
    return None


def _parse_indicators(text: str, bad) -> str:
    if not text:
        return ""
    codes: list[str] = []
    unknown: list[str] = []
    for part in text.split(";"):
        if not part.strip():
            continue
        code = _norm(part)
        code = _ILO_NUMBERED.get(code, code)
        if code in ILO_INDICATORS:
            if code not in codes:
                codes.append(code)
        else:
            unknown.append(part.strip())
    if unknown:
        bad(C.INDICADORES, f"indicadores desconocidos: {', '.join(unknown)}. Separe con ';' "
            f"los códigos OIT: {', '.join(ILO_INDICATORS)}.",
            f"unknown indicators: {', '.join(unknown)}. Separate with ';' the ILO codes: "
            f"{', '.join(ILO_INDICATORS)}.")
    return ";".join(codes)


def _parse_count(text: str, column: str, bad) -> int | None:
    if not text:
        return None
    value = text[:-2] if re.fullmatch(r"\d+\.0", text) else text
    if not value.isdigit():
        bad(column, f"'{text}' no es un número entero mayor o igual a cero.",
            f"'{text}' is not a whole number greater than or equal to zero.")
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
        problem: tuple[str, str, str] | None = None
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
            problem = (C.LAT, f"el punto ({lat}, {lon}) está fuera de los distritos de la "
                       f"región (a {dist.loc[nearest] / 1000:.1f} km del más cercano).{swap[0]}",
                       f"point ({lat}, {lon}) lies outside the districts of the region "
                       f"({dist.loc[nearest] / 1000:.1f} km from the nearest).{swap[1]}")
        elif given not in found:
            dist = polys_m.loc[given].distance(pts_m.loc[i])
            if dist <= BOUNDARY_TOLERANCE_M:
                continue
            where = (f"cae en el distrito {found[0]}" if found
                     else "cae fuera de los distritos de la región")
            where_en = (f"falls in district {found[0]}" if found
                        else "falls outside the districts of the region")
            problem = (C.UBIGEO, f"el punto ({lat}, {lon}) está a {dist / 1000:.1f} km del "
                       f"distrito {given} y {where}. Corrija el ubigeo o las coordenadas.",
                       f"point ({lat}, {lon}) is {dist / 1000:.1f} km from district {given} "
                       f"and {where_en}. Fix the ubigeo or the coordinates.")
        if problem:
            errors.append(RowError(lines[i], *problem))
            failed[i] = True


def _metric_crs(points: gpd.GeoDataFrame) -> str:
    """Return the UTM zone (south) of the points' mean longitude: ~0.1 % error over Peru."""
    lon = float(np.nanmean(points.geometry.x))
    zone = int(min(max((lon + 180) // 6 + 1, 1), 60))
    return f"EPSG:{32700 + zone}"


def _swapped_hint(lat: float, lon: float, districts: gpd.GeoDataFrame) -> tuple[str, str]:
    if abs(lon) > 90:
        return "", ""
    swapped = gpd.points_from_xy([lat], [lon], crs=4326)[0]
    if districts.geometry.intersects(swapped).any():
        return (" ¿Se intercambiaron lat y lon?", " Were lat and lon swapped?")
    return (" Revise las coordenadas (WGS84, grados decimales).",
            " Check the coordinates (WGS84, decimal degrees).")


def records_frame(records: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """Return records (dicts keyed by contract column) as a normalised, typed frame.

    >>> records_frame([{"id": 7, "fecha": "2020-01-02", "ubigeo": "080101",
    ...                 "sector": "tala", "hallazgo_tf": 1}]).dtypes["fecha"]
    dtype('<M8[ns]')
    """
    rows = list(records)
    frame = pd.DataFrame(rows, columns=list(RECORD_COLUMNS))
    frame[C.ID] = frame[C.ID].astype(str)
    frame[C.FECHA] = pd.to_datetime(frame[C.FECHA]).astype("datetime64[ns]")
    frame[C.UBIGEO] = frame[C.UBIGEO].astype(str)
    frame[C.LAT] = pd.to_numeric(frame[C.LAT]).astype(float)
    frame[C.LON] = pd.to_numeric(frame[C.LON]).astype(float)
    frame[C.SECTOR] = frame[C.SECTOR].astype(str)
    frame[C.HALLAZGO] = frame[C.HALLAZGO].astype("int64")
    frame[C.ORIGEN] = frame[C.ORIGEN].astype("string")
    frame[C.INDICADORES] = [v if isinstance(v, str) else "" for v in frame[C.INDICADORES]]
    frame[C.INDICADORES] = frame[C.INDICADORES].astype(str)
    frame[C.TRABAJADORES] = frame[C.TRABAJADORES].astype("Int64")
    frame[C.VICTIMAS] = frame[C.VICTIMAS].astype("Int64")
    frame[C.VICTIMAS_MUJERES] = pd.to_numeric(frame[C.VICTIMAS_MUJERES]).astype("Int64")
    frame[C.VICTIMAS_MENORES] = pd.to_numeric(frame[C.VICTIMAS_MENORES]).astype("Int64")
    frame[C.UBIGEO_ORIGEN] = frame[C.UBIGEO_ORIGEN].astype("string")
    frame[C.UBIGEO_ORIGEN] = frame[C.UBIGEO_ORIGEN].replace("", pd.NA)
    return frame
