"""The plan's tables: one row per visit and per trip (legs and costs included), and the summary.

Chosen trips (:class:`models.planning.trips.Trip`) become the ``visits``, ``trips`` and
``summary`` tables of a :class:`models.planning.plan.Plan`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import columns as C
from geo.formatting import format_quantity
from models.planning.columns import (
    COSTO,
    DIAS,
    DIAS_IDA,
    DIAS_INSPECCION,
    DIAS_VIAJE,
    DISTRITOS,
    FUENTE_VIAJE,
    HALLAZGOS,
    HALLAZGOS_DIA,
    HALLAZGOS_P05,
    HALLAZGOS_P95,
    MODOS,
    MOTIVO,
    N_DISTRITOS,
    OFICINA,
    ORDEN,
    TIPO,
    TIPO_EXPLORACION,
    TRAMOS,
    UBIGEOS,
    VIAJE,
)
from models.planning.network import MODE_WORDS
from models.planning.trips import Problem, Trip

__all__ = ["plan_tables", "summarise"]


def plan_tables(trips: Sequence[Trip], problem: Problem, scores: gpd.GeoDataFrame,
                p05: np.ndarray, p95: np.ndarray, source: np.ndarray, net=None
                ) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Return the ``visits`` (one row per district) and ``trips`` tables of ``trips``."""
    offices = problem.spec.offices
    names = (scores[C.DISTRITO].astype(str).to_numpy() if C.DISTRITO in scores
             else problem.ubigeo)
    counter: dict[int, int] = {}
    trip_rows, visit_rows = [], []
    for t in trips:
        counter[t.office] = counter.get(t.office, 0) + 1
        trip_id = f"{_initials(offices[t.office].name)}-{counter[t.office]:02d}"
        stops = list(t.stops)
        value = float(problem.risk[stops].sum())
        trip_rows.append({
            VIAJE: trip_id,
            OFICINA: offices[t.office].name,
            TIPO: t.kind,
            N_DISTRITOS: len(stops),
            DISTRITOS: " → ".join(names[stops]),
            UBIGEOS: " ".join(problem.ubigeo[stops]),
            DIAS_VIAJE: round(t.travel, 2),
            DIAS_INSPECCION: len(stops) * problem.spec.days_per_inspection,
            DIAS: t.days,
            HALLAZGOS: value,
            HALLAZGOS_P05: float(p05[stops].sum()),
            HALLAZGOS_P95: float(p95[stops].sum()),
            HALLAZGOS_DIA: value / t.days,
            MOTIVO: t.reason_es or "Optimizado: máximo de hallazgos esperados por los días",
            MOTIVO + "_en": t.reason_en or "Optimised: most expected findings for the days",
            **_legs_columns(net, offices[t.office].name, problem.ubigeo[stops],
                            bool(np.any(source[stops, t.office] == "tabla"))),
        })
        for k, d in enumerate(stops, start=1):
            visit_rows.append({VIAJE: trip_id, OFICINA: offices[t.office].name, TIPO: t.kind,
                               ORDEN: k, "_pos": d, DIAS_IDA: round(float(problem.out[d, t.office]),
                                                                    2),
                               FUENTE_VIAJE: source[d, t.office],
                               MOTIVO: trip_rows[-1][MOTIVO]})
    trip_cols = [VIAJE, OFICINA, TIPO, N_DISTRITOS, DISTRITOS, UBIGEOS, DIAS_VIAJE,
                 DIAS_INSPECCION, DIAS, HALLAZGOS, HALLAZGOS_P05, HALLAZGOS_P95, HALLAZGOS_DIA,
                 MOTIVO, MOTIVO + "_en", MODOS, TRAMOS, TRAMOS + "_en", COSTO]
    trips_df = pd.DataFrame(trip_rows, columns=trip_cols)
    keep = [c for c in (C.UBIGEO, C.DISTRITO, C.PROVINCIA, C.DEPARTAMENTO, C.RIESGO,
                        C.RIESGO_P05, C.RIESGO_P95, C.EVIDENCIA, C.N_INSPECCIONES) if c in scores]
    visits = pd.DataFrame(visit_rows, columns=[VIAJE, OFICINA, TIPO, ORDEN, "_pos", DIAS_IDA,
                                               FUENTE_VIAJE, MOTIVO])
    info = scores.iloc[visits["_pos"].to_numpy()].reset_index(drop=True)
    visits = pd.concat([visits.drop(columns="_pos"), pd.DataFrame(info[keep])], axis=1)
    visits = visits[[VIAJE, OFICINA, TIPO, ORDEN, *keep, DIAS_IDA, FUENTE_VIAJE, MOTIVO]]
    geometry = info.geometry.to_numpy() if isinstance(info, gpd.GeoDataFrame) else None
    crs = scores.crs if isinstance(scores, gpd.GeoDataFrame) else None
    return gpd.GeoDataFrame(visits, geometry=geometry, crs=crs), trips_df


def _legs_columns(net, office: str, stops: Sequence[str], from_table: bool = False
                  ) -> dict[str, Any]:
    """``modos``, ``tramos`` (es/en) and ``costo_soles`` of a round trip through ``stops``.

    Where the planners' travel table gives a stop's days, the trip's days are the table's:
    its legs are not drawn from the network (they would contradict them).
    """
    if from_table:
        return {MODOS: "tabla de viajes", TRAMOS: "según la tabla de viajes de la oficina",
                TRAMOS + "_en": "from the office's travel table", COSTO: float("nan")}
    if net is None:
        return {MODOS: "", TRAMOS: "", TRAMOS + "_en": "", COSTO: float("nan")}
    nodes = [("o", office), *(("d", str(u)) for u in stops), ("o", office)]
    legs = net.legs(nodes)

    def text(lang: int) -> str:
        # only the days take the language's decimal mark, never a place's name
        return "; ".join(f"{MODE_WORDS[leg.mode][lang]} {leg.origin} → {leg.destination} "
                         f"({format_quantity(leg.days, 'días', ('es', 'en')[lang], digits=1)})"
                         for leg in legs)

    return {MODOS: " + ".join(dict.fromkeys(MODE_WORDS[leg.mode][0] for leg in legs)),
            TRAMOS: text(0), TRAMOS + "_en": text(1),
            COSTO: round(float(sum(leg.cost for leg in legs)), 0)}


def _initials(name: str) -> str:
    words = [w for w in name.replace("(", " ").replace(")", " ").split() if w[:1].isupper()]
    return "".join(w[0] for w in words[-2:]) or name[:2].upper()


def summarise(problem: Problem, trips: pd.DataFrame, naive: pd.DataFrame) -> pd.DataFrame:
    """Return the summary per office and in total (last row ``Total``), plan against naive."""
    rows = []
    share = problem.spec.exploration_share
    for office in problem.spec.offices:
        rows.append(_summary_row(office.name, office.capacity_days, share,
                                 trips[trips[OFICINA] == office.name],
                                 naive[naive[OFICINA] == office.name]))
    rows.append(_summary_row("Total", float(problem.capacity.sum()), share, trips, naive))
    return pd.DataFrame(rows)


def _summary_row(name: str, capacity: float, share: float, trips: pd.DataFrame,
                 naive: pd.DataFrame) -> dict:
    explore = trips[TIPO] == TIPO_EXPLORACION
    days, ndays = float(trips[DIAS].sum()), float(naive[DIAS].sum())
    found, nfound = float(trips[HALLAZGOS].sum()), float(naive[HALLAZGOS].sum())
    return {
        OFICINA: name,
        "capacidad_dias": capacity,
        "dias_exploracion_reservados": share * capacity,
        "dias_exploracion": float(trips.loc[explore, DIAS].sum()),
        "dias_plan": days,
        "distritos_plan": int(trips[N_DISTRITOS].sum()),
        "viajes_plan": len(trips),
        HALLAZGOS: found,
        HALLAZGOS_P05: float(trips[HALLAZGOS_P05].sum()),
        HALLAZGOS_P95: float(trips[HALLAZGOS_P95].sum()),
        HALLAZGOS_DIA: found / days if days else 0.0,
        "dias_ingenuo": ndays,
        "distritos_ingenuo": int(naive[N_DISTRITOS].sum()),
        "hallazgos_ingenuo": nfound,
        "hallazgos_ingenuo_p05": float(naive[HALLAZGOS_P05].sum()),
        "hallazgos_ingenuo_p95": float(naive[HALLAZGOS_P95].sum()),
        "hallazgos_por_dia_ingenuo": nfound / ndays if ndays else 0.0,
        "ganancia": found - nfound,
        "ganancia_pct": 100.0 * (found - nfound) / nfound if nfound else 0.0,
    }

