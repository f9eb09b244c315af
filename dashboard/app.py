"""The riskmap dashboard: ``riskmap serve`` (or ``streamlit run dashboard/app.py``).

Reads the artefacts of the active settings (``$RISKMAP_CONFIG`` or the demo world's
``settings.toml``) — scores, district table, model card, inspection store — and never
recomputes them per visit. Spanish first; English by the switch in the sidebar.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

# `streamlit run dashboard/app.py` puts dashboard/ on sys.path, not the repository root.
_ROOT = Path(__file__).resolve().parent.parent
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from dashboard import ui  # noqa: E402 - needs the path fix above
from dashboard.i18n import t  # noqa: E402

_HERE = Path(__file__).resolve().parent

st.set_page_config(
    page_title="riskmap — " + t("app_titulo"),
    page_icon="🗺️",
    layout="wide",
    initial_sidebar_state="expanded",
)


def _pages() -> dict[str, st.Page]:
    pages = {
        "mapa": st.Page("pages/mapa.py", title=t("pag_mapa"), icon="🗺️", url_path="mapa",
                        default=True),
        "distrito": st.Page("pages/distrito.py", title=t("pag_distrito"), icon="📍",
                            url_path="distrito"),
    }
    if (_HERE / "pages" / "planificacion.py").is_file():
        pages["planificacion"] = st.Page("pages/planificacion.py", title=t("pag_planificacion"),
                                         icon="🧭", url_path="planificacion")
    pages["modelo"] = st.Page("pages/modelo.py", title=t("pag_modelo"), icon="📈",
                              url_path="modelo")
    pages["datos"] = st.Page("pages/datos.py", title=t("pag_datos"), icon="📥", url_path="datos")
    pages["exportar"] = st.Page("pages/exportar.py", title=t("pag_exportar"), icon="📤",
                                url_path="exportar")
    return pages


ui.sidebar()
ui.PAGES.clear()
ui.PAGES.update(_pages())
navigation = st.navigation(list(ui.PAGES.values()))
st.sidebar.caption(t("app_subtitulo"))
with ui.guard():
    ui.simulated_banner()
navigation.run()
