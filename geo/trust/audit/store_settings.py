"""Which ``[audit]`` speaks for a store: the one a command chose, else the active settings'."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from geo import paths
from geo.config.audit import AuditSpec
from geo.config.settings import load_settings
from geo.errors import RiskmapError

__all__ = [
    "settings_for",
    "use_settings",
]

_CHOSEN: dict[str, AuditSpec] = {}  # [audit] of stores a command named with --config
_ACTIVE: dict[str, Any] = {}  # the active settings, cached on the file's modification time


def use_settings(store: str | Path, spec: AuditSpec) -> None:
    """Make ``spec`` the ``[audit]`` of ``store`` in this process (a command's ``--config``)."""
    _CHOSEN[str(Path(store).expanduser().resolve())] = spec


def settings_for(store: str | Path) -> AuditSpec | None:
    """Return the ``[audit]`` that speaks for ``store``, or None.

    The one a command chose (:func:`use_settings`), else the active settings'
    (``$RISKMAP_CONFIG``, as the dashboard reads them) when their store is this one.
    """
    store = Path(store).expanduser().resolve()
    if str(store) in _CHOSEN:
        return _CHOSEN[str(store)]
    settings = _active_settings()
    if settings is None or Path(settings.store_path).expanduser().resolve() != store:
        return None
    return settings.audit


def _active_settings() -> Any:
    """Return the active settings (``$RISKMAP_CONFIG`` or the demo's), None if unreadable."""
    path = paths.default_settings()
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return None
    if _ACTIVE.get("key") != (str(path), stamp):
        try:
            settings = load_settings(path, check_files=False)
        except (RiskmapError, OSError):
            settings = None  # the dashboard and commands report broken settings themselves
        _ACTIVE.update(key=(str(path), stamp), value=settings)
    return _ACTIVE["value"]


def _store_of(seal: Path) -> Path:
    return seal.with_name(seal.name.removesuffix(".sello"))
