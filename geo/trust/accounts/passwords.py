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
from geo.messages import Message
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
        raise AccessError("confianza.contrasena_demasiado_corta_caracteres",
                          n_password=len(password), min_password=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        raise AccessError("confianza.contrasena_pasa_caracteres", max_password=MAX_PASSWORD)
    if name and name.lower() in password.lower():
        raise AccessError("confianza.contrasena_no_puede_contener")
    if _is_common(password):
        raise AccessError("confianza.contrasena_muy_usada", advice=_ADVICE)
    score, warning = _estimate(password, (name, *re.split(r"[._@-]", name),
                                          *(word for text in context for word in text.split())))
    if score < MIN_SCORE:
        if warning in _WARNINGS:
            raise AccessError("confianza.contrasena_facil_porque",
                              why=Message(_WARNINGS[warning]), advice=_ADVICE)
        raise AccessError("confianza.contrasena_facil_estimacion", advice=_ADVICE)


_ADVICE = Message("confianza.contrasena_consejo")
#: zxcvbn's warnings and their keys in the catalogue
_WARNINGS = {
    'Repeats like "aaa" are easy to guess.':
        "confianza.warnings.repeats_like_aaa_are_easy_to_guess",
    'Repeats like "abcabcabc" are only slightly harder to guess than "abc".':
        "confianza.warnings.repeats_like_abcabcabc_barely_harder",
    'Sequences like "abc" or "6543" are easy to guess.':
        "confianza.warnings.sequences_like_abc_or_6543_are_easy_to_guess",
    "Straight rows of keys are easy to guess.":
        "confianza.warnings.straight_rows_of_keys_are_easy_to_guess",
    "Short keyboard patterns are easy to guess.":
        "confianza.warnings.short_keyboard_patterns_are_easy_to_guess",
    "Recent years are easy to guess.":
        "confianza.warnings.recent_years_are_easy_to_guess",
    "Dates are often easy to guess.":
        "confianza.warnings.dates_are_often_easy_to_guess",
    "This is a top-10 common password.":
        "confianza.warnings.this_is_a_top_10_common_password",
    "This is a top-100 common password.":
        "confianza.warnings.this_is_a_top_100_common_password",
    "This is a very common password.":
        "confianza.warnings.this_is_a_very_common_password",
    "This is similar to a commonly used password.":
        "confianza.warnings.this_is_similar_to_a_commonly_used_password",
    "A word by itself is easy to guess.":
        "confianza.warnings.a_word_by_itself_is_easy_to_guess",
    "Names and surnames by themselves are easy to guess.":
        "confianza.warnings.names_and_surnames_by_themselves_are_easy_to_guess",
    "Common names and surnames are easy to guess.":
        "confianza.warnings.common_names_and_surnames_are_easy_to_guess",
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
