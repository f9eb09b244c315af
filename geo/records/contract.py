"""The records contract: a record's columns, the ILO indicators and the names of the counts.

What every other module of :mod:`geo.records` agrees on, and nothing else: the 11 ILO
indicators of forced labour, the columns of a normalised record table and how a table is
typed (:func:`records_frame`), and the names of the count columns the store and the
indicator tables publish. A leaf: it imports nothing of ``geo.records``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from geo import columns as C

__all__ = [
    "ILO_INDICATORS",
    "ILO_NUMBERED",
    "RECORD_COLUMNS",
    "empty_records",
    "records_frame",
]

#: The 11 ILO indicators of forced labour (ILO, 2012), as codes accepted in ``indicadores``,
#: with their Spanish and English names.
ILO_INDICATORS: dict[str, tuple[str, str]] = {
    "abuso_vulnerabilidad": "registros.ilo_indicators.abuso_vulnerabilidad",
    "engano": "registros.ilo_indicators.engano",
    "restriccion_movimiento": "registros.ilo_indicators.restriccion_movimiento",
    "aislamiento": "registros.ilo_indicators.aislamiento",
    "violencia_fisica_sexual": "registros.ilo_indicators.violencia_fisica_sexual",
    "intimidacion_amenazas": "registros.ilo_indicators.intimidacion_amenazas",
    "retencion_documentos": "registros.ilo_indicators.retencion_documentos",
    "retencion_salarios": "registros.ilo_indicators.retencion_salarios",
    "servidumbre_deudas": "registros.ilo_indicators.servidumbre_deudas",
    "condiciones_abusivas": "registros.ilo_indicators.condiciones_abusivas",
    "horas_extra_excesivas": "registros.ilo_indicators.horas_extra_excesivas",
}

#: Numbered aliases: ``OIT01``..``OIT11`` (or ``ILO01``..) in the order of the ILO list.
ILO_NUMBERED = {f"{prefix}{n:02d}": code for n, code in enumerate(ILO_INDICATORS, start=1)
                 for prefix in ("oit", "ilo")}

#: Columns of a normalised record table (``ValidationReport.valid``, ``store.records()``).
RECORD_COLUMNS: tuple[str, ...] = (
    C.ID, C.FECHA, C.UBIGEO, C.LAT, C.LON, C.SECTOR, C.HALLAZGO, C.ORIGEN, C.INDICADORES,
    C.TRABAJADORES, C.VICTIMAS, C.VICTIMAS_MUJERES, C.VICTIMAS_MENORES, C.UBIGEO_ORIGEN,
)

# Aggregate column names, shared by the store's aggregates and the indicator tables.
ANIO = "anio"
SUPRIMIDO = "suprimido"  # ";"-separated names of the counts suppressed in that row
#: Columns of a profile besides the group key and one column per indicator code.
N_TF_OIT, N_INDICIOS, N_INCONSISTENTES = "n_trabajo_forzoso_oit", "n_indicios", "n_inconsistentes"
N_VICTIMAS_MUJERES, N_VICTIMAS_MENORES = "n_victimas_mujeres", "n_victimas_menores"
N_VICTIMAS = "n_victimas"
#: What ``riskmap indicators --by`` groups on.
BY_OPTIONS = (C.UBIGEO, C.PROVINCIA, C.SECTOR, ANIO)
#: Columns of a route table (:func:`geo.records.indicators.routes`).
N_RUTA = "n_inspecciones"


def empty_records() -> pd.DataFrame:
    """Return an empty record table with the normalised columns and dtypes.

    >>> list(empty_records().columns) == list(RECORD_COLUMNS)
    True
    """
    return records_frame([])


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
