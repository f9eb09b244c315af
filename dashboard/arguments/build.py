"""The arguments of ``riskmap build``; what it does: :mod:`dashboard.commands.build`."""

from __future__ import annotations

import argparse
from pathlib import Path

from dashboard.arguments import handler

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``riskmap build``."""
    p = subparsers.add_parser(
        "build",
        help="construir la tabla de distritos con las capas sectoriales / build the "
        "district table",
        description=(
            "Lee los distritos de la base (riskmap data fetch), agrega cada capa declarada "
            "en la configuración ([[layers]]) y escribe un GeoPackage con la capa "
            "'distritos' y la tabla 'fuentes'. Reads the base districts, aggregates each "
            "layer of the settings and writes a GeoPackage."
        ),
    )
    p.add_argument("--config", type=Path, default=None,
                   help="archivo de configuración (por defecto $RISKMAP_CONFIG o "
                   "data/demo/settings.toml)")
    p.add_argument("--region", default=None,
                   help="departamentos: cusco, loreto, all o códigos '08,16' (por defecto "
                   "los de la configuración)")
    p.add_argument("--out", type=Path, default=None,
                   help="GeoPackage a escribir (por defecto distritos.gpkg en el 'workdir' "
                   "de la configuración)")
    cluster = p.add_mutually_exclusive_group()
    cluster.add_argument("--dask", default=None, metavar="DIRECCION",
                         help="agregar puntos y rásteres en un clúster Dask existente "
                         "(p. ej. tcp://10.0.0.5:8786); los trabajadores deben ver los "
                         "mismos archivos")
    cluster.add_argument("--workers", type=int, default=None, metavar="N",
                         help="agregar en un clúster Dask local de N procesos")
    p.set_defaults(func=handler("build.run"))
