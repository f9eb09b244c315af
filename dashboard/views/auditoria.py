"""Auditoría: the administrator's view of the audit trail — check it, read it, export it."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from dashboard import state, ui
from dashboard.i18n import get_lang, tr
from geo.records.sheets import neutralise_frame

ui.page_header(
    tr("Auditoría", "Audit trail"),
    tr("Quién vio o cambió qué, y cuándo: cada inicio de sesión, página, distrito, "
       "exportación e importación. Las filas están encadenadas y selladas: la comprobación "
       "nombra cualquier fila editada o borrada.",
       "Who saw or changed what, and when: every sign-in, page, district, export and import. "
       "The rows are hash-chained and sealed: the check names any edited or deleted row."),
)

with ui.guard():
    who = ui.principal()
    if not who.admin:
        st.error(tr("Esta página es del administrador.", "This page is the administrator's."))
        st.stop()
    store = state.store(who)
    report = store.verify_audit()
    lang = get_lang()
    if report.ok:
        st.success(report.render(lang), icon=":material/verified:")
    else:
        st.error(report.render(lang), icon=":material/gpp_bad:")
    trail = store.audit()  # the read itself is audited
    c1, c2, c3 = st.columns(3)
    actions = sorted(trail["accion"].unique())
    chosen = c1.multiselect(tr("Acciones", "Actions"), actions, key="auditoria_acciones",
                            placeholder=tr("todas", "all"))
    person = c2.text_input(tr("Usuario contiene", "User contains"), key="auditoria_usuario",
                           max_chars=80)
    last = c3.number_input(tr("Últimas filas", "Latest rows"), min_value=10, max_value=5000,
                           value=200, step=50, key="auditoria_n")
    shown = trail
    if chosen:
        shown = shown[shown["accion"].isin(chosen)]
    if person.strip():
        shown = shown[shown["usuario"].str.contains(person.strip(), case=False, regex=False)]

    shown = neutralise_frame(shown.tail(int(last)).iloc[::-1])  # its CSV opens in Excel
    st.dataframe(pd.DataFrame({
        tr("Fila", "Row"): shown["id"], tr("Fecha y hora (UTC)", "Date and time (UTC)"):
            shown["fecha_hora"], tr("Usuario", "User"): shown["usuario"],
        tr("Rol", "Role"): shown["rol"], tr("Acción", "Action"): shown["accion"],
        tr("Detalle", "Detail"): shown["detalle"].map(
            lambda d: ", ".join(f"{k}={v}" for k, v in json.loads(d).items())),
        tr("Huella", "Hash"): shown["hash"].str[:16]}), hide_index=True, width="stretch")

    def _export() -> bytes:
        store.record_event("exportacion_auditoria", {"formato": "csv", "filas": len(trail)})
        return neutralise_frame(trail).to_csv(index=False).encode("utf-8-sig")

    st.download_button(tr("Descargar toda la auditoría (CSV)", "Download the whole trail (CSV)"),
                       data=_export, file_name="auditoria.csv", mime="text/csv",
                       key="auditoria_descargar", on_click="ignore")
