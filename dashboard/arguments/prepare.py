"""The arguments of ``riskmap prepare``; what it does: :mod:`dashboard.commands.prepare`."""

from __future__ import annotations

import argparse
import os

from dashboard.arguments import handler

__all__ = ["register"]


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
    p.set_defaults(func=handler("prepare.run"))
