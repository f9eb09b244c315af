"""Who is using the dashboard: the identity the server established, per script run.

``dashboard/app.py`` calls :func:`gate` first thing on every run. It resolves the
:class:`geo.trust.access.Principal` from what only the server can vouch for, by the settings'
``[auth] mode``:

* ``local`` — the HttpOnly session cookie set by the sign-in page (``/acceso``, served by
  :mod:`dashboard.server`), looked up in the server's session table
  (:class:`geo.trust.accounts.AccessStore`) against the users file;
* ``oidc`` — Streamlit's own ``st.login`` / ``st.user`` (the identity provider's signed
  ID token, kept in Streamlit's signed cookie), mapped to a role and regions by the
  settings' rules — never by the provider's claims alone;
* ``none`` — a demonstration visitor with ``[auth] demo_role``, allowed only while the data
  is simulated.

Without an identity, :func:`gate` shows the sign-in prompt (nothing else: no page, no
navigation, no data) and stops the run. Pages read the identity with :func:`current`.
It lives in a thread-local set by :func:`gate`, never in ``st.session_state``, which a
browser can write to through widget values. The rules that need no Streamlit (may these
settings be served, whom an OIDC sign-in maps to) are in :mod:`dashboard.signin_rules`.
"""

from __future__ import annotations

import hashlib
import threading
import time
from pathlib import Path
from typing import NoReturn

import streamlit as st

from dashboard import state
from dashboard.i18n import get_lang, t
from dashboard.signin_rules import COOKIE, mode_refusal, oidc_identity, oidc_principal
from geo import paths
from geo.config import AuthSpec, Settings
from geo.errors import RiskmapError
from geo.records.store import ROL_SISTEMA, InspectionStore
from geo.trust.access import Principal
from geo.trust.accounts import AccessStore, Users

__all__ = [
    "COOKIE",
    "OIDC_PROVIDER",
    "SIGNIN_PATH",
    "SIGNOUT_PATH",
    "access_store",
    "current",
    "gate",
    "mode_refusal",
    "oidc_identity",
    "oidc_principal",
    "sign_out",
    "store_for",
    "users",
]

SIGNIN_PATH = "acceso"
SIGNOUT_PATH = "salir"
OIDC_PROVIDER = "riskmap"  # the provider's name in Streamlit's [auth] secrets
_local = threading.local()


def users_path(spec: AuthSpec) -> Path:
    """Return the users file of these settings (``[auth] users_file`` or the default)."""
    return spec.users_file or paths.users_file()


@st.cache_resource(show_spinner=False)
def _users(path: str) -> Users:
    return Users(path)


def users(spec: AuthSpec) -> Users:
    """Return the users file reader (one per path; re-read when the file changes)."""
    return _users(str(users_path(spec)))


@st.cache_resource(show_spinner=False)
def _access(path: str, failures: int, minutes: float, hours: float) -> AccessStore:
    return AccessStore(path, max_failures=failures, lockout_minutes=minutes,
                       session_hours=hours)


def access_store(spec: AuthSpec) -> AccessStore:
    """Return the sessions and sign-in attempts of this deployment."""
    return _access(str(paths.access_db()), spec.max_failures, spec.lockout_minutes,
                   spec.session_hours)


def store_for(principal: Principal):
    """Open the inspection store as ``principal`` (its role, regions, identity)."""
    return InspectionStore.for_principal(state.settings().store_path, principal)


# --------------------------------------------------------------------------------------
def current() -> Principal | None:
    """Return the identity of this run, as :func:`gate` resolved it (None before it)."""
    return getattr(_local, "principal", None)


def gate() -> Principal:
    """Resolve this run's identity, or show only the sign-in prompt and stop the run."""
    _local.principal = None
    try:
        settings = state.settings()
    except RiskmapError as err:  # no settings yet: there is no data to protect either
        message = err.message(get_lang())
        _only(lambda: st.error(message, icon=":material/block:"))
    refusal = mode_refusal(settings)
    if refusal is not None:
        _only(lambda: st.error(refusal.message(get_lang()), icon=":material/lock:"))
    spec = settings.auth
    if spec.mode == "none":
        principal = Principal("visitante", role=spec.demo_role, method="none",
                              name=t("acceso.visitante_demostracion"))
    elif spec.mode == "local":
        principal = _local_principal(spec)
    else:
        principal = _oidc_gate(settings)
    if not (principal.may_see_data or principal.admin):
        _only(lambda: st.error(t("acceso.cuenta_no_tiene_ningun"),
            icon=":material/lock:"))
    _local.principal = principal
    return principal


def _only(render) -> NoReturn:
    """Show ``render`` as the whole app — no navigation, no other page — and stop the run.

    Registering a single hidden page also clears the navigation a signed-in run drew
    before (after a sign-out, the old page links must not stay on screen).
    """
    st.navigation([st.Page(render, title="riskmap", url_path="acceso-requerido",
                           default=True)], position="hidden").run()
    st.stop()


def _token() -> str | None:
    try:
        token = st.context.cookies.get(COOKIE)
    except Exception:  # noqa: BLE001 - no request context: no cookie
        return None
    return token if isinstance(token, str) and token else None  # AppTest has a mock


def _local_principal(spec: AuthSpec) -> Principal:
    token = _token()
    principal = access_store(spec).principal(token, users(spec)) if token else None
    if principal is None:
        _only(lambda: _signin_prompt(ended=bool(token)))
    return principal


def _signin_prompt(ended: bool) -> None:
    """Show the only thing a visitor without a session sees: a link to sign in."""
    st.title(t("acceso.riskmap_iniciar_sesion"))
    if ended:
        st.info(t("acceso.sesion_termino_cerro_expiro"),
                icon=":material/lock:")
    else:
        st.info(t("acceso.tablero_guarda_registros_inspeccion"), icon=":material/lock:")
    # st.html keeps the link in this tab (st.link_button and markdown links open a new one)
    lang = "?lang=en" if get_lang() == "en" else ""
    st.html(f'<a href="{_base()}/{SIGNIN_PATH}{lang}" data-testid="riskmap-signin-link" '
            'style="display:inline-block;padding:0.5rem 1rem;border-radius:0.5rem;'
            'background:#b30000;color:white;text-decoration:none">'
            + t("comun.iniciar_sesion") + "</a>")


def _base() -> str:
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}" if base else ""


def _oidc_gate(settings: Settings) -> Principal:
    spec = settings.auth
    assert spec.oidc is not None
    user = st.user
    if not user.is_logged_in:
        _only(_oidc_prompt)
    claims = user.to_dict()
    issued = float(claims.get("iat") or 0)
    if issued and time.time() > issued + spec.session_hours * 3600:
        def expired() -> None:
            st.info(t("acceso.sesion_paso_horas_termino",
                      session_hours=spec.session_hours), icon=":material/lock:")
            if st.button(t("acceso.volver_iniciar_sesion"),
                         key="auth_oidc_again"):
                st.logout()

        _only(expired)
    principal = oidc_principal(claims, spec.oidc)
    ident = oidc_identity(claims, spec.oidc)
    key = hashlib.sha256(f"{claims.get('iss')}|{claims.get('sub')}|{issued}".encode()
                         ).hexdigest()
    if access_store(spec).note_external(key, ident, issued + spec.session_hours * 3600):
        store = store_for(principal) if principal else None
        event = ("inicio_sesion", {"metodo": "oidc"}) if principal else (
            "acceso_denegado", {"metodo": "oidc", "motivo": "sin regla"})
        (store or _system_store()).record_event(
            *event, user=ident, role=principal.label if principal else "ninguno")
    if principal is None:
        def refused() -> None:
            st.title("riskmap")
            st.error(t("acceso.cuenta_inicio_sesion_no", ident=ident), icon=":material/lock:")
            if st.button(t("comun.cerrar_sesion"), key="auth_oidc_out"):
                st.logout()

        _only(refused)
    return principal


def _oidc_prompt() -> None:
    st.title(t("acceso.riskmap_iniciar_sesion"))
    st.info(t("acceso.inicie_sesion_con_cuenta"), icon=":material/lock:")
    if st.button(t("acceso.iniciar_sesion_con_cuenta"), type="primary",
                 key="auth_oidc_login"):
        st.login(OIDC_PROVIDER)


def _system_store():
    return InspectionStore(state.settings().store_path, role=ROL_SISTEMA, user="tablero")


def sign_out() -> None:
    """End this session on the server (and at the identity provider, for OIDC).

    A button's callback runs before the next run's :func:`gate`, so the identity is
    resolved here again, from the session itself, for the audit trail.
    """
    spec = state.settings().auth
    principal = None
    if spec.mode == "local":
        principal = access_store(spec).principal(_token(), users(spec))
    elif spec.mode == "oidc" and spec.oidc is not None and st.user.is_logged_in:
        principal = oidc_principal(st.user.to_dict(), spec.oidc)
    if principal is not None:
        store_for(principal).record_event("cierre_sesion", {"metodo": spec.mode})
    if spec.mode == "local":
        access_store(spec).close(_token())
        st.rerun()
    elif spec.mode == "oidc":
        st.logout()
