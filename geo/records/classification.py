r"""The ICLS rule: which class of forced labour a record's ILO indicators give.

The 20th ICLS guidelines (2018) count work as **forced labour** when it is both
*involuntary* and under *threat or menace of penalty*. ``config/indicadores_oit.toml``
maps each of the 11 ILO indicators (ILO 2012) to its dimension(s), with the paragraph of
the guidelines it rests on. With that table every record gets a class:

================  ===========================================================
``trabajo_forzoso``  at least one indicator of each dimension was found
``indicios``         some indicators, not of both dimensions
``sin_indicios``     no indicator recorded
================  ===========================================================

A record is **inconsistent** when its ``hallazgo_tf`` says otherwise (``1`` with no
indicator, ``0`` with indicators): a warning at import, never an error (the inspector
judges), and counted in every profile.

Examples
--------
>>> table = load_table()
>>> classify("engano;intimidacion_amenazas", table)
'trabajo_forzoso'
>>> classify("engano", table), classify("", table)
('indicios', 'sin_indicios')
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from geo import columns as C
from geo import paths
from geo.errors import ConfigError
from geo.records.contract import ILO_INDICATORS

__all__ = [
    "CLASES",
    "CLASE_OIT",
    "DIMENSIONES",
    "INCONSISTENTE",
    "INDICIOS",
    "IndicatorTable",
    "SIN_INDICIOS",
    "TABLE_FILE",
    "TRABAJO_FORZOSO",
    "classify",
    "classify_records",
    "codes_of",
    "inconsistent",
    "load_table",
]

TABLE_FILE = paths.CONFIG_DIR / "indicadores_oit.toml"
DIMENSIONES = ("involuntariedad", "amenaza")
TRABAJO_FORZOSO, INDICIOS, SIN_INDICIOS = "trabajo_forzoso", "indicios", "sin_indicios"
CLASES = (TRABAJO_FORZOSO, INDICIOS, SIN_INDICIOS)
CLASE_OIT = "clase_oit"
INCONSISTENTE = "inconsistente"


@dataclass(frozen=True)
class IndicatorTable:
    """The indicator-to-dimension table (``config/indicadores_oit.toml``).

    Attributes
    ----------
    dimensions : mapping of str to tuple of str
        Indicator code -> its dimensions (a subset of :data:`DIMENSIONES`).
    numbers : mapping of str to int
        Indicator code -> its ILO 2012 number (1..11).
    basis : mapping of str to str
        Indicator code -> the paragraph of the ICLS guidelines it rests on.
    names : mapping of str to (str, str)
        Dimension -> its Spanish and English names.
    source_es, source_en : str
        The citation.
    path : Path
    """

    dimensions: Mapping[str, tuple[str, ...]]
    numbers: Mapping[str, int]
    basis: Mapping[str, str]
    names: Mapping[str, tuple[str, str]]
    source_es: str
    source_en: str
    path: Path

    @property
    def codes(self) -> tuple[str, ...]:
        """The indicator codes in the ILO order."""
        return tuple(sorted(self.dimensions, key=self.numbers.__getitem__))

    def frame(self) -> pd.DataFrame:
        """Return the table as rows: ``numero, codigo, involuntariedad, amenaza, base``."""
        return pd.DataFrame([{
            "numero": self.numbers[c], "codigo": c,
            **{d: d in self.dimensions[c] for d in DIMENSIONES},
            "base": self.basis[c],
        } for c in self.codes])


def load_table(path: str | Path | None = None) -> IndicatorTable:
    """Read and check the indicator table (default :data:`TABLE_FILE`).

    Raises
    ------
    ConfigError
        The file is missing or unreadable, an indicator is unknown or missing, or a
        dimension is not one of :data:`DIMENSIONES` (message names the file and key).
    """
    return _load(str(Path(path) if path else TABLE_FILE))


@lru_cache(maxsize=4)
def _load(path: str) -> IndicatorTable:
    file = Path(path)
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise ConfigError("registros.no_pudo_leer_tabla", file=file, err=err) from err
    entries = raw.get("indicadores", {})
    unknown = sorted(set(entries) - set(ILO_INDICATORS))
    missing = sorted(set(ILO_INDICATORS) - set(entries))
    if unknown or missing:
        raise ConfigError("registros.indicadores_codigos_desconocidos_faltan", file=file,
                          unknown=unknown, missing=missing,
                          ilo_indicators=', '.join(ILO_INDICATORS))
    dims: dict[str, tuple[str, ...]] = {}
    for code, entry in entries.items():
        given = tuple(entry.get("dimensiones", ()))
        if not given or any(d not in DIMENSIONES for d in given):
            raise ConfigError("registros.indicadores_dimensiones_use_ambas", file=file, code=code,
                              given=list(given), dimensiones=list(DIMENSIONES))
        dims[code] = given
    names = {d: (str(raw.get("dimensiones", {}).get(d, {}).get("es", d)),
                 str(raw.get("dimensiones", {}).get(d, {}).get("en", d))) for d in DIMENSIONES}
    return IndicatorTable(
        dimensions=dims,
        numbers={c: int(e.get("numero", list(ILO_INDICATORS).index(c) + 1))
                 for c, e in entries.items()},
        basis={c: str(e.get("base", "")) for c, e in entries.items()},
        names=names, source_es=str(raw.get("fuente", "")), source_en=str(raw.get("source", "")),
        path=file,
    )


def codes_of(text: object) -> list[str]:
    """Return the codes of a ``;``-separated ``indicadores`` cell (none for a blank)."""
    if not isinstance(text, str) or not text:
        return []
    return [c for c in text.split(";") if c]


def classify(indicators: str, table: IndicatorTable | None = None) -> str:
    """Return the ICLS class of one record's ``;``-separated indicator codes.

    >>> classify("servidumbre_deudas")  # both dimensions in one indicator
    'trabajo_forzoso'
    >>> classify("retencion_documentos;aislamiento")  # coercion only
    'indicios'
    """
    table = table or load_table()
    found = {d for c in codes_of(indicators) for d in table.dimensions.get(c, ())}
    if not found:
        return SIN_INDICIOS
    return TRABAJO_FORZOSO if found >= set(DIMENSIONES) else INDICIOS


def classify_records(records: pd.DataFrame, table: IndicatorTable | None = None
                     ) -> pd.DataFrame:
    """Add ``clase_oit`` and ``inconsistente`` (bool) to a copy of ``records``."""
    table = table or load_table()
    out = records.copy()
    out[CLASE_OIT] = [classify(v, table) for v in out[C.INDICADORES]]
    out[INCONSISTENTE] = inconsistent(out[C.HALLAZGO], out[CLASE_OIT])
    return out


def inconsistent(hallazgo: Iterable[int], clase: Iterable[str]) -> np.ndarray:
    """Return True where ``hallazgo_tf`` contradicts the indicators' class.

    ``1`` with no indicator recorded, or ``0`` with indicators recorded.

    >>> inconsistent([1, 0, 1, 0], ["sin_indicios", "indicios", "indicios", "sin_indicios"])
    array([ True,  True, False, False])
    """
    h = np.asarray(list(hallazgo), dtype=int)
    none = np.asarray([c == SIN_INDICIOS for c in clase], dtype=bool)
    return ((h == 1) & none) | ((h == 0) & ~none)

