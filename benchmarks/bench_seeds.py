"""Issue 3's targets on the demo worlds of seeds 0-7, as a table (benchmarks/model.md).

For each seed: ``make_demo`` on the real base, ``build_districts``, ``evaluate`` with the
defaults of ``riskmap evaluate`` — the steps of
``tests/models/evaluation/test_evaluation.py`` — and one row:
top-10 capture, 90 % coverage, and the hit@10 margin over each baseline with its paired
bootstrap 95 % interval. About 2 minutes.

``--capas simuladas``: the worlds whose sector layers are simulated too (the world issue 3's
targets were set and measured on, before issue 20); the default is the default world (real
public layers, simulated records).

Run: ``python -m benchmarks.bench_seeds [--seeds 0 1 ...] [--capas reales|simuladas]``.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from benchmarks import real_base, write_result

NAME = "bench_seeds"
BASELINES = ("aleatorio", "pobreza", "tasa_pasada", "indice_experto")


def main(argv: list[str] | None = None) -> dict:
    """Evaluate every seed's world; print the markdown table and return the numbers."""
    from geo.config import load_settings
    from geo.geography.build import build_districts
    from geo.world.demo import make_demo
    from models.evaluation.backtest import MODEL, TARGETS, evaluate

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="*", default=list(range(8)))
    parser.add_argument("--capas", default="reales", choices=("reales", "simuladas"))
    args = parser.parse_args(argv)
    rows, results = [], {}
    with tempfile.TemporaryDirectory(prefix="riskmap-bench-seeds-") as tmp:
        root = Path(tmp)
        base, _ = real_base(root)
        for seed in args.seeds:
            make_demo(base, root / f"demo{seed}", seed=seed, layers=args.capas)
            settings = load_settings(root / f"demo{seed}" / "settings.toml")
            build_districts(settings, out=settings.districts_gpkg)
            temporal = evaluate(settings)["evaluacion"]["temporal"]
            met = temporal["metricas"][MODEL]
            capture, coverage = met["captura_top10"]["valor"], met["cobertura_90"]["valor"]
            margins = {b: temporal["diferencias"][b]["acierto_10"] for b in BASELINES}
            ok = (capture >= TARGETS["captura_top10_min"]
                  and TARGETS["cobertura_min"] <= coverage <= TARGETS["cobertura_max"]
                  and all(m["ic95"][0] > 0 for m in margins.values()))
            results[seed] = {"captura_top10": capture, "cobertura_90": coverage,
                             "margenes": margins, "todo_cumplido": ok}
            cells = [f"{m['valor']:+.3f} [{m['ic95'][0]:+.3f}, {m['ic95'][1]:+.3f}]"
                     for m in margins.values()]
            rows.append(f"| {seed} | {capture:.3f} | {coverage:.3f} | " + " | ".join(cells)
                        + f" | {'yes' if ok else 'no'} |")
    print("| seed | capture | coverage | vs random | vs poverty | vs past rate | "
          "vs expert index | every target |\n|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    write_result(f"{NAME}_{args.capas}", results)
    return results


if __name__ == "__main__":
    main()
