"""The whole deployment's settings: :class:`Settings`, read from one TOML file, and its store.

:func:`load_settings` reads the file and hands each section to its reader
(:mod:`geo.config.layers`, :mod:`~geo.config.model`, :mod:`~geo.config.planning`,
:mod:`~geo.config.auth`, :mod:`~geo.config.limits`, :mod:`~geo.config.audit`).
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geo import columns as C
from geo import paths
from geo.config.audit import AuditSpec, _parse_audit, place_refusal
from geo.config.auth import AuthSpec, _parse_auth
from geo.config.layers import KIND_SECTOR, KIND_SERVICES, LayerSpec, _parse_layer
from geo.config.limits import LimitsSpec, _parse_limits
from geo.config.model import ModelSpec, _parse_model
from geo.config.planning import PlanningSpec, _parse_planning
from geo.config.reading import CONFIG_VERSION, _reject_unknown, _resolve, parse_region
from geo.config.referral import ReferralSpec, _parse_referral
from geo.errors import ConfigError

__all__ = ["STORE_CONFIG_HELP", "Settings", "active_store", "load_settings"]


@dataclass(frozen=True)
class Settings:
    """A whole deployment: where the data is, which layers, model and planning inputs."""

    path: Path
    base: Path
    workdir: Path
    region: tuple[str, ...] = C.DEFAULT_DEPARTMENTS
    inspections: Path | None = None
    truth: Path | None = None
    simulated: bool = False
    layers: tuple[LayerSpec, ...] = ()
    services: tuple[LayerSpec, ...] = ()  # [[layers]] with kind = "servicios"
    model: ModelSpec = field(default_factory=ModelSpec)
    planning: PlanningSpec = field(default_factory=PlanningSpec)
    auth: AuthSpec = field(default_factory=AuthSpec)
    limits: LimitsSpec = field(default_factory=LimitsSpec)
    store: Path | None = None  # [data] store: the inspection store of this deployment
    audit: AuditSpec = field(default_factory=AuditSpec)
    referral: ReferralSpec = field(default_factory=ReferralSpec)  # [[referral.lines]]

    @property
    def store_path(self) -> Path:
        """The SQLite inspection store of this deployment.

        ``[data] store`` (relative to the settings file) when given; else the working data
        folder's when ``$RISKMAP_DATA_DIR`` names one (:func:`geo.paths.store_path`); else,
        for a simulated world, ``inspecciones.sqlite`` beside its base (a demo prepared with
        ``riskmap prepare --data-dir X`` keeps its store in ``X``, never in the checkout's
        ``data/``); else the working data folder's, where a real deployment's store has
        always been (it never moves silently: name it with ``[data] store``).
        """
        if self.store is not None:
            return self.store
        if os.environ.get("RISKMAP_DATA_DIR") or not self.simulated:
            return paths.store_path()
        return Path(self.base).resolve().parent / paths.store_path().name

    @property
    def feature_names(self) -> tuple[str, ...]:
        """All model features: the layer columns, then the base indicators."""
        return tuple(layer.name for layer in self.layers) + tuple(self.model.features)

    @property
    def districts_gpkg(self) -> Path:
        """Where ``riskmap build`` writes the district table for these settings."""
        return self.workdir / "distritos.gpkg"

    @property
    def scores_gpkg(self) -> Path:
        """Where ``riskmap score`` writes the scores for these settings."""
        return self.workdir / "riesgo.gpkg"

    def digest(self) -> str:
        """sha256 of the settings file, recorded in every export as the config hash."""
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


_TOP_KEYS = {"config_version", "data", "layers", "model", "planning", "auth", "limits",
             "audit", "referral"}
_DATA_KEYS = {"base", "workdir", "region", "inspections", "truth", "simulated", "store"}


def load_settings(path: str | Path, *, check_files: bool = True) -> Settings:
    """Read and validate a settings TOML file.

    Parameters
    ----------
    path : str or Path
        The settings file; relative paths inside it are relative to its folder.
    check_files : bool
        Whether layer files must exist (``riskmap build`` needs them; showing settings
        does not).

    Returns
    -------
    Settings

    Raises
    ------
    ConfigError
        Naming the file and key, for a missing file, invalid TOML, an unknown key, an
        unknown measure or sector, or a layer file that does not exist.
    """
    path = Path(path).resolve()
    if not path.is_file():
        raise ConfigError("config.no_existe_archivo_configuracion", path=path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError("config.no_toml_valido_revise", path=path, err=err) from err
    return _parse(raw, path, check_files)


def _parse(raw: dict[str, Any], path: Path, check_files: bool) -> Settings:
    _reject_unknown(raw, _TOP_KEYS, path, "")
    version = raw.get("config_version")
    if version != CONFIG_VERSION:
        raise ConfigError("config.config_version_debe_encontro", path=path,
                          config_version=CONFIG_VERSION, version=version)
    folder = path.parent
    data = raw.get("data", {})
    _reject_unknown(data, _DATA_KEYS, path, "data")
    base = _resolve(folder, data.get("base"))
    if base is None:  # the default base lives in the working data folder
        base = paths.base_gpkg()
    workdir = _resolve(folder, data.get("workdir", ".")) or folder
    every = tuple(
        _parse_layer(i, item, path, check_files)
        for i, item in enumerate(raw.get("layers", []), start=1)
    )
    layers = tuple(spec for spec in every if spec.kind == KIND_SECTOR)
    services = tuple(spec for spec in every if spec.kind == KIND_SERVICES)
    names = [layer.name for layer in every]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigError("config.capas_con_mismo_nombre", path=path, dupes=', '.join(dupes))
    model = _parse_model(raw.get("model", {}), path)
    planning = _parse_planning(raw.get("planning", {}), path, folder)
    simulated = bool(data.get("simulated", False))
    auth = _parse_auth(raw.get("auth"), path, folder, simulated)
    limits = _parse_limits(raw.get("limits", {}), path)
    audit = _parse_audit(raw.get("audit", {}), path, folder)
    referral = _parse_referral(raw.get("referral", {}), path)
    settings = Settings(
        path=path,
        base=base,
        workdir=workdir,
        region=parse_region(data.get("region")),
        inspections=_resolve(folder, data.get("inspections")),
        truth=_resolve(folder, data.get("truth")),
        store=_resolve(folder, data.get("store")),
        simulated=simulated,
        layers=layers,
        services=services,
        model=model,
        planning=planning,
        auth=auth,
        limits=limits,
        audit=audit,
        referral=referral,
    )
    _check_audit_places(settings)
    return settings


def _check_audit_places(settings: Settings) -> None:
    """Refuse a key file or witness file inside the store's folder (it would not be outside)."""
    if settings.audit.key_file is None and settings.audit.witness is None:
        return
    for key, place in (("key_file", settings.audit.key_file),
                       ("witness", settings.audit.witness)):
        if place is None or "://" in str(place):
            continue
        refusal = place_refusal(settings.store_path, Path(place), key)
        if refusal is not None:
            raise ConfigError("config.audit_lugar_rechazado", path=settings.path, field=key,
                              refusal=refusal)


#: ``--config`` of the commands that open the store (inspections, audit, store).
STORE_CONFIG_HELP = ("configuración cuyo almacén usar ([data] store; por defecto la activa, "
                     "$RISKMAP_CONFIG o la de la demo)")


def active_store(config: str | Path | None = None) -> Path:
    """Return the inspection store of the settings ``config`` (default: the active ones).

    Their ``[data] store``, or the working data folder's when they name none or do not
    exist yet (:func:`geo.paths.store_path`). The command that opens the store gives it
    these settings' ``[audit]`` (``dashboard.commands.audit.audit_settings``): settings do
    not reach into trust.
    """
    path = Path(config) if config else paths.default_settings()
    if not path.is_file():
        return paths.store_path()
    return load_settings(path, check_files=False).store_path
