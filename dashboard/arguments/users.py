"""The arguments of ``riskmap users add|list|passwd|disable|enable|remove``.

What it does: :mod:`dashboard.commands.users`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from dashboard.arguments import handler, show_help

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``riskmap users`` and its subcommands."""
    parser = subparsers.add_parser(
        "users",
        help="cuentas de usuario del tablero / dashboard user accounts",
        description="Cuentas locales del tablero ([auth] mode = \"local\"): crear, listar, "
        "cambiar contraseña, desactivar, activar y borrar. Local dashboard accounts.",
    )
    sub = parser.add_subparsers(dest="users_command", metavar="ACCION")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--config", type=Path, default=None,
                       help="configuración cuyo [auth] users_file usar (por defecto la activa)")
        p.add_argument("--file", type=Path, default=None,
                       help="archivo de usuarios (por defecto <datos>/usuarios.toml)")
        p.add_argument("--store", type=Path, default=None,
                       help="almacén cuya auditoría registra el cambio (por defecto "
                       "<datos>/inspecciones.sqlite)")

    add = sub.add_parser("add", help="crear una cuenta",
                         description="Crea una cuenta. La contraseña se lee de la entrada "
                         "estándar (--password-stdin) o se pide sin mostrarla.")
    add.add_argument("name", help="nombre de usuario (minúsculas, p. ej. ana.quispe)")
    add.add_argument("--role", required=True,
                     help="planificador, gobierno_regional, investigador o admin; admin puede "
                     "ir con otro: planificador,admin")
    add.add_argument("--region", default=None,
                     help="regiones que verá: cusco, loreto, all o códigos '08,16' (obligatorio "
                     "para planificador y gobierno_regional)")
    add.add_argument("--display-name", default="", help="nombre para mostrar (opcional)")
    add.add_argument("--password-stdin", action="store_true",
                     help="leer la contraseña de la primera línea de la entrada estándar")
    common(add)
    add.set_defaults(func=handler("users.add"))

    lst = sub.add_parser("list", help="listar las cuentas")
    common(lst)
    lst.set_defaults(func=handler("users.list_accounts"))

    for name, help_ in (
        ("passwd", "cambiar la contraseña (cierra sus sesiones)"),
        ("disable", "desactivar una cuenta (cierra sus sesiones)"),
        ("enable", "volver a activar una cuenta"),
        ("remove", "borrar una cuenta (cierra sus sesiones)"),
    ):
        p = sub.add_parser(name, help=help_, description=help_.capitalize() + ".")
        p.add_argument("name", help="nombre de usuario")
        if name == "passwd":
            p.add_argument("--password-stdin", action="store_true",
                           help="leer la contraseña de la primera línea de la entrada estándar")
        common(p)
        p.set_defaults(func=handler(f"users.{name}"))
    parser.set_defaults(func=show_help(parser))
