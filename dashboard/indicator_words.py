"""Words of the indicator views, shared by the Indicadores page, the card and exports."""

from __future__ import annotations

from dashboard.i18n import tr
from geo.records.indicators import INDICIOS, N_INDICIOS, N_TF_OIT, SIN_INDICIOS, TRABAJO_FORZOSO
from geo.records.inspections import ILO_INDICATORS

__all__ = ["CLASS_WORDS", "SECTOR_WORDS", "SERVICE_WORDS", "VIEWS", "indicator_name"]

#: The views of the Indicadores page (its radio), Spanish then English.
VIEWS = {
    "mapa": ("Mapa", "Map"),
    "mezcla": ("Sector y año", "Sector and year"),
    "coocurrencia": ("Coocurrencia", "Co-occurrence"),
    "clasificacion": ("Clasificación OIT", "ILO classification"),
    "rutas": ("Rutas de las víctimas", "Victims' routes"),
    "servicios": ("Servicios y brecha", "Services and gap"),
}
CLASS_WORDS = {
    TRABAJO_FORZOSO: ("Trabajo forzoso (OIT: ambas dimensiones)",
                      "Forced labour (ILO: both dimensions)"),
    INDICIOS: ("Indicios (una sola dimensión)", "Some indicators (one dimension only)"),
    SIN_INDICIOS: ("Sin indicios", "No indicators"),
}
SECTOR_WORDS = {
    "mineria": ("Minería", "Mining"), "tala": ("Tala", "Logging"),
    "agricultura": ("Agricultura", "Agriculture"), "coca": ("Coca", "Coca"),
    "domestico": ("Trabajo doméstico", "Domestic work"),
    "construccion": ("Construcción", "Construction"), "otro": ("Otro", "Other"),
}
SERVICE_WORDS = {
    "cem": ("Centro Emergencia Mujer", "Women's Emergency Centre"),
    "fiscalia_trata": ("Fiscalía especializada en trata", "Trafficking prosecutor"),
    "policia": ("Policía contra la trata", "Anti-trafficking police"),
    "albergue": ("Albergue (CAR)", "Shelter (CAR)"),
}


def indicator_name(code: str, lang: str | None = None) -> str:
    """Return the indicator's name in ``lang``, with its ILO number.

    >>> indicator_name("engano", "en"), indicator_name("n_trabajo_forzoso_oit", "es")
    ('2. Deception', 'Trabajo forzoso (OIT: ambas dimensiones)')
    """
    if code == N_TF_OIT:
        return tr(*CLASS_WORDS[TRABAJO_FORZOSO], lang=lang)
    if code == N_INDICIOS:
        return tr(*CLASS_WORDS[INDICIOS], lang=lang)
    number = list(ILO_INDICATORS).index(code) + 1
    return f"{number}. " + tr(*ILO_INDICATORS[code], lang=lang)
