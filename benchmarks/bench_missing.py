"""What a missing layer costs, and what the model does beyond what it learnt (issue 20).

**Missing layer.** For each seed, a world whose layers are all simulated and complete
(``make_demo(layers="simuladas")``: every district has every value, so the complete world is
known), then the same world with one layer (``--layer``, default ``mineria_informal``, the
truth's strongest visible layer) withheld for a random third of the districts: NaN in the
district table, as a source that does not cover them leaves it. Three ways of reading it,
each through ``evaluate`` (the temporal backtest of ``riskmap evaluate``):

* ``completo``: every value known (what the missing third costs is measured against it);
* ``faltante``: the third without a value, as riskmap reads it now (the term left out, a
  ``falta_*`` feature learnt from the records; ``models.risk.score.fill_missing``);
* ``como_cero``: the same third read as 0, as riskmap read it before issue 20.

Reported per world and pooled: top-10 capture (share of the oracle's) and 90 % coverage.

**Beyond the learnt range.** The default world (real layers) built for all of Peru and
scored with the records of Cusco and Loreto: the districts outside the range of the
inspected ones are flagged (``fuera_rango``) and scored at its edge; beside each, what a
straight line would have said (the same fit, features not held). Inambari and Huepetuhe
(Madre de Dios) have 20 times Camanti's mining area.

Seeds: tuning 100-109; held-out 900-909 (``--held-out``), looked at once.

Run: ``python -m benchmarks.bench_missing [--seeds 100 101 ...] [--held-out] [--layer NAME]
[--workers 2] [--skip-peru]``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from benchmarks import real_base, write_result

NAME = "bench_missing"
TUNING_SEEDS = tuple(range(100, 110))
HELD_OUT_SEEDS = tuple(range(900, 910))
WAYS = ("completo", "faltante", "como_cero")


def run_one(base: str, root: str, seed: int, layer: str) -> dict:
    """One world: complete, a third missing, the same third read as zero."""
    import numpy as np

    from geo.config import load_settings
    from geo.geography.build import build_districts
    from geo.world.demo import make_demo
    from models.evaluation.backtest import MODEL, evaluate
    from models.risk.score import read_district_table

    out = Path(root) / f"missing-{seed}"
    make_demo(base, out, seed=seed, layers="simuladas")
    settings = load_settings(out / "settings.toml")
    build_districts(settings, out=settings.districts_gpkg)
    complete = read_district_table(settings)
    rng = np.random.default_rng([seed, 20])
    gone = np.zeros(len(complete), dtype=bool)
    gone[rng.choice(len(complete), len(complete) // 3, replace=False)] = True
    tables = {"completo": complete}
    for way, fill in (("faltante", np.nan), ("como_cero", 0.0)):
        table = complete.copy()
        table.loc[gone, layer] = fill
        tables[way] = table
    row: dict = {"semilla": seed, "capa": layer, "sin_dato": int(gone.sum())}
    for way, table in tables.items():
        met = evaluate(settings, table)["evaluacion"]["temporal"]["metricas"][MODEL]
        row[way] = {"captura_top10": met["captura_top10"]["valor"],
                    "cobertura_90": met["cobertura_90"]["valor"]}
    return row


def beyond_the_range(base: Path, root: Path) -> dict:
    """The default world on all of Peru: districts held at the edge of the learnt range."""
    import dataclasses

    import pandas as pd

    import models.risk.model as model
    import models.risk.score as score
    from geo import columns as C
    from geo.config import load_settings
    from geo.geography.build import build_districts
    from geo.world.demo import make_demo

    out = root / "peru"
    make_demo(base, out, seed=0)
    settings = dataclasses.replace(load_settings(out / "settings.toml"), region=())
    build_districts(settings, out=settings.districts_gpkg)
    table = score.read_district_table(settings)
    held = score.score_districts(settings, table, n_bootstrap=100).set_index(C.UBIGEO)
    keep = model.hold_in_range
    try:  # the same fit, with a straight line into the unknown
        model.hold_in_range = lambda X, bounds: (X, pd.Series("", index=X.index, dtype=object))
        line = score.score_districts(settings, table, n_bootstrap=100).set_index(C.UBIGEO)
    finally:
        model.hold_in_range = keep
    flagged = held[held[score.FUERA_RANGO] != ""]
    mining = pd.to_numeric(table.set_index(C.UBIGEO)["mineria"], errors="coerce")
    rows = []
    for code in flagged.sort_values(C.RIESGO, ascending=False).index:
        rows.append({
            "ubigeo": code, "distrito": str(held.loc[code, C.DISTRITO]),
            "departamento": str(held.loc[code, C.DEPARTAMENTO]),
            "fuera_rango": held.loc[code, score.FUERA_RANGO],
            "mineria_ha": None if pd.isna(mining.get(code)) else float(mining[code]),
            "riesgo": float(held.loc[code, C.RIESGO]),
            "p05": float(held.loc[code, C.RIESGO_P05]),
            "p95": float(held.loc[code, C.RIESGO_P95]),
            "recta_riesgo": float(line.loc[code, C.RIESGO]),
            "recta_p05": float(line.loc[code, C.RIESGO_P05]),
            "recta_p95": float(line.loc[code, C.RIESGO_P95]),
        })
    return {"distritos": int(len(held)), "fuera_rango": int(len(flagged)),
            "fuera_rango_por_variable": flagged[score.FUERA_RANGO].str.split(";").explode()
            .value_counts().to_dict(), "filas": rows}


def main(argv: list[str] | None = None) -> dict:
    """Run the missing-layer worlds and the national extrapolation check; print both."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="*", default=None)
    parser.add_argument("--held-out", action="store_true")
    parser.add_argument("--layer", default="mineria_informal")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-peru", action="store_true")
    args = parser.parse_args(argv)
    seeds = args.seeds or list(HELD_OUT_SEEDS if args.held_out else TUNING_SEEDS)
    with tempfile.TemporaryDirectory(prefix="riskmap-bench-missing-") as tmp:
        base, _ = real_base(Path(tmp))
        jobs = [(str(base), tmp, seed, args.layer) for seed in seeds]
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            rows = list(pool.map(run_one, *zip(*jobs, strict=True)))
        peru = None if args.skip_peru else beyond_the_range(base, Path(tmp))
    print(f"Layer withheld for a third of the districts: `{args.layer}`\n")
    print("| seed | capture complete | capture missing | capture read as 0 | "
          "coverage complete | coverage missing | coverage read as 0 |\n"
          "|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['semilla']} | " + " | ".join(
            f"{r[w]['captura_top10']:.3f}" for w in WAYS) + " | " + " | ".join(
            f"{r[w]['cobertura_90']:.3f}" for w in WAYS) + " |")
    pooled = {w: {"captura_media": statistics.fmean(r[w]["captura_top10"] for r in rows),
                  "cobertura_media": statistics.fmean(r[w]["cobertura_90"] for r in rows),
                  "cobertura_min": min(r[w]["cobertura_90"] for r in rows)} for w in WAYS}
    print("| mean | " + " | ".join(f"{pooled[w]['captura_media']:.3f}" for w in WAYS) + " | "
          + " | ".join(f"{pooled[w]['cobertura_media']:.3f}" for w in WAYS) + " |")
    print("| min coverage | | | | " + " | ".join(f"{pooled[w]['cobertura_min']:.3f}"
                                                 for w in WAYS) + " |")
    if peru is not None:
        print(f"\nAll of Peru ({peru['distritos']} districts), records of Cusco and Loreto: "
              f"{peru['fuera_rango']} districts beyond the learnt range "
              f"({peru['fuera_rango_por_variable']}).\n")
        print("| district | department | beyond | mining ha | risk [90 %] held at the edge | "
              "a straight line |\n|---|---|---|---|---|---|")
        for r in peru["filas"][:12]:
            ha = "" if r["mineria_ha"] is None else f"{r['mineria_ha']:,.0f}"
            print(f"| {r['distrito']} | {r['departamento']} | {r['fuera_rango']} | {ha} | "
                  f"{r['riesgo']:.1%} [{r['p05']:.1%}, {r['p95']:.1%}] | "
                  f"{r['recta_riesgo']:.1%} [{r['recta_p05']:.1%}, {r['recta_p95']:.1%}] |")
    label = "held_out" if args.held_out else "tuning"
    result = {"filas": rows, "resumen": pooled, "peru": peru}
    write_result(f"{NAME}_{label}_{args.layer}", result)
    return result


if __name__ == "__main__":
    main()
