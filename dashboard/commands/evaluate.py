"""``riskmap evaluate``: backtest the risk model against the baselines and write the model card."""

from __future__ import annotations

import argparse
from pathlib import Path

from dashboard.arguments.evaluate import register
from geo import paths
from geo.config import load_settings
from geo.errors import tr
from geo.private import private_dir
from models.evaluation.backtest import EVALUATION_FILE, evaluate, write_card

__all__ = ["register", "run"]


def run(args: argparse.Namespace) -> int:
    """``riskmap evaluate``: backtest the model, write its card."""
    settings = load_settings(args.config or paths.default_settings())
    card = evaluate(settings, n_bootstrap=args.bootstrap)
    default = settings.workdir / EVALUATION_FILE
    if not args.no_workdir or Path(args.out).resolve() == default.resolve():
        private_dir(settings.workdir, tighten=True)  # the deployment's scores and card
    out = write_card(card, Path(args.out))
    written = [str(out)]
    if not args.no_workdir and out.resolve() != default.resolve():
        write_card(card, default)
        written.append(str(default))
    temporal = (card.get("evaluacion") or {}).get("temporal") or {}
    hit = ((temporal.get("metricas") or {}).get("modelo") or {}).get("acierto_10") or {}
    value = hit.get("valor")
    summary = "" if value is None else tr(
        f" Acierto en los 10 primeros (backtest): {value:.0%}.",
        f" Hit rate in the top 10 (backtest): {value:.0%}.",
    )
    print(tr(f"Ficha del modelo escrita en {', '.join(written)}.",
             f"Model card written to {', '.join(written)}.") + summary
          + (tr(" DATOS SIMULADOS.", " SIMULATED DATA.") if settings.simulated else ""))
    return 0
