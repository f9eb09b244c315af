"""The hidden true risk of each district, year by year.

``logit p = b0 + sum(coef * z(feature)) + u``, with ``u`` a normal district effect and ``b0``
solved so that the expected finding rate over the simulated inspections is the calibrated
target (:func:`_expected_rate`, with the inspections' allocation :func:`_allocation`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import expit

from geo import columns as C
from geo.world.districts import _World
from geo.world.features import SIMULATED_FEATURES


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
