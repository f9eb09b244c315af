"""The sign-in rules that need no Streamlit: what the settings allow, whom OIDC names.

Whether the dashboard may serve the settings' ``[auth]`` at all (:func:`mode_refusal`,
checked by ``riskmap serve`` before it starts and by :func:`dashboard.auth.gate` on every
run), and which identity, role and regions an OIDC sign-in maps to by the settings' rules
(:func:`oidc_identity`, :func:`oidc_principal`, used by the app's gate and by the server's
metrics gate). Plain functions of the settings and the claims: the command line and the
server read them without loading the dashboard's pages.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from geo.config import OIDCSpec, Settings
from geo.errors import ConfigError, RiskmapError
from geo.trust.access import Principal

__all__ = ["COOKIE", "mode_refusal", "oidc_identity", "oidc_principal"]

COOKIE = "riskmap_sesion"  # the session cookie of [auth] mode = "local"


def mode_refusal(settings: Settings) -> RiskmapError | None:
    """Why the dashboard must not serve these settings as they are (None: it may)."""
    if settings.auth.mode == "none" and not settings.simulated:
        return ConfigError("acceso.auth_mode_none_sin", path=settings.path)
    if settings.auth.mode == "oidc" and settings.auth.oidc is not None:
        if not os.environ.get(settings.auth.oidc.client_secret_env):
            return ConfigError("acceso.falta_secreto_cliente_oidc",
                               client_secret_env=settings.auth.oidc.client_secret_env)
    return None


def oidc_identity(claims: Mapping[str, Any], spec: OIDCSpec) -> str:
    """Return who an OIDC sign-in is, as the audit trail names it.

    A trusted e-mail (verified, unless ``require_verified_email = false``), else the
    provider's own subject id ``iss|sub``: a name the person chose never names anyone.

    >>> from geo.config import OIDCSpec
    >>> oidc_identity({"email": "A@x.pe", "email_verified": True}, OIDCSpec("u", "c", "r"))
    'a@x.pe'
    >>> oidc_identity({"email": "a@x.pe", "email_verified": "false", "iss": "https://sso",
    ...                "sub": "42"}, OIDCSpec("u", "c", "r"))
    'https://sso|42'
    """
    email = str(claims.get("email") or "").strip().lower()
    flag = claims.get("email_verified")
    verified = flag is True or str(flag).strip().lower() == "true"  # never "false" as truthy
    if email and (verified or not spec.require_verified_email):
        return email
    return f"{claims.get('iss') or ''}|{claims.get('sub') or ''}"


def oidc_principal(claims: Mapping[str, Any], spec: OIDCSpec) -> Principal | None:
    """Return the identity an OIDC sign-in maps to by the settings' rules (or None).

    A rule by e-mail needs a verified e-mail (unless ``require_verified_email = false``);
    a rule by group needs the group in the ``groups_claim`` claim. The first rule that
    matches, in file order, decides: role and regions come only from the settings.

    >>> from geo.config import OIDCRule, OIDCSpec
    >>> spec = OIDCSpec("u", "c", "r", rules=(
    ...     OIDCRule("planificador", regions=("08",), email="ana@x.pe"),
    ...     OIDCRule("investigador", group="investigacion")))
    >>> oidc_principal({"email": "ANA@x.pe", "email_verified": True}, spec).regions
    ('08',)
    >>> oidc_principal({"email": "ana@x.pe", "email_verified": "false"}, spec) is None
    True
    >>> p = oidc_principal({"email": "b@y.pe", "groups": ["investigacion"], "iss": "https://sso",
    ...                     "sub": "42"}, spec)
    >>> p.role, p.user  # an unverified e-mail never names anyone in the audit trail
    ('investigador', 'https://sso|42')
    """
    user = oidc_identity(claims, spec)
    email_ok = bool(claims.get("email")) and user == str(claims["email"]).strip().lower()
    groups = claims.get(spec.groups_claim) or []
    if isinstance(groups, str):
        groups = [groups]
    groups = {str(g).strip().lstrip("/") for g in groups}  # Keycloak may write "/group"
    for rule in spec.rules:
        if (rule.email and email_ok and user == rule.email) or \
                (rule.group and rule.group in groups):
            return Principal(user, role=rule.role, admin=rule.admin, regions=rule.regions,
                             method="oidc", name=str(claims.get("name") or user))
    return None
