"""Usuarios: the administrator's page — accounts, roles, regions, passwords."""

from __future__ import annotations

import secrets

import pandas as pd
import streamlit as st

from dashboard import auth, state, ui
from dashboard.i18n import get_lang, t
from geo.errors import RiskmapError
from geo.trust.access import DATA_ROLES, REGION_NAMES, region_names
from geo.trust.accounts import MIN_PASSWORD, validate_password

ui.page_header(
    t("comun.pag_usuarios"),
    t("usuarios.cuentas_locales_tablero_quien"),
)
_TYPED_HELP = t("usuarios.vacia_azar_muestra_vez", min_password=MIN_PASSWORD)


def _new_password(name: str) -> str:
    """A random passphrase-like password (about 100 bits), to hand over in person."""
    for _ in range(20):  # the rare draw that contains a two-letter user name is drawn again
        password = "-".join(secrets.token_urlsafe(6) for _ in range(3))
        try:
            validate_password(password, name)
        except RiskmapError:
            continue
        break
    return password  # (a name no draw avoids is not a valid name: adding it says so)


with ui.guard():
    who = ui.principal()
    if not who.admin:
        st.error(t("comun.pagina_administrador"))
        st.stop()
    settings = state.settings()
    if settings.auth.mode != "local":
        st.info(t("usuarios.inicio_sesion_cuentas_lleva", mode=settings.auth.mode))
        st.stop()
    users = auth.users(settings.auth)
    audit = auth.store_for(who)
    lang = get_lang()
    shown = st.session_state.pop("_usuarios_clave_nueva", None)
    if shown:
        name = ui.escape_markdown(shown[0])
        st.success(t("usuarios.contrasena_entreguela_persona_no", name=name,
                     shown=shown[1]), icon=":material/key:")

    accounts = sorted(users.accounts().values(), key=lambda a: a.name)
    table = pd.DataFrame([{
        t("comun.usuario_2"): a.name,
        t("usuarios.nombre"): a.display,
        t("comun.rol"): "+".join([*([ui.role_label(a.role)] if a.role else []),
                                     *(["admin"] if a.admin else [])]),
        t("usuarios.regiones"): region_names(a.regions, lang),
        t("usuarios.activa"): t("comun.yes") if a.active else t("comun.no"),
        t("usuarios.cambiada"): a.changed[:16].replace("T", " "),
    } for a in accounts])
    st.dataframe(table, hide_index=True, width="stretch")

    st.markdown("#### " + t("usuarios.crear_cuenta"))
    with st.form("usuarios_nueva", clear_on_submit=True):
        c1, c2 = st.columns(2)
        name = c1.text_input(t("comun.text.user"), max_chars=64,
                             placeholder="ana.quispe", key="usuarios_nuevo_nombre")
        display = c2.text_input(t("usuarios.nombre_mostrar"), max_chars=80)
        c3, c4, c5 = st.columns(3)
        role = c3.selectbox(t("comun.rol"), [*DATA_ROLES, ""],
                            format_func=lambda r: (ui.role_label(r) if r else
                                                   t("usuarios.ninguno_solo_administracion")))
        admin = c4.checkbox(t("usuarios.tambien_administra"))
        regions = c5.multiselect(t("usuarios.regiones"), list(REGION_NAMES),
                                 format_func=REGION_NAMES.get,
                                 placeholder=t("comun.todas"))
        typed = st.text_input(t("usuarios.contrasena_opcional"),
                              type="password", max_chars=256, help=_TYPED_HELP,
                              key="usuarios_nueva_clave")
        if st.form_submit_button(t("usuarios.crear_cuenta_2"), type="primary"):
            with ui.guard():  # a refused name or password: said here, the page goes on
                password = typed or _new_password(name)
                account = users.add(name, role or None, admin=admin or not role,
                                    regions=tuple(regions), password=password,
                                    display=display)
                audit.record_event("usuario_creado", {
                    "cuenta": account.name, "rol": account.role, "admin": account.admin,
                    "regiones": list(account.regions)})
                if not typed:  # a typed password is never shown back
                    st.session_state["_usuarios_clave_nueva"] = (account.name, password)
                st.rerun()

    if accounts:
        st.markdown("#### " + t("usuarios.cambiar_cuenta"))
        c1, c2 = st.columns([2, 3])
        target = c1.selectbox(t("usuarios.cuenta"), [a.name for a in accounts],
                              key="usuarios_cuenta")
        account = users.get(target)
        typed = c1.text_input(t("usuarios.nueva_contrasena_opcional"),
                              type="password", max_chars=256, help=_TYPED_HELP,
                              key="usuarios_clave_escrita")
        b1, b2, b3 = c2.columns(3)
        if b1.button(t("usuarios.nueva_contrasena"), key="usuarios_clave"):
            with ui.guard():  # a refused password: said here, the page goes on
                password = typed or _new_password(target)
                users.passwd(target, password)
                closed = auth.access_store(settings.auth).close_user(target)
                audit.record_event("contrasena_cambiada", {"cuenta": target,
                                                           "sesiones_cerradas": closed})
                if not typed:
                    st.session_state["_usuarios_clave_nueva"] = (target, password)
                st.rerun()
        if account is not None and account.active and target != who.user and \
                b2.button(t("usuarios.desactivar"), key="usuarios_desactivar"):
            users.set_active(target, False)
            closed = auth.access_store(settings.auth).close_user(target)
            audit.record_event("usuario_desactivado", {"cuenta": target,
                                                       "sesiones_cerradas": closed})
            st.rerun()
        if account is not None and not account.active and \
                b2.button(t("usuarios.activar"), key="usuarios_activar"):
            users.set_active(target, True)
            audit.record_event("usuario_activado", {"cuenta": target})
            st.rerun()
        if target != who.user and b3.button(t("usuarios.borrar"), key="usuarios_borrar"):
            users.remove(target)
            closed = auth.access_store(settings.auth).close_user(target)
            audit.record_event("usuario_borrado", {"cuenta": target, "sesiones_cerradas": closed})
            st.rerun()
        if target == who.user:
            st.caption(t("usuarios.propia_cuenta_no_desactiva"))
