"""Where a store's audit key lives: a file (0600) or a variable, outside the store's folder.

:class:`KeySource` reads, makes and keeps the key; :func:`key_fingerprint` names it
without revealing it.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geo.config.audit import AuditSpec, place_refusal
from geo.errors import DataError
from geo.messages import Message

__all__ = [
    "KEY_BYTES",
    "key_fingerprint",
    "KeySource",
    "owner_only",
]

KEY_BYTES = 32


def owner_only(path: Path, mode: int = 0o600) -> None:
    """Make ``path`` readable and writable by its owner only (no-op where unsupported)."""
    with contextlib.suppress(OSError):
        if path.exists() and (path.stat().st_mode & 0o777) != mode:
            path.chmod(mode)


def key_fingerprint(key: bytes) -> str:
    """Return a public name for a key: which key it is, revealing nothing of it.

    >>> key_fingerprint(b"k" * 32)
    '6754e874c9184d4a118ccfa9e5884bfb'
    """
    return hmac.new(key, b"riskmap:huella-clave:v1", hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True)
class KeySource:
    """Where a store's audit key lives outside its folder: a file (0600) or an environment variable.

    ``kind`` is ``"archivo"`` (``where``: the file's absolute path) or ``"entorno"``
    (``where``: the variable's name). The key is 32 random bytes written as 64 hex digits.
    """

    kind: str
    where: str

    FILE = "archivo"
    ENV = "entorno"

    @classmethod
    def from_spec(cls, spec: AuditSpec | None) -> KeySource | None:
        """Return the source ``[audit]`` names (None: the key stays in the seal, as before)."""
        if spec is None:
            return None
        if spec.key_file is not None:
            return cls(cls.FILE, str(Path(spec.key_file).expanduser().resolve()))
        if spec.key_env:
            return cls(cls.ENV, spec.key_env)
        return None

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> KeySource:
        """Read what :meth:`as_dict` wrote (``{"archivo": path}`` or ``{"entorno": name}``)."""
        ((kind, where),) = raw.items()
        if kind not in (cls.FILE, cls.ENV) or not isinstance(where, str) or not where:
            raise ValueError(f"clave_en = {raw!r}")
        return cls(kind, where)

    def as_dict(self) -> dict[str, str]:
        """Return what the seal and a backup record: where the key is, never the key."""
        return {self.kind: self.where}

    def label(self, *, initial: bool = False) -> Message:
        """Return the file or the variable, for messages (``initial``: to start a sentence)."""
        kind = "archivo" if self.kind == self.FILE else "entorno"
        suffix = "_inicial" if initial else ""
        return Message(f"confianza.clave_lugar_{kind}{suffix}", {"where": self.where})

    def read(self, store: str | Path | None = None) -> bytes:
        """Return the key; a missing, unreadable, too open or malformed one is a DataError."""
        source = self.label()
        if self.kind == self.ENV:
            text = os.environ.get(self.where)
            if not text:
                raise DataError("confianza.clave_falta_en_entorno", source=source)
            return _parse_key(text, source)
        path = Path(self.where)
        if store is not None and (refusal := place_refusal(store, path, "key_file")):
            raise DataError("confianza.clave_lugar_rechazado", refusal=refusal)
        try:
            mode = path.stat().st_mode & 0o777
            text = path.read_text(encoding="ascii")
        except FileNotFoundError as err:
            raise DataError("confianza.clave_falta_archivo", source=source) from err
        except (OSError, UnicodeDecodeError) as err:
            raise DataError("confianza.clave_no_se_pudo_leer", source=source, err=err) from err
        if mode & 0o077:
            raise DataError("confianza.clave_legible_otros", source=source, mode=mode, path=path)
        return _parse_key(text, source)

    def provide(self, store: str | Path) -> bytes:
        """Return the key of a new store: read it, or (a file not there yet) make one."""
        if self.kind == self.FILE and not Path(self.where).exists():
            key = secrets.token_bytes(KEY_BYTES)
            self.put(store, key)
            return key
        return self.read(store)

    def put(self, store: str | Path, key: bytes) -> None:
        """Keep ``key`` here: write a new key file (0600), or check the variable already holds it.

        A file or variable that holds another key is refused: it is another store's, and
        replacing it would leave that store's trail impossible to check.
        """
        source = self.label()
        if self.kind == self.ENV or Path(self.where).exists():
            held = self.read(store) if self.kind == self.FILE else \
                _parse_key(os.environ.get(self.where) or "", source, missing_ok=True)
            if held is None:
                raise DataError("confianza.clave_ponga_primero", source=source)
            if not hmac.compare_digest(held, key):
                raise DataError("confianza.clave_tiene_otra", source=self.label(initial=True),
                                held=key_fingerprint(held)[:16], own=key_fingerprint(key)[:16])
            return
        path = Path(self.where)
        if refusal := place_refusal(store, path, "key_file"):
            raise DataError("confianza.clave_lugar_rechazado", refusal=refusal)
        if not path.parent.is_dir():
            path.parent.mkdir(parents=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(key.hex() + "\n")
            fh.flush()
            os.fsync(fh.fileno())


def _parse_key(text: str, source: Message, *, missing_ok: bool = False) -> bytes | None:
    text = text.strip()
    if not text and missing_ok:
        return None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise DataError("confianza.clave_no_valida_hex", source=source, n=2 * KEY_BYTES)
    return key
