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

from dashboard.arguments.users import register
from dashboard.commands.audit import audit_settings
from geo import paths
from geo.config import active_store, load_settings
from geo.errors import DataError, get_language
from geo.messages import Message, t
from geo.records.store import ROL_SISTEMA, InspectionStore, operator
from geo.trust.access import parse_regions, parse_roles, region_names
from geo.trust.accounts import AccessStore, Users

__all__ = ["add", "disable", "enable", "list_accounts", "passwd", "register", "remove",
           "users_file"]


def users_file(config: Path | None = None, override: Path | None = None) -> Path:
    """Return the users file: ``override``, the settings' ``users_file`` or the default."""
    if override is not None:
        return Path(override)
    settings_path = Path(config) if config else paths.default_settings()
    if settings_path.is_file():
        configured = load_settings(settings_path, check_files=False).auth.users_file
        if configured is not None:
            return configured
    return paths.users_file()


def _users(args: argparse.Namespace):
    return Users(users_file(args.config, args.file))


def _audit(args: argparse.Namespace, action: str, detail: dict) -> None:
    store = InspectionStore(_store(args), role=ROL_SISTEMA,
                            user=operator())
    store.record_event(action, detail)


def _close_sessions(name: str) -> int:
    path = paths.access_db()
    return AccessStore(path).close_user(name) if path.exists() else 0


def _password(args: argparse.Namespace, name: str) -> str:
    if args.password_stdin:
        line = sys.stdin.readline()
        if not line:
            raise DataError("cli.users.no_llego_ninguna_contrasena")
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise DataError("cli.users.sin_terminal_pase_contrasena")
    first = getpass.getpass(t("cli.users.contrasena", name=name))
    second = getpass.getpass(t("cli.users.repitala"))
    if first != second:
        raise DataError("cli.users.dos_contrasenas_no_coinciden")
    return first


def add(args: argparse.Namespace) -> int:
    """``riskmap users add``: create an account."""
    role, admin = parse_roles(args.role)
    regions = parse_regions(args.region, role)
    users = _users(args)
    account = users.add(args.name, role, admin=admin, regions=regions,
                        password=_password(args, args.name), display=args.display_name)
    _audit(args, "usuario_creado", {"cuenta": account.name, "rol": role, "admin": admin,
                                    "regiones": list(regions)})
    said = region_names(regions) if len(regions) else Message("cli.todos_departamentos")
    print(t("cli.cuenta_creada", name=account.name, role=args.role, regions=said,
            path=users.path))
    return 0


def list_accounts(args: argparse.Namespace) -> int:
    """``riskmap users list``: one line per account."""
    users = _users(args)
    accounts = users.accounts()
    if not accounts:
        print(t("cli.users.no_cuentas_cree_primera", path=users.path))
        return 0
    print(t("cli.users.cabecera_lista"))
    for account in sorted(accounts.values(), key=lambda a: a.name):
        print(account.describe(get_language()))
    return 0


def passwd(args: argparse.Namespace) -> int:
    """``riskmap users passwd``: change a password, end its sessions."""
    users = _users(args)
    account = users.passwd(args.name, _password(args, args.name))
    closed = _close_sessions(account.name)
    _audit(args, "contrasena_cambiada", {"cuenta": account.name, "sesiones_cerradas": closed})
    print(t("cli.users.contrasena_cambiada_sesion_abierta", name=account.name, closed=closed))
    return 0


def disable(args: argparse.Namespace) -> int:
    """``riskmap users disable``: disable an account, end its sessions."""
    account = _users(args).set_active(args.name, False)
    closed = _close_sessions(account.name)
    _audit(args, "usuario_desactivado", {"cuenta": account.name, "sesiones_cerradas": closed})
    print(t("cli.users.cuenta_desactivada_sesion_cerrada", name=account.name, closed=closed))
    return 0


def enable(args: argparse.Namespace) -> int:
    """``riskmap users enable``: enable an account again."""
    account = _users(args).set_active(args.name, True)
    _audit(args, "usuario_activado", {"cuenta": account.name})
    print(t("cli.users.cuenta_activada", name=account.name))
    return 0


def remove(args: argparse.Namespace) -> int:
    """``riskmap users remove``: remove an account, end its sessions."""
    account = _users(args).remove(args.name)
    closed = _close_sessions(account.name)
    _audit(args, "usuario_borrado", {"cuenta": account.name, "sesiones_cerradas": closed})
    print(t("cli.users.cuenta_borrada_sesion_cerrada", name=account.name, closed=closed))
    return 0


def _store(args):
    """``--store``, else the store of the active settings (:func:`geo.config.active_store`).

    A store opened through ``--config`` keeps those settings' ``[audit]``.
    """
    if args.store:
        return args.store
    path = active_store(getattr(args, "config", None))
    audit_settings(args, Path(path))
    return path
