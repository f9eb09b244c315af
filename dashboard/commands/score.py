"""``riskmap score``: fit the risk model and write one row per district."""

from __future__ import annotations

import argparse
from pathlib import Path

from dashboard.arguments.score import register
from geo import paths
from geo.config import load_settings
from geo.messages import t
from geo.records.inspections import validate_inspections
from models.risk.explain import record_rescoring
from models.risk.score import read_district_table, score_districts, write_scores

__all__ = ["register", "run"]


def run(args: argparse.Namespace) -> int:
    """``riskmap score``: fit the model, write one row per district."""
    settings = load_settings(args.config or paths.default_settings())
    districts = read_district_table(settings)
    records = None
    if args.inspections:
        report = validate_inspections(Path(args.inspections), districts)
        report.raise_if_invalid()
        records = report.valid
    scores = score_districts(settings, districts, records, n_bootstrap=args.bootstrap)
    changes = None
    if Path(args.out).resolve() == Path(settings.scores_gpkg).resolve():
        # the deployment's own scores move
        changes = record_rescoring(settings, scores)
    out = write_scores(scores, Path(args.out), settings)
    meta = scores.attrs.get("metadatos", {})
    print(t("cli.score.riesgo_escrito", n=len(scores), out=out,
            n_insp=meta.get('n_inspecciones', 0), n_hall=meta.get('n_hallazgos', 0))
          + (t("cli.evaluate.datos_simulados") if settings.simulated else ""))
    if changes is not None:
        moved = len(changes["distritos"])
        own = sum(d["motivo"].startswith("nuevos") for d in changes["distritos"])
        print(t("cli.score.cambian_clase_mapa_distritos", moved=moved, own=own, moved_2=moved - own,
                workdir=Path(settings.workdir) / 'cambios.json'))
    return 0
