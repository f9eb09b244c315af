"""The arguments of ``riskmap serve``; what it does: :mod:`dashboard.commands.serve`."""

from __future__ import annotations

import argparse

from dashboard.arguments import handler

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``riskmap serve``."""
    p = subparsers.add_parser(
        "serve",
        help="abre el tablero en el navegador / start the dashboard",
        description=(
            "Inicia el tablero de Streamlit sobre los datos de la configuración activa "
            "(por defecto el mundo de demostración). Funciona sin internet."
        ),
    )
    p.add_argument("--config", help="archivo de configuración (por defecto $RISKMAP_CONFIG o "
                   "data/demo/settings.toml)")
    p.add_argument("--port", type=int, default=8501, help="puerto (por defecto 8501)")
    p.add_argument("--address", default=None,
                   help="dirección en la que escuchar (por defecto la de Streamlit)")
    p.set_defaults(func=handler("serve.run"))
