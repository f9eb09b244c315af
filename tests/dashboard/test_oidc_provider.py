"""The test OpenID Connect provider, driven by independent clients.

The relying party is Authlib's httpx ``OAuth2Client`` (and, once, Authlib's Starlette client
configured the way ``st.login`` configures it); the browser is a plain ``httpx.Client`` that
reads the sign-in form's hidden fields and submits it. Tokens are verified against the
published JWKS with joserfc and Authlib's ``CodeIDToken`` rules, not with the provider's code.
One provider serves the whole module.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import select
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import oidc_provider
import pytest
from authlib.integrations.httpx_client import OAuth2Client
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from authlib.oidc.discovery import OpenIDProviderMetadata
from joserfc import jwt
from joserfc.jwk import KeySet
from oidc_provider import OIDCUser, run_provider

CLIENT_ID = "riskmap-ci"
CLIENT_SECRET = "not-a-real-secret"
# Nothing listens there: the tests read the Location header instead of following it.
REDIRECT_URI = "http://127.0.0.1:8501/oauth2callback"
ANA = OIDCUser(
    "ana", "clave-de-ana", "ana@sunafil.example", "Ana Quispe", groups=["planners", "cusco"]
)
LUIS = OIDCUser("luis", "clave-de-luis", "luis@loreto.example", "Luis Panduro", sub="u-0042")


@pytest.fixture(scope="module")
def provider():
    with run_provider([ANA, LUIS], CLIENT_ID, CLIENT_SECRET, [REDIRECT_URI]) as op:
        yield op


@pytest.fixture
def http():
    """The browser, and anything else that talks plain HTTP to the provider."""
    with httpx.Client(trust_env=False, follow_redirects=False, timeout=5) as client:
        yield client


@pytest.fixture
def metadata(provider, http) -> dict:
    response = http.get(provider.metadata_url)
    assert response.status_code == 200
    return response.json()


@pytest.fixture
def rp(metadata):
    """The relying party: Authlib's OAuth2Client with S256 PKCE, as st.login sets it up."""
    with OAuth2Client(
        CLIENT_ID,
        CLIENT_SECRET,
        scope="openid email profile",
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
        trust_env=False,
        timeout=5,
    ) as client:
        yield client


class _FormReader(HTMLParser):
    """The sign-in form: its action and every input's name and value."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "form":
            self.action = attrs.get("action")
        elif tag == "input" and attrs.get("name"):
            self.fields[attrs["name"]] = attrs.get("value") or ""


def read_form(response: httpx.Response) -> _FormReader:
    reader = _FormReader()
    reader.feed(response.text)
    assert reader.action, f"no form in the page:\n{response.text}"
    return reader


def submit(
    http: httpx.Client, page: httpx.Response, username: str, password: str
) -> httpx.Response:
    """Fill the sign-in form of ``page`` like a person would and post it."""
    form = read_form(page)
    data = dict(form.fields, username=username, password=password)
    return http.post(urljoin(str(page.url), form.action), data=data)


def start(rp: OAuth2Client, metadata: dict, **params) -> tuple[str, str, str, str]:
    """Return the authorization URL, state, code_verifier and nonce of a new sign-in."""
    verifier = secrets.token_urlsafe(48)
    nonce = secrets.token_urlsafe(16)
    url, state = rp.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce, **params
    )
    return url, state, verifier, nonce


def sign_in(http, rp, metadata, user=ANA, password=None, **params) -> tuple[str, str, str]:
    """Sign ``user`` in; return the redirect back to the app, the code_verifier and nonce."""
    url, state, verifier, nonce = start(rp, metadata, **params)
    page = http.get(url)
    assert page.status_code == 200, page.text
    response = submit(http, page, user.username, user.password if password is None else password)
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert parse_qs(urlsplit(location).query)["state"] == [state]
    return location, verifier, nonce


def code_of(location: str) -> str:
    assert location.startswith(REDIRECT_URI + "?"), location
    return parse_qs(urlsplit(location).query)["code"][0]


def verify_id_token(id_token: str, metadata: dict, http, nonce: str, access_token: str) -> dict:
    """Check signature (JWKS) and claims as an OpenID relying party does; return the claims."""
    keys = KeySet.import_key_set(http.get(metadata["jwks_uri"]).json())
    token = jwt.decode(id_token, keys, algorithms=metadata["id_token_signing_alg_values_supported"])
    assert token.header["alg"] == "RS256"
    assert token.header["kid"] in {key.kid for key in keys}
    claims = CodeIDToken(
        token.claims,
        token.header,
        options={"iss": {"values": [metadata["issuer"]]}},
        params={"nonce": nonce, "client_id": CLIENT_ID, "access_token": access_token},
    )
    claims.validate()  # iss, aud, exp, iat, nonce, at_hash
    return dict(claims)


def post_token(http, metadata, code, verifier, secret=CLIENT_SECRET, **extra) -> httpx.Response:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
        **extra,
    }
    return http.post(metadata["token_endpoint"], data=data, auth=(CLIENT_ID, secret))


# --- the flow ----------------------------------------------------------------------------------


def test_discovery_document_describes_the_code_flow_with_s256(provider, metadata):
    OpenIDProviderMetadata(metadata).validate()
    assert metadata["issuer"] == provider.issuer
    assert provider.metadata_url == provider.issuer + "/.well-known/openid-configuration"
    for name, path in [
        ("authorization_endpoint", "/authorize"),
        ("token_endpoint", "/token"),
        ("jwks_uri", "/jwks"),
        ("userinfo_endpoint", "/userinfo"),
        ("end_session_endpoint", "/logout"),
    ]:
        assert metadata[name] == provider.issuer + path
    assert metadata["response_types_supported"] == ["code"]
    assert metadata["id_token_signing_alg_values_supported"] == ["RS256"]
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert set(metadata["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
    }
    assert {"openid", "email", "profile"} <= set(metadata["scopes_supported"])
    assert {"email", "email_verified", "name", "groups"} <= set(metadata["claims_supported"])


def test_sign_in_with_pkce_yields_an_id_token_that_verifies_against_the_jwks(
    provider, metadata, rp, http
):
    url, state, verifier, nonce = start(rp, metadata)
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge"] == [create_s256_code_challenge(verifier)]
    assert query["code_challenge_method"] == ["S256"]

    page = http.get(url)
    form = read_form(page)
    assert {"username", "password", "submit"} <= form.ids
    assert "Sign in" in page.text
    assert form.fields["nonce"] == nonce and form.fields["state"] == state

    redirect = submit(http, page, ANA.username, ANA.password)
    assert redirect.status_code == 302
    location = redirect.headers["location"]
    token = rp.fetch_token(
        metadata["token_endpoint"], authorization_response=location, code_verifier=verifier
    )

    assert token["token_type"] == "Bearer"
    assert token["expires_in"] > 0
    assert set(token["scope"].split()) == {"openid", "email", "profile"}
    claims = verify_id_token(token["id_token"], metadata, http, nonce, token["access_token"])
    assert claims["iss"] == provider.issuer
    assert claims["aud"] == CLIENT_ID
    assert claims["nonce"] == nonce
    assert claims["exp"] - claims["iat"] == 300
    assert claims["sub"] == "ana"
    assert claims["email"] == ANA.email and claims["email_verified"] is True
    assert claims["name"] == ANA.name
    assert claims["groups"] == ["planners", "cusco"]
    assert provider.requests[-5:] == [
        ("GET", "/.well-known/openid-configuration"),
        ("GET", "/authorize"),
        ("POST", "/authorize"),
        ("POST", "/token"),
        ("GET", "/jwks"),
    ]


def test_client_secret_post_works_and_a_user_without_groups_gets_no_groups_claim(metadata, http):
    with OAuth2Client(
        CLIENT_ID,
        CLIENT_SECRET,
        token_endpoint_auth_method="client_secret_post",
        scope="openid email",
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
        trust_env=False,
    ) as rp:
        location, verifier, nonce = sign_in(http, rp, metadata, user=LUIS)
        token = rp.fetch_token(
            metadata["token_endpoint"], authorization_response=location, code_verifier=verifier
        )
    claims = verify_id_token(token["id_token"], metadata, http, nonce, token["access_token"])
    assert claims["sub"] == "u-0042"
    assert claims["email"] == LUIS.email
    assert "groups" not in claims
    assert "name" not in claims  # no profile scope asked for


def test_userinfo_answers_for_the_access_token_only(metadata, rp, http):
    location, verifier, _ = sign_in(http, rp, metadata)
    token = rp.fetch_token(
        metadata["token_endpoint"], authorization_response=location, code_verifier=verifier
    )
    info = rp.get(metadata["userinfo_endpoint"])
    assert info.status_code == 200
    assert info.json() == {
        "sub": "ana",
        "email": ANA.email,
        "email_verified": True,
        "name": ANA.name,
        "preferred_username": "ana",
        "groups": ["planners", "cusco"],
    }
    assert http.get(metadata["userinfo_endpoint"]).status_code == 401
    forged = {"Authorization": "Bearer " + token["access_token"][::-1]}
    assert http.get(metadata["userinfo_endpoint"], headers=forged).status_code == 401


def test_starlette_client_as_st_login_configures_it_gets_the_user(provider, http):
    from authlib.integrations.starlette_client import OAuth
    from starlette.requests import Request

    # What st.login registers: scope, prompt=select_account, and S256 because discovery
    # advertises it (Streamlit's subclass sets code_challenge_method from the metadata).
    oauth = OAuth()
    app = oauth.register(
        "default",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        server_metadata_url=provider.metadata_url,
        client_kwargs={
            "scope": "openid email profile",
            "prompt": "select_account",
            "code_challenge_method": "S256",
        },
    )
    session: dict = {}

    def request(path: str, query: str = "") -> Request:
        return Request(
            {"type": "http", "method": "GET", "path": path, "query_string": query.encode(),
             "headers": [], "session": session}
        )  # fmt: skip

    async def flow() -> dict:
        redirect = await app.authorize_redirect(request("/auth/login"), REDIRECT_URI)
        url = redirect.headers["location"]
        query = parse_qs(urlsplit(url).query)
        assert query["prompt"] == ["select_account"]
        assert query["code_challenge_method"] == ["S256"]
        page = http.get(url)
        back = submit(http, page, ANA.username, ANA.password)
        assert back.status_code == 302
        return await app.authorize_access_token(
            request("/oauth2callback", urlsplit(back.headers["location"]).query)
        )

    # a thread of its own: another test (Playwright's sync API) may keep an event loop
    # running in this one for the rest of the session
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        token = pool.submit(asyncio.run, flow()).result(timeout=60)
    user = token["userinfo"]  # st.user is built from this: id_token verified, nonce checked
    assert user["email"] == ANA.email
    assert user["name"] == ANA.name
    assert user["groups"] == ["planners", "cusco"]
    assert user["iss"] == provider.issuer


def test_prompt_select_account_shows_the_form_and_prompt_none_redirects_login_required(
    metadata, rp, http
):
    url, *_ = start(rp, metadata, prompt="select_account")
    assert "Sign in" in http.get(url).text

    url, state, *_ = start(rp, metadata, prompt="none")
    response = http.get(url)
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query["error"] == ["login_required"] and query["state"] == [state]


def test_login_hint_fills_in_the_username(metadata, rp, http):
    url, *_ = start(rp, metadata, login_hint="ana")
    assert read_form(http.get(url)).fields["username"] == "ana"


# --- what must fail ----------------------------------------------------------------------------


def test_wrong_password_shows_invalid_credentials_and_issues_no_code(provider, metadata, rp, http):
    url, state, *_ = start(rp, metadata)
    page = http.get(url)
    response = submit(http, page, ANA.username, "not-the-password")
    assert response.status_code == 200
    assert "Invalid credentials" in response.text
    assert "location" not in response.headers
    assert "code" not in read_form(response).fields  # the form again, nothing issued
    assert read_form(response).fields["state"] == state  # and it still carries the request
    response = submit(http, page, "nobody", ANA.password)
    assert "Invalid credentials" in response.text


def test_wrong_client_secret_is_401_invalid_client(metadata, rp, http):
    location, verifier, _ = sign_in(http, rp, metadata)
    response = post_token(http, metadata, code_of(location), verifier, secret="wrong-secret")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Basic")
    assert "id_token" not in response.text


def test_wrong_code_verifier_is_400_invalid_grant(metadata, rp, http):
    location, verifier, _ = sign_in(http, rp, metadata)
    other = "x" * 43
    response = post_token(http, metadata, code_of(location), other)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert "access_token" not in response.json()


def test_code_without_the_verifier_is_refused_when_a_challenge_was_sent(metadata, rp, http):
    location, _, _ = sign_in(http, rp, metadata)
    response = http.post(
        metadata["token_endpoint"],
        data={"grant_type": "authorization_code", "code": code_of(location),
              "redirect_uri": REDIRECT_URI},
        auth=(CLIENT_ID, CLIENT_SECRET),
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize("method", ["plain", None])  # no method means plain (RFC 7636 4.3)
def test_only_s256_challenges_are_accepted(metadata, rp, http, method):
    url, state, *_ = start(rp, metadata)
    replacement = "" if method is None else f"code_challenge_method={method}"
    response = http.get(url.replace("code_challenge_method=S256", replacement))
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query["error"] == ["invalid_request"] and query["state"] == [state]
    assert "code" not in query


def test_a_code_is_single_use_and_its_reuse_revokes_the_token(metadata, rp, http):
    location, verifier, _ = sign_in(http, rp, metadata)
    code = code_of(location)
    first = post_token(http, metadata, code, verifier)
    assert first.status_code == 200
    access = {"Authorization": "Bearer " + first.json()["access_token"]}
    assert http.get(metadata["userinfo_endpoint"], headers=access).status_code == 200

    again = post_token(http, metadata, code, verifier)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    assert http.get(metadata["userinfo_endpoint"], headers=access).status_code == 401


def test_an_expired_code_is_refused(metadata, rp, http, monkeypatch):
    location, verifier, _ = sign_in(http, rp, metadata)
    now = oidc_provider._now()
    monkeypatch.setattr(oidc_provider, "_now", lambda: now + oidc_provider.CODE_TTL + 1)
    response = post_token(http, metadata, code_of(location), verifier)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_the_redirect_uri_must_match_at_the_token_endpoint(metadata, rp, http):
    location, verifier, _ = sign_in(http, rp, metadata)
    response = post_token(
        http, metadata, code_of(location), verifier, redirect_uri=REDIRECT_URI + "/other"
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://127.0.0.1:9999/oauth2callback",
        REDIRECT_URI + "/",  # exact match: no prefix or trailing-slash leniency
        REDIRECT_URI.replace("127.0.0.1", "localhost"),
    ],
)
def test_an_unregistered_redirect_uri_is_400_and_never_redirected_to(
    metadata, rp, http, redirect_uri
):
    url, *_ = start(rp, metadata, redirect_uri=redirect_uri)
    response = http.get(url)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "invalid_request" in response.text

    # Posting the form directly, with the right password, does not get around it.
    params = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    data = dict(params, username=ANA.username, password=ANA.password)
    response = http.post(metadata["authorization_endpoint"], data=data)
    assert response.status_code == 400
    assert "location" not in response.headers


def test_an_unknown_client_is_400_without_redirect(metadata, rp, http):
    url, *_ = start(rp, metadata)
    response = http.get(url.replace(f"client_id={CLIENT_ID}", "client_id=someone-else"))
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "invalid_client" in response.text


def test_a_request_without_the_openid_scope_is_sent_back_with_invalid_scope(metadata, rp, http):
    url, state, *_ = start(rp, metadata, scope="email profile")
    response = http.get(url)
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query["error"] == ["invalid_scope"] and query["state"] == [state]
    assert "code" not in query


# --- logout and the script ---------------------------------------------------------------------


def test_logout_redirects_only_to_a_registered_uri(metadata, rp, http):
    location, verifier, _ = sign_in(http, rp, metadata)
    token = post_token(http, metadata, code_of(location), verifier).json()
    # What st.logout sends.
    params = {
        "client_id": CLIENT_ID,
        "post_logout_redirect_uri": REDIRECT_URI,
        "id_token_hint": token["id_token"],
    }
    response = http.get(metadata["end_session_endpoint"], params=params)
    assert response.status_code == 302
    assert response.headers["location"] == REDIRECT_URI

    params["post_logout_redirect_uri"] = "http://127.0.0.1:9999/elsewhere"
    response = http.get(metadata["end_session_endpoint"], params=params)
    assert response.status_code == 200 and "location" not in response.headers
    assert "Signed out" in response.text

    response = http.get(metadata["end_session_endpoint"])
    assert response.status_code == 200 and "Signed out" in response.text


def test_runs_as_a_script_and_prints_its_issuer(tmp_path: Path):
    users = tmp_path / "users.json"
    users.write_text(json.dumps([{"username": "ana", "password": "pw", "email": "a@x.example",
                                  "name": "Ana", "groups": ["planners"]}]))  # fmt: skip
    script = Path(oidc_provider.__file__)
    command = [sys.executable, str(script), "--port", "0", "--users", str(users),
               "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET,
               "--redirect-uri", REDIRECT_URI]  # fmt: skip
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as p:
        try:
            # A deadline, so that a provider that never gets ready fails instead of hanging.
            ready, _, _ = select.select([p.stdout], [], [], 15)
            issuer = p.stdout.readline().strip() if ready else ""
            if not issuer.startswith("http://127.0.0.1:"):
                p.kill()
                pytest.fail(f"no issuer on stdout (got {issuer!r}); stderr:\n{p.communicate()[1]}")
            metadata = httpx.get(
                issuer + "/.well-known/openid-configuration", trust_env=False
            ).json()
            assert metadata["issuer"] == issuer
        finally:
            p.terminate()  # SIGTERM, as a test harness stops a subprocess
        assert p.wait(timeout=10) == 0
