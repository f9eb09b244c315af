"""Auditoría: the administrator's view of the audit trail — check it, read it, export it."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from dashboard import state, ui
from dashboard.i18n import get_lang, t
from geo.records.sheets import neutralise_frame

ui.page_header(
    t("comun.pag_auditoria"),
    t("auditoria.quien_vio_cambio_inicio"),
)

with ui.guard():
    who = ui.principal()
    if not who.admin:
        st.error(t("comun.pagina_administrador"))
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
    chosen = c1.multiselect(t("auditoria.acciones"), actions, key="auditoria_acciones",
                            placeholder=t("comun.todas"))
    person = c2.text_input(t("auditoria.usuario_contiene"), key="auditoria_usuario",
                           max_chars=80)
    last = c3.number_input(t("auditoria.ultimas_filas"), min_value=10, max_value=5000,
                           value=200, step=50, key="auditoria_n")
    shown = trail
    if chosen:
        shown = shown[shown["accion"].isin(chosen)]
    if person.strip():
        shown = shown[shown["usuario"].str.contains(person.strip(), case=False, regex=False)]

    shown = neutralise_frame(shown.tail(int(last)).iloc[::-1])  # its CSV opens in Excel
    st.dataframe(pd.DataFrame({
        t("comun.fila"): shown["id"], t("comun.fecha_hora_utc"):
            shown["fecha_hora"], t("comun.usuario_2"): shown["usuario"],
        t("comun.rol"): shown["rol"], t("auditoria.accion"): shown["accion"],
        t("auditoria.detalle"): shown["detalle"].map(
            lambda d: ", ".join(f"{k}={v}" for k, v in json.loads(d).items())),
        t("auditoria.huella"): shown["hash"].str[:16]}), hide_index=True, width="stretch")

    def _export() -> bytes:
        store.record_event("exportacion_auditoria", {"formato": "csv", "filas": len(trail)})
        return neutralise_frame(trail).to_csv(index=False).encode("utf-8-sig")

    st.download_button(t("auditoria.descargar_toda_auditoria_csv"),
                       data=_export, file_name="auditoria.csv", mime="text/csv",
                       key="auditoria_descargar", on_click="ignore")
