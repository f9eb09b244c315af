r"""The deployment's settings: one versioned, commented TOML read into frozen dataclasses.

``config/settings.toml`` documents every key with its default. Unknown keys are
rejected (a typo must not be silently ignored), paths are resolved relative to the
settings file, and every error names the file and the key.

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "t.csv").write_text("ubigeo,x\n080101,1\n")
>>> _ = (d / "s.toml").write_text('''config_version = 1
... [[layers]]
... name = "x"
... sector = "otro"
... path = "t.csv"
... measure = "value"
... column = "x"
... ''')
>>> s = load_settings(d / "s.toml")
>>> s.layers[0].name, s.layers[0].path.name, s.region
('x', 't.csv', ('08', '16'))
"""

from __future__ import annotations

import dataclasses
import hashlib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geo import columns as C
from geo.errors import ConfigError

__all__ = [
    "AUTH_MODES",
    "AuditSpec",
    "AuthSpec",
    "COMBINES",
    "MISSINGS",
    "LimitsSpec",
    "MATCH_KEYS",
    "MEASURES",
    "RASTER_MEASURES",
    "OIDCRule",
    "OIDCSpec",
    "LayerSpec",
    "ModelSpec",
    "Office",
    "PlanningSpec",
    "Settings",
    "load_settings",
    "parse_region",
]

CONFIG_VERSION = 1
MEASURES = ("area_share", "count", "density", "sum", "mean", "value",
            "raster_share", "raster_sum", "raster_mean")
RASTER_MEASURES = ("raster_share", "raster_sum", "raster_mean")
#: How the years of a table layer (or its listed columns) become one value.
COMBINES = ("sum", "mean", "last")
#: What a district without a value gets: nothing (NaN) or 0.
MISSING_NAN, MISSING_ZERO = "nan", "zero"
MISSINGS = (MISSING_NAN, MISSING_ZERO)
#: The placeholder of a year in a column name (``"{year}_ha"``).
YEAR_FIELD = "{year}"
#: The prefix of a path in the folder where ``riskmap data fetch`` puts the public files.
SOURCES_PREFIX = "{fuentes}"
#: The columns a name-keyed table may name (``match = { departamento = "DEPA", ... }``).
MATCH_KEYS = ("departamento", "provincia", "distrito")
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
            raise ConfigError(
                es=f"Región desconocida: {raw!r}. Use 'cusco', 'loreto', 'all' o códigos de "
                "departamento de 2 dígitos (p. ej. '08,16').",
                en=f"Unknown region: {raw!r}. Use 'cusco', 'loreto', 'all' or 2-digit "
                "department codes (e.g. '08,16').",
            )
    return tuple(dict.fromkeys(codes))


@dataclass(frozen=True)
class LayerSpec:
    """One sector layer: how a file becomes one numeric column of the district table.

    A *table layer* (``measure = "value"``: one value per district, by UBIGEO or by name)
    may name several columns (``column`` a tuple) or one column per year (a ``{year}``
    pattern with ``years`` or ``year``), or read a long district × year panel
    (``panel_year``); ``combine`` turns those into one value. Its districts without a value
    stay empty (NaN) unless ``missing = "zero"``, which needs ``missing_reason``.

    Examples
    --------
    >>> from pathlib import Path
    >>> spec = LayerSpec("perdida_bosque", "tala", Path("g.csv"), "value", column="{year}_ha",
    ...                  years=(2020, 2024))
    >>> spec.missing, spec.dated, spec.years_label, spec.origin
    ('nan', True, '2020–2024', 'real')
    >>> LayerSpec("minas", "mineria", Path("m.gpkg"), "count").missing
    'zero'
    """

    name: str
    sector: str
    path: Path
    measure: str
    layer: str | None = None
    # one column, several (a tuple, combined with ``combine``) or a pattern with ``{year}``
    column: str | tuple[str, ...] | None = None
    per: str | None = None
    description: str = ""
    simulated: bool = False
    license: str = ""  # the source's licence (exports list it with the citation)
    citation: str = ""
    paths: tuple[Path, ...] = ()  # every file of the layer (``path`` is the first)
    where: str | None = None  # attribute filter, GDAL SQL WHERE syntax
    match: Mapping[str, str] | None = None  # name columns when the table has no UBIGEO
    classes: tuple[int, ...] = ()  # raster class codes
    # raster years (inclusive), after year_base; for a table, the years of a ``{year}``
    # pattern or of a panel
    years: tuple[int, int] | None = None
    year_base: int = 0
    band: int = 1
    kind: str = "sector"  # "sector": a model feature; "servicios": help for victims (points)
    # the column giving the year (or date) each feature or row began (a concession's claim
    # date, INGEMMET FEC_DENU): the build also keeps the layer as it stood in past years
    year_column: str | None = None
    # rasters with one band per year (MapBiomas): the year of band 1; ``band`` is today's
    band_first_year: int | None = None
    unit: str = ""  # of the district value, for people: "ha", "número", "por km²"
    source: str = ""  # short name of the source, for legends: "GeoBosques (MINAM)"
    year: int | None = None  # one year of a panel or of a ``{year}`` pattern
    panel_year: str | None = None  # the column giving the year of each row of a panel
    combine: str = "sum"  # how years or listed columns become one value: sum, mean, last
    # what a district without a value gets: "nan" or "zero" ("" = the default of the
    # layer's kind, resolved on creation: "nan" for table layers, "zero" for the others)
    missing: str = ""
    missing_reason: str = ""  # why zero is right (required with "zero" on a table layer)

    def __post_init__(self) -> None:
        if not self.missing:
            object.__setattr__(self, "missing", MISSING_NAN if self.is_table_value
                               else MISSING_ZERO)

    @property
    def is_table_value(self) -> bool:
        """Whether the layer takes one value per district from a table (``measure = "value"``).

        Such a layer has no value where the table is silent, unlike a count or a share of
        area, where no feature means none there.
        """
        return self.measure == "value"

    @property
    def year_pattern(self) -> bool:
        """Whether ``column`` names one column per year (``"{year}_ha"``)."""
        return isinstance(self.column, str) and YEAR_FIELD in self.column

    @property
    def table_years(self) -> tuple[int, int] | None:
        """The years a table layer reads (``years``, or ``year`` as ``(year, year)``)."""
        if self.year is not None:
            return (self.year, self.year)
        return self.years if self.is_table_value else None

    @property
    def dated(self) -> bool:
        """Whether the layer's past states can be rebuilt.

        A year column, a raster of years or with one band per year, or a table with years
        (a ``{year}`` pattern or a panel).
        """
        if self.is_table_value:
            yearly = bool(self.year_pattern or self.panel_year)
            return bool(self.year_column) or (yearly and self.table_years is not None)
        return bool(self.year_column) or self.years is not None or \
            self.band_first_year is not None

    @property
    def origin(self) -> str:
        """``"simulado"`` for a simulated layer, else ``"real"``."""
        return "simulado" if self.simulated else "real"

    @property
    def years_label(self) -> str:
        """The years the value describes, for people: ``"2020–2024"``, ``"2020"`` or ``""``.

        >>> from pathlib import Path
        >>> LayerSpec("x", "otro", Path("p.csv"), "value", column="C", panel_year="YEAR",
        ...           year=2020).years_label
        '2020'
        """
        span = self.table_years if self.is_table_value else self.years
        if span is None and self.band_first_year is not None:
            today = self.band_first_year + self.band - 1
            span = (today, today)
        if span is None:
            return ""
        return str(span[0]) if span[0] == span[1] else f"{span[0]}–{span[1]}"

    @property
    def files(self) -> tuple[Path, ...]:
        """Every file of the layer (one or more)."""
        return self.paths or (self.path,)


@dataclass(frozen=True)
class ModelSpec:
    """What the risk model uses: features and the expert prior."""

    features: tuple[str, ...] = ()  # base indicators used as features besides the layers
    prior: Mapping[str, float] = field(default_factory=dict)  # expert weight per feature
    prior_strength: float = 10.0  # cap of the empirical-Bayes prior strength (models.risk.scorer)
    min_inspections: int = 3  # fewer inspections than this -> "evidencia insuficiente"
    n_bootstrap: int = 200
    seed: int = 0
    # how a district's own records age (models.risk.recency): "auto" (chosen from the records),
    # a half-life in years, or 0 (never discounted)
    half_life: float | str = "auto"
    # how the weights are protected from risk-driven selection (models.risk.scorer): "joint"
    # (weights and district effects fitted together, a random-intercept GLMM), "design" (a
    # district informs the weights as much as its record can), "cluster" (every district
    # counted once), "none"
    selection_correction: str = "joint"
    # complaint-driven inspections a district drew against what is expected of it, as a
    # feature (models.risk.score.complaint_intensity): their number carries information on risk.
    # Off by default: measured on 80 worlds it lifts the complaint worlds' worst coverage
    # (0.761 -> 0.862) but costs the default demo world its coverage (0.947 -> 0.782)
    complaint_intensity: bool = False
    # the number of complaint-driven inspections as evidence about each district's own
    # effect, with a strength the data choose (models.risk.scorer, a shared-parameter model of
    # selection; needs selection_correction = "joint")
    complaint_evidence: bool = True
    # features entered as log(1 + x) (models.risk.score.feature_matrix): hectares and counts whose
    # few large values would otherwise decide the standardisation
    log_features: tuple[str, ...] = ()


#: How the model's weights are protected from risk-driven selection (models.risk.scorer
#: RiskScorer): weights and district effects fitted together, each district's rows weighted
#: by its design effect, every district counted once, or every inspection one row.
SELECTION_CORRECTIONS = ("joint", "design", "cluster", "none")


@dataclass(frozen=True)
class Office:
    """An inspection office trips start from."""

    name: str
    lat: float
    lon: float
    capacity_days: float
    department: str = ""
    base: str = ""  # UBIGEO of the district the office sits in (a sub-office's town)


@dataclass(frozen=True)
class Flight:
    """A flight the planners can take: aerodromes by ICAO code, door-to-door days, frequency."""

    origin: str
    destination: str
    days: float = 0.5  # to the airport, the flight and out again
    per_week: float = 7.0  # the wait for the next one is half the interval, on average
    cost: float = 300.0  # soles, one way


@dataclass(frozen=True)
class PlanningSpec:
    """Inputs of the monthly inspection plan."""

    offices: tuple[Office, ...] = ()
    exploration_share: float = 0.15
    max_trip_days: float = 10.0
    days_per_inspection: float = 2.0
    travel_table: Path | None = None
    seed: int = 0
    network: bool = True  # trips follow the road/river/air network (models.planning.network)
    rivers: Path | None = None  # default: config/redes/rios.toml
    flights: tuple[Flight, ...] = ()


AUTH_MODES = ("local", "oidc", "none")


@dataclass(frozen=True)
class OIDCRule:
    """Who an OpenID Connect identity is here: matched by e-mail or by group, in file order."""

    role: str | None
    admin: bool = False
    regions: tuple[str, ...] = ()
    email: str = ""
    group: str = ""


@dataclass(frozen=True)
class OIDCSpec:
    """Sign-in through the institution's identity provider (Streamlit's ``st.login``)."""

    server_metadata_url: str
    client_id: str
    redirect_uri: str
    client_secret_env: str = "RISKMAP_OIDC_CLIENT_SECRET"
    groups_claim: str = "groups"
    require_verified_email: bool = True
    rules: tuple[OIDCRule, ...] = ()


@dataclass(frozen=True)
class AuthSpec:
    """Who signs in and how (``[auth]``): :mod:`geo.trust.access`, :mod:`geo.trust.accounts`."""

    mode: str = "local"
    users_file: Path | None = None  # default: <data folder>/usuarios.toml
    session_hours: float = 8.0
    max_failures: int = 5
    lockout_minutes: float = 15.0
    suppression: Mapping[str, int] = field(default_factory=dict)  # k floor per role
    demo_role: str = "planificador"  # the visitor's role in mode "none" (simulated data only)
    secure_cookie: bool = True  # HTTPS only (the default with real data; false on the demo)
    oidc: OIDCSpec | None = None
    # reverse proxies whose X-Forwarded-For / X-Real-IP name the client (networks, normalised
    # by geo.trust.accounts.parse_proxies); none: the TCP peer is the client, headers are ignored
    trusted_proxies: tuple[str, ...] = ()


@dataclass(frozen=True)
class LimitsSpec:
    """How much an upload may be (``[limits]``): larger files are refused with a message."""

    upload_mb: float = 50.0
    upload_rows: int = 200_000
    memory_mb: float = 1024.0  # the worker that reads an upload is stopped past this
    seconds: float = 120.0  # ... or past this time


@dataclass(frozen=True)
class AuditSpec:
    """Where the audit key lives and where the trail is anchored (``[audit]``).

    See :mod:`geo.trust.audit`.

    ``key_file`` and ``key_env`` are exclusive; with neither, a store keeps its key in its
    seal beside it (stores made before ``[audit]``; ``riskmap audit move-key`` moves it out).
    ``witness`` is a file (an absolute path) or an ``http(s)://`` or ``syslog://`` URL.
    """

    key_file: Path | None = None  # a key file outside the store's folder (0600)
    key_env: str | None = None  # or the environment variable that holds the key (hex)
    witness: str | None = None  # where the chain's head is anchored; none: no anchoring
    anchor_every_minutes: float = 60.0  # the dashboard anchors when the last one is older


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
        import os

        if self.store is not None:
            return self.store
        from geo import paths

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


# ---------------------------------------------------------------------------------------
_TOP_KEYS = {"config_version", "data", "layers", "model", "planning", "auth", "limits",
             "audit"}
_DATA_KEYS = {"base", "workdir", "region", "inspections", "truth", "simulated", "store"}
_LAYER_KEYS = {
    "name",
    "sector",
    "path",
    "layer",
    "measure",
    "column",
    "per",
    "description",
    "license",
    "citation",
    "simulated",
    "where",
    "match",
    "classes",
    "years",
    "year_base",
    "band",
    "kind",
    "year_column",
    "band_first_year",
    "unit",
    "source",
    "year",
    "panel_year",
    "combine",
    "missing",
    "missing_reason",
}
KIND_SECTOR, KIND_SERVICES = "sector", "servicios"
_SERVICE_KEYS = {"name", "kind", "path", "layer", "column", "description", "simulated", "where",
                 "license", "citation", "source"}
_MODEL_KEYS = {"features", "prior", "prior_strength", "min_inspections", "n_bootstrap", "seed",
               "half_life", "selection_correction", "complaint_intensity",
               "complaint_evidence", "log_features"}
_PLANNING_KEYS = {
    "offices",
    "exploration_share",
    "max_trip_days",
    "days_per_inspection",
    "travel_table",
    "seed",
    "network",
    "rivers",
    "flights",
}
_OFFICE_KEYS = {"name", "lat", "lon", "capacity_days", "department", "base"}
_FLIGHT_KEYS = {"from", "to", "days", "per_week", "cost"}
_AUTH_KEYS = {"mode", "users_file", "session_hours", "max_failures", "lockout_minutes",
              "suppression", "demo_role", "secure_cookie", "oidc", "trusted_proxies"}
_OIDC_KEYS = {"server_metadata_url", "client_id", "redirect_uri", "client_secret_env",
              "groups_claim", "require_verified_email", "rules"}
_RULE_KEYS = {"email", "group", "roles", "regions"}
_LIMITS_KEYS = {"upload_mb", "upload_rows", "memory_mb", "seconds"}
_AUDIT_KEYS = {"key_file", "key_env", "witness", "anchor_every_minutes"}


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
        raise ConfigError(
            es=f"No existe el archivo de configuración {path}. Cree uno a partir de "
            "config/settings.toml o ejecute 'riskmap demo'.",
            en=f"Settings file {path} does not exist. Copy config/settings.toml or run "
            "'riskmap demo'.",
        )
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(
            es=f"{path}: no es un TOML válido ({err}). Revise la sintaxis de esa línea.",
            en=f"{path}: not valid TOML ({err}). Check the syntax of that line.",
        ) from err
    return _parse(raw, path, check_files)


def _parse(raw: dict[str, Any], path: Path, check_files: bool) -> Settings:
    _reject_unknown(raw, _TOP_KEYS, path, "")
    version = raw.get("config_version")
    if version != CONFIG_VERSION:
        raise ConfigError(
            es=f"{path}: 'config_version' debe ser {CONFIG_VERSION} (se encontró {version!r}).",
            en=f"{path}: 'config_version' must be {CONFIG_VERSION} (found {version!r}).",
        )
    folder = path.parent
    data = raw.get("data", {})
    _reject_unknown(data, _DATA_KEYS, path, "data")
    base = _resolve(folder, data.get("base"))
    if base is None:
        from geo import paths  # the default base lives in the working data folder

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
        raise ConfigError(
            es=f"{path}: hay capas con el mismo nombre: {', '.join(dupes)}. Cada 'name' debe "
            "ser único porque se convierte en el nombre de una columna.",
            en=f"{path}: several layers share a name: {', '.join(dupes)}. Each 'name' must be "
            "unique because it becomes a column name.",
        )
    model = _parse_model(raw.get("model", {}), path)
    planning = _parse_planning(raw.get("planning", {}), path, folder)
    simulated = bool(data.get("simulated", False))
    auth = _parse_auth(raw.get("auth"), path, folder, simulated)
    limits = _parse_limits(raw.get("limits", {}), path)
    audit = _parse_audit(raw.get("audit", {}), path, folder)
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
    )
    _check_audit_places(settings)
    return settings


def _parse_layer(i: int, item: dict[str, Any], path: Path, check_files: bool) -> LayerSpec:
    where = f"layers[{i}]"
    kind = item.get("kind", KIND_SECTOR)
    if kind not in (KIND_SECTOR, KIND_SERVICES):
        raise ConfigError(
            es=f"{path}: {where} kind = {kind!r}: use 'sector' (una capa que el modelo usa) o "
            "'servicios' (puntos de atención a víctimas).",
            en=f"{path}: {where} kind = {kind!r}: use 'sector' (a layer the model uses) or "
            "'servicios' (points of help for victims).",
        )
    if kind == KIND_SERVICES:
        return _parse_services(i, item, path, check_files)
    _reject_unknown(item, _LAYER_KEYS, path, where)
    for key in ("name", "sector", "path", "measure"):
        if key not in item:
            raise ConfigError(
                es=f"{path}: a la capa {where} le falta la clave obligatoria '{key}'.",
                en=f"{path}: layer {where} lacks the required key '{key}'.",
            )
    name = str(item["name"])
    if not name.isidentifier() or name != name.lower():
        raise ConfigError(
            es=f"{path}: {where}.name = {name!r} debe ser un nombre de columna en minúsculas "
            "sin espacios (p. ej. 'concesiones_mineras').",
            en=f"{path}: {where}.name = {name!r} must be a lower-case column name without "
            "spaces (e.g. 'concesiones_mineras').",
        )
    measure = item["measure"]
    if measure not in MEASURES:
        raise ConfigError(
            es=f"{path}: {where} ('{name}') tiene measure = {measure!r}, que no existe. "
            f"Use una de: {', '.join(MEASURES)}.",
            en=f"{path}: {where} ('{name}') has measure = {measure!r}, which does not exist. "
            f"Use one of: {', '.join(MEASURES)}.",
        )
    sector = item["sector"]
    if sector not in C.SECTORES_CAPA:
        raise ConfigError(
            es=f"{path}: {where} ('{name}') tiene sector = {sector!r}. Use uno de: "
            f"{', '.join(C.SECTORES_CAPA)}.",
            en=f"{path}: {where} ('{name}') has sector = {sector!r}. Use one of: "
            f"{', '.join(C.SECTORES_CAPA)}.",
        )
    if measure in ("sum", "mean", "value") and item.get("column") in (None, ""):
        raise ConfigError(
            es=f"{path}: {where} ('{name}') usa measure = '{measure}', que necesita 'column' "
            "(la columna a agregar).",
            en=f"{path}: {where} ('{name}') uses measure = '{measure}', which needs 'column' "
            "(the column to aggregate).",
        )
    per = item.get("per")
    if measure == "density" and per not in ("km2", "poblacion"):
        raise ConfigError(
            es=f"{path}: {where} ('{name}') usa measure = 'density'; 'per' debe ser 'km2' o "
            f"'poblacion' (se encontró {per!r}).",
            en=f"{path}: {where} ('{name}') uses measure = 'density'; 'per' must be 'km2' or "
            f"'poblacion' (found {per!r}).",
        )
    raw_paths = item["path"] if isinstance(item["path"], list) else [item["path"]]
    if not raw_paths or not all(isinstance(p, str) and p for p in raw_paths):
        raise ConfigError(
            es=f"{path}: {where} ('{name}') path debe ser un archivo o una lista de archivos.",
            en=f"{path}: {where} ('{name}') path must be a file or a list of files.",
        )
    files = tuple(_resolve(path.parent, p) for p in raw_paths)
    for file in files:
        assert file is not None
        if check_files and not file.exists():
            if any(_in_sources(p) for p in raw_paths):
                raise ConfigError(
                    es=f"{path}: la capa '{name}' apunta a {file}, que no existe. "
                    "{fuentes}/ es la carpeta donde 'riskmap data fetch' pone los archivos "
                    "públicos ($RISKMAP_DATA_DIR/fuentes o data/fuentes): ejecútelo, o "
                    "corrija 'path'.",
                    en=f"{path}: layer '{name}' points to {file}, which does not exist. "
                    "{fuentes}/ is the folder where 'riskmap data fetch' puts the public "
                    "files ($RISKMAP_DATA_DIR/fuentes or data/fuentes): run it, or fix "
                    "'path'.",
                )
            raise ConfigError(
                es=f"{path}: la capa '{name}' apunta a {file}, que no existe. Corrija 'path' "
                "(relativo a la carpeta del archivo de configuración).",
                en=f"{path}: layer '{name}' points to {file}, which does not exist. Fix 'path' "
                "(relative to the settings file's folder).",
            )
    match = item.get("match")
    if match is not None:
        if not isinstance(match, dict) or "distrito" not in match or \
                not set(match) <= set(MATCH_KEYS) or \
                not all(isinstance(v, str) and v for v in match.values()):
            raise ConfigError(
                es=f"{path}: {where} ('{name}') match debe nombrar columnas del archivo, al "
                "menos 'distrito', p. ej. match = { departamento = \"DEPARTAMENTO\", "
                "provincia = \"PROVINCIA\", distrito = \"DISTRITO\" }.",
                en=f"{path}: {where} ('{name}') match must name columns of the file, at least "
                "'distrito', e.g. match = { departamento = \"DEPARTAMENTO\", provincia = "
                "\"PROVINCIA\", distrito = \"DISTRITO\" }.",
            )
        if measure not in ("count", "sum", "mean", "value"):
            raise ConfigError(
                es=f"{path}: {where} ('{name}') match sirve para tablas y puntos sin geometría "
                f"(measure count, sum, mean o value), no para {measure!r}.",
                en=f"{path}: {where} ('{name}') match is for tables and points without "
                f"geometry (measure count, sum, mean or value), not for {measure!r}.",
            )
    classes = item.get("classes", [])
    years = item.get("years")
    band = item.get("band", 1)
    year_base = item.get("year_base", 0)
    if measure in RASTER_MEASURES:
        if not isinstance(classes, list) or not all(isinstance(c, int) for c in classes) or \
                (years is not None and (not isinstance(years, list) or len(years) != 2 or
                                        not all(isinstance(y, int) for y in years))) or \
                not isinstance(band, int) or band < 1 or not isinstance(year_base, int):
            raise ConfigError(
                es=f"{path}: {where} ('{name}') usa un ráster: classes es una lista de enteros "
                "(p. ej. [30]), years [desde, hasta] (p. ej. [2020, 2024]), band un entero "
                "desde 1 y year_base un entero.",
                en=f"{path}: {where} ('{name}') uses a raster: classes is a list of integers "
                "(e.g. [30]), years [from, to] (e.g. [2020, 2024]), band an integer from 1 "
                "and year_base an integer.",
            )
        if measure == "raster_share" and not classes and not years:
            raise ConfigError(
                es=f"{path}: {where} ('{name}') usa measure = 'raster_share', que necesita "
                "'classes' (p. ej. [30] minería en MapBiomas) o 'years'.",
                en=f"{path}: {where} ('{name}') uses measure = 'raster_share', which needs "
                "'classes' (e.g. [30] mining in MapBiomas) or 'years'.",
            )
    elif classes or (years is not None and measure != "value") or "band" in item or \
            "year_base" in item:
        raise ConfigError(
            es=f"{path}: {where} ('{name}') classes, years, band y year_base son de los "
            "rásteres (measure raster_share, raster_sum o raster_mean); years también de una "
            "tabla con measure = 'value' (columna con {year} o panel_year).",
            en=f"{path}: {where} ('{name}') classes, years, band and year_base belong to "
            "rasters (measure raster_share, raster_sum or raster_mean); years also to a table "
            "with measure = 'value' (a column with {year}, or panel_year).",
        )
    band_first_year = item.get("band_first_year")
    if band_first_year is not None and (
            measure not in RASTER_MEASURES or not isinstance(band_first_year, int)
            or isinstance(band_first_year, bool) or not 1800 <= band_first_year <= 2200):
        raise ConfigError(
            es=f"{path}: {where} ('{name}') band_first_year es el año de la banda 1 de un ráster "
            "con una banda por año (MapBiomas: 1985), un entero; 'band' es la de hoy.",
            en=f"{path}: {where} ('{name}') band_first_year is the year of band 1 of a raster "
            "with one band per year (MapBiomas: 1985), an integer; 'band' is today's.",
        )
    year_column = item.get("year_column")
    if year_column is not None:
        if not (isinstance(year_column, str) and year_column.strip()):
            raise ConfigError(
                es=f"{path}: {where} ('{name}') year_column debe nombrar la columna con el año "
                "o la fecha de cada elemento (p. ej. \"FEC_DENU\" en el catastro de INGEMMET).",
                en=f"{path}: {where} ('{name}') year_column must name the column holding each "
                "feature's year or date (e.g. \"FEC_DENU\" in INGEMMET's cadastre).",
            )
        if measure in RASTER_MEASURES:
            raise ConfigError(
                es=f"{path}: {where} ('{name}') es un ráster: su año está en el valor de cada "
                "píxel; use years = [desde, hasta] (y year_base), no year_column.",
                en=f"{path}: {where} ('{name}') is a raster: its year is each pixel's value; "
                "use years = [from, to] (and year_base), not year_column.",
            )
    where_sql = item.get("where")
    if where_sql is not None and not (isinstance(where_sql, str) and where_sql.strip()):
        raise ConfigError(
            es=f"{path}: {where} ('{name}') where debe ser un filtro como "
            "\"LEYENDA = 'TITULADO'\".",
            en=f"{path}: {where} ('{name}') where must be a filter such as "
            "\"LEYENDA = 'TITULADO'\".",
        )
    table = _parse_table_keys(item, path, where, name, measure)
    if table.get("panel_year") and year_column:
        raise ConfigError(
            es=f"{path}: {where} ('{name}') tiene panel_year y year_column: un panel ya dice "
            "el año de cada fila; quite year_column.",
            en=f"{path}: {where} ('{name}') has panel_year and year_column: a panel already "
            "gives each row's year; remove year_column.",
        )
    if isinstance(item.get("column"), str) and YEAR_FIELD in item["column"] and year_column:
        raise ConfigError(
            es=f"{path}: {where} ('{name}') column = {item['column']!r} ya tiene una columna "
            "por año; quite year_column.",
            en=f"{path}: {where} ('{name}') column = {item['column']!r} already has one "
            "column per year; remove year_column.",
        )
    raster_years = (int(years[0]), int(years[1])) if years else None
    table_years = table.pop("years", None)
    return LayerSpec(
        **table,
        name=name,
        sector=sector,
        path=files[0],
        measure=measure,
        layer=item.get("layer"),
        per=per,
        description=str(item.get("description", "")),
        simulated=bool(item.get("simulated", False)),
        license=str(item.get("license", "")),
        citation=str(item.get("citation", "")),
        paths=files if len(files) > 1 else (),
        where=where_sql,
        match=dict(match) if match else None,
        classes=tuple(int(c) for c in classes),
        years=table_years if measure == "value" else raster_years,
        year_base=int(year_base),
        band=int(band),
        year_column=year_column.strip() if year_column else None,
        band_first_year=band_first_year,
    )


def _parse_table_keys(item: dict[str, Any], path: Path, where: str, name: str, measure: str
                      ) -> dict[str, Any]:
    """Check the keys of a table layer and of every layer's people-facing words.

    ``column`` (one, a list, or a ``{year}`` pattern), ``years``/``year``/``panel_year``,
    ``combine``, ``missing`` and ``missing_reason`` of a ``measure = "value"`` table, and
    ``unit``/``source`` of any layer. Returns the :class:`LayerSpec` fields they fill.
    """
    def refuse(key: str, es: str, en: str) -> ConfigError:
        return ConfigError(es=f"{path}: {where} ('{name}') {key}: {es}",
                           en=f"{path}: {where} ('{name}') {key}: {en}")

    out: dict[str, Any] = {}
    for key in ("unit", "source", "missing_reason"):
        value = item.get(key, "")
        if not isinstance(value, str):
            raise refuse(key, f"debe ser un texto entre comillas (se encontró {value!r}).",
                         f"must be text in quotes (found {value!r}).")
        out[key] = value.strip()
    table = measure == "value"
    column = item.get("column")
    listed = isinstance(column, list)
    if listed:
        if not column or not all(isinstance(c, str) and c.strip() for c in column) or \
                len(set(column)) < len(column):
            raise refuse("column", f"= {column!r}: una lista nombra columnas distintas del "
                         "archivo, p. ej. [\"2020_ha\", \"2021_ha\"].",
                         f"= {column!r}: a list names distinct columns of the file, e.g. "
                         "[\"2020_ha\", \"2021_ha\"].")
        if any(YEAR_FIELD in c for c in column):
            raise refuse("column", "use una lista de columnas o un patrón con {year} "
                         "(\"{year}_ha\" con years), no ambos.",
                         "use a list of columns or a pattern with {year} (\"{year}_ha\" "
                         "with years), not both.")
        column = tuple(c.strip() for c in column)
    elif column is not None and not (isinstance(column, str) and column.strip()):
        raise refuse("column", f"= {column!r}: debe nombrar una columna del archivo (un "
                     "texto) o varias (una lista de textos).",
                     f"= {column!r}: must name a column of the file (text) or several (a "
                     "list of texts).")
    pattern = isinstance(column, str) and YEAR_FIELD in column
    panel_year = item.get("panel_year")
    if panel_year is not None and not (isinstance(panel_year, str) and panel_year.strip()):
        raise refuse("panel_year", f"= {panel_year!r}: debe nombrar la columna que da el año "
                     "de cada fila del panel (p. ej. \"YEAR\").",
                     f"= {panel_year!r}: must name the column giving each row's year in the "
                     "panel (e.g. \"YEAR\").")
    year, years = item.get("year"), item.get("years")
    if year is not None and (not isinstance(year, int) or isinstance(year, bool)
                             or not 1800 <= year <= 2200):
        raise refuse("year", f"= {year!r}: debe ser un año, un entero (p. ej. 2020).",
                     f"= {year!r}: must be a year, an integer (e.g. 2020).")
    if table and years is not None and (
            not isinstance(years, list) or len(years) != 2
            or not all(isinstance(y, int) and not isinstance(y, bool) for y in years)
            or years[0] > years[1]):
        raise refuse("years", f"= {years!r}: debe ser [desde, hasta], dos años enteros en "
                     "orden (p. ej. [2020, 2024]).",
                     f"= {years!r}: must be [from, to], two integer years in order (e.g. "
                     "[2020, 2024]).")
    combine = item.get("combine", "sum")
    if combine not in COMBINES:
        raise refuse("combine", f"= {combine!r} no existe; use \"sum\" (suma de los años; "
                     "necesita todos), \"mean\" (promedio de los años con dato) o \"last\" "
                     "(el último año con dato).",
                     f"= {combine!r} does not exist; use \"sum\" (sum of the years; needs "
                     "them all), \"mean\" (mean of the years with a value) or \"last\" (the "
                     "latest year with a value).")
    missing = item.get("missing", MISSING_NAN if table else MISSING_ZERO)
    if missing not in MISSINGS:
        raise refuse("missing", f"= {missing!r} no existe; use \"nan\" (sin dato) o "
                     "\"zero\" (cero, con missing_reason).",
                     f"= {missing!r} does not exist; use \"nan\" (no value) or \"zero\" "
                     "(zero, with missing_reason).")
    if not table:
        used = [k for k in ("year", "panel_year", "combine") if k in item]
        if listed or pattern or used:
            keys = ", ".join(used + (["column (lista / list)"] if listed else [])
                             + (["column ({year})"] if pattern else []))
            raise refuse(keys, f"son de las tablas con un valor por distrito (measure = "
                         f"'value'), no de measure = {measure!r}.",
                         f"belong to tables with one value per district (measure = "
                         f"'value'), not to measure = {measure!r}.")
        if missing == MISSING_NAN:
            raise refuse("missing", f"= \"nan\" es para tablas (measure = 'value'). Con "
                         f"measure = {measure!r} la capa recorre toda la región: donde no hay "
                         "nada, el valor es 0.",
                         f"= \"nan\" is for tables (measure = 'value'). With measure = "
                         f"{measure!r} the layer covers the whole region: where there is "
                         "nothing, the value is 0.")
        return {**out, "column": column, "missing": missing}
    if missing == MISSING_ZERO and not out["missing_reason"]:
        raise refuse("missing", "= \"zero\" en una tabla necesita missing_reason: por qué un "
                     "distrito que la tabla no nombra tiene 0 (p. ej. \"GeoBosques vigila el "
                     "bosque húmedo amazónico: un distrito que no figura no tiene ese bosque\").",
                     "= \"zero\" on a table needs missing_reason: why a district the table "
                     "does not name has 0 (e.g. \"GeoBosques monitors the Amazon humid "
                     "forest: a district not listed has none of it\").")
    if missing == MISSING_NAN and out["missing_reason"]:
        raise refuse("missing_reason", "solo acompaña a missing = \"zero\" (dice por qué el "
                     "cero es correcto); sin él, un distrito sin dato queda vacío.",
                     "only goes with missing = \"zero\" (it says why zero is right); "
                     "without it, a district without a value stays empty.")
    if year is not None and years is not None:
        raise refuse("year", "use year (un año) o years (un rango), no ambos.",
                     "use year (one year) or years (a range), not both.")
    dated = year is not None or years is not None
    if (pattern or panel_year) and not dated:
        key = "column" if pattern else "panel_year"
        raise refuse(key, "necesita year = 2020 (un año) o years = [2020, 2024] (un rango) "
                     "para saber qué años leer.",
                     "needs year = 2020 (one year) or years = [2020, 2024] (a range) to know "
                     "which years to read.")
    if dated and not (pattern or panel_year):
        raise refuse("year" if year is not None else "years",
                     "en una tabla dice qué años leer: use column = \"{year}_ha\" (una "
                     "columna por año) o panel_year = \"YEAR\" (una fila por distrito y año).",
                     "on a table says which years to read: use column = \"{year}_ha\" (one "
                     "column per year) or panel_year = \"YEAR\" (one row per district and "
                     "year).")
    if panel_year and (listed or pattern):
        raise refuse("column", "un panel (panel_year) toma una sola columna, sin {year}: el "
                     "año está en las filas.",
                     "a panel (panel_year) takes a single column, without {year}: the year "
                     "is in the rows.")
    return {**out, "column": column, "missing": missing, "combine": combine,
            "year": year, "panel_year": panel_year.strip() if panel_year else None,
            "years": (int(years[0]), int(years[1])) if years is not None else None}


def _parse_services(i: int, item: dict[str, Any], path: Path, check_files: bool
                    ) -> LayerSpec:
    """Parse a ``kind = "servicios"`` layer: points of services (CEM, prosecutors, police…).

    Keys: ``name``, ``path`` (one file or a list), optionally ``layer``, ``column`` (the
    column giving each point's type of service), ``where``, ``description``, ``simulated``.
    """
    where = f"layers[{i}]"
    allowed = _SERVICE_KEYS
    unknown = sorted(set(item) - allowed)
    if unknown:
        raise ConfigError(
            es=f"{path}: {where} es una capa de servicios (kind = 'servicios'); no admite "
            f"{', '.join(unknown)}. Claves posibles: {', '.join(sorted(allowed))}.",
            en=f"{path}: {where} is a services layer (kind = 'servicios'); it does not take "
            f"{', '.join(unknown)}. Possible keys: {', '.join(sorted(allowed))}.",
        )
    spec = _parse_layer(i, {**{k: v for k, v in item.items() if k != "kind"},
                            "sector": "otro", "measure": "count"}, path, check_files)
    return dataclasses.replace(spec, kind=KIND_SERVICES, sector=KIND_SERVICES,
                               measure=KIND_SERVICES)


def _parse_model(raw: dict[str, Any], path: Path) -> ModelSpec:
    _reject_unknown(raw, _MODEL_KEYS, path, "model")
    prior = raw.get("prior", {})
    if not isinstance(prior, dict) or not all(isinstance(v, int | float) for v in prior.values()):
        raise ConfigError(
            es=f"{path}: [model.prior] debe asignar un número (peso con signo) a cada capa.",
            en=f"{path}: [model.prior] must map each layer to a number (a signed weight).",
        )
    defaults = ModelSpec()
    half_life = raw.get("half_life", defaults.half_life)
    if not (half_life == "auto" or (isinstance(half_life, int | float)
                                    and not isinstance(half_life, bool) and half_life >= 0)):
        raise ConfigError(
            es=f"{path}: [model] half_life = {half_life!r}: use \"auto\" (la eligen los "
            "registros), un número de años (p. ej. 3) o 0 (sin descuento).",
            en=f"{path}: [model] half_life = {half_life!r}: use \"auto\" (chosen from the "
            "records), a number of years (e.g. 3) or 0 (no discount).",
        )
    selection = raw.get("selection_correction", defaults.selection_correction)
    if selection not in SELECTION_CORRECTIONS:
        raise ConfigError(
            es=f"{path}: [model] selection_correction = {selection!r}: use \"joint\", "
            "\"design\", \"cluster\" o \"none\".",
            en=f"{path}: [model] selection_correction = {selection!r}: use \"joint\", "
            "\"design\", \"cluster\" or \"none\".",
        )
    intensity = raw.get("complaint_intensity", defaults.complaint_intensity)
    if not isinstance(intensity, bool):
        raise ConfigError(
            es=f"{path}: [model] complaint_intensity = {intensity!r}: use true o false.",
            en=f"{path}: [model] complaint_intensity = {intensity!r}: use true or false.",
        )
    evidence = raw.get("complaint_evidence", defaults.complaint_evidence)
    if not isinstance(evidence, bool):
        raise ConfigError(
            es=f"{path}: [model] complaint_evidence = {evidence!r}: use true o false.",
            en=f"{path}: [model] complaint_evidence = {evidence!r}: use true or false.",
        )
    logs = raw.get("log_features", [])
    if not isinstance(logs, list) or not all(isinstance(n, str) and n for n in logs):
        raise ConfigError(
            es=f"{path}: [model] log_features debe ser una lista de nombres de variables, "
            "p. ej. [\"perdida_bosque\", \"mineria\"].",
            en=f"{path}: [model] log_features must be a list of feature names, e.g. "
            "[\"perdida_bosque\", \"mineria\"].",
        )
    return ModelSpec(
        log_features=tuple(logs),
        complaint_intensity=intensity,
        complaint_evidence=evidence,
        selection_correction=selection,
        half_life=half_life if half_life == "auto" else float(half_life),
        features=tuple(raw.get("features", defaults.features)),
        prior={str(k): float(v) for k, v in prior.items()},
        prior_strength=float(raw.get("prior_strength", defaults.prior_strength)),
        min_inspections=int(raw.get("min_inspections", defaults.min_inspections)),
        n_bootstrap=int(raw.get("n_bootstrap", defaults.n_bootstrap)),
        seed=int(raw.get("seed", defaults.seed)),
    )


def _parse_planning(raw: dict[str, Any], path: Path, folder: Path) -> PlanningSpec:
    _reject_unknown(raw, _PLANNING_KEYS, path, "planning")
    offices = []
    for i, item in enumerate(raw.get("offices", []), start=1):
        _reject_unknown(item, _OFFICE_KEYS, path, f"planning.offices[{i}]")
        try:
            offices.append(
                Office(
                    name=str(item["name"]),
                    lat=float(item["lat"]),
                    lon=float(item["lon"]),
                    capacity_days=float(item.get("capacity_days", 0.0)),
                    department=str(item.get("department", "")),
                    base=str(item.get("base", "")),
                )
            )
        except (KeyError, TypeError, ValueError) as err:
            raise ConfigError(
                es=f"{path}: planning.offices[{i}] necesita 'name', 'lat' y 'lon' numéricos "
                f"({err}).",
                en=f"{path}: planning.offices[{i}] needs 'name' and numeric 'lat' and 'lon' "
                f"({err}).",
            ) from err
    defaults = PlanningSpec()
    share = float(raw.get("exploration_share", defaults.exploration_share))
    if not 0.0 <= share < 1.0:
        raise ConfigError(
            es=f"{path}: planning.exploration_share debe estar entre 0 y 1 (se encontró {share}).",
            en=f"{path}: planning.exploration_share must be between 0 and 1 (found {share}).",
        )
    flights = []
    for i, item in enumerate(raw.get("flights", []), start=1):
        _reject_unknown(item, _FLIGHT_KEYS, path, f"planning.flights[{i}]")
        try:
            flight = Flight(origin=str(item["from"]).upper(), destination=str(item["to"]).upper(),
                            days=float(item.get("days", 0.5)),
                            per_week=float(item.get("per_week", 7.0)),
                            cost=float(item.get("cost", 300.0)))
        except (KeyError, TypeError, ValueError) as err:
            raise ConfigError(
                es=f"{path}: planning.flights[{i}] necesita 'from' y 'to' (códigos OACI, p. ej. "
                f"\"SPQT\") y números en 'days', 'per_week', 'cost' ({err}).",
                en=f"{path}: planning.flights[{i}] needs 'from' and 'to' (ICAO codes, e.g. "
                f"\"SPQT\") and numbers in 'days', 'per_week', 'cost' ({err}).",
            ) from err
        if flight.days <= 0 or flight.per_week <= 0:
            raise ConfigError(
                es=f"{path}: planning.flights[{i}]: 'days' y 'per_week' deben ser positivos.",
                en=f"{path}: planning.flights[{i}]: 'days' and 'per_week' must be positive.")
        import airportsdata  # the aerodromes a flight names must exist, said with the file

        known = airportsdata.load("ICAO")
        for code in (flight.origin, flight.destination):
            if code not in known:
                raise ConfigError(
                    es=f"{path}: planning.flights[{i}]: el aeródromo '{code}' no existe en "
                    "airportsdata (use el código OACI de 4 letras, p. ej. SPQT para Iquitos).",
                    en=f"{path}: planning.flights[{i}]: aerodrome '{code}' is not in "
                    "airportsdata (use the 4-letter ICAO code, e.g. SPQT for Iquitos).")
        flights.append(flight)
    return PlanningSpec(
        offices=tuple(offices),
        exploration_share=share,
        max_trip_days=float(raw.get("max_trip_days", defaults.max_trip_days)),
        days_per_inspection=float(raw.get("days_per_inspection", defaults.days_per_inspection)),
        travel_table=_resolve(folder, raw.get("travel_table")),
        seed=int(raw.get("seed", defaults.seed)),
        network=bool(raw.get("network", defaults.network)),
        rivers=_resolve(folder, raw.get("rivers")),
        flights=tuple(flights),
    )


def _parse_auth(raw: dict[str, Any] | None, path: Path, folder: Path, simulated: bool
                ) -> AuthSpec:
    """``[auth]``; without it, sign-in is local (real data) or none (a simulated world)."""
    from geo.trust.access import DATA_ROLES, AccessError, parse_regions, parse_roles

    if raw is None:
        return AuthSpec(mode="none" if simulated else "local")
    _reject_unknown(raw, _AUTH_KEYS, path, "auth")
    defaults = AuthSpec()
    mode = str(raw.get("mode", defaults.mode))
    if mode not in AUTH_MODES:
        raise ConfigError(
            es=f"{path}: auth.mode = {mode!r} no existe. Use uno de: {', '.join(AUTH_MODES)}.",
            en=f"{path}: auth.mode = {mode!r} does not exist. Use one of: "
            f"{', '.join(AUTH_MODES)}.",
        )
    suppression = raw.get("suppression", {})
    _reject_unknown(suppression, {r for r in DATA_ROLES if r != "planificador"}, path,
                    "auth.suppression")
    for role, k in suppression.items():
        if not isinstance(k, int) or k < 5:
            raise ConfigError(
                es=f"{path}: auth.suppression.{role} = {k!r}: debe ser un entero de 5 o más "
                "(los conteos de 1 a k-1 no se muestran a ese rol).",
                en=f"{path}: auth.suppression.{role} = {k!r}: must be an integer of 5 or more "
                "(counts from 1 to k-1 are not shown to that role).",
            )
    demo_role = str(raw.get("demo_role", defaults.demo_role))
    if demo_role not in DATA_ROLES:
        raise ConfigError(
            es=f"{path}: auth.demo_role = {demo_role!r}; use uno de {', '.join(DATA_ROLES)}.",
            en=f"{path}: auth.demo_role = {demo_role!r}; use one of {', '.join(DATA_ROLES)}.",
        )
    numbers = {}
    for key in ("session_hours", "max_failures", "lockout_minutes"):
        value = raw.get(key, getattr(defaults, key))
        if not isinstance(value, int | float) or value <= 0:
            raise ConfigError(
                es=f"{path}: auth.{key} = {value!r}: debe ser un número positivo.",
                en=f"{path}: auth.{key} = {value!r}: must be a positive number.",
            )
        numbers[key] = value
    oidc = None
    if "oidc" in raw:
        item = raw["oidc"]
        _reject_unknown(item, _OIDC_KEYS, path, "auth.oidc")
        missing = [k for k in ("server_metadata_url", "client_id", "redirect_uri")
                   if not item.get(k)]
        if missing:
            raise ConfigError(
                es=f"{path}: a [auth.oidc] le faltan {', '.join(missing)} (los da el "
                "administrador del proveedor de identidad).",
                en=f"{path}: [auth.oidc] lacks {', '.join(missing)} (the identity provider's "
                "administrator gives them).",
            )
        rules = []
        for i, rule in enumerate(item.get("rules", []), start=1):
            where = f"auth.oidc.rules[{i}]"
            _reject_unknown(rule, _RULE_KEYS, path, where)
            if bool(rule.get("email")) == bool(rule.get("group")):
                raise ConfigError(
                    es=f"{path}: {where} necesita 'email' o 'group' (uno de los dos).",
                    en=f"{path}: {where} needs 'email' or 'group' (one of them).",
                )
            try:
                role, admin = parse_roles(rule.get("roles", []))
                regions = parse_regions(rule.get("regions"), role)
            except AccessError as err:
                raise ConfigError(es=f"{path}: {where}: {err.es}",
                                  en=f"{path}: {where}: {err.en}") from err
            rules.append(OIDCRule(role=role, admin=admin, regions=regions,
                                  email=str(rule.get("email", "")).strip().lower(),
                                  group=str(rule.get("group", "")).strip()))
        oidc = OIDCSpec(
            server_metadata_url=str(item["server_metadata_url"]),
            client_id=str(item["client_id"]), redirect_uri=str(item["redirect_uri"]),
            client_secret_env=str(item.get("client_secret_env",
                                           OIDCSpec.client_secret_env)),
            groups_claim=str(item.get("groups_claim", OIDCSpec.groups_claim)),
            require_verified_email=bool(item.get("require_verified_email", True)),
            rules=tuple(rules))
    if mode == "oidc" and oidc is None:
        raise ConfigError(
            es=f"{path}: auth.mode = 'oidc' necesita la tabla [auth.oidc] (proveedor, "
            "client_id, redirect_uri y las reglas de roles).",
            en=f"{path}: auth.mode = 'oidc' needs the [auth.oidc] table (provider, "
            "client_id, redirect_uri and the role rules).",
        )
    return AuthSpec(
        mode=mode, users_file=_resolve(folder, raw.get("users_file")),
        session_hours=float(numbers["session_hours"]),
        max_failures=int(numbers["max_failures"]),
        lockout_minutes=float(numbers["lockout_minutes"]),
        suppression={str(k): int(v) for k, v in suppression.items()},
        demo_role=demo_role, oidc=oidc,
        # real records: the session cookie travels over HTTPS only, unless said otherwise
        secure_cookie=bool(raw.get("secure_cookie", not simulated)),
        trusted_proxies=_parse_proxies(raw.get("trusted_proxies", []), path))


def _parse_proxies(raw: Any, path: Path) -> tuple[str, ...]:
    """``[auth] trusted_proxies``: a list of addresses or CIDR networks (none by default)."""
    from geo.trust.access import AccessError
    from geo.trust.accounts import parse_proxies

    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        raise ConfigError(
            es=f"{path}: auth.trusted_proxies = {raw!r}: debe ser una lista de direcciones o "
            "redes entre comillas, p. ej. [\"127.0.0.1\", \"::1\"] (el proxy inverso que "
            "está delante del tablero), o [] si no hay ninguno.",
            en=f"{path}: auth.trusted_proxies = {raw!r}: must be a list of quoted addresses "
            "or networks, e.g. [\"127.0.0.1\", \"::1\"] (the reverse proxy in front of the "
            "dashboard), or [] when there is none.",
        )
    try:
        return parse_proxies(raw)
    except AccessError as err:
        raise ConfigError(es=f"{path}: auth.trusted_proxies: {err.es}",
                          en=f"{path}: auth.trusted_proxies: {err.en}") from err


def _parse_limits(raw: dict[str, Any], path: Path) -> LimitsSpec:
    _reject_unknown(raw, _LIMITS_KEYS, path, "limits")
    defaults = LimitsSpec()
    values = {key: raw.get(key, getattr(defaults, key)) for key in _LIMITS_KEYS}
    bad = [key for key, value in values.items()
           if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0]
    if bad or not isinstance(values["upload_rows"], int):
        raise ConfigError(
            es=f"{path}: [limits] {', '.join(bad) or 'upload_rows'} debe ser un número "
            "positivo (upload_rows, entero).",
            en=f"{path}: [limits] {', '.join(bad) or 'upload_rows'} must be a positive number "
            "(upload_rows, an integer).",
        )
    return LimitsSpec(upload_mb=float(values["upload_mb"]),
                      upload_rows=int(values["upload_rows"]),
                      memory_mb=float(values["memory_mb"]), seconds=float(values["seconds"]))


WITNESS_SCHEMES = ("http", "https", "syslog")


def _parse_audit(raw: dict[str, Any], path: Path, folder: Path) -> AuditSpec:
    """``[audit]``: the key outside the store's folder, the witness and how often to anchor."""
    _reject_unknown(raw, _AUDIT_KEYS, path, "audit")
    if "key_file" in raw and "key_env" in raw:
        raise ConfigError(
            es=f"{path}: [audit] key_file y key_env no van juntas: la clave de la auditoría "
            "está en un archivo o en una variable de entorno, no en los dos.",
            en=f"{path}: [audit] key_file and key_env exclude each other: the audit key is "
            "in a file or in an environment variable, not both.")
    for key in ("key_file", "key_env", "witness"):
        if key in raw and (not isinstance(raw[key], str) or not raw[key].strip()):
            raise ConfigError(
                es=f"{path}: [audit] {key} = {raw[key]!r}: debe ser un texto no vacío.",
                en=f"{path}: [audit] {key} = {raw[key]!r}: must be a non-empty string.")
    env = raw.get("key_env")
    if env is not None and not (env.isascii() and env.isidentifier()):
        raise ConfigError(
            es=f"{path}: [audit] key_env = {env!r}: debe ser el nombre de una variable de "
            "entorno (letras, cifras y '_'), p. ej. \"RISKMAP_AUDIT_KEY\"; nunca la clave "
            "misma.",
            en=f"{path}: [audit] key_env = {env!r}: must be the name of an environment "
            "variable (letters, digits and '_'), e.g. \"RISKMAP_AUDIT_KEY\"; never the key "
            "itself.")
    witness = raw.get("witness")
    if witness is not None and "://" in witness:
        scheme = witness.split("://", 1)[0].lower()
        if scheme not in WITNESS_SCHEMES:
            raise ConfigError(
                es=f"{path}: [audit] witness = {witness!r}: use un archivo o una URL "
                "http://, https:// o syslog://.",
                en=f"{path}: [audit] witness = {witness!r}: use a file or an http://, "
                "https:// or syslog:// URL.")
    elif witness is not None:
        witness = str(_resolve(folder, witness))
    every = raw.get("anchor_every_minutes", AuditSpec.anchor_every_minutes)
    if not isinstance(every, int | float) or isinstance(every, bool) or every < 0:
        raise ConfigError(
            es=f"{path}: [audit] anchor_every_minutes = {every!r}: debe ser un número de "
            "minutos, 0 o más (0: solo se ancla con 'riskmap audit anchor').",
            en=f"{path}: [audit] anchor_every_minutes = {every!r}: must be a number of "
            "minutes, 0 or more (0: anchored only by 'riskmap audit anchor').")
    return AuditSpec(key_file=_resolve(folder, raw.get("key_file")), key_env=env,
                     witness=witness, anchor_every_minutes=float(every))


def _check_audit_places(settings: Settings) -> None:
    """Refuse a key file or witness file inside the store's folder (it would not be outside)."""
    if settings.audit.key_file is None and settings.audit.witness is None:
        return
    from geo.trust.audit import place_refusal  # geo.trust.audit reads these settings: imported late

    for key, place in (("key_file", settings.audit.key_file),
                       ("witness", settings.audit.witness)):
        if place is None or "://" in str(place):
            continue
        refusal = place_refusal(settings.store_path, Path(place), key)
        if refusal is not None:
            raise ConfigError(es=f"{settings.path}: [audit] {key}: {refusal[0]}",
                              en=f"{settings.path}: [audit] {key}: {refusal[1]}")


def _reject_unknown(raw: Any, allowed: set[str], path: Path, where: str) -> None:
    if not isinstance(raw, dict):
        raise ConfigError(
            es=f"{path}: '{where}' debe ser una tabla TOML.",
            en=f"{path}: '{where}' must be a TOML table.",
        )
    unknown = sorted(set(raw) - allowed)
    if unknown:
        prefix = f"{where}." if where else ""
        raise ConfigError(
            es=f"{path}: clave desconocida {', '.join(prefix + k for k in unknown)}. Claves "
            f"válidas aquí: {', '.join(sorted(allowed))}.",
            en=f"{path}: unknown key {', '.join(prefix + k for k in unknown)}. Valid keys "
            f"here: {', '.join(sorted(allowed))}.",
        )


#: ``--config`` of the commands that open the store (inspections, audit, store).
STORE_CONFIG_HELP = ("configuración cuyo almacén usar ([data] store; por defecto la activa, "
                     "$RISKMAP_CONFIG o la de la demo)")


def active_store(config: str | Path | None = None) -> Path:
    """Return the inspection store of the settings ``config`` (default: the active ones).

    Their ``[data] store``, or the working data folder's when they name none or do not
    exist yet (:func:`geo.paths.store_path`).
    """
    from geo import paths

    path = Path(config) if config else paths.default_settings()
    if not path.is_file():
        return paths.store_path()
    settings = load_settings(path, check_files=False)
    if getattr(settings, "audit", None) is not None:
        from geo.trust import audit  # the store opened through these settings keeps their [audit]

        audit.use_settings(settings.store_path, settings.audit)
    return settings.store_path


def _resolve(folder: Path, value: Any) -> Path | None:
    """Resolve a settings path: relative to their folder, or in the sources folder.

    ``{fuentes}/x.csv`` is ``x.csv`` in :func:`geo.paths.sources_dir` (where ``riskmap data
    fetch`` puts the public files), so a recipe works from any checkout and data folder.
    """
    if value in (None, ""):
        return None
    text = str(value)
    if _in_sources(text):
        from geo import paths

        return (paths.sources_dir() / text[len(SOURCES_PREFIX):].lstrip("/\\")).resolve()
    p = Path(text).expanduser()
    return (p if p.is_absolute() else folder / p).resolve()


def _in_sources(text: str) -> bool:
    """Whether a settings path starts with ``{fuentes}/``."""
    return text == SOURCES_PREFIX or text.startswith((SOURCES_PREFIX + "/",
                                                      SOURCES_PREFIX + "\\"))
