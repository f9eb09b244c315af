"""Benchmark: fit + uncertainty of the risk model (169 districts x 10 years; 1,891 districts).

Run: ``.venv/bin/python -m benchmarks.bench_model`` (or through ``python -m benchmarks``).
Synthetic features and records (models.evaluation.synthetic) sized like the demo world
(~60 inspections
a year per 169 districts) and like all of Peru (1,891 districts, the same inspections per
district). Prints one line per case; writes nothing.

``python -m benchmarks.bench_model --prior-cap VOLUME ERROR WORLDS`` instead runs the study that
chose the default cap of the empirical-Bayes prior strength (benchmarks/model.md, "Change 2"):
synthetic worlds plus two irrelevant features, an expert prior = true weights + Normal(0,
ERROR), temporal backtest for caps 1, 3, 10 and 100 (``8`` worlds take ~35 s).
"""

from __future__ import annotations

import sys
import time

import numpy as np

from models.evaluation.synthetic import make_world
from models.risk.score import district_counts, training_rows
from models.risk.scorer import RiskScorer, simulate_uncertainty

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


def prior_cap_study(volume: float, error: float, n_worlds: int,
                    caps=(1.0, 3.0, 10.0, 100.0)) -> None:
    """Print capture and coverage of the temporal backtest for each cap of the prior strength."""
    from models.evaluation.backtest import MODEL, backtest_folds, evaluate_folds, per_fold_metrics
    from models.evaluation.synthetic import TRUE_WEIGHTS

    res: dict[float, list] = {c: [] for c in caps}
    for w in range(n_worlds):
        world = make_world(seed=100 + w, inspections_per_year=volume)
        rng = np.random.default_rng(1000 + w)
        f = world.features.copy()
        n = len(f)
        f["ruido1"] = np.where(rng.random(n) < 0.25, rng.gamma(1.0, 1.0, n), 0.0)
        f["ruido2"] = rng.normal(0, 1, n)
        true = {**TRUE_WEIGHTS, "ruido1": 0.0, "ruido2": 0.0}
        prior = {k: v + rng.normal(0, error) for k, v in true.items()}
        table = f.assign(pobreza_monetaria=f["pobreza"])
        for c in caps:
            folds = backtest_folds(table, list(f.columns), world.records, prior,
                                   prior_strength=c, n_uncertainty=100, truth=world.truth)
            met = evaluate_folds(folds, truth=world.truth, n_bootstrap=10)["metricas"][MODEL]
            first = next(iter(per_fold_metrics(folds, truth=world.truth)[MODEL].values()))
            res[c].append((met["captura_top10"]["valor"], met["cobertura_90"]["valor"],
                           first["captura_top10"]))
    print(f"volume {volume} error {error} worlds {n_worlds}")
    print("cap | capture mean (min) | coverage mean (min) | capture 1st test year")
    for c in caps:
        a = np.array(res[c])
        print(f"{c:g} | {a[:, 0].mean():.3f} ({a[:, 0].min():.3f}) | "
              f"{a[:, 1].mean():.3f} ({a[:, 1].min():.3f}) | {a[:, 2].mean():.3f}")


def main() -> int:
    """Run every case and print the timings (or the prior-cap study, see the module doc)."""
    if len(sys.argv) == 5 and sys.argv[1] == "--prior-cap":
        prior_cap_study(float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]))
        return 0
    print("caso | inspecciones | ajuste (s) | ajuste + bootstrap 200 (s)")
    for name, n, per_year in CASES:
        records, fit, total = run_case(n, per_year)
        print(f"{name} | {records} | {fit:.3f} | {total:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
