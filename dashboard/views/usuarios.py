"""Usuarios: the administrator's page — accounts, roles, regions, passwords."""

from __future__ import annotations

import secrets

import pandas as pd
import streamlit as st

from dashboard import auth, state, ui
from dashboard.i18n import get_lang, tr
from geo.errors import RiskmapError
from geo.trust.access import DATA_ROLES, REGION_NAMES, region_names
from geo.trust.accounts import MIN_PASSWORD, validate_password

ui.page_header(
    tr("Usuarios", "Users"),
    tr("Cuentas locales del tablero: quién entra, con qué rol y a qué regiones. Las "
       "contraseñas se guardan como hashes argon2id; una contraseña nueva al azar se muestra "
       "una sola vez.",
       "The dashboard's local accounts: who signs in, with which role and for which regions. "
       "Passwords are kept as argon2id hashes; a new random password is shown only once."),
)
_TYPED_HELP = tr(
    f"Vacía: una al azar, que se muestra una vez. Si la escribe: al menos {MIN_PASSWORD} "
    "caracteres, ni una de las contraseñas más usadas ni fácil de adivinar; mejor una frase "
    "de tres o cuatro palabras que no suelan ir juntas.",
    f"Empty: a random one, shown once. If you type one: at least {MIN_PASSWORD} characters, "
    "not one of the most used passwords nor easy to guess; best a phrase of three or four "
    "words that do not usually go together.")


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
        st.error(tr("Esta página es del administrador.", "This page is the administrator's."))
        st.stop()
    settings = state.settings()
    if settings.auth.mode != "local":
        st.info(tr(f"El inicio de sesión es «{settings.auth.mode}»: las cuentas las lleva el "
                   "proveedor de identidad y los roles, las reglas de [auth.oidc] en la "
                   "configuración.",
                   f"Sign-in is '{settings.auth.mode}': accounts live at the identity provider "
                   "and roles in the [auth.oidc] rules of the settings."))
        st.stop()
    users = auth.users(settings.auth)
    audit = auth.store_for(who)
    lang = get_lang()
    shown = st.session_state.pop("_usuarios_clave_nueva", None)
    if shown:
        name = ui.escape_markdown(shown[0])
        st.success(tr(f"Contraseña de «{name}»: `{shown[1]}` — entréguela en persona; no "
                      "se vuelve a mostrar.",
                      f"Password of '{name}': `{shown[1]}` — hand it over in person; it "
                      "is not shown again."), icon=":material/key:")

    accounts = sorted(users.accounts().values(), key=lambda a: a.name)
    table = pd.DataFrame([{
        tr("Usuario", "User"): a.name,
        tr("Nombre", "Name"): a.display,
        tr("Rol", "Role"): "+".join([*([ui.role_label(a.role)] if a.role else []),
                                     *(["admin"] if a.admin else [])]),
        tr("Regiones", "Regions"): region_names(a.regions, lang),
        tr("Activa", "Active"): tr("Sí", "Yes") if a.active else tr("No", "No"),
        tr("Cambiada", "Changed"): a.changed[:16].replace("T", " "),
    } for a in accounts])
    st.dataframe(table, hide_index=True, width="stretch")

    st.markdown("#### " + tr("Crear una cuenta", "Create an account"))
    with st.form("usuarios_nueva", clear_on_submit=True):
        c1, c2 = st.columns(2)
        name = c1.text_input(tr("Usuario", "User name"), max_chars=64,
                             placeholder="ana.quispe", key="usuarios_nuevo_nombre")
        display = c2.text_input(tr("Nombre para mostrar", "Display name"), max_chars=80)
        c3, c4, c5 = st.columns(3)
        role = c3.selectbox(tr("Rol", "Role"), [*DATA_ROLES, ""],
                            format_func=lambda r: ui.role_label(r) if r else tr(
                                "(ninguno: solo administración)", "(none: administration only)"))
        admin = c4.checkbox(tr("También administra", "Also administers"))
        regions = c5.multiselect(tr("Regiones", "Regions"), list(REGION_NAMES),
                                 format_func=REGION_NAMES.get,
                                 placeholder=tr("todas", "all"))
        typed = st.text_input(tr("Contraseña (opcional)", "Password (optional)"),
                              type="password", max_chars=256, help=_TYPED_HELP,
                              key="usuarios_nueva_clave")
        if st.form_submit_button(tr("Crear la cuenta", "Create the account"), type="primary"):
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
        st.markdown("#### " + tr("Cambiar una cuenta", "Change an account"))
        c1, c2 = st.columns([2, 3])
        target = c1.selectbox(tr("Cuenta", "Account"), [a.name for a in accounts],
                              key="usuarios_cuenta")
        account = users.get(target)
        typed = c1.text_input(tr("Nueva contraseña (opcional)", "New password (optional)"),
                              type="password", max_chars=256, help=_TYPED_HELP,
                              key="usuarios_clave_escrita")
        b1, b2, b3 = c2.columns(3)
        if b1.button(tr("Nueva contraseña", "New password"), key="usuarios_clave"):
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
                b2.button(tr("Desactivar", "Disable"), key="usuarios_desactivar"):
            users.set_active(target, False)
            closed = auth.access_store(settings.auth).close_user(target)
            audit.record_event("usuario_desactivado", {"cuenta": target,
                                                       "sesiones_cerradas": closed})
            st.rerun()
        if account is not None and not account.active and \
                b2.button(tr("Activar", "Enable"), key="usuarios_activar"):
            users.set_active(target, True)
            audit.record_event("usuario_activado", {"cuenta": target})
            st.rerun()
        if target != who.user and b3.button(tr("Borrar", "Remove"), key="usuarios_borrar"):
            users.remove(target)
            closed = auth.access_store(settings.auth).close_user(target)
            audit.record_event("usuario_borrado", {"cuenta": target, "sesiones_cerradas": closed})
            st.rerun()
        if target == who.user:
            st.caption(tr("Su propia cuenta no se desactiva ni se borra desde aquí.",
                          "Your own account is not disabled or removed from here."))
