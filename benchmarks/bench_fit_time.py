"""Fit time of the model with issue 11's steps against the model without them, in one run.

"Without": the scorer counting every inspection as one row, no record discount, no alerts
(``selection_correction="none"``). "With": the defaults — the selection correction (the
weights refitted on the marginal likelihood with the district effects, ``"joint"``, with a
third of the visits answering complaints and their number as evidence), the
half-life chosen from the records
(:func:`models.risk.recency.recency_fit`) and the change alerts (:func:`models.risk.recency.
drift_alerts`). Same synthetic worlds as ``bench_model`` (10 years), best of ``--repeat``.
Target (issue 11): within 2x of *today's* for 169 and 1,891 districts. "Today's" is the
code as it stood when the issue was filed (commit :data:`REFERENCE`): it is checked out in a
temporary ``git worktree`` and timed in a child process in the same run, on the same worlds
(its RiskScorer knew no selection correction and no recency). The in-tree "without" column
shares this code's speed-ups, so its ratio says what the steps cost, not the change since.

Run: ``python -m benchmarks.bench_fit_time [--repeat 5] [--reference REV]``.
"""

from __future__ import annotations

import argparse
import time

from benchmarks import write_result

NAME = "bench_fit_time"
#: The last commit before issue 11's work: the model "today" when the issue was filed.
REFERENCE = "5f5f1bf"
_REFERENCE_SCRIPT = """
import json, sys, time
import pandas as pd
from models.risk.score import district_counts, training_rows
from models.risk.scorer import RiskScorer
from models.evaluation.synthetic import make_world
out = {}
for n, per_year in ((169, 120.0), (1891, 1300.0)):
    world = make_world(n_districts=n, n_years=10, seed=0, inspections_per_year=per_year)
    X, keys = world.features, world.features.index
    records = world.records.assign(fecha=pd.to_datetime(world.records["fecha"]))
    prior = {"mineria": 0.5, "pobreza": 0.5, "lejania": 0.3}
    best = float("inf")
    for _ in range(int(sys.argv[1])):
        t0 = time.perf_counter()
        Xr, y, w, g = training_rows(X, district_counts(records, keys))
        RiskScorer(prior=prior).fit(Xr, y, sample_weight=w, groups=g)
        best = min(best, time.perf_counter() - t0)
    out[n] = best
print(json.dumps(out))
"""


def reference_seconds(rev: str, repeat: int) -> dict[int, float]:
    """Fit times of the code at ``rev`` (a temporary git worktree, a child process)."""
    import json
    import os
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    repo = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory(prefix="riskmap-ref-") as tmp:
        tree = Path(tmp) / "ref"
        subprocess.run(["git", "-C", str(repo), "worktree", "add", "--detach", str(tree), rev],
                       check=True, capture_output=True)
        try:
            done = subprocess.run([sys.executable, "-c", _REFERENCE_SCRIPT, str(repeat)],
                                  cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)},
                                  check=True, capture_output=True, text=True)
        finally:
            subprocess.run(["git", "-C", str(repo), "worktree", "remove", "--force",
                            str(tree)], check=False, capture_output=True)
    return {int(k): float(v) for k, v in json.loads(done.stdout.splitlines()[-1]).items()}


def fit_seconds(n_districts: int, per_year: float, full: bool, repeat: int) -> float:
    """Best wall time of one fit (with or without issue 11's steps)."""
    import pandas as pd

    from models.evaluation.synthetic import make_world
    from models.risk.recency import drift_alerts, recency_fit
    from models.risk.score import complaint_counts, district_counts, training_rows
    from models.risk.scorer import RiskScorer

    world = make_world(n_districts=n_districts, n_years=10, seed=0,
                       inspections_per_year=per_year)
    X, keys = world.features, world.features.index
    records = world.records.assign(fecha=pd.to_datetime(world.records["fecha"]))
    # a third of the visits answer complaints (the synthetic world follows risk in all)
    records["origen"] = ["denuncia" if i % 3 == 0 else "planificada"
                         for i in range(len(records))]
    prior = {"mineria": 0.5, "pobreza": 0.5, "lejania": 0.3}
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        Xr, y, w, g = training_rows(X, district_counts(records, keys))
        model = RiskScorer(prior=prior, selection_correction="joint" if full else "none")
        complaints = complaint_counts(X, None, records) if full else None
        model.fit(Xr, y, sample_weight=w, groups=g, complaints=complaints)
        if full:
            drift_alerts(model, X, keys, records)
            recency_fit(model, X, keys, records, "auto")
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv: list[str] | None = None) -> dict:
    """Print and return the fit times and their ratio for 169 and 1,891 districts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reference", default=REFERENCE,
                        help="git revision of 'today's' model (default: when issue 11 was filed)")
    args = parser.parse_args(argv)
    out = {}
    ref = reference_seconds(args.reference, args.repeat)
    print(f"| districts | {args.reference} (s) | without (s) | with (s) | with / "
          f"{args.reference} | with / without |\n|---|---|---|---|---|---|")
    for n, per_year in ((169, 120.0), (1891, 1300.0)):
        without = fit_seconds(n, per_year, False, args.repeat)
        with_ = fit_seconds(n, per_year, True, args.repeat)
        out[n] = {"referencia": ref[n], "sin": without, "con": with_,
                  "razon_referencia": with_ / ref[n], "razon": with_ / without}
        print(f"| {n:,} | {ref[n]:.3f} | {without:.3f} | {with_:.3f} | "
              f"{with_ / ref[n]:.2f} | {with_ / without:.2f} |")
    write_result(NAME, out)
    return out


if __name__ == "__main__":
    main()
