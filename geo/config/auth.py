"""``[auth]``: who signs in and how (local accounts, OpenID Connect rules, trusted proxies)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geo.config.reading import _reject_unknown, _resolve
from geo.config.roles import DATA_ROLES, AccessError, parse_regions, parse_roles
from geo.errors import ConfigError

__all__ = ["AUTH_MODES", "AuthSpec", "OIDCRule", "OIDCSpec", "parse_proxies"]

AUTH_MODES = ("local", "oidc", "none")


@dataclass(frozen=True)
class OIDCRule:
    """Who an OpenID Connect identity is here: matched by e-mail or by group, in file order."""

    role: str | None
    admin: bool = False
    regions: tuple[str, ...] = ()
    email: str = ""
    group: str = ""


@dataclass(frozen=True)
class OIDCSpec:
    """Sign-in through the institution's identity provider (Streamlit's ``st.login``)."""

    server_metadata_url: str
    client_id: str
    redirect_uri: str
    client_secret_env: str = "RISKMAP_OIDC_CLIENT_SECRET"
    groups_claim: str = "groups"
    require_verified_email: bool = True
    rules: tuple[OIDCRule, ...] = ()


@dataclass(frozen=True)
class AuthSpec:
    """Who signs in and how (``[auth]``): :mod:`geo.trust.access`, :mod:`geo.trust.accounts`."""

    mode: str = "local"
    users_file: Path | None = None  # default: <data folder>/usuarios.toml
    session_hours: float = 8.0
    max_failures: int = 5
    lockout_minutes: float = 15.0
    suppression: Mapping[str, int] = field(default_factory=dict)  # k floor per role
    demo_role: str = "planificador"  # the visitor's role in mode "none" (simulated data only)
    secure_cookie: bool = True  # HTTPS only (the default with real data; false on the demo)
    oidc: OIDCSpec | None = None
    # reverse proxies whose X-Forwarded-For / X-Real-IP name the client (networks, normalised
    # by parse_proxies below); none: the TCP peer is the client, headers are ignored
    trusted_proxies: tuple[str, ...] = ()


_AUTH_KEYS = {"mode", "users_file", "session_hours", "max_failures", "lockout_minutes",
              "suppression", "demo_role", "secure_cookie", "oidc", "trusted_proxies"}
_OIDC_KEYS = {"server_metadata_url", "client_id", "redirect_uri", "client_secret_env",
              "groups_claim", "require_verified_email", "rules"}
_RULE_KEYS = {"email", "group", "roles", "regions"}


def _parse_auth(raw: dict[str, Any] | None, path: Path, folder: Path, simulated: bool
                ) -> AuthSpec:
    """``[auth]``; without it, sign-in is local (real data) or none (a simulated world)."""
    if raw is None:
        return AuthSpec(mode="none" if simulated else "local")
    _reject_unknown(raw, _AUTH_KEYS, path, "auth")
    defaults = AuthSpec()
    mode = str(raw.get("mode", defaults.mode))
    if mode not in AUTH_MODES:
        raise ConfigError("config.auth_mode_no_existe", path=path, mode=mode,
                          auth_modes=', '.join(AUTH_MODES))
    suppression = raw.get("suppression", {})
    _reject_unknown(suppression, {r for r in DATA_ROLES if r != "planificador"}, path,
                    "auth.suppression")
    for role, k in suppression.items():
        if not isinstance(k, int) or k < 5:
            raise ConfigError("config.auth_suppression_debe_entero", path=path, role=role, k=k)
    demo_role = str(raw.get("demo_role", defaults.demo_role))
    if demo_role not in DATA_ROLES:
        raise ConfigError("config.auth_demo_role_use", path=path, demo_role=demo_role,
                          data_roles=', '.join(DATA_ROLES))
    numbers = {}
    for key in ("session_hours", "max_failures", "lockout_minutes"):
        value = raw.get(key, getattr(defaults, key))
        if not isinstance(value, int | float) or value <= 0:
            raise ConfigError("config.auth_debe_numero_positivo", path=path, key_=key, value=value)
        numbers[key] = value
    oidc = None
    if "oidc" in raw:
        item = raw["oidc"]
        _reject_unknown(item, _OIDC_KEYS, path, "auth.oidc")
        missing = [k for k in ("server_metadata_url", "client_id", "redirect_uri")
                   if not item.get(k)]
        if missing:
            raise ConfigError("config.auth_oidc_faltan_da", path=path, missing=', '.join(missing))
        rules = []
        for i, rule in enumerate(item.get("rules", []), start=1):
            where = f"auth.oidc.rules[{i}]"
            _reject_unknown(rule, _RULE_KEYS, path, where)
            if bool(rule.get("email")) == bool(rule.get("group")):
                raise ConfigError("config.necesita_email_group_dos", path=path, where=where)
            try:
                role, admin = parse_roles(rule.get("roles", []))
                regions = parse_regions(rule.get("regions"), role)
            except AccessError as err:
                raise ConfigError("config.texto", path=path, where=where, err=err) from err
            rules.append(OIDCRule(role=role, admin=admin, regions=regions,
                                  email=str(rule.get("email", "")).strip().lower(),
                                  group=str(rule.get("group", "")).strip()))
        oidc = OIDCSpec(
            server_metadata_url=str(item["server_metadata_url"]),
            client_id=str(item["client_id"]), redirect_uri=str(item["redirect_uri"]),
            client_secret_env=str(item.get("client_secret_env",
                                           OIDCSpec.client_secret_env)),
            groups_claim=str(item.get("groups_claim", OIDCSpec.groups_claim)),
            require_verified_email=bool(item.get("require_verified_email", True)),
            rules=tuple(rules))
    if mode == "oidc" and oidc is None:
        raise ConfigError("config.auth_mode_oidc_necesita", path=path)
    return AuthSpec(
        mode=mode, users_file=_resolve(folder, raw.get("users_file")),
        session_hours=float(numbers["session_hours"]),
        max_failures=int(numbers["max_failures"]),
        lockout_minutes=float(numbers["lockout_minutes"]),
        suppression={str(k): int(v) for k, v in suppression.items()},
        demo_role=demo_role, oidc=oidc,
        # real records: the session cookie travels over HTTPS only, unless said otherwise
        secure_cookie=bool(raw.get("secure_cookie", not simulated)),
        trusted_proxies=_parse_proxies(raw.get("trusted_proxies", []), path))


def _parse_proxies(raw: Any, path: Path) -> tuple[str, ...]:
    """``[auth] trusted_proxies``: a list of addresses or CIDR networks (none by default)."""
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        raise ConfigError("config.auth_trusted_proxies_debe", path=path, raw=raw)
    try:
        return parse_proxies(raw)
    except AccessError as err:
        raise ConfigError("config.auth_trusted_proxies", path=path, err=err) from err


def parse_proxies(values: Iterable[Any]) -> tuple[str, ...]:
    """Return trusted proxies (addresses or CIDR networks) as normalised networks.

    Raises :class:`AccessError` naming the first value that is not an address or network,
    or a network so wide that trusting it would let any client name its own address.

    >>> parse_proxies(["127.0.0.1", "::1", "10.0.0.0/8"])
    ('127.0.0.1/32', '::1/128', '10.0.0.0/8')
    """
    out = []
    for raw in values:
        try:
            net = ipaddress.ip_network(str(raw).strip(), strict=False)
        except ValueError as err:
            raise AccessError("config.no_direccion_ip_ni", raw=raw) from err
        if net.prefixlen < (8 if net.version == 4 else 32):
            raise AccessError("config.abarca_demasiadas_direcciones_cualquier", raw=raw)
        out.append(str(net))
    return tuple(dict.fromkeys(out))
