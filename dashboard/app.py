"""The riskmap dashboard script, served by ``riskmap serve`` (``dashboard/server.py``).

Reads the artefacts of the active settings (``$RISKMAP_CONFIG`` or the demo world's
``settings.toml``) — scores, district table, model card, inspection store — and never
recomputes them per visit. Spanish first; English by the switch in the sidebar.

Every run starts at the gate (:func:`dashboard.auth.gate`): without an identity the
server vouches for, nothing but the sign-in prompt is drawn — no navigation, no page.
The pages offered depend on the identity: the data pages for a data role, the user and
audit pages for an administrator. Each page an identity opens is written to the audit
trail.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

# `streamlit run dashboard/app.py` puts dashboard/ on sys.path, not the repository root.
_ROOT = Path(__file__).resolve().parent.parent
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from dashboard import auth, ui  # noqa: E402 - needs the path fix above
from dashboard.i18n import t, use_session_language  # noqa: E402

_HERE = Path(__file__).resolve().parent

st.set_page_config(
    page_title="riskmap — " + t("comun.app_titulo"),
    page_icon="🗺️",
    layout="wide",
    initial_sidebar_state="expanded",
)


# The page scripts live in views/, not pages/: a folder named pages/ next to the main
# script makes Streamlit start in its legacy multipage mode, where a deep link ran the
# page file alone until st.navigation had been called once.
VIEWS = "views"
PAGE_SPECS = (  # key, file, title key, Material icon (bundled with Streamlit: works offline)
    ("mapa", "mapa.py", "comun.pag_mapa", ":material/map:"),
    ("distrito", "distrito.py", "comun.pag_distrito", ":material/location_on:"),
    ("indicadores", "indicadores.py", "comun.pag_indicadores", ":material/diversity_3:"),
    ("planificacion", "planificacion.py", "comun.pag_planificacion", ":material/route:"),
    ("modelo", "modelo.py", "comun.pag_modelo", ":material/monitoring:"),
    ("datos", "datos.py", "comun.pag_datos", ":material/upload_file:"),
    ("exportar", "exportar.py", "comun.pag_exportar", ":material/download:"),
)
ADMIN_PAGE_SPECS = (
    ("usuarios", "usuarios.py", "comun.pag_usuarios", ":material/group:"),
    ("auditoria", "auditoria.py", "comun.pag_auditoria", ":material/fact_check:"),
)


DEFAULT = "mapa"
# The default page is served at "/", whatever its url_path; this internal name only has
# to differ from the public alias below.
DEFAULT_INTERNAL_PATH = "inicio"


def _pages(who) -> dict[str, st.Page]:
    """Return the pages ``who`` may open: data pages for a data role, admin pages for admins.

    Planning is the planner's: the plan is made of record-level evidence (past inspections
    per district), so other roles do not get the page.
    """
    data = tuple(p for p in PAGE_SPECS if p[0] != "planificacion" or who.may_read_records)
    specs = (data if who.may_see_data else ()) + (ADMIN_PAGE_SPECS if who.admin else ())
    first = specs[0][0]
    pages = {}
    for key, file, title, icon in specs:
        if (_HERE / VIEWS / file).is_file():  # planificacion.py is optional
            pages[key] = st.Page(f"{VIEWS}/{file}", title=t(title), icon=icon,
                                 url_path=DEFAULT_INTERNAL_PATH if key == first else key,
                                 default=key == first)
    return pages


def _audit_page(who, page) -> None:
    """Write the page to the audit trail when this session opens it (not on every rerun)."""
    key = next((k for k, p in ui.pages().items() if p is page), page.url_path or DEFAULT)
    if st.session_state.get("_auditoria_pagina") == key:
        return
    st.session_state["_auditoria_pagina"] = key
    auth.store_for(who).record_event("pagina", {"pagina": key})


def _to_default() -> None:
    """Send a link to ``/mapa`` to the map at ``/`` (the default page's only URL)."""
    st.switch_page(ui.pages()[DEFAULT])


use_session_language()  # this run (its own thread) speaks the session's language
ui.builtin_words()  # Streamlit's own words ("Upload", "Select all") in that language
who = auth.gate()  # no identity: only the sign-in prompt, and the run stops here
ui.sidebar(who)
ui.set_pages(_pages(who))
# /mapa is a hidden alias of the default page, so that an old or typed link to it opens
# the map instead of Streamlit's "Page not found" dialog.
extra = [st.Page(_to_default, title=t("comun.pag_mapa"), url_path=DEFAULT, visibility="hidden")] \
    if DEFAULT in ui.pages() else []
navigation = st.navigation([*ui.pages().values(), *extra])
st.sidebar.caption(t("comun.app_subtitulo"))
with ui.guard():
    ui.simulated_banner()
    _audit_page(who, navigation)
navigation.run()
