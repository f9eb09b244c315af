"""The arguments of ``riskmap audit verify|export|anchor|move-key``.

What it does: :mod:`dashboard.commands.audit`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from dashboard.arguments import handler, show_help
from geo.config import STORE_CONFIG_HELP as CONFIG_HELP

__all__ = ["FROM_SETTINGS", "register"]

FROM_SETTINGS = "\0settings"  # --witness without a value: the settings' [audit] witness


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``riskmap audit verify``, ``export``, ``anchor`` and ``move-key``."""
    parser = subparsers.add_parser(
        "audit",
        help="comprobar, exportar y anclar la auditoría / check, export and anchor the audit "
        "trail",
        description="La auditoría del almacén está encadenada y sellada: 'verify' la "
        "recalcula y nombra cada fila editada o borrada (con --witness, también lo reescrito "
        "con la clave o vuelto atrás desde el último anclaje); 'export' la copia a CSV o JSON "
        "lines; 'anchor' deja su última fila en un testigo fuera del servidor; 'move-key' "
        "saca la clave de la carpeta del almacén. The store's audit trail is hash-chained, "
        "sealed and anchored outside the server.",
    )
    sub = parser.add_subparsers(dest="audit_command", metavar="ACCION")
    verify = sub.add_parser(
        "verify", help="comprobar que ninguna fila fue editada ni borrada",
        description="Recalcula la cadena de la auditoría y la compara con su sello y, con "
        "--witness (o [audit] witness en la configuración), con cada anclaje del testigo. "
        "Estado de salida 0 si está íntegra, 2 si no.")
    verify.add_argument("--witness", nargs="?", const=FROM_SETTINGS, default=None,
                        metavar="ARCHIVO|URL",
                        help="testigo con los anclajes (por defecto [audit] witness)")
    export = sub.add_parser("export", help="exportar la auditoría a .csv o .jsonl",
                            description="Copia toda la auditoría (con sus huellas) a un "
                            "archivo solo legible por su dueño.")
    export.add_argument("--out", type=Path, required=True, help="archivo .csv o .jsonl")
    anchor = sub.add_parser(
        "anchor", help="anclar la última fila de la auditoría en un testigo externo",
        description="Comprueba la auditoría y añade su última fila sellada (número, huella, "
        "hora, firmados con la clave) al testigo: un archivo de solo añadir fuera de la "
        "carpeta del almacén (mejor en otro montaje), una URL http(s):// (POST) o un "
        "servidor syslog://host:puerto. El tablero ancla solo cada [audit] "
        "anchor_every_minutes.")
    anchor.add_argument("--to", default=None, metavar="ARCHIVO|URL",
                        help="testigo (por defecto [audit] witness)")
    move = sub.add_parser(
        "move-key", help="sacar la clave de la auditoría de la carpeta del almacén",
        description="Lleva la clave de la auditoría a donde dice [audit] (key_file: un "
        "archivo nuevo 0600 fuera de la carpeta del almacén; key_env: comprueba que la "
        "variable ya la tiene) y deja en el sello solo dónde está. No se vuelve a firmar "
        "nada.")
    for p in (verify, export, anchor, move):
        p.add_argument("--store", type=Path, default=None,
                       help="almacén (por defecto el de la configuración)")
        p.add_argument("--config", type=Path, default=None, help=CONFIG_HELP)
    verify.set_defaults(func=handler("audit.verify"))
    export.set_defaults(func=handler("audit.export"))
    anchor.set_defaults(func=handler("audit.anchor"))
    move.set_defaults(func=handler("audit.move_key"))
    parser.set_defaults(func=show_help(parser))
