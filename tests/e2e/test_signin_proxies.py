"""The served sign-in behind proxies, over real HTTP: who the client is, and who reads metrics.

The dashboard is started twice, as ``riskmap serve`` starts it (uvicorn told to believe no
forwarded header) and as the browser tests' harness does (``streamlit run`` as it is, where
uvicorn believes ``X-Forwarded-For`` from 127.0.0.1). Every request here comes from
127.0.0.1. Each test posts the real sign-in form and then reads the server's own attempt
table (``acceso.sqlite``): the address a failure was counted against is the evidence.
No browser: these are plain HTTP requests, so a forged header is easy to send.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import sqlite3
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import APP, run_streamlit

pytestmark = pytest.mark.e2e

PASSWORDS = {
    "ana": "montaña de cusco 2026",        # investigador
    "root": "administracion del tablero",  # administrator only
}


@dataclass(frozen=True)
class Served:
    url: str
    root: Path
    settings: Path

    def attempts(self) -> list[str]:
        """The client addresses failures were counted against ('@...' keys), in order."""
        from geo.trust.accounts import AccessStore

        AccessStore(self.root / "acceso.sqlite")  # the same file and tables as the server's
        with sqlite3.connect(self.root / "acceso.sqlite") as conn:
            return [r[0] for r in conn.execute(
                "SELECT usuario FROM intentos WHERE usuario LIKE '@%' ORDER BY id")]

    def trust(self, proxies: list[str], secure: bool = False) -> None:
        """Rewrite the settings with these trusted proxies (the server re-reads them)."""
        text = _SETTINGS.format(proxies=", ".join(f'"{p}"' for p in proxies),
                                secure=str(secure).lower())
        self.settings.write_text(text, encoding="utf-8")
        stamp = self.settings.stat().st_mtime_ns
        os.utime(self.settings, ns=(stamp + 10**9, stamp + 10**9))  # a visible change


_SETTINGS = """config_version = 1
[data]
simulated = false
[auth]
mode = "local"
secure_cookie = {secure}
max_failures = 3
lockout_minutes = 10
trusted_proxies = [{proxies}]
"""


@pytest.fixture(scope="module", params=["riskmap serve", "streamlit run"])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Served]:
    from dashboard.commands.serve import server_environment
    from geo.trust.accounts import Users

    root = tmp_path_factory.mktemp("signin-proxies")
    settings = root / "settings.toml"
    settings.write_text(_SETTINGS.format(proxies="", secure="false"), encoding="utf-8")
    users = Users(root / "usuarios.toml", fast_hash=True)
    users.add("ana", "investigador", password=PASSWORDS["ana"])
    users.add("root", None, admin=True, password=PASSWORDS["root"])
    env = {"RISKMAP_DATA_DIR": str(root), "RISKMAP_CONFIG": str(settings)}
    if request.param == "riskmap serve":
        env = server_environment(env)
    else:  # the harness's way: whatever uvicorn does by default
        assert "FORWARDED_ALLOW_IPS" not in os.environ
    log = root / "streamlit.log"
    with run_streamlit(APP, env, log) as url:
        yield Served(url=url, root=root, settings=settings)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003
        return None


def _opener() -> tuple[urllib.request.OpenerDirector, http.cookiejar.CookieJar]:
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar),
                                       _NoRedirect()), jar


def _sign_in(served: Served, user: str, password: str, headers: dict[str, str] | None = None,
             opener: urllib.request.OpenerDirector | None = None) -> int:
    """Fill and post the sign-in form; return the HTTP status (303 = signed in)."""
    opener = opener or _opener()[0]
    with opener.open(f"{served.url}/acceso", timeout=30) as resp:
        csrf = re.search(r'name="csrf" value="([^"]+)"', resp.read().decode()).group(1)
    body = urllib.parse.urlencode({"usuario": user, "contrasena": password, "csrf": csrf,
                                   "next": "/", "lang": "es"}).encode()
    post = urllib.request.Request(f"{served.url}/acceso", data=body, headers=headers or {},
                                  method="POST")
    try:
        with opener.open(post, timeout=60) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


def _status(opener: urllib.request.OpenerDirector, url: str) -> int:
    try:
        with opener.open(url, timeout=30) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


def test_a_forged_forwarded_for_from_an_untrusted_peer_changes_nothing(served: Served):
    served.trust([])
    before = served.attempts()
    for i, headers in enumerate(({"X-Forwarded-For": "198.51.100.23"},
                                 {"X-Forwarded-For": "198.51.100.23:4444, 203.0.113.8"},
                                 {"X-Real-IP": "198.51.100.23"},
                                 {"X-Forwarded-For": "[2001:db8::5]:80",
                                  "X-Real-IP": "203.0.113.8"})):
        assert _sign_in(served, f"nadie{i}", "no es la clave", headers) == 401
    counted = served.attempts()[len(before):]
    assert counted == ["@127.0.0.1"] * 4  # the peer, every time


def test_from_a_trusted_proxy_the_header_names_the_client(served: Served):
    served.trust(["127.0.0.1", "::1"])
    try:
        before = served.attempts()
        # nginx appends the address it saw: the right-most untrusted one is the client
        assert _sign_in(served, "nadie5", "no es la clave",
                        {"X-Forwarded-For": "6.6.6.6, 198.51.100.23",
                         "X-Real-IP": "198.51.100.23"}) == 401
        assert _sign_in(served, "nadie6", "no es la clave", {"X-Real-IP": "203.0.113.8"}) == 401
        assert _sign_in(served, "nadie7", "no es la clave") == 401  # no header: the proxy
        assert served.attempts()[len(before):] == ["@198.51.100.23", "@203.0.113.8",
                                                   "@127.0.0.1"]
    finally:
        served.trust([])


def test_metrics_are_for_administrators_only(served: Served):
    served.trust([])
    anonymous, _ = _opener()
    assert _status(anonymous, f"{served.url}/_stcore/metrics") == 403
    ana, jar = _opener()
    assert _sign_in(served, "ana", PASSWORDS["ana"], opener=ana) == 303
    assert any(c.name == "riskmap_sesion" for c in jar)
    assert any(c.name == "riskmap_dispositivo" and c.path == "/acceso" for c in jar)
    assert _status(ana, f"{served.url}/_stcore/metrics") == 403
    assert _status(ana, f"{served.url}/_stcore/metrics/") in (403, 307)
    root, _ = _opener()
    assert _sign_in(served, "root", PASSWORDS["root"], opener=root) == 303
    with root.open(f"{served.url}/_stcore/metrics", timeout=30) as resp:
        assert resp.status == 200 and b"session" in resp.read()


def test_https_is_believed_only_from_a_trusted_proxy(served: Served):
    # nginx terminates TLS and says so; the dashboard sees plain http from 127.0.0.1
    proxied = {"Host": "riskmap.ejemplo.gob.pe", "X-Forwarded-Proto": "https",
               "X-Forwarded-For": "198.51.100.40"}
    served.trust([], secure=True)
    try:
        status, page = _sign_in_as_browser_over_https(served, proxied)
        assert status == 400 and "no usa HTTPS" in page and "trusted_proxies" in page
        served.trust(["127.0.0.1"], secure=True)
        assert _sign_in_as_browser_over_https(served, proxied)[0] == 303
    finally:
        served.trust([])


def _sign_in_as_browser_over_https(served: Served, headers: dict[str, str]) -> tuple[int, str]:
    """Sign in as ana the way a browser would behind TLS: it sends Secure cookies back."""
    opener = urllib.request.build_opener(_NoRedirect())
    get = urllib.request.Request(f"{served.url}/acceso", headers=headers)
    with opener.open(get, timeout=30) as resp:
        csrf = re.search(r'name="csrf" value="([^"]+)"', resp.read().decode()).group(1)
        cookie = resp.headers["Set-Cookie"].split(";")[0]
    body = urllib.parse.urlencode({"usuario": "ana", "contrasena": PASSWORDS["ana"],
                                   "csrf": csrf, "next": "/", "lang": "es"}).encode()
    post = urllib.request.Request(f"{served.url}/acceso", data=body, method="POST",
                                  headers={**headers, "Cookie": cookie})
    try:
        with opener.open(post, timeout=60) as resp:
            return resp.status, ""
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def test_a_spraying_address_waits_and_a_known_browser_does_not(served: Served):
    """Last in the module: it leaves 198.51.100.99 waiting (and only that address)."""
    served.trust(["127.0.0.1"])
    try:
        spray = {"X-Forwarded-For": "198.51.100.99"}
        ana, jar = _opener()  # ana's browser, behind the same address, signed in before
        assert _sign_in(served, "ana", PASSWORDS["ana"], spray, opener=ana) == 303
        assert any(c.name == "riskmap_dispositivo" for c in jar)
        for i in range(12):  # 4 x max_failures, one guess per name, ana's sign-in between
            assert _sign_in(served, f"victima{i}", "Password1234", spray) == 401
            if i % 4 == 0:
                assert _sign_in(served, "ana", PASSWORDS["ana"], spray, opener=ana) == 303
        # the address now waits: refused unchecked, 429 with Retry-After, the page says so
        opener = _opener()[0]
        with opener.open(f"{served.url}/acceso", timeout=30) as resp:
            csrf = re.search(r'name="csrf" value="([^"]+)"', resp.read().decode()).group(1)
        body = urllib.parse.urlencode({"usuario": "root", "contrasena": PASSWORDS["root"],
                                       "csrf": csrf, "next": "/", "lang": "es"}).encode()
        with pytest.raises(urllib.error.HTTPError) as info:
            opener.open(urllib.request.Request(f"{served.url}/acceso", data=body,
                                               headers=spray, method="POST"), timeout=60)
        assert info.value.code == 429 and int(info.value.headers["Retry-After"]) >= 1
        page = info.value.read().decode()
        assert "desde su red" in page and "Usuario o contraseña incorrectos" not in page
        # ana's browser still gets in from there; another address is not affected
        assert _sign_in(served, "ana", PASSWORDS["ana"], spray, opener=ana) == 303
        assert _sign_in(served, "root", PASSWORDS["root"],
                        {"X-Forwarded-For": "198.51.100.100"}) == 303
    finally:
        served.trust([])
