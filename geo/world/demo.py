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

This module holds the recipe, :func:`make_demo`; each step lives in a module of
:mod:`geo.world` with one job: :mod:`.districts` (the ground and the calibration),
:mod:`.features` (the layers and the model's features), :mod:`.sector_layers` (simulated
layers), :mod:`.public_layers` (the real ones), :mod:`.truth`, :mod:`.scenarios`,
:mod:`.inspections` (with their victims), :mod:`.services`, and the files: :mod:`.folder`,
:mod:`.settings_file` and :mod:`.readme` (whose texts are templates in ``templates/``).
"""


from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np

from geo import columns as C
from geo import paths
from geo.errors import ConfigError
from geo.messages import t
from geo.world.districts import (
    CALIBRATION_FILE,
    _check_names,
    _check_region,
    _read_districts,
    _read_neighbour_origins,
    _World,
    load_calibration,
)
from geo.world.features import (
    DEMO_LAYERS,
    FEATURES,
    HIDDEN,
    LAYER_KINDS,
    REAL_FEATURES,
    SIMULATED_FEATURES,
    Z_CAP,
    DemoLayer,
)
from geo.world.folder import (
    DEMO_VERSION,
    VERSION_FILE,
    _publish,
    _write_csv,
    _write_layers,
    _write_services,
    demo_outdated,
)
from geo.world.inspections import (
    INSPECTION_COLUMNS,
    _recording_slips,
    _simulate_inspections,
    _simulate_victims,
)
from geo.world.public_layers import (
    _measure_real,
    _real_intensity,
    _real_layer_entries,
    _truth_features,
)
from geo.world.readme import _readme_text, _scenario_text
from geo.world.scenarios import (
    FRONTIER_DREDGES,
    OLD_DREDGE_YEARS,
    SCENARIOS,
    Scenario,
    _apply_scenario,
    _drift,
    _visible_frontier,
)
from geo.world.sector_layers import (
    _dredges,
    _informal_mining,
    _measure,
    _simulate_layers,
    _simulated_intensity,
)
from geo.world.services import _simulate_services
from geo.world.settings_file import _settings_text
from geo.world.truth import _simulate_truth

__all__ = [
    "CALIBRATION_FILE",
    "DEMO_LAYERS",
    "DEMO_VERSION",
    "FEATURES",
    "FRONTIER_DREDGES",
    "HIDDEN",
    "INSPECTION_COLUMNS",
    "LAYER_KINDS",
    "OLD_DREDGE_YEARS",
    "REAL_FEATURES",
    "SCENARIOS",
    "SIMULATED_FEATURES",
    "VERSION_FILE",
    "DemoLayer",
    "Scenario",
    "demo_outdated",
    "load_calibration",
    "make_demo",
]


#: The key of the random stream of what version 2 added (victims, slips, the frontier's
#: dredges): kept, so those draws do not change with the version.
_LATER_STREAM = 2


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
        raise ConfigError("mundo.escenario_desconocido_use", scenario=scenario,
                          scenarios=', '.join(SCENARIOS))
    if layers not in LAYER_KINDS:
        raise ConfigError("mundo.capas_desconocidas_use_reales", layers=layers)
    kind = SCENARIOS[scenario]
    real = layers == "reales"
    sources = Path(sources).resolve() if sources else base.parent / paths.sources_dir().name
    cal = _apply_scenario(load_calibration(calibration), kind)
    say(t("mundo.leyendo_distritos"))
    districts = _read_districts(base, region)
    _check_names(cal, districts)
    rng = np.random.default_rng(seed)
    world = _World(districts)

    if real:
        say(t("mundo.leyendo_capas_publicas_reales"))
        entries = _real_layer_entries(sources, out)
        public = _measure_real(world, entries, sources)
        say(t("mundo.simulando_ninguna_capa_publica"))
        sim_layers = {"mineria_informal": _informal_mining(world, cal, rng),
                      "dragas": _dredges(world, cal, rng)}
        features, hidden, states = _truth_features(world, public, sim_layers, cal, rng)
        intensity = _real_intensity(world, features)
        names: tuple[str, ...] = FEATURES + HIDDEN
        written: dict[str, gpd.GeoDataFrame] = {}
    else:
        entries = ()
        say(t("mundo.simulando_capas_sectoriales"))
        sim_layers = _simulate_layers(world, cal, rng)
        features = _measure(world, sim_layers)
        hidden, states, names = None, None, SIMULATED_FEATURES
        intensity = _simulated_intensity(world, features)
        written = dict(sim_layers)
    say(t("mundo.simulando_riesgo_verdadero_inspecciones"))
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

    say(t("mundo.escribiendo", out=out))
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
