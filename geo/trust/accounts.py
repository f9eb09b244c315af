r"""Local accounts: the users file (argon2id hashes), sign-in with lockout, and sessions.

* **Users file** (default ``<data>/usuarios.toml``, owner-only): one table per account with
  its role, regions, an argon2id hash (``argon2-cffi``) and whether it is active. Never a
  password. Written only through :class:`Users` (``riskmap users …`` or the admin page),
  atomically and under a lock, so two administrators cannot lose each other's change.
* **Passwords** (:func:`validate_password`, NIST SP 800-63B): at least 12 characters; not
  one of the most common passwords (zxcvbn's list of the 30,000 most frequent of a leaked
  corpus, plus ``config/contrasenas_comunes.txt``: this service's own words and the Spanish
  words passwords are made of), nor one of them with digits or symbols around it; and
  hard enough to guess by zxcvbn's estimate (score 3 of 4: over 10^8 guesses), with the
  account's name and the service's words counted as easy. No rules about symbols or
  upper case: a phrase of a few unrelated words passes.
* **Sign-in** (:func:`sign_in`): a wrong password counts against the name tried; after
  ``max_failures`` failures within ``lockout_minutes`` the account is locked for
  ``lockout_minutes`` and the message says so and until when. An unknown name costs the
  same time as a known one and gets the same answer, so names cannot be probed. Failures
  also count against the client's address (:func:`client_address`: the TCP peer, or what
  a trusted proxy says), and a success — on any account — never clears them: past
  ``CLIENT_FACTOR`` times ``max_failures`` in a day the address must wait before each
  further attempt, 30 seconds, then twice as long after every new failure, up to
  ``lockout_minutes`` (password spraying slows to a few guesses an hour). The wait is
  not a lock: it ends by itself. And a browser that signed in to an account before
  carries a *device cookie* for it (OWASP, "Slow down online guessing attacks with device
  cookies"): for that account, from that browser, neither the address's wait nor a lock
  others caused on the name applies — so nobody behind the same proxy or office router
  is kept out by someone else's failures. A device has its own ``max_failures`` wrong
  passwords; then it is forgotten.
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
import functools
import hashlib
import ipaddress
import os
import re
import secrets
import sqlite3
import threading
import time
import tomllib
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from geo import paths
from geo.errors import DataError, RiskmapError
from geo.private import private_dir
from geo.trust.access import (
    ROL_ADMIN,
    AccessError,
    Principal,
    parse_regions,
    region_names,
)
from geo.trust.audit import owner_only

__all__ = [
    "Account",
    "AccessStore",
    "BLOCKLIST_FILE",
    "MIN_PASSWORD",
    "MIN_SCORE",
    "SignIn",
    "Users",
    "client_address",
    "is_trusted_proxy",
    "normalise_name",
    "parse_proxies",
    "sign_in",
    "validate_name",
    "validate_password",
]

MIN_PASSWORD = 12  # NIST SP 800-63B asks for at least 8; long passphrases are the advice
MAX_PASSWORD = 256
#: zxcvbn's score a password needs (0-4); 3 is "over 10^8 guesses": with argon2id and the
#: sign-in throttle, far beyond an online attack, and a phrase of three ordinary words has it.
MIN_SCORE = 3
#: The blocklist riskmap adds to zxcvbn's (one entry a line, '#' comments; see its header).
BLOCKLIST_FILE = paths.CONFIG_DIR / "contrasenas_comunes.txt"
_ESTIMATE_LENGTH = 72  # zxcvbn refuses longer input; the first 72 characters are plenty
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


def validate_password(password: str, name: str = "", context: Sequence[str] = ()) -> None:
    """Refuse a password that is short, too long, contains the user name, is common or weak.

    Parameters
    ----------
    password : str
        The new password.
    name : str
        The account's name: a password containing it is refused, and its parts count as
        easy words for the estimate.
    context : sequence of str
        More words the estimate must treat as easy (the display name, say).

    Raises
    ------
    AccessError
        Saying, in Spanish and English, what is wrong and what a good password looks like.

    Examples
    --------
    >>> validate_password("tortuga lámpara río 2024", "ana")
    >>> validate_password("Password1234", "ana")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    geo.trust.access.AccessError: La contraseña elegida está entre las más usadas ...
    """
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
    if _is_common(password):
        raise AccessError(
            es="La contraseña elegida está entre las más usadas (o es una de ellas con "
            "números o signos añadidos): es lo primero que prueba un atacante. "
            + _ADVICE_ES,
            en="The chosen password is one of the most used (or one of them with digits or "
            "symbols added): it is what an attacker tries first. "
            + _ADVICE_EN,
        )
    score, warning = _estimate(password, (name, *re.split(r"[._@-]", name),
                                          *(word for text in context for word in text.split())))
    if score < MIN_SCORE:
        why_es, why_en = _WARNINGS.get(warning, ("", ""))
        raise AccessError(
            es="La contraseña es demasiado fácil de adivinar"
            + (f": {why_es}" if why_es else " (la estimación de zxcvbn la pone entre las "
               "que se adivinan en pocos intentos).") + " " + _ADVICE_ES,
            en="The password is too easy to guess"
            + (f": {why_en}" if why_en else " (zxcvbn's estimate puts it among those "
               "guessed in a few attempts).") + " " + _ADVICE_EN,
        )


_ADVICE_ES = ("Use una frase de tres o cuatro palabras que no suelan ir juntas (sin nombres "
              "de la institución, del sistema ni de la persona); no hacen falta símbolos ni "
              "mayúsculas.")
_ADVICE_EN = ("Use a phrase of three or four words that do not usually go together (no names "
              "of the institution, the system or the person); no symbols or capitals needed.")
# zxcvbn's warnings (English only), said in both languages
_WARNINGS = {
    'Repeats like "aaa" are easy to guess.':
        ("las repeticiones como «aaa» se adivinan enseguida.",
         'repeats like "aaa" are easy to guess.'),
    'Repeats like "abcabcabc" are only slightly harder to guess than "abc".':
        ("repetir un trozo («abcabcabc») apenas la hace más difícil que el trozo solo.",
         'repeats like "abcabcabc" are only slightly harder to guess than "abc".'),
    'Sequences like "abc" or "6543" are easy to guess.':
        ("las secuencias como «abc» o «6543» se adivinan enseguida.",
         'sequences like "abc" or "6543" are easy to guess.'),
    "Straight rows of keys are easy to guess.":
        ("las filas seguidas del teclado («qwerty») se adivinan enseguida.",
         "straight rows of keys are easy to guess."),
    "Short keyboard patterns are easy to guess.":
        ("los dibujos cortos sobre el teclado se adivinan enseguida.",
         "short keyboard patterns are easy to guess."),
    "Recent years are easy to guess.":
        ("los años recientes se adivinan enseguida.", "recent years are easy to guess."),
    "Dates are often easy to guess.":
        ("las fechas se adivinan con facilidad.", "dates are often easy to guess."),
    "This is a top-10 common password.":
        ("es una de las 10 contraseñas más usadas.", "this is a top-10 common password."),
    "This is a top-100 common password.":
        ("es una de las 100 contraseñas más usadas.", "this is a top-100 common password."),
    "This is a very common password.":
        ("es una contraseña muy usada.", "this is a very common password."),
    "This is similar to a commonly used password.":
        ("se parece a una contraseña muy usada.", "this is similar to a commonly used password."),
    "A word by itself is easy to guess.":
        ("una palabra sola se adivina enseguida.", "a word by itself is easy to guess."),
    "Names and surnames by themselves are easy to guess.":
        ("los nombres y apellidos solos se adivinan enseguida.",
         "names and surnames by themselves are easy to guess."),
    "Common names and surnames are easy to guess.":
        ("los nombres y apellidos comunes se adivinan enseguida.",
         "common names and surnames are easy to guess."),
}
_ESTIMATE_LOCK = threading.Lock()  # zxcvbn keeps the user inputs in a module-level dict


def _estimate(password: str, context: Iterable[str]) -> tuple[int, str]:
    """Return zxcvbn's score (0-4) and main warning, the service's words counted as easy."""
    given = [c.strip().lower() for c in context]
    # with and without accents: "Huamán" makes "huaman" easy too
    words = [w for w in dict.fromkeys((*given, *map(_plain, given), *_blocklist_words())) if w]
    with _ESTIMATE_LOCK:
        result = zxcvbn(password[:_ESTIMATE_LENGTH], user_inputs=words)
    return int(result["score"]), str(result["feedback"].get("warning") or "")


def _fold(text: str) -> str:
    """Compare passwords as people think of them: no case, spaces or accents."""
    text = _plain(unicodedata.normalize("NFKC", text).casefold())
    return "".join(ch for ch in text if not ch.isspace())


def _plain(text: str) -> str:
    """Return ``text`` without accents (``"huamán"`` -> ``"huaman"``)."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(ch))


def _is_common(password: str) -> bool:
    """Whether the password, or its core without digits and symbols around it, is listed."""
    folded = _fold(password)
    core = folded.strip("0123456789!@#$%^&*()_+-=.,;:'\"?¿¡/\\|<>[]{}~`")
    blocked = _blocked()
    return folded in blocked or bool(core) and core in blocked


@functools.cache
def _blocklist_words() -> tuple[str, ...]:
    """Return the entries of :data:`BLOCKLIST_FILE`, lower case (missing file: none)."""
    try:
        text = BLOCKLIST_FILE.read_text(encoding="utf-8")
    except OSError:  # an installed copy without the config folder still has zxcvbn's list
        return ()
    return tuple(dict.fromkeys(
        line.split("#", 1)[0].strip().lower() for line in text.splitlines()
        if line.split("#", 1)[0].strip()))


@functools.cache
def _blocked() -> frozenset[str]:
    return frozenset(_fold(w) for w in (*FREQUENCY_LISTS["passwords"], *_blocklist_words()))


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
        validate_password(password, name, context=(display,))
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


# --------------------------------------------------------------------------------------
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
        es = lang != "en"
        if self.locked_until is not None:
            until = dt.datetime.fromtimestamp(self.locked_until, dt.UTC).strftime("%H:%M UTC")
            return (f"Demasiados intentos fallidos con el usuario «{self.name}»: queda "
                    f"bloqueado {lockout_minutes:g} minutos, hasta las {until}. Si no fue "
                    "usted, avise al administrador." if es else
                    f"Too many failed attempts for user '{self.name}': it is locked for "
                    f"{lockout_minutes:g} minutes, until {until}. If it was not you, tell "
                    "the administrator.")
        wrong = (f"Usuario o contraseña incorrectos. Le quedan {self.remaining} intento(s) "
                 f"antes de un bloqueo de {lockout_minutes:g} minutos." if es else
                 f"Wrong user name or password. {self.remaining} attempt(s) left before a "
                 f"{lockout_minutes:g}-minute lock.")
        if self.wait_until is None:
            return wrong
        until = dt.datetime.fromtimestamp(self.wait_until, dt.UTC).strftime("%H:%M:%S UTC")
        wait = (f"Hubo demasiados intentos fallidos desde su red: espere hasta las {until} "
                "para volver a intentarlo (la espera crece con cada nuevo fallo). Si ya "
                "entró antes con su cuenta desde este navegador, la espera no le afecta." if es
                else f"There were too many failed attempts from your network: wait until "
                f"{until} before trying again (the wait grows with every new failure). If "
                "you signed in with your account from this browser before, the wait does "
                "not apply to you.")
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


# --------------------------------------------------------------------------------------
# client addresses behind proxies
def parse_proxies(values: Iterable[Any]) -> tuple[str, ...]:
    """Return trusted proxies (addresses or CIDR networks) as normalised networks.

    Raises :class:`AccessError` naming the first value that is not an address or network,
    or a network so wide that trusting it would let any client name its own address.

    >>> parse_proxies(["127.0.0.1", "::1", "10.0.0.0/8"])
    ('127.0.0.1/32', '::1/128', '10.0.0.0/8')
    """
    out = []
    for raw in values:
        try:
            net = ipaddress.ip_network(str(raw).strip(), strict=False)
        except ValueError as err:
            raise AccessError(
                es=f"{raw!r} no es una dirección IP ni una red (CIDR) válida: use, p. ej., "
                "\"127.0.0.1\" o \"10.0.0.0/8\" (la dirección desde la que el proxy se conecta "
                "al tablero; nombres de máquina no).",
                en=f"{raw!r} is not a valid IP address or (CIDR) network: use e.g. "
                "\"127.0.0.1\" or \"10.0.0.0/8\" (the address the proxy connects to the "
                "dashboard from; no host names).",
            ) from err
        if net.prefixlen < (8 if net.version == 4 else 32):
            raise AccessError(
                es=f"{raw!r} abarca demasiadas direcciones: cualquier cliente dentro podría "
                "decir su propia dirección y esquivar el límite de intentos. Nombre solo "
                "el proxy.",
                en=f"{raw!r} covers too many addresses: any client inside could state its own "
                "address and dodge the attempt limit. Name only the proxy.",
            )
        out.append(str(net))
    return tuple(dict.fromkeys(out))


def client_address(peer: str, trusted: Sequence[str] = (), forwarded_for: Sequence[str] = (),
                   real_ip: str = "") -> str:
    """Return the client of a request: the TCP peer, unless the peer is a trusted proxy.

    Only when ``peer`` lies in ``trusted`` (:func:`parse_proxies`) are its headers read:
    the right-most address of ``X-Forwarded-For`` (all its headers, in order) that is not
    itself a trusted proxy — each proxy appends the address it saw, so what lies further
    left was written by the client and proves nothing — else ``X-Real-IP``. Anything that
    is not an IP address ends the walk at the last trusted hop.

    >>> client_address("203.0.113.5", (), ["6.6.6.6"])      # not a proxy: headers ignored
    '203.0.113.5'
    >>> client_address("127.0.0.1", ("127.0.0.1/32",), ["6.6.6.6, 198.51.100.7"])
    '198.51.100.7'
    >>> client_address("127.0.0.1", ("127.0.0.1/32",), [], "198.51.100.7")
    '198.51.100.7'
    """
    nets = _networks(tuple(trusted))
    here = _ip(peer)
    if here is None or not _within(here, nets):
        return str(here) if here is not None else peer
    hops = [hop.strip() for value in forwarded_for for hop in value.split(",") if hop.strip()]
    if not hops:
        real = _ip(real_ip)
        return str(real) if real is not None else str(here)
    for hop in reversed(hops):
        ip = _ip(hop)
        if ip is None:
            break
        here = ip
        if not _within(ip, nets):
            break
    return str(here)


def is_trusted_proxy(peer: str, trusted: Sequence[str]) -> bool:
    """Whether ``peer`` (a TCP peer's address) lies in ``trusted`` (:func:`parse_proxies`).

    >>> is_trusted_proxy("127.0.0.1", ("127.0.0.1/32",)), is_trusted_proxy("::1", ())
    (True, False)
    """
    ip = _ip(peer)
    return ip is not None and _within(ip, _networks(tuple(trusted)))


_Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _ip(value: str | None) -> _Address | None:
    """Return the address in a header value (``1.2.3.4``, ``[::1]:80``), or None."""
    text = (value or "").strip()
    if text.startswith("[") and "]" in text:
        text = text[1:text.index("]")]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    mapped = getattr(ip, "ipv4_mapped", None)
    return mapped or ip


@functools.lru_cache(maxsize=16)
def _networks(trusted: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network,
                                                 ...]:
    return tuple(ipaddress.ip_network(t, strict=False) for t in trusted)


def _within(ip: _Address, nets: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]
            ) -> bool:
    return any(ip.version == net.version and ip in net for net in nets)


def _address_key(address: str) -> str:
    """Return the attempt key of a client address: an IPv6 client counts by its /64 network.

    One IPv6 customer holds a whole /64 and could try from a fresh address every time.

    >>> _address_key("2001:db8::1"), _address_key("@10.0.0.9")
    ('@2001:db8::/64', '@10.0.0.9')
    """
    address = address[1:] if address.startswith("@") else address
    ip = _ip(address)
    if ip is not None and ip.version == 6:
        return "@" + str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return "@" + (str(ip) if ip is not None else address)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
