"""What every page shares: the language switch, who is signed in, the banner, errors.

``dashboard/app.py`` calls :func:`dashboard.auth.gate`, then :func:`sidebar` and
:func:`simulated_banner` once per run, before the page, so every page gets them. The
identity (:func:`principal`) comes from the server — the sign-in, never a widget — and
decides what inspection data a page may show, as :class:`geo.records.store.InspectionStore`
enforces it: record-level data of its regions only for ``planificador``; aggregates with
small counts suppressed for ``gobierno_regional`` and ``investigador``; region choices
limited to the identity's regions. A page calls :func:`page_header` and wraps
its body in :func:`guard`, so that a :class:`geo.errors.RiskmapError` shows as a plain
message in the session's language and anything unexpected as a short message —
never a traceback.

Examples
--------
A page (``dashboard/views/ejemplo.py``)::

    import streamlit as st
    from dashboard import ui
    from dashboard.i18n import t

    ui.page_header(t("ejemplo.titulo"))
    with ui.guard():
        st.write(t("ejemplo.saludo"))
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator
from typing import Any

import streamlit as st
import streamlit_folium as sf
from streamlit import runtime

from dashboard import auth, state
from dashboard.i18n import LANG_KEY, get_lang, set_lang, t
from geo.errors import RiskmapError
from geo.formatting import format_number
from geo.messages import Message
from geo.trust.access import Principal, region_names

__all__ = [
    "builtin_words",
    "builtin_words_css",
    "file_uploader",
    "uploader_css",
    "folium_component",
    "pages",
    "set_pages",
    "get_role",
    "get_user",
    "go_to",
    "guard",
    "is_planner",
    "escape_markdown",
    "is_simulated",
    "page_header",
    "principal",
    "REGION_KEY",
    "hold_region",
    "rank_label",
    "region_picker",
    "role_label",
    "show_error",
    "sidebar",
    "table",
    "simulated_banner",
    "static_url",
]

# The st.Page objects of this run, by name, so pages can switch to each other: set by app.py
# per run and per session (a thread-local of the run, never shared between sessions).
_RUN = threading.local()


def set_pages(pages: dict[str, Any]) -> None:
    """Remember this run's pages (app.py, after deciding what the identity may open)."""
    _RUN.pages = dict(pages)


def pages() -> dict[str, Any]:
    """Return this run's pages by name (empty before app.py set them)."""
    return getattr(_RUN, "pages", {})
_LANG_WIDGET = "ui_idioma"


def sidebar(who: Principal) -> None:
    """Show the language switch, who is signed in (name, role, regions) and sign-out.

    The language is remembered in the session and in the URL (``?lang=``). The role and
    the regions are shown, not chosen: the server decided them at sign-in.
    """
    lang = get_lang()
    set_lang(lang)  # mirror into the URL and geo.errors on every run
    options = {"es": "Español", "en": "English"}
    st.sidebar.radio(
        t("comun.idioma"),
        options=list(options),
        format_func=options.get,
        index=list(options).index(lang),
        key=_LANG_WIDGET,
        horizontal=True,
        on_change=_language_changed,
    )
    box = st.sidebar.container(border=True, key="ui_sesion")
    roles = [role_label(who.role, lang)] if who.role else []
    if who.admin:
        roles.append(t("tablero.administracion", lang=lang))
    regions = ("  \n" + t("tablero.regiones", lang=lang) + region_names(who.regions, lang)
               ) if who.role else ""  # an administrator alone sees no region's data
    box.markdown(f"**{escape_markdown(who.name or who.user)}**  \n" + " · ".join(roles)
                 + regions)
    if who.method == "none":
        box.caption(t("tablero.sin_inicio_sesion_demostracion", lang=lang))
    else:
        box.button(t("comun.cerrar_sesion", lang=lang), key="ui_salir",
                   on_click=auth.sign_out, width="stretch")


# Streamlit's own words (it has no translations): each text node it writes in English, by a
# selector on the stable data-testid attributes of streamlit 1.67's DOM, with the catalogue key
# of what to write instead and the text's size (the English is hidden with font-size 0).
_BUILTIN_WORDS = (
    # the upload button of every file uploader, and what shows while a file is dragged over
    ('[data-testid="stFileUploaderDropzone"] [data-testid="stBaseButton-secondary"] '
     '[data-testid="stMarkdownContainer"] p', "paginas.st.subir", "0.875rem"),
    ('[data-testid="stFileUploaderDropzone"] > input + div > span', "paginas.st.soltar",
     "0.875rem"),
    # the multiselect's bulk actions (react-aria options keyed by Streamlit's sentinels)
    ('[data-key="__select_all__"] [data-item-hl]', "paginas.st.seleccionar_todo", "0.875rem"),
    ('[data-key="__select_matches__"] [data-item-hl]', "paginas.st.seleccionar_coincidencias",
     "0.875rem"),
    # an empty list of choices (select box and multiselect)
    ('[role="listbox"][data-empty="true"] [role="option"] > span', "paginas.st.sin_resultados",
     "0.875rem"),
    # under a text or number input being typed in
    ('[data-testid="InputInstructions"] > span:first-child', "paginas.st.enter_aplicar",
     "0.75rem"),
    ('[data-testid="stForm"] [data-testid="InputInstructions"] > span:first-child',
     "paginas.st.enter_enviar", "0.75rem"),
    ('[data-testid="stTextArea"] [data-testid="InputInstructions"] > span:first-child',
     "paginas.st.ctrl_enter_aplicar", "0.75rem"),
)


def builtin_words_css(lang: str) -> str:
    """Return the CSS that writes Streamlit's own English words in ``lang`` ("" for English).

    Streamlit has no translations: its upload button says "Upload", its lists "Select all"
    and "No results". Each of those texts is hidden (``font-size: 0``) and the catalogue's
    word shown in its place (``::after``), by selectors on Streamlit's ``data-testid``
    attributes, so a page's own texts are never touched. The upload limit and file types
    are per uploader: :func:`uploader_css`.

    >>> css = builtin_words_css("es")
    >>> 'content: "Subir archivo"' in css and 'content: "Sin resultados"' in css
    True
    >>> builtin_words_css("en")
    ''
    """
    if lang == "en":
        return ""
    return "\n".join(_replace_text(sel, t(key, lang=lang), size)
                     for sel, key, size in _BUILTIN_WORDS)


def uploader_css(key: str, types: list[str], max_mb: float, lang: str) -> str:
    """Return the CSS that writes the uploader ``key``'s limit line in ``lang`` ("" in English).

    >>> css = uploader_css("plan_viajes", ["csv", "txt"], 200, "es")
    >>> css.startswith(".st-key-plan_viajes [data-testid=")
    True
    >>> 'content: "Hasta 200 MB por archivo • CSV, TXT"' in css
    True
    """
    if lang == "en":
        return ""
    mb = format_number(max_mb, lang, digits=0) + " MB"
    text = t("paginas.st.limite", lang=lang, mb=mb, types=", ".join(x.upper() for x in types))
    return _replace_text(f'.st-key-{key} [data-testid="stFileUploaderDropzoneInstructions"] '
                         "span", text, "0.875rem")


def _replace_text(selector: str, text: str, size: str) -> str:
    quoted = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
    return (f"{selector} {{ font-size: 0 !important; }}\n"
            f'{selector}::after {{ content: "{quoted}"; font-size: {size}; }}')


def builtin_words() -> None:
    """Write Streamlit's own words in the session's language on this page (app.py, per run)."""
    css = builtin_words_css(get_lang())
    if css:
        st.html(f"<style>{css}</style>")  # style only: sent to the event container, no space


def file_uploader(container: Any, label: str, types: list[str], key: str, **kwargs: Any):
    """``container.file_uploader`` whose limit line ("200MB per file • CSV") is in Spanish too.

    Same arguments as :func:`streamlit.file_uploader` (``types`` is its ``type``); the limit
    is the server's ``server.maxUploadSize``.
    """
    css = uploader_css(key, types, float(st.get_option("server.maxUploadSize")), get_lang())
    if css:
        st.html(f"<style>{css}</style>")
    return container.file_uploader(label, type=types, key=key, **kwargs)


#: Height of a table row that holds three lines of wrapped text (st.dataframe wraps a text
#: cell only when its rows are taller than 4rem), and the width of a wrapped column: 7
#: columns of it fit a 1366 px screen.
WRAPPED_ROW, WRAPPED_WIDTH = 66, 150


def table(frame: Any, key: str, main: list[str] | None = None, wrap: tuple[str, ...] = (),
          column_config: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """Show ``frame`` as a table a 1366×768 screen reads whole: few columns, long text wrapped.

    ``main`` (column labels) are the columns shown at first; a switch under the table
    (``<key>_todas``) shows every column — the details on demand. ``wrap`` are columns of
    long text (trip legs, sources): narrow, wrapped on rows three lines tall. Other arguments go to
    :func:`streamlit.dataframe` (``hide_index`` and ``width="stretch"`` by default).
    """
    config = dict(column_config or {})
    columns = list(frame.columns)
    extra = [c for c in columns if main is not None and c not in main]
    if extra and not st.session_state.get(f"{key}_todas", False):
        columns = [c for c in columns if c in main]
    for col in wrap:
        if col in columns and col not in config:
            config[col] = st.column_config.TextColumn(col, width=WRAPPED_WIDTH)
    if any(c in columns for c in wrap):
        kwargs.setdefault("row_height", WRAPPED_ROW)
    kwargs.setdefault("hide_index", True)
    kwargs.setdefault("width", "stretch")
    st.dataframe(frame[columns], column_config=config, key=key, **kwargs)
    if extra:
        st.toggle(t("paginas.todas_columnas", n=len(extra)), key=f"{key}_todas")


def escape_markdown(text: str, keep_code: bool = False) -> str:
    r"""Return ``text`` with markdown's special characters escaped: shown as typed.

    No link, image, HTML, colour directive or formula can come out of it. ``keep_code``
    leaves `code spans` as they are (riskmap's own messages quote commands that way; a
    code span is literal text too).

    >>> escape_markdown("![p](http://x/y.png)")
    '\\!\\[p\\]\\(http\\://x/y\\.png\\)'
    >>> escape_markdown("use `riskmap --debug` [x]", keep_code=True)
    'use `riskmap --debug` \\[x\\]'
    """
    def plain(part: str) -> str:
        return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$:])", r"\\\1", part)

    if not keep_code:
        return plain(text)
    parts = text.split("`")
    return "`".join(plain(p) if i % 2 == 0 else p for i, p in enumerate(parts))


def _language_changed() -> None:
    set_lang(st.session_state[_LANG_WIDGET])


def principal() -> Principal:
    """Return the identity of this run (:func:`dashboard.auth.gate` resolved it)."""
    who = auth.current()
    if who is None:
        raise RiskmapError("tablero.inicie_sesion_ver_pagina")
    return who


def get_role() -> str | None:
    """Return the data role of this run's identity (None for an administrator only)."""
    return principal().role


def get_user() -> str:
    """Return the authenticated identity of this run (what the audit trail records)."""
    return principal().user


def is_planner() -> bool:
    """Whether this run's identity may import and see record-level inspection data."""
    return principal().may_read_records


def role_label(role: str | None, lang: str | None = None) -> str:
    """Plain name of a role, e.g. ``"Gobierno regional"``."""
    return t(f"comun.rol_{role}", lang=lang)


def is_simulated() -> bool:
    """Whether the active settings or the scores' metadata say the data is simulated.

    Unknown (no settings yet) counts as simulated: the default data is the demo world.
    """
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
        st.warning(t("comun.simulados_banner_capas_reales" if _real_layers() else
                     "comun.simulados_banner"), icon="⚠️")


def _real_layers() -> bool:
    """Whether the active settings draw on real public layers (the records may be simulated)."""
    try:
        return any(not f.simulated for f in state.layer_facts().values())
    except RiskmapError:
        return False


#: Where the region chosen on any page is kept for the session (not a widget's key: a widget's
#: state is dropped when its page is left). Each page's switch has the key ``<page>_region``.
REGION_KEY = "region_elegida"


def region_picker(container: Any, key: str):
    """Let the user choose a region of the active scores; return the :class:`state.Region`.

    The choices are the ones the scores contain (:func:`dashboard.state.region_options`):
    all of them first ("Cusco y Loreto (169 distritos)" or "Todo el ámbito (1 891
    distritos)"), then each department. A few choices are a horizontal radio; the 26 of
    all Peru a select box. ``key`` is the widget's (``<page>_region``); the choice is also
    kept under :data:`REGION_KEY`, so the region chosen once holds on every page with a
    switch (Mapa, Distrito, Indicadores, Planificación, Exportar). The choices are only those
    of the identity's regions: a region remembered from elsewhere that it may not see is
    never offered.
    """
    options = state.region_options(principal().regions)
    lang = get_lang()  # bound now: format functions may be called outside the run
    keys = list(options)
    if not keys:
        raise RiskmapError("tablero.capa_sin_distritos_regiones",
                           regions=regions_said(principal().regions))
    held = st.session_state.get(REGION_KEY)
    if held in options and st.session_state.get(key) != held:
        st.session_state[key] = held  # chosen on another page: this page's switch follows
    elif st.session_state.get(key) not in options:
        st.session_state[key] = keys[0]
    widget = container.radio if len(keys) <= 4 else container.selectbox
    extra = {"horizontal": True} if len(keys) <= 4 else {}
    choice = widget(t("comun.region"), keys, key=key,
                    format_func=lambda k: state.region_label(options[k], lang),
                    on_change=_region_changed, args=(key,), **extra)
    st.session_state[REGION_KEY] = choice
    return options.get(choice, options[keys[0]])


def rank_label(region) -> str:
    """Return a rank column's header for ``region``: "Puesto en Cusco", or "Puesto" (all)."""
    if region.key == state.ALL_REGIONS:
        return t("comun.rango")
    return t("paginas.puesto_en", region=region.name)


def _region_changed(key: str) -> None:
    st.session_state[REGION_KEY] = st.session_state.get(key)


def hold_region(key: str) -> None:
    """Make ``key`` (a :class:`state.Region` key) the region every page's switch shows next."""
    st.session_state[REGION_KEY] = key


def regions_said(regions: tuple[str, ...]) -> str | Message:
    """Return the plain names of ``regions``, or every department (a message) when empty.

    >>> regions_said(("08",)), str(regions_said(()))
    ('Cusco', 'todos los departamentos')
    """
    return region_names(regions) if len(regions) else Message("cli.todos_departamentos")


def page_header(title: str, caption: str | None = None) -> None:
    """Show the page's title (and an optional one-line caption under it)."""
    st.title(title)
    if caption:
        st.caption(caption)


def show_error(err: BaseException) -> None:
    """Show ``err`` as a message in the session's language, never as a traceback."""
    # a message quotes file names and cells: escaped, it can never become a link or an image
    if isinstance(err, RiskmapError):
        st.error(escape_markdown(err.message(get_lang()), keep_code=True), icon="🚫")
    else:
        msg = str(err).splitlines()[0][:300] if str(err) else ""
        st.error(t("comun.error_inesperado", kind=type(err).__name__,
                   msg=escape_markdown(msg)), icon="🚫")


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
    target = pages().get(page)
    if target is None:
        raise RiskmapError("tablero.pagina_no_existe_tablero", page=page)
    st.session_state[LANG_KEY] = get_lang()
    st.switch_page(target)


def folium_component(payload: dict[str, Any], key: str, height: int,
                     returned_objects: list[str]) -> dict[str, Any] | None:
    """Show a map rendered beforehand by :func:`dashboard.mapview.folium_payload`.

    The same call ``streamlit_folium.st_folium`` makes to its browser component, minus
    the rendering: a page caches the payload (``st.cache_data``) and a rerun costs only
    the message. Returns what ``st_folium`` returns (the clicked object etc.).
    """
    # streamlit_folium declares its component when first imported, registered only if that
    # happens in a page's run; the server's warm-up imports it before any: register it here
    if runtime.exists():
        runtime.get_instance().component_registry.register_component(sf._component_func)
    hash_key = sf.generate_js_hash(payload["script"], key, False)
    (south, west), (north, east) = payload["bounds"]
    defaults = {
        "last_clicked": None, "last_object_clicked": None, "last_object_clicked_count": None,
        "last_object_clicked_tooltip": None, "last_object_clicked_popup": None,
        "all_drawings": None, "last_active_drawing": None,
        "bounds": {"_southWest": {"lat": south, "lng": west},
                   "_northEast": {"lat": north, "lng": east}},
        "zoom": payload["zoom"], "last_circle_radius": None, "last_circle_polygon": None,
        "selected_layers": None, "selected_tags": None, "last_geocoder_result": None,
    }

    def _on_change() -> None:
        st.session_state[key] = st.session_state.get(hash_key, {})

    return sf._component_func(
        script=payload["script"], header=payload["header"], html=payload["html"],
        id=payload["id"], key=hash_key, height=height, width=None,
        returned_objects=returned_objects,
        default={k: v for k, v in defaults.items() if k in returned_objects},
        zoom=None, center=None, feature_group=None, return_on_hover=False,
        layer_control=None, pixelated=False, css_links=payload["css_links"],
        js_links=payload["js_links"], on_change=_on_change, wrap_longitude=False,
    )


def static_url() -> str:
    """URL prefix under which ``dashboard/static`` is served to the browser."""
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}/app/static" if base else "/app/static"


def caption_sources(meta: dict[str, Any]) -> None:
    """One caption line with model version, config hash and date from the scores' metadata."""
    parts = []
    for key, label in (("version_modelo", t("tablero.modelo")),
                       ("modelo_version", t("tablero.modelo")),
                       ("config_hash", t("tablero.configuracion")),
                       ("fecha", t("tablero.fecha"))):
        if key in meta and meta[key] not in (None, ""):
            value = str(meta[key])
            parts.append(f"{label} {value[:12] if key == 'config_hash' else value}")
    if parts:
        st.caption(" · ".join(parts))
