"""Which passwords an account may have (NIST SP 800-63B): length, blocklists, zxcvbn's estimate."""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence

from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from geo import paths
from geo.trust.access import (
    AccessError,
)

__all__ = [
    "BLOCKLIST_FILE",
    "MAX_PASSWORD",
    "MIN_PASSWORD",
    "MIN_SCORE",
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
    geo.config.roles.AccessError: La contraseña elegida está entre las más usadas ...
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
