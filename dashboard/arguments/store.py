"""The arguments of ``riskmap store backup|restore``.

What it does: :mod:`dashboard.commands.store`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from dashboard.arguments import handler, show_help
from geo.config import STORE_CONFIG_HELP as CONFIG_HELP

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``riskmap store backup`` and ``riskmap store restore``."""
    parser = subparsers.add_parser(
        "store",
        help="respaldar y restaurar el almacén de inspecciones / back up and restore the store",
        description="Respaldos del almacén de inspecciones con la API de respaldo en línea de "
        "SQLite (se puede hacer con el tablero funcionando). Backups of the inspection store.",
    )
    sub = parser.add_subparsers(dest="store_command", metavar="ACCION")
    backup = sub.add_parser("backup", help="copiar el almacén a un archivo nuevo",
                            description="Copia el almacén (registros, importaciones y "
                            "auditoría con su sello) a FILE, solo legible por su dueño. Si la "
                            "clave de la auditoría se guarda fuera ([audit] key_file o "
                            "key_env), el respaldo dice dónde, no la lleva.")
    backup.add_argument("file", type=Path, help="archivo de respaldo a crear (no debe existir)")
    restore = sub.add_parser("restore", help="volver a poner un respaldo como almacén",
                             description="Comprueba el respaldo (integridad y auditoría) y lo "
                             "pone como almacén; la auditoría que reemplaza se guarda aparte, "
                             "junto al almacén (riskmap audit verify --witness la usa para "
                             "comprobar los anclajes anteriores), y con [audit] witness se "
                             "ancla la auditoría restaurada.")
    restore.add_argument("file", type=Path, help="respaldo hecho con 'riskmap store backup'")
    restore.add_argument("--otro-almacen", action="store_true", dest="other_store",
                         help="aceptar el respaldo de OTRO almacén (otra clave de auditoría); "
                         "queda registrado")
    restore.add_argument("--yes", action="store_true",
                         help="no preguntar (los registros importados después del respaldo "
                         "se pierden)")
    for p in (backup, restore):
        p.add_argument("--store", type=Path, default=None,
                       help="almacén (por defecto el de la configuración)")
        p.add_argument("--config", type=Path, default=None, help=CONFIG_HELP)
    backup.set_defaults(func=handler("store.backup"))
    restore.set_defaults(func=handler("store.restore"))
    parser.set_defaults(func=show_help(parser))
