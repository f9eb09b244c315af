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

By concern: :mod:`~geo.trust.accounts.passwords` (which passwords are allowed),
:mod:`~geo.trust.accounts.users` (the users file), :mod:`~geo.trust.accounts.sessions`
(sign-in, throttling, device cookies, sessions) and :mod:`~geo.trust.accounts.addresses`
(the client behind a trusted proxy).

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

from geo.config.auth import parse_proxies
from geo.trust.accounts.addresses import client_address, is_trusted_proxy
from geo.trust.accounts.passwords import (
    BLOCKLIST_FILE,
    MAX_PASSWORD,
    MIN_PASSWORD,
    MIN_SCORE,
    validate_password,
)
from geo.trust.accounts.sessions import (
    ADDRESS_WINDOW_S,
    CLIENT_FACTOR,
    DEVICE_DAYS,
    FIRST_WAIT_S,
    INVALID_NAME,
    AccessStore,
    SignIn,
    sign_in,
)
from geo.trust.accounts.users import Account, Users, normalise_name, validate_name

__all__ = [
    "AccessStore",
    "Account",
    "ADDRESS_WINDOW_S",
    "BLOCKLIST_FILE",
    "client_address",
    "CLIENT_FACTOR",
    "DEVICE_DAYS",
    "FIRST_WAIT_S",
    "INVALID_NAME",
    "is_trusted_proxy",
    "MAX_PASSWORD",
    "MIN_PASSWORD",
    "MIN_SCORE",
    "normalise_name",
    "parse_proxies",
    "sign_in",
    "SignIn",
    "Users",
    "validate_name",
    "validate_password",
]
