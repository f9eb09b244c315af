"""A simulated world on the real boundaries of Cusco and Loreto (``riskmap demo``).

Everything this module writes is SIMULATED and says so: every feature has
``simulado = True``, every GeoPackage layer carries ``simulado`` metadata, the settings
file sets ``data.simulated = true`` and ``LEEME.md`` opens with "DATOS SIMULADOS — NO SON
REGISTROS REALES". The world is built from the published figures carried in
``config/calibration.toml`` (hotspot districts, DEVIDA coca hectares, GeoBosques forest
loss, REINFO counts, dredge counts), so it *looks* like Cusco and Loreto; nothing in it is
a real concession, camp, inspection or finding.

The generating process, in order (all draws from ``numpy.random.default_rng(seed)``):

1. sector layers inside the districts: mining concessions (rectangles), informal-mining
   sites and river dredges (points), forest concessions (blocks) and logging camps
   (points) where forest loss is large, farm blocks and coca zones (irregular polygons);
2. the district features, measured as the district table measures them (area share,
   count, density per km2), plus poverty and remoteness from the base;
3. the hidden true risk: ``logit p = b0 + sum(coef * z(feature)) + u``, with ``u`` a
   normal district effect and ``b0`` solved so the finding rate is the calibrated target;
4. ten years of inspection records with selection bias (planned inspections near the
   office, complaints where risk is high, a small random share); findings ~ Bernoulli(p).

Same seed -> byte-identical files (GeoPackage timestamps are pinned).
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
import tomllib
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from scipy.optimize import brentq
from scipy.special import expit

from geo import columns as C
from geo import paths
from geo.errors import ConfigError, DataError, tr

__all__ = ["DEMO_LAYERS", "DemoLayer", "load_calibration", "make_demo"]

CALIBRATION_FILE = paths.CONFIG_DIR / "calibration.toml"
EQUAL_AREA = "EPSG:6933"  # world cylindrical equal-area: areas within 0.001 % in Peru
# GeoPackages store a "last change" timestamp; pinning it makes same seed -> same bytes.
_FIXED_DATE = "2025-12-31T00:00:00.000Z"
_KM_PER_DEG_LAT = 110.574
_KM_PER_DEG_LON = 111.320  # at the equator, times cos(latitude)
_BASE_COLUMNS = (
    C.UBIGEO, C.DISTRITO, C.PROVINCIA, C.DEPARTAMENTO, C.COD_DEP, C.COD_PROV,
    C.REGION_NATURAL, C.AREA_KM2, C.POBLACION, C.POBREZA, C.DENSIDAD, C.LEJANIA,
)
# Derived artefacts of an older world that would silently disagree with a new one.
_DERIVED = ("distritos.gpkg", "riesgo.gpkg", "evaluacion.json")


@dataclass(frozen=True)
class DemoLayer:
    """One simulated sector layer as written to ``capas/<name>.gpkg``."""

    name: str
    sector: str
    measure: str
    geometry: str  # "polygon" | "point"
    description: str
    per: str | None = None


DEMO_LAYERS: tuple[DemoLayer, ...] = (
    DemoLayer("concesiones_mineras", "mineria", "area_share", "polygon",
              "Concesiones mineras (SIMULADAS, forma de cuadrículas INGEMMET): proporción del "
              "área del distrito"),
    DemoLayer("mineria_informal", "mineria", "count", "point",
              "Frentes de minería informal (SIMULADOS, calibrados con REINFO y reportes de "
              "prensa): número por distrito"),
    DemoLayer("dragas", "mineria", "count", "point",
              "Dragas de oro en ríos de Loreto (SIMULADAS, Nanay, Napo, Tigre…): número por "
              "distrito"),
    DemoLayer("concesiones_forestales", "tala", "area_share", "polygon",
              "Concesiones forestales maderables (SIMULADAS, según pérdida de bosque "
              "GeoBosques): proporción del área"),
    DemoLayer("campamentos_tala", "tala", "density", "point",
              "Campamentos de tala (SIMULADOS, según pérdida de bosque 2020-2024): por km²",
              per="km2"),
    DemoLayer("agricultura", "agricultura", "area_share", "polygon",
              "Áreas agropecuarias (SIMULADAS, calibradas con MapBiomas 2020): proporción del "
              "área"),
    DemoLayer("coca", "coca", "area_share", "polygon",
              "Zonas de cultivo de coca (SIMULADAS, según hectáreas DEVIDA por distrito): "
              "proporción del área"),
)
BASE_FEATURES = (C.POBREZA, C.LEJANIA)
#: The model features of the world with simulated layers (``layers="simuladas"``).
SIMULATED_FEATURES = tuple(layer.name for layer in DEMO_LAYERS) + BASE_FEATURES
#: Recipes (``config/recetas``) whose ``[[layers]]`` are the default world's real layers,
#: read from the public files as ``riskmap data fetch`` downloads them.
REAL_RECIPES = ("geobosques_distrital.toml", "panel_amazonia.toml")
#: The real layers of the default world (hectares; docs/CAPAS_REALES.md §4).
REAL_FEATURES = ("perdida_bosque", "mineria", "agricultura", "coca")
#: What the true risk holds that no public layer here shows (SIMULATED, never a model
#: feature unless a scenario makes it visible): informal-mining fronts (calibrated on REINFO)
#: and river dredges (calibrated on the Nanay overflight).
HIDDEN = ("mineria_informal", "dragas")
#: The model features of the default world: the real layers and the base indicators.
FEATURES = REAL_FEATURES + BASE_FEATURES
#: Where a world's sector layers come from: the real public files, or simulated ones.
LAYER_KINDS = ("reales", "simuladas")
#: Truth z-scores are held within +-this many standard deviations: one layer's outlier (the
#: only mining district of a department) must not decide a district's risk alone.
Z_CAP = 3.0
INSPECTION_COLUMNS = (
    C.ID, C.FECHA, C.UBIGEO, C.LAT, C.LON, C.SECTOR, C.HALLAZGO, C.ORIGEN, C.INDICADORES,
    C.TRABAJADORES, C.VICTIMAS, C.VICTIMAS_MUJERES, C.VICTIMAS_MENORES, C.UBIGEO_ORIGEN,
)
@dataclass(frozen=True)
class Scenario:
    """A kind of world the model must stay honest in (issue 11), on top of the calibration.

    ``estatico``: the calibrated world. ``deriva``: a frontier opens in ``drift_year`` in
    the ``drift_districts`` remotest districts of each department that had below-median
    risk (few inspections reach them): their true logit rises by ``drift_logit`` from that
    year on, unseen by the layers (like gold dredges on the Nanay after 2020). ``denuncias``:
    inspections follow complaints (share ``complaint_share``) and complaints follow risk
    more steeply (weight risk ** ``complaint_power``). ``bajo_volumen``: a third of the
    inspections. ``frente_visible``: the ``deriva`` world (the same truth and records) where
    a dated layer sees the frontier: new dredges, dated ``drift_year`` (column ``anio``), in
    the districts where it opened; the older dredges are dated before the records. Every
    number is a judgement (JUICIO), said in LEEME.md.
    """

    name: str = "estatico"
    drift_year: int | None = None
    drift_logit: float = 0.0
    drift_districts: int = 0
    complaint_share: float | None = None
    complaint_power: float = 1.0
    volume_factor: float = 1.0
    visible: bool = False  # the frontier appears in the dredges layer, dated


SCENARIOS: dict[str, Scenario] = {
    "estatico": Scenario(),
    "deriva": Scenario("deriva", drift_year=2021, drift_logit=1.8, drift_districts=5),
    "denuncias": Scenario("denuncias", complaint_share=0.65, complaint_power=1.5),
    "bajo_volumen": Scenario("bajo_volumen", volume_factor=0.3),
    "frente_visible": Scenario("frente_visible", drift_year=2021, drift_logit=1.8,
                               drift_districts=5, visible=True),
}
#: Dredges a visible frontier brings to each of its districts (JUICIO: a group working a
#: stretch of river, like those counted on the Nanay), and the years the older ones are
#: dated between (before the first simulated records).
FRONTIER_DREDGES = 12
OLD_DREDGE_YEARS = (2005, 2015)


def _apply_scenario(cal: Mapping[str, Any], scenario: Scenario) -> dict[str, Any]:
    """Return the calibration as the scenario changes it (the static world: unchanged)."""
    import copy

    out = copy.deepcopy(dict(cal))
    conf = out["inspecciones"]
    if scenario.complaint_share is not None:
        rest = 1.0 - scenario.complaint_share
        other = {o: v for o, v in conf["origen"].items() if o != "denuncia"}
        total = sum(other.values())
        conf["origen"] = {**{o: rest * v / total for o, v in other.items()},
                          "denuncia": scenario.complaint_share}
    conf["potencia_denuncia"] = scenario.complaint_power
    if scenario.volume_factor != 1.0:
        conf["por_departamento_anio"] = [v * scenario.volume_factor
                                         for v in conf["por_departamento_anio"]]
    return out


def _drift(world: _World, feats: pd.DataFrame, truth: _Truth, scenario: Scenario) -> _Truth:
    """Open the scenario's frontier: today's risk rises in remote, formerly quiet districts."""
    if not scenario.drift_districts or scenario.drift_year is None:
        return truth
    lej = feats[C.LEJANIA].to_numpy(float)
    chosen = np.zeros(len(world), dtype=bool)
    for dep in np.unique(world.dep):
        idx = np.flatnonzero(world.dep == dep)
        quiet = idx[truth.p[idx] < np.median(truth.p[idx])]
        chosen[quiet[np.argsort(-lej[quiet], kind="stable")[:scenario.drift_districts]]] = True
    shift = np.where(chosen, scenario.drift_logit, 0.0)
    logit = truth.table["logit_verdadero"].to_numpy(float) + shift
    p_now = expit(logit)
    table = truth.table.copy()
    table["riesgo_anterior"] = truth.p
    table[C.RIESGO_VERDADERO] = p_now
    table["logit_verdadero"] = logit
    table["deriva"] = chosen.astype(int)
    table["anio_deriva"] = int(scenario.drift_year)
    out = _Truth(table=table, p=p_now, intercept=truth.intercept, coefs=truth.coefs,
                 p_before=truth.p, drift_year=scenario.drift_year,
                 logit_years=truth.logit_years, shift=shift)
    if truth.logit_years:
        for y in truth.logit_years:
            table[f"{C.RIESGO}_{y}"] = out.at(y)
    return out


#: Version of what ``make_demo`` writes; ``riskmap prepare`` rewrites an older demo folder.
#: 2: victims by sex and age, their district of origin, a services layer. 3: the real public
#: layers (issue 20).
DEMO_VERSION = 3
#: The key of the random stream of what version 2 added (victims, slips, the frontier's
#: dredges): kept, so those draws do not change with the version.
_LATER_STREAM = 2
VERSION_FILE = ".version"
SERVICES_LAYER = "servicios"


def make_demo(
    base: str | Path,
    out: str | Path,
    seed: int = 0,
    region: tuple[str, ...] = C.DEFAULT_DEPARTMENTS,
    *,
    calibration: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
    scenario: str = "estatico",
    layers: str = "reales",
    sources: str | Path | None = None,
) -> Path:
    """Write the demo world for Cusco and/or Loreto into ``out``.

    The sector layers are the real public ones (``layers="reales"``, the default: forest
    loss from GeoBosques, mining, farmland and coca from the Amazon district panel, read
    from ``sources`` exactly as downloaded); what has no public source here is simulated and
    says so: the inspection records, the true risk behind them (built on the real layers,
    with a hidden value where a source is silent and hidden informal-mining fronts and river
    dredges) and the services for victims. ``layers="simuladas"`` simulates the sector
    layers too (the world before issue 20).

    Parameters
    ----------
    base : str or Path
        ``peru_base.gpkg`` (``riskmap data fetch``); districts are read with
        :func:`geo.geography.base.read_districts`.
    out : str or Path
        Folder to write into (created if needed). Files already there are replaced one
        by one only after the whole world has been generated, so an error leaves the
        previous world intact.
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives byte-identical files.
    region : tuple of str
        Department codes: ``("08", "16")`` (default), ``("08",)`` or ``("16",)``.
    calibration : str or Path, optional
        Calibration TOML (default ``config/calibration.toml``).
    progress : callable, optional
        Called with a short message at each step.
    scenario : {"estatico", "deriva", "denuncias", "bajo_volumen", "frente_visible"}
        The kind of world (:data:`SCENARIOS`): drift, complaint-driven selection, low
        volume, a frontier a dated layer sees.
    layers : {"reales", "simuladas"}
        Where the sector layers come from (:data:`LAYER_KINDS`).
    sources : str or Path, optional
        Folder of the downloaded public files (default: ``fuentes`` beside ``base``, where
        ``riskmap data fetch`` puts them).

    Returns
    -------
    Path
        ``out``, holding ``inspecciones.csv``, ``verdad.csv``, ``settings.toml``,
        ``LEEME.md`` and ``capas/*.gpkg`` (the simulated services, and the simulated layers
        a world has).

    Raises
    ------
    ConfigError
        Unsupported region, scenario or kind of layers, a calibration district whose name
        does not match the boundaries, or a public file ``riskmap data fetch`` has not
        downloaded yet.
    DataError
        The base lacks a required column.

    Examples
    --------
    >>> _check_region(("08",))
    ('08',)
    """
    say = progress or (lambda _msg: None)
    base, out = Path(base).resolve(), Path(out).resolve()
    region = _check_region(tuple(region))
    if scenario not in SCENARIOS:
        raise ConfigError(
            es=f"Escenario desconocido '{scenario}'. Use uno de: {', '.join(SCENARIOS)}.",
            en=f"Unknown scenario '{scenario}'. Use one of: {', '.join(SCENARIOS)}.",
        )
    if layers not in LAYER_KINDS:
        raise ConfigError(
            es=f"Capas desconocidas '{layers}'. Use 'reales' (las fuentes públicas) o "
            "'simuladas'.",
            en=f"Unknown layers '{layers}'. Use 'reales' (the public sources) or 'simuladas'.",
        )
    kind = SCENARIOS[scenario]
    real = layers == "reales"
    sources = Path(sources).resolve() if sources else base.parent / paths.sources_dir().name
    cal = _apply_scenario(load_calibration(calibration), kind)
    say(tr("Leyendo distritos…", "Reading districts…"))
    districts = _read_districts(base, region)
    _check_names(cal, districts)
    rng = np.random.default_rng(seed)
    world = _World(districts)

    if real:
        say(tr("Leyendo las capas públicas reales…", "Reading the real public layers…"))
        entries = _real_layer_entries(sources, out)
        public = _measure_real(world, entries, sources)
        say(tr("Simulando lo que ninguna capa pública muestra…",
               "Simulating what no public layer shows…"))
        sim_layers = {"mineria_informal": _informal_mining(world, cal, rng),
                      "dragas": _dredges(world, cal, rng)}
        features, hidden, states = _truth_features(world, public, sim_layers, cal, rng)
        intensity = _real_intensity(world, features)
        names: tuple[str, ...] = FEATURES + HIDDEN
        written: dict[str, gpd.GeoDataFrame] = {}
    else:
        entries = ()
        say(tr("Simulando capas sectoriales…", "Simulating sector layers…"))
        sim_layers = _simulate_layers(world, cal, rng)
        features = _measure(world, sim_layers)
        hidden, states, names = None, None, SIMULATED_FEATURES
        intensity = _simulated_intensity(world, features)
        written = dict(sim_layers)
    say(tr("Simulando riesgo verdadero e inspecciones…",
           "Simulating true risk and inspections…"))
    truth = _drift(world, features,
                   _simulate_truth(world, features, cal, rng, names, states=states,
                                   hidden=hidden, cap=Z_CAP if real else None), kind)
    records = _simulate_inspections(world, features, truth, cal, rng, intensity)
    # What came later draws from its own stream, so the layers, the truth and the findings
    # of a seed stay those of earlier versions.
    extra = np.random.default_rng([seed, _LATER_STREAM])
    neighbours = _read_neighbour_origins(base, region)
    records = _simulate_victims(world, records, extra, neighbours)
    records = _recording_slips(records, extra)
    services = _simulate_services(world)
    if kind.visible:
        written["dragas"] = _visible_frontier(world, sim_layers["dragas"], truth, kind,
                                              np.random.default_rng([seed, _LATER_STREAM, 11]))

    say(tr(f"Escribiendo en {out}…", f"Writing to {out}…"))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        _write_layers(tmp, written, seed)
        _write_services(tmp, services, seed)
        _write_csv(records, tmp / "inspecciones.csv")
        (tmp / VERSION_FILE).write_text(f"{DEMO_VERSION}\n", encoding="utf-8")
        _write_csv(truth.table, tmp / "verdad.csv")
        (tmp / "settings.toml").write_text(
            _settings_text(base, out, region, cal, seed, real=entries,
                           simulated=tuple(written),
                           dated=("dragas",) if kind.visible else ()), encoding="utf-8")
        (tmp / "LEEME.md").write_text(
            _readme_text(seed, region, cal, world, features, truth, records, written,
                         public if real else None)
            + _scenario_text(kind, truth), encoding="utf-8")
        _publish(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


# ---------------------------------------------------------------------------------------
# the real public layers of the default world


#: Prefix of a path in a recipe that names the sources folder (``riskmap data fetch``).
_FUENTES = "{fuentes}/"


def _real_layer_entries(sources: Path, out: Path) -> list[dict[str, Any]]:
    """Return the ``[[layers]]`` of :data:`REAL_RECIPES`, their paths relative to ``out``.

    Raises
    ------
    ConfigError
        A recipe is missing, or a public file has not been downloaded yet.
    """
    entries = []
    for recipe in REAL_RECIPES:
        path = paths.CONFIG_DIR / "recetas" / recipe
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as err:
            raise ConfigError(
                es=f"No se pudo leer la receta {path} ({err}); el mundo de demostración toma de "
                "ella sus capas reales. Restáurela desde el repositorio.",
                en=f"Could not read recipe {path} ({err}); the demo world takes its real "
                "layers from it. Restore it from the repository.") from err
        for layer in raw.get("layers", []):
            entry = dict(layer)
            name = str(entry["path"])
            file = sources / (name[len(_FUENTES):] if name.startswith(_FUENTES) else name)
            if not file.is_file():
                raise ConfigError(
                    es=f"Falta {file}: el mundo de demostración usa las capas públicas reales "
                    "que descarga 'riskmap data fetch' (o 'riskmap prepare'). Ejecútelo y "
                    "vuelva a intentar.",
                    en=f"{file} is missing: the demo world uses the real public layers that "
                    "'riskmap data fetch' (or 'riskmap prepare') downloads. Run it and try "
                    "again.")
            entry["path"] = _relative(file, out)
            entry["_archivo"] = str(file)
            entries.append(entry)
    return entries


def _relative(path: Path, out: Path) -> str:
    """``path`` relative to ``out`` (as settings.toml names files), absolute across drives."""
    try:
        return Path(os.path.relpath(path, out)).as_posix()
    except ValueError:  # another drive (Windows)
        return path.as_posix()


@dataclass
class _Public:
    """The real layers as ``riskmap build`` measures them, in world order."""

    values: pd.DataFrame  # index ubigeo, one column per layer, in its unit (NaN: no value)
    history: dict[str, pd.DataFrame]  # per dated layer: ubigeo x year (its state then)
    fuentes: pd.DataFrame  # the build's sources table (source, unit, years, no-value count)


def _measure_real(world: _World, entries: list[dict[str, Any]], sources: Path) -> _Public:
    """Measure the real layers exactly as ``riskmap build`` will (the same settings)."""
    import tomli_w

    from geo.config import load_settings
    from geo.geography.build import HISTORY_TABLE, add_layers

    layers = [{**{k: v for k, v in e.items() if not k.startswith("_")},
               "path": e["_archivo"]} for e in entries]
    folder = Path(tempfile.mkdtemp(prefix=".capas-reales-"))
    try:
        spec_file = folder / "capas.toml"
        spec_file.write_text(tomli_w.dumps({"config_version": 1, "layers": layers}),
                             encoding="utf-8")
        specs = load_settings(spec_file).layers
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    gdf, fuentes, _ = add_layers(world.districts, specs)
    names = [spec.name for spec in specs]
    values = pd.DataFrame(gdf[names].to_numpy(float), columns=names,
                          index=pd.Index(world.ubigeo, name=C.UBIGEO))
    held = gdf.attrs.get(HISTORY_TABLE)
    long = getattr(held, "frame", held)
    history: dict[str, pd.DataFrame] = {}
    if long is not None and len(long):
        for name, part in long.groupby("capa"):
            wide = part.pivot(index=C.UBIGEO, columns="anio", values="valor")
            history[str(name)] = wide.reindex(world.ubigeo)
    return _Public(values=values, history=history, fuentes=fuentes)


def _truth_features(world: _World, public: _Public, hidden_layers: Mapping[str, Any],
                    cal: Mapping[str, Any], rng: np.random.Generator
                    ) -> tuple[pd.DataFrame, pd.DataFrame, dict[int, pd.DataFrame]]:
    """Return the features the true risk is made of, today and in each year.

    The real layers as ``log(1 + ha)`` (as the model reads them), a hidden value where the
    source is silent (:func:`_hidden_rules`, JUICIO; a layer without a rule: a value the
    source gives in a district of the same natural region, or of the whole region when it
    gives fewer than five there), the base indicators, and the hidden informal-mining fronts
    and dredges (counts).

    Returns
    -------
    (features, hidden, states)
        Today's features (world order); which real values are hidden (bool, same shape as
        the real columns); the features at the end of each year a dated layer changed.
    """
    logged = np.log1p(public.values[list(REAL_FEATURES)])
    hidden = logged.isna()
    natural = world.districts[C.REGION_NATURAL].astype(str).to_numpy()
    filled = logged.copy()
    rules = _hidden_rules(world, cal)
    for name in REAL_FEATURES:
        gone = hidden[name].to_numpy()
        if not gone.any():
            continue
        if name in rules:  # what the calibration says of the districts the source skips
            filled.loc[gone, name] = np.log1p(rules[name][gone])
            continue
        have = ~gone  # else a value the source gives in a district of the same region
        draws = np.empty(int(gone.sum()))
        for k, i in enumerate(np.flatnonzero(gone)):
            pool = have & (natural == natural[i])
            if pool.sum() < 5:
                pool = have
            draws[k] = logged[name].to_numpy()[rng.choice(np.flatnonzero(pool))]
        filled.loc[gone, name] = draws
    feats = filled.copy()
    for col in BASE_FEATURES:
        feats[col] = world.districts[col].to_numpy(float)
    for name in HIDDEN:
        gdf = hidden_layers[name]
        feats[name] = np.bincount(gdf["_i"].to_numpy(int), minlength=len(world)).astype(
            float) if len(gdf) else 0.0
    states: dict[int, pd.DataFrame] = {}
    years = sorted({int(y) for wide in public.history.values() for y in wide.columns})
    for year in years:
        at = feats.copy()
        for name, wide in public.history.items():
            if name not in at.columns:
                continue
            cols = wide.columns.to_numpy(int)
            kept = cols[cols <= year]
            chosen = kept.max() if kept.size else cols.min()
            state = np.log1p(wide[chosen].to_numpy(float))
            # a district the source is silent about keeps its hidden value in every year
            usable = ~np.isnan(state) & ~hidden[name].to_numpy()
            at[name] = np.where(usable, state, at[name].to_numpy(float))
        states[year] = at
    return feats, hidden, states


def _hidden_rules(world: _World, cal: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Return what the truth holds, in hectares, where a public source is silent (JUICIO).

    * ``coca``: 0. DEVIDA's coca zones in Cusco are La Convención, Lares and Kosñipata, all
      inside the panel; a district the panel leaves empty or does not cover (the high Andes)
      grows none to speak of.
    * ``mineria``: the share of the district under mining concessions
      (``[mineria.concesiones_share]``, by province or district; ``share_otros_*``
      elsewhere) times its area times ``area_minada_por_concesion`` (the part of a concession
      that is open pit, tailings or dredged ground, as MapBiomas sees it): Espinar's and
      Chumbivilcas' large mines, a few hectares elsewhere.
    """
    conf = cal["mineria"]
    shares = conf["concesiones_share"]
    cod_prov = world.districts[C.COD_PROV].astype(str).to_numpy()
    share = np.where(world.dep == C.DEP_CUSCO, conf["concesiones"]["share_otros_cusco"],
                     conf["concesiones"]["share_otros_loreto"]).astype(float)
    for i, (u, prov) in enumerate(zip(world.ubigeo, cod_prov, strict=True)):
        entry = shares.get(u) or shares.get(prov)
        if entry:
            share[i] = float(entry["share"])
    mined = share * world.area_km2 * 100.0 * float(conf["concesiones"]["area_minada_por_concesion"])
    return {"coca": np.zeros(len(world)), "mineria": mined}


def _real_intensity(world: _World, feats: pd.DataFrame) -> pd.DataFrame:
    """How much of each risky sector a district has (for the sector of each inspection).

    From the truth's features (real hectares, hidden values where a source is silent, and
    the hidden informal-mining fronts and dredges): shares of the district's area, capped.
    """
    area_ha = np.maximum(world.area_km2 * 100.0, 1.0)
    ha = {name: np.expm1(feats[name].to_numpy(float)) for name in REAL_FEATURES}
    points = (feats["mineria_informal"] + feats["dragas"]).to_numpy(float)
    return pd.DataFrame({
        "mineria": 0.6 * np.minimum(1, points / 8) + np.minimum(0.6, 50 * ha["mineria"] / area_ha),
        "tala": np.minimum(0.6, 60 * ha["perdida_bosque"] / area_ha),
        "coca": np.minimum(0.6, 30 * ha["coca"] / area_ha),
        "agricultura": np.minimum(1.0, ha["agricultura"] / area_ha),
    }, index=feats.index)


def _simulated_intensity(world: _World, feats: pd.DataFrame) -> pd.DataFrame:
    """Return the same, from the simulated layers (the world before issue 20, unchanged)."""
    return pd.DataFrame({
        "mineria": 0.6 * np.minimum(1, (feats["mineria_informal"] + feats["dragas"]) / 8)
        + 2 * feats["concesiones_mineras"],
        "tala": 0.6 * np.minimum(1, feats["campamentos_tala"] * world.area_km2 / 4)
        + 2 * feats["concesiones_forestales"],
        "coca": np.minimum(0.6, 30 * feats["coca"]),
        "agricultura": feats["agricultura"],
    }, index=feats.index)


def load_calibration(path: str | Path | None = None) -> dict[str, Any]:
    """Read the calibration TOML of the demo world (default ``config/calibration.toml``).

    >>> cal = load_calibration()
    >>> cal["hotspots"]["081203"]["distrito"]
    'Camanti'
    """
    path = Path(path) if path else CALIBRATION_FILE
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise ConfigError(
            es=f"No existe el archivo de calibración {path}; el mundo simulado lo necesita. "
            "Restáurelo desde el repositorio (config/calibration.toml).",
            en=f"Calibration file {path} does not exist; the simulated world needs it. "
            "Restore it from the repository (config/calibration.toml).",
        ) from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(
            es=f"{path}: no es un TOML válido ({err}).",
            en=f"{path}: not valid TOML ({err}).",
        ) from err


# ---------------------------------------------------------------------------------------
# districts and geometry helpers


def _check_region(region: tuple[str, ...]) -> tuple[str, ...]:
    if not region or any(code not in C.DEFAULT_DEPARTMENTS for code in region):
        shown = ",".join(region) or "all"
        raise ConfigError(
            es=f"El mundo simulado solo está calibrado para Cusco (08) y Loreto (16); "
            f"se pidió la región {shown!r}. Use --region cusco, loreto o 08,16.",
            en=f"The simulated world is calibrated for Cusco (08) and Loreto (16) only; "
            f"region {shown!r} was requested. Use --region cusco, loreto or 08,16.",
        )
    return tuple(sorted(set(region)))


def _read_districts(base: Path, region: tuple[str, ...]) -> gpd.GeoDataFrame:
    from geo.geography.base import read_districts

    if not base.is_file():
        raise DataError(
            es=f"No se encontró la base de distritos {base}. Ejecute primero "
            "'riskmap data fetch'.",
            en=f"District base {base} not found. Run 'riskmap data fetch' first.",
        )
    gdf = read_districts(base, region)
    missing = [c for c in _BASE_COLUMNS if c not in gdf.columns]
    if missing:
        raise DataError(
            es=f"{base}: a la capa de distritos le faltan las columnas {', '.join(missing)}. "
            "Vuelva a generarla con 'riskmap data fetch'.",
            en=f"{base}: the district layer lacks columns {', '.join(missing)}. Rebuild it "
            "with 'riskmap data fetch'.",
        )
    gdf = gdf.to_crs(4326) if gdf.crs and not gdf.crs.equals("EPSG:4326") else gdf
    return gdf.sort_values(C.UBIGEO).reset_index(drop=True)


def _fold(name: str) -> str:
    """Compare names without accents or case.

    >>> _fold("Santo Tomás") == _fold("SANTO TOMAS")
    True
    """
    decomposed = unicodedata.normalize("NFKD", str(name))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold().strip()


def _keyed_tables(cal: Mapping[str, Any]) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    """Every calibration table keyed by 6-digit UBIGEO, with its dotted name."""
    yield "hotspots", "distrito", cal["hotspots"]
    yield "origen_reclutamiento", "distrito", cal["origen_reclutamiento"]
    yield "coca.ha_2020", "distrito", cal["coca"]["ha_2020"]
    yield "agricultura.ha_2020", "distrito", cal["agricultura"]["ha_2020"]
    yield "bosque.perdida_ha_2020_2024", "distrito", cal["bosque"]["perdida_ha_2020_2024"]
    yield "mineria.informal", "distrito", cal["mineria"]["informal"]
    yield "mineria.dragas", "distrito", cal["mineria"]["dragas"]
    yield "mineria.concesiones_share", "nombre", cal["mineria"]["concesiones_share"]


def _check_names(cal: Mapping[str, Any], districts: gpd.GeoDataFrame) -> None:
    """Every calibrated district must exist with the same name (accents aside)."""
    names = dict(zip(districts[C.UBIGEO], districts[C.DISTRITO], strict=True))
    provinces = dict(zip(districts[C.COD_PROV], districts[C.PROVINCIA], strict=False))
    deps = set(districts[C.COD_DEP])
    for table, key, entries in _keyed_tables(cal):
        for code, entry in entries.items():
            if code[:2] not in deps:
                continue  # the other department was not requested
            found = (names if len(code) == 6 else provinces).get(code)
            if found is None or _fold(found) != _fold(entry[key]):
                raise ConfigError(
                    es=f"config/calibration.toml [{table}]: el código {code} debería ser "
                    f"{entry[key]!r} pero en los límites es {found!r}. Corrija el código o "
                    "el nombre.",
                    en=f"config/calibration.toml [{table}]: code {code} should be "
                    f"{entry[key]!r} but the boundaries say {found!r}. Fix the code or name.",
                )


class _World:
    """The districts with what the samplers need: prepared shapes and neighbours."""

    def __init__(self, districts: gpd.GeoDataFrame) -> None:
        self.districts = districts
        self.ubigeo = districts[C.UBIGEO].to_numpy()
        self.dep = districts[C.COD_DEP].to_numpy()
        self.geoms = np.asarray(districts.geometry.values)
        shapely.prepare(self.geoms)
        self.area_km2 = districts[C.AREA_KM2].to_numpy(float)
        tree = shapely.STRtree(self.geoms)
        self.neighbours = [
            [j for j in tree.query(g) if j != i] for i, g in enumerate(self.geoms)
        ]
        self.index = {u: i for i, u in enumerate(self.ubigeo)}
        # what belongs to this district alone: the source boundaries overlap a little, and a
        # simulated polygon in an overlap would be measured in two districts
        self.own = np.array([
            shapely.make_valid(shapely.difference(g, shapely.union_all(self.geoms[nb])))
            if nb else g for g, nb in zip(self.geoms, self.neighbours, strict=True)
        ], dtype=object)

    def __len__(self) -> int:
        return len(self.ubigeo)

    def sample(self, rng: np.random.Generator, i: int, n: int,
               within: shapely.Geometry | None = None) -> np.ndarray:
        """``n`` uniform points (x, y) inside district ``i`` (and ``within``), in no other."""
        out = np.empty((0, 2))
        if n <= 0:
            return out
        target = self.geoms[i] if within is None else within
        if within is not None:
            shapely.prepare(target)
        xmin, ymin, xmax, ymax = shapely.bounds(target)
        for _ in range(200):
            m = max(64, 4 * n)
            xy = np.column_stack([rng.uniform(xmin, xmax, m), rng.uniform(ymin, ymax, m)])
            out = np.vstack([out, xy[self._inside(i, xy, target)]])
            if len(out) >= n:
                return out[:n]
        # a sliver too thin to hit: fall back to a point guaranteed inside
        rep = shapely.get_coordinates(shapely.point_on_surface(target))
        return np.vstack([out, np.repeat(rep, n - len(out), axis=0)])[:n]

    def sample_near(self, rng: np.random.Generator, i: int, centres: np.ndarray, n: int,
                    sd_km: float) -> np.ndarray:
        """``n`` points scattered (normal, ``sd_km``) around random ``centres`` of district i."""
        out = np.empty((0, 2))
        if n <= 0:
            return out
        kx, ky = _deg_per_km(centres[:, 1].mean())
        for _ in range(50):
            m = max(32, 3 * n)
            pick = centres[rng.integers(0, len(centres), m)]
            xy = pick + rng.normal(0.0, sd_km, (m, 2)) * (kx, ky)
            out = np.vstack([out, xy[self._inside(i, xy, self.geoms[i])]])
            if len(out) >= n:
                return out[:n]
        return np.vstack([out, self.sample(rng, i, n - len(out))])[:n]

    def _inside(self, i: int, xy: np.ndarray, target: shapely.Geometry) -> np.ndarray:
        ok = shapely.contains_xy(target, xy[:, 0], xy[:, 1])
        ok &= shapely.contains_xy(self.geoms[i], xy[:, 0], xy[:, 1])
        for j in self.neighbours[i]:  # the source boundaries have small overlaps
            if ok.any():
                ok[ok] &= ~shapely.contains_xy(self.geoms[j], xy[ok, 0], xy[ok, 1])
        return ok


def _deg_per_km(lat: float) -> tuple[float, float]:
    """Degrees of longitude and latitude per km at ``lat``.

    >>> round(_deg_per_km(0.0)[1] * 110.574, 6)
    1.0
    """
    return 1.0 / (_KM_PER_DEG_LON * math.cos(math.radians(lat))), 1.0 / _KM_PER_DEG_LAT


def _rectangles(rng: np.random.Generator, xy: np.ndarray, ha: np.ndarray) -> np.ndarray:
    """North-south rectangles of ``ha`` hectares centred on ``xy`` (INGEMMET-like claims)."""
    km2 = ha / 100.0
    aspect = rng.uniform(0.5, 2.0, len(xy))
    w_km, h_km = np.sqrt(km2 * aspect), np.sqrt(km2 / aspect)
    kx, ky = _deg_per_km(float(xy[:, 1].mean())) if len(xy) else (0.0, 0.0)
    hw, hh = w_km * kx / 2, h_km * ky / 2
    return shapely.box(xy[:, 0] - hw, xy[:, 1] - hh, xy[:, 0] + hw, xy[:, 1] + hh)


def _blobs(rng: np.random.Generator, xy: np.ndarray, ha: np.ndarray,
           vertices: int = 18) -> np.ndarray:
    """Irregular, roughly elliptical polygons of about ``ha`` hectares around ``xy``."""
    n = len(xy)
    if n == 0:
        return np.empty(0, dtype=object)
    km2 = ha / 100.0
    aspect = rng.uniform(0.4, 1.0, n)
    a_km = np.sqrt(km2 / (math.pi * aspect))
    b_km = a_km * aspect
    rot = rng.uniform(0, math.pi, n)
    phi = np.linspace(0, 2 * math.pi, vertices, endpoint=False)
    # smooth radial noise: two random harmonics, so shapes look like fields, not stars
    noise = 1.0 + 0.12 * np.sin(2 * phi[None, :] + rng.uniform(0, 6.3, (n, 1))) \
        + 0.08 * np.sin(3 * phi[None, :] + rng.uniform(0, 6.3, (n, 1)))
    ex = a_km[:, None] * np.cos(phi)[None, :] * noise
    ey = b_km[:, None] * np.sin(phi)[None, :] * noise
    cx = ex * np.cos(rot)[:, None] - ey * np.sin(rot)[:, None]
    cy = ex * np.sin(rot)[:, None] + ey * np.cos(rot)[:, None]
    kx, ky = _deg_per_km(float(xy[:, 1].mean()))
    coords = np.stack([xy[:, 0:1] + cx * kx, xy[:, 1:2] + cy * ky], axis=-1)
    coords = np.concatenate([coords, coords[:, :1]], axis=1)  # close the rings
    return shapely.polygons(coords)


def _clip(polys: np.ndarray, district: shapely.Geometry) -> np.ndarray:
    """Clip to the district and keep valid polygonal parts (drop slivers' lines, points)."""
    if len(polys) == 0:
        return polys
    clipped = shapely.make_valid(shapely.intersection(polys, district))
    out = []
    for geom in clipped:
        parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and p.area > 0]
        if not parts:
            out.append(None)
        else:
            out.append(shapely.MultiPolygon(parts))
    return np.array(out, dtype=object)


# ---------------------------------------------------------------------------------------
# sector layers


def _simulate_layers(world: _World, cal: Mapping[str, Any],
                     rng: np.random.Generator) -> dict[str, gpd.GeoDataFrame]:
    """Each layer as a GeoDataFrame with a private ``_i`` (district index) column."""
    layers: dict[str, gpd.GeoDataFrame] = {}
    layers["concesiones_mineras"] = _mining_concessions(world, cal, rng)
    layers["mineria_informal"] = _informal_mining(world, cal, rng)
    layers["dragas"] = _dredges(world, cal, rng)
    layers["concesiones_forestales"] = _forest_concessions(world, cal, rng)
    layers["campamentos_tala"] = _logging_camps(world, cal, rng, layers["concesiones_forestales"])
    layers["agricultura"] = _farmland(world, cal, rng)
    layers["coca"] = _coca(world, cal, rng)
    return layers


def _polygon_layer(world: _World, rng: np.random.Generator, target_share: np.ndarray,
                   ha_range: tuple[float, float], shape: str, kind: str, prefix: str,
                   clusters: int = 0, sd_km: float = 5.0) -> gpd.GeoDataFrame:
    """Scatter polygons in every district until about ``target_share`` of it is covered."""
    rows: list[tuple[int, shapely.Geometry]] = []
    lo, hi = ha_range
    for i in range(len(world)):
        target_ha = target_share[i] * world.area_km2[i] * 100.0
        if target_ha <= 0:
            continue
        mean_ha = min(math.sqrt(lo * hi), max(lo, target_ha))
        n = max(1, int(rng.poisson(1.15 * target_ha / mean_ha)))  # overlaps are dissolved
        sizes = np.exp(rng.uniform(math.log(lo), math.log(hi), n))
        sizes = np.minimum(sizes * target_ha / max(sizes.sum(), 1e-9) * 1.15, hi * 4)
        if clusters:
            centres = world.sample(rng, i, clusters)
            xy = world.sample_near(rng, i, centres, n, sd_km)
        else:
            xy = world.sample(rng, i, n)
        polys = _rectangles(rng, xy, sizes) if shape == "rect" else _blobs(rng, xy, sizes)
        rows.extend((i, g) for g in _clip(polys, world.own[i]) if g is not None)
    gdf = gpd.GeoDataFrame(
        {"_i": [r[0] for r in rows]}, geometry=[r[1] for r in rows], crs="EPSG:4326")
    gdf.insert(0, "id", [f"{prefix}-{k:05d}" for k in range(1, len(gdf) + 1)])
    gdf.insert(1, "tipo", kind)
    gdf.insert(2, "hectareas", (gdf.geometry.to_crs(EQUAL_AREA).area / 1e4).round(2))
    return gdf


def _point_layer(rows: list[tuple[int, np.ndarray, dict[str, Any]]], kind: str,
                 prefix: str) -> gpd.GeoDataFrame:
    idx, xs, ys, extra = [], [], [], []
    for i, xy, attrs in rows:
        idx.extend([i] * len(xy))
        xs.extend(xy[:, 0])
        ys.extend(xy[:, 1])
        extra.extend([attrs] * len(xy))
    gdf = gpd.GeoDataFrame(
        {"_i": idx}, geometry=gpd.points_from_xy(np.round(xs, 6), np.round(ys, 6)),
        crs="EPSG:4326")
    for key in sorted({k for attrs in extra for k in attrs}):
        gdf[key] = [attrs.get(key, "") for attrs in extra]
    gdf.insert(0, "id", [f"{prefix}-{k:05d}" for k in range(1, len(gdf) + 1)])
    gdf.insert(1, "tipo", kind)
    return gdf


def _by_code(world: _World, table: Mapping[str, Mapping[str, Any]], key: str) -> np.ndarray:
    values = np.zeros(len(world))
    for code, entry in table.items():
        if code in world.index:
            values[world.index[code]] = float(entry[key])
    return values


def _mining_concessions(world: _World, cal: Mapping[str, Any],
                        rng: np.random.Generator) -> gpd.GeoDataFrame:
    conf = cal["mineria"]["concesiones"]
    shares = cal["mineria"]["concesiones_share"]
    cod_prov = world.districts[C.COD_PROV].to_numpy()
    target = np.where(world.dep == C.DEP_CUSCO, conf["share_otros_cusco"],
                      conf["share_otros_loreto"]).astype(float)
    for i, (u, prov) in enumerate(zip(world.ubigeo, cod_prov, strict=True)):
        entry = shares.get(u) or shares.get(prov)
        if entry:
            target[i] = entry["share"]
    target *= rng.lognormal(0.0, 0.3, len(world))
    return _polygon_layer(world, rng, target, tuple(conf["ha_por_concesion"]), "rect",
                          "concesión minera (simulada)", "SIM-CM")


def _informal_mining(world: _World, cal: Mapping[str, Any],
                     rng: np.random.Generator) -> gpd.GeoDataFrame:
    expected = _by_code(world, cal["mineria"]["informal"], "n")
    sierra = (world.dep == C.DEP_CUSCO) & (
        world.districts[C.REGION_NATURAL].to_numpy() == "Sierra") & (expected == 0)
    expected[sierra] = cal["mineria"]["fondo_sierra_cusco"]
    rows = []
    for i in range(len(world)):
        n = int(rng.poisson(expected[i])) if expected[i] > 0 else 0
        if n:
            # sites cluster along a few gold-bearing valleys or streams
            centres = world.sample(rng, i, max(1, n // 12 + 1))
            rows.append((i, world.sample_near(rng, i, centres, n, sd_km=3.0), {}))
    return _point_layer(rows, "frente de minería informal (simulado)", "SIM-MI")


def _river(rng: np.random.Generator, world: _World, i: int) -> shapely.LineString:
    """Draw an approximate meandering river across district ``i`` (its longest chord)."""
    pts = world.sample(rng, i, 40)
    d = np.linalg.norm(pts[:, None, :] - pts[None, :, :], axis=-1)
    a, b = np.unravel_index(np.argmax(d), d.shape)
    t = np.linspace(0, 1, 60)
    line = pts[a] + t[:, None] * (pts[b] - pts[a])
    normal = np.array([-(pts[b] - pts[a])[1], (pts[b] - pts[a])[0]])
    amp = 0.06 * rng.uniform(0.5, 1.0)
    waves = amp * np.sin(2 * math.pi * t * rng.uniform(2, 4) + rng.uniform(0, 6.3))
    line = line + waves[:, None] * normal[None, :]
    clipped = shapely.intersection(shapely.LineString(line), world.geoms[i])
    parts = [p for p in shapely.get_parts(clipped) if p.geom_type == "LineString"]
    return max(parts, key=lambda p: p.length) if parts else shapely.LineString(pts[[a, b]])


def _dredges(world: _World, cal: Mapping[str, Any],
             rng: np.random.Generator) -> gpd.GeoDataFrame:
    table = cal["mineria"]["dragas"]
    rows = []
    for code in sorted(table):
        if code not in world.index:
            continue
        i, entry = world.index[code], table[code]
        n = int(rng.poisson(entry["n"]))
        if not n:
            continue
        river = _river(rng, world, i)
        # dredges work in groups on stretches of the river: a few anchors, scattered along
        anchors = rng.uniform(0.1, 0.9, max(1, n // 8 + 1))
        frac = np.clip(anchors[rng.integers(0, len(anchors), n)] + rng.normal(0, 0.05, n), 0, 1)
        xy = shapely.get_coordinates(shapely.line_interpolate_point(river, frac, normalized=True))
        ok = world._inside(i, xy, world.geoms[i])
        if not ok.all():
            xy[~ok] = world.sample(rng, i, int((~ok).sum()))
        rows.append((i, xy, {"rio": entry["rio"]}))
    return _point_layer(rows, "draga (simulada)", "SIM-DR")


def _visible_frontier(world: _World, dredges: gpd.GeoDataFrame, truth: _Truth,
                      kind: Scenario, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Date the dredges (column ``anio``) and add the frontier's own.

    The older dredges are dated before the records; :data:`FRONTIER_DREDGES` new ones work
    in each district where the frontier opened, dated its year. The truth and the records
    stay the ``deriva`` world's (``rng`` is a stream of its own).
    """
    old = dredges.copy()
    old["anio"] = rng.integers(OLD_DREDGE_YEARS[0], OLD_DREDGE_YEARS[1] + 1, len(old))
    moved = np.flatnonzero(truth.table["deriva"].to_numpy() == 1)
    rows = [(int(i), world.sample(rng, int(i), FRONTIER_DREDGES), {"rio": "frente nuevo"})
            for i in moved]
    new = _point_layer(rows, "draga (simulada)", "SIM-DRN")
    new["anio"] = int(kind.drift_year or 0)
    out = pd.concat([old, new], ignore_index=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=dredges.crs)


def _forest_loss(world: _World, cal: Mapping[str, Any]) -> np.ndarray:
    return _by_code(world, cal["bosque"]["perdida_ha_2020_2024"], "ha")


def _forest_concessions(world: _World, cal: Mapping[str, Any],
                        rng: np.random.Generator) -> gpd.GeoDataFrame:
    conf = cal["bosque"]
    loss = _forest_loss(world, cal)
    target = np.zeros(len(world))
    for dep, share in conf["concesion_max_share"].items():
        mask = (world.dep == dep) & (loss >= conf["concesion_min_ha"])
        if mask.any():
            target[mask] = share * np.sqrt(loss[mask] / loss[world.dep == dep].max())
    target *= rng.lognormal(0.0, 0.4, len(world))
    return _polygon_layer(world, rng, np.minimum(target, 0.5), tuple(conf["ha_por_concesion"]),
                          "rect", "concesión forestal (simulada)", "SIM-CF")


def _logging_camps(world: _World, cal: Mapping[str, Any], rng: np.random.Generator,
                   concessions: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    conf = cal["bosque"]
    loss = _forest_loss(world, cal)
    share = np.array([conf["parte_tala"].get(d, 0.0) for d in world.dep])
    expected = loss * share / conf["ha_perdidas_por_campamento"]
    inside = concessions.groupby("_i").geometry.apply(lambda s: shapely.union_all(s.values))
    rows = []
    for i in range(len(world)):
        n = int(rng.poisson(expected[i])) if expected[i] > 0 else 0
        if not n:
            continue
        # about half the camps work inside the (simulated) concessions, half outside them
        n_in = int(rng.binomial(n, 0.5)) if i in inside.index else 0
        xy = world.sample(rng, i, n - n_in)
        if n_in:
            xy = np.vstack([xy, world.sample(rng, i, n_in, within=inside[i])])
        rows.append((i, xy, {}))
    return _point_layer(rows, "campamento de tala (simulado)", "SIM-CT")


def _farmland(world: _World, cal: Mapping[str, Any],
              rng: np.random.Generator) -> gpd.GeoDataFrame:
    conf = cal["agricultura"]
    ha = _by_code(world, conf["ha_2020"], "ha")
    share = ha / (world.area_km2 * 100.0)
    m, k = conf["andina_media"], conf["andina_concentracion"]
    andean = ha == 0
    share[andean] = rng.beta(m * k, (1 - m) * k, int(andean.sum()))
    share = np.minimum(share, conf["max_share"])
    return _polygon_layer(world, rng, share, tuple(conf["ha_por_poligono"]), "blob",
                          "área agropecuaria (simulada)", "SIM-AG", clusters=3, sd_km=8.0)


def _coca(world: _World, cal: Mapping[str, Any], rng: np.random.Generator) -> gpd.GeoDataFrame:
    conf = cal["coca"]
    ha = _by_code(world, conf["ha_2020"], "ha")
    col = conf["anios"].index(conf["anio_escala"])
    for dep, totals in conf["departamento_ha"].items():
        mask = world.dep == dep
        if mask.any() and ha[mask].sum() > 0:
            ha[mask] *= totals[col] / ha[mask].sum()  # scale to the department's latest total
    share = ha / (world.area_km2 * 100.0)
    return _polygon_layer(world, rng, share, tuple(conf["ha_por_poligono"]), "blob",
                          "zona de coca (simulada)", "SIM-CO", clusters=2, sd_km=4.0)


# ---------------------------------------------------------------------------------------
# features, truth, inspections


def _measure(world: _World, layers: Mapping[str, gpd.GeoDataFrame]) -> pd.DataFrame:
    """Measure the district features as the district table does (``geo.geography.layers``)."""
    feats = pd.DataFrame(index=pd.Index(world.ubigeo, name=C.UBIGEO))
    for spec in DEMO_LAYERS:
        gdf = layers[spec.name]
        values = np.zeros(len(world))
        if spec.measure == "area_share" and len(gdf):
            dissolved = gdf.dissolve(by="_i")  # overlapping polygons count once
            area = dissolved.geometry.to_crs(EQUAL_AREA).area.to_numpy() / 1e6
            values[dissolved.index.to_numpy()] = area / world.area_km2[dissolved.index]
        elif len(gdf):
            counts = np.bincount(gdf["_i"].to_numpy(), minlength=len(world)).astype(float)
            values = counts / world.area_km2 if spec.measure == "density" else counts
        feats[spec.name] = values
    for col in BASE_FEATURES:
        feats[col] = world.districts[col].to_numpy(float)
    return feats


@dataclass
class _Truth:
    table: pd.DataFrame  # what verdad.csv holds
    p: np.ndarray  # true probability per district, in world order (today's)
    intercept: float
    coefs: dict[str, float]
    p_before: np.ndarray | None = None  # before the drift year (scenario "deriva")
    drift_year: int | None = None
    # the logit of each year a dated layer changed (no drift): risk moves with the layers
    logit_years: dict[int, np.ndarray] | None = None
    shift: np.ndarray | None = None  # the frontier's logit, from the drift year on

    def at(self, year: int) -> np.ndarray:
        """Return the true probability per district in ``year``."""
        if self.logit_years:
            kept = [y for y in self.logit_years if y <= year]
            logit = self.logit_years[max(kept) if kept else min(self.logit_years)]
            if self.shift is not None and self.drift_year is not None \
                    and year >= self.drift_year:
                logit = logit + self.shift
            return expit(logit)
        if self.p_before is not None and self.drift_year is not None and year < self.drift_year:
            return self.p_before
        return self.p


def _standardise(x: pd.DataFrame) -> pd.DataFrame:
    sd = x.std(ddof=0).replace(0.0, 1.0)
    return (x - x.mean()) / sd


def _simulate_truth(world: _World, feats: pd.DataFrame, cal: Mapping[str, Any],
                    rng: np.random.Generator, names: Sequence[str] = SIMULATED_FEATURES, *,
                    states: Mapping[int, pd.DataFrame] | None = None,
                    hidden: pd.DataFrame | None = None, cap: float | None = None) -> _Truth:
    """Draw the hidden true risk: ``logit p = b0 + sum(coef * z) + u``.

    ``states``: the features at the end of each year a dated layer changed; the truth of
    each year then follows them (standardised like today's). ``hidden``: which real values
    the truth knows but no public source gives (``oculto_<feature>`` in verdad.csv).
    ``cap``: z-scores held within +-cap.
    """
    names = list(names)
    coefs = {f: float(cal["verdad"]["coeficientes"][f]) for f in names}
    mean = feats[names].mean()
    sd = feats[names].std(ddof=0).replace(0.0, 1.0)

    def contributions(x: pd.DataFrame) -> pd.DataFrame:
        z = (x[names] - mean) / sd
        if cap is not None:
            z = z.clip(-cap, cap)
        return z * pd.Series(coefs) + 0.0  # + 0.0 turns -0.0 into 0.0 in verdad.csv

    contrib = contributions(feats)
    u = rng.normal(0.0, cal["verdad"]["sd_efecto_aleatorio"], len(world))
    eta = contrib.sum(axis=1).to_numpy() + u
    target = cal["inspecciones"]["tasa_hallazgo_objetivo"]

    def excess(b0: float) -> float:
        return _expected_rate(world, feats, expit(b0 + eta), cal) - target

    b0 = float(brentq(excess, -15.0, 10.0, xtol=1e-10))
    p = expit(b0 + eta)
    years = None
    if states:
        first, last = cal["inspecciones"]["anios"]
        years = {int(y): b0 + contributions(states_at(states, y, feats)).sum(axis=1).to_numpy()
                 + u for y in range(int(first), int(last) + 1)}
    d = world.districts
    hotspots = cal["hotspots"]
    table = pd.DataFrame({
        C.UBIGEO: world.ubigeo,
        C.DISTRITO: d[C.DISTRITO].to_numpy(),
        C.PROVINCIA: d[C.PROVINCIA].to_numpy(),
        C.DEPARTAMENTO: d[C.DEPARTAMENTO].to_numpy(),
        C.RIESGO_VERDADERO: p,
        "logit_verdadero": b0 + eta,
        "intercepto": b0,
        "efecto_aleatorio": u,
    })
    for f in names:
        table[f"contrib_{f}"] = contrib[f].to_numpy()
    for f in names:
        table[f"valor_{f}"] = feats[f].to_numpy()
    if hidden is not None:
        for f in hidden.columns:
            table[f"oculto_{f}"] = hidden[f].to_numpy().astype(int)
    if years:
        for y, logit in sorted(years.items()):
            table[f"{C.RIESGO}_{y}"] = expit(logit)
    table["hotspot"] = [int(u_ in hotspots) for u_ in world.ubigeo]
    table["perfil"] = [";".join(hotspots[u_]["perfil"]) if u_ in hotspots else ""
                       for u_ in world.ubigeo]
    return _Truth(table=table, p=p, intercept=b0, coefs=coefs, logit_years=years)


def states_at(states: Mapping[int, pd.DataFrame], year: int, today: pd.DataFrame
              ) -> pd.DataFrame:
    """Return the features at the end of ``year``: the latest state up to it, else the first.

    >>> s = {2015: pd.DataFrame({"a": [1.0]}), 2020: pd.DataFrame({"a": [2.0]})}
    >>> [float(states_at(s, y, None)["a"].iloc[0]) for y in (2010, 2017, 2024)]
    [1.0, 1.0, 2.0]
    """
    if not states:
        return today
    kept = [y for y in states if y <= year]
    return states[max(kept) if kept else min(states)]


def _allocation(world: _World, feats: pd.DataFrame, p: np.ndarray,
                cal: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Probability that one inspection of each origin falls in each district (per dept)."""
    conf = cal["inspecciones"]
    lej = feats[C.LEJANIA].to_numpy()
    pop = np.maximum(world.districts[C.POBLACION].to_numpy(float), 1.0) ** \
        conf["exponente_poblacion"]
    weights = {
        "planificada": pop * np.exp(-lej / conf["escala_lejania_km"]),
        "denuncia": pop * p ** conf.get("potencia_denuncia", 1.0)
        * np.exp(-lej / conf["escala_lejania_denuncia_km"]),
        "aleatoria": np.ones(len(world)),
    }
    alloc = {}
    for origin, w in weights.items():
        prob = np.zeros(len(world))
        for dep in np.unique(world.dep):
            mask = world.dep == dep
            prob[mask] = w[mask] / w[mask].sum()
        alloc[origin] = prob
    return alloc


def _expected_rate(world: _World, feats: pd.DataFrame, p: np.ndarray,
                   cal: Mapping[str, Any]) -> float:
    shares = cal["inspecciones"]["origen"]
    alloc = _allocation(world, feats, p, cal)
    per_inspection = sum(shares[o] * alloc[o] for o in C.ORIGENES)  # sums to 1 per dept
    n_deps = len(np.unique(world.dep))
    return float((per_inspection * p).sum() / n_deps)  # every department gets equal volume


_INDICATOR_WEIGHTS = {
    # ILO indicators OIT01..OIT11, relative frequency by sector (JUICIO)
    "mineria": [3, 3, 2, 3, 1, 1, 1, 2, 3, 4, 2],
    "tala": [3, 3, 2, 4, 1, 1, 1, 2, 3, 4, 2],
    "coca": [3, 2, 2, 3, 1, 2, 1, 2, 2, 3, 2],
    "agricultura": [3, 2, 1, 1, 1, 1, 1, 3, 2, 3, 3],
    "domestico": [3, 2, 3, 2, 1, 1, 2, 3, 1, 2, 3],
    "construccion": [2, 2, 1, 1, 1, 1, 1, 3, 2, 3, 3],
    "otro": [2, 2, 1, 1, 1, 1, 1, 3, 1, 2, 3],
}
_MEAN_WORKERS = {"mineria": 18, "tala": 12, "coca": 8, "agricultura": 15, "domestico": 1,
                 "construccion": 20, "otro": 10}


def _sector_weights(world: _World, intensity: pd.DataFrame) -> np.ndarray:
    """Columns in the order of ``C.SECTORES_INSPECCION``; rows = districts.

    ``intensity``: how much mining, logging, coca and farming each district has
    (:func:`_real_intensity` or :func:`_simulated_intensity`).
    """
    # towns: domestic work, construction and "otro" (hotels, restaurants, commerce, the
    # sectors SUNAFIL inspects most nationally); countryside: what the layers put there
    urban = np.minimum(1.0, world.districts[C.DENSIDAD].to_numpy(float) / 300.0)
    rural = 1.0 - 0.8 * urban
    w = {
        "mineria": rural * (0.03 + intensity["mineria"]),
        "tala": rural * (0.03 + intensity["tala"]),
        "coca": rural * (0.01 + intensity["coca"]),
        "agricultura": rural * (0.15 + intensity["agricultura"]),
        "domestico": 0.05 + 0.6 * urban,
        "construccion": 0.05 + 0.6 * urban,
        "otro": 0.10 + 0.5 * urban,
    }
    return np.column_stack([np.asarray(w[s], dtype=float) for s in C.SECTORES_INSPECCION])


def _simulate_inspections(world: _World, feats: pd.DataFrame, truth: _Truth,
                          cal: Mapping[str, Any], rng: np.random.Generator,
                          intensity: pd.DataFrame) -> pd.DataFrame:
    conf = cal["inspecciones"]
    first, last = conf["anios"]
    years = np.arange(first, last + 1)
    lo, hi = conf["por_departamento_anio"]
    volume = np.linspace(lo, hi, len(years))
    origins = list(C.ORIGENES)
    shares = np.array([conf["origen"][o] for o in origins])
    p_year = {int(y): truth.at(int(y)) for y in years}
    allocs = {y: _allocation(world, feats, p, cal) for y, p in p_year.items()}
    parts = []
    for year, mu in zip(years, volume, strict=True):
        alloc = allocs[int(year)]  # complaints follow the risk of that year
        for dep in np.unique(world.dep):
            idx = np.flatnonzero(world.dep == dep)
            n = int(rng.poisson(mu))
            origin = rng.choice(len(origins), n, p=shares)
            district = np.empty(n, dtype=int)
            for k, o in enumerate(origins):
                m = origin == k
                prob = alloc[o][idx]
                district[m] = rng.choice(idx, int(m.sum()), p=prob / prob.sum())
            days = 366 if year % 4 == 0 else 365
            date = np.datetime64(f"{year}-01-01") + rng.integers(0, days, n).astype(
                "timedelta64[D]")
            parts.append(pd.DataFrame({"_i": district, "_origen": origin, C.FECHA: date}))
    rec = pd.concat(parts, ignore_index=True)
    n = len(rec)
    i = rec["_i"].to_numpy()
    # each record's finding follows the risk of its own year
    year_rec = pd.to_datetime(rec[C.FECHA]).dt.year.to_numpy()
    p_rec = np.empty(n)
    for y, p in p_year.items():
        sel = year_rec == y
        p_rec[sel] = p[i[sel]]
    found = rng.random(n) < p_rec
    # sector: what the district has; findings lean to the risky sectors
    w = _sector_weights(world, intensity)[i]
    sectors = list(C.SECTORES_INSPECCION)
    boost = np.array([3.0 if s in ("mineria", "tala", "coca") else
                      1.5 if s in ("agricultura", "domestico") else 1.0 for s in sectors])
    w = np.where(found[:, None], w * boost, w)
    cum = np.cumsum(w, axis=1)
    sector = (rng.random(n)[:, None] * cum[:, -1:] > cum).sum(axis=1)
    sector_name = np.array(sectors)[sector]
    workers = np.empty(n, dtype=int)
    victims = np.zeros(n, dtype=int)
    codes = np.array(sorted(cal["indicadores_oit"]))
    indicators = np.full(n, "", dtype=object)
    for k in range(n):
        s = sector_name[k]
        mean = _MEAN_WORKERS[s]
        workers[k] = 1 + (rng.binomial(1, 0.3) if s == "domestico" else
                          rng.negative_binomial(2, 2 / (2 + mean - 1)))
        if found[k]:
            victims[k] = max(1, rng.binomial(workers[k], rng.beta(2, 3)))
            wk = np.asarray(_INDICATOR_WEIGHTS[s], dtype=float)
            pick = rng.choice(len(codes), 1 + rng.binomial(3, 0.4), replace=False,
                              p=wk / wk.sum())
            indicators[k] = ";".join(codes[np.sort(pick)])
    # where: a point inside the district, drawn per district in a fixed order
    xy = np.empty((n, 2))
    for d in np.unique(i):
        rows = np.flatnonzero(i == d)
        xy[rows] = world.sample(rng, int(d), len(rows))
    rec = pd.DataFrame({
        C.FECHA: rec[C.FECHA].to_numpy(),
        C.UBIGEO: world.ubigeo[i],
        C.LAT: np.round(xy[:, 1], 5),
        C.LON: np.round(xy[:, 0], 5),
        C.SECTOR: sector_name,
        C.HALLAZGO: found.astype(int),
        C.ORIGEN: np.array(origins)[rec["_origen"].to_numpy()],
        C.INDICADORES: indicators,
        C.TRABAJADORES: workers,
        C.VICTIMAS: victims,
    })
    rec = rec.sort_values([C.FECHA, C.UBIGEO], kind="stable").reset_index(drop=True)
    year = rec[C.FECHA].dt.year
    seq = rec.groupby(year).cumcount() + 1
    rec.insert(0, C.ID, [f"SIM-{y}-{s:04d}" for y, s in zip(year, seq, strict=True)])
    rec[C.FECHA] = rec[C.FECHA].dt.strftime("%Y-%m-%d")
    return rec[[c for c in INSPECTION_COLUMNS if c in rec]]


# ---------------------------------------------------------------------------------------
# writing


@contextmanager
def _pinned_gpkg_date() -> Iterator[None]:
    old = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": _FIXED_DATE})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": old})


def _write_layers(folder: Path, layers: Mapping[str, gpd.GeoDataFrame], seed: int) -> None:
    """Write the world's simulated layers (all seven, only the dredges, or none)."""
    (folder / "capas").mkdir()
    with _pinned_gpkg_date():
        for spec in DEMO_LAYERS:
            if spec.name not in layers:
                continue
            gdf = layers[spec.name].drop(columns="_i")
            gdf["simulado"] = True
            metadata = {
                "simulado": "true",
                "descripcion": spec.description,
                "aviso": "DATOS SIMULADOS — NO SON REGISTROS REALES",
                "generado_por": f"riskmap demo (semilla {seed})",
            }
            gdf.to_file(folder / "capas" / f"{spec.name}.gpkg", layer=spec.name, driver="GPKG",
                        engine="pyogrio", promote_to_multi=spec.geometry == "polygon",
                        metadata=metadata)


# ---------------------------------------------------------------------------------------
# victims, origins, recording slips and services (demo version 2)

#: Share of victims who are women or girls, and who are minors, by sector (JUICIO). The
#: published figures (Ministerio Público 2009-2017: 80 % women, 50 % minors) cover every
#: form of trafficking, mostly sexual exploitation; labour exploitation in mining camps and
#: logging takes more men, domestic work almost only women and girls.
_SHARE_WOMEN = {"mineria": 0.35, "tala": 0.15, "coca": 0.35, "agricultura": 0.45,
                "domestico": 0.95, "construccion": 0.10, "otro": 0.60}
_SHARE_MINORS = {"mineria": 0.30, "tala": 0.20, "coca": 0.35, "agricultura": 0.30,
                 "domestico": 0.50, "construccion": 0.10, "otro": 0.25}
_ORIGIN_RECORDED = 0.85  # inspectors do not always learn where the victims were recruited
_LOCAL = 0.35  # recruited in the district where they work
_ORIGIN_KM = 250.0  # recruitment reach: weight exp(-km / 250)
_OUTSIDE_CUSCO = 0.15  # victims found in Cusco recruited in Puno or Apurímac (JUICIO)
_DATEM = "1607"  # Datem del Marañón: origin of indigenous workers sent to the Tigre camps
_DATEM_BOOST = 8.0
_SLIP_NO_INDICATORS = 0.04  # findings recorded without their indicators
_SLIP_STRAY_INDICATOR = 0.01  # no finding, but an indicator written down


def _centroids(gdf: gpd.GeoDataFrame) -> np.ndarray:
    pts = gdf.geometry.representative_point()
    return np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])


def _read_neighbour_origins(base: Path, region: tuple[str, ...]) -> gpd.GeoDataFrame | None:
    """Districts of Puno and Apurímac, where part of Cusco's victims come from."""
    if C.DEP_CUSCO not in region:
        return None
    from geo.geography.base import read_districts

    try:
        return read_districts(base, ("03", "21"))
    except DataError:
        return None


def _km(xy: np.ndarray, x0: float, y0: float) -> np.ndarray:
    kx = _KM_PER_DEG_LON * np.cos(np.radians(y0))
    return np.hypot((xy[:, 0] - x0) * kx, (xy[:, 1] - y0) * _KM_PER_DEG_LAT)


def _simulate_victims(world: _World, records: pd.DataFrame, rng: np.random.Generator,
                      neighbours: gpd.GeoDataFrame | None) -> pd.DataFrame:
    """Victims by sex and age, and the district where they were recruited (documented)."""
    d = world.districts
    xy = _centroids(d)
    pull = (d[C.POBREZA].to_numpy(float) / 100.0) ** 2 * np.sqrt(
        d[C.POBLACION].to_numpy(float).clip(min=1.0))
    datem = d[C.COD_PROV].astype(str).str.startswith(_DATEM).to_numpy()
    pos = {u: i for i, u in enumerate(world.ubigeo)}
    if neighbours is not None and len(neighbours):
        nxy = _centroids(neighbours)
        npull = (neighbours[C.POBREZA].to_numpy(float) / 100.0) ** 2 * np.sqrt(
            neighbours[C.POBLACION].to_numpy(float).clip(min=1.0))
        ncodes = neighbours[C.UBIGEO].astype(str).to_numpy()
    n = len(records)
    women = np.full(n, "", dtype=object)
    minors = np.full(n, "", dtype=object)
    origin = np.full(n, "", dtype=object)
    victims = records[C.VICTIMAS].to_numpy(int)
    for k in np.flatnonzero(victims > 0):
        sector = records[C.SECTOR].iat[k]
        women[k] = str(rng.binomial(victims[k], _SHARE_WOMEN[sector]))
        minors[k] = str(rng.binomial(victims[k], _SHARE_MINORS[sector]))
        if rng.random() >= _ORIGIN_RECORDED:
            continue
        i = pos[records[C.UBIGEO].iat[k]]
        if rng.random() < _LOCAL:
            origin[k] = world.ubigeo[i]
            continue
        dep = world.dep[i]
        if dep == C.DEP_CUSCO and neighbours is not None and len(neighbours) and \
                rng.random() < _OUTSIDE_CUSCO:
            w = npull * np.exp(-_km(nxy, *xy[i]) / _ORIGIN_KM)
            origin[k] = ncodes[rng.choice(len(w), p=w / w.sum())]
            continue
        same = world.dep == dep
        w = np.where(same, pull * np.exp(-_km(xy, *xy[i]) / _ORIGIN_KM), 0.0)
        w[i] = 0.0
        if dep == C.DEP_LORETO and sector in ("mineria", "tala"):
            w = np.where(datem, w * _DATEM_BOOST, w)
        if w.sum() <= 0:
            origin[k] = world.ubigeo[i]
            continue
        origin[k] = world.ubigeo[rng.choice(len(w), p=w / w.sum())]
    out = records.copy()
    out[C.VICTIMAS_MUJERES] = women
    out[C.VICTIMAS_MENORES] = minors
    out[C.UBIGEO_ORIGEN] = origin
    return out[list(INSPECTION_COLUMNS)]


def _recording_slips(records: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Make some records disagree (hallazgo_tf vs indicators), as real registers do."""
    out = records.copy()
    found = out[C.HALLAZGO].to_numpy(int) == 1
    blank = found & (rng.random(len(out)) < _SLIP_NO_INDICATORS)
    stray = ~found & (rng.random(len(out)) < _SLIP_STRAY_INDICATOR)
    ind = out[C.INDICADORES].to_numpy(object).copy()
    ind[blank] = ""
    # an inspector notes long hours or poor conditions without calling it forced labour
    ind[stray] = rng.choice(["OIT10", "OIT11"], int(stray.sum()))
    out[C.INDICADORES] = ind
    return out


#: Simulated services (JUICIO, shaped on the real networks): a Centro Emergencia Mujer (MIMP)
#: in every province capital and two more in the department capital; specialised trafficking
#: prosecutors (FISTRAP), police trafficking units and shelters (CAR) in a few cities.
_SERVICE_TOWNS = {
    "fiscalia_trata": ("080101", "160101"),
    "policia": ("080101", "080901", "160101", "160201", "160301"),
    "albergue": ("080101", "160101"),
}
_SERVICE_NAMES = {"cem": "CEM", "fiscalia_trata": "Fiscalía especializada en trata",
                  "policia": "Policía (unidad contra la trata)", "albergue": "Albergue (CAR)"}


def _simulate_services(world: _World) -> gpd.GeoDataFrame:
    d = world.districts
    xy = _centroids(d)
    codes = d[C.UBIGEO].astype(str).to_numpy()
    names = d[C.DISTRITO].astype(str).to_numpy()
    rows = []
    capitals = sorted({c[:4] + "01" for c in codes} & set(codes))
    for code in capitals:
        rows.append(("cem", code))
    for dep in sorted({c[:2] for c in codes}):
        if f"{dep}0101" in codes:
            rows += [("cem", f"{dep}0101")] * 2
    for kind, towns in _SERVICE_TOWNS.items():
        rows += [(kind, t) for t in towns if t in codes]
    seen: dict[tuple[str, str], int] = {}
    out = []
    for kind, code in rows:
        i = int(np.flatnonzero(codes == code)[0])
        n = seen[(kind, code)] = seen.get((kind, code), 0) + 1
        label = f"{_SERVICE_NAMES[kind]} {names[i].title()}" + (f" {n}" if n > 1 else "")
        # a few hundred metres apart when a town has several (same kind or not)
        shift = 0.004 * (len(out) % 5)
        out.append({"nombre": label, "tipo": kind, "ubigeo": code,
                    "lon": xy[i, 0] + shift, "lat": xy[i, 1] - shift})
    frame = pd.DataFrame(out)
    return gpd.GeoDataFrame(frame.drop(columns=["lon", "lat"]),
                            geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs=4326)


def _write_services(folder: Path, services: gpd.GeoDataFrame, seed: int) -> None:
    gdf = services.copy()
    gdf["simulado"] = True
    with _pinned_gpkg_date():
        gdf.to_file(folder / "capas" / f"{SERVICES_LAYER}.gpkg", layer=SERVICES_LAYER,
                    driver="GPKG", metadata={
                        "simulado": "true",
                        "descripcion": "Servicios de atención a víctimas (SIMULADOS)",
                        "aviso": "DATOS SIMULADOS — NO SON REGISTROS REALES",
                        "generado_por": f"riskmap demo (semilla {seed})",
                    })


def _scenario_text(kind: Scenario, truth: _Truth) -> str:
    """LEEME.md's section on the scenario (nothing for the calibrated, static world)."""
    if kind.name == "estatico":
        return ""
    lines = ["", f"## Escenario: {kind.name} (JUICIO, issue 11)", ""]
    if kind.drift_districts:
        moved = truth.table[truth.table["deriva"] == 1]
        names = ", ".join(f"{r.distrito} ({r.ubigeo})" for r in moved.itertuples())
        lines.append(
            f"Desde {kind.drift_year} se abre un frente (como las dragas del Nanay después de "
            f"2020) en los {kind.drift_districts} distritos más lejanos de cada departamento "
            f"que tenían un riesgo bajo la mediana: su logit verdadero sube {kind.drift_logit:g} "
            + ("y la capa de dragas lo ve: "
               f"{FRONTIER_DREDGES} dragas nuevas en cada uno, con `anio` = {kind.drift_year} "
               f"(las demás fechadas entre {OLD_DREDGE_YEARS[0]} y {OLD_DREDGE_YEARS[1]}, antes "
               "de las inspecciones; `year_column = \"anio\"` en settings.toml)"
               if kind.visible else "y las capas no lo ven")
            + f". Distritos: {names}. `verdad.csv` da el riesgo de hoy "
            "(`riesgo_verdadero`), el de antes (`riesgo_anterior`) y el año (`anio_deriva`); "
            "las inspecciones de cada año siguen el riesgo de ese año.")
    if kind.complaint_share is not None:
        lines.append(
            f"El {kind.complaint_share:.0%} de las inspecciones nace de denuncias, y las "
            f"denuncias siguen al riesgo con potencia {kind.complaint_power:g}.")
    if kind.volume_factor != 1.0:
        lines.append(f"Volumen de inspecciones: {kind.volume_factor:g} veces el calibrado.")
    return "\n".join(lines) + "\n"


def demo_outdated(folder: str | Path) -> bool:
    """Whether a demo folder was written by an older ``make_demo`` (or is incomplete)."""
    stamp = Path(folder) / VERSION_FILE
    try:
        return int(stamp.read_text(encoding="utf-8").strip()) != DEMO_VERSION
    except (OSError, ValueError):
        return True


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    df.to_csv(path, index=False, lineterminator="\n", float_format="%.6g", encoding="utf-8")
    path.chmod(0o600)  # inspection records, even simulated ones, are kept owner-only


def _publish(tmp: Path, out: Path) -> None:
    """Move the finished files into ``out``; drop artefacts derived from an older world."""
    out.mkdir(parents=True, exist_ok=True)
    changed = any(not (out / name).is_file() or (out / name).read_bytes() != (
        tmp / name).read_bytes() for name in ("verdad.csv", "inspecciones.csv", "settings.toml"))
    for src in sorted(tmp.rglob("*")):
        if src.is_file():
            dest = out / src.relative_to(tmp)
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dest)
    if changed:
        for name in _DERIVED:
            (out / name).unlink(missing_ok=True)


def _toml_str(value: str) -> str:
    """Quote a TOML basic string (JSON escapes are valid TOML).

    >>> print(_toml_str("Intendencia Cusco"))
    "Intendencia Cusco"
    """
    import json

    return json.dumps(value, ensure_ascii=False)


def _settings_text(base: Path, out: Path, region: tuple[str, ...], cal: Mapping[str, Any],
                   seed: int, *, real: Sequence[Mapping[str, Any]] = (),
                   simulated: Sequence[str] = (), dated: tuple[str, ...] = ()) -> str:
    """Write the demo's settings.toml: its real layers (``real``), simulated ones, model, plan."""
    import tomli_w

    base_ref = _relative(base, out)
    prior = cal["prior_experto"]
    if real:
        header = [
            "# Mundo de demostración escrito por `riskmap demo --seed " + str(seed) + "`.",
            "# Las capas sectoriales son REALES (fuentes públicas descargadas por 'riskmap data",
            "# fetch', ver LEEME.md); las inspecciones, el riesgo verdadero y los servicios son",
            "# SIMULADOS — NO SON REGISTROS REALES. Las claves se documentan en",
            "# config/settings.toml del repositorio.",
        ]
    else:
        header = [
            "# DATOS SIMULADOS — NO SON REGISTROS REALES.",
            f"# Configuración del mundo simulado escrita por `riskmap demo --seed {seed} "
            "--capas simuladas`.",
            "# Cada capa y cada inspección de esta carpeta es simulada (ver LEEME.md). Las claves",
            "# se documentan en config/settings.toml del repositorio.",
        ]
    lines = [
        *header,
        "",
        "config_version = 1",
        "",
        "[data]",
        f"base = {_toml_str(base_ref)}  # peru_base.gpkg (riskmap data fetch), relativo a esta "
        "carpeta",
        'workdir = "."                   # distritos.gpkg y riesgo.gpkg se escriben aquí',
        f"region = [{', '.join(_toml_str(r) for r in region)}]",
        'inspections = "inspecciones.csv"  # inspecciones SIMULADAS 2016-2025',
        'truth = "verdad.csv"              # riesgo verdadero simulado, para evaluar modelos',
        "simulated = true                  # los registros son simulados",
        "",
        "[auth]",
        '# Sin inicio de sesión: solo se permite porque los datos son simulados. Con registros',
        '# reales use mode = "local" (cuentas con `riskmap users add`) u "oidc".',
        'mode = "none"',
        'demo_role = "planificador"  # qué ve el visitante de la demostración',
        "",
    ]
    if real:
        lines += ["# Capas REALES, tal como las leen config/recetas/"
                  + " y ".join(REAL_RECIPES) + " (rutas relativas a esta carpeta).", ""]
        lines += [tomli_w.dumps({"layers": [{k: v for k, v in e.items() if not k.startswith("_")}
                                            for e in real]}).rstrip("\n"), ""]
    for spec in DEMO_LAYERS:
        if spec.name not in simulated:
            continue
        lines += [
            "[[layers]]",
            f"name = {_toml_str(spec.name)}",
            f"sector = {_toml_str(spec.sector)}",
            f"path = {_toml_str(f'capas/{spec.name}.gpkg')}",
            f"layer = {_toml_str(spec.name)}",
            f"measure = {_toml_str(spec.measure)}",
        ]
        if spec.name in dated:
            lines.append('year_column = "anio"  # el año de cada elemento: la capa de cada año')
        if spec.per:
            lines.append(f"per = {_toml_str(spec.per)}")
        lines += [f"description = {_toml_str(spec.description)}", "simulated = true", ""]
    lines += [
        "[[layers]]  # servicios de atención a víctimas: no es una variable del modelo",
        f"name = {_toml_str(SERVICES_LAYER)}",
        'kind = "servicios"',
        f"path = {_toml_str(f'capas/{SERVICES_LAYER}.gpkg')}",
        f"layer = {_toml_str(SERVICES_LAYER)}",
        'column = "tipo"  # cem, fiscalia_trata, policia, albergue',
        'description = "Servicios de atención a víctimas (SIMULADOS: CEM en cada capital de '
        'provincia, fiscalías de trata, policía y albergues en algunas ciudades)"',
        "simulated = true",
        "",
    ]
    features = ", ".join(_toml_str(f) for f in BASE_FEATURES)
    names = [e["name"] for e in real] + [n for n in simulated] + list(BASE_FEATURES)
    prior_items = ", ".join(f"{k} = {float(prior[k])!r}" for k in names if k in prior)
    lines += ["[model]", f"features = [{features}]"]
    if real:
        lines += [
            "# Hectáreas: pocas muy grandes decidirían la estandarización; el modelo las lee",
            "# como log(1 + ha). Un distrito sin dato público deja fuera ese término (falta_*).",
            f"log_features = [{', '.join(_toml_str(e['name']) for e in real)}]",
        ]
    lines += [
        "# Prior experto (juicio tipo MIRTI, hecho con las capas oficiales: sobrepondera la",
        "# minería formal cartografiada, la agricultura y la pobreza; no ve dragas ni lejanía).",
        "# NO son los coeficientes ocultos del mundo simulado; ver LEEME.md y",
        "# config/calibration.toml.",
        f"prior = {{ {prior_items} }}",
        "prior_strength = 10.0  # precisión MÁXIMA del prior (sd 0.3); la eligen los datos",
        "min_inspections = 3",
        "n_bootstrap = 200",
        "seed = 0",
        "",
        "[planning]",
        "exploration_share = 0.15",
        "max_trip_days = 14  # los viajes por río de Loreto duran hasta dos semanas",
        "days_per_inspection = 2",
        "seed = 0",
        "",
    ]
    for office in cal["oficinas"]:
        if office["department"] not in region:
            continue
        lines += [
            "[[planning.offices]]",
            f"name = {_toml_str(office['name'])}",
            f"lat = {float(office['lat'])!r}",
            f"lon = {float(office['lon'])!r}",
            f"capacity_days = {float(office['capacity_days'])!r}",
            f"department = {_toml_str(office['department'])}",
            "",
        ]
    for flight in cal.get("vuelos", []):
        if flight.get("department") and flight["department"] not in region:
            continue
        lines += [
            "[[planning.flights]]",
            f"from = {_toml_str(flight['from'])}",
            f"to = {_toml_str(flight['to'])}",
            f"days = {float(flight['days'])!r}",
            f"per_week = {float(flight['per_week'])!r}",
            f"cost = {float(flight['cost'])!r}",
            "",
        ]
    return "\n".join(lines)


def _fmt(x: float, digits: int = 2) -> str:
    return f"{x:,.{digits}f}"


def _readme_text(seed: int, region: tuple[str, ...], cal: Mapping[str, Any], world: _World,
                 feats: pd.DataFrame, truth: _Truth, records: pd.DataFrame,
                 layers: Mapping[str, gpd.GeoDataFrame], public: _Public | None = None) -> str:
    conf = cal["inspecciones"]
    t = truth.table
    rate = records[C.HALLAZGO].mean() if len(records) else float("nan")
    top = t.sort_values(C.RIESGO_VERDADERO, ascending=False).head(10)
    per_dep = records.groupby(records[C.UBIGEO].str[:2]).size()
    coef_rows = "\n".join(
        f"| `{f}` | {truth.coefs[f]:+.2f} | "
        + (f"{float(cal['prior_experto'][f]):+.2f}" if f in cal["prior_experto"]
           and (public is None or f not in HIDDEN or f in layers) else "(no la ve)")
        + " |" for f in truth.coefs)
    top_rows = "\n".join(
        f"| {r.ubigeo} | {r.distrito} | {r.provincia} | {r.riesgo_verdadero:.3f} |"
        for r in top.itertuples())
    origin_rows = "\n".join(
        f"| {o} | {conf['origen'][o]:.0%} | {(records[C.ORIGEN] == o).sum():,} | "
        f"{records.loc[records[C.ORIGEN] == o, C.HALLAZGO].mean():.1%} |" for o in C.ORIGENES)
    deps = ", ".join({"08": "Cusco (08)", "16": "Loreto (16)"}[r] for r in region)
    files_row = ("| `capas/*.gpkg` | capas simuladas (`simulado = True` en cada elemento y en los "
                 "metadatos) y los servicios simulados |" if public is None else
                 "| `capas/servicios.gpkg` | servicios de atención a víctimas SIMULADOS"
                 + (" y la capa simulada de dragas con fecha |" if layers else " |"))
    title = ("# DATOS SIMULADOS — NO SON REGISTROS REALES" if public is None else
             "# Mundo de demostración: capas REALES, inspecciones SIMULADAS — LOS REGISTROS "
             "NO SON REALES")
    return f"""{title}

{_intro_text(seed, deps, len(world), public is not None)}
*English: SIMULATED DATA — NOT REAL RECORDS. A synthetic world on the real district
boundaries, calibrated with published figures, for demonstrating and evaluating riskmap.*

## Archivos

| archivo | contenido |
|---|---|
{files_row}
| `inspecciones.csv` | {len(records):,} inspecciones simuladas 2016-2025 (formato de inspecciones) |
| `verdad.csv` | el riesgo verdadero por distrito (`riesgo_verdadero`) y sus componentes |
| `settings.toml` | la configuración que usa el tablero por defecto (`simulated = true`) |

{_layers_section(world, layers, public)}
## 2. Riesgo verdadero (`verdad.csv`)

{_truth_formula(truth, cal, len(world), public)}
Coeficientes ocultos y, al lado, el prior experto que se escribe en `settings.toml` (un
juicio tipo MIRTI, distinto a propósito de la verdad):

| variable | coeficiente oculto | prior experto |
|---|---|---|
{coef_rows}

**Por qué ese prior experto (JUICIO).** Es el índice que armaría un analista de la
inspección a la manera del MIRTI (el modelo de riesgo de trabajo infantil del MTPE con la OIT):
con las capas y estadísticas que el Estado ya tiene (concesiones mineras de INGEMMET, REINFO,
concesiones forestales de SERFOR, áreas agropecuarias, coca de DEVIDA, pobreza del INEI) y con
la lógica del trabajo infantil (trabajo familiar agrícola en hogares pobres y rurales). Por eso
se equivoca de maneras documentadas y realistas: **sobrepondera** lo formal y cartografiado
(concesiones mineras y forestales), la agricultura y la pobreza; **no da peso a las dragas**
(el oro de draga de Loreto "no aparece como uso minero del suelo" y no está en ninguna capa
oficial) **ni a la lejanía** (el MIRTI usa variables censales y la oficina planifica desde su
sede); acierta en el signo de la minería informal, los campamentos de tala y la coca, los
sectores que la propia SUNAFIL nombra. Los pesos se decidieron a partir de esos hechos, no
probando semillas. El modelo decide con los datos cuánto apoyarse en él (`prior_strength` es
solo el máximo).

`verdad.csv` trae por distrito `logit_verdadero`, `intercepto`, `efecto_aleatorio`,
`contrib_<variable>` (= coef · z), `valor_<variable>` (la medida), `hotspot` (1 si la
calibración lo nombra) y `perfil`. Mediana del riesgo verdadero:
{np.median(truth.p):.3f}; máximo {truth.p.max():.3f}.

Los 10 distritos de mayor riesgo verdadero:

| ubigeo | distrito | provincia | riesgo verdadero |
|---|---|---|---|
{top_rows}

## 3. Inspecciones (`inspecciones.csv`)

**Volumen (JUICIO).** Las cifras publicadas sugieren 0-10 inspecciones especializadas de
trabajo forzoso por departamento y año (117 en todo el país en 2022-2023, sobre todo fuera de
Cusco y Loreto): con una tasa de hallazgo de 5-15 %, cerca de un hallazgo por departamento y
año, nada de qué aprender ni con qué validar. La demo simula en cambio las inspecciones
laborales que **verifican indicadores de trabajo forzoso** dentro de operativos más amplios
(minería, tala, agricultura, trabajo doméstico, construcción): en promedio
{conf['por_departamento_anio'][0]:.0f} por departamento en {conf['anios'][0]}, creciendo hasta
{conf['por_departamento_anio'][1]:.0f} en {conf['anios'][1]} (número de cada año ~ Poisson).
Resultado: {len(records):,} registros ({', '.join(f'{k}: {v:,}' for k, v in per_dep.items())}).

Por qué ese volumen: (1) la escala es plausible: SUNAFIL tenía ~700 inspectores en 2019 (~28
por departamento en promedio) y registró 574 acciones de orientación sobre trabajo forzoso que
llegaron a 19,839 trabajadores desde enero de 2022; Loreto y Cusco están entre las regiones con
más denuncias de trata (2.º y 4.º en 2007-2014), así que son prioritarias; unas pocas
verificaciones por inspector y año en los sectores de riesgo bastan. (2) La demo existe para
ejercitar y **validar el método**, y un mundo en el que ni el riesgo verdadero se distingue de
una referencia no valida nada: con la mitad de este volumen (~12 hallazgos por año de prueba) ni
el riesgo verdadero superaba a "tasa pasada" con un margen respaldado en 2 de 6 semillas; con
este (~24 por año) sí, frente a todas las referencias (ver `benchmarks/model.md` del
repositorio).

**Con registros reales.** Si una intendencia solo registra sus inspecciones especializadas de
trabajo forzoso, el backtest sobre sus datos tendrá la potencia de unos pocos hallazgos por año:
la ficha del modelo lo advierte ("Potencia limitada") y un margen no respaldado allí no prueba
ni que el modelo sea mejor ni que no lo sea. La demo muestra que el método funciona cuando hay
potencia; no hace más informativos los datos reales.

**Selección (sesgo realista).** Cada inspección tiene un origen:

| origen | proporción esperada | registros | tasa de hallazgo |
|---|---|---|---|
{origin_rows}

- *planificada*: distrito elegido con peso `poblacion^{conf['exponente_poblacion']} ·
  exp(-lejania_km / {conf['escala_lejania_km']:.0f})`: las intendencias de Cusco y de Iquitos
  inspeccionan sobre todo cerca de su sede;
- *denuncia*: peso `poblacion^{conf['exponente_poblacion']} · riesgo_verdadero ·
  exp(-lejania_km / {conf['escala_lejania_denuncia_km']:.0f})`: las denuncias llegan de donde
  hay explotación, pero más fácilmente desde cerca;
- *aleatoria*: uniforme entre los distritos del departamento.

Por eso los distritos lejanos (Alto Nanay, Camanti, el Putumayo) tienen pocas inspecciones
aunque su riesgo sea alto: el número de inspecciones **no** mide el riesgo.

**Resultado.** `hallazgo_tf ~ Bernoulli(riesgo_verdadero)` sin importar el origen. Tasa de
hallazgo observada: {rate:.1%} (rango plausible {conf['tasa_hallazgo_rango'][0]:.0%}-
{conf['tasa_hallazgo_rango'][1]:.0%}). Sector: según las capas del distrito y su densidad (en
las ciudades, trabajo doméstico, construcción y otros; los hallazgos se inclinan a minería, tala
y coca). Con hallazgo: 1-4 indicadores OIT (`OIT01`-`OIT11`, ver
`config/calibration.toml`) y `victimas` ~ Binomial(trabajadores, Beta(2,3)), al menos 1.
Fecha uniforme en el año; `lat`/`lon` un punto al azar dentro del distrito.

**Víctimas y rutas (versión 2 del mundo; sorteos de una secuencia aparte, así que capas,
riesgo y hallazgos de cada semilla no cambian).** En cada inspección con víctimas:
`victimas_mujeres` ~ Binomial(victimas, p) y `victimas_menores` ~ Binomial(victimas, q), con p y
q por sector (JUICIO: el Ministerio Público cuenta 80 % mujeres y 50 % menores entre todas las
víctimas de trata 2009-2017, sobre todo de explotación sexual; en minería y tala hay más hombres,
en el trabajo doméstico casi solo mujeres y niñas). `ubigeo_origen` (distrito de captación) se
anota en el 85 % de esos registros: 35 % el mismo distrito; si no, un distrito del mismo
departamento con peso pobreza² × √población × exp(−km/250); en Loreto, para minería y tala,
los distritos de Datem del Marañón pesan 8 veces más (origen de los trabajadores indígenas
rescatados en Iquitos rumbo a los campamentos del Tigre, enero de 2026); en Cusco el 15 % viene
de Puno o Apurímac. En Loreto casi todas las víctimas son de Loreto, como dice el Ministerio
Público. El origen no eleva el riesgo de inspeccionar allí.

**Registros imperfectos.** Un 4 % de los hallazgos se anota sin indicadores y un 1 % de las
inspecciones sin hallazgo anota uno (condiciones abusivas u horas extra): son las
contradicciones con la regla de la OIT que el tablero señala como advertencias.

**Servicios (`capas/servicios.gpkg`, SIMULADOS).** Un Centro Emergencia Mujer en cada capital
de provincia y dos más en la capital del departamento; fiscalía especializada en trata, policía
contra la trata y albergue en Cusco e Iquitos, policía también en Santa Ana (Quillabamba),
Yurimaguas y Nauta. Puntos en el interior de cada distrito, no en la dirección real.

## Reproducibilidad

La misma semilla produce archivos idénticos byte a byte (`riskmap demo --seed {seed}`); otra
semilla, otro mundo.
"""


def _intro_text(seed: int, deps: str, n: int, real: bool) -> str:
    """LEEME.md's opening paragraph: what is real and what is simulated."""
    if not real:
        return (
            f"Este mundo fue generado por `riskmap demo --seed {seed} --capas simuladas` sobre "
            "los límites distritales reales\n(INEI, división actual) de "
            f"{deps}: {n} distritos. **Ninguna concesión, campamento,\ndraga, inspección ni "
            "hallazgo de esta carpeta es real.** Sirve para probar el tablero y medir\nsi un "
            "modelo recupera un riesgo conocido. Los números que lo calibran son cifras "
            "publicadas\n(DEVIDA, GeoBosques, MapBiomas, REINFO, prensa) guardadas con su "
            "fuente en\n`config/calibration.toml` del repositorio; donde la simulación usa su "
            "propio juicio, ese\narchivo lo marca como JUICIO.\n")
    return (
        f"Este mundo fue generado por `riskmap demo --seed {seed}` sobre los límites "
        f"distritales reales\n(INEI, división actual) de {deps}: {n} distritos.\n\n"
        "**Lo real.** Las capas sectoriales son datos públicos tal como se descargan (sección "
        "1): la pérdida de\nbosque de GeoBosques (MINAM) y las áreas de minería, agropecuaria "
        "y de coca del panel amazónico\n(MapBiomas Perú y DEVIDA vía Quispe et al. 2022), más "
        "la pobreza y la población del INEI y la\nlejanía calculada. Donde una fuente no "
        "cubre un distrito, el distrito queda **sin dato**, no en 0.\n\n"
        "**Lo simulado (NO SON REGISTROS REALES).** Las inspecciones y sus hallazgos, el "
        "riesgo verdadero\ndetrás de ellos y los servicios de atención a víctimas: los "
        "registros de inspección son\nconfidenciales y no hay una fuente pública de ellos. El "
        "riesgo verdadero se construye sobre las\ncapas reales (sección 2), así que el modelo "
        "se sigue juzgando contra una verdad conocida.\nLos números que calibran la "
        "simulación son cifras publicadas guardadas con su fuente en\n"
        "`config/calibration.toml`; donde la simulación usa su propio juicio, ese archivo lo "
        "marca\ncomo JUICIO.\n")


def _layers_section(world: _World, layers: Mapping[str, gpd.GeoDataFrame],
                    public: _Public | None) -> str:
    """LEEME.md's section 1: the sector layers, real or simulated."""
    if public is None:
        rows = "\n".join(
            f"| `{s.name}` | {s.sector} | {s.measure}{' por ' + s.per if s.per else ''} | "
            f"{len(layers[s.name]):,} | {s.description} |" for s in DEMO_LAYERS)
        return f"""## 1. Capas sectoriales (SIMULADAS)

| capa | sector | medida | elementos | descripción |
|---|---|---|---|---|
{rows}

- **Concesiones mineras**: rectángulos norte-sur de 100-1,000 ha (como las cuadrículas de
  INGEMMET), recortados al distrito, hasta cubrir una proporción por provincia o distrito
  (JUICIO: alta en Chumbivilcas y Espinar, Camanti, Marcapata, Ccarhuayo; casi nula en Loreto).
{_HIDDEN_TEXT}- **Concesiones forestales y campamentos de tala**: en proporción a la pérdida de
  bosque 2020-2024 de GeoBosques (un campamento por cada 150 ha perdidas atribuibles a la tala); la
  mitad de los campamentos dentro de las concesiones simuladas.
- **Agricultura**: bloques irregulares que suman el área agropecuaria de MapBiomas 2020 en los
  distritos amazónicos; en los andinos, una proporción Beta(media 12 %).
- **Coca**: zonas de 15-120 ha agrupadas, que suman las hectáreas DEVIDA 2020 de cada
  distrito, escaladas al total departamental de 2024 (Cusco 14,493 ha; Loreto 12,409 ha).

Todos los polígonos están recortados a su distrito y son válidos.

"""
    f = public.fuentes.set_index("capa")
    lines = []
    for name in public.values.columns:
        row = f.loc[name]
        have = public.values[name].notna().to_numpy()
        per_dep = ", ".join(
            f"{dep}: {int(have[world.dep == dep].sum())} de {int((world.dep == dep).sum())}"
            for dep in sorted(set(world.dep)))
        reason = str(row.get("motivo_cero", "") or "")
        lines.append(f"| `{name}` | {row.get('fuente', '')} | {row.get('anios', '')} | "
                     f"{row.get('unidad', '')} | {per_dep} | "
                     + (f"0 — {reason}" if reason else "**sin dato** (vacío)") + " |")
    rows = "\n".join(lines)
    dated = ""
    if layers:
        dated = ("\nEste escenario agrega una capa **simulada** con fecha, `dragas` "
                 "(`capas/dragas.gpkg`, ver el final).\n")
    return f"""## 1. Capas sectoriales (REALES)

| capa | fuente | años | unidad | distritos con dato | donde la fuente no dice nada |
|---|---|---|---|---|---|
{rows}

Las capas se leen de los archivos públicos tal como `riskmap data fetch` los descarga, con las
recetas `config/recetas/geobosques_distrital.toml` y `config/recetas/panel_amazonia.toml` del
repositorio (licencia y cita en la tabla `fuentes` de `distritos.gpkg` y en cada exportación).
Cada capa guarda además su estado año por año (`capas_por_anio`): cada inspección se lee con
las capas de su año. El repositorio que las publica no tiene licencia: riskmap las descarga en
la máquina de quien lo usa y nunca las redistribuye.
{dated}
## 1b. Lo que ninguna capa pública muestra (SIMULADO, oculto)

El riesgo verdadero incluye dos componentes simulados que el modelo no ve (ninguna capa pública
de aquí los registra; solo los registros de inspección los delatan):

{_HIDDEN_TEXT}
Y donde una fuente no cubre un distrito, la verdad usa un valor **oculto** (columna
`oculto_<capa>` = 1 en `verdad.csv`; JUICIO, `config/calibration.toml`): sin coca en los Andes
(las zonas de coca de DEVIDA en Cusco, La Convención, Lares y Kosñipata, están en el panel);
minería según las concesiones de cada provincia (las grandes minas de Espinar y Chumbivilcas);
el área agropecuaria, un valor que el panel da en un distrito de la misma región natural. El
modelo no lo ve: deja ese término fuera y aprende de los registros qué dice no tener dato.

"""


#: The informal-mining fronts and dredges, as LEEME.md describes them.
_HIDDEN_TEXT = """\
- **Minería informal**: puntos agrupados en quebradas, con el número esperado por distrito de
  la calibración (Camanti, Marcapata, Chumbivilcas, Ccarhuayo, Kosñipata…; ~la mitad de los
  697 REINFO vigentes de Cusco).
- **Dragas**: puntos a lo largo de un cauce aproximado (una línea sinuosa simulada que cruza el
  distrito, no el trazo real del río) en Alto Nanay, San Juan Bautista (Nanay), Napo, Torres
  Causana, Mazán, Indiana, Las Amazonas, Tigre, Trompeteros, Urarinas y Putumayo: más de 45 en
  el Nanay, como el sobrevuelo de 2025.
"""


def _truth_formula(truth: _Truth, cal: Mapping[str, Any], n: int,
                   public: _Public | None) -> str:
    """LEEME.md's account of how the true risk is made."""
    conf = cal["inspecciones"]
    if public is None:
        moves = "Es constante en 2016-2025:"
        z = ("- `z_f`: cada variable tal como la mide la tabla distrital (`riskmap build`), "
             f"estandarizada\n  sobre los {n} distritos (media 0, desviación típica "
             "poblacional 1);")
    else:
        moves = ("Se mueve con las capas: el riesgo de cada año usa las capas de ese año "
                 "(columnas\n`riesgo_<año>` de `verdad.csv`; `riesgo_verdadero` es el de hoy):")
        z = ("- `z_f`: cada capa real como `log(1 + ha)` (como la lee el modelo), las pobreza "
             "y lejanía\n  tal cual, y los frentes de minería informal y las dragas "
             f"(ocultos), estandarizados sobre los {n}\n  distritos con su valor de hoy "
             f"(media 0, desviación típica 1) y limitados a ±{Z_CAP:g};")
    return f"""`riesgo_verdadero` es la probabilidad de que una inspección en el distrito encuentre
indicadores de trabajo forzoso. {moves}

    logit(p) = intercepto + Σ coef_f · z_f + u

{z}
- `u ~ Normal(0, {cal['verdad']['sd_efecto_aleatorio']})`: efecto propio del distrito que
  ninguna variable explica;
- `intercepto = {truth.intercept:.4f}`, resuelto para que la tasa de hallazgo esperada sobre
  las inspecciones simuladas sea {conf['tasa_hallazgo_objetivo']:.0%}.
"""
