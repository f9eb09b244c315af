"""Issue 11's targets on many seeds of each kind of world: static, drift, complaints, low volume.

For each scenario of :data:`geo.world.demo.SCENARIOS` and each seed: ``make_demo(scenario=...)`` on
the real base, ``build_districts``, ``evaluate`` (the defaults of ``riskmap evaluate``, the
steps of ``tests/models/evaluation/test_evaluation.py``), and one row: top-10 capture (share of
the oracle),
90 % coverage, and the hit@10 margin over the past-finding-rate baseline with its paired
bootstrap 95 % interval. Then per world and pooled: mean capture, mean and minimum coverage,
and how many seeds' margins are supported.

Beside the model's capture, the **Bayes ceiling** of each world
(:func:`models.evaluation.backtest.bayes_ceiling`): the capture of a ranking that knows the true
weights, any frontier and the spread of the effects, and learns each district's own effect
from the same records — what no model that learns its weights from the records can expect to
pass. Per test year as well, pooled over the seeds: where the early folds (one or two years
of records) sit against it.

``--capas simuladas`` runs the worlds whose sector layers are simulated too (those issue 11
was measured on, before issue 20); the default is the default world's real layers.

Seeds: issue 11 asks for at least 20 per world. ``--seeds`` chooses them; the *tuning* seeds
are 100-119 and the *held-out* seeds 900-919, looked at only once, at the end
(``--held-out``). ``--workers 2`` runs two seeds at a time (each about 15 s alone).

Run: ``python -m benchmarks.bench_worlds [--scenarios deriva ...] [--seeds 100 101 ...]
[--held-out] [--workers 2] [--capas reales|simuladas]``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from benchmarks import real_base, write_result

NAME = "bench_worlds"
TUNING_SEEDS = tuple(range(100, 120))
HELD_OUT_SEEDS = tuple(range(900, 920))
PAST_RATE = "tasa_pasada"


def run_one(base: str, root: str, scenario: str, seed: int, half_life: str = "",
            selection: str = "", no_dates: bool = False, layers: str = "reales") -> dict:
    """Make, build and evaluate one world (model settings overridden if given).

    ``no_dates``: the model ignores the dated layers' past (every record paired with today's
    layers), to measure what the dates are worth.
    """
    import dataclasses

    from geo.config import load_settings
    from geo.geography.build import build_districts
    from geo.world.demo import make_demo
    from models.evaluation.backtest import MODEL, evaluate

    out = Path(root) / f"{scenario}-{seed}-{layers}"
    make_demo(base, out, seed=seed, scenario=scenario, layers=layers)
    settings = load_settings(out / "settings.toml")
    build_districts(settings, out=settings.districts_gpkg)
    model = settings.model
    if half_life:
        model = dataclasses.replace(model, half_life=half_life if half_life == "auto"
                                    else float(half_life))
    if selection:
        model = dataclasses.replace(model, selection_correction=selection)
    settings = dataclasses.replace(settings, model=model)
    from models.risk.score import read_district_table

    districts = read_district_table(settings)
    if no_dates:
        districts.attrs.clear()
    temporal = evaluate(settings, districts)["evaluacion"]["temporal"]
    met = temporal["metricas"][MODEL]
    margin = temporal["diferencias"][PAST_RATE]["acierto_10"]
    per_year = {int(y): row["captura_top10"] for y, row in temporal["por_anio"][MODEL].items()}
    ceiling = world_ceiling(settings, sorted(per_year))
    return {"escenario": scenario, "semilla": seed,
            "captura_top10": met["captura_top10"]["valor"],
            "techo_bayes": statistics.fmean(ceiling.values()),
            "cobertura_90": met["cobertura_90"]["valor"],
            "margen_tasa_pasada": margin["valor"], "ic95": margin["ic95"],
            "por_anio": {y: {"captura_top10": per_year[y], "techo_bayes": ceiling[y]}
                         for y in sorted(per_year)}}


def world_ceiling(settings, years: list[int]) -> dict[int, float]:
    """The world's Bayes ceiling per test year, from its ``verdad.csv`` and records."""
    import pandas as pd

    from geo import columns as C
    from geo.records.inspections import load_records
    from models.evaluation.backtest import bayes_ceiling
    from models.evaluation.card import _read_truth

    verdad = pd.read_csv(settings.truth, dtype={C.UBIGEO: str}).set_index(C.UBIGEO)
    truth = _read_truth(settings, verdad.index)
    return bayes_ceiling(truth, verdad["efecto_aleatorio"], load_records(settings), years)


def pooled_interval(values: list[float], reps: int = 10_000, seed: int = 0) -> list[float]:
    """95 % interval of the mean of ``values`` by a bootstrap over the worlds (seeds).

    >>> pooled_interval([0.1, 0.1, 0.1])
    [0.1, 0.1]
    """
    import numpy as np

    v = np.asarray(values, dtype=float)
    means = v[np.random.default_rng(seed).integers(0, v.size, (reps, v.size))].mean(axis=1)
    return [round(float(q), 4) for q in np.quantile(means, [0.025, 0.975])]


def summarise(rows: list[dict]) -> dict:
    """Mean capture, mean/min coverage and supported margins of a set of rows.

    The margin over the past finding rate is given per world (supported when its own
    bootstrap interval excludes 0) and pooled over the worlds of a kind (the mean, with a
    bootstrap interval over the seeds).
    """
    capture = [r["captura_top10"] for r in rows]
    coverage = [r["cobertura_90"] for r in rows]
    margins = [r["margen_tasa_pasada"] for r in rows]
    return {"n": len(rows), "captura_media": statistics.fmean(capture),
            "margen_medio_ic95": pooled_interval(margins),
            "techo_bayes_medio": statistics.fmean(r["techo_bayes"] for r in rows),
            "cobertura_media": statistics.fmean(coverage), "cobertura_min": min(coverage),
            "margen_medio": statistics.fmean(r["margen_tasa_pasada"] for r in rows),
            "margenes_apoyados": sum(r["ic95"][0] > 0 for r in rows)}


def main(argv: list[str] | None = None) -> dict:
    """Evaluate every (scenario, seed); print per-world and pooled tables; return them."""
    from geo.world.demo import SCENARIOS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", nargs="*", default=list(SCENARIOS))
    parser.add_argument("--seeds", type=int, nargs="*", default=None)
    parser.add_argument("--held-out", action="store_true",
                        help="the held-out seeds 900-919 (look once, at the end)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--label", default="", help="name of this run in the results file")
    parser.add_argument("--half-life", default="",
                        help="override [model] half_life: auto, years, or 0 (none)")
    parser.add_argument("--selection", default="",
                        help="override [model] selection_correction: joint, design, cluster, none")
    parser.add_argument("--no-dates", action="store_true",
                        help="ignore the dated layers' past (today's layers for every record)")
    parser.add_argument("--capas", default="reales", choices=("reales", "simuladas"),
                        help="the default world's real layers, or simulated ones (the worlds "
                        "issue 11 was measured on)")
    args = parser.parse_args(argv)
    seeds = args.seeds or list(HELD_OUT_SEEDS if args.held_out else TUNING_SEEDS)
    with tempfile.TemporaryDirectory(prefix="riskmap-bench-worlds-") as tmp:
        base, _ = real_base(Path(tmp))
        jobs = [(str(base), tmp, sc, seed, args.half_life, args.selection, args.no_dates,
                 args.capas) for sc in args.scenarios for seed in seeds]
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            rows = list(pool.map(run_one, *zip(*jobs, strict=True)))
    print("| world | seed | capture | Bayes ceiling | coverage | margin vs past rate [95 % CI] |"
          "\n|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['escenario']} | {r['semilla']} | {r['captura_top10']:.3f} | "
              f"{r['techo_bayes']:.3f} | {r['cobertura_90']:.3f} | {r['margen_tasa_pasada']:+.3f} "
              f"[{r['ic95'][0]:+.3f}, {r['ic95'][1]:+.3f}] |")
    summary = {sc: summarise([r for r in rows if r["escenario"] == sc]) for sc in args.scenarios}
    summary["todos"] = summarise(rows)
    print("\n| world | seeds | mean capture | mean Bayes ceiling | mean coverage | min coverage | "
          "mean margin [95 % CI over seeds] | margins supported |\n"
          "|---|---|---|---|---|---|---|---|")
    for sc, s in summary.items():
        lo, hi = s["margen_medio_ic95"]
        print(f"| {sc} | {s['n']} | {s['captura_media']:.3f} | {s['techo_bayes_medio']:.3f} | "
              f"{s['cobertura_media']:.3f} | "
              f"{s['cobertura_min']:.3f} | {s['margen_medio']:+.3f} [{lo:+.3f}, {hi:+.3f}] | "
              f"{s['margenes_apoyados']}/{s['n']} |")
    years = sorted({y for r in rows for y in r["por_anio"]})
    print("\nCapture per test year, mean over the seeds (model / Bayes ceiling):\n")
    print("| world | " + " | ".join(str(y) for y in years) + " |\n|---|"
          + "---|" * len(years))
    for sc in args.scenarios:
        cells = []
        for y in years:
            got = [r["por_anio"][y] for r in rows if r["escenario"] == sc and y in r["por_anio"]]
            cells.append(f"{statistics.fmean(g['captura_top10'] for g in got):.2f} / "
                         f"{statistics.fmean(g['techo_bayes'] for g in got):.2f}" if got else "")
        print(f"| {sc} | " + " | ".join(cells) + " |")
    label = args.label or ("held_out" if args.held_out else "tuning")
    write_result(f"{NAME}_{label}", {"filas": rows, "resumen": summary})
    return {"filas": rows, "resumen": summary}


if __name__ == "__main__":
    main()
