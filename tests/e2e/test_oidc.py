"""OIDC sign-in in a real browser: Streamlit's st.login against a provider on 127.0.0.1.

The provider (``tests/oidc_provider.py``, Authlib's server grants) runs the real
authorization-code flow with PKCE; the dashboard runs as `riskmap serve` serves it with
``[auth] mode = "oidc"``. Roles and regions come from the settings' rules, never from the
provider's claims alone: the provider says who the person is (a verified e-mail, groups),
riskmap decides what that person may see.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from .conftest import APP, AppPage, E2EData, free_port, guarded_page, run_streamlit

pytestmark = pytest.mark.e2e

CLIENT_ID, CLIENT_SECRET = "riskmap", "secreto-del-cliente-de-prueba"


def expect(*args, **kwargs):
    from playwright.sync_api import expect as _expect

    return _expect(*args, **kwargs)


@dataclass(frozen=True)
class OIDCWorld:
    url: str
    provider: object  # oidc_provider.Provider


@pytest.fixture(scope="module")
def oidc(e2e_data: E2EData, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OIDCWorld]:
    import tomllib

    import tomli_w
    from oidc_provider import OIDCUser, run_provider

    port = free_port()
    app_url = f"http://127.0.0.1:{port}"
    users = [
        OIDCUser("ana", "clave del proveedor", "ana@sunafil.test", "Ana Quispe",
                 groups=("sunafil",)),
        OIDCUser("rosa", "clave del proveedor", "rosa@uni.test", "Rosa Investigadora",
                 groups=("investigacion",)),
        # the provider says "planificador" in a group claim: riskmap must not care
        OIDCUser("nadie", "clave del proveedor", "nadie@otro.test", "Nadie",
                 groups=("planificador",)),
    ]
    with run_provider(users, CLIENT_ID, CLIENT_SECRET, [f"{app_url}/oauth2callback"]) as op:
        raw = tomllib.loads(e2e_data.settings.read_text(encoding="utf-8"))
        raw["auth"] = {"mode": "oidc", "oidc": {
            "server_metadata_url": op.metadata_url, "client_id": CLIENT_ID,
            "redirect_uri": f"{app_url}/oauth2callback",
            "rules": [
                {"email": "ana@sunafil.test", "roles": ["planificador"], "regions": ["cusco"]},
                {"group": "investigacion", "roles": ["investigador"]},
            ]}}
        settings = e2e_data.settings.with_name("settings_oidc_e2e.toml")
        settings.write_text(tomli_w.dumps(raw), encoding="utf-8")
        env = {"RISKMAP_DATA_DIR": str(tmp_path_factory.mktemp("oidc-data")),
               "RISKMAP_CONFIG": str(settings), "RISKMAP_OIDC_CLIENT_SECRET": CLIENT_SECRET,
               "NO_PROXY": "127.0.0.1,localhost"}
        log = tmp_path_factory.mktemp("streamlit-oidc") / "streamlit.log"
        with run_streamlit(APP, env, log, port=port) as url:
            yield OIDCWorld(url=url, provider=op)


@pytest.fixture
def tab(browser, oidc: OIDCWorld, request: pytest.FixtureRequest) -> Iterator[AppPage]:
    """A fresh context on the app, which may also talk to the provider on this machine."""
    with guarded_page(browser, oidc.url, request, also=(oidc.provider.issuer,)) as page:
        yield page


def sign_in_at_provider(app: AppPage, oidc: OIDCWorld, user: str) -> None:
    page = app.page
    # before sign-in the app shows only the button: no page, no navigation
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
    assert page.get_by_test_id("stMetric").count() == 0
    page.get_by_role("button", name="Iniciar sesión con la cuenta institucional").click()
    page.wait_for_url(re.compile(re.escape(oidc.provider.issuer) + r"/authorize"))
    page.fill("#username", user)
    page.fill("#password", "clave del proveedor")
    page.click("#submit")
    page.wait_for_url(re.compile(re.escape(oidc.url) + r"/?(\?.*)?$"))
    page.wait_for_selector("[data-testid='stAppViewContainer']", state="attached")
    app.wait()
    app.assert_no_exception()


def test_oidc_sign_in_maps_the_role_from_the_settings(tab: AppPage, oidc: OIDCWorld) -> None:
    sign_in_at_provider(tab, oidc, "ana")
    sidebar = tab.page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Ana Quispe")).to_be_visible()
    expect(sidebar.get_by_text("Planificador/a de inspecciones")).to_be_visible()
    expect(sidebar.get_by_text("Regiones: Cusco")).to_be_visible()
    region = tab.main().get_by_role("radiogroup", name="Región")
    expect(region.get_by_role("radio")).to_have_count(1)
    seen = oidc.provider.requests
    assert ("POST", "/token") in seen and ("GET", "/jwks") in seen, seen
    # sign-out: Streamlit clears its cookie and ends the session at the provider
    sidebar.get_by_role("button", name="Cerrar sesión").click()
    tab.page.wait_for_selector("[data-testid='stAppViewContainer']", state="attached")
    tab.wait()
    expect(tab.page.get_by_role("button", name="Iniciar sesión con la cuenta institucional")
           ).to_be_visible()
    expect(tab.page.get_by_test_id("stSidebarNav")).to_have_count(0)


def test_a_group_rule_gives_a_researcher(tab: AppPage, oidc: OIDCWorld) -> None:
    sign_in_at_provider(tab, oidc, "rosa")
    sidebar = tab.page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Investigador/a")).to_be_visible()
    tab.goto("datos")
    expect(tab.main().get_by_role("button", name=re.compile("Importar"))).to_have_count(0)


def test_provider_claims_alone_give_no_access(tab: AppPage, oidc: OIDCWorld) -> None:
    sign_in_at_provider(tab, oidc, "nadie")
    expect(tab.main().get_by_text(re.compile("no tiene acceso a riskmap"))).to_be_visible()
    expect(tab.page.get_by_test_id("stSidebarNav")).to_have_count(0)
    assert tab.page.get_by_test_id("stMetric").count() == 0
