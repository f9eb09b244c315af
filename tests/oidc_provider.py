"""A small OpenID Connect provider on 127.0.0.1, so that tests can sign in with ``st.login``.

This is a **test double, not an identity provider for production**: users and passwords live in
memory in plain text, the signing key is generated at start and forgotten at exit, and plain
HTTP is accepted because it only ever listens on the loopback interface. What it does do for
real is the protocol a client such as Streamlit's ``st.login`` (Authlib's Starlette client)
speaks with Google or Microsoft Entra ID:

* discovery at ``/.well-known/openid-configuration``, with S256 PKCE advertised;
* the authorization-code flow at ``/authorize``: a plain HTML sign-in form (fields ``username``
  and ``password``, button "Sign in"), redirect URIs matched exactly, ``prompt`` and ``nonce``;
* ``/token`` with ``client_secret_basic`` or ``client_secret_post``, single-use codes that
  expire after 60 s, and the PKCE ``code_verifier`` checked;
* an RS256 ``id_token`` whose key is published at ``/jwks``; ``/userinfo`` for the access token;
* RP-initiated logout at ``/logout``.

The OAuth 2.0 and OpenID Connect rules (request validation, client authentication, PKCE,
error responses, the ``id_token``) are Authlib's server grants; this module only supplies the
storage, the sign-in page and a thin Starlette adapter, since Authlib ships server integrations
for Flask and Django but not for Starlette.

In a test, :func:`run_provider` serves it from a background thread::

    with run_provider([OIDCUser("ana", "pw", "ana@example.org", "Ana")], "app", "secret",
                      ["http://127.0.0.1:8501/oauth2callback"]) as op:
        ...  # op.metadata_url is the server_metadata_url for st.login

From a shell, or as a subprocess of browser tests (prints the issuer once it answers, serves
until SIGINT or SIGTERM)::

    python tests/oidc_provider.py --port 9000 --users users.json \\
        --client-id app --client-secret secret \\
        --redirect-uri http://127.0.0.1:8501/oauth2callback

where ``users.json`` is a list of objects with the fields of :class:`OIDCUser`.
"""

from __future__ import annotations

import argparse
import hmac
import html
import ipaddress
import json
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl

import httpx
import uvicorn
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    ClientMixin,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Error,
    OAuth2Payload,
    OAuth2Request,
    ResourceProtector,
    TokenMixin,
    scope_to_list,
)
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant
from authlib.oauth2.rfc6750 import BearerTokenGenerator, BearerTokenValidator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import AuthorizationCodeMixin
from authlib.oidc.core.grants import OpenIDCode
from authlib.oidc.core.grants.util import is_openid_scope
from authlib.oidc.rpinitiated import EndSessionEndpoint
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

__all__ = ["OIDCUser", "Provider", "run_provider", "main"]

CODE_TTL = 60  # seconds an authorization code can be exchanged
ID_TOKEN_TTL = 300  # seconds between an id_token's iat and exp
ACCESS_TOKEN_TTL = 3600  # seconds an access token works at /userinfo
SCOPES = ("openid", "email", "profile")
AUTH_METHODS = ("client_secret_basic", "client_secret_post")
CLAIMS = (
    "sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash",
    "email", "email_verified", "name", "preferred_username", "groups",
)  # fmt: skip


@dataclass(frozen=True)
class OIDCUser:
    """A user who can sign in at the provider.

    Parameters
    ----------
    username, password : str
        What the user types into the sign-in form.
    email, name : str
        The ``email`` (scope ``email``) and ``name`` (scope ``profile``) claims.
    groups : sequence of str, default ()
        The ``groups`` claim, a list; left out of the tokens when empty.
    email_verified : bool, default True
        The ``email_verified`` claim.
    sub : str, optional
        The subject identifier; the username when not given.
    """

    username: str
    password: str
    email: str
    name: str
    groups: Sequence[str] = ()
    email_verified: bool = True
    sub: str | None = None

    def __post_init__(self) -> None:
        # A JSON list or a bare string would otherwise be kept as given (and a string would
        # turn into a list of letters in the token).
        groups = (self.groups,) if isinstance(self.groups, str) else tuple(self.groups)
        object.__setattr__(self, "groups", groups)

    @property
    def subject(self) -> str:
        """The ``sub`` claim: ``sub`` if given, else the username."""
        return self.sub or self.username


@dataclass
class Provider:
    """A running provider, as yielded by :func:`run_provider`.

    Attributes
    ----------
    issuer : str
        The issuer identifier, e.g. ``"http://127.0.0.1:54321"``; every endpoint lives under it.
    requests : list of (str, str)
        ``(method, path)`` of every request the provider answered since it became ready, in
        order, so that a test can check that a sign-in really went through it.
    """

    issuer: str
    requests: list[tuple[str, str]] = field(default_factory=list)

    @property
    def metadata_url(self) -> str:
        """The discovery document: ``server_metadata_url`` for ``st.login``."""
        return self.issuer + "/.well-known/openid-configuration"


@contextmanager
def run_provider(
    users: Sequence[OIDCUser],
    client_id: str,
    client_secret: str,
    redirect_uris: Sequence[str],
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    post_logout_redirect_uris: Sequence[str] | None = None,
) -> Iterator[Provider]:
    """Serve the provider from a background thread for the duration of a ``with`` block.

    One confidential client is registered. The server listens before this returns, answers the
    discovery document before the block starts, and is stopped when the block ends.

    Parameters
    ----------
    users : sequence of OIDCUser
        Who can sign in; usernames must be unique.
    client_id, client_secret : str
        The registered client (the app under test).
    redirect_uris : sequence of str
        The redirect URIs the client may use, compared character by character.
    host : str, default "127.0.0.1"
        A loopback address or ``"localhost"``: the provider speaks plain HTTP, which OAuth
        (and Authlib) only accept on loopback.
    port : int, default 0
        0 picks a free port; :attr:`Provider.issuer` tells which.
    post_logout_redirect_uris : sequence of str, optional
        Where ``/logout`` may send the browser back to; ``redirect_uris`` when not given
        (``st.logout`` passes its redirect URI).

    Yields
    ------
    Provider
        ``issuer``, ``metadata_url`` and the ``requests`` seen.

    Examples
    --------
    >>> ana = OIDCUser("ana", "pw", "ana@example.org", "Ana Mamani", groups=["planners"])
    >>> with run_provider([ana], "app", "secret", ["http://127.0.0.1:8501/cb"]) as op:
    ...     metadata = httpx.get(op.metadata_url, trust_env=False).json()
    >>> metadata["issuer"] == op.issuer, metadata["code_challenge_methods_supported"]
    (True, ['S256'])
    >>> op.requests
    [('GET', '/.well-known/openid-configuration')]
    """
    users = list(users)
    redirect_uris = _as_list(redirect_uris, "redirect_uris")
    if post_logout_redirect_uris is None:
        post_logout_redirect_uris = redirect_uris
    post_logout_redirect_uris = _as_list(post_logout_redirect_uris, "post_logout_redirect_uris")
    if not users:
        raise ValueError("run_provider() needs at least one OIDCUser to sign in with")
    usernames = [user.username for user in users]
    if len(set(usernames)) != len(usernames):
        raise ValueError(f"usernames must be unique, got {usernames}")

    if not _is_loopback(host):
        raise ValueError(
            f"host must be a loopback address or 'localhost', got {host!r}: the provider "
            "speaks plain HTTP, which OAuth clients and Authlib accept on loopback only"
        )

    # Bind before starting the thread so that the issuer (which goes into every token) is
    # known up front and connections made right away wait in the backlog instead of failing.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.create_server((host, port), family=family)
    bound_port = sock.getsockname()[1]
    netloc = f"[{host}]:{bound_port}" if ":" in host else f"{host}:{bound_port}"
    provider = Provider(issuer=f"http://{netloc}")
    client = _Client(client_id, client_secret, redirect_uris, post_logout_redirect_uris)
    state = _State(provider, client, {user.username: user for user in users})

    config = uvicorn.Config(
        _build_app(state), log_level="warning", access_log=False, lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="oidc-provider", daemon=True
    )
    thread.start()
    try:
        _wait_until_ready(provider.metadata_url, thread)
        # The readiness probe is nobody's sign-in; tests see only their own requests.
        provider.requests.clear()
        yield provider
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Serve the provider until SIGINT or SIGTERM; print the issuer on stdout once it answers.

    Parameters
    ----------
    argv : sequence of str, optional
        The command-line arguments; ``sys.argv[1:]`` when not given. ``--help`` lists them.

    Returns
    -------
    int
        The exit status, 0 after a clean stop.
    """
    parser = argparse.ArgumentParser(
        prog="oidc_provider.py",
        description="A test OpenID Connect provider on loopback (a test double, not for "
        "production). Prints the issuer on the first line of stdout once it is ready.",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="loopback address (default %(default)s)"
    )
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (the default)")
    parser.add_argument(
        "--users", type=Path, required=True, help="JSON file: a list of OIDCUser fields"
    )
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    parser.add_argument(
        "--redirect-uri", action="append", required=True, help="registered redirect URI (repeat)"
    )
    parser.add_argument(
        "--post-logout-redirect-uri",
        action="append",
        help="where /logout may redirect (repeat); the redirect URIs by default",
    )
    args = parser.parse_args(argv)
    users = _read_users(args.users)

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with run_provider(
        users,
        args.client_id,
        args.client_secret,
        args.redirect_uri,
        host=args.host,
        port=args.port,
        post_logout_redirect_uris=args.post_logout_redirect_uri,
    ) as provider:
        print(provider.issuer, flush=True)
        print(f"discovery: {provider.metadata_url}", file=sys.stderr, flush=True)
        # A timeout keeps the main thread returning to the interpreter, where the handlers run.
        while not stop.wait(0.5):
            pass
    return 0


# --- helpers -----------------------------------------------------------------------------------


def _now() -> float:
    # One clock for codes, tokens and claims, so that a test can move it forward.
    return time.time()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _as_list(uris: Sequence[str], name: str) -> list[str]:
    # A bare string would be iterated letter by letter and register nothing useful.
    uris = [uris] if isinstance(uris, str) else list(uris)
    if not uris:
        raise ValueError(f"{name} must name at least one URI")
    return uris


def _read_users(path: Path) -> list[OIDCUser]:
    try:
        items = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise SystemExit(f"--users {path}: cannot read a JSON list of users ({error})") from None
    if not isinstance(items, list):
        raise SystemExit(f"--users {path}: expected a JSON list of objects, got {type(items)}")
    users = []
    for i, item in enumerate(items):
        try:
            users.append(OIDCUser(**item))
        except TypeError as error:
            raise SystemExit(
                f"--users {path}, item {i}: {error}; fields are username, password, email, "
                "name, groups, email_verified, sub"
            ) from None
    return users


def _wait_until_ready(url: str, thread: threading.Thread, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    # trust_env=False: a proxy from the environment must not sit between us and loopback.
    with httpx.Client(trust_env=False, timeout=1.0) as http:
        while time.monotonic() < deadline:
            if not thread.is_alive():
                raise RuntimeError(f"the OIDC provider stopped before answering {url}")
            try:
                if http.get(url).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.02)
    raise RuntimeError(f"the OIDC provider did not answer {url} within {timeout} s")


def _user_claims(user: OIDCUser, scope: str | None) -> dict:
    # Standard claims follow the granted scopes (OIDC Core 5.4), as Google and Entra ID do;
    # groups has no standard scope, so it comes whenever the user has groups.
    scopes = set(scope_to_list(scope) or [])
    claims: dict = {"sub": user.subject}
    if "email" in scopes:
        claims.update(email=user.email, email_verified=user.email_verified)
    if "profile" in scopes:
        claims.update(name=user.name, preferred_username=user.username)
    if user.groups:
        claims["groups"] = list(user.groups)
    return claims


# --- storage: what Authlib's grants ask the application for -------------------------------------


class _Client(ClientMixin):
    def __init__(
        self,
        client_id: str,
        client_secret: str,
        redirect_uris: list[str],
        post_logout_redirect_uris: list[str],
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uris = redirect_uris
        # Read by Authlib's EndSessionEndpoint.
        self.client_metadata = {"post_logout_redirect_uris": post_logout_redirect_uris}

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        # OIDC Core 3.1.2.1 makes redirect_uri REQUIRED, so there is no default to fall back on.
        return None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        if scope is None:
            return None
        # OIDC Core 3.1.2.1: scope values the provider does not understand SHOULD be ignored.
        return " ".join(s for s in scope_to_list(scope) if s in SCOPES)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(client_secret.encode(), self.client_secret.encode())

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return endpoint == "token" and method in AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class _AuthorizationCode(AuthorizationCodeMixin):
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: OIDCUser
    nonce: str | None
    auth_time: int
    code_challenge: str | None
    code_challenge_method: str | None
    expires_at: float

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time


@dataclass
class _Token(TokenMixin):
    access_token: str
    client: _Client
    scope: str
    user: OIDCUser
    expires_at: float
    revoked: bool = False

    def check_client(self, client: ClientMixin) -> bool:
        return client.get_client_id() == self.client.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return ACCESS_TOKEN_TTL

    def is_expired(self) -> bool:
        return _now() >= self.expires_at

    def is_revoked(self) -> bool:
        return self.revoked

    def get_user(self) -> OIDCUser:
        return self.user

    def get_client(self) -> _Client:
        return self.client


@dataclass
class _State:
    # Everything below is touched only from the server's event loop, so it needs no lock.
    provider: Provider
    client: _Client
    users: dict[str, OIDCUser]
    key: RSAKey = field(
        default_factory=lambda: RSAKey.generate_key(
            2048, parameters={"use": "sig", "alg": "RS256"}, auto_kid=True
        )
    )
    codes: dict[str, _AuthorizationCode] = field(default_factory=dict)
    # code -> access tokens issued for it, kept to revoke them if the code comes back.
    spent_codes: dict[str, list[str]] = field(default_factory=dict)
    tokens: dict[str, _Token] = field(default_factory=dict)
    nonces: set[tuple[str, str]] = field(default_factory=set)

    @property
    def issuer(self) -> str:
        return self.provider.issuer

    def jwks(self) -> dict:
        return {"keys": [self.key.as_dict(private=False)]}


# --- Authlib's server, wired to the storage above -----------------------------------------------


class _CodeGrant(AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = list(AUTH_METHODS)

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        state: _State = self.server.state
        data = request.payload.data
        now = _now()
        state.codes[code] = _AuthorizationCode(
            code=code,
            client_id=request.client.client_id,
            redirect_uri=request.payload.redirect_uri,
            scope=request.scope,
            user=request.user,
            nonce=data.get("nonce"),
            auth_time=int(now),
            code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method"),
            expires_at=now + CODE_TTL,
        )
        if data.get("nonce"):
            state.nonces.add((request.client.client_id, data["nonce"]))

    def query_authorization_code(self, code: str, client: _Client) -> _AuthorizationCode | None:
        state: _State = self.server.state
        # Taken out at the first look, so that a code is spent even by a failed exchange
        # (wrong verifier, wrong redirect_uri): one try per code.
        item = state.codes.pop(code, None)
        if item is None:
            # RFC 6749 4.1.2: a code used twice SHOULD revoke the tokens it gave out.
            for access_token in state.spent_codes.get(code, []):
                state.tokens[access_token].revoked = True
            return None
        state.spent_codes[code] = []
        if item.client_id != client.client_id or _now() >= item.expires_at:
            return None
        return item

    def delete_authorization_code(self, authorization_code: _AuthorizationCode) -> None:
        pass  # already spent by query_authorization_code

    def authenticate_user(self, authorization_code: _AuthorizationCode) -> OIDCUser:
        return authorization_code.user


class _S256Only(CodeChallenge):
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant: _CodeGrant, redirect_uri: str) -> None:
        super().validate_code_challenge(grant, redirect_uri)
        data = grant.request.payload.data
        # RFC 7636 4.3: a challenge without a method means "plain", which is not offered here;
        # Authlib's check only looks at a method that is present.
        if data.get("code_challenge") and data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("Unsupported 'code_challenge_method', use S256.")


class _OpenIDCode(OpenIDCode):
    def __init__(self, state: _State) -> None:
        super().__init__(require_nonce=False)
        self.state = state

    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        return (request.payload.client_id, nonce) in self.state.nonces

    def resolve_client_private_key(self, client: _Client) -> RSAKey:
        return self.state.key

    def get_client_algorithm(self, client: _Client) -> str:
        return "RS256"

    def get_encode_header(self, client: _Client) -> dict:
        return {"alg": "RS256", "kid": self.state.key.kid}

    def get_client_claims(self, client: _Client) -> dict:
        now = int(_now())
        return {
            "iss": self.state.issuer,
            "aud": client.client_id,
            "iat": now,
            "exp": now + ID_TOKEN_TTL,
        }

    def generate_user_info(self, user: OIDCUser, scope: str) -> dict:
        return _user_claims(user, scope)


class _EndSession(EndSessionEndpoint):
    def get_server_jwks(self) -> dict:
        return self.server.state.jwks()

    def get_algorithms(self) -> list[str]:
        return ["RS256"]

    def end_session(self, end_session_request) -> None:
        pass  # there is no session to end: every /authorize asks for the password again

    def is_post_logout_redirect_uri_legitimate(self, request, uri, client, logout_hint) -> bool:
        # The URI is registered for the client (Authlib checked that first); for a test double
        # that is trust enough without an id_token_hint.
        return True


class _BearerValidator(BearerTokenValidator):
    def __init__(self, state: _State) -> None:
        super().__init__()
        self.state = state

    def authenticate_token(self, token_string: str) -> _Token | None:
        return self.state.tokens.get(token_string)


class _Server(AuthorizationServer):
    def __init__(self, state: _State) -> None:
        super().__init__(scopes_supported=list(SCOPES))
        self.state = state
        self.register_token_generator(
            "default",
            BearerTokenGenerator(
                access_token_generator=lambda **_: generate_token(42),
                expires_generator=ACCESS_TOKEN_TTL,
            ),
        )
        self.register_grant(_CodeGrant, [_S256Only(required=False), _OpenIDCode(state)])
        self.register_endpoint(_EndSession)

    def query_client(self, client_id: str) -> _Client | None:
        return self.state.client if client_id == self.state.client.client_id else None

    def save_token(self, token: dict, request: OAuth2Request) -> None:
        self.state.tokens[token["access_token"]] = _Token(
            access_token=token["access_token"],
            client=request.client,
            scope=token.get("scope", ""),
            user=request.user,
            expires_at=_now() + ACCESS_TOKEN_TTL,
        )
        if request.authorization_code is not None:
            code = request.authorization_code.code
            self.state.spent_codes.setdefault(code, []).append(token["access_token"])

    def validate_requested_scope(self, scope: str | None) -> None:
        # Unknown scopes are dropped by _Client.get_allowed_scope; only openid is a must.
        if not is_openid_scope(scope):
            raise InvalidScopeError("The 'openid' scope is required.")

    def create_oauth2_request(self, request: OAuth2Request) -> OAuth2Request:
        # The handlers read the body (async) and build the request before calling Authlib.
        return request

    def create_json_request(self, request):
        raise NotImplementedError("no endpoint here takes JSON")

    def handle_response(self, status: int, body, headers: list[tuple[str, str]]) -> Response:
        content = json.dumps(body) if isinstance(body, dict) else body
        return Response(content, status_code=status, headers=dict(headers))

    def send_signal(self, name: str, *args, **kwargs) -> None:
        pass  # nothing listens


class _Payload(OAuth2Payload):
    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._datalist: dict[str, list[str]] = {}
        for key, value in pairs:
            self._datalist.setdefault(key, []).append(value)
        self._data = {key: values[0] for key, values in self._datalist.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> dict[str, list[str]]:
        return self._datalist


class _OAuth2Request(OAuth2Request):
    def __init__(self, request: Request, form: list[tuple[str, str]]) -> None:
        super().__init__(request.method, str(request.url), headers=request.headers)
        args = list(request.query_params.multi_items())
        self._args = dict(args)
        self._form = dict(form)
        self.pairs = args + form
        # Like Flask's request.values: query and form together, as Authlib's Flask adapter does.
        self.payload = _Payload(self.pairs)

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


async def _read(request: Request) -> _OAuth2Request:
    form: list[tuple[str, str]] = []
    if request.method == "POST":
        # Parsed by hand: Starlette's request.form() would need python-multipart.
        body = (await request.body()).decode("utf-8", errors="replace")
        form = parse_qsl(body, keep_blank_values=True)
    return _OAuth2Request(request, form)


# --- the web app --------------------------------------------------------------------------------


def _build_app(state: _State):
    server = _Server(state)
    protector = ResourceProtector()
    protector.register_token_validator(_BearerValidator(state))

    async def discovery(request: Request) -> Response:
        issuer = state.issuer
        return JSONResponse(
            {
                "issuer": issuer,
                "authorization_endpoint": issuer + "/authorize",
                "token_endpoint": issuer + "/token",
                "jwks_uri": issuer + "/jwks",
                "userinfo_endpoint": issuer + "/userinfo",
                "end_session_endpoint": issuer + "/logout",
                "response_types_supported": ["code"],
                "response_modes_supported": ["query"],
                "grant_types_supported": ["authorization_code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": list(SCOPES),
                "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
                "code_challenge_methods_supported": ["S256"],
                "claims_supported": list(CLAIMS),
            }
        )

    async def jwks(request: Request) -> Response:
        return JSONResponse(state.jwks())

    async def authorize(request: Request) -> Response:
        req = await _read(request)
        try:
            grant = server.get_consent_grant(req, end_user=None)
        except OAuth2Error as error:
            if error.redirect_uri:  # Authlib sets it only once client and redirect_uri check out
                return server.handle_error_response(req, error)
            # RFC 6749 4.1.2.1: never redirect to an unverified URI; tell the person instead.
            return _error_page(error.error, error.get_error_description(), 400)
        if request.method == "GET":
            return _sign_in_page(req, error=False)
        user = state.users.get(req.form.get("username", ""))
        password = req.form.get("password", "")
        if user is None or not hmac.compare_digest(password.encode(), user.password.encode()):
            return _sign_in_page(req, error=True)
        return server.create_authorization_response(req, grant_user=user, grant=grant)

    async def token(request: Request) -> Response:
        return server.create_token_response(await _read(request))

    async def userinfo(request: Request) -> Response:
        req = await _read(request)
        try:
            access = protector.validate_request(["openid"], req)
        except OAuth2Error as error:
            return server.handle_response(*error())
        return JSONResponse(_user_claims(access.user, access.scope))

    async def logout(request: Request) -> Response:
        req = await _read(request)
        try:
            validated = server.validate_endpoint_request("end_session", req)
        except OAuth2Error as error:
            # RP-initiated logout 4: no redirect after an error in the logout request.
            return _error_page(error.error, error.get_error_description(), 400)
        redirect = server.create_endpoint_response("end_session", validated)
        return redirect or _page("Signed out", '<p id="signed-out">Signed out</p>')

    app = Starlette(
        routes=[
            Route("/.well-known/openid-configuration", discovery, methods=["GET"]),
            Route("/jwks", jwks, methods=["GET"]),
            Route("/authorize", authorize, methods=["GET", "POST"]),
            Route("/token", token, methods=["POST"]),
            Route("/userinfo", userinfo, methods=["GET", "POST"]),
            Route("/logout", logout, methods=["GET", "POST"]),
        ]
    )

    async def recording_app(scope, receive, send) -> None:
        if scope["type"] == "http":
            state.provider.requests.append((scope["method"], scope["path"]))
        await app(scope, receive, send)

    return recording_app


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)} · test OIDC provider</title></head>\n"
        f"<body>\n<h1>{html.escape(title)}</h1>\n{body}\n"
        "<p><small>Test identity provider, not for production.</small></p>\n</body></html>\n",
        status_code=status,
    )


def _error_page(error: str, description: str | None, status: int) -> HTMLResponse:
    text = error if not description else f"{error}: {description}"
    return _page("Sign-in error", f'<p id="error" role="alert">{html.escape(text)}</p>', status)


def _sign_in_page(req: _OAuth2Request, error: bool) -> HTMLResponse:
    # The authorization request rides along in hidden fields, so the POST can be validated
    # again from scratch: the provider keeps no state between showing the form and reading it.
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">\n'
        for k, v in req.pairs
        if k not in ("username", "password")
    )
    username = req.form.get("username") or req.payload.data.get("login_hint") or ""
    alert = '<p id="error" role="alert">Invalid credentials</p>\n' if error else ""
    body = (
        f"{alert}"
        '<form method="post" action="/authorize">\n'
        f"{hidden}"
        '<p><label for="username">Username</label>\n'
        '<input id="username" name="username" autocomplete="username" '
        f'value="{html.escape(username)}"></p>\n'
        '<p><label for="password">Password</label>\n'
        '<input id="password" name="password" type="password" '
        'autocomplete="current-password"></p>\n'
        '<p><button id="submit" type="submit">Sign in</button></p>\n'
        "</form>"
    )
    return _page("Sign in", body)


if __name__ == "__main__":
    sys.exit(main())
