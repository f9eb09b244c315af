"""Sign-in with lockout and throttling, device cookies and sessions (``acceso.sqlite``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geo.formatting import format_number
from geo.messages import t
from geo.private import private_dir
from geo.trust.access import (
    Principal,
)
from geo.trust.accounts.addresses import _address_key
from geo.trust.accounts.passwords import MAX_PASSWORD
from geo.trust.accounts.users import _NAME, Account, Users, normalise_name
from geo.trust.audit.keys import owner_only

__all__ = [
    "AccessStore",
    "ADDRESS_WINDOW_S",
    "CLIENT_FACTOR",
    "DEVICE_DAYS",
    "FIRST_WAIT_S",
    "INVALID_NAME",
    "sign_in",
    "SignIn",
]

@dataclass(frozen=True)
class SignIn:
    """What a sign-in attempt gave.

    ``ok`` with ``token`` (the session) and ``device`` (the browser's new device cookie)
    and ``account``; otherwise ``locked_until`` (epoch seconds) when the name is locked,
    ``wait_until`` when the client's address must wait before trying again, and
    ``remaining`` attempts before a lock. ``checked``: whether the password was looked at
    (a locked name or a waiting address is refused without).
    """

    ok: bool
    name: str
    account: Account | None = None
    token: str = ""
    locked_until: float | None = None
    remaining: int = 0
    just_locked: bool = False
    wait_until: float | None = None
    device: str = ""
    checked: bool = True

    def message(self, lang: str = "es", lockout_minutes: float = 15) -> str:
        """Return what the sign-in page says (same for an unknown name or a wrong password)."""
        minutes = format_number(lockout_minutes, lang)
        if self.locked_until is not None:
            until = dt.datetime.fromtimestamp(self.locked_until, dt.UTC).strftime("%H:%M UTC")
            return t("acceso.usuario_bloqueado", lang=lang, name=self.name,
                     minutes=minutes, until=until)
        wrong = t("acceso.usuario_o_contrasena_incorrectos", lang=lang, n=self.remaining,
                  minutes=minutes)
        if self.wait_until is None:
            return wrong
        until = dt.datetime.fromtimestamp(self.wait_until, dt.UTC).strftime("%H:%M:%S UTC")
        wait = t("acceso.espere_red", lang=lang, until=until)
        return f"{wrong} {wait}" if self.checked else wait


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
    usuario TEXT NOT NULL,          -- a name, '@' + a client address, or '#' + a device
    momento REAL NOT NULL,
    exito INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS intentos_usuario ON intentos(usuario, momento);
CREATE TABLE IF NOT EXISTS dispositivos (
    token_sha256 TEXT PRIMARY KEY,  -- the device cookie's SHA-256, never the cookie
    usuario TEXT NOT NULL,
    sello TEXT NOT NULL,            -- Account.stamp: a changed password forgets the device
    creado REAL NOT NULL,
    expira REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS dispositivos_usuario ON dispositivos(usuario);
"""
#: A client address may fail this many times ``max_failures`` in a day before it waits.
CLIENT_FACTOR = 4
#: The window in which an address's failures count (also how long attempts are kept).
ADDRESS_WINDOW_S = 86_400.0
#: The first wait of an address past its allowance; it doubles with each further failure.
FIRST_WAIT_S = 30.0
#: How long a browser stays known to an account after its last sign-in there.
DEVICE_DAYS = 90
INVALID_NAME = "(nombre no válido)"


class AccessStore:
    """Sessions, sign-in attempts and known devices (SQLite, owner-only; see the module doc).

    Parameters
    ----------
    path : str or Path
        The database (created on first use, mode 0600).
    max_failures : int
        Failed attempts within ``lockout_minutes`` that lock a name; a known device is
        forgotten after as many, and an address waits after ``CLIENT_FACTOR`` times as many
        in a day.
    lockout_minutes : float
        How long a lock lasts, the window in which a name's failures count, and the
        longest wait of an address.
    session_hours : float
        How long a session lasts after sign-in.
    """

    def __init__(self, path: str | Path, *, max_failures: int = 5,
                 lockout_minutes: float = 15.0, session_hours: float = 8.0) -> None:
        self.path = Path(path)
        self.max_failures = max(1, int(max_failures))
        self.lockout_s = float(lockout_minutes) * 60
        self.session_s = float(session_hours) * 3600
        private_dir(self.path.parent)
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
    def locked_until(self, name: str, now: float | None = None) -> float | None:
        """Return the epoch seconds until which ``name`` is locked, or None.

        Only failures since the name's own last success count: a success on another
        account never clears them.
        """
        now = time.time() if now is None else now
        limit = self.max_failures
        rows = self._failures(name, now - 2 * self.lockout_s, since_success=True)
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
        n = len(self._failures(name, now - self.lockout_s, since_success=True))
        return max(0, self.max_failures - n)

    def address_wait(self, address: str, now: float | None = None) -> float | None:
        """Return until when a client ``address`` must wait before its next attempt, or None.

        Every failure from the address in the last day counts, whoever's name it tried and
        whatever succeeded in between. Past ``CLIENT_FACTOR * max_failures`` of them the
        address waits ``FIRST_WAIT_S`` after its last failure, twice as long after each
        further one, never more than ``lockout_minutes``.

        >>> import tempfile, pathlib
        >>> access = AccessStore(pathlib.Path(tempfile.mkdtemp()) / "a.sqlite", max_failures=1)
        >>> for i in range(4):
        ...     access.record_attempt("@10.0.0.9", False, now=100.0 + i)
        >>> access.address_wait("@10.0.0.9", now=104.0), access.address_wait("@10.0.0.9", 200.0)
        (133.0, None)
        """
        now = time.time() if now is None else now
        rows = self._failures(_address_key(address), now - ADDRESS_WINDOW_S)
        extra = len(rows) - self.max_failures * CLIENT_FACTOR
        if extra < 0:
            return None
        until = rows[0] + min(self.lockout_s, FIRST_WAIT_S * 2 ** min(extra, 32))
        return until if until > now else None

    def record_attempt(self, name: str, ok: bool, now: float | None = None) -> None:
        """Remember one attempt (attempts older than a day are forgotten)."""
        now = time.time() if now is None else now
        with closing(self._connect()) as conn:
            conn.execute("INSERT INTO intentos (usuario, momento, exito) VALUES (?, ?, ?)",
                         (name, now, int(ok)))
            conn.execute("DELETE FROM intentos WHERE momento < ?", (now - ADDRESS_WINDOW_S,))

    def _failures(self, key: str, after: float, since_success: bool = False) -> list[float]:
        """When ``key`` failed after ``after`` (and after its last success), latest first."""
        query = "SELECT momento FROM intentos WHERE usuario = ? AND exito = 0 AND momento > ?"
        args: tuple[Any, ...] = (key, after)
        if since_success:
            query += (" AND momento > coalesce((SELECT max(momento) FROM intentos WHERE "
                      "usuario = ? AND exito = 1), 0)")
            args += (key,)
        with closing(self._connect()) as conn:
            return [r[0] for r in conn.execute(query + " ORDER BY momento DESC", args)]

    # -- known devices -------------------------------------------------------------------
    def remember_device(self, account: Account, now: float | None = None,
                        replaces: str | None = None) -> str:
        """Return a new device cookie for ``account`` (only its hash is kept).

        ``replaces``: the cookie it succeeds (forgotten: a cookie serves one sign-in).
        """
        now = time.time() if now is None else now
        token = secrets.token_urlsafe(32)
        with closing(self._connect()) as conn:
            conn.execute("DELETE FROM dispositivos WHERE expira < ?", (now,))
            if replaces:
                conn.execute("DELETE FROM dispositivos WHERE token_sha256 = ?",
                             (_digest(replaces),))
            conn.execute(
                "INSERT INTO dispositivos (token_sha256, usuario, sello, creado, expira) "
                "VALUES (?, ?, ?, ?, ?)",
                (_digest(token), account.name, account.stamp, now, now + DEVICE_DAYS * 86400))
        return token

    def known_device(self, token: str | None, name: str, users: Users,
                     now: float | None = None) -> str | None:
        """Return the attempt key of a live device cookie of account ``name``, or None.

        None when the cookie is unknown, expired, of another account, or from before the
        account's password changed or it was disabled.
        """
        if not token:
            return None
        now = time.time() if now is None else now
        with closing(self._connect()) as conn:
            row = conn.execute(
                "SELECT usuario, sello, expira FROM dispositivos WHERE token_sha256 = ?",
                (_digest(token),)).fetchone()
        if row is None or row[0] != name or row[2] <= now:
            return None
        account = users.get(name)
        if account is None or not account.active or account.stamp != row[1]:
            return None
        return "#" + _digest(token)

    def forget_device(self, key: str) -> None:
        """Forget a known device by its attempt key (:meth:`known_device`)."""
        with closing(self._connect()) as conn:
            conn.execute("DELETE FROM dispositivos WHERE token_sha256 = ?", (key[1:],))

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


def sign_in(users: Users, access: AccessStore, name: str, password: str,
            now: float | None = None, client: str = "", device: str = "") -> SignIn:
    """Check a name and password with the lockout and throttle rules; open a session if right.

    Parameters
    ----------
    users, access : Users, AccessStore
        The users file and the sessions database.
    name, password : str
        What was typed. The name is normalised once (:func:`normalise_name`); a name no
        account could have counts against one shared key, so spelling variants of a name
        never get fresh attempts.
    now : float, optional
        The time (epoch seconds; tests).
    client : str
        The client's address (:func:`client_address`). Its failures count whoever's name
        they tried; past the allowance the address waits (:meth:`AccessStore.address_wait`).
    device : str
        The browser's device cookie, if any. One of account ``name`` (given at an earlier
        sign-in there) is exempt from the address's wait and from a lock of the name; it has
        ``max_failures`` wrong passwords of its own before it is forgotten.

    Returns
    -------
    SignIn
        A locked name or a waiting address is refused without looking at the password (and
        the attempt is not counted, so the lock or wait ends when it says). A success
        carries the session token and a new device cookie.
    """
    norm = normalise_name(name)
    if not _NAME.fullmatch(norm):
        norm = INVALID_NAME
    now = time.time() if now is None else now
    known = access.known_device(device, norm, users, now)
    if known is not None:
        return _sign_in_known(users, access, norm, password, now, known, device)
    until = access.locked_until(norm, now)
    if until is not None:
        return SignIn(False, norm, locked_until=until, checked=False)
    address = _address_key(client) if client else ""
    wait = access.address_wait(address, now) if address else None
    if wait is not None:
        return SignIn(False, norm, wait_until=wait, checked=False)
    # an invalid name matches no account: checked anyway, so it costs the same time
    account = users.check(norm, password[:MAX_PASSWORD])
    access.record_attempt(norm, account is not None, now)
    if account is None:
        if address:  # a success never counts here: it must not clear the failures
            access.record_attempt(address, False, now)
        until = access.locked_until(norm, now)
        return SignIn(False, norm, locked_until=until, just_locked=until is not None,
                      remaining=access.failures_left(norm, now),
                      wait_until=access.address_wait(address, now) if address else None)
    return SignIn(True, norm, account=account, token=access.open(account, now=now),
                  device=access.remember_device(account, now))


def _sign_in_known(users: Users, access: AccessStore, norm: str, password: str, now: float,
                   key: str, device: str) -> SignIn:
    """Sign in from a browser known to the account: its own count, no lock, no wait."""
    account = users.check(norm, password[:MAX_PASSWORD])
    access.record_attempt(key, account is not None, now)
    if account is None:
        failures = len(access._failures(key, now - ADDRESS_WINDOW_S, since_success=True))
        left = max(0, access.max_failures - failures)
        if not left:  # from now on this browser is a stranger like any other
            access.forget_device(key)
            left = access.failures_left(norm, now)
        return SignIn(False, norm, remaining=left, locked_until=None)
    access.record_attempt(norm, True, now)
    return SignIn(True, norm, account=account, token=access.open(account, now=now),
                  device=access.remember_device(account, now, replaces=device))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
