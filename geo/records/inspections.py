r"""Inspection records: the contract users feed, validated row by row, and the records a model uses.

This module is the records' front door. It joins the deployment's history file and the
store (:func:`load_records`, :func:`history_records`, :func:`merge_records`) and offers, under
the names every importer knows, what lives in the modules of one job each:
:mod:`geo.records.contract` (columns, ILO indicators, typed record tables),
:mod:`geo.records.reading` (a file into a table of strings, its limits) and
:mod:`geo.records.validation` (every row checked, the report).

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

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo import columns as C
from geo import paths
from geo.geography.base import national_ubigeos, read_districts  # built by `riskmap data fetch`
from geo.messages import Message
from geo.records.contract import ILO_INDICATORS, RECORD_COLUMNS, empty_records, records_frame
from geo.records.reading import MAX_CELL_CHARS, MAX_COLUMNS, check_limits
from geo.records.store import ROL_SISTEMA, InspectionStore
from geo.records.validation import (
    BOUNDARY_TOLERANCE_M,
    MIN_YEAR,
    RowError,
    ValidationReport,
    validate_inspections,
    validate_upload,
)
from geo.trust.audit import owner_only

__all__ = [
    "BOUNDARY_TOLERANCE_M",
    "ILO_INDICATORS",
    "MAX_CELL_CHARS",
    "MAX_COLUMNS",
    "MIN_YEAR",
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
    explained in ``records.attrs["notas"]`` (one :class:`~geo.messages.Message` per note).

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
        path = getattr(settings, "store_path", None) or paths.store_path()
        store = path if Path(path).is_file() else False
    stored = empty_records()
    if store is not False:
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
    owner_only(Path(settings.inspections))  # the history file is as sensitive as the store
    if districts is None:
        districts = read_districts(settings.base, region=settings.region)
    origins = None
    if getattr(settings, "base", None) is not None and Path(settings.base).is_file():
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
        notes.append(Message.of("registros.registro_archivo_tambien_estan",
                                n_replaced=len(replaced), history_name=history_name, shown=shown))
    records.attrs.update(
        fuentes={"archivo": len(kept), "almacen": len(stored)},
        reemplazados=replaced,
        notas=notes,
    )
    return records


