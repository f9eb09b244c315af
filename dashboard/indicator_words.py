"""Words of the indicator views, shared by the Indicadores page, the card and exports.

The words themselves are the catalogue's room ``indicadores`` (``geo/messages/indicadores.toml``);
these tables give them by code, as ``(es, en)``.
"""

from __future__ import annotations

from dashboard.i18n import t
from geo.messages import texts
from geo.records.indicators import INDICIOS, N_INDICIOS, N_TF_OIT, SIN_INDICIOS, TRABAJO_FORZOSO
from geo.records.inspections import ILO_INDICATORS

__all__ = ["CLASS_WORDS", "SECTOR_WORDS", "SERVICE_WORDS", "VIEWS", "indicator_name"]

#: The catalogue's room of these words (geo/messages/indicadores.toml).
ROOM = "indicadores"


def _words(kind: str, codes: tuple[str, ...]) -> dict[str, tuple[str, str]]:
    """``code -> (es, en)`` of the catalogue keys ``indicadores.<kind>.<code>``, in order."""
    return {code: texts(f"{ROOM}.{kind}.{code}") for code in codes}


#: The views of the Indicadores page (its radio), Spanish then English.
VIEWS = _words("vista", ("mapa", "mezcla", "coocurrencia", "clasificacion", "rutas",
                         "servicios"))
CLASS_WORDS = _words("clase", (TRABAJO_FORZOSO, INDICIOS, SIN_INDICIOS))
SECTOR_WORDS = _words("sector", ("mineria", "tala", "agricultura", "coca", "domestico",
                                 "construccion", "otro"))
SERVICE_WORDS = _words("servicio", ("cem", "fiscalia_trata", "policia", "albergue"))


def indicator_name(code: str, lang: str | None = None) -> str:
    """Return the indicator's name in ``lang``, with its ILO number.

    >>> indicator_name("engano", "en"), indicator_name("n_trabajo_forzoso_oit", "es")
    ('2. Deception', 'Trabajo forzoso (OIT: ambas dimensiones)')
    """
    if code == N_TF_OIT:
        return t(f"{ROOM}.clase.{TRABAJO_FORZOSO}", lang)
    if code == N_INDICIOS:
        return t(f"{ROOM}.clase.{INDICIOS}", lang)
    number = list(ILO_INDICATORS).index(code) + 1
    return f"{number}. " + t(f"registros.ilo_indicators.{code}", lang)
