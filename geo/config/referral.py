"""``[referral]``: the national help lines a field sheet lists, each with its source.

A field sheet (``models.planning.fieldsheet``) never invents a contact: the lines it prints
are the deployment's own, written here, each with the source the planners checked it in::

    [[referral.lines]]
    name = "Línea 100 (MIMP)"
    number = "100"
    source = "Ministerio de la Mujer y Poblaciones Vulnerables, Línea 100"

Examples
--------
>>> from pathlib import Path
>>> spec = _parse_referral({"lines": [{"name": "Línea 100", "number": "100",
...                                     "source": "MIMP"}]}, Path("s.toml"))
>>> spec.lines[0].number, spec.lines[0].source
('100', 'MIMP')
>>> _parse_referral({}, Path("s.toml")).lines
()
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geo.config.reading import _reject_unknown
from geo.errors import ConfigError

__all__ = ["ReferralLine", "ReferralSpec"]


@dataclass(frozen=True)
class ReferralLine:
    """A national help line: its name, the number to call and where it was checked."""

    name: str
    number: str
    source: str


@dataclass(frozen=True)
class ReferralSpec:
    """``[referral]``: the national lines (none by default: nothing is made up)."""

    lines: tuple[ReferralLine, ...] = ()


_REFERRAL_KEYS = {"lines"}
_LINE_KEYS = {"name", "number", "source"}


def _parse_referral(raw: Any, path: Path) -> ReferralSpec:
    _reject_unknown(raw, _REFERRAL_KEYS, path, "referral")
    items = raw.get("lines", [])
    if not isinstance(items, list):
        raise ConfigError("ficha.config.lineas_lista", path=path)
    lines = []
    for i, item in enumerate(items, start=1):
        _reject_unknown(item, _LINE_KEYS, path, f"referral.lines[{i}]")
        values = {key: item.get(key) for key in _LINE_KEYS}
        empty = sorted(k for k, v in values.items() if not isinstance(v, str) or not v.strip())
        if empty:
            raise ConfigError("ficha.config.linea_incompleta", path=path, i=i,
                              keys=", ".join(empty))
        lines.append(ReferralLine(**{k: v.strip() for k, v in values.items()}))
    return ReferralSpec(tuple(lines))
