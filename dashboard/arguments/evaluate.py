"""The arguments of ``riskmap evaluate``; what it does: :mod:`dashboard.commands.evaluate`."""

from __future__ import annotations

import argparse

from dashboard.arguments import handler

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``riskmap evaluate``."""
    p = subparsers.add_parser(
        "evaluate",
        help="evalúa el modelo (backtest) y escribe su ficha / evaluate and write the model card",
        description=(
            "Backtest temporal (entrenar hasta el año t, probar en t+1) y validación espacial "
            "por provincias, frente a las referencias (aleatorio, tasa pasada, pobreza, índice "
            "experto). Escribe la ficha del modelo en JSON o Markdown, y además "
            "<workdir>/evaluacion.json, que lee el tablero."
        ),
    )
    p.add_argument("--config", help="archivo de configuración (por defecto el de la demo)")
    p.add_argument("--out", required=True, help="ficha del modelo: .json o .md")
    p.add_argument("--bootstrap", type=int, default=None,
                   help="réplicas bootstrap de las métricas (por defecto [model].n_bootstrap)")
    p.add_argument("--no-workdir", action="store_true",
                   help="no escribir <workdir>/evaluacion.json")
    p.set_defaults(func=handler("evaluate.run"))
