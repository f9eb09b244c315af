"""``riskmap prepare``: build every artefact the dashboard needs on the default data."""

from __future__ import annotations

import argparse
import os

from geo.errors import tr


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``riskmap prepare``."""
    p = subparsers.add_parser(
        "prepare",
        help="descarga, simula, construye y puntúa los datos por defecto / prepare default data",
        description=(
            "Descarga las fuentes públicas, las convierte, escribe el mundo SIMULADO de "
            "demostración, construye la tabla de distritos, ajusta el modelo y lo evalúa. "
            "Cada paso se omite si su resultado ya existe."
        ),
    )
    p.add_argument("--data-dir", help="carpeta de datos (por defecto $RISKMAP_DATA_DIR o data/)")
    p.add_argument(
        "--mirror",
        default=os.environ.get("RISKMAP_MIRROR") or None,
        help="carpeta o URL con los archivos fuente (por defecto $RISKMAP_MIRROR)",
    )
    p.add_argument("--seed", type=int, default=0, help="semilla del mundo simulado")
    p.add_argument("--force", action="store_true", help="rehacer todos los pasos")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from dashboard.commands.data import DownloadProgress
    from models.pipeline import prepare

    settings = prepare(
        data_dir=args.data_dir,
        mirror=args.mirror,
        seed=args.seed,
        progress=lambda msg: print(msg, flush=True),
        force=args.force,
        fetch_progress=DownloadProgress(),
    )
    print(tr(f"Configuración activa: {settings}", f"Active settings: {settings}"))
    return 0
