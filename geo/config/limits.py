"""``[limits]``: how large an upload may be, and how much memory and time its reading gets."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geo.config.reading import _reject_unknown
from geo.errors import ConfigError

__all__ = ["LimitsSpec"]


@dataclass(frozen=True)
class LimitsSpec:
    """How much an upload may be (``[limits]``): larger files are refused with a message."""

    upload_mb: float = 50.0
    upload_rows: int = 200_000
    memory_mb: float = 1024.0  # the worker that reads an upload is stopped past this
    seconds: float = 120.0  # ... or past this time


_LIMITS_KEYS = {"upload_mb", "upload_rows", "memory_mb", "seconds"}


def _parse_limits(raw: dict[str, Any], path: Path) -> LimitsSpec:
    _reject_unknown(raw, _LIMITS_KEYS, path, "limits")
    defaults = LimitsSpec()
    values = {key: raw.get(key, getattr(defaults, key)) for key in _LIMITS_KEYS}
    bad = [key for key, value in values.items()
           if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0]
    if bad or not isinstance(values["upload_rows"], int):
        raise ConfigError("config.limits_debe_numero_positivo", path=path,
                          bad=', '.join(bad) or 'upload_rows')
    return LimitsSpec(upload_mb=float(values["upload_mb"]),
                      upload_rows=int(values["upload_rows"]),
                      memory_mb=float(values["memory_mb"]), seconds=float(values["seconds"]))
