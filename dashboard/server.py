"""The served dashboard: Streamlit's ASGI app plus sign-in, sign-out and a gate.

``riskmap serve`` runs ``streamlit run dashboard/server.py``; Streamlit finds the ``app``
below (an ``st.App``) and serves ``dashboard/app.py`` through it, with:

* ``GET/POST /acceso`` — the sign-in page of ``[auth] mode = "local"``: a plain HTML form
  (no script, works on any browser and a slow link), protected against cross-site
  requests by a double-submit token, rate-limited by the lockout rule of
  :func:`geo.trust.accounts.sign_in`. A right password sets the session cookie: random,
  ``HttpOnly`` (no script can read it), ``SameSite=Strict``, ``Secure`` behind HTTPS
  (``[auth] secure_cookie``), lasting ``[auth] session_hours``.
  A right password also sets a *device cookie* (``riskmap_dispositivo``, path ``/acceso``
  only, 90 days): that browser is then exempt, for that account, from the wait its
  address earns by others' failures and from a lock of the name
  (:func:`geo.trust.accounts.sign_in`).
* ``GET /salir`` — ends the session on the server and clears the cookie.
* :class:`ClientAddress` — who the client is: the TCP peer, or, only when the peer is one
  of ``[auth] trusted_proxies``, what its ``X-Forwarded-For`` / ``X-Real-IP`` /
  ``X-Forwarded-Proto`` say (:func:`geo.trust.accounts.client_address`). ``riskmap serve``
  turns uvicorn's own reading of those headers off (``FORWARDED_ALLOW_IPS=""``): by
  default it believes them from 127.0.0.1, so any client of a local proxy could name
  its own address.
* :class:`SignInGate` — in local mode, a page request without a live session goes to
  ``/acceso`` and downloads and uploads (``/media``, ``/_stcore/upload_file``) are
  refused; in OIDC mode, downloads and uploads need Streamlit's signed sign-in cookie.
  ``/_stcore/metrics`` (sessions, memory, cache sizes) is for administrators only, and
  off without sign-in. The app script itself checks the identity again on every run
  (:func:`dashboard.auth.gate`).
* for OIDC, Streamlit's ``st.login`` gets its provider from the settings' ``[auth.oidc]``
  (the client secret from the environment, the cookie secret from a private file).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hmac
import html
import ipaddress
import json
import logging
import os
import secrets
import shutil
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

# `streamlit run dashboard/server.py` puts dashboard/ on sys.path, not the repository root.
_ROOT = Path(__file__).resolve().parent.parent
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

import anyio  # noqa: E402 - after the path fix
import esda.getisord  # noqa: E402, F401 - hot spots: loaded before the first visitor (warm_up)
import sklearn.linear_model  # noqa: E402, F401 - the model, likewise
import streamlit as st  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402
from starlette.requests import HTTPConnection, Request  # noqa: E402
from starlette.responses import HTMLResponse, RedirectResponse, Response  # noqa: E402
from starlette.routing import Route  # noqa: E402

from dashboard import state, ui  # noqa: E402
from dashboard.signin_rules import COOKIE, oidc_principal  # noqa: E402
from geo import paths  # noqa: E402
from geo.config import Settings, load_settings  # noqa: E402
from geo.messages import t as _catalogue_t  # noqa: E402
from geo.records.store import InspectionStore  # noqa: E402
from geo.trust.accounts import (  # noqa: E402
    DEVICE_DAYS,
    AccessStore,
    Users,
    client_address,
    is_trusted_proxy,
    sign_in,
)

try:  # Streamlit's own helpers for its signed sign-in cookie (OIDC); private, they may move
    from streamlit.auth_util import get_cookie_with_chunks
    from streamlit.web.server.server_util import get_cookie_secret
    from streamlit.web.server.starlette.starlette_app_utils import decode_signed_value
    from streamlit.web.server.starlette.starlette_server_config import USER_COOKIE_NAME
except ImportError:  # then no OIDC cookie is ever believed: fail closed (_streamlit_user)
    get_cookie_with_chunks = None

CSRF_COOKIE = "riskmap_csrf"
DEVICE_COOKIE = "riskmap_dispositivo"
SIGNIN = "/acceso"
SIGNOUT = "/salir"
METRICS = "/_stcore/metrics"  # Streamlit's counters: administrators only
# Requests that need no session: the sign-in page itself, health checks, and the public
# code the browser loads before it can show the sign-in prompt.
OPEN_PATHS = (SIGNIN, SIGNOUT, "/_stcore/health", "/_stcore/host-config", "/favicon.ico",
              "/manifest.json", "/oauth2callback")
OPEN_PREFIXES = ("/static/", "/app/static/", "/auth/")  # /auth/: Streamlit's OIDC routes
PROTECTED_PREFIXES = ("/media/", "/_stcore/upload_file", "/_stcore/stream")
# Argon2 costs ~64 MiB and tens of milliseconds: at most two checks at a time, off the
# event loop, so a burst of sign-in attempts cannot stall everyone's map.
_CHECKS = anyio.Semaphore(2)


# --------------------------------------------------------------------------------------
# settings (read per request, cached on the file's modification time)
_cache: dict[str, Any] = {}


def settings() -> Settings | None:
    """Return the active settings, or None before ``riskmap prepare`` wrote them."""
    path = paths.default_settings()
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return None
    if _cache.get("key") != (str(path), stamp):
        _cache.update(key=(str(path), stamp), value=load_settings(path, check_files=False))
    return _cache["value"]


def _stores(s: Settings):
    key = ("stores", str(s.auth.users_file or paths.users_file()), str(paths.access_db()),
           s.auth.max_failures, s.auth.lockout_minutes, s.auth.session_hours)
    if key not in _cache:
        _cache[key] = (
            Users(s.auth.users_file or paths.users_file()),
            AccessStore(paths.access_db(), max_failures=s.auth.max_failures,
                        lockout_minutes=s.auth.lockout_minutes,
                        session_hours=s.auth.session_hours))
    return _cache[key]


def _audit(action: str, user: str, role: str, detail: dict[str, Any]) -> None:
    s = settings()
    InspectionStore(s.store_path if s is not None else paths.store_path(),
                    role="sistema").record_event(
        action, detail, user=user, role=role)


def _base() -> str:
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}" if base else ""


def _path(scope_path: str) -> str:
    """Return the request path without the configured base URL path."""
    base = _base()
    return scope_path[len(base):] or "/" if base and scope_path.startswith(base) \
        else scope_path


# --------------------------------------------------------------------------------------
# the gate
class SignInGate:
    """ASGI middleware: no session, no page (see the module docstring)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        """Pass the request on, redirect it to sign-in, or refuse it."""
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        s = settings()
        path = _path(scope.get("path", "/"))
        if path.rstrip("/") == METRICS and scope["type"] == "http":
            if s is None or not _is_admin(s, HTTPConnection(scope)):
                await Response("Solo para administradores. / Administrators only.",
                               status_code=403)(scope, receive, send)
                return
        if s is None or s.auth.mode == "none":
            await self.app(scope, receive, send)
            return
        if path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            # the app script answers with the sign-in prompt only (dashboard.auth.gate):
            # an expired session sees why, instead of a broken connection
            await self.app(scope, receive, send)
            return
        if _signed_in(s, HTTPConnection(scope)):
            await self.app(scope, receive, send)
            return
        if path.startswith(PROTECTED_PREFIXES) or scope.get("method") not in ("GET", "HEAD"):
            await Response("No autorizado: inicie sesión. / Unauthorized: sign in.",
                           status_code=401)(scope, receive, send)
            return
        if s.auth.mode == "oidc":  # the app shows the provider's sign-in button
            await self.app(scope, receive, send)
            return
        target = path + (f"?{scope['query_string'].decode()}" if scope.get("query_string")
                         else "")
        await RedirectResponse(f"{_base()}{SIGNIN}?next={quote(target)}",
                               status_code=303)(scope, receive, send)


def _signed_in(s: Settings, request: HTTPConnection) -> bool:
    if s.auth.mode == "local":
        users, access = _stores(s)
        return access.principal(request.cookies.get(COOKIE), users) is not None
    return _streamlit_user_cookie_valid(request)


def _is_admin(s: Settings, request: HTTPConnection) -> bool:
    """Whether the request comes from a live session of an administrator (never in "none")."""
    if s.auth.mode == "local":
        users, access = _stores(s)
        principal = access.principal(request.cookies.get(COOKIE), users)
        return principal is not None and principal.admin
    if s.auth.mode == "oidc" and s.auth.oidc is not None:
        claims = _streamlit_user(request)
        principal = oidc_principal(claims, s.auth.oidc) if claims else None
        return principal is not None and principal.admin
    return False


def _streamlit_user_cookie_valid(request: HTTPConnection) -> bool:
    """Whether Streamlit's own signed sign-in cookie (OIDC) is present and genuine."""
    return _streamlit_user(request) is not None


def _streamlit_user(request: HTTPConnection) -> dict[str, Any] | None:
    """Return the claims in Streamlit's signed sign-in cookie (OIDC), or None."""
    if get_cookie_with_chunks is None:  # Streamlit moved its helpers: fail closed
        return None

    def one(name: str) -> bytes | None:
        value = request.cookies.get(name)
        if value is None:
            return None
        return decode_signed_value(get_cookie_secret(), name, value.encode("latin-1"))

    try:
        raw = get_cookie_with_chunks(one, USER_COOKIE_NAME)
        claims = json.loads(raw) if raw else None
    except Exception:  # noqa: BLE001 - a damaged cookie is no sign-in
        return None
    if not isinstance(claims, dict) or claims.get("is_logged_in") is not True:
        return None
    return claims


# --------------------------------------------------------------------------------------
# sign-in and sign-out pages
_TEXT = {
    "title": "comun.iniciar_sesion",
    "lead": "servidor.text.lead",
    "user": "comun.text.user",
    "password": "servidor.text.password",
    "submit": "servidor.text.submit",
    "other": "servidor.text.other",
    "signed_out": "servidor.text.signed_out",
    "stale": "servidor.text.stale",
    "missing": "servidor.text.missing",
    "insecure": "servidor.text.insecure",
}


def _t(key: str, lang: str) -> str:
    return _catalogue_t(_TEXT[key], lang)


def _lang(request: Request, form: dict[str, str] | None = None) -> str:
    value = (form or {}).get("lang") or request.query_params.get("lang", "es")
    return "en" if value == "en" else "es"


def _safe_next(value: str | None) -> str:
    """Only a path of this site (``/distrito?…``), never another host (open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/"
    return value


def _page(lang: str, *, message: str = "", kind: str = "error", user: str = "",
          next_: str = "/", csrf: str = "", status: int = 200) -> HTMLResponse:
    e = html.escape
    other = "en" if lang == "es" else "es"
    note = (f'<p class="msg {kind}" role="alert" data-testid="signin-message">{e(message)}</p>'
            if message else "")
    body = f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>riskmap — {e(_t("title", lang))}</title>
<style>
body {{ font-family: system-ui, sans-serif; background: #f6f6f4; margin: 0; }}
main {{ max-width: 26rem; margin: 8vh auto; background: #fff; padding: 2rem;
        border-radius: 0.75rem; box-shadow: 0 1px 4px rgba(0,0,0,.12); }}
h1 {{ font-size: 1.4rem; margin: 0 0 .5rem; }} p {{ color: #333; line-height: 1.4; }}
label {{ display: block; margin: 1rem 0 .25rem; font-weight: 600; }}
input[type=text], input[type=password] {{ width: 100%; box-sizing: border-box;
        padding: .6rem; font-size: 1rem; border: 1px solid #bbb; border-radius: .4rem; }}
button {{ margin-top: 1.25rem; width: 100%; padding: .7rem; font-size: 1rem; border: 0;
         border-radius: .4rem; background: #b30000; color: #fff; cursor: pointer; }}
.msg {{ padding: .6rem .8rem; border-radius: .4rem; }}
.error {{ background: #fde8e8; color: #7a0000; }} .info {{ background: #e8f1fd; }}
.lang {{ float: right; font-size: .9rem; }}
</style></head>
<body><main>
<a class="lang" href="{e(_base())}{SIGNIN}?lang={other}">{e(_t("other", lang))}</a>
<h1>riskmap — {e(_t("title", lang))}</h1>
<p>{e(_t("lead", lang))}</p>
{note}
<form method="post" action="{e(_base())}{SIGNIN}" autocomplete="on">
<input type="hidden" name="csrf" value="{e(csrf)}">
<input type="hidden" name="next" value="{e(next_)}">
<input type="hidden" name="lang" value="{lang}">
<label for="usuario">{e(_t("user", lang))}</label>
<input type="text" id="usuario" name="usuario" value="{e(user)}" required
       autocomplete="username" autocapitalize="none" spellcheck="false" maxlength="64">
<label for="contrasena">{e(_t("password", lang))}</label>
<input type="password" id="contrasena" name="contrasena" required
       autocomplete="current-password" maxlength="256">
<button type="submit" id="entrar">{e(_t("submit", lang))}</button>
</form></main></body></html>"""
    response = HTMLResponse(body, status_code=status, headers=_NO_STORE)
    response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict",
                        path=f"{_base()}{SIGNIN}", secure=_secure())
    return response


_NO_STORE = {"Cache-Control": "no-store", "X-Frame-Options": "DENY",
             "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
             "form-action 'self'; frame-ancestors 'none'",
             "Referrer-Policy": "same-origin"}  # no-referrer would make Origin "null"


def _secure() -> bool:
    s = settings()
    return bool(s and s.auth.secure_cookie)


async def signin(request: Request) -> Response:
    """``GET /acceso``: the form; ``POST /acceso``: check the password, open a session."""
    s = settings()
    lang = _lang(request)
    if s is None or s.auth.mode != "local":
        return RedirectResponse(f"{_base()}/", status_code=303)
    csrf = secrets.token_urlsafe(24)
    if request.method == "GET":
        message = _t("signed_out", lang) if request.query_params.get("salio") else ""
        response = _page(lang, message=message, kind="info", csrf=csrf,
                         next_=_safe_next(request.query_params.get("next")))
        users, access = _stores(s)
        if access.principal(request.cookies.get(COOKIE), users) is None:
            response.delete_cookie(COOKIE, path="/")  # a dead session's cookie goes
        return response
    form = await _form(request)
    lang = _lang(request, form)
    name, password = form.get("usuario", "").strip(), form.get("contrasena", "")
    next_ = _safe_next(form.get("next"))
    sent = form.get("csrf", "")
    expected = request.cookies.get(CSRF_COOKIE, "")
    if not sent or not expected or not hmac.compare_digest(sent, expected) or \
            not _same_origin(request):
        return _page(lang, message=_t("stale", lang), user=name, next_=next_, csrf=csrf,
                     status=400)
    if not name or not password:
        return _page(lang, message=_t("missing", lang), user=name, next_=next_, csrf=csrf,
                     status=400)
    if s.auth.secure_cookie and request.url.scheme != "https" and \
            request.url.hostname not in ("localhost", "127.0.0.1", "::1"):
        # the browser would drop a Secure cookie sent over http: say why, do not pretend
        return _page(lang, message=_t("insecure", lang), user=name, next_=next_, csrf=csrf,
                     status=400)
    users, access = _stores(s)
    client, device = _client(request), request.cookies.get(DEVICE_COOKIE, "")
    async with _CHECKS:
        result = await anyio.to_thread.run_sync(
            lambda: sign_in(users, access, name, password, client=client, device=device))
    if not result.ok:
        await anyio.to_thread.run_sync(_audit, _refusal(result), result.name, "ninguno",
                                       {"metodo": "local", "ip": client} | _waiting(result))
        response = _page(lang, message=result.message(lang, s.auth.lockout_minutes),
                         user=name, next_=next_, csrf=csrf,
                         status=429 if result.wait_until and not result.checked else 401)
        if result.wait_until:
            response.headers["Retry-After"] = str(max(1, int(result.wait_until - time.time())))
        return response
    account = result.account
    assert account is not None
    await anyio.to_thread.run_sync(_audit, "inicio_sesion", account.name,
                                   account.principal().label,
                                   {"metodo": "local", "ip": _client(request)})
    response = RedirectResponse(f"{_base()}{next_}", status_code=303, headers=_NO_STORE)
    response.set_cookie(COOKIE, result.token, max_age=int(s.auth.session_hours * 3600),
                        httponly=True, samesite="strict", path="/", secure=s.auth.secure_cookie)
    response.set_cookie(DEVICE_COOKIE, result.device, max_age=DEVICE_DAYS * 86400,
                        httponly=True, samesite="strict", path=f"{_base()}{SIGNIN}",
                        secure=s.auth.secure_cookie)
    response.delete_cookie(CSRF_COOKIE, path=f"{_base()}{SIGNIN}")
    return response


def _refusal(result) -> str:
    """Return the audit action of a refused sign-in."""
    if result.just_locked:
        return "cuenta_bloqueada"
    if not result.checked:  # refused before the password was looked at
        return "inicio_sesion_bloqueado" if result.locked_until else "inicio_sesion_en_espera"
    return "inicio_sesion_fallido"


def _waiting(result) -> dict[str, str]:
    """Return the audit detail of an address made to wait (until when, UTC)."""
    if not result.wait_until:
        return {}
    return {"espera_hasta": dt.datetime.fromtimestamp(result.wait_until, dt.UTC).isoformat(
        timespec="seconds")}


async def signout(request: Request) -> Response:
    """``GET /salir``: end the session on the server, clear the cookie, back to sign-in."""
    s = settings()
    token = request.cookies.get(COOKIE)
    if s is not None and token:
        users, access = _stores(s)
        principal = access.principal(token, users)
        access.close(token)
        if principal is not None:
            await anyio.to_thread.run_sync(_audit, "cierre_sesion", principal.user,
                                           principal.label, {"metodo": "local"})
    response = RedirectResponse(f"{_base()}{SIGNIN}?salio=1&lang={_lang(request)}",
                                status_code=303, headers=_NO_STORE)
    response.delete_cookie(COOKIE, path="/")
    return response


async def _form(request: Request) -> dict[str, str]:
    """Read the urlencoded form body (at most 16 kB: a sign-in is a few hundred bytes)."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > 16_384:
            break
    return dict(parse_qsl(body[:16_384].decode("utf-8", "replace"), keep_blank_values=True))


def _same_origin(request: Request) -> bool:
    """Check that a sign-in form comes from this site (its ``Origin``, when sent)."""
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host", "")


def _client(request: Request) -> str:
    """Return the client's address as :class:`ClientAddress` established it."""
    return request.client.host if request.client else ""


# --------------------------------------------------------------------------------------
# who the client is
class ClientAddress:
    """ASGI middleware: the client's address and scheme, believing only trusted proxies.

    The TCP peer is the client, unless it is one of ``[auth] trusted_proxies``: then its
    ``X-Forwarded-For`` (the right-most address that is not a trusted proxy) or
    ``X-Real-IP``, and its ``X-Forwarded-Proto``, say who and how
    (:func:`geo.trust.accounts.client_address`). Everything downstream — the sign-in throttle,
    the audit trail, Streamlit's ``st.context.ip_address`` — reads ``scope["client"]``.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        """Set ``client`` and ``scheme`` of an HTTP or websocket request, then pass it on."""
        if scope["type"] in ("http", "websocket") and scope.get("client"):
            scope = _resolve_client(scope, _trusted_proxies())
        await self.app(scope, receive, send)


def _trusted_proxies() -> tuple[str, ...]:
    try:
        s = settings()
    except Exception:  # noqa: BLE001 - unreadable settings: believe no header (the gate says why)
        return ()
    return s.auth.trusted_proxies if s is not None else ()


def _resolve_client(scope: dict, trusted: tuple[str, ...]) -> dict:
    headers = [(k, v.decode("latin-1")) for k, v in scope.get("headers") or []]
    forwarded = [v for k, v in headers if k == b"x-forwarded-for"]
    real_ip = next((v for k, v in headers if k == b"x-real-ip"), "")
    peer = str(scope["client"][0])
    if forwarded and _uvicorn_rewrote(peer, forwarded):
        # uvicorn put a forwarded address in place of the peer (it believes those headers
        # from 127.0.0.1 unless FORWARDED_ALLOW_IPS="", as `riskmap serve` sets): the real
        # peer was that local proxy, so that is who the client is, unless it is trusted
        peer = _UVICORN_PEER
    host = client_address(peer, trusted, forwarded, real_ip)
    scope = dict(scope)
    scope["client"] = (host, scope["client"][1] if host == scope["client"][0] else 0)
    proto = [v.strip().lower() for k, v in headers if k == b"x-forwarded-proto"]
    if proto and is_trusted_proxy(peer, trusted) and proto[-1] in ("http", "https"):
        scope["scheme"] = _scheme(scope, proto[-1] == "https")
    elif proto and _UVICORN_PEER:  # uvicorn may have believed it: the connection's own
        scope["scheme"] = _scheme(scope, bool(st.get_option("server.sslCertFile")))
    return scope


def _scheme(scope: dict, secure: bool) -> str:
    if scope["type"] == "websocket":
        return "wss" if secure else "ws"
    return "https" if secure else "http"


def _uvicorn_rewrote(client: str, forwarded: list[str]) -> bool:
    """Whether ``client`` is the address uvicorn would have taken from ``forwarded``.

    uvicorn takes the right-most entry that is not one of its trusted hosts (the left-most
    when it trusts everyone); a directly connected client that merely lists its own address
    further left is not mistaken for a rewrite.
    """
    if not _UVICORN_PEER:
        return False
    if _UVICORN_TRUSTED is None:  # FORWARDED_ALLOW_IPS="*"
        hops = [h.strip() for value in forwarded for h in value.split(",") if h.strip()]
        return bool(hops) and _hop_host(hops[0]) == client
    return client_address(_UVICORN_PEER, _UVICORN_TRUSTED, forwarded) == client


def _hop_host(hop: str) -> str:
    """Return the host of one ``X-Forwarded-For`` entry as uvicorn reads it (no port)."""
    hop = hop.strip()
    if hop.startswith("[") and "]" in hop:
        return hop[1:hop.index("]")]
    return hop.split(":", 1)[0] if hop.count(":") == 1 else hop


def _uvicorn_trust() -> tuple[str, tuple[str, ...] | None]:
    """Return whom uvicorn believes forwarded headers from: one such peer, and all of them.

    ``("", ())`` when it believes none (``riskmap serve`` sets ``FORWARDED_ALLOW_IPS=""``);
    ``None`` for all of them when it believes everyone (``"*"``). uvicorn read the variable
    (default ``127.0.0.1,::1``) before it imported this module.
    """
    value = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1").strip()
    if not value:
        return "", ()
    if value == "*":
        return "127.0.0.1", None
    nets = []
    for item in value.split(","):
        try:
            nets.append(str(ipaddress.ip_network(item.strip(), strict=False)))
        except ValueError:  # a host name: uvicorn compares it literally, never an address
            continue
    first = nets[0].split("/")[0] if nets else "127.0.0.1"
    return first, tuple(nets)


_UVICORN_PEER, _UVICORN_TRUSTED = _uvicorn_trust()


# --------------------------------------------------------------------------------------
# Streamlit's OIDC secrets, from the settings (the secret from the environment)
def oidc_secrets(s: Settings | None) -> dict[str, Any] | None:
    """Return the ``[auth]`` secrets ``st.login`` needs (None when not OIDC)."""
    if s is None or s.auth.mode != "oidc" or s.auth.oidc is None:
        return None
    spec = s.auth.oidc
    return {"auth": {
        "redirect_uri": spec.redirect_uri,
        "cookie_secret": _cookie_secret(),
        "riskmap": {"client_id": spec.client_id,
                    "client_secret": os.environ.get(spec.client_secret_env, ""),
                    "server_metadata_url": spec.server_metadata_url}}}


def _cookie_secret() -> str:
    """Return a random secret kept in ``<data>/secretos/cookie.secreto`` (0600)."""
    env = os.environ.get("RISKMAP_COOKIE_SECRET")
    if env:
        return env
    folder = paths.data_dir() / "secretos"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / "cookie.secreto"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def clean_on_start() -> None:
    """Remove what a previous run may have left behind.

    Uploads (no session survives a restart) and half-written temporary files beside the
    private files.
    """
    shutil.rmtree(paths.uploads_dir(), ignore_errors=True)
    folder = paths.data_dir()
    if folder.is_dir():
        for leftover in (*folder.glob("*.tmp"), *folder.glob("*.part"),
                         *folder.glob("*.restaurando")):
            leftover.unlink(missing_ok=True)


def warm_up() -> None:
    """Make what every first page needs before the server takes its first visitor.

    The first visitor after a start would otherwise wait for geopandas, GDAL and folium to
    load and for the default map to be drawn (:func:`dashboard.state.warm_map`): a few
    seconds more for the server to start, so the first visit reads them from the caches
    like every later one. Nothing here may stop the server: a failure shows on the page
    that needs it.
    """
    # the caches are the process's, not a session's: no script run (nor, this early, a
    # runtime) is needed, and Streamlit's warnings that there is none are noise here
    quiet = [logging.getLogger(f"streamlit.runtime.{name}") for name in
             ("scriptrunner_utils.script_run_context", "caching.cache_data_api")]
    levels = [logger.level for logger in quiet]
    for logger in quiet:
        logger.setLevel(logging.ERROR)
    try:
        with contextlib.suppress(Exception):
            state.warm_map(ui.static_url())
    finally:
        for logger, level in zip(quiet, levels, strict=True):
            logger.setLevel(level)


clean_on_start()
warm_up()
routes = [Route(f"{_base()}{SIGNIN}", signin, methods=["GET", "POST"]),
          Route(f"{_base()}{SIGNOUT}", signout, methods=["GET"])]
app = st.App("app.py", routes=routes,
             middleware=[Middleware(ClientAddress), Middleware(SignInGate)],
             secrets=oidc_secrets(settings()))
