"""The arguments of ``riskmap demo``; what it does: :mod:`dashboard.commands.demo`."""

from __future__ import annotations

import argparse
from pathlib import Path

from dashboard.arguments import handler

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``riskmap demo``."""
    p = subparsers.add_parser(
        "demo",
        help="generar el mundo de demostración (capas reales, inspecciones SIMULADAS) / "
        "write the demo world (real layers, SIMULATED inspections)",
        description=(
            "Escribe sobre los límites reales de Cusco y Loreto el mundo de demostración: las "
            "capas sectoriales REALES (pérdida de bosque de GeoBosques, minería, área "
            "agropecuaria y coca del panel amazónico, tal como las descarga 'riskmap data "
            "fetch') y lo SIMULADO: diez años de inspecciones (2016-2025), el riesgo verdadero "
            "por distrito (verdad.csv) y los servicios; settings.toml y LEEME.md. Necesita "
            "'riskmap data fetch'. Writes the demo world on the real boundaries of Cusco and "
            "Loreto: real public sector layers, SIMULATED inspections, truth and services."
        ),
    )
    p.add_argument("--seed", type=int, default=0,
                   help="semilla: la misma semilla da archivos idénticos (por defecto 0)")
    p.add_argument("--out", type=Path, default=None,
                   help="carpeta a escribir (por defecto <carpeta de datos>/demo)")
    p.add_argument("--region", default="08,16",
                   help="departamentos: cusco, loreto o '08,16' (por defecto ambos)")
    p.add_argument("--base", type=Path, default=None,
                   help="base de distritos (por defecto <carpeta de datos>/peru_base.gpkg)")
    # geo.world.demo.SCENARIOS (not imported here: the CLI starts without geopandas)
    p.add_argument("--scenario", default="estatico",
                   choices=("estatico", "deriva", "denuncias", "bajo_volumen", "frente_visible"),
                   help="tipo de mundo: estatico (el calibrado), deriva (un frente se abre en "
                   "2021 en distritos remotos), denuncias (las inspecciones siguen a las "
                   "denuncias), bajo_volumen (un tercio de las inspecciones), frente_visible "
                   "(el de deriva con el frente en una capa de dragas con fecha)")
    p.add_argument("--capas", default="reales", choices=("reales", "simuladas"),
                   help="capas sectoriales: reales (las fuentes públicas, por defecto) o "
                   "simuladas (todas simuladas, el mundo anterior)")
    p.set_defaults(func=handler("demo.run"))
