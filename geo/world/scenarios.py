"""Kinds of world the model must stay honest in (issue 11): drift, complaints, low volume.

A :class:`Scenario` changes the calibration (:func:`_apply_scenario`), opens a frontier in the
truth (:func:`_drift`) and, when the frontier is visible, dates new dredges in the layer that
sees it (:func:`_visible_frontier`).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.special import expit

from geo import columns as C
from geo.world.districts import _World
from geo.world.sector_layers import _point_layer
from geo.world.truth import _Truth

__all__ = ["FRONTIER_DREDGES", "OLD_DREDGE_YEARS", "SCENARIOS", "Scenario"]


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
