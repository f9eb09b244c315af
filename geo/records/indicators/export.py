"""The indicator profile as a file: the rows ``riskmap indicators`` writes, as CSV or XLSX.

One table for the command line and the Indicadores page (:func:`profile_table`: a district
profile carries the district's and province's names), one description of its columns
(:func:`profile_metadata`, in the current language), and :func:`write_profile` /
:func:`profile_xlsx`: the CSV with its ``.csvt`` for GDAL, R and pandas; the XLSX for a
spreadsheet (:mod:`geo.records.workbook`: UBIGEO stays text, counts numbers, sheet
``metadatos``). Suppressed counts are blank in both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from geo import columns as C
from geo.messages import get_language, t
from geo.private import private_path, write_private
from geo.records.classification import load_table
from geo.records.contract import (
    ANIO,
    N_INCONSISTENTES,
    N_INDICIOS,
    N_TF_OIT,
    N_VICTIMAS,
    N_VICTIMAS_MENORES,
    N_VICTIMAS_MUJERES,
)
from geo.records.inspections import ILO_INDICATORS
from geo.records.sheets import csvt, neutralise_frame
from geo.records.workbook import workbook_bytes

__all__ = ["SHEET", "profile_metadata", "profile_table", "profile_xlsx", "write_profile"]

#: The data sheet of an indicator profile's XLSX.
SHEET = "indicadores"
#: Columns described by a catalogue key ``hoja.indicadores.<column>``.
_DESCRIBED = (C.UBIGEO, C.DISTRITO, C.PROVINCIA, C.COD_PROV, C.SECTOR, ANIO, C.N_INSPECCIONES,
              N_TF_OIT, N_INDICIOS, N_INCONSISTENTES, N_VICTIMAS, N_VICTIMAS_MUJERES,
              N_VICTIMAS_MENORES, "suprimido")


def profile_table(profile: pd.DataFrame, by: str, districts: pd.DataFrame) -> pd.DataFrame:
    """Return the rows of an indicator export: a district profile with its names in front.

    ``profile``: :func:`geo.records.indicators.protected_profile` by ``by``; ``districts``:
    the district table it was made over (``ubigeo, distrito, provincia``).
    """
    if by != C.UBIGEO:
        return profile
    names = pd.DataFrame(districts)[[C.UBIGEO, C.DISTRITO, C.PROVINCIA]].astype(str)
    return names.merge(profile, on=C.UBIGEO, how="right")


def profile_metadata(table: pd.DataFrame, by: str, threshold: int, simulated: bool,
                     protected: bool = False) -> dict[str, Any]:
    """Return what an indicator export says about itself, in the current language.

    ``protected``: made for a role without record access (its counts suppressed together
    with every table it can obtain: said under ``proteccion``).

    >>> meta = profile_metadata(pd.DataFrame(columns=["anio", "engano"]), "anio", 5, True)
    >>> meta["conteos_suprimidos_menores_que"], meta["simulado"]
    (5, True)
    >>> meta["descripcion_columnas"]["engano"][:44]
    'inspecciones en que se halló el indicador 2 '
    """
    table_oit = load_table()
    described = {}
    for col in table.columns:
        if col in ILO_INDICATORS:
            described[col] = t("hoja.indicadores.indicador",
                               number=table_oit.numbers.get(col, ""),
                               name=t(f"registros.ilo_indicators.{col}"))
        elif col in _DESCRIBED:
            described[col] = t(f"hoja.indicadores.{col}")
        else:
            described[col] = col.replace("_", " ")
    lang = get_language()
    meta = {
        "simulado": bool(simulated),
        "descripcion_columnas": described,
        "agrupado_por": by,
        "conteos_suprimidos_menores_que": int(threshold),
        "clasificacion": "config/indicadores_oit.toml",
        "fuente_indicadores": table_oit.source_en if lang == "en" else table_oit.source_es,
        "licencia_riskmap": "GPL-3.0-or-later",
    }
    if protected and threshold > 1:
        meta["proteccion"] = t("hoja.indicadores.proteccion")
    return meta


def write_profile(path: str | Path, table: pd.DataFrame, by: str, threshold: int,
                  simulated: bool, protected: bool = False) -> Path:
    """Write an indicator export to ``.xlsx``, or else CSV (with its ``.csvt``), owner-only.

    The CSV is UTF-8 with a BOM, its text cells neutralised; GDAL reads each column's type
    from the ``.csvt`` beside it (codes stay text: ``"0801"``). The XLSX holds the same rows
    with typed cells and the sheet ``metadatos`` (:func:`profile_xlsx`).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return write_private(path, profile_xlsx(table, by, threshold, simulated, protected))
    with private_path(path) as tmp:  # counts (exact for a planner): owner-only, 0600
        neutralise_frame(table).to_csv(tmp, index=False, encoding="utf-8-sig",
                                       lineterminator="\n")
    write_private(path.with_suffix(".csvt"), csvt(table))
    return path


def profile_xlsx(table: pd.DataFrame, by: str, threshold: int, simulated: bool,
                 protected: bool = False) -> bytes:
    """Return an indicator export as XLSX bytes (the command's file, the page's download)."""
    return workbook_bytes(table, profile_metadata(table, by, threshold, simulated, protected),
                          sheet=SHEET)
