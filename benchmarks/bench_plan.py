"""Benchmark: the monthly inspection plan for all of Cusco and Loreto (169 districts).

Run: ``.venv/bin/python -m benchmarks.bench_plan`` (or through ``python -m benchmarks``).
Scores are synthetic (a skewed Beta(1, 8) risk, a third of districts with thin evidence) on
the real 169 district boundaries of ``../shared/data`` (or ``$RISKMAP_SHARED_DATA``); the
offices and defaults are those of ``config/settings.toml`` (Cusco city and Iquitos, 15 %
exploration, 10-day trips, 2 days per inspection). For each budget (inspector-days per
office) it prints the best of three wall times of :func:`models.planning.plan.plan_inspections`
(travel estimate, exploration draw, candidate trips, MILP, naive plan, tables), the number
of candidate trips, the proven optimality gap, and the plan's expected findings against the
naive plan's.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import geopandas as gpd
import numpy as np

from geo import columns as C
from geo.config import load_settings

REPO = Path(__file__).resolve().parent.parent
BUDGETS = (10, 20, 40, 80, 150)
REPEAT = 3


def synthetic_scores() -> gpd.GeoDataFrame:
    """The real 169 Cusco and Loreto districts with a made-up, skewed risk."""
    shared = Path(os.environ.get("RISKMAP_SHARED_DATA") or REPO.parent / "shared" / "data")
    gdf = gpd.read_file(shared / "boundaries" / "cusco_loreto_distritos_mapsperu_full.geojson")
    gdf = gdf.rename(columns={"UBIGEO": C.UBIGEO, "DISTRITO": C.DISTRITO,
                              "REGION_NATURAL": C.REGION_NATURAL})
    rng = np.random.default_rng(1)
    gdf[C.RIESGO] = rng.beta(1.0, 8.0, len(gdf))
    gdf[C.RIESGO_P05] = gdf[C.RIESGO] * 0.5
    gdf[C.RIESGO_P95] = np.minimum(1.0, gdf[C.RIESGO] * 1.8)
    gdf[C.EVIDENCIA] = np.where(rng.random(len(gdf)) < 0.3, C.EVIDENCIA_INSUFICIENTE,
                                "suficiente")
    return gdf


def main() -> dict:
    from models.planning import plan as P
    from models.planning import trips as TR  # _candidates is looked up there

    spec = load_settings(REPO / "config" / "settings.toml", check_files=False).planning
    scores = synthetic_scores()
    n_cands: list[int] = []
    original = TR._candidates

    def counting(*args):
        out = original(*args)
        n_cands.append(len(out))
        return out

    TR._candidates = counting
    results = []
    print(f"{len(scores)} distritos, {len(spec.offices)} oficinas, exploracion "
          f"{spec.exploration_share:.0%}, viaje max {spec.max_trip_days:g} d")
    print(f"{'dias/oficina':>12} {'seg (mejor de 3)':>17} {'candidatos':>10} {'brecha':>8} "
          f"{'plan':>7} {'simple':>7} {'ganancia':>9} {'viajes':>6}")
    try:
        for budget in BUDGETS:
            caps = {o.name: float(budget) for o in spec.offices}
            best = float("inf")
            for _ in range(REPEAT):
                n_cands.clear()
                t0 = time.perf_counter()
                plan = P.plan_inspections(scores, spec, capacities=caps)
                best = min(best, time.perf_counter() - t0)
            row = {
                "budget_days_per_office": budget, "seconds_best_of_3": round(best, 3),
                "candidate_trips": sum(n_cands), "proven_gap": plan.gap,
                "expected_findings": round(plan.expected_findings, 3),
                "naive_findings": round(plan.naive_findings, 3),
                "gain_pct": round(100 * plan.gain / plan.naive_findings, 1),
                "trips": len(plan.trips),
            }
            results.append(row)
            print(f"{budget:>12} {best:>17.2f} {row['candidate_trips']:>10} "
                  f"{plan.gap:>8.2%} {plan.expected_findings:>7.2f} {plan.naive_findings:>7.2f} "
                  f"{row['gain_pct']:>8.1f}% {len(plan.trips):>6}")
    finally:
        TR._candidates = original
    return {"cases": results}


if __name__ == "__main__":
    main()
