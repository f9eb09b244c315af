"""The dashboard's words, Spanish first, English by a switch the session remembers.

Every text is a key of the message catalogue (:mod:`geo.messages`, the TOML files of
``geo/messages/``): :func:`t` writes it in the session's language.

The language lives in ``st.session_state["lang"]`` and is mirrored in the URL
(``?lang=en``) so that a reload or a shared link keeps it. At the start of each script run
:func:`use_session_language` makes it the run's language (:mod:`geo.messages.language`, a
context variable: each run is its own thread, so sessions never share one), which the
library functions a page calls speak too. Outside a running Streamlit script (tests,
notebooks, the command line) the language is the context's (``"es"`` unless set).

Examples
--------
>>> t("comun.evidencia_insuficiente", lang="es")
'evidencia insuficiente'
>>> t("comun.n_distritos", lang="en", n=169)
'169 districts'
"""

from __future__ import annotations

from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from geo.messages import LANGUAGES, catalogue, get_language, set_language
from geo.messages import t as _t

__all__ = [
    "FEATURE_WORDS",
    "LANG_KEY",
    "evidence_label",
    "evidence_short",
    "feature_label",
    "get_lang",
    "label",
    "set_lang",
    "t",
    "use_session_language",
]

LANG_KEY = "lang"
#: The room of the words every page shares.
SHARED = "comun"
#: The room of the short plain names of the model's factors and district indicators.
FACTORS = "factor"


# The factors and district indicators that have a short plain name (room ``factor``). A
# layer the settings add beyond these is named by its own `description` (settings text).
FEATURE_WORDS: frozenset[str] = frozenset(
    key[len(FACTORS) + 1:] for key in catalogue() if key.startswith(FACTORS + "."))


def get_lang() -> str:
    """Return the session's language: ``"es"`` (default) or ``"en"``.

    Reads ``st.session_state``, then the ``?lang=`` query parameter; outside a running
    Streamlit script it returns the context's language (:func:`geo.messages.get_language`).
    """
    if get_script_run_ctx() is None:  # tests, notebooks: no session, whatever a bare run left
        return get_language()
    try:
        lang = st.session_state.get(LANG_KEY)
        if lang not in LANGUAGES:
            lang = st.query_params.get(LANG_KEY)
    except Exception:  # noqa: BLE001 - no script run context (tests, notebooks)
        return get_language()
    return lang if lang in LANGUAGES else get_language()


def use_session_language() -> str:
    """Make the session's language this script run's language; return it.

    Called at the start of every run (``dashboard/app.py``): what the run shows, the
    library's messages included, then speaks the session's language.
    """
    lang = get_lang()
    set_language(lang)
    return lang


def set_lang(lang: str) -> None:
    """Set the session's language and remember it in the URL (``?lang=``).

    Also makes it this run's language (:func:`geo.messages.set_language`), so messages of
    the library functions a page calls speak the same language.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {LANGUAGES}, got {lang!r}")
    st.session_state[LANG_KEY] = lang
    if st.query_params.get(LANG_KEY) != lang:
        st.query_params[LANG_KEY] = lang
    set_language(lang)


def t(key: str, lang: str | None = None, **fmt: Any) -> str:
    """Write the catalogue's ``key`` in the session's (or the given) language, filled in.

    An unknown key returns the key itself, so a missing translation shows up in the
    page instead of breaking it.

    >>> t("comun.riesgo", lang="en")
    'Risk'
    >>> t("no_such_key")
    'no_such_key'
    """
    return _t(key, lang or get_lang(), **fmt)


def label(keys: dict[str, str], name: str, lang: str | None = None) -> str:
    """Plain label of a column ``name`` from a ``{name: catalogue key}`` table.

    Unknown names are made readable.

    >>> label({"r": "comun.riesgo"}, "r", lang="en")
    'Risk'
    >>> label({}, "filas_nuevas")
    'Filas nuevas'
    """
    key = keys.get(name)
    if key is None:
        return str(name).replace("_", " ").capitalize()
    return t(key, lang)


def feature_label(name: str, descriptions: dict[str, str] | None = None,
                  lang: str | None = None) -> str:
    """Short plain name of a model factor or indicator (a layer's own description if unknown).

    >>> feature_label("dragas", lang="en")
    'Gold dredges on rivers'
    >>> feature_label("nueva_capa", {"nueva_capa": "Hornos de ladrillo: número por distrito"})
    'Hornos de ladrillo'
    """
    if name in FEATURE_WORDS:
        return t(f"{FACTORS}.{name}", lang)
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
    return t(f"{SHARED}.{key}", lang=lang) if key else str(value)


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
