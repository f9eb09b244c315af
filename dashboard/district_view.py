"""What the Distrito page shows of a district: counts a role may see, values, sources.

The card's words and tables, computed from what :mod:`dashboard.state` loaded: a count as
a role may see it, a value with its unit (CLDR, :mod:`geo.formatting`), one row per sector
layer, the sources tables with plain column names. The page lays them out.
"""

from __future__ import annotations

import pandas as pd

from dashboard.i18n import get_lang, label, t, tr
from dashboard.layer_words import (
    layer_name,
    missing_here,
    origin_word,
    value_text,
    zero_note,
)
from geo import columns as C
from geo.formatting import format_quantity

# Plain names of the scores' metadata and of the sources tables (unknown keys: made readable).
META_WORDS = {
    "version_modelo": ("Versión del modelo", "Model version"),
    "hash_configuracion": ("Huella de la configuración", "Configuration hash"),
    "configuracion": ("Archivo de configuración", "Settings file"),
    "simulado": ("Datos simulados", "Simulated data"),
    "variables": ("Factores del modelo", "Model factors"),
    "tabla_distritos": ("Tabla de distritos", "District table"),
    "base": ("Límites e indicadores", "Boundaries and indicators"),
    "inspecciones_fuente": ("Inspecciones (archivo)", "Inspections (file)"),
    "inspecciones_desde": ("Inspecciones desde", "Inspections from"),
    "inspecciones_hasta": ("Inspecciones hasta", "Inspections to"),
    "n_inspecciones": ("Inspecciones", "Inspections"),
    "n_hallazgos": ("Hallazgos", "Findings"),
    "intercepto": ("Intercepto (escala logit)", "Intercept (logit scale)"),
    "fuerza_prior": ("Fuerza del criterio experto", "Strength of the expert prior"),
    "sd_efecto_distrital": ("Desviación del efecto por distrito",
                            "SD of the district effect"),
    "escrito": ("Calculado el", "Computed on"),
}


RECORD_WORDS = {
    C.ID: ("Registro", "Record"), C.FECHA: ("Fecha", "Date"), C.SECTOR: ("Sector", "Sector"),
    C.ORIGEN: ("Origen", "Origin"), C.HALLAZGO: ("Hallazgo de trabajo forzoso",
                                                  "Forced-labour finding"),
    C.INDICADORES: ("Indicadores OIT", "ILO indicators"), C.VICTIMAS: ("Víctimas", "Victims"),
}


# Long JSON values (the sources and coefficients) have their own tables on the page.
META_HIDDEN = ("fuentes", "coeficientes", "fuentes_base", "descripcion_columnas")


LAYER_SOURCE_COLUMNS = {
    "capa": ("Capa", "Layer"), "sector": ("Sector", "Sector"),
    "origen": ("Origen", "Origin"), "fuente": ("Fuente", "Source"),
    "anios": ("Años", "Years"), "unidad": ("Unidad", "Unit"),
    "sin_dato": ("Distritos sin dato público", "Districts without public data"),
    "motivo_cero": ("Por qué 0 donde no figura", "Why 0 where not listed"),
    "n_elementos": ("Elementos", "Features"), "fecha_construccion": ("Fecha", "Date"),
    "simulado": ("Simulada", "Simulated"), "descripcion": ("Descripción", "Description"),
    "licencia": ("Licencia", "Licence"),
}


BASE_SOURCE_COLUMNS = {
    "archivo": ("Archivo", "File"), "cita": ("Cita", "Citation"),
    "licencia": ("Licencia", "Licence"), "n_filas": ("Filas", "Rows"),
    "fecha_construccion": ("Fecha", "Date"), "url": ("Dirección", "URL"),
}


def count_text(value, suppressed: bool, k: int = 5) -> str:
    """Format a count: "hidden" when suppressed, "—" when missing.

    A blank is not always a count below k: the linked-table suppression (geo.records.sdc) also hides
    larger counts that would give a small one back, so the card never says "fewer than k".
    """
    if suppressed:
        return t("oculto_conteo")
    if value is None or pd.isna(value):
        return "—"
    return f"{int(value):,}".replace(",", " ")


def count_phrase(value, suppressed: bool, k: int, nouns: tuple[str, str]) -> str:
    """``"12 inspecciones"``, ``"1 inspección"`` or ``"un número oculto de inspecciones"``."""
    singular, plural = nouns
    if suppressed:
        return tr(f"un número oculto de {plural}", f"a hidden number of {plural}")
    text = count_text(value, False, k)
    return f"{text} {singular if text == '1' else plural}"


def yes_no(value) -> str:
    """Say Sí/No (Yes/No) for a stored flag."""
    flag = str(value).strip().lower() in ("1", "true", "verdadero", "si", "sí", "yes")
    return tr("Sí", "Yes") if flag else tr("No", "No")


# base indicators: (unit for geo.formatting, decimals; None = as many as a reader needs)
INDICATOR_UNITS = {
    C.POBREZA: ("%", 1), C.POBLACION: ("número", 0), C.IDH: ("", 3),
    C.DENSIDAD: ("hab./km²", 1), C.ALTITUD: ("m", 0), C.LEJANIA: ("km", 0),
    C.AREA_KM2: ("km²", 0),
}


def indicator_text(name: str, value: float, facts: dict, lang: str | None = None) -> str:
    """Write a district indicator or layer value with its unit (geo.formatting, CLDR).

    A layer's value is in its own unit, "sin dato público" where its source is silent
    (:func:`dashboard.layer_words.value_text`); a base indicator "—" when missing
    (poverty 45.26 -> ``"45.3%"``, altitude 3399.6 -> ``"3,400 m"`` in both languages).
    """
    lang = lang or get_lang()
    if name in facts:
        return value_text(facts[name], value, lang)
    unit, digits = INDICATOR_UNITS.get(name, ("", None))
    return format_quantity(value, unit, lang, digits=digits)


def layer_rows(facts: dict, mine: pd.Series, row: pd.Series, lang: str) -> pd.DataFrame:
    """One row per sector layer: its value in its unit, source, years, origin, note.

    ``mine`` is the district's row of the district table, ``row`` its row of the scores
    (``sin_dato`` lists the layers without a public value there).
    """
    values, notes = [], []
    for name, f in facts.items():
        value = mine.get(name) if mine is not None else None
        silent = missing_here(row, name) or pd.isna(
            pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0])
        values.append(value_text(f, value, lang, missing=silent))
        notes.append(tr("la fuente no cubre el distrito (no es 0)",
                        "not covered by its source (not 0)", lang) if silent
                     else tr("0: la fuente no nombra el distrito (ver abajo)",
                             "0: the source does not name the district (see below)", lang)
                     if zero_note(f, value, lang) else "")
    return pd.DataFrame({
        tr("Capa", "Layer", lang): [layer_name(f, lang) for f in facts.values()],
        tr("En el distrito", "In the district", lang): values,
        tr("Fuente", "Source", lang): [f.source or (tr("simulada", "simulated", lang)
                                                    if f.simulated else "—")
                                       for f in facts.values()],
        tr("Años", "Years", lang): [f.years or "—" for f in facts.values()],
        tr("Origen", "Origin", lang): [origin_word(f, lang) for f in facts.values()],
        tr("Nota", "Note", lang): [n or "" for n in notes],
    })


def source_table(table: pd.DataFrame, columns: dict[str, tuple[str, str]]) -> pd.DataFrame:
    """Keep the known columns of a ``fuentes`` table, with plain names."""
    keep = [c for c in columns if c in table.columns]
    out = table[keep].copy()
    if "simulado" in out:
        out["simulado"] = out["simulado"].map(yes_no)
    if "fecha_construccion" in out:
        out["fecha_construccion"] = out["fecha_construccion"].astype(str).str[:10]
    return out.rename(columns={c: label(columns, c) for c in keep})
