"""The arguments of ``riskmap score``; what it does: :mod:`dashboard.commands.score`."""

from __future__ import annotations

import argparse

from dashboard.arguments import handler

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``riskmap score``."""
    p = subparsers.add_parser(
        "score",
        help="ajusta el modelo y escribe el riesgo por distrito / fit and score districts",
        description=(
            "Ajusta el modelo de riesgo con las inspecciones (del almacén, de --inspections o "
            "de la configuración) y escribe una fila por distrito: riesgo, intervalo del 90%, "
            "probabilidad de estar entre los 10 distritos de mayor riesgo (prob_top10), "
            "evidencia, rango y contribuciones."
        ),
    )
    p.add_argument("--config", help="archivo de configuración (por defecto el de la demo)")
    p.add_argument(
        "--inspections",
        help="archivo de inspecciones (CSV, XLSX, GeoPackage…); se valida antes de usarlo",
    )
    p.add_argument("--out", required=True, help="archivo de salida .gpkg, .geojson, .csv o .xlsx")
    p.add_argument("--bootstrap", type=int, default=None,
                   help="réplicas bootstrap (por defecto [model].n_bootstrap)")
    p.set_defaults(func=handler("score.run"))
