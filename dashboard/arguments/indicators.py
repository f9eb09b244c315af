"""The arguments of ``riskmap indicators``; what it does: :mod:`dashboard.commands.indicators`."""

from __future__ import annotations

import argparse
from pathlib import Path

from dashboard.arguments import handler

__all__ = ["register"]

# geo.records.indicators.BY_OPTIONS (not imported here: the CLI starts without pandas;
# tests/dashboard/commands/test_cli.py checks that the two agree)
BY_OPTIONS = ("ubigeo", "provincia", "sector", "anio")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``riskmap indicators``."""
    p = subparsers.add_parser(
        "indicators",
        help="perfil de indicadores OIT por grupo / ILO indicator profiles",
        description=(
            "Cuenta, por distrito, provincia, sector o año, las inspecciones en que se halló "
            "cada uno de los 11 indicadores de trabajo forzoso de la OIT, y clasifica cada "
            "registro con la regla de la CIET 2018 (trabajo forzoso = involuntariedad y "
            "amenaza; indicios = algunos indicadores; config/indicadores_oit.toml). Columnas: "
            "n_inspecciones, un código por indicador, n_trabajo_forzoso_oit, n_indicios, "
            "n_inconsistentes (hallazgo_tf contradice los indicadores), n_victimas, "
            "n_victimas_mujeres, n_victimas_menores. Fuera del rol planificador los conteos "
            "de 1 a k-1 se suprimen (celda vacía; la columna 'suprimido' dice cuáles) con "
            "supresión secundaria común a todas las tablas que ese rol puede obtener "
            "(distritos, provincias, sectores, años, totales, páginas y exportaciones), "
            "comprobada con el programa entero de un atacante; no se dan n_inconsistentes "
            "ni, salvo por distrito, n_inspecciones, y el total de inspecciones del resumen "
            "va redondeado a 5."
        ),
    )
    p.add_argument("--config", help="archivo de configuración (por defecto el de la demo)")
    p.add_argument("--by", default="ubigeo", choices=BY_OPTIONS,
                   help="agrupar por distrito (ubigeo), provincia, sector o año (anio)")
    p.add_argument("--out", required=True, type=Path, help="archivo de salida .csv o .xlsx")
    p.add_argument("--rol", default=None,
                   choices=("planificador", "gobierno_regional", "investigador"),
                   help="rol para quien es el archivo (por defecto 'investigador', el de menos "
                   "permisos): fuera de 'planificador' los conteos pequeños se suprimen")
    p.add_argument("--region", default=None,
                   help="departamentos (cusco, loreto o códigos '08,16'); por defecto los de "
                   "la configuración")
    p.set_defaults(func=handler("indicators.run"))
