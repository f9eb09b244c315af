"""``riskmap prepare``: build every artefact the dashboard needs on the default data."""

from __future__ import annotations

import argparse

from dashboard.arguments.prepare import register
from dashboard.commands.data import DownloadProgress
from geo.messages import t
from models.pipeline import prepare

__all__ = ["register", "run"]


def run(args: argparse.Namespace) -> int:
    """``riskmap prepare``: every step, each skipped if its result exists."""
    settings = prepare(
        data_dir=args.data_dir,
        mirror=args.mirror,
        seed=args.seed,
        progress=lambda msg: print(msg, flush=True),
        force=args.force,
        fetch_progress=DownloadProgress(),
    )
    print(t("cli.prepare.configuracion_activa", settings=settings))
    return 0
