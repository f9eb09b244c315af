"""The roles and regions an account or a sign-in rule may name, and how they are read.

Settings (``[auth.oidc] rules``) and the users file name them; :mod:`geo.trust.access`
decides what each role may see. Kept here, below trust, so that reading the settings
never imports trust code.

>>> parse_roles("planificador,admin")
('planificador', True)
"""

from __future__ import annotations

from collections.abc import Iterable

from geo.errors import RiskmapError
from geo.messages import Message

__all__ = [
    "AccessError",
    "DATA_ROLES",
    "PERSON_ROLES",
    "REGION_REQUIRED",
    "ROL_ADMIN",
    "ROL_GOBIERNO_REGIONAL",
    "ROL_INVESTIGADOR",
    "ROL_PLANIFICADOR",
    "ROL_SISTEMA",
    "parse_regions",
    "parse_roles",
]

ROL_PLANIFICADOR = "planificador"
ROL_GOBIERNO_REGIONAL = "gobierno_regional"
ROL_INVESTIGADOR = "investigador"
ROL_ADMIN = "admin"
ROL_SISTEMA = "sistema"  # the model-fitting pipeline and the server's own operator
#: Roles that see inspection data, from most to least access.
DATA_ROLES = (ROL_PLANIFICADOR, ROL_GOBIERNO_REGIONAL, ROL_INVESTIGADOR)
#: Roles a person can hold.
PERSON_ROLES = (*DATA_ROLES, ROL_ADMIN)
#: Roles whose account must name its regions (they act for a regional office).
REGION_REQUIRED = (ROL_PLANIFICADOR, ROL_GOBIERNO_REGIONAL)
_REGION_ALIASES = {"cusco": "08", "loreto": "16"}
_ALL = ("all", "todas", "todo", "*")


class AccessError(RiskmapError):
    """A role or region given to an account or a rule is not valid."""



def parse_roles(value: str | Iterable[str]) -> tuple[str | None, bool]:
    """Turn ``"planificador,admin"`` (or a list) into ``(data role, admin)``.

    At most one data role: an account acts for one office in one capacity.

    >>> parse_roles(["admin"])
    (None, True)
    >>> parse_roles("investigador")
    ('investigador', False)
    """
    items = value.split(",") if isinstance(value, str) else list(value)
    names = [str(v).strip().lower() for v in items if str(v).strip()]
    unknown = [n for n in names if n not in PERSON_ROLES]
    if unknown or not names:
        raise AccessError("config.rol_no_valido",
                          unknown=", ".join(unknown) or Message("config.rol_vacio"),
                          roles=", ".join(PERSON_ROLES))
    data = [n for n in dict.fromkeys(names) if n in DATA_ROLES]
    if len(data) > 1:
        raise AccessError("config.cuenta_tiene_solo_rol", data=', '.join(data))
    return (data[0] if data else None), ROL_ADMIN in names


def parse_regions(value: str | Iterable[str] | None, role: str | None = None
                  ) -> tuple[str, ...]:
    """Turn ``"cusco,loreto"``, ``"08"`` or ``"all"`` into department codes (``()`` = all).

    A planner or a regional government acts for named regions: for them an empty value
    is an error rather than "everything".

    >>> parse_regions("cusco,16"), parse_regions("all"), parse_regions(None, "investigador")
    (('08', '16'), (), ())
    """
    if value is None or value == "" or value == []:
        if role in REGION_REQUIRED:
            raise AccessError("config.rol_necesita_regiones_region", role=role)
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)
    codes: list[str] = []
    for raw in items:
        token = str(raw).strip().lower()
        if not token:
            continue
        if token in _ALL:
            return ()
        code = _REGION_ALIASES.get(token, token)
        if not (code.isdigit() and 1 <= int(code) <= 25):
            raise AccessError("config.region_no_valida_use", raw=raw)
        codes.append(code.zfill(2))
    return tuple(sorted(dict.fromkeys(codes)))
