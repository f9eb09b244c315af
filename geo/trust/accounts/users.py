"""The users file (``usuarios.toml``, owner-only): accounts, their argon2id hashes and roles.

Written only through :class:`Users`, atomically and under a lock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import os
import re
import secrets
import tomllib
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import tomli_w
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from geo.errors import DataError, RiskmapError
from geo.messages import t
from geo.private import private_dir
from geo.trust.access import (
    ROL_ADMIN,
    AccessError,
    Principal,
    parse_regions,
    region_names,
)
from geo.trust.accounts.passwords import validate_password

__all__ = [
    "Account",
    "normalise_name",
    "Users",
    "validate_name",
]

_NAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
_FORMAT = 1
_HEADER = (
    "# riskmap: cuentas de usuario / user accounts.\n"
    "# Lo escribe `riskmap users` (o la página Usuarios); guarda hashes argon2id, nunca\n"
    "# contraseñas. Archivo sensible: solo su dueño puede leerlo (0600).\n\n"
)


def normalise_name(name: str) -> str:
    """Return ``name`` as accounts are keyed: Unicode NFKC, no surrounding space, lower case.

    >>> normalise_name("  ANA.Quispe ")
    'ana.quispe'
    """
    return unicodedata.normalize("NFKC", str(name)).strip().lower()


def validate_name(name: str) -> str:
    """Return the account name normalised (:func:`normalise_name`), or raise a clear error."""
    norm = normalise_name(name)
    if not _NAME.fullmatch(norm):
        raise AccessError("confianza.nombre_usuario_no_valido", name=name)
    return norm


@dataclass(frozen=True)
class Account:
    """One account of the users file (see the module docstring)."""

    name: str
    role: str | None
    admin: bool
    regions: tuple[str, ...]
    hash: str
    active: bool = True
    display: str = ""
    created: str = ""
    changed: str = ""

    @property
    def stamp(self) -> str:
        """A fingerprint of the password hash: sessions opened with another one are void."""
        return hashlib.sha256(self.hash.encode()).hexdigest()[:16]

    def principal(self, method: str = "local") -> Principal:
        """Return the identity this account signs in as."""
        return Principal(self.name, role=self.role, admin=self.admin, regions=self.regions,
                         method=method, name=self.display or self.name)

    def describe(self, lang: str = "es") -> str:
        """One line for ``riskmap users list``."""
        roles = "+".join([*([self.role] if self.role else []),
                          *([ROL_ADMIN] if self.admin else [])])
        state = t("acceso.cuenta_activa" if self.active else "acceso.cuenta_desactivada",
                  lang=lang)
        return (f"{self.name:<24} {roles:<24} {region_names(self.regions, lang):<24} "
                f"{state}")


class Users:
    """The users file: read (cached on its modification time) and changed atomically.

    Parameters
    ----------
    path : str or Path
        The TOML file (created on the first :meth:`add`, mode 0600).
    fast_hash : bool
        Use cheap argon2id parameters (tests and doctests only: a real deployment keeps
        the library's defaults, RFC 9106's second recommended option).
    """

    def __init__(self, path: str | Path, *, fast_hash: bool = False) -> None:
        self.path = Path(path)
        self._hasher = (PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
                        if fast_hash else PasswordHasher())
        self._cache: tuple[tuple[int, int], dict[str, Account]] | None = None
        self._dummy = ""

    # -- reading -------------------------------------------------------------------------
    def accounts(self) -> dict[str, Account]:
        """Return every account by name (an empty dict when the file does not exist yet)."""
        try:
            st_ = self.path.stat()
        except FileNotFoundError:
            return {}
        key = (st_.st_mtime_ns, st_.st_size)
        if self._cache is None or self._cache[0] != key:
            self._cache = (key, self._read())
        return dict(self._cache[1])

    def get(self, name: str) -> Account | None:
        """Return the account called ``name`` (:func:`normalise_name`), or None."""
        return self.accounts().get(normalise_name(name))

    def _read(self) -> dict[str, Account]:
        try:
            raw = tomllib.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
            raise DataError("confianza.no_pudo_leer_archivo", path=self.path, err=err) from err
        out = {}
        for name, item in (raw.get("usuarios") or {}).items():
            try:
                out[name] = Account(
                    name=name, role=item.get("rol") or None, admin=bool(item.get("admin")),
                    regions=tuple(item.get("regiones", [])), hash=str(item["hash"]),
                    active=bool(item.get("activo", True)), display=str(item.get("nombre", "")),
                    created=str(item.get("creado", "")), changed=str(item.get("cambiado", "")))
            except (KeyError, TypeError, AttributeError, RiskmapError) as err:
                raise DataError("confianza.cuenta_incompleta", path=self.path, name=name,
                                err=err) from err
        return out

    # -- passwords -----------------------------------------------------------------------
    def hash_password(self, password: str) -> str:
        """Return an argon2id hash of ``password``."""
        return self._hasher.hash(password)

    def check(self, name: str, password: str) -> Account | None:
        """Return the active account if ``password`` is right, else None (same cost)."""
        account = self.get(name)
        if account is None or not account.active:
            if not self._dummy:
                self._dummy = self._hasher.hash(secrets.token_hex(16))
            with contextlib.suppress(VerificationError, InvalidHashError):
                self._hasher.verify(self._dummy, password)  # spend the same time
            return None
        try:
            self._hasher.verify(account.hash, password)
        except (VerificationError, InvalidHashError):
            return None
        if self._hasher.check_needs_rehash(account.hash):  # parameters raised since
            with contextlib.suppress(RiskmapError, OSError):
                account = self._update(account.name, hash=self._hasher.hash(password),
                                       keep_stamp=True)
        return account

    # -- writing -------------------------------------------------------------------------
    def add(self, name: str, role: str | None, *, admin: bool = False,
            regions: tuple[str, ...] = (), password: str, display: str = "") -> Account:
        """Create an account (refuses an existing name)."""
        name = validate_name(name)
        validate_password(password, name, context=(display,))
        if role is None and not admin:
            raise AccessError("confianza.cuenta_necesita_rol")
        regions = parse_regions(list(regions), role) if regions else parse_regions(None, role)
        now = _now()
        account = Account(name=name, role=role, admin=admin, regions=regions,
                          hash=self.hash_password(password), display=display,
                          created=now, changed=now)
        with self._locked() as accounts:
            if name in accounts:
                raise AccessError("confianza.existe_cuenta_use_riskmap", name=name)
            accounts[name] = account
        return account

    def passwd(self, name: str, password: str) -> Account:
        """Set a new password (every open session of the account ends)."""
        account = self._require(name)
        validate_password(password, account.name, context=(account.display,))
        return self._update(account.name, hash=self.hash_password(password))

    def set_active(self, name: str, active: bool) -> Account:
        """Disable (sessions end, sign-in refused) or enable an account."""
        return self._update(self._require(name).name, active=active)

    def remove(self, name: str) -> Account:
        """Delete an account."""
        account = self._require(name)
        with self._locked() as accounts:
            accounts.pop(account.name, None)
        return account

    def _require(self, name: str) -> Account:
        account = self.get(name)
        if account is None:
            raise AccessError("confianza.no_existe_cuenta_riskmap", name=name, path=self.path)
        return account

    def _update(self, name: str, keep_stamp: bool = False, **changes: Any) -> Account:
        with self._locked() as accounts:
            if name not in accounts:
                raise AccessError("confianza.no_existe_cuenta", name=name)
            extra = {} if keep_stamp else {"changed": _now()}
            accounts[name] = replace(accounts[name], **changes, **extra)
            return accounts[name]

    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict[str, Account]]:
        """Yield the accounts under an exclusive lock; write them back atomically."""
        private_dir(self.path.parent)
        lock = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            self._cache = None
            accounts = self._read() if self.path.exists() else {}
            yield accounts
            table = {"formato": _FORMAT, "usuarios": {
                a.name: {"rol": a.role or "", "admin": a.admin, "regiones": list(a.regions),
                         "nombre": a.display, "activo": a.active, "hash": a.hash,
                         "creado": a.created, "cambiado": a.changed}
                for a in sorted(accounts.values(), key=lambda a: a.name)}}
            tmp = self.path.with_name(self.path.name + ".tmp")
            out = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(out, "w", encoding="utf-8") as fh:
                fh.write(_HEADER + tomli_w.dumps(table))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
            self._cache = None
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
