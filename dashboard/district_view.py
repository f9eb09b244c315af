"""What the Distrito page shows of a district: counts a role may see, values, sources.

The card's words and tables, computed from what :mod:`dashboard.state` loaded: a count as
a role may see it, a value with its unit (CLDR, :mod:`geo.formatting`), one row per sector
layer, the sources tables with plain column names. The page lays them out.
"""

from __future__ import annotations

import pandas as pd

from dashboard.i18n import get_lang, label, t
from dashboard.layer_words import (
    layer_name,
    missing_here,
    origin_word,
    value_text,
    zero_note,
)
from geo import columns as C
from geo.formatting import format_date, format_field, format_number, format_quantity

# Plain names of the scores' metadata and of the sources tables (unknown keys: made readable).
META_WORDS = {
    "version_modelo": "distrito.meta.version_modelo",
    "hash_configuracion": "distrito.meta.hash_configuracion",
    "configuracion": "distrito.meta.configuracion",
    "simulado": "distrito.meta.simulado",
    "variables": "distrito.meta.variables",
    "tabla_distritos": "distrito.meta.tabla_distritos",
    "base": "distrito.meta.base",
    "inspecciones_fuente": "distrito.meta.inspecciones_fuente",
    "inspecciones_desde": "distrito.meta.inspecciones_desde",
    "inspecciones_hasta": "distrito.meta.inspecciones_hasta",
    "n_inspecciones": "comun.inspecciones",
    "n_hallazgos": "comun.meta.n_hallazgos",
    "intercepto": "distrito.meta.intercepto",
    "fuerza_prior": "distrito.meta.fuerza_prior",
    "sd_efecto_distrital": "distrito.meta.sd_efecto_distrital",
    "escrito": "distrito.meta.escrito",
}


RECORD_WORDS = {
    C.ID: "distrito.record.registro",
    C.FECHA: "comun.record.fecha",
    C.SECTOR: "comun.record.sector",
    C.ORIGEN: "comun.record.origen",
    C.HALLAZGO: "distrito.record.hallazgo_trabajo_forzoso",
    C.INDICADORES: "distrito.record.indicadores_oit",
    C.VICTIMAS: "comun.record.victimas",
}


# Long JSON values (the sources and coefficients) have their own tables on the page.
META_HIDDEN = ("fuentes", "coeficientes", "fuentes_base", "descripcion_columnas")


LAYER_SOURCE_COLUMNS = {
    "capa": "comun.layer_source_columns.capa", "sector": "comun.record.sector",
    "origen": "comun.record.origen", "fuente": "comun.layer_source_columns.fuente",
    "anios": "comun.layer_source_columns.anios",
    "unidad": "comun.layer_source_columns.unidad",
    "sin_dato": "comun.layer_source_columns.sin_dato",
    "motivo_cero": "distrito.layer_source_columns.motivo_cero",
    "n_elementos": "distrito.layer_source_columns.n_elementos",
    "fecha_construccion": "comun.record.fecha",
    "simulado": "distrito.layer_source_columns.simulado",
    "descripcion": "distrito.layer_source_columns.descripcion",
    "licencia": "comun.layer_source_columns.licencia",
}


BASE_SOURCE_COLUMNS = {
    "archivo": "comun.base_source_columns.archivo",
    "cita": "distrito.base_source_columns.cita",
    "licencia": "comun.layer_source_columns.licencia",
    "n_filas": "distrito.base_source_columns.n_filas",
    "fecha_construccion": "comun.record.fecha",
    "url": "distrito.base_source_columns.url",
}


def count_text(value, suppressed: bool, k: int = 5) -> str:
    """Format a count: "hidden" when suppressed, "—" when missing.

    A blank is not always a count below k: the linked-table suppression (geo.records.sdc) also hides
    larger counts that would give a small one back, so the card never says "fewer than k".
    """
    if suppressed:
        return t("comun.oculto_conteo")
    if value is None or pd.isna(value):
        return "—"
    return format_number(int(value))


def count_phrase(value, suppressed: bool, k: int, nouns: tuple[str, str]) -> str:
    """``"12 inspecciones"``, ``"1 inspección"`` or ``"un número oculto de inspecciones"``."""
    singular, plural = nouns
    if suppressed:
        return t("distrito.numero_oculto", plural=plural)
    text = count_text(value, False, k)
    return f"{text} {singular if text == '1' else plural}"


def yes_no(value) -> str:
    """Say Sí/No (Yes/No) for a stored flag."""
    flag = str(value).strip().lower() in ("1", "true", "verdadero", "si", "sí", "yes")
    return t("comun.yes") if flag else t("comun.no")


def meta_value(key: str, value) -> str:
    """Write a value of the scores' metadata as people read it, in the current language.

    A flag in words, a count grouped, a number and a day as CLDR writes them, anything else
    as text.

    >>> from geo.messages import language
    >>> with language("es"):
    ...     meta_value("n_inspecciones", 24510), meta_value("intercepto", -2.345678)
    ('24,510', '-2.35')
    >>> with language("en"):
    ...     meta_value("inspecciones_desde", "2019-01-04"), meta_value("base", "peru_base.gpkg")
    ('January 4, 2019', 'peru_base.gpkg')
    """
    if key == "simulado":
        return yes_no(value)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        return format_field(value, ",")
    if key.startswith("inspecciones_") and isinstance(value, str) and len(value) == 10:
        return format_date(value, missing=value)
    return str(value)


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
        notes.append(t("distrito.fuente_no_cubre_distrito", lang=lang) if silent
                     else t("distrito.fuente_no_nombra_distrito", lang=lang)
                     if zero_note(f, value, lang) else "")
    return pd.DataFrame({
        t("comun.layer_source_columns.capa",
          lang=lang): [layer_name(f, lang) for f in facts.values()],
        t("distrito.distrito", lang=lang): values,
        t("comun.layer_source_columns.fuente",
          lang=lang): [f.source or (t("capas.simulada", lang=lang)
                                                    if f.simulated else "—")
                                       for f in facts.values()],
        t("comun.layer_source_columns.anios", lang=lang): [f.years or "—" for f in facts.values()],
        t("comun.record.origen", lang=lang): [origin_word(f, lang) for f in facts.values()],
        t("distrito.nota", lang=lang): [n or "" for n in notes],
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
