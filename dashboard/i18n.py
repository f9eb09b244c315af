"""The dashboard's words, Spanish first, English by a switch the session remembers.

Two ways to get a string in the session's language:

- :func:`tr` takes both texts inline (``tr("Distrito", "District")``) — for one-off text;
- :func:`t` looks a key up in :data:`STRINGS` — for words used on several pages.

The language lives in ``st.session_state["lang"]`` and is mirrored in the URL
(``?lang=en``) so that a reload or a shared link keeps it. Outside a running
Streamlit script (tests, notebooks) the language falls back to ``"es"``.

Examples
--------
>>> tr("hola", "hello", lang="en")
'hello'
>>> t("evidencia_insuficiente", lang="es")
'evidencia insuficiente'
>>> t("n_distritos", lang="en", n=169)
'169 districts'
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "FEATURE_WORDS",
    "LANG_KEY",
    "STRINGS",
    "evidence_label",
    "evidence_short",
    "feature_label",
    "get_lang",
    "label",
    "set_lang",
    "t",
    "tr",
]

LANG_KEY = "lang"
LANGUAGES = ("es", "en")

# key -> (es, en). Keep keys stable: pages and browser tests rely on them.
STRINGS: dict[str, tuple[str, str]] = {
    "app_titulo": ("Mapa de riesgo de trabajo forzoso", "Forced-labour risk map"),
    "app_subtitulo": (
        "Distritos de Cusco y Loreto — apoyo a la planificación de la inspección laboral",
        "Districts of Cusco and Loreto — support for labour-inspection planning",
    ),
    "idioma": ("Idioma / Language", "Idioma / Language"),
    "pag_mapa": ("Mapa", "Map"),
    "pag_distrito": ("Distrito", "District"),
    "pag_modelo": ("Modelo", "Model"),
    "pag_indicadores": ("Indicadores", "Indicators"),
    "pag_datos": ("Datos", "Data"),
    "pag_exportar": ("Exportar", "Export"),
    "pag_planificacion": ("Planificación", "Planning"),
    "pag_usuarios": ("Usuarios", "Users"),
    "pag_auditoria": ("Auditoría", "Audit trail"),
    "simulados_banner": (
        "DATOS SIMULADOS — este tablero muestra un mundo de demostración generado por "
        "computadora. Ninguna cifra describe distritos reales; no la use para decidir "
        "inspecciones.",
        "SIMULATED DATA — this dashboard shows a computer-generated demonstration world. "
        "No figure describes real districts; do not use it to decide inspections.",
    ),
    # the default world since issue 20: real public layers, simulated records and risk
    "simulados_banner_capas_reales": (
        "DATOS SIMULADOS — las inspecciones, sus hallazgos y el riesgo de este tablero son "
        "simulados (mundo de demostración); solo las capas sectoriales marcadas «real» son "
        "datos públicos de sus fuentes. No lo use para decidir inspecciones.",
        "SIMULATED DATA — the inspections, their findings and the risk in this dashboard are "
        "simulated (a demonstration world); only the sector layers marked \"real\" are "
        "public data from their sources. Do not use it to decide inspections.",
    ),
    "falta_preparar": (
        "Aún no existen los datos que este tablero necesita ({what}: {path}). Ejecute "
        "`riskmap prepare` en una terminal (descarga las fuentes, simula el mundo de "
        "demostración y calcula el riesgo) y vuelva a cargar esta página.",
        "The data this dashboard needs does not exist yet ({what}: {path}). Run "
        "`riskmap prepare` in a terminal (it downloads the sources, simulates the demo world "
        "and scores the districts) and reload this page.",
    ),
    "error_inesperado": (
        "Ocurrió un error inesperado ({kind}: {msg}). Vuelva a cargar la página; si se "
        "repite, ejecute `riskmap --debug` en una terminal y reporte el problema.",
        "An unexpected error happened ({kind}: {msg}). Reload the page; if it happens "
        "again, run `riskmap --debug` in a terminal and report the problem.",
    ),
    "region": ("Región", "Region"),
    "region_ambos": ("Cusco y Loreto", "Cusco and Loreto"),
    "region_cusco": ("Cusco", "Cusco"),
    "region_loreto": ("Loreto", "Loreto"),
    "riesgo": ("Riesgo", "Risk"),
    "intervalo": ("Intervalo 90 %", "90 % interval"),
    "evidencia": ("Evidencia", "Evidence"),
    "rango": ("Puesto", "Rank"),
    "distrito": ("Distrito", "District"),
    "provincia": ("Provincia", "Province"),
    "departamento": ("Departamento", "Department"),
    "ubigeo": ("UBIGEO", "UBIGEO"),
    "evidencia_insuficiente": ("evidencia insuficiente", "insufficient evidence"),
    "evidencia_limitada": ("limitada", "limited"),
    "evidencia_suficiente": ("suficiente", "sufficient"),
    "evidencia_no_publicada": ("no publicada", "not published"),
    "n_distritos": ("{n} distritos", "{n} districts"),
    "inspecciones": ("Inspecciones", "Inspections"),
    "hallazgos": ("Hallazgos de trabajo forzoso", "Forced-labour findings"),
    "anio": ("Año", "Year"),
    "descargar": ("Descargar", "Download"),
    "fuentes": ("Fuentes y fechas", "Sources and dates"),
    "sin_datos": ("Sin datos", "No data"),
    "rol": ("Rol", "Role"),
    "rol_planificador": ("Planificador/a de inspecciones", "Inspection planner"),
    "rol_gobierno_regional": ("Gobierno regional", "Regional government"),
    "rol_investigador": ("Investigador/a", "Researcher"),
    "rol_ayuda": (
        "Qué puede ver cada rol: solo Planificador/a de inspecciones (SUNAFIL) importa "
        "registros y ve inspecciones una por una; Gobierno regional e Investigador/a ven "
        "totales por distrito, con los conteos pequeños (de 1 a 4) ocultos porque podrían "
        "identificar a personas.",
        "What each role can see: only the Inspection planner (SUNAFIL) imports records and "
        "sees inspections one by one; Regional government and Researcher see totals by "
        "district, with small counts (1 to 4) hidden because they could identify people.",
    ),
    "usuario": ("Su nombre (queda en el registro de auditoría)",
                "Your name (kept in the audit log)"),
    "menos_de": ("menos de {n}", "fewer than {n}"),
    "oculto_conteo": ("oculto", "hidden"),
}

# Short plain names of the model's factors and the district indicators. A layer the
# settings add beyond these is named by its own `description` (text of the settings file).
FEATURE_WORDS: dict[str, tuple[str, str]] = {
    "pobreza_monetaria": ("Pobreza monetaria (%)", "Monetary poverty (%)"),
    "poblacion": ("Población", "Population"),
    "idh": ("Índice de desarrollo humano", "Human development index"),
    "densidad": ("Densidad (hab./km²)", "Density (inhab./km²)"),
    "altitud": ("Altitud (m)", "Altitude (m)"),
    "lejania_km": ("Lejanía de la capital departamental (km)",
                   "Distance to the department capital (km)"),
    "area_km2": ("Superficie (km²)", "Area (km²)"),
    "historial": ("Historial de hallazgos del distrito", "The district's record of findings"),
    "denuncias_relativas": ("Denuncias frente a lo esperado", "Complaints against expected"),
    # the demo world's sector layers (data/demo/settings.toml)
    "concesiones_mineras": ("Concesiones mineras", "Mining concessions"),
    "mineria_informal": ("Frentes de minería informal", "Informal mining sites"),
    "dragas": ("Dragas de oro en ríos", "Gold dredges on rivers"),
    "concesiones_forestales": ("Concesiones forestales maderables", "Timber concessions"),
    "campamentos_tala": ("Campamentos de tala", "Logging camps"),
    "agricultura": ("Áreas agropecuarias", "Farming areas"),
    "coca": ("Cultivo de coca", "Coca crops"),
    # the default world's real layers (docs/CAPAS_REALES.md §4)
    "perdida_bosque": ("Pérdida de bosque", "Forest loss"),
    "mineria": ("Minería", "Mining"),
}


def get_lang() -> str:
    """Return the session's language: ``"es"`` (default) or ``"en"``.

    Reads ``st.session_state``, then the ``?lang=`` query parameter; outside a running
    Streamlit script it returns ``"es"``.
    """
    try:
        import streamlit as st

        lang = st.session_state.get(LANG_KEY)
        if lang not in LANGUAGES:
            lang = st.query_params.get(LANG_KEY)
    except Exception:  # noqa: BLE001 - no script run context (tests, notebooks)
        return "es"
    return lang if lang in LANGUAGES else "es"


def set_lang(lang: str) -> None:
    """Set the session's language and remember it in the URL (``?lang=``).

    Also sets :func:`geo.errors.set_language`, so progress messages of the library
    functions a page calls speak the same language.
    """
    import streamlit as st

    from geo.errors import set_language

    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {LANGUAGES}, got {lang!r}")
    st.session_state[LANG_KEY] = lang
    if st.query_params.get(LANG_KEY) != lang:
        st.query_params[LANG_KEY] = lang
    set_language(lang)


def tr(es: str, en: str, lang: str | None = None) -> str:
    """Pick the Spanish or English text for the session's (or the given) language.

    >>> tr("Mapa", "Map", lang="es")
    'Mapa'
    """
    return en if (lang or get_lang()) == "en" else es


def t(key: str, lang: str | None = None, **fmt: Any) -> str:
    """Look up the string ``key`` of :data:`STRINGS` and format it with ``fmt``.

    An unknown key returns the key itself, so a missing translation shows up in the
    page instead of breaking it.

    >>> t("riesgo", lang="en")
    'Risk'
    >>> t("no_such_key")
    'no_such_key'
    """
    pair = STRINGS.get(key)
    if pair is None:
        return key
    text = pair[1] if (lang or get_lang()) == "en" else pair[0]
    return text.format(**fmt) if fmt else text


def label(pairs: dict[str, tuple[str, str]], key: str, lang: str | None = None) -> str:
    """Plain label of ``key`` from a ``{key: (es, en)}`` table; unknown keys made readable.

    >>> label({"n": ("Número", "Number")}, "n", lang="en")
    'Number'
    >>> label({}, "filas_nuevas")
    'Filas nuevas'
    """
    pair = pairs.get(key)
    if pair is None:
        return str(key).replace("_", " ").capitalize()
    return pair[1] if (lang or get_lang()) == "en" else pair[0]


def feature_label(name: str, descriptions: dict[str, str] | None = None,
                  lang: str | None = None) -> str:
    """Short plain name of a model factor or indicator (a layer's own description if unknown).

    >>> feature_label("dragas", lang="en")
    'Gold dredges on rivers'
    >>> feature_label("nueva_capa", {"nueva_capa": "Hornos de ladrillo: número por distrito"})
    'Hornos de ladrillo'
    """
    if name in FEATURE_WORDS:
        return label(FEATURE_WORDS, name, lang)
    text = (descriptions or {}).get(name) or ""
    if text:
        return text.split(" (")[0].split(":")[0]  # the short name only
    return name.replace("_", " ").capitalize()


def evidence_label(value: str, lang: str | None = None) -> str:
    """Translate an ``evidencia`` value of the scores table for display.

    >>> evidence_label("evidencia insuficiente", lang="en")
    'insufficient evidence'
    >>> evidence_label("suficiente", lang="es")
    'suficiente'
    """
    key = {
        "evidencia insuficiente": "evidencia_insuficiente",
        "limitada": "evidencia_limitada",
        "suficiente": "evidencia_suficiente",
        "no publicada": "evidencia_no_publicada",
    }.get(str(value))
    return t(key, lang=lang) if key else str(value)


def evidence_short(value: str, lang: str | None = None) -> str:
    """One capitalised word for an ``evidencia`` value, for a metric tile that is narrow.

    >>> evidence_short("evidencia insuficiente", lang="es")
    'Insuficiente'
    >>> evidence_short("limitada", lang="en")
    'Limited'
    """
    text = evidence_label(value, lang)
    for prefix in ("evidencia ", "evidence "):
        text = text.removeprefix(prefix)
    text = text.removesuffix(" evidence")
    return text[:1].upper() + text[1:]
