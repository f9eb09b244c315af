"""What every page shares: the language switch, the simulated-data banner, headers, errors.

``dashboard/app.py`` calls :func:`sidebar` and :func:`simulated_banner` once per run,
before the page, so every page gets them. A page calls :func:`page_header` and wraps
its body in :func:`guard`, so that a :class:`geo.errors.RiskmapError` shows as a plain
message in the session's language and anything unexpected as a short message —
never a traceback.

Examples
--------
A page (``dashboard/pages/ejemplo.py``)::

    import streamlit as st
    from dashboard import ui
    from dashboard.i18n import tr

    ui.page_header(tr("Ejemplo", "Example"))
    with ui.guard():
        st.write(tr("Hola", "Hello"))
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import streamlit as st

from dashboard.i18n import LANG_KEY, get_lang, set_lang, t, tr
from geo.errors import RiskmapError

__all__ = [
    "PAGES",
    "go_to",
    "guard",
    "page_header",
    "show_error",
    "sidebar",
    "simulated_banner",
    "is_simulated",
    "static_url",
]

# Filled by app.py with the st.Page objects, so pages can switch to each other by name.
PAGES: dict[str, Any] = {}
_LANG_WIDGET = "ui_idioma"


def sidebar() -> None:
    """Show the language switch (remembered in the session and in the URL as ``?lang=``)."""
    lang = get_lang()
    set_lang(lang)  # mirror into the URL and geo.errors on every run
    options = {"es": "Español", "en": "English"}
    st.sidebar.radio(
        t("idioma"),
        options=list(options),
        format_func=options.get,
        index=list(options).index(lang),
        key=_LANG_WIDGET,
        horizontal=True,
        on_change=_language_changed,
    )


def _language_changed() -> None:
    set_lang(st.session_state[_LANG_WIDGET])


def is_simulated() -> bool:
    """Whether the active settings or the scores' metadata say the data is simulated.

    Unknown (no settings yet) counts as simulated: the default data is the demo world.
    """
    from dashboard import state

    try:
        if state.settings().simulated:
            return True
        meta = state.metadata()
    except RiskmapError:
        return True
    flag = str(meta.get("simulado", meta.get("simulated", ""))).strip().lower()
    return flag in ("1", "true", "verdadero", "si", "sí", "yes")


def simulated_banner() -> None:
    """Show the DATOS SIMULADOS banner when the data is simulated (every page)."""
    if is_simulated():
        st.warning(t("simulados_banner"), icon="⚠️")


def page_header(title: str, caption: str | None = None) -> None:
    """Show the page's title (and an optional one-line caption under it)."""
    _leave_legacy_pages_mode()
    st.title(title)
    if caption:
        st.caption(caption)


def _leave_legacy_pages_mode() -> None:
    """Rerun through app.py when Streamlit ran a page file on its own.

    Because ``dashboard/pages/`` exists, Streamlit starts in its old multipage mode
    until ``st.navigation`` has been called once: a first visit straight to
    ``/distrito`` after a restart would run the page alone (no language switch, no
    banner, file names as navigation). Switching the flag off and rerunning sends that
    visit through ``app.py``, which then picks the same page by its URL.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def show_error(err: BaseException) -> None:
    """Show ``err`` as a message in the session's language, never as a traceback."""
    if isinstance(err, RiskmapError):
        st.error(err.message(get_lang()), icon="🚫")
    else:
        msg = str(err).splitlines()[0][:300] if str(err) else ""
        st.error(t("error_inesperado", kind=type(err).__name__, msg=msg), icon="🚫")


@contextlib.contextmanager
def guard() -> Iterator[None]:
    """Run a block; show any error it raises with :func:`show_error` and carry on.

    Streamlit's own control flow (``st.stop``, ``st.rerun``, ``st.switch_page``) raises
    ``BaseException`` subclasses, which pass through untouched.
    """
    try:
        yield
    except Exception as err:  # noqa: BLE001 - the page must show a message, not a traceback
        show_error(err)


def go_to(page: str, **query: str) -> None:
    """Switch to the page registered as ``page`` (e.g. ``"distrito"``), keeping the language.

    ``query`` values are stored in ``st.session_state`` under the same names, for the
    target page to read.
    """
    for key, value in query.items():
        st.session_state[key] = value
    target = PAGES.get(page)
    if target is None:
        raise RiskmapError(
            es=f"La página '{page}' no existe en este tablero.",
            en=f"Page '{page}' does not exist in this dashboard.",
        )
    st.session_state[LANG_KEY] = get_lang()
    st.switch_page(target)


def static_url() -> str:
    """URL prefix under which ``dashboard/static`` is served to the browser."""
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}/app/static" if base else "/app/static"


def caption_sources(meta: dict[str, Any]) -> None:
    """One caption line with model version, config hash and date from the scores' metadata."""
    parts = []
    for key, label in (("version_modelo", tr("modelo", "model")),
                       ("modelo_version", tr("modelo", "model")),
                       ("config_hash", tr("configuración", "config")),
                       ("fecha", tr("fecha", "date"))):
        if key in meta and meta[key] not in (None, ""):
            value = str(meta[key])
            parts.append(f"{label} {value[:12] if key == 'config_hash' else value}")
    if parts:
        st.caption(" · ".join(parts))
