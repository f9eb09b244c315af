"""Fit time of the model with issue 11's steps against the model without them, in one run.

"Without": the scorer counting every inspection as one row, no record discount, no alerts
(``selection_correction="none"``). "With": the defaults — the selection correction (the
weights refitted on the marginal likelihood with the district effects, ``"joint"``), the
half-life chosen from the records
(:func:`models.recency.recency_fit`) and the change alerts (:func:`models.recency.
drift_alerts`). Same synthetic worlds as ``bench_model`` (10 years), best of ``--repeat``.
Target (issue 11): within 2x for 169 and 1,891 districts.

Run: ``python -m benchmarks.bench_fit_time [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import time

from benchmarks import write_result

NAME = "bench_fit_time"


def fit_seconds(n_districts: int, per_year: float, full: bool, repeat: int) -> float:
    """Best wall time of one fit (with or without issue 11's steps)."""
    import pandas as pd

    from models.recency import drift_alerts, recency_fit
    from models.score import district_counts, training_rows
    from models.scorer import RiskScorer
    from models.synthetic import make_world

    world = make_world(n_districts=n_districts, n_years=10, seed=0,
                       inspections_per_year=per_year)
    X, keys = world.features, world.features.index
    records = world.records.assign(fecha=pd.to_datetime(world.records["fecha"]))
    prior = {"mineria": 0.5, "pobreza": 0.5, "lejania": 0.3}
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        Xr, y, w, g = training_rows(X, district_counts(records, keys))
        model = RiskScorer(prior=prior, selection_correction="joint" if full else "none")
        model.fit(Xr, y, sample_weight=w, groups=g)
        if full:
            drift_alerts(model, X, keys, records)
            recency_fit(model, X, keys, records, "auto")
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv: list[str] | None = None) -> dict:
    """Print and return the fit times and their ratio for 169 and 1,891 districts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    out = {}
    print("| districts | without (s) | with (s) | ratio |\n|---|---|---|---|")
    for n, per_year in ((169, 120.0), (1891, 1300.0)):
        without = fit_seconds(n, per_year, False, args.repeat)
        with_ = fit_seconds(n, per_year, True, args.repeat)
        out[n] = {"sin": without, "con": with_, "razon": with_ / without}
        print(f"| {n:,} | {without:.3f} | {with_:.3f} | {with_ / without:.2f} |")
    write_result(NAME, out)
    return out


if __name__ == "__main__":
    main()
