"""Where riskmap keeps its files.

``RISKMAP_DATA_DIR`` overrides the working data folder (default: ``data/`` at the root
of the checkout). Nothing in it is versioned.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = REPO_ROOT / "config"


def data_dir() -> Path:
    """Return the working data folder (``$RISKMAP_DATA_DIR`` or ``<repo>/data``)."""
    return Path(os.environ.get("RISKMAP_DATA_DIR") or REPO_ROOT / "data").resolve()


def sources_dir() -> Path:
    """Folder that holds the downloaded public source files."""
    return data_dir() / "fuentes"


def base_gpkg() -> Path:
    """Return the GeoPackage of all 1,891 districts and indicators (``riskmap data fetch``)."""
    return data_dir() / "peru_base.gpkg"


def demo_dir() -> Path:
    """Folder of the simulated demo world (``riskmap demo``)."""
    return data_dir() / "demo"


def default_settings() -> Path:
    """Return the settings file the dashboard and commands use when none is given.

    The demo world writes it; ``config/settings.toml`` is the documented template for a
    real deployment.
    """
    env = os.environ.get("RISKMAP_CONFIG")
    return Path(env).resolve() if env else demo_dir() / "settings.toml"


def store_path() -> Path:
    """Return the path of the SQLite inspection store."""
    return data_dir() / "inspecciones.sqlite"


def users_file() -> Path:
    """Return the default users file (``[auth] users_file`` overrides it)."""
    return data_dir() / "usuarios.toml"


def access_db() -> Path:
    """Return the database of sign-in sessions and attempts (owner-only)."""
    return data_dir() / "acceso.sqlite"


def uploads_dir() -> Path:
    """Return the private folder (0700) where uploads wait for their import."""
    return data_dir() / "subidas"
