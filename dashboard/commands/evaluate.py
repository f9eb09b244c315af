"""``riskmap evaluate``: backtest the risk model against the baselines and write the model card."""

from __future__ import annotations

import argparse
from pathlib import Path

from dashboard.arguments.evaluate import register
from geo import paths
from geo.config import load_settings
from geo.messages import t
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
    summary = "" if value is None else t("cli.evaluate.acierto_10_primeros_backtest", value=value)
    print(t("cli.evaluate.ficha_modelo_escrita", written=', '.join(written)) + summary
          + (t("cli.evaluate.datos_simulados") if settings.simulated else ""))
    return 0
