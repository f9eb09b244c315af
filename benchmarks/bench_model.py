"""Benchmark: fit + uncertainty of the risk model (169 districts x 10 years; 1,891 districts).

Run: ``.venv/bin/python -m benchmarks.bench_model`` (or through ``python -m benchmarks``).
Synthetic features and records (models.synthetic) sized like the demo world (~60 inspections
a year per 169 districts) and like all of Peru (1,891 districts, the same inspections per
district). Prints one line per case; writes nothing.
"""

from __future__ import annotations

import time

from models.score import district_counts, training_rows
from models.scorer import RiskScorer, simulate_uncertainty
from models.synthetic import make_world

CASES = (
    ("169 distritos x 10 anios", 169, 120.0),
    ("1891 distritos x 10 anios", 1891, 120.0 * 1891 / 169),
)


def run_case(n_districts: int, per_year: float, n_bootstrap: int = 200, repeat: int = 3):
    """Return (records, best fit seconds, best fit+uncertainty seconds)."""
    world = make_world(n_districts=n_districts, n_years=10, seed=0,
                       inspections_per_year=per_year)
    X = world.features
    prior = {"mineria": 0.5, "pobreza": 0.5, "lejania": 0.3}
    best_fit = best_all = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        counts = district_counts(world.records, X.index)
        Xr, y, w, g = training_rows(X, counts)
        model = RiskScorer(prior=prior).fit(Xr, y, sample_weight=w, groups=g)
        t1 = time.perf_counter()
        simulate_uncertainty(model, X, X.index.to_numpy(), n_bootstrap=n_bootstrap)
        t2 = time.perf_counter()
        best_fit = min(best_fit, t1 - t0)
        best_all = min(best_all, t2 - t0)
    return len(world.records), best_fit, best_all


def main() -> int:
    """Run every case and print the timings."""
    print("caso | inspecciones | ajuste (s) | ajuste + bootstrap 200 (s)")
    for name, n, per_year in CASES:
        records, fit, total = run_case(n, per_year)
        print(f"{name} | {records} | {fit:.3f} | {total:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
