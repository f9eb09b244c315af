"""The active settings and the artefacts' files: where they are, their cache keys, their errors.

Every cached reader of the dashboard is keyed on a file's path and modification time
(:func:`mtime`), so a file rewritten by ``riskmap prepare`` or by an import on the Datos page
is picked up on the next run without restarting the app. A missing artefact raises
:class:`MissingArtefactError`, whose message tells the user to run ``riskmap prepare``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyogrio
import streamlit as st

from geo import columns as C
from geo import paths
from geo.config import Settings, load_settings
from geo.errors import RiskmapError
from geo.messages import Message


class MissingArtefactError(RiskmapError):
    """An artefact the dashboard reads has not been produced yet (run ``riskmap prepare``)."""

    def __init__(self, what: str, path: Path) -> None:
        # what: the catalogue key of the missing artefact's name
        super().__init__("comun.falta_preparar", what=Message(what), path=path)


def mtime(path: Path) -> float:
    """Modification time of ``path`` (0.0 when it does not exist): the cache key."""
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def settings_path() -> Path:
    """Return the active settings file (``$RISKMAP_CONFIG`` or the demo world's)."""
    return paths.default_settings()


def settings() -> Settings:
    """Return the active :class:`geo.config.Settings` (cached on the file's mtime)."""
    path = settings_path()
    if not path.is_file():
        raise MissingArtefactError("tablero.archivo_configuracion", path)
    return _load_settings(str(path), mtime(path))


@st.cache_data(show_spinner=False)
def _load_settings(path: str, stamp: float) -> Settings:
    return load_settings(path, check_files=False)


def _require(path: Path, what: str) -> Path:
    if not path.exists():
        raise MissingArtefactError(what, path)
    return path


def _read_table(path: str, layer: str) -> pd.DataFrame | None:
    try:
        layers = {name for name, _ in pyogrio.list_layers(path)}
        if layer not in layers:
            return None
        return pd.DataFrame(pyogrio.read_dataframe(path, layer=layer, read_geometry=False))
    except pyogrio.errors.DataSourceError:
        return None


@st.cache_data(show_spinner=False)
def _read_json(path: str, stamp: float) -> dict[str, Any]:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise RiskmapError("tablero.no_json_valido_vuelva", path=path, err=err) from err


def in_region(gdf: pd.DataFrame, region: tuple[str, ...]) -> pd.DataFrame:
    """Rows of ``gdf`` whose UBIGEO lies in the departments ``region`` (``()`` = all).

    >>> df = pd.DataFrame({"ubigeo": ["080101", "160101", "150101"]})
    >>> in_region(df, ("08", "16"))["ubigeo"].tolist()
    ['080101', '160101']
    """
    if not region:
        return gdf
    return gdf[gdf[C.UBIGEO].astype(str).str[:2].isin(region)]
