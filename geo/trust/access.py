"""Who may see what: roles, regions and the small-count floor, decided by the server.

A :class:`Principal` is an identity as the *server* established it: a password checked
against the users file (:mod:`geo.trust.accounts`), an OpenID Connect sign-in mapped to a role
by the settings, the operator's own login on the server's command line, or — only while
the data is simulated — the demonstration visitor. Nothing a browser sends about itself
(a widget value, a query parameter, a claim of the identity provider alone) ever becomes
a role or a region.

Roles
-----
``planificador``
    Record-level inspection data of *its* regions; imports records.
``gobierno_regional``
    Aggregates of its regions, small counts suppressed.
``investigador``
    Aggregates (all regions unless limited), small counts suppressed.
``admin``
    Manages users and reads the audit trail; sees no inspection data unless the same
    account also holds one of the roles above (``planificador,admin``).

Regions are department codes (``"08"`` Cusco, ``"16"`` Loreto); an empty tuple means every
department. The small-count floor (``k``) of each non-planner role comes from the settings
(``[auth.suppression]``, default 5): counts from 1 to ``k - 1`` are never shown to that
role, whatever it asks for.

Examples
--------
>>> p = Principal("ana", role=ROL_PLANIFICADOR, regions=("08",))
>>> p.sees("080101"), p.sees("160101"), p.may_read_records
(True, False, True)
>>> r = Principal("rosa", role=ROL_INVESTIGADOR)
>>> r.sees("160101"), r.may_read_records, threshold(r, 1, {}), threshold(r, 8, {})
(True, False, 5, 8)
>>> parse_roles("planificador,admin")
('planificador', True)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from geo import columns as C
from geo.errors import RiskmapError

__all__ = [
    "DATA_ROLES",
    "DEFAULT_FLOOR",
    "PERSON_ROLES",
    "Principal",
    "REGION_NAMES",
    "ROL_ADMIN",
    "ROL_GOBIERNO_REGIONAL",
    "ROL_INVESTIGADOR",
    "ROL_PLANIFICADOR",
    "ROL_SISTEMA",
    "floor",
    "in_regions",
    "parse_regions",
    "parse_roles",
    "region_names",
    "threshold",
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
#: The small-count floor of every role without record access, unless the settings say more.
DEFAULT_FLOOR = 5
#: Department names of the codes riskmap is usually deployed for (others print as codes).
REGION_NAMES = {"08": "Cusco", "16": "Loreto"}
_REGION_ALIASES = {"cusco": "08", "loreto": "16"}
_ALL = ("all", "todas", "todo", "*")


class AccessError(RiskmapError):
    """A role or region given to an account or a rule is not valid."""


@dataclass(frozen=True)
class Principal:
    """An authenticated identity and what the server lets it see.

    Parameters
    ----------
    user : str
        The account name (local), the e-mail (OIDC) or ``login@host`` (command line).
    role : str or None
        One of :data:`DATA_ROLES`, or None for an administrator without data access.
    admin : bool
        Whether the identity manages users and reads the audit trail.
    regions : tuple of str
        Department codes it may see; ``()`` means every department.
    method : str
        How the identity was proven: ``local``, ``oidc``, ``cli`` or ``none`` (demo).
    name : str
        A display name (defaults to ``user``).
    """

    user: str
    role: str | None = None
    admin: bool = False
    regions: tuple[str, ...] = ()
    method: str = "local"
    name: str = ""

    def __post_init__(self) -> None:
        if self.role is not None and self.role not in DATA_ROLES:
            raise AccessError(
                es=f"Rol desconocido: {self.role!r}. Use uno de: {', '.join(PERSON_ROLES)}.",
                en=f"Unknown role: {self.role!r}. Use one of: {', '.join(PERSON_ROLES)}.",
            )

    @property
    def label(self) -> str:
        """The role as the audit trail writes it, e.g. ``"planificador+admin"``."""
        parts = [self.role] if self.role else []
        if self.admin:
            parts.append(ROL_ADMIN)
        return "+".join(parts) or "ninguno"

    @property
    def may_read_records(self) -> bool:
        """Whether record-level inspection data (of its regions) may reach this identity."""
        return self.role == ROL_PLANIFICADOR

    @property
    def may_import(self) -> bool:
        """Whether this identity may import inspection records (into its regions)."""
        return self.role == ROL_PLANIFICADOR

    @property
    def may_see_data(self) -> bool:
        """Whether any inspection-derived page (map, card, exports) is for this identity."""
        return self.role is not None

    def sees(self, code: str) -> bool:
        """Whether a UBIGEO (or a department code) lies in this identity's regions."""
        return not self.regions or str(code).zfill(2)[:2] in self.regions


def floor(role: str | None, floors: Mapping[str, int] | None = None) -> int:
    """Return the smallest suppression threshold ``role`` may use (1 = exact counts).

    >>> floor("planificador"), floor("investigador"), floor("investigador", {"investigador": 10})
    (1, 5, 10)
    """
    if role in (ROL_PLANIFICADOR, ROL_SISTEMA):
        return 1
    return max(DEFAULT_FLOOR, int((floors or {}).get(role or "", DEFAULT_FLOOR)))


def threshold(principal: Principal, requested: int | float | None,
              floors: Mapping[str, int] | None = None) -> int:
    """Return the threshold to apply: what was asked, never below the role's floor.

    A value that is not a number (a crafted request) counts as the floor.
    """
    lowest = floor(principal.role, floors)
    try:
        asked = int(requested)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return lowest
    return max(lowest, asked)


def in_regions(frame: pd.DataFrame, regions: Sequence[str], column: str = C.UBIGEO
               ) -> pd.DataFrame:
    """Keep the rows whose UBIGEO lies in ``regions`` (``()`` keeps every row).

    >>> df = pd.DataFrame({"ubigeo": ["080101", "160101"]})
    >>> in_regions(df, ("16",))["ubigeo"].tolist()
    ['160101']
    """
    if not len(regions) or frame.empty:
        return frame
    codes = frame[column].astype(str).str.zfill(6).str[:2]
    return frame[codes.isin(list(regions))]


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
        raise AccessError(
            es=f"Rol no válido: {', '.join(unknown) or '(vacío)'}. Use uno de: "
            f"{', '.join(PERSON_ROLES)} (admin puede ir junto a otro: 'planificador,admin').",
            en=f"Invalid role: {', '.join(unknown) or '(empty)'}. Use one of: "
            f"{', '.join(PERSON_ROLES)} (admin may go with another: 'planificador,admin').",
        )
    data = [n for n in dict.fromkeys(names) if n in DATA_ROLES]
    if len(data) > 1:
        raise AccessError(
            es=f"Una cuenta tiene un solo rol de datos, no {', '.join(data)}: cree una cuenta "
            "por función.",
            en=f"An account holds one data role, not {', '.join(data)}: create one account "
            "per function.",
        )
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
            raise AccessError(
                es=f"El rol {role} necesita sus regiones (--region cusco, loreto, o códigos "
                "de departamento como 08): solo verá los datos de ellas.",
                en=f"Role {role} needs its regions (--region cusco, loreto, or department "
                "codes such as 08): it will see only their data.",
            )
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
            raise AccessError(
                es=f"Región no válida: {raw!r}. Use cusco, loreto, all o un código de "
                "departamento de 01 a 25.",
                en=f"Invalid region: {raw!r}. Use cusco, loreto, all or a department code "
                "from 01 to 25.",
            )
        codes.append(code.zfill(2))
    return tuple(sorted(dict.fromkeys(codes)))


def region_names(regions: Sequence[str], lang: str = "es") -> str:
    """Plain names of ``regions`` (``"Cusco, Loreto"``; every department when empty).

    >>> region_names(("08", "16")), region_names((), "en")
    ('Cusco, Loreto', 'all departments')
    """
    if not len(regions):
        return "all departments" if lang == "en" else "todos los departamentos"
    return ", ".join(REGION_NAMES.get(code, code) for code in regions)
