"""The texts a world's folder holds (``LEEME.md``, ``settings.toml``), as template files.

Each ``.md`` or ``.toml`` file here is a :class:`string.Template` (``${name}`` placeholders)
that :func:`fill` completes; the code that computes the values lives in
:mod:`geo.world.readme` and :mod:`geo.world.settings_file`. The files ship inside the
``geo`` package (read with :mod:`importlib.resources`), so an installed riskmap has them.

Examples
--------
>>> fill("intro_reales.md", seed=0, deps="Cusco (08)", n=112).splitlines()[0]
'Este mundo fue generado por `riskmap demo --seed 0` sobre los límites distritales reales'
"""

from __future__ import annotations

from importlib.resources import files
from string import Template
from typing import Any

__all__ = ["fill"]


def fill(name: str, **values: Any) -> str:
    """Return template ``name`` with every ``${placeholder}`` replaced by ``str(value)``.

    Raises
    ------
    KeyError
        A placeholder without a value (a template and its code out of step).
    """
    text = files(__name__).joinpath(name).read_text(encoding="utf-8")
    return Template(text).substitute(values)
