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

The roles and their parsers (:func:`parse_roles`, :func:`parse_regions`) live in
:mod:`geo.config.roles`, below trust, because the settings name them too; they are
re-exported here.

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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from geo import columns as C
from geo.config.roles import (
    DATA_ROLES,
    PERSON_ROLES,
    ROL_ADMIN,
    ROL_GOBIERNO_REGIONAL,
    ROL_INVESTIGADOR,
    ROL_PLANIFICADOR,
    ROL_SISTEMA,
    AccessError,
    parse_regions,
    parse_roles,
)
from geo.messages import t

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

#: The small-count floor of every role without record access, unless the settings say more.
DEFAULT_FLOOR = 5
#: Department names of the codes riskmap is usually deployed for (others print as codes).
REGION_NAMES = {"08": "Cusco", "16": "Loreto"}


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
            raise AccessError("confianza.rol_desconocido_use", role=self.role,
                              person_roles=', '.join(PERSON_ROLES))

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



def region_names(regions: Sequence[str], lang: str = "es") -> str:
    """Plain names of ``regions`` (``"Cusco, Loreto"``; every department when empty).

    >>> region_names(("08", "16")), region_names((), "en")
    ('Cusco, Loreto', 'all departments')
    """
    if not len(regions):
        return t("acceso.todos_los_departamentos", lang=lang)
    return ", ".join(REGION_NAMES.get(code, code) for code in regions)
