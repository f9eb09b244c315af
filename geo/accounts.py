r"""Local accounts: the users file (argon2id hashes), sign-in with lockout, and sessions.

* **Users file** (default ``<data>/usuarios.toml``, owner-only): one table per account with
  its role, regions, an argon2id hash (``argon2-cffi``) and whether it is active. Never a
  password. Written only through :class:`Users` (``riskmap users …`` or the admin page),
  atomically and under a lock, so two administrators cannot lose each other's change.
* **Sign-in** (:func:`sign_in`): a wrong password counts against the name tried; after
  ``max_failures`` failures within ``lockout_minutes`` the account is locked for
  ``lockout_minutes`` and the message says so and until when. An unknown name costs the
  same time as a known one and gets the same answer, so names cannot be probed.
* **Sessions** (``<data>/acceso.sqlite``, owner-only): a random token goes to the browser
  in an HttpOnly cookie; the server keeps only its SHA-256, the user, when it expires
  (``session_hours``, default 8) and a stamp of the password it was opened with, so a
  changed password, a disabled or removed account, or a sign-out ends it at once.

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> users = Users(d / "usuarios.toml", fast_hash=True)
>>> _ = users.add("ana", "planificador", regions=("08",), password="una clave larga 123")
>>> access = AccessStore(d / "acceso.sqlite")
>>> sign_in(users, access, "ana", "equivocada").ok
False
>>> result = sign_in(users, access, "ana", "una clave larga 123")
>>> result.ok, access.principal(result.token, users).regions
(True, ('08',))
>>> access.close(result.token); access.principal(result.token, users) is None
True
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import os
import re
import secrets
import sqlite3
import time
import tomllib
import unicodedata
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from geo.access import (
    ROL_ADMIN,
    AccessError,
    Principal,
    parse_regions,
    region_names,
)
from geo.audit import owner_only
from geo.errors import DataError, RiskmapError

__all__ = [
    "Account",
    "AccessStore",
    "MIN_PASSWORD",
    "SignIn",
    "Users",
    "normalise_name",
    "sign_in",
    "validate_name",
    "validate_password",
]

MIN_PASSWORD = 12  # NIST SP 800-63B asks for at least 8; long passphrases are the advice
MAX_PASSWORD = 256
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
        raise AccessError(
            es=f"Nombre de usuario no válido: {name!r}. Use de 2 a 64 letras minúsculas, "
            "números, '.', '_', '-' o '@' (p. ej. 'ana.quispe' o un correo), empezando por "
            "letra o número.",
            en=f"Invalid user name: {name!r}. Use 2 to 64 lower-case letters, digits, '.', "
            "'_', '-' or '@' (e.g. 'ana.quispe' or an e-mail), starting with a letter or "
            "digit.",
        )
    return norm


def validate_password(password: str, name: str = "") -> None:
    """Refuse a password that is too short, too long, or the user name itself."""
    if len(password) < MIN_PASSWORD:
        raise AccessError(
            es=f"La contraseña es demasiado corta ({len(password)} caracteres): use al menos "
            f"{MIN_PASSWORD}. Una frase de varias palabras es fácil de recordar y difícil de "
            "adivinar.",
            en=f"The password is too short ({len(password)} characters): use at least "
            f"{MIN_PASSWORD}. A phrase of several words is easy to remember and hard to "
            "guess.",
        )
    if len(password) > MAX_PASSWORD:
        raise AccessError(es=f"La contraseña pasa de {MAX_PASSWORD} caracteres.",
                          en=f"The password is longer than {MAX_PASSWORD} characters.")
    if name and name.lower() in password.lower():
        raise AccessError(es="La contraseña no puede contener el nombre de usuario.",
                          en="The password may not contain the user name.")


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
        state = ("activa" if self.active else "DESACTIVADA") if lang != "en" else (
            "active" if self.active else "DISABLED")
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
        from argon2 import PasswordHasher

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
            raise DataError(
                es=f"No se pudo leer el archivo de usuarios {self.path} ({err}). No lo edite a "
                "mano; restáurelo o vuelva a crearlo con 'riskmap users add'.",
                en=f"Could not read the users file {self.path} ({err}). Do not edit it by "
                "hand; restore it or create it again with 'riskmap users add'.",
            ) from err
        out = {}
        for name, item in (raw.get("usuarios") or {}).items():
            try:
                out[name] = Account(
                    name=name, role=item.get("rol") or None, admin=bool(item.get("admin")),
                    regions=tuple(item.get("regiones", [])), hash=str(item["hash"]),
                    active=bool(item.get("activo", True)), display=str(item.get("nombre", "")),
                    created=str(item.get("creado", "")), changed=str(item.get("cambiado", "")))
            except (KeyError, TypeError, AttributeError, RiskmapError) as err:
                raise DataError(
                    es=f"{self.path}: la cuenta '{name}' está incompleta ({err}).",
                    en=f"{self.path}: account '{name}' is incomplete ({err}).",
                ) from err
        return out

    # -- passwords -----------------------------------------------------------------------
    def hash_password(self, password: str) -> str:
        """Return an argon2id hash of ``password``."""
        return self._hasher.hash(password)

    def check(self, name: str, password: str) -> Account | None:
        """Return the active account if ``password`` is right, else None (same cost)."""
        from argon2.exceptions import InvalidHashError, VerificationError

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
        validate_password(password, name)
        if role is None and not admin:
            raise AccessError(es="La cuenta necesita un rol.", en="The account needs a role.")
        regions = parse_regions(list(regions), role) if regions else parse_regions(None, role)
        now = _now()
        account = Account(name=name, role=role, admin=admin, regions=regions,
                          hash=self.hash_password(password), display=display,
                          created=now, changed=now)
        with self._locked() as accounts:
            if name in accounts:
                raise AccessError(
                    es=f"Ya existe la cuenta '{name}'. Use 'riskmap users passwd {name}' para "
                    "cambiar su contraseña o elija otro nombre.",
                    en=f"Account '{name}' already exists. Use 'riskmap users passwd {name}' "
                    "to change its password or choose another name.",
                )
            accounts[name] = account
        return account

    def passwd(self, name: str, password: str) -> Account:
        """Set a new password (every open session of the account ends)."""
        account = self._require(name)
        validate_password(password, account.name)
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
            raise AccessError(
                es=f"No existe la cuenta '{name}' en {self.path}. 'riskmap users list' "
                "muestra las que hay.",
                en=f"Account '{name}' does not exist in {self.path}. 'riskmap users list' "
                "shows them.",
            )
        return account

    def _update(self, name: str, keep_stamp: bool = False, **changes: Any) -> Account:
        with self._locked() as accounts:
            if name not in accounts:
                raise AccessError(es=f"No existe la cuenta '{name}'.",
                                  en=f"Account '{name}' does not exist.")
            extra = {} if keep_stamp else {"changed": _now()}
            accounts[name] = replace(accounts[name], **changes, **extra)
            return accounts[name]

    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict[str, Account]]:
        """Yield the accounts under an exclusive lock; write them back atomically."""
        import tomli_w

        self.path.parent.mkdir(parents=True, exist_ok=True)
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


# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SignIn:
    """What a sign-in attempt gave.

    ``ok`` with ``token`` and ``account``; otherwise ``locked_until`` (epoch seconds) when
    the name is locked, and ``remaining`` attempts before a lock.
    """

    ok: bool
    name: str
    account: Account | None = None
    token: str = ""
    locked_until: float | None = None
    remaining: int = 0
    just_locked: bool = False

    def message(self, lang: str = "es", lockout_minutes: float = 15) -> str:
        """Return what the sign-in page says (same for an unknown name or a wrong password)."""
        es = lang != "en"
        if self.locked_until is not None:
            until = dt.datetime.fromtimestamp(self.locked_until, dt.UTC).strftime("%H:%M UTC")
            return (f"Demasiados intentos fallidos con el usuario «{self.name}»: queda "
                    f"bloqueado {lockout_minutes:g} minutos, hasta las {until}. Si no fue "
                    "usted, avise al administrador." if es else
                    f"Too many failed attempts for user '{self.name}': it is locked for "
                    f"{lockout_minutes:g} minutes, until {until}. If it was not you, tell "
                    "the administrator.")
        return (f"Usuario o contraseña incorrectos. Le quedan {self.remaining} intento(s) "
                f"antes de un bloqueo de {lockout_minutes:g} minutos." if es else
                f"Wrong user name or password. {self.remaining} attempt(s) left before a "
                f"{lockout_minutes:g}-minute lock.")


_ACCESS_SCHEMA = """
CREATE TABLE IF NOT EXISTS sesiones (
    token_sha256 TEXT PRIMARY KEY,
    usuario TEXT NOT NULL,
    metodo TEXT NOT NULL,
    sello TEXT NOT NULL,            -- Account.stamp at sign-in
    creada REAL NOT NULL,           -- epoch seconds
    expira REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sesiones_usuario ON sesiones(usuario);
CREATE TABLE IF NOT EXISTS intentos (
    id INTEGER PRIMARY KEY,
    usuario TEXT NOT NULL,
    momento REAL NOT NULL,
    exito INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS intentos_usuario ON intentos(usuario, momento);
"""


class AccessStore:
    """Sessions and sign-in attempts (SQLite, owner-only; see the module docstring).

    Parameters
    ----------
    path : str or Path
        The database (created on first use, mode 0600).
    max_failures : int
        Failed attempts within ``lockout_minutes`` that lock a name.
    lockout_minutes : float
        How long a lock lasts, and the window in which failures count.
    session_hours : float
        How long a session lasts after sign-in.
    """

    def __init__(self, path: str | Path, *, max_failures: int = 5,
                 lockout_minutes: float = 15.0, session_hours: float = 8.0) -> None:
        self.path = Path(path)
        self.max_failures = max(1, int(max_failures))
        self.lockout_s = float(lockout_minutes) * 60
        self.session_s = float(session_hours) * 3600
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        owner_only(self.path)
        with closing(self._connect()) as conn:
            for statement in _ACCESS_SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10.0, isolation_level=None)

    # -- lockout -------------------------------------------------------------------------
    def locked_until(self, name: str, now: float | None = None, factor: int = 1
                     ) -> float | None:
        """Return the epoch seconds until which ``name`` is locked, or None.

        ``factor``: a key that may fail ``factor`` times as often (a client address).
        """
        now = time.time() if now is None else now
        limit = self.max_failures * factor
        with closing(self._connect()) as conn:
            rows = [r[0] for r in conn.execute(
                "SELECT momento FROM intentos WHERE usuario = ? AND exito = 0 AND momento > "
                "coalesce((SELECT max(momento) FROM intentos WHERE usuario = ? AND exito = 1),"
                " 0) AND momento > ? ORDER BY momento DESC",
                (name, name, now - 2 * self.lockout_s))]
        if len(rows) < limit:
            return None
        # the lock starts at the failure that reached the limit within one window
        window = rows[:limit]
        if window[0] - window[-1] > self.lockout_s:
            return None
        until = window[0] + self.lockout_s
        return until if until > now else None

    def failures_left(self, name: str, now: float | None = None) -> int:
        """Return how many attempts ``name`` has before a lock."""
        now = time.time() if now is None else now
        with closing(self._connect()) as conn:
            n = conn.execute(
                "SELECT count(*) FROM intentos WHERE usuario = ? AND exito = 0 AND momento > "
                "coalesce((SELECT max(momento) FROM intentos WHERE usuario = ? AND exito = 1),"
                " 0) AND momento > ?", (name, name, now - self.lockout_s)).fetchone()[0]
        return max(0, self.max_failures - int(n))

    def record_attempt(self, name: str, ok: bool, now: float | None = None) -> None:
        """Remember one attempt (failures older than a day are forgotten)."""
        now = time.time() if now is None else now
        with closing(self._connect()) as conn:
            conn.execute("INSERT INTO intentos (usuario, momento, exito) VALUES (?, ?, ?)",
                         (name, now, int(ok)))
            conn.execute("DELETE FROM intentos WHERE momento < ?", (now - 86400,))

    # -- sessions ------------------------------------------------------------------------
    def open(self, account: Account, method: str = "local", now: float | None = None) -> str:
        """Start a session; return the token for the browser (only its hash is stored)."""
        now = time.time() if now is None else now
        token = secrets.token_urlsafe(32)
        with closing(self._connect()) as conn:
            conn.execute("DELETE FROM sesiones WHERE expira < ?", (now,))
            conn.execute(
                "INSERT INTO sesiones (token_sha256, usuario, metodo, sello, creada, expira) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (_digest(token), account.name, method, account.stamp, now, now + self.session_s))
        return token

    def principal(self, token: str | None, users: Users, now: float | None = None
                  ) -> Principal | None:
        """Return the identity of a live session, or None (unknown, expired, account changed)."""
        if not token:
            return None
        now = time.time() if now is None else now
        with closing(self._connect()) as conn:
            row = conn.execute(
                "SELECT usuario, metodo, sello, expira FROM sesiones WHERE token_sha256 = ?",
                (_digest(token),)).fetchone()
        if row is None or row[3] <= now:
            return None
        account = users.get(row[0])
        if account is None or not account.active or account.stamp != row[2]:
            return None
        return account.principal(row[1])

    def session_expiry(self, token: str | None) -> float | None:
        """Return when the session of ``token`` ends (epoch seconds), or None."""
        if not token:
            return None
        with closing(self._connect()) as conn:
            row = conn.execute("SELECT expira FROM sesiones WHERE token_sha256 = ?",
                               (_digest(token),)).fetchone()
        return float(row[0]) if row else None

    def session_user(self, token: str | None) -> str | None:
        """Return the account name of a stored session (expired or not), for the audit trail."""
        if not token:
            return None
        with closing(self._connect()) as conn:
            row = conn.execute("SELECT usuario FROM sesiones WHERE token_sha256 = ?",
                               (_digest(token),)).fetchone()
        return str(row[0]) if row else None

    def note_external(self, key: str, name: str, expires: float) -> bool:
        """Remember a session opened elsewhere (OIDC); True the first time ``key`` is seen.

        The dashboard audits an OIDC sign-in once, not once per browser tab or page load.
        """
        with closing(self._connect()) as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO sesiones (token_sha256, usuario, metodo, sello, creada, "
                "expira) VALUES (?, ?, 'oidc', '', ?, ?)",
                (_digest("oidc:" + key), name, time.time(), expires))
            return cur.rowcount == 1

    def close(self, token: str | None) -> None:
        """End one session (sign-out)."""
        if token:
            with closing(self._connect()) as conn:
                conn.execute("DELETE FROM sesiones WHERE token_sha256 = ?", (_digest(token),))

    def close_user(self, name: str) -> int:
        """End every session of ``name``; return how many there were."""
        with closing(self._connect()) as conn:
            return conn.execute("DELETE FROM sesiones WHERE usuario = ?", (name,)).rowcount


#: A client address gets this many times an account's failures before it is locked too.
CLIENT_FACTOR = 4
INVALID_NAME = "(nombre no válido)"


def sign_in(users: Users, access: AccessStore, name: str, password: str,
            now: float | None = None, client: str = "") -> SignIn:
    """Check a name and password with the lockout rule; open a session when right.

    The name is normalised once (:func:`normalise_name`); a name no account could have
    counts against one shared key, so spelling variants of a name never get fresh
    attempts. Failures also count against the ``client`` address, which is locked after
    ``CLIENT_FACTOR`` times as many (many names tried from one place). A locked name or
    client is refused without looking at the password (and the attempt is not counted, so
    the lock ends when it says).
    """
    norm = normalise_name(name)
    if not _NAME.fullmatch(norm):
        norm = INVALID_NAME
    keys = [norm] + ([f"@{client}"] if client else [])
    for key in keys:
        until = access.locked_until(key, now, factor=CLIENT_FACTOR if key[:1] == "@" else 1)
        if until is not None:
            return SignIn(False, norm, locked_until=until)
    # an invalid name matches no account: checked anyway, so it costs the same time
    account = users.check(norm, password[:MAX_PASSWORD])
    for key in keys:
        access.record_attempt(key, account is not None, now)
    if account is None:
        until = access.locked_until(norm, now)
        return SignIn(False, norm, locked_until=until, just_locked=until is not None,
                      remaining=access.failures_left(norm, now))
    return SignIn(True, norm, account=account, token=access.open(account, now=now))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
