"""What every section's reader shares: the version, unknown keys refused, paths and regions.

Paths are resolved relative to the settings file (or in the sources folder, ``{fuentes}/``);
a key a section does not know is an error that lists the valid ones.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from geo import columns as C
from geo import paths
from geo.errors import ConfigError

__all__ = ["CONFIG_VERSION", "REGION_ALIASES", "SOURCES_PREFIX", "parse_region"]

CONFIG_VERSION = 1
#: The prefix of a path in the folder where ``riskmap data fetch`` puts the public files.
SOURCES_PREFIX = "{fuentes}"
REGION_ALIASES = {
    "cusco": (C.DEP_CUSCO,),
    "loreto": (C.DEP_LORETO,),
    "ambos": C.DEFAULT_DEPARTMENTS,
    "both": C.DEFAULT_DEPARTMENTS,
    "all": (),  # empty tuple = every department of Peru
    "todo": (),
    "peru": (),
}


def parse_region(value: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """Turn a region argument into department codes (``()`` means all of Peru).

    >>> parse_region("cusco,16")
    ('08', '16')
    >>> parse_region("all")
    ()
    >>> parse_region(None)
    ('08', '16')
    """
    if value is None:
        return C.DEFAULT_DEPARTMENTS
    parts = value.split(",") if isinstance(value, str) else list(value)
    codes: list[str] = []
    for raw in parts:
        token = str(raw).strip().lower()
        if not token:
            continue
        if token in REGION_ALIASES:
            alias = REGION_ALIASES[token]
            if not alias:
                return ()
            codes.extend(alias)
        elif token.isdigit() and len(token) <= 2:
            codes.append(token.zfill(2))
        else:
            raise ConfigError("config.region_desconocida_use_cusco", raw=raw)
    return tuple(dict.fromkeys(codes))


def _reject_unknown(raw: Any, allowed: set[str], path: Path, where: str) -> None:
    if not isinstance(raw, dict):
        raise ConfigError("config.debe_tabla_toml", path=path, where=where)
    unknown = sorted(set(raw) - allowed)
    if unknown:
        prefix = f"{where}." if where else ""
        raise ConfigError("config.clave_desconocida_claves_validas", path=path,
                          unknown=', '.join(prefix + k for k in unknown),
                          allowed=', '.join(sorted(allowed)))



def _resolve(folder: Path, value: Any) -> Path | None:
    """Resolve a settings path: relative to their folder, or in the sources folder.

    ``{fuentes}/x.csv`` is ``x.csv`` in :func:`geo.paths.sources_dir` (where ``riskmap data
    fetch`` puts the public files), so a recipe works from any checkout and data folder.
    """
    if value in (None, ""):
        return None
    text = str(value)
    if _in_sources(text):
        return (paths.sources_dir() / text[len(SOURCES_PREFIX):].lstrip("/\\")).resolve()
    p = Path(text).expanduser()
    return (p if p.is_absolute() else folder / p).resolve()


def _in_sources(text: str) -> bool:
    """Whether a settings path starts with ``{fuentes}/``."""
    return text == SOURCES_PREFIX or text.startswith((SOURCES_PREFIX + "/",
                                                      SOURCES_PREFIX + "\\"))
