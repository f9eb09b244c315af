"""``riskmap users add|list|passwd|disable|enable|remove``: the local accounts.

Accounts live in the users file (``[auth] users_file``, default ``<data>/usuarios.toml``)
as argon2id hashes (:mod:`geo.trust.accounts`). Passwords are read from standard input
(``--password-stdin``) or asked for without echo — never taken as an argument, which
would leave them in the shell history and the process list. Every change is written to
the audit trail under the operator's login on this machine, and a changed password or a
disabled or removed account ends that account's open sessions.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from geo.config import active_store
from geo.errors import DataError, tr

__all__ = ["register", "users_file"]


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
    add.set_defaults(func=_add)

    lst = sub.add_parser("list", help="listar las cuentas")
    common(lst)
    lst.set_defaults(func=_list)

    for name, help_, func in (
        ("passwd", "cambiar la contraseña (cierra sus sesiones)", _passwd),
        ("disable", "desactivar una cuenta (cierra sus sesiones)", _disable),
        ("enable", "volver a activar una cuenta", _enable),
        ("remove", "borrar una cuenta (cierra sus sesiones)", _remove),
    ):
        p = sub.add_parser(name, help=help_, description=help_.capitalize() + ".")
        p.add_argument("name", help="nombre de usuario")
        if name == "passwd":
            p.add_argument("--password-stdin", action="store_true",
                           help="leer la contraseña de la primera línea de la entrada estándar")
        common(p)
        p.set_defaults(func=func)
    parser.set_defaults(func=lambda args: _help(parser))


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 1


def users_file(config: Path | None = None, override: Path | None = None) -> Path:
    """Return the users file: ``override``, the settings' ``users_file`` or the default."""
    from geo import paths

    if override is not None:
        return Path(override)
    settings_path = Path(config) if config else paths.default_settings()
    if settings_path.is_file():
        from geo.config import load_settings

        configured = load_settings(settings_path, check_files=False).auth.users_file
        if configured is not None:
            return configured
    return paths.users_file()


def _users(args: argparse.Namespace):
    from geo.trust.accounts import Users

    return Users(users_file(args.config, args.file))


def _audit(args: argparse.Namespace, action: str, detail: dict) -> None:
    from geo.records.store import ROL_SISTEMA, InspectionStore, operator

    store = InspectionStore(_store(args), role=ROL_SISTEMA,
                            user=operator())
    store.record_event(action, detail)


def _close_sessions(name: str) -> int:
    from geo import paths
    from geo.trust.accounts import AccessStore

    path = paths.access_db()
    return AccessStore(path).close_user(name) if path.exists() else 0


def _password(args: argparse.Namespace, name: str) -> str:
    if args.password_stdin:
        line = sys.stdin.readline()
        if not line:
            raise DataError(es="No llegó ninguna contraseña por la entrada estándar.",
                            en="No password arrived on standard input.")
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise DataError(
            es="Sin terminal: pase la contraseña por la entrada estándar con --password-stdin.",
            en="No terminal: pass the password on standard input with --password-stdin.",
        )
    first = getpass.getpass(tr(f"Contraseña para {name}: ", f"Password for {name}: "))
    second = getpass.getpass(tr("Repítala: ", "Repeat it: "))
    if first != second:
        raise DataError(es="Las dos contraseñas no coinciden; no se cambió nada.",
                        en="The two passwords differ; nothing was changed.")
    return first


def _add(args: argparse.Namespace) -> int:
    from geo.trust.access import parse_regions, parse_roles, region_names

    role, admin = parse_roles(args.role)
    regions = parse_regions(args.region, role)
    users = _users(args)
    account = users.add(args.name, role, admin=admin, regions=regions,
                        password=_password(args, args.name), display=args.display_name)
    _audit(args, "usuario_creado", {"cuenta": account.name, "rol": role, "admin": admin,
                                    "regiones": list(regions)})
    print(tr(f"Cuenta '{account.name}' creada ({args.role}; {region_names(regions)}) en "
             f"{users.path}.",
             f"Account '{account.name}' created ({args.role}; {region_names(regions, 'en')}) "
             f"in {users.path}."))
    return 0


def _list(args: argparse.Namespace) -> int:
    from geo.errors import get_language

    users = _users(args)
    accounts = users.accounts()
    if not accounts:
        print(tr(f"No hay cuentas en {users.path}. Cree la primera con 'riskmap users add "
                 "NOMBRE --role admin --password-stdin'.",
                 f"There are no accounts in {users.path}. Create the first with 'riskmap "
                 "users add NAME --role admin --password-stdin'."))
        return 0
    print(tr(f"{'usuario':<24} {'rol':<24} {'regiones':<24} estado",
             f"{'user':<24} {'role':<24} {'regions':<24} state"))
    for account in sorted(accounts.values(), key=lambda a: a.name):
        print(account.describe(get_language()))
    return 0


def _passwd(args: argparse.Namespace) -> int:
    users = _users(args)
    account = users.passwd(args.name, _password(args, args.name))
    closed = _close_sessions(account.name)
    _audit(args, "contrasena_cambiada", {"cuenta": account.name, "sesiones_cerradas": closed})
    print(tr(f"Contraseña de '{account.name}' cambiada; {closed} sesión(es) abierta(s) "
             "cerrada(s).",
             f"Password of '{account.name}' changed; {closed} open session(s) ended."))
    return 0


def _disable(args: argparse.Namespace) -> int:
    account = _users(args).set_active(args.name, False)
    closed = _close_sessions(account.name)
    _audit(args, "usuario_desactivado", {"cuenta": account.name, "sesiones_cerradas": closed})
    print(tr(f"Cuenta '{account.name}' desactivada; {closed} sesión(es) cerrada(s).",
             f"Account '{account.name}' disabled; {closed} session(s) ended."))
    return 0


def _enable(args: argparse.Namespace) -> int:
    account = _users(args).set_active(args.name, True)
    _audit(args, "usuario_activado", {"cuenta": account.name})
    print(tr(f"Cuenta '{account.name}' activada.", f"Account '{account.name}' enabled."))
    return 0


def _remove(args: argparse.Namespace) -> int:
    account = _users(args).remove(args.name)
    closed = _close_sessions(account.name)
    _audit(args, "usuario_borrado", {"cuenta": account.name, "sesiones_cerradas": closed})
    print(tr(f"Cuenta '{account.name}' borrada; {closed} sesión(es) cerrada(s).",
             f"Account '{account.name}' removed; {closed} session(s) ended."))
    return 0


def _store(args):
    """``--store``, else the store of the active settings (:func:`geo.config.active_store`)."""
    return args.store or active_store(getattr(args, "config", None))
