"""The real public layers of the default world, and the truth's features built on them.

The layers of :data:`geo.world.features.REAL_RECIPES` are measured exactly as ``riskmap
build`` will measure them (the same settings, the same code); where a source is silent the
truth uses a hidden value, and the informal-mining fronts and dredges no public layer shows
are added to it.
"""

from __future__ import annotations

import shutil
import tempfile
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import tomli_w

from geo import columns as C
from geo import paths
from geo.config import load_settings
from geo.errors import ConfigError
from geo.geography.build import HISTORY_TABLE, add_layers
from geo.world.districts import _World
from geo.world.features import BASE_FEATURES, HIDDEN, REAL_FEATURES, REAL_RECIPES
from geo.world.folder import _relative

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
            raise ConfigError("mundo.no_pudo_leer_receta", path=path, err=err) from err
        for layer in raw.get("layers", []):
            entry = dict(layer)
            name = str(entry["path"])
            file = sources / (name[len(_FUENTES):] if name.startswith(_FUENTES) else name)
            if not file.is_file():
                raise ConfigError("mundo.falta_mundo_demostracion_usa", file=file)
            entry["path"] = _relative(file, out)
            entry["_archivo"] = str(file)
            entries.append(entry)
    return entries


@dataclass
class _Public:
    """The real layers as ``riskmap build`` measures them, in world order."""

    values: pd.DataFrame  # index ubigeo, one column per layer, in its unit (NaN: no value)
    history: dict[str, pd.DataFrame]  # per dated layer: ubigeo x year (its state then)
    fuentes: pd.DataFrame  # the build's sources table (source, unit, years, no-value count)


def _measure_real(world: _World, entries: list[dict[str, Any]], sources: Path) -> _Public:
    """Measure the real layers exactly as ``riskmap build`` will (the same settings)."""
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
